"""Fraud rules of the decision engine: the ring list and the fraud-score thresholds."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError
from riskresearch.features import connect, warehouse_as_of
from riskresearch.fraud import FraudScorer, fraud_features


# ------------------------------------------------------------------------------------------
# fraud inputs of the decision engine
# ------------------------------------------------------------------------------------------
def fraud_rings(warehouse, keys=("device_fingerprint_id", "contact_phone_id"), as_of=None):
    """Hashed ids (device fingerprints, contact phones, addresses) of applications whose
    fraud was confirmed as a ring case by ``as_of`` (default: the warehouse's as-of date).

    Returns
    -------
    pandas.DataFrame
        Columns ``key`` (the id column) and ``value`` (the id), sorted, no duplicates.
    """

    allowed = ("device_fingerprint_id", "contact_phone_id", "address_id")
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise ConfigError(f"fraud_rings: unknown key(s) {bad}. Choose among {list(allowed)}.")
    con = connect(warehouse)
    try:
        as_of = as_of or warehouse_as_of(con)
        if as_of is None:
            raise ConfigError(
                f"The warehouse '{warehouse}' records no as-of date. Pass as_of to fraud_rings."
            )
        parts = [
            f"SELECT '{k}' AS key, CAST(a.{k} AS BIGINT) AS value FROM fraud_cases f "
            f"JOIN applications a USING (application_id) WHERE f.fraud_type = 'ring' "
            f"AND f.confirmed_on <= $as_of AND a.{k} IS NOT NULL"
            for k in keys
        ]
        if not parts:
            return pd.DataFrame({"key": pd.Series(dtype=str), "value": pd.Series(dtype="int64")})
        sql = " UNION ".join(parts) + " ORDER BY key, value"
        frame = con.execute(sql, {"as_of": as_of}).df()
    finally:
        con.close()
    return frame.astype({"key": str, "value": "int64"}).reset_index(drop=True)


def fraud_thresholds(scores, decline_rate: float, review_rate: float) -> dict[str, float | None]:
    """Fraud-score thresholds that decline / refer the given shares of ``scores`` (recent
    applications): the ``1 - rate`` quantiles; None for a rate of 0 or no scores."""
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]

    def q(rate):
        if rate <= 0 or not s.size:
            return None
        return float(np.quantile(s, 1.0 - rate, method="higher"))

    return {"decline_score": q(decline_rate), "review_score": q(review_rate)}


def fraud_policy(
    cfg: ModelConfig, release_dir: str | os.PathLike, frame: pd.DataFrame | None = None
) -> tuple[dict[str, float | None] | None, pd.DataFrame]:
    """Fraud-score thresholds and the ring list of the decision engine.

    The thresholds decline / refer ``strategy.fraud_decline_rate`` / ``fraud_review_rate`` of
    the applications of the last ``fraud.test_months`` months, scored by the release's fraud
    model (``fraud.txt`` in ``release_dir``); the ring list is :func:`fraud_rings` of the
    warehouse. Without a fraud model the thresholds are None; without a warehouse the ring
    list is empty.

    Parameters
    ----------
    cfg : ModelConfig
    release_dir : path-like
        Folder holding ``fraud.txt`` / ``fraud.json`` (the release being built).
    frame : DataFrame, optional
        :func:`riskresearch.fraud.fraud_features` of the warehouse, if already computed.
    """

    empty = pd.DataFrame({"key": pd.Series(dtype=str), "value": pd.Series(dtype="int64")})
    if cfg.data.warehouse is None:
        return None, empty
    rings = fraud_rings(cfg.data.warehouse, cfg.strategy.ring_keys)
    if not (Path(release_dir) / "fraud.txt").is_file():
        return None, rings
    scorer = FraudScorer.read(release_dir)
    if frame is None:
        frame = fraud_features(cfg.data.warehouse)
    month = pd.to_datetime(frame["application_month"])
    months = np.sort(month.unique())
    recent = frame[(month >= months[-min(cfg.fraud.test_months, len(months))]).to_numpy()]
    scores = scorer.fraud_score(recent).to_numpy()
    s = cfg.strategy
    return fraud_thresholds(scores, s.fraud_decline_rate, s.fraud_review_rate), rings
