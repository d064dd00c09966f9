"""Monitor new cohorts against a release's baseline: stability, performance, fraud, checks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.errors import DataError
from riskresearch.metrics import psi
from riskresearch.monitoring._common import SCORE, dtype_kind, worst
from riskresearch.monitoring.alerts import alert_list
from riskresearch.monitoring.baseline import Baseline
from riskresearch.monitoring.counts import dask_counts, frame_counts
from riskresearch.monitoring.rings import ring_alerts, ring_inputs
from riskresearch.monitoring.signals import fraud_scores, fraud_signals, scores_of
from riskresearch.monitoring.stats import (
    ae_table,
    auc_se,
    expected_by_grade,
    histogram_auc_ks,
    z_of,
)
from riskresearch.tables import filter_mask

CHECK_COLUMNS = ["month", "raised", "kind", "subject", "value", "threshold", "severity", "detail"]


@dataclass
class Monitoring:
    """Monitoring of new cohorts against a baseline.

    Attributes
    ----------
    months : list of str
        Monitored months (``'YYYY-MM'``).
    stability : DataFrame
        ``month, variable, rows, psi, noise_floor, severity`` (``variable`` ``score`` or a
        scorecard feature).
    unseen : DataFrame
        ``month, variable, rows, unseen_rows, share, values`` (never-seen categories).
    performance : DataFrame
        Per month and outcome (target and early indicators): ``n, events, rate, expected,
        expected_rate, ae, ae_low, ae_high, mean_pd, auc, ks, auc_se, severity``.
    grades : DataFrame
        Per month, outcome and grade: ``n, events, rate, expected_rate``.
    fraud_weekly, fraud_partners : DataFrame or None
        Fraud model flag shares (with a fraud model and a warehouse).
    ring_alerts : DataFrame or None
        With a warehouse: the fraud-ring early warning on the leases active at its as-of date,
        dated from the first monitored month (:func:`riskresearch.monitoring.rings.ring_alerts`);
        None without one, or when it lacks what the links need
        (``params["ring_alerts_skipped"]`` says why).
    checks : DataFrame
        Every check: ``month, kind, subject, value, threshold, severity, detail``.
    counts : DataFrame
        The summed count tables everything above was computed from.
    """

    baseline: Baseline
    months: list[str]
    stability: pd.DataFrame
    unseen: pd.DataFrame
    performance: pd.DataFrame
    grades: pd.DataFrame
    checks: pd.DataFrame
    counts: pd.DataFrame
    fraud_weekly: pd.DataFrame | None = None
    fraud_partners: pd.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)
    ring_alerts: pd.DataFrame | None = None

    def month_severity(self, by: str = "raised") -> pd.Series:
        """Worst severity of each monitored month: of the checks raised in it (``by="raised"``:
        stability at once, an outcome when it is first observed) or of its cohort
        (``by="month"``)."""
        out = {m: "green" for m in self.months}
        for m, g in self.checks.groupby(by):
            if m in out:
                out[m] = worst(g["severity"])
        return pd.Series(out, name="severity")

    def alerts(self) -> list[dict[str, Any]]:

        return alert_list(self.checks, self.months)

    def alert_table(self) -> pd.DataFrame:
        """The alert list as a table (severity, kind, subject, since, last, message)."""
        cols = ["severity", "kind", "subject", "since", "last", "worst_value", "message"]
        return pd.DataFrame([{k: a[k] for k in cols} for a in self.alerts()], columns=cols)


def _column_checks(columns: dict[str, Any], baseline: Baseline, first: str) -> list[dict]:
    """Missing monitored columns and changed column types (from dtypes only: no rows read)."""
    checks = []
    seen = set()
    for info in baseline.data["features"].values():
        name = info["feature"]
        if name in seen:
            continue
        seen.add(name)
        if name not in columns:
            checks.append(
                _check(
                    first,
                    "missing_feature",
                    name,
                    1.0,
                    None,
                    "red",
                    f"scorecard feature '{name}' is missing from the new data: every row "
                    "scores as Missing; add the column",
                )
            )
            continue
        was, now = info.get("column_kind"), dtype_kind(columns[name])
        if was is not None and was != now:
            sev = "red" if info["dtype"] == "numerical" and now == "text" else "amber"
            checks.append(
                _check(
                    first,
                    "dtype",
                    name,
                    1.0,
                    None,
                    sev,
                    f"column '{name}' was {was} in development and is {now} ({columns[name]}) "
                    "now; text in a numerical feature is counted as Unseen and scored as Missing",
                )
            )
    return checks


def _check(month, kind, subject, value, threshold, severity, detail, lag=0) -> dict[str, Any]:
    return {
        "month": month,
        "raised": str(pd.Period(month, freq="M") + int(lag)),
        "kind": kind,
        "subject": str(subject),
        "value": None if value is None else float(value),
        "threshold": None if threshold is None else float(threshold),
        "severity": severity,
        "detail": detail,
    }


def monitor(
    baseline: Baseline,
    data,
    fraud=None,
    warehouse: str | os.PathLike | None = None,
    months: tuple[str | None, str | None] | None = None,
    fraud_scored: pd.DataFrame | None = None,
) -> Monitoring:
    """Monitor the cohorts of ``data`` after the baseline's development window.

    Parameters
    ----------
    baseline : Baseline
        The release's baseline (:meth:`Baseline.read` or :func:`build_baseline`).
    data : pandas.DataFrame or dask.dataframe.DataFrame
        Modeling-table rows (any months; only the baseline's population is used). A Dask frame
        is counted partition by partition: its rows are never collected.
    fraud : riskresearch.fraud.FraudScorer, optional
        With ``warehouse``: fraud flag shares per week and partner (pandas only).
    warehouse : path-like, optional
        The warehouse of ``data`` (fraud features, and the ring alerts on its active leases).
    months : (first, last), optional
        Monitored months as ``'YYYY-MM'`` (default: from the month after the development
        window, or ``monitoring.monitor_from``, to the last month of the data).
    fraud_scored : DataFrame, optional
        :func:`~riskresearch.monitoring.signals.fraud_scores` of ``fraud`` on the
        ``warehouse``'s applications, if already computed (else computed here).

    Raises
    ------
    DataError
        The monitored months hold no application of the baseline's population.
    """
    d = baseline.data
    th = d["thresholds"]
    first = months[0] if months and months[0] else _next_month(d["development"]["last_month"])
    last = months[1] if months else None
    spec = baseline.spec([first, last])
    columns = dict(data.dtypes.items())
    need = [*spec["population"], spec["date_column"]]
    absent = [c for c in need if c not in columns]
    if absent:
        raise DataError(
            f"The new data lacks column(s) {absent} that select the monitored applications "
            f"(filter {spec['population']}, date column '{spec['date_column']}'). Add them."
        )
    is_dask = hasattr(data, "map_partitions") and not isinstance(data, pd.DataFrame)
    counts = dask_counts(data, spec) if is_dask else frame_counts(data, spec)
    stab = counts[(counts["kind"] == "stability") & (counts["variable"] == SCORE)]
    if stab.empty:
        raise DataError(
            f"The new data holds no application of the monitored population {spec['population']} "
            f"from {first}{' to ' + last if last else ''} (the development window ends "
            f"{d['development']['last_month']}). Give data with later applications."
        )
    month_list = sorted(stab["month"].unique())
    checks = _column_checks(columns, baseline, month_list[0])
    stability, stab_checks = _stability(counts, baseline, th)
    unseen, unseen_checks = _unseen(counts, baseline, th)
    performance, grades, perf_checks = _performance(counts, baseline, th)
    checks += stab_checks + unseen_checks + perf_checks
    weekly = partners = None
    if fraud is not None and warehouse is not None and d.get("fraud"):
        if is_dask:
            raise DataError("Fraud signals need a pandas frame; drop fraud= for Dask data.")
        weekly, partners, fraud_checks = _fraud(
            baseline, data, fraud, warehouse, spec, th, fraud_scored
        )
        weekly = weekly[weekly["month"].isin(month_list)].reset_index(drop=True)
        partners = partners[partners["month"].isin(month_list)].reset_index(drop=True)
        checks += [c for c in fraud_checks if c["month"] in month_list]
    rings, rings_skipped = None, None
    if warehouse is not None:
        # an add-on: a warehouse without the link ids or fraud cases still gets monitored
        rings_skipped = ring_inputs(warehouse)
        if rings_skipped is None:
            rings = ring_alerts(warehouse, since=f"{month_list[0]}-01")
    check_frame = pd.DataFrame(checks, columns=CHECK_COLUMNS)
    return Monitoring(
        baseline=baseline,
        months=month_list,
        stability=stability,
        unseen=unseen,
        performance=performance,
        grades=grades,
        checks=check_frame.sort_values(["raised", "month", "kind"], kind="stable").reset_index(
            drop=True
        ),
        counts=counts,
        fraud_weekly=weekly,
        fraud_partners=partners,
        params={
            "first": first,
            "last": last or month_list[-1],
            "dask": is_dask,
            "ring_alerts_skipped": rings_skipped,
        },
        ring_alerts=rings,
    )


def _next_month(month: str) -> str:
    p = pd.Period(month, freq="M") + 1
    return str(p)


def _severity(value: float, amber: float, red: float) -> str:
    """green / amber / red for a value against its two thresholds (higher is worse)."""
    return "red" if value >= red else "amber" if value >= amber else "green"


def _severity_psi(value: float, floor: float, th: dict) -> str:
    sev = _severity(value, th["psi_amber"], th["psi_red"])
    if sev == "green" and value >= th["drift_min"] and value >= th["drift_factor"] * floor:
        return "amber"  # small, but beyond what development months drift among themselves
    return sev


def _stability(counts: pd.DataFrame, baseline: Baseline, th: dict):
    d = baseline.data
    base = {SCORE: d["score"], **d["features"]}
    rows, checks = [], []
    stab = counts[counts["kind"] == "stability"]
    for (month, variable), g in stab.groupby(["month", "variable"], sort=True):
        b = base[variable]
        k = len(b["counts"])
        actual = np.zeros(k)
        actual[g["bin"].to_numpy(dtype=int)] = g["n"].to_numpy()
        n = actual.sum()
        value = psi(actual, b["counts"])
        # the floor was measured on months of mean_month_rows; smaller months are noisier
        floor = b["noise_floor"] * max(1.0, b["mean_month_rows"] / n)
        sev = _severity_psi(value, floor, th)
        rows.append(
            {
                "month": month,
                "variable": variable,
                "rows": int(n),
                "psi": value,
                "noise_floor": floor,
                "severity": sev,
            }
        )
        kind = "psi" if variable == SCORE else "csi"
        checks.append(
            _check(
                month,
                kind,
                variable,
                value,
                th["psi_amber"],
                sev,
                f"{'PSI of the score' if variable == SCORE else f'CSI of {variable}'} "
                f"{value:.3f} (amber {th['psi_amber']}, red {th['psi_red']}; development "
                f"noise floor {floor:.3f})",
            )
        )
    return pd.DataFrame(rows), checks


def _unseen(counts: pd.DataFrame, baseline: Baseline, th: dict):
    stab = counts[(counts["kind"] == "stability") & (counts["variable"] != SCORE)]
    unseen_vals = counts[counts["kind"] == "unseen"]
    rows, checks = [], []
    for (month, variable), g in stab.groupby(["month", "variable"], sort=True):
        k = len(baseline.data["features"][variable]["counts"])
        n = int(g["n"].sum())
        u = int(g.loc[g["bin"] == k - 1, "n"].sum())
        if not u:
            continue
        share = u / n
        vals = unseen_vals[(unseen_vals["month"] == month) & (unseen_vals["variable"] == variable)]
        top = vals.sort_values(["n", "text"], ascending=[False, True]).head(8)
        shown = ", ".join(f"{t} ({c})" for t, c in zip(top["text"], top["n"], strict=True))
        sev = _severity(share, th["unseen_amber"], th["unseen_red"])
        rows.append(
            {
                "month": month,
                "variable": variable,
                "rows": n,
                "unseen_rows": u,
                "share": share,
                "values": shown,
                "severity": sev,
            }
        )
        checks.append(
            _check(
                month,
                "unseen_categories",
                variable,
                share,
                th["unseen_amber"],
                sev,
                f"{share:.1%} of rows have {variable} values never seen in development: {shown}",
            )
        )
    cols = ["month", "variable", "rows", "unseen_rows", "share", "values", "severity"]
    return pd.DataFrame(rows, columns=cols), checks


def _performance(counts: pd.DataFrame, baseline: Baseline, th: dict):
    d = baseline.data
    perf = counts[counts["kind"] == "performance"]
    by_grade = expected_by_grade(perf, baseline.grades, baseline.expected_rates())
    level = th["confidence"]
    if by_grade.empty:
        return pd.DataFrame(), by_grade, []
    table = ae_table(by_grade, ["month", "outcome"], level)
    target = d["population"]["target"]
    extra = []
    for (month, outcome), g in perf.groupby(["month", "variable"], sort=True):
        auc, ks = histogram_auc_ks(g["bin"], g["n"], g["events"])
        nb = float(g["events"].sum())
        ng = float(g["n"].sum()) - nb
        pdv = baseline.scorer.pd_from_score(g["bin"].to_numpy(dtype=float))
        extra.append(
            {
                "month": month,
                "outcome": outcome,
                "mean_pd": float((g["n"] * pdv).sum() / g["n"].sum()),
                "auc": auc,
                "ks": ks,
                "auc_se": auc_se(auc, nb, ng),
            }
        )
    table = table.merge(pd.DataFrame(extra), on=["month", "outcome"], how="left")
    z = z_of(level)
    lags = th.get("outcome_lag_months", {})
    expected_auc = d["discrimination"]["expected_auc"]
    checks, sevs = [], []
    for r in table.itertuples(index=False):
        enough = r.n >= th["min_rows"] and r.expected >= 5
        sev = "green"
        if enough and r.ae_low > 1 and r.ae >= th["ae_amber"]:
            # red: at least ae_red and significantly above the amber ratio, so a small cohort's
            # chance excess stays amber
            sev = "red" if r.ae >= th["ae_red"] and r.ae_low >= th["ae_amber"] else "amber"
        sevs.append(sev)
        checks.append(
            _check(
                r.month,
                "actual_vs_expected",
                r.outcome,
                r.ae,
                th["ae_amber"],
                sev,
                f"{r.outcome} rate {r.rate:.2%} vs {r.expected_rate:.2%} expected from the "
                f"development grades: actual/expected {r.ae:.2f} ({level:.0%} interval "
                f"{r.ae_low:.2f}-{r.ae_high:.2f}, {int(r.n)} rows)",
                lag=lags.get(r.outcome, 0),
            )
        )
        if r.outcome == target and np.isfinite(r.auc):
            drop = expected_auc - r.auc
            nb = r.events
            significant = drop > z * r.auc_se
            a_sev = "green"
            if r.n >= th["min_rows"] and nb >= 10 and significant:
                a_sev = _severity(drop, th["auc_amber"], th["auc_red"])
            checks.append(
                _check(
                    r.month,
                    "auc",
                    r.outcome,
                    r.auc,
                    expected_auc - th["auc_amber"],
                    a_sev,
                    f"AUC {r.auc:.3f} vs {expected_auc:.3f} expected (drop {drop:+.3f}, "
                    f"s.e. {r.auc_se:.3f}, {int(nb)} bads)",
                    lag=lags.get(r.outcome, 0),
                )
            )
    table["severity"] = sevs
    return table, by_grade, checks


def _fraud(baseline: Baseline, data: pd.DataFrame, fraud, warehouse, spec, th, scored=None):

    id_col = baseline.data["population"]["id_column"]
    if not id_col or id_col not in data.columns:
        raise DataError("Fraud signals need the application id column in the new data.")
    rows = data[filter_mask(data, spec["population"])]
    ids = rows[id_col]
    scored = fraud_scores(fraud, warehouse, ids) if scored is None else scores_of(scored, ids)
    base = baseline.data["fraud"]
    weekly, partners = fraud_signals(scored, base, th["confidence"])
    checks = []
    for r in weekly.itertuples(index=False):
        sev = "amber" if r.ae_low > 1 and r.ae >= th["fraud_ratio"] else "green"
        checks.append(
            _check(
                r.month,
                "fraud_week",
                f"week of {pd.Timestamp(r.week).date()}",
                r.share,
                base["flagged_share"] * th["fraud_ratio"],
                sev,
                f"fraud model flags {r.share:.2%} of {int(r.n)} applications (development "
                f"{base['flagged_share']:.2%}; x{r.ae:.1f})",
            )
        )
    for r in partners.itertuples(index=False):
        if r.n < th["min_rows"]:
            continue
        sev = "amber" if r.ae_low > 1 and r.ae >= th["fraud_partner_ratio"] else "green"
        checks.append(
            _check(
                r.month,
                "fraud_partner",
                f"partner {r.partner_id}",
                r.share,
                r.expected_share * th["fraud_partner_ratio"],
                sev,
                f"fraud model flags {r.share:.2%} of partner {r.partner_id}'s {int(r.n)} "
                f"applications (expected {r.expected_share:.2%}: its development share, at "
                f"least the portfolio's; x{r.ae:.1f})",
            )
        )
    return weekly, partners, checks
