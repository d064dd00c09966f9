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
from riskresearch.htmlpage import html_table as _html_table
from riskresearch.htmlpage import png as _png
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

    fig, ax = figure_axes(None, figsize=(6.4, 3.8))
    x = np.arange(len(an.cures))
    ax.bar(x - 0.2, an.cures["cure_rate"], width=0.4, label="cured", color="tab:blue")
    ax.bar(x + 0.2, an.cures["write_off_rate"], width=0.4, label="written off", color="tab:red")
    ax.set_xticks(x, an.cures["bucket"])
    ax.set(
        xlabel="Bucket entered",
        ylabel="Share of episodes",
        ylim=(0, 1),
        title=f"Cure within {an.params['cure_period_days']} days vs write-off",
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
        f"<p><b>Band-specific ladders?</b> {html.escape(bl.statement)}</p>",
        f"<p class='note'>The common ladder is the best for all bands pooled; a band takes "
        f"the other action at a step only when its advantage (expected net value per episode "
        f"reaching the step, the band's later steps held fixed) has a {bl.level:.0%} interval "
        "above zero, Bonferroni over every band and step. This is the ladder of "
        "<code>riskresearch collections worklist</code>.</p>",
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
    vtab.columns = [f"ever 60+ at mob {c}" for c in vtab.columns]
    vtab = vtab.reset_index()
    vtab["cohort"] = vtab["cohort"].dt.strftime("%Y-%m")
    vtab["mature"] = vtab["cohort"].map(
        v.assign(c=v["cohort"].dt.strftime("%Y-%m")).groupby("c")["mature"].first()
    )
    cs = an.score.metrics
    score_tab = pd.DataFrame(
        {
            "sample": ["development", "out of time"],
            "episodes": [cs["train_n"], cs["oot_n"]],
            "cure rate": [cs["train_cure_rate"], cs["oot_cure_rate"]],
            "AUC": [cs["train_auc"], cs["oot_auc"]],
            "KS": [cs["train_ks"], cs["oot_ks"]],
        }
    )
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Post-lease portfolio report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Post-lease portfolio report</h1>",
        f"<p>Warehouse <code>{esc(Path(an.source).name)}</code>, observed up to "
        f"<b>{an.as_of.isoformat()}</b>: {m['leases']:,} leases, "
        f"{m['contract_months']:,} lease-months. riskresearch {esc(__version__)}.</p>",
        "<h2>1. Contract status at the as-of date</h2>",
        "<p class='note'>Last month-end state of every lease (terminal state for ended leases) "
        "and where its device is.</p>",
        _html_table(status),
        "<h2>2. Vintages</h2>",
        "<p class='note'>Share of each monthly cohort that ever reached 30/60/90 days past due "
        "by each month on book. Dashed grey: immature cohorts (under 6 months on book, the "
        "window of the <code>bad</code> target) whose curves are still rising.</p>",
        figs["vintages"],
        figs["vintages_amount"],
        _html_table(vtab),
        "<h2>3. Roll rates, cures and the bad definition</h2>",
        figs["roll"],
        _html_table(an.roll_rates),
        f"<p class='note'>An episode is cured when every overdue instalment is paid within "
        f"{an.params['cure_period_days']} days of entering the bucket; re-default = a later "
        "episode of the lease reaching 30 dpd within 180 days of the cure.</p>",
        figs["cures"],
        _html_table(an.cures),
        _html_table(an.buckets),
        "<p class='note'>Leases reaching 60 days past due rarely cure and mostly end written "
        "off, while most 1-29 and many 30-59 episodes cure: <code>bad</code> = ever 60+ dpd "
        "marks the bucket from which accounts do not come back.</p>",
        "<h2>4. Collection score</h2>",
        f"<p class='note'>Probability that an episode entering 1-29 dpd cures within "
        f"{cs['cure_within_days']} days; WOE scorecard fitted on entries before {cs['oot_start']}"
        f", evaluated on the {cs['oot_months']} later months. Features: "
        f"{esc(', '.join(cs['features']))}.</p>",
        _html_table(score_tab),
        figs["ks"],
        _html_table(an.score.bands),
        "<h2>5. Collection ladder</h2>",
        "<p class='note'>Rolling delinquencies reaching 30 dpd, by collection-score band (1 = "
        "least likely to cure). Cure rates per step and action come from the historical "
        "ladder's random draws; the recommended ladder maximises recovered cash and resale "
        "minus cost and written-off balance per band.</p>",
        _html_table(an.ladder),
        *_band_section(an),
        figs["ladder"],
        _html_table(an.comparison),
        _html_table(an.effects.steps),
        _html_table(an.effects.bands),
        "<h2>6. Device return and recovery</h2>",
        _html_table(an.returns),
        _html_table(an.recovery),
        "<h2>7. Loss given default</h2>",
        "<p class='note'>Per written-off lease: loss = outstanding rent at the write-off - "
        "deposit - partial payments - net resale + collection cost; LGD = loss / outstanding "
        "rent (amount-weighted per group).</p>",
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
    text = _report_html(an)
    out = Path(out_html)
    with atomic_output(out, "portfolio report") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
