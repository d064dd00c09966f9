"""Fraud and partner signals: the share of applications the release's fraud model flags, per
week and per partner and month, against the development share."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.errors import DataError
from riskresearch.features import connect, warehouse_as_of
from riskresearch.fraud import fraud_features
from riskresearch.monitoring._common import month_of
from riskresearch.monitoring.stats import ae_table


def with_early_indicators(
    table: pd.DataFrame, warehouse: str | os.PathLike, as_of=None
) -> pd.DataFrame:
    """The modeling table plus ``dpd30_3m`` (ever 30+ days past due on one of the first 3
    instalments) and its maturity flag ``dpd30_3m_mature``, from the warehouse's instalments
    (``sql/partner_leases.sql``); rows without a lease get NaN / False."""
    from importlib import resources

    con = connect(warehouse)
    try:
        as_of = as_of or warehouse_as_of(con)
        if as_of is None:
            raise DataError(f"The warehouse '{warehouse}' records no as-of date. Pass as_of.")
        sql = resources.files("riskresearch").joinpath("sql/partner_leases.sql").read_text()
        leases = con.execute(sql, {"as_of": as_of}).df()
    finally:
        con.close()
    leases = leases[["application_id", "dpd30_3m", "dpd30_3m_mature"]]
    out = table.drop(columns=[c for c in ("dpd30_3m", "dpd30_3m_mature") if c in table.columns])
    out = out.merge(leases, on="application_id", how="left")
    out["dpd30_3m_mature"] = out["dpd30_3m_mature"].fillna(False).astype(bool)
    out["dpd30_3m"] = out["dpd30_3m"].astype(float)
    return out


def fraud_scores(fraud, warehouse: str | os.PathLike, ids=None) -> pd.DataFrame:
    """``application_id, partner_id, applied_at, fraud_score`` of the warehouse's applications
    (point-in-time fraud features), optionally only the ``ids`` given."""

    feats = fraud_features(warehouse)
    if ids is not None:
        feats = feats[feats["application_id"].isin(pd.Series(ids))]
    score = fraud.fraud_score(feats).to_numpy()
    return pd.DataFrame(
        {
            "application_id": feats["application_id"].to_numpy(),
            "partner_id": feats["partner_id"].to_numpy(),
            "applied_at": pd.to_datetime(feats["applied_at"]).to_numpy(),
            "fraud_score": score,
        }
    )


def scores_of(scored: pd.DataFrame, ids) -> pd.DataFrame:
    """The rows of ``scored`` (:func:`fraud_scores`) of the applications in ``ids``."""
    return scored[scored["application_id"].isin(pd.Series(ids))].reset_index(drop=True)


def fraud_baseline(
    scored: pd.DataFrame,
    warehouse: str | os.PathLike,
    rows: pd.DataFrame,
    id_column: str | None,
    strategy: dict[str, Any] | None,
    review_rate: float,
) -> dict[str, Any]:
    """Flag threshold (``strategy.json``'s fraud review score, else the development quantile
    that flags ``review_rate``) and the development flagged share, from ``scored``
    (:func:`fraud_scores` of the ``warehouse``'s applications) of the development ``rows``."""
    if not id_column or id_column not in rows.columns:
        raise DataError("Fraud monitoring needs data.id_column (the application id) in the table.")
    scored = scores_of(scored, rows[id_column])
    if scored.empty:
        raise DataError(
            f"None of the development applications is in the warehouse '{warehouse}'. Point "
            "data.warehouse at the warehouse of data.table."
        )
    review = ((strategy or {}).get("fraud") or {}).get("review_score")
    if review is not None:
        threshold, source = float(review), "strategy.json fraud.review_score"
    else:
        threshold = float(np.quantile(scored["fraud_score"], 1 - review_rate))
        source = f"development quantile flagging {review_rate:.1%}"
    flagged = scored["fraud_score"].to_numpy() >= threshold
    by_partner = (
        pd.DataFrame({"partner_id": scored["partner_id"].astype(str), "f": flagged})
        .groupby("partner_id", sort=True)["f"]
        .agg(["size", "sum"])
    )
    return {
        "threshold": threshold,
        "threshold_source": source,
        "rows": len(scored),
        "flagged": int(flagged.sum()),
        "flagged_share": float(flagged.mean()),
        "partners": {str(k): [int(r["size"]), int(r["sum"])] for k, r in by_partner.iterrows()},
    }


def fraud_signals(
    scored: pd.DataFrame, base: dict[str, Any], level: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flagged share per week and per partner and month, with actual/expected against the
    development share (score interval, :func:`riskresearch.partners.stats.ae_stats`).

    Returns
    -------
    weekly, partners : DataFrame
        ``week`` (Monday) / ``partner_id`` and ``month``, ``n``, ``flagged`` (as ``events``),
        ``share``, ``ae``, ``ae_low``, ``ae_high``.
    """
    p = base["flagged_share"]
    flagged = scored["fraud_score"].to_numpy() >= base["threshold"]
    when = pd.to_datetime(scored["applied_at"])
    frame = pd.DataFrame(
        {
            "week": (when - pd.to_timedelta(when.dt.day_of_week, unit="D")).dt.normalize(),
            "month": month_of(when).to_numpy(),
            "partner_id": scored["partner_id"].to_numpy(),
            "events": flagged.astype(np.int64),
            "n": 1,
        }
    )
    frame["expected"] = p
    frame["expected_sq"] = p * p
    frame["expected_rate"] = p
    weekly = ae_table(frame, ["week"], level)
    weekly["month"] = month_of(weekly["week"]).to_numpy()
    # a partner is compared with its own development share (at least the portfolio's), so a
    # partner that always drew flags alerts only when it gets worse; a new partner is compared
    # with the portfolio's share
    own = {k: max(p, (f + 0.5) / (n + 1.0)) for k, (n, f) in (base.get("partners") or {}).items()}
    q = frame["partner_id"].astype(str).map(own).fillna(p).to_numpy(dtype=float)
    frame["expected"], frame["expected_sq"], frame["expected_rate"] = q, q * q, q
    partners = ae_table(frame, ["partner_id", "month"], level)
    names = {"rate": "share", "expected_rate": "expected_share"}
    return weekly.rename(columns=names), partners.rename(columns=names)
