"""The standalone HTML portfolio report: tables and embedded PNG figures, no Jupyter needed."""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from riskresearch import __version__
from riskresearch.arrears._common import STATUSES
from riskresearch.arrears.analysis import ArrearsAnalysis, analyse
from riskresearch.arrears.rolls import roll_rate_plot
from riskresearch.arrears.tracking import last_months
from riskresearch.arrears.vintages import vintage_plot
from riskresearch.atomic import atomic_output
from riskresearch.errors import ConfigError
from riskresearch.htmlpage import CSS as _CSS
from riskresearch.htmlpage import heading as _h
from riskresearch.htmlpage import html_table as _html_table
from riskresearch.htmlpage import paragraph as _p
from riskresearch.htmlpage import png as _png
from riskresearch.messages import current, t
from riskresearch.messages import language as use_language
from riskresearch.plots import Figure, figure_axes, ks_plot


def _report_figures(an: ArrearsAnalysis) -> dict[str, str]:
    figs = {}
    fig = Figure(figsize=(16, 4.6), layout="constrained")
    for ax, level in zip(fig.subplots(1, 3), (30, 60, 90)):
        vintage_plot(an.vintages, dpd=level, ax=ax)
    figs["vintages"] = _png(fig)
    fig = Figure(figsize=(16, 4.6), layout="constrained")
    for ax, level in zip(fig.subplots(1, 3), (30, 60, 90)):
        vintage_plot(an.vintages, dpd=level, by="amount", ax=ax)
    figs["vintages_amount"] = _png(fig)
    figs["roll"] = _png(roll_rate_plot(an.roll_rates))
    cure_days = an.params["cure_period_days"]

    fig, ax = figure_axes(None, figsize=(6.4, 3.8))
    x = np.arange(len(an.cures))
    ax.bar(x - 0.2, an.cures["cure_rate"], width=0.4, label="cured", color="tab:blue")
    ax.bar(x + 0.2, an.cures["write_off_rate"], width=0.4, label="written off", color="tab:red")
    ax.set_xticks(x, an.cures["bucket"])
    ax.set(
        xlabel="Bucket entered",
        ylabel="Share of episodes",
        ylim=(0, 1),
        title=f"Cure within {cure_days} days vs write-off",
    )
    ax.legend()
    figs["cures"] = _png(fig)

    oot = an.score.oot
    figs["ks"] = _png(ks_plot(oot["rolled"].astype(np.int64), score=oot["score"]))

    comp = an.comparison
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    cols = (
        ("recovered", "Recovered (cash + resale)"),
        ("cost", "Collection cost"),
        ("devices_recovered", "Devices recovered"),
        ("net", "Net"),
    )
    for ax, (col, title) in zip(fig.subplots(1, 4), cols):
        ax.bar(
            range(len(comp)),
            comp[col].astype(float),
            color=["grey", "tab:gray", "tab:green"][: len(comp)],
        )
        ax.set_xticks(range(len(comp)), comp["ladder"], rotation=20, ha="right", fontsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))  # no "1e7"
        ax.set_title(title, fontsize=10)
    figs["ladder"] = _png(fig)

    lgd = an.lgd[an.lgd["device_category"] != "all"]
    fig, ax = figure_axes(None, figsize=(7, 3.8))
    cats = sorted(lgd["device_category"].unique())
    ages = sorted(lgd["age_band"].unique(), key=lambda s: int(s.split("-")[0].rstrip("+")))
    width = 0.8 / max(len(ages), 1)
    for j, age in enumerate(ages):
        part = lgd[lgd["age_band"] == age].set_index("device_category").reindex(cats)
        ax.bar(
            np.arange(len(cats)) + j * width,
            part["lgd"],
            width=width,
            label=f"{age} months on book",
        )
    ax.set_xticks(np.arange(len(cats)) + width * (len(ages) - 1) / 2, cats)
    ax.set(ylabel="LGD (loss / outstanding rent)", title="Loss given default by device and age")
    ax.legend(fontsize=8)
    figs["lgd"] = _png(fig)
    return figs


def _band_section(an: ArrearsAnalysis) -> list[str]:
    bl = an.band_ladders
    if bl is None:
        return []
    return [
        f"<p><b>{html.escape(t('portfolio.band_ladders'))}</b> {html.escape(bl.statement)}</p>",
        _p("portfolio.band_ladders_note", level=f"{bl.level:.0%}"),
        _html_table(bl.tests),
    ]


def _report_html(an: ArrearsAnalysis) -> str:

    figs = _report_figures(an)
    m = an.metrics
    last = last_months(an.months)
    status = pd.crosstab(last["status"], last["device_status"]).reindex(
        [s for s in STATUSES if s in set(last["status"])]
    )
    status = status.rename_axis(None, axis=1).rename_axis("status").reset_index()
    status["leases"] = status.drop(columns=["status"]).sum(axis=1)
    v = an.vintages
    vtab = v[v["mob"].isin([3, 6, 12])].pivot(index="cohort", columns="mob", values="ever_60")
    vtab.columns = [t("portfolio.ever60_at", mob=c) for c in vtab.columns]
    vtab = vtab.reset_index()
    vtab["cohort"] = vtab["cohort"].dt.strftime("%Y-%m")
    vtab["mature"] = vtab["cohort"].map(
        v.assign(c=v["cohort"].dt.strftime("%Y-%m")).groupby("c")["mature"].first()
    )
    cs = an.score.metrics
    score_tab = pd.DataFrame(
        {
            "sample": [t("sample.development"), t("portfolio.out_of_time")],
            "episodes": [cs["train_n"], cs["oot_n"]],
            "cure rate": [cs["train_cure_rate"], cs["oot_cure_rate"]],
            "AUC": [cs["train_auc"], cs["oot_auc"]],
            "KS": [cs["train_ks"], cs["oot_ks"]],
        }
    )
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(current())}"><head><meta charset="utf-8">',
        f"<title>{esc(t('portfolio.title'))}</title>",
        f"<style>{_CSS}</style></head><body>",
        _h(1, "portfolio.title"),
        _p(
            "portfolio.summary",
            note=False,
            warehouse=Path(an.source).name,
            as_of=an.as_of.isoformat(),
            leases=f"{m['leases']:,}",
            months=f"{m['contract_months']:,}",
            version=__version__,
        ),
        _h(2, "portfolio.status"),
        _p("portfolio.status_note"),
        _html_table(status),
        _h(2, "portfolio.vintages"),
        _p("portfolio.vintages_note"),
        figs["vintages"],
        figs["vintages_amount"],
        _html_table(vtab),
        _h(2, "portfolio.rolls"),
        figs["roll"],
        _html_table(an.roll_rates),
        _p("portfolio.cure_note", days=an.params["cure_period_days"]),
        figs["cures"],
        _html_table(an.cures),
        _html_table(an.buckets),
        _p("portfolio.bad_note"),
        _h(2, "portfolio.score"),
        _p(
            "portfolio.score_note",
            days=cs["cure_within_days"],
            start=cs["oot_start"],
            months=cs["oot_months"],
            features=t("format.separator").join(cs["features"]),
        ),
        _html_table(score_tab),
        figs["ks"],
        _html_table(an.score.bands),
        _h(2, "portfolio.ladder"),
        _p("portfolio.ladder_note"),
        _html_table(an.ladder),
        *_band_section(an),
        figs["ladder"],
        _html_table(an.comparison),
        _html_table(an.effects.steps),
        _html_table(an.effects.bands),
        _h(2, "portfolio.returns"),
        _html_table(an.returns),
        _html_table(an.recovery),
        _h(2, "portfolio.lgd"),
        _p("portfolio.lgd_note"),
        figs["lgd"],
        _html_table(an.lgd),
        _html_table(an.lgd_by_term),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def portfolio_report(
    db: str | os.PathLike,
    out_html: str | os.PathLike,
    as_of=None,
    analysis: ArrearsAnalysis | None = None,
    language: str = "en",
    **kwargs,
) -> Path:
    """Write a standalone HTML portfolio report (tables and embedded PNG figures).

    Parameters
    ----------
    db : path-like
        DuckDB warehouse.
    out_html : path-like
        HTML file to write; written to a temporary file and moved into place.
    as_of : datetime.date or str, optional
        Last observed day.
    analysis : ArrearsAnalysis, optional
        A finished :func:`analyse` of the warehouse (else it is run here, with ``**kwargs``).
    language : {"en", "zh-CN"}
        The report's language (headings, sentences, table headers, chart labels).

    Returns
    -------
    pathlib.Path
        The report, readable in any browser without Jupyter.

    Examples
    --------
    >>> portfolio_report("data/leasing.duckdb", "build/portfolio.html")  # doctest: +SKIP
    """
    an = analysis if analysis is not None else analyse(db, as_of, **kwargs)
    if not isinstance(an, ArrearsAnalysis):
        raise ConfigError(
            "The 'analysis' parameter of portfolio_report must be an ArrearsAnalysis from "
            f"analyse. Got {type(an).__name__} instead."
        )
    with use_language(language):
        text = _report_html(an)
    out = Path(out_html)
    with atomic_output(out, "portfolio report") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
