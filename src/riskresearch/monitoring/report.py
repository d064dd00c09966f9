"""Figures, the standalone HTML monitoring report and the written artifacts."""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskresearch.atomic import atomic_output
from riskresearch.htmlpage import CSS as _CSS
from riskresearch.htmlpage import html_table as _html_table
from riskresearch.htmlpage import png as _png
from riskresearch.messages import current, t, translate_figure
from riskresearch.messages import language as use_language
from riskresearch.monitoring._common import SCORE, write_json
from riskresearch.monitoring.alerts import alerts_document
from riskresearch.monitoring.analysis import Monitoring
from riskresearch.monitoring.baseline import write_baseline
from riskresearch.monitoring.feedback import write_comparison
from riskresearch.plots import figure_axes

COLORS = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828"}


def stability_plot(mon: Monitoring, ax=None) -> Figure:
    """PSI of the score and CSI of every feature per month, with the amber/red thresholds."""
    fig, ax = figure_axes(ax, figsize=(9, 4.6))
    th = mon.baseline.data["thresholds"]
    st = mon.stability
    for variable, g in st.groupby("variable", sort=False):
        style = {"lw": 2.6, "color": "black"} if variable == SCORE else {"lw": 1.2, "alpha": 0.8}
        ax.plot(g["month"], g["psi"].clip(upper=1.0), marker="o", ms=3, label=variable, **style)
    for name, color in (("psi_amber", COLORS["amber"]), ("psi_red", COLORS["red"])):
        ax.axhline(th[name], color=color, ls="--", lw=1)
    ax.set_yscale("symlog", linthresh=0.05)
    ax.set(xlabel="Application month", ylabel="PSI / CSI (capped at 1)", title="Stability")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    return fig


def ae_plot(mon: Monitoring, ax=None) -> Figure:
    """Actual/expected per month and outcome with its interval; amber and red ratios dashed."""
    fig, ax = figure_axes(ax, figsize=(9, 4.2))
    th = mon.baseline.data["thresholds"]
    perf = mon.performance
    months = list(mon.months)
    pos = {m: i for i, m in enumerate(months)}
    outcomes = list(dict.fromkeys(perf["outcome"])) if len(perf) else []
    width = 0.8 / max(1, len(outcomes))
    for j, outcome in enumerate(outcomes):
        g = perf[perf["outcome"] == outcome]
        x = np.array([pos[m] for m in g["month"]]) + (j - (len(outcomes) - 1) / 2) * width
        err = np.vstack([g["ae"] - g["ae_low"], g["ae_high"] - g["ae"]])
        ax.errorbar(x, g["ae"], yerr=err, fmt="o", capsize=2, label=outcome)
    ax.axhline(1, color="grey", lw=1)
    ax.axhline(th["ae_amber"], color=COLORS["amber"], ls="--", lw=1)
    ax.axhline(th["ae_red"], color=COLORS["red"], ls="--", lw=1)
    ax.set_xticks(range(len(months)), months, rotation=45)
    ax.set(ylabel="Actual / expected", title="Performance vs the development grades")
    ax.legend(fontsize=8)
    return fig


def auc_plot(mon: Monitoring, ax=None) -> Figure:
    """AUC per month and outcome; the expected AUC of the release dashed."""
    fig, ax = figure_axes(ax, figsize=(9, 3.8))
    perf = mon.performance
    for outcome, g in perf.groupby("outcome", sort=True):
        ax.errorbar(
            g["month"], g["auc"], yerr=1.96 * g["auc_se"], marker="o", capsize=2, label=outcome
        )
    ax.axhline(mon.baseline.data["discrimination"]["expected_auc"], color="black", ls="--", lw=1)
    ax.set(ylabel="AUC", title="Discrimination of matured cohorts")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=8)
    return fig


def fraud_plot(mon: Monitoring, ax=None) -> Figure:
    """Weekly share of applications the fraud model flags, against the development share."""
    fig, ax = figure_axes(ax, figsize=(9, 3.6))
    w = mon.fraud_weekly
    if w is not None and len(w):
        ax.plot(pd.to_datetime(w["week"]), w["share"], marker="o", ms=3, label="flagged share")
        ax.fill_between(
            pd.to_datetime(w["week"]),
            w["ae_low"] * w["expected_share"],
            w["ae_high"] * w["expected_share"],
            alpha=0.2,
        )
        ax.axhline(mon.baseline.data["fraud"]["flagged_share"], color="black", ls="--", lw=1)
    ax.set(ylabel="Flagged share", title="Fraud model flags per week")
    ax.tick_params(axis="x", rotation=45)
    return fig


def _severity(word: str) -> str:
    return t(f"status.{word}") if word in COLORS else word


def _report_html(mon: Monitoring, doc: dict) -> str:
    d = mon.baseline.data
    badge = "".join(
        f'<span style="background:{COLORS[s]};color:white;padding:2px 6px;margin:1px;'
        f'font-size:12px">{html.escape(m)}</span>'
        for m, s in doc["months"].items()
    )
    alerts = pd.DataFrame(
        [
            {
                "severity": _severity(a["severity"]),
                "kind": a["kind"],
                "subject": a["subject"],
                "since": a["since"],
                "last": a["last"],
                "worst": a["worst_value"],
                "message": a["message"],
            }
            for a in doc["alerts"]
        ]
    )
    figs = [stability_plot(mon), ae_plot(mon), auc_plot(mon)]
    if mon.fraud_weekly is not None:
        figs.append(fraud_plot(mon))
    figs = [translate_figure(fig) for fig in figs]
    esc = html.escape
    perf = mon.performance.drop(columns=["z"], errors="ignore") if len(mon.performance) else None
    severity = f"<b style='color:{COLORS[doc['severity']]}'>{esc(_severity(doc['severity']))}</b>"
    parts = [
        f"<h1>{esc(t('monitoring.title', model=d['model']))}</h1>",
        "<p class='note'>"
        + esc(
            t(
                "monitoring.summary",
                dev_first=d["development"]["first_month"],
                dev_last=d["development"]["last_month"],
                rows=f"{d['development']['rows']:,}",
                first=doc["monitored"]["first"],
                last=doc["monitored"]["last"],
            )
        )
        + " "
        + t(
            "monitoring.severity",
            severity=severity,
            red=doc["red"],
            amber=doc["amber"],
            grades=esc(d["grades"]["source"]),
        )
        + "</p>",
        f"<p>{badge}</p>",
        f"<h2>{esc(t('monitoring.alerts'))}</h2>",
        _html_table(alerts) if len(alerts) else f"<p>{esc(t('monitoring.no_alert'))}</p>",
        f"<h2>{esc(t('monitoring.stability'))}</h2>",
        _png(figs[0]),
        "<p class='note'>"
        + esc(t("monitoring.noise_floor", value=f"{d['score']['noise_floor']:.4f}"))
        + "</p>",
        _html_table(
            mon.stability.pivot(index="variable", columns="month", values="psi").reset_index()
        ),
        f"<h2>{esc(t('monitoring.unseen'))}</h2>",
        _html_table(mon.unseen) if len(mon.unseen) else f"<p>{esc(t('monitoring.none'))}</p>",
        f"<h2>{esc(t('monitoring.performance'))}</h2>",
        _png(figs[1]),
        _png(figs[2]),
        _html_table(perf) if perf is not None else f"<p>{esc(t('monitoring.no_matured'))}</p>",
    ]
    if mon.fraud_weekly is not None:
        flagged = mon.fraud_partners[mon.fraud_partners["ae_low"] > 1].sort_values(
            "ae", ascending=False
        )
        parts += [
            f"<h2>{esc(t('monitoring.fraud'))}</h2>",
            _png(figs[3]),
            f"<p class='note'>{esc(t('monitoring.fraud_partners'))}</p>",
            _html_table(flagged.head(30))
            if len(flagged)
            else f"<p>{esc(t('monitoring.none'))}</p>",
        ]
    if mon.ring_alerts is not None:
        parts += _ring_section(mon.ring_alerts)
    elif mon.params.get("ring_alerts_skipped"):
        skipped = t("monitoring.skipped", reason=mon.params["ring_alerts_skipped"])
        parts += [
            f"<h2>{esc(t('monitoring.rings'))}</h2>",
            f"<p><em>{esc(skipped)}</em></p>",
        ]
    body = "\n".join(parts)
    title = esc(t("monitoring.title", model=d["model"]))
    return (
        f"<!DOCTYPE html><html lang='{html.escape(current())}'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_CSS}</style></head><body>{body}</body></html>"
    )


def _ring_section(rings: pd.DataFrame, shown: int = 50) -> list[str]:
    kinds = rings["kind"].value_counts()
    as_of = rings.attrs.get("as_of")
    table = rings.drop(columns=["approved_at"]).head(shown)
    text = t(
        "monitoring.rings_text",
        as_of=as_of,
        confirmed=int(kinds.get("confirmed_ring", 0)),
        clusters=int(kinds.get("new_cluster", 0)),
        leases=rings["application_id"].nunique(),
        shown=t("monitoring.rings_shown", shown=shown) if len(rings) > shown else "",
    )
    return [
        f"<h2>{html.escape(t('monitoring.rings'))}</h2>",
        f"<p class='note'>{html.escape(text)}</p>",
        _html_table(table) if len(table) else f"<p>{html.escape(t('monitoring.no_alert'))}</p>",
    ]


def monitoring_report(mon: Monitoring, out: str | os.PathLike, language: str | None = None) -> Path:
    """Write the standalone HTML report (embedded PNG plots; no Jupyter needed), atomically.

    ``language`` (``en`` or ``zh-CN``) is the report's language; by default the release
    config's ``report.language`` (``mon.params["language"]``), else English."""
    out = Path(out)
    doc = alerts_document(mon)
    with use_language(language or mon.params.get("language") or "en"):
        text = _report_html(mon, doc)
    with atomic_output(out, "monitoring report") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def write_monitoring(
    out_dir: str | os.PathLike, mon: Monitoring, report: bool = True, language: str | None = None
) -> list[Path]:
    """Write ``monitoring_alerts.json``, ``monitoring_stability.csv``,
    ``monitoring_performance.csv``, ``monitoring_grades.csv``, ``monitoring_checks.csv``, the
    fraud tables and ``monitoring_ring_alerts.csv`` when present and
    ``monitoring_report.html`` (in ``language``, see :func:`monitoring_report`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_json(out / "monitoring_alerts.json", alerts_document(mon))]
    tables = {
        "monitoring_stability.csv": mon.stability,
        "monitoring_unseen.csv": mon.unseen,
        "monitoring_performance.csv": mon.performance,
        "monitoring_grades.csv": mon.grades,
        "monitoring_checks.csv": mon.checks,
        "monitoring_fraud_weekly.csv": mon.fraud_weekly,
        "monitoring_fraud_partners.csv": mon.fraud_partners,
        "monitoring_ring_alerts.csv": mon.ring_alerts,
    }
    for name, frame in tables.items():
        if frame is not None:
            frame.to_csv(out / name, index=False, float_format="%.10g")
            files.append(out / name)
    if report:
        files.append(monitoring_report(mon, out / "monitoring_report.html", language))
    return files


def write_release_monitoring(
    out_dir: str | os.PathLike, baseline, mon: Monitoring | None, comparison=None
) -> list[Path]:
    """What notebook 10 writes into a release: ``monitoring_baseline.json`` (a model artifact),
    the monitoring of the months after development (:func:`write_monitoring`) and, with a
    champion, ``champion_comparison.csv`` / ``.json``."""

    files = [write_baseline(baseline, out_dir)]
    if mon is not None:
        files += write_monitoring(out_dir, mon)
    return files + write_comparison(comparison, out_dir)
