"""Partner plots and the standalone HTML report."""

from __future__ import annotations

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
from riskresearch.htmlpage import html_table as _html_table
from riskresearch.htmlpage import png as _png
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
    import html

    w = an.weights
    if w is None:
        return []
    return [
        "<h2>4. Qualification weights learned from outcomes</h2>",
        f"<p>{html.escape(w.reason)}</p>",
        "<p class='note'>A partner's outcome is bad when its bad rate, first-payment default, "
        "early 30+ dpd or confirmed fraud is significantly above what its customers' risk "
        "predicts. Penalised logistic regression of that outcome on each factor's share of "
        "full marks; the prior is centred on the hand-set weights (scaled by the hand-set "
        "score's own slope) and the learned weights are rescaled to the hand-set total. "
        "<code>score_learned</code> / <code>decision_learned</code> in section 3 use them.</p>",
        _html_table(w.table),
    ]


def _service_section(an: PartnerAnalysis) -> list[str]:
    t = an.service_trend
    if t is None:
        return []
    worse = t[t["worse"] != ""]
    recent = "; ".join(f"{k}: {', '.join(v)}" for k, v in t.attrs.get("recent", {}).items())
    counts = ["deliveries", "address_changes", "term_ends", "returns", "returned_late"]
    monthly = an.service.groupby("month")[[*counts, "not_returned"]].sum().reset_index()
    return [
        "<h2>5. Service quality over time</h2>",
        "<p class='note'>Per partner and month: delivery-address changes after approval "
        "(delivery month), late returns and devices not returned at the term end (term-end "
        "month, once settled). Complaints are only an undated 12-month count on the partners "
        "table, so they cannot be followed month by month; they are shown as they are. "
        f"Recent months ({recent}) against each partner's earlier months; a rate is worse when "
        "the lower bound of recent / earlier is above 1 (95%).</p>",
        _html_table(worse)
        if len(worse)
        else "<p>No partner's service got significantly worse.</p>",
        _html_table(monthly),
    ]


def partner_report(
    db: str | os.PathLike,
    out_html: str | os.PathLike,
    analysis: PartnerAnalysis | None = None,
    **kwargs,
) -> Path:
    """Write the standalone HTML partner report (ranked flags, plots, qualification).

    ``analysis`` is a finished :func:`analyse` (else it is run here with ``**kwargs``).
    """
    import html

    an = analysis if analysis is not None else analyse(db, **kwargs)
    if not isinstance(an, PartnerAnalysis):
        raise ConfigError(
            "The 'analysis' parameter of partner_report must be a PartnerAnalysis from analyse. "
            f"Got {type(an).__name__} instead."
        )
    m, cfg = an.metrics, an.params["config"]
    top = an.flags.loc[an.flags["severity"] >= 1, "partner_id"].head(6).tolist()
    cols = ["partner_id", "applications", "approval_rate", "bad_n", "bad_rate", "bad_ae"]
    cols += ["bad_ae_low", "bad_ae_high", "fpd30_ae", "dpd30_3m_ae", "fraud_ae"]
    cols += ["address_changed_ae", "price_median"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Partner report</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>Partner qualification and performance</h1>",
        f"<p>Warehouse <code>{html.escape(Path(db).name)}</code>, observed up to "
        f"<b>{an.params['as_of']}</b>: {m['partners']} partners; actions "
        + ", ".join(f"{k} {v}" for k, v in m["actions"].items())
        + f". Expected rates: {html.escape(an.params['expected'])}. "
        f"riskresearch {html.escape(__version__)}.</p>",
        "<h2>1. Ranked partners and recommended actions</h2>",
        _html_table(an.flags[an.flags["severity"] >= 1].drop(columns=["severity"])),
        "<h2>2. Actual vs expected</h2>",
        f"<p class='note'>Intervals: score interval of the ratio under the Poisson-binomial "
        f"variance of the expected count ({cfg['confidence']:.0%} watch, "
        f"{cfg['flag_confidence']:.0%} restrict/suspend).</p>",
        _png(funnel_plot(an.summary, an.flags, "bad", cfg["flag_confidence"])),
        _png(funnel_plot(an.summary, an.flags, "fpd30", cfg["flag_confidence"])),
        _png(trend_plot(an.monthly, top, "fpd30")) if top else "",
        _png(price_plot(an.summary, cfg["price_ratio"])),
        _html_table(an.summary[cols]),
        "<h2>3. Qualification</h2>",
        _html_table(an.qualification),
        *_weights_section(an),
        *_service_section(an),
        "</body></html>",
    ]
    out = Path(out_html)
    with atomic_output(out, "partner report") as tmp:
        tmp.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return out
