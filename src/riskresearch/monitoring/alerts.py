"""The alert list: what moved, how much, since when, how severe."""

from __future__ import annotations

from typing import Any

import pandas as pd

from riskresearch.monitoring._common import ALERTS_FORMAT, RANK, worst
from riskresearch.textfmt import json_number


def alert_list(checks: pd.DataFrame, months: list[str]) -> list[dict[str, Any]]:
    """One alert per check (kind and subject) that was amber or red in some month.

    Each alert names the ``kind`` (``psi``, ``csi``, ``unseen_categories``,
    ``actual_vs_expected``, ``auc``, ``missing_feature``, ``dtype``, ``fraud_week``,
    ``fraud_partner``), the ``subject`` (variable, outcome, week or partner), its worst
    ``severity``, ``since`` (first month at amber or worse), ``last`` (latest such month),
    ``raised`` (the first month the evidence was observable: an outcome's cohort month plus
    its ``outcome_lag_months``), ``latest_value`` and ``worst_value``, the ``months`` (cohorts)
    at each severity and the message of its
    worst month. Sorted red first, then by ``since``.
    """
    out = []
    if checks.empty:
        return out
    fired = checks[checks["severity"] != "green"]
    for (kind, subject), g in fired.groupby(["kind", "subject"], sort=True):
        g = g.sort_values("month", kind="stable")
        sev = worst(g["severity"])
        top = g[g["severity"] == sev].iloc[0]
        out.append(
            {
                "kind": kind,
                "subject": subject,
                "severity": sev,
                "since": g["month"].iloc[0],
                "raised": g["raised"].min(),
                "last": g["month"].iloc[-1],
                "latest_value": json_number(g["value"].iloc[-1]),
                "worst_value": json_number(top["value"]),
                "threshold": json_number(top["threshold"]),
                "months": {
                    s: sorted(g.loc[g["severity"] == s, "month"].tolist())
                    for s in ("amber", "red")
                    if (g["severity"] == s).any()
                },
                "message": f"{top['month']}: {top['detail']}",
            }
        )
    out.sort(key=lambda a: (-RANK[a["severity"]], a["since"], a["kind"], a["subject"]))
    return out


def alerts_document(mon, alerts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The content of ``monitoring_alerts.json``."""

    alerts = mon.alerts() if alerts is None else alerts
    sev = mon.month_severity()
    doc = {
        "format": ALERTS_FORMAT,
        "model": mon.baseline.data["model"],
        "development": {
            k: mon.baseline.data["development"][k] for k in ("first_month", "last_month")
        },
        "monitored": {"first": mon.months[0], "last": mon.months[-1]},
        "severity": worst(sev.tolist()),
        "red": sum(a["severity"] == "red" for a in alerts),
        "amber": sum(a["severity"] == "amber" for a in alerts),
        "months": {m: sev[m] for m in mon.months},
        "cohorts": dict(mon.month_severity("month").items()),
        "alerts": alerts,
    }
    rings = getattr(mon, "ring_alerts", None)
    if rings is not None:
        doc["ring_alerts"] = ring_document(rings)
    return doc


def ring_document(rings: pd.DataFrame) -> dict[str, Any]:
    """The fraud-ring early warning of ``monitoring_alerts.json``: counts by kind and the
    dated list (newest first)."""
    as_of = rings.attrs.get("as_of")
    records = []
    for r in rings.to_dict("records"):
        r["alert_date"] = r["alert_date"].strftime("%Y-%m-%d")
        r["approved_at"] = r["approved_at"].isoformat()
        records.append({k: (int(v) if hasattr(v, "dtype") else v) for k, v in r.items()})
    return {
        "as_of": None if as_of is None else str(as_of),
        "leases": int(rings["application_id"].nunique()),
        "kinds": {k: int((rings["kind"] == k).sum()) for k in ("confirmed_ring", "new_cluster")},
        "alerts": records,
    }
