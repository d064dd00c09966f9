"""The collection score: probability that a delinquency episode cures within a window, a WOE
scorecard fitted on early entry months and evaluated out of time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.arrears._common import open_warehouse, positive_int, run_query
from riskresearch.arrears.tracking import episode_frame
from riskresearch.binning import WoeBinner
from riskresearch.errors import DataError
from riskresearch.scorecard import Scorecard
from riskresearch.selection import FeatureSelector

#: Candidate features of the collection score (observed the day an episode starts).
COLLECTION_FEATURES: tuple[str, ...] = (
    "installment_no",
    "installments_left",
    "lease_term_months",
    "device_category",
    "model_tier",
    "monthly_rent",
    "price_vs_retail",
    "deposit_share",
    "partner",
    "segment",
    "platform_credit_score",
    "occupation",
    "stated_monthly_income",
    "payment_to_income",
    "max_dpd_24m",
    "lenders_6m",
    "utilisation",
    "inquiries_3m",
    "mean_days_late",
    "max_days_late",
    "late_share",
    "prior_episodes",
    "prior_max_dpd",
    "days_since_cure",
    "other_max_dpd",
)


def collection_score_data(
    db: str | os.PathLike, as_of=None, cure_within_days: int = 30
) -> pd.DataFrame:
    """One row per delinquency episode, with features as of the day it entered 1-29 dpd and
    the target: cured within ``cure_within_days`` days.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse (``orders``, ``installments``, ``applications``, ``bureau_reports``,
        ``prior_leases``).
    as_of : datetime.date or str, optional
        Last observed day.
    cure_within_days : int, default 30
        Cure window from the entry day (the first day past due).

    Returns
    -------
    pandas.DataFrame
        The episode columns of :func:`delinquency_episodes`, ``entry_month``, the candidate
        features (:data:`COLLECTION_FEATURES` and a few more; each uses only events dated
        before the entry day), ``mature`` (the window ended by ``as_of``), ``cured`` (1 = every
        overdue instalment paid within the window) and ``rolled`` (``1 - cured``, the bad
        class of the score); both NaN while immature.
    """
    owner = "collection_score_data"
    window = positive_int(cure_within_days, "cure_within_days", owner)
    with open_warehouse(db, "score", as_of, owner) as (con, as_of):
        ep = episode_frame(con, as_of)
        con.register("episodes", ep)
        feats = run_query(con, "arrears_score_features", as_of)
        con.unregister("episodes")
    feats = feats.drop(columns=["entered_on"])
    frame = ep.merge(feats, on=["application_id", "episode_no"], how="left", validate="1:1")
    frame.insert(3, "entry_month", frame["entered_on"].dt.to_period("M").dt.to_timestamp())
    end = frame["entered_on"] + pd.Timedelta(days=window)
    frame["mature"] = end <= pd.Timestamp(as_of)
    cured = (frame["cured_on"].notna() & (frame["cured_on"] <= end)).astype(float)
    frame["cured"] = cured.where(frame["mature"])
    frame["rolled"] = 1.0 - frame["cured"]
    frame.attrs["as_of"] = as_of
    frame.attrs["cure_within_days"] = window
    return frame


@dataclass
class CollectionScore:
    """A developed collection score (see :func:`develop_collection_score`).

    Attributes
    ----------
    model : Scorecard
        WOE scorecard of ``rolled`` (1 = not cured in the window); a higher score means more
        likely to cure. ``model.to_json()`` is the text artifact.
    features : list of str
        Candidate features given to the scorecard.
    train, oot : pandas.DataFrame
        Development and out-of-time episodes with ``score`` and ``p_cure``.
    metrics : dict
        AUC, Gini and KS on the development and out-of-time rows, sizes, cure rates, dates.
    bands : pandas.DataFrame
        :func:`riskresearch.metrics.band_table` of the out-of-time rows by score (riskiest
        band = least likely to cure first).
    """

    model: Scorecard
    features: list[str]
    train: pd.DataFrame
    oot: pd.DataFrame
    metrics: dict[str, Any]
    bands: pd.DataFrame

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Collection score of every row (higher = more likely to cure)."""
        return self.model.predict_score(frame[self.model.features_])

    def p_cure(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of curing within the window implied by the score."""
        return self.model.predict_proba(frame[self.model.features_])[:, 0]


def develop_collection_score(
    data,
    as_of=None,
    oot_months: int = 4,
    seed: int = 0,
    features=None,
) -> CollectionScore:
    """Fit the collection score on early entry months and evaluate it on the latest ones.

    Parameters
    ----------
    data : path-like or pandas.DataFrame
        A warehouse, or the output of :func:`collection_score_data`.
    as_of : datetime.date or str, optional
        Last observed day (only with a warehouse path).
    oot_months : int, default 4
        The last ``oot_months`` entry months with a complete cure window are the out-of-time
        sample; earlier months are the development sample.
    seed : int, default 0
        Recorded with the metrics. The development is deterministic: WOE binning, the IV,
        correlation and VIF filters and a logistic regression draw no random numbers.
    features : list of str, optional
        Candidate features; default :data:`COLLECTION_FEATURES`.

    Returns
    -------
    CollectionScore

    Examples
    --------
    >>> cs = develop_collection_score("data/leasing.duckdb", seed=7)   # doctest: +SKIP
    >>> cs.metrics["oot_ks"]                                          # doctest: +SKIP
    """
    owner = "develop_collection_score"
    oot_months = positive_int(oot_months, "oot_months", owner)
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = collection_score_data(data, as_of)
    features = list(features) if features is not None else list(COLLECTION_FEATURES)
    needed = ["entry_month", "mature", "rolled", *features]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{owner}: the data lacks column(s) {', '.join(missing)}. Pass the output of "
            "collection_score_data() or choose features among its columns."
        )
    mature = frame[frame["mature"].astype(bool)]
    months = sorted(mature["entry_month"].unique())
    if len(months) <= oot_months:
        raise DataError(
            f"{owner}: {len(months)} entry month(s) have a complete cure window, not more than "
            f"oot_months={oot_months}. Lower oot_months or use a longer history."
        )
    oot_start = months[-oot_months]
    is_oot = (mature["entry_month"] >= oot_start).to_numpy()
    train, oot = mature[~is_oot].copy(), mature[is_oot].copy()
    for part, name in ((train, "development"), (oot, "out-of-time")):
        if part["rolled"].nunique() < 2:
            raise DataError(
                f"{owner}: the {name} sample has only one outcome (all cured or none). "
                "Change oot_months or use more data."
            )
    model = Scorecard(
        # monotone bins and a fixed IV floor, as this score was measured with (the scorecard
        # defaults moved to auto_unimodal and a significance test; not yet measured here)
        binner=WoeBinner(max_n_bins=6, monotonic_trend="auto_asc_desc"),
        # the IV, correlation and VIF filters; forward selection is left out: it costs ~5x the
        # fit time on 30k episodes for no out-of-time gain
        selector=FeatureSelector(forward=False, min_iv=0.02, random_state=seed),
    )
    model.fit(train[features], train["rolled"].astype(np.int64))
    out = {}
    for part, name in ((train, "train"), (oot, "oot")):
        part["score"] = model.predict_score(part[features])
        part["p_cure"] = model.predict_proba(part[features])[:, 0]
        s = metrics.summary(part["rolled"].astype(np.int64), -part["score"])
        out.update({f"{name}_{k}": v for k, v in s.items() if k != "bad_rate"})
        out[f"{name}_cure_rate"] = float(1 - part["rolled"].mean())
    out.update(
        {
            "oot_start": pd.Timestamp(oot_start).strftime("%Y-%m"),
            "oot_months": oot_months,
            "cure_within_days": int(frame.attrs.get("cure_within_days", 30)),
            "features": list(model.features_),
            "seed": seed,
        }
    )
    bands = metrics.band_table(oot["rolled"].astype(np.int64), score=oot["score"], bands=10)
    keep = ["application_id", "episode_no", "entered_on", "entry_month", "rolled", "score"]
    return CollectionScore(
        model=model,
        features=features,
        train=train[[*keep, "p_cure"]].reset_index(drop=True),
        oot=oot[[*keep, "p_cure"]].reset_index(drop=True),
        metrics=out,
        bands=bands,
    )
