"""Partner plots and the standalone HTML report."""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from riskresearch import __version__
from riskresearch.atomic import atomic_output
from riskresearch.errors import ConfigError
from riskresearch.htmlpage import CSS as _CSS
from riskresearch.htmlpage import heading as _h
from riskresearch.htmlpage import html_table as _html_table
from riskresearch.htmlpage import paragraph as _p
from riskresearch.htmlpage import png as _png
from riskresearch.messages import current, t
from riskresearch.messages import language as use_language
from riskresearch.partners._common import ACTIONS, check_frame
from riskresearch.partners.analysis import PartnerAnalysis, analyse
from riskresearch.partners.monitoring import LABELS
from riskresearch.partners.stats import ae_stats
from riskresearch.plots import figure_axes

_COLORS = {"ok": "tab:gray", "watch": "tab:orange", "restrict": "tab:red", "suspend": "black"}


def funnel_plot(
    summary: pd.DataFrame,
    flags: pd.DataFrame | None = None,
    outcome: str = "bad",
    level: float = 0.99,
    ax: Axes | None = None,
) -> Figure:
    """Actual/expected ratio of each partner against its expected count, with the control
    limits of a partner of that size (:func:`ae_stats` at the portfolio's mean rate)."""
    s = check_frame(summary, ["partner_id", f"{outcome}_ae", f"{outcome}_expected"], "The summary")
    fig, ax = figure_axes(ax, figsize=(7, 4.6))
    e = s[f"{outcome}_expected"].to_numpy(dtype=float)
    rate = float(np.nansum(s[f"{outcome}_expected"]) / max(np.nansum(s[f"{outcome}_n"]), 1))
    grid = np.geomspace(
        max(np.nanmin(e[e > 0]) if (e > 0).any() else 0.1, 0.1), max(e.max(), 1), 80
    )
    for lv, style in ((0.95, ":"), (level, "--")):
        st = ae_stats(grid, grid, grid * rate, lv)
        ax.plot(grid, st["ae_low"], style, color="tab:blue", lw=1)
        ax.plot(grid, st["ae_high"], style, color="tab:blue", lw=1, label=f"{lv:.0%} limits")
    action = (
        s["partner_id"].map(flags.set_index("partner_id")["action"]).fillna("ok")
        if flags is not None
        else pd.Series("ok", index=s.index)
    )
    for a in ACTIONS:
        m = (action == a).to_numpy()
        if m.any():
            ax.scatter(e[m], s.loc[m, f"{outcome}_ae"], s=22, color=_COLORS[a], label=a)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set(
        xlabel=f"Expected {outcome} count",
        ylabel="Actual / expected",
        title=f"Partners: {LABELS.get(outcome, outcome)}, actual vs expected",
    )
    ax.legend(fontsize=8, ncol=2)
    return fig


def trend_plot(
    monthly: pd.DataFrame, partners, outcome: str = "fpd30", ax: Axes | None = None
) -> Figure:
    """Monthly actual/expected ``outcome`` (3-month rolling sums) of the given partners."""
    m = check_frame(
        monthly,
        ["partner_id", "application_month", f"{outcome}_actual", f"{outcome}_expected"],
        "The monthly table",
    )
    fig, ax = figure_axes(ax, figsize=(8, 4.2))
    months = sorted(m["application_month"].unique())
    for pid in partners:
        part = m[m["partner_id"] == pid].set_index("application_month").reindex(months)
        o = part[f"{outcome}_actual"].fillna(0).rolling(3, min_periods=1).sum()
        e = part[f"{outcome}_expected"].fillna(0).rolling(3, min_periods=1).sum()
        ratio = (o / e.where(e > 0.5)).to_numpy(dtype=float)
        ax.plot(range(len(months)), ratio, marker=".", lw=1, label=f"partner {pid}")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks(range(0, len(months), 3), months[::3], rotation=30, fontsize=8)
    ax.set(ylabel="Actual / expected (3-month)", title=f"Trend: {LABELS.get(outcome, outcome)}")
    ax.legend(fontsize=7, ncol=2)
    return fig


def price_plot(summary: pd.DataFrame, price_ratio: float = 1.08, ax: Axes | None = None) -> Figure:
    """Median listed/retail price of every partner (sorted), with the anomaly threshold."""
    s = check_frame(summary, ["partner_id", "price_median"], "The summary")
    s = s.sort_values("price_median")
    fig, ax = figure_axes(ax, figsize=(8, 3.6))
    colors = np.where(s["price_median"] >= price_ratio, "tab:red", "tab:gray")
    ax.bar(range(len(s)), s["price_median"], color=colors)
    ax.axhline(price_ratio, color="tab:red", ls="--", lw=1, label=f"anomaly at {price_ratio:g}x")
    ax.set_ylim(max(0.0, float(s["price_median"].min()) - 0.05), None)
    ax.set_xticks(range(len(s)), s["partner_id"], fontsize=6, rotation=90)
    ax.set(xlabel="Partner", ylabel="Median listed / retail price", title="Price vs retail")
    ax.legend(fontsize=8)
    return fig


def _weights_section(an: PartnerAnalysis) -> list[str]:
    w = an.weights
    if w is None:
        return []
    return [
        _h(2, "partner_report.weights"),
        f"<p>{html.escape(w.reason)}</p>",
        _p("partner_report.weights_note"),
        _html_table(w.table),
    ]


def _service_section(an: PartnerAnalysis) -> list[str]:
    trend = an.service_trend
    if trend is None:
        return []
    worse = trend[trend["worse"] != ""]
    sep = t("format.separator")
    recent = t("format.semicolon").join(
        f"{k}: {sep.join(v)}" for k, v in trend.attrs.get("recent", {}).items()
    )
    counts = ["deliveries", "address_changes", "term_ends", "returns", "returned_late"]
    monthly = an.service.groupby("month")[[*counts, "not_returned"]].sum().reset_index()
    return [
        _h(2, "partner_report.service"),
        _p("partner_report.service_note", recent=recent),
        _html_table(worse) if len(worse) else _p("partner_report.service_ok", note=False),
        _html_table(monthly),
    ]


def partner_report(
    db: str | os.PathLike,
    out_html: str | os.PathLike,
    analysis: PartnerAnalysis | None = None,
    language: str = "en",
    **kwargs,
) -> Path:
    """Write the standalone HTML partner report (ranked flags, plots, qualification).

    ``analysis`` is a finished :func:`analyse` (else it is run here with ``**kwargs``);
    ``language`` (``en`` or ``zh-CN``) is the report's language.
    """
    an = analysis if analysis is not None else analyse(db, **kwargs)
    if not isinstance(an, PartnerAnalysis):
        raise ConfigError(
            "The 'analysis' parameter of partner_report must be a PartnerAnalysis from analyse. "
            f"Got {type(an).__name__} instead."
        )
    with use_language(language):
        text = _report_html(db, an)
    out = Path(out_html)
    with atomic_output(out, "partner report") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def _report_html(db, an: PartnerAnalysis) -> str:

    m, cfg = an.metrics, an.params["config"]
    top = an.flags.loc[an.flags["severity"] >= 1, "partner_id"].head(6).tolist()
    cols = ["partner_id", "applications", "approval_rate", "bad_n", "bad_rate", "bad_ae"]
    cols += ["bad_ae_low", "bad_ae_high", "fpd30_ae", "dpd30_3m_ae", "fraud_ae"]
    cols += ["address_changed_ae", "price_median"]
    actions = t("format.separator").join(
        t("partner_report.action_count", action=t(f"partner_report.action_{k}"), n=v)
        for k, v in m["actions"].items()
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(current())}"><head><meta charset="utf-8">'
        f"<title>{html.escape(t('partner_report.short_title'))}</title>",
        f"<style>{_CSS}</style></head><body>",
        _h(1, "partner_report.title"),
        _p(
            "partner_report.summary",
            note=False,
            warehouse=Path(db).name,
            as_of=an.params["as_of"],
            partners=m["partners"],
            actions=actions,
            expected=an.params["expected"],
            version=__version__,
        ),
        _h(2, "partner_report.ranked"),
        _html_table(an.flags[an.flags["severity"] >= 1].drop(columns=["severity"])),
        _h(2, "partner_report.ae"),
        _p(
            "partner_report.ae_note",
            watch=f"{cfg['confidence']:.0%}",
            flag=f"{cfg['flag_confidence']:.0%}",
        ),
        _png(funnel_plot(an.summary, an.flags, "bad", cfg["flag_confidence"])),
        _png(funnel_plot(an.summary, an.flags, "fpd30", cfg["flag_confidence"])),
        _png(trend_plot(an.monthly, top, "fpd30")) if top else "",
        _png(price_plot(an.summary, cfg["price_ratio"])),
        _html_table(an.summary[cols]),
        _h(2, "partner_report.qualification"),
        _html_table(an.qualification),
        *_weights_section(an),
        *_service_section(an),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
