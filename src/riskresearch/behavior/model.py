"""The behaviour scorecard: development out of time, export and release artifacts."""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from riskresearch import metrics
from riskresearch.atomic import merge_metrics
from riskresearch.behavior.snapshots import (
    BAD_DPD,
    BEHAVIOR_FEATURES,
    CATEGORICAL_FEATURES,
    TARGET,
    WINDOW_MONTHS,
    ZERO_BINNED,
    behavior_summary,
    feature_list,
    int_param,
    snapshot_frame,
    snapshot_pieces,
    split_masks,
)
from riskresearch.binning import WoeBinner
from riskresearch.db import stack_results
from riskresearch.errors import ConfigError, DataError
from riskresearch.scorecard import Scorecard
from riskresearch.scoring import Scorer
from riskresearch.selection import FeatureSelector
from riskresearch.woe import NUMERICAL, FeatureBins, as_frame, check_columns, column_values


# ------------------------------------------------------------------------------------------
# the score
# ------------------------------------------------------------------------------------------
def behavior_scorecard(features=None, seed: int = 0, categorical=None) -> Scorecard:
    """The default (unfitted) behaviour scorecard.

    WOE binning with at most 6 bins of at least 2% of the rows each, zero as a bin of its own for
    the mostly-zero counts (:data:`ZERO_BINNED`), the IV / correlation / VIF filters of
    :class:`~riskresearch.selection.FeatureSelector` (no forward selection: it doubles the fit
    time for no out-of-time gain) and the scorecard's wrong-sign check.

    Parameters
    ----------
    features : list of str, optional
        Candidate features (default :data:`BEHAVIOR_FEATURES`).
    seed : int, default 0
        ``random_state`` of the feature selector (drawn from only if forward selection is
        turned on).
    categorical : list of str, optional
        Features of your own to bin as categories. :data:`CATEGORICAL_FEATURES` always are;
        every other feature is binned as a number, so text in it is an error naming the column,
        never a silent category.

    Returns
    -------
    Scorecard
    """
    owner = "behavior_scorecard"
    return _default_scorecard(
        feature_list(features, "features", owner, default=BEHAVIOR_FEATURES),
        feature_list(categorical, "categorical", owner, default=()),
        seed,
    )


def _default_scorecard(features: list[str], extra_categorical: list[str], seed: int) -> Scorecard:
    categorical = [f for f in features if f in CATEGORICAL_FEATURES or f in extra_categorical]
    return Scorecard(
        binner=WoeBinner(
            categorical_features=categorical,
            max_n_bins=6,
            min_bin_size=0.02,
            # as this score was measured with (see arrears.score)
            monotonic_trend="auto_asc_desc",
            special_codes={f: [0] for f in features if f in ZERO_BINNED},
        ),
        selector=FeatureSelector(forward=False, min_iv=0.02, random_state=seed),
    )


@dataclass
class BehaviorScore:
    """A developed behaviour score (see :func:`develop_behavior`).

    Attributes
    ----------
    model : Scorecard
        WOE scorecard of ``bad_next_3m``; a higher score means less likely to go 30+ dpd in the
        next 3 months. ``model.to_json()`` is the text artifact of a release and
        ``Scorer(model.to_dict())`` scores it without scikit-learn.
    features : list of str
        Candidate features given to the scorecard (``model.features_`` are the selected ones).
    train, oot : pandas.DataFrame
        Development and out-of-time rows: ``application_id``, ``snapshot``, ``bad_next_3m``,
        ``score`` and ``p_bad``.
    metrics : dict
        AUC, Gini, KS, rows and bad rate of both samples (``train_*``, ``oot_*``), their months,
        the population rules and the seed; plain Python values, ready for ``json.dumps``.
    bands : pandas.DataFrame
        :func:`riskresearch.metrics.band_table` of the out-of-time rows by score (riskiest band
        first).
    """

    model: Scorecard
    features: list[str]
    train: pd.DataFrame
    oot: pd.DataFrame
    metrics: dict[str, Any]
    bands: pd.DataFrame

    def _frame(self, frame, owner: str) -> pd.DataFrame:
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"{owner} expects a DataFrame of snapshot rows (behavior_snapshots()). Got "
                f"{type(frame).__name__} instead."
            )
        frame = as_frame(frame, owner)
        check_columns(frame, list(self.model.features_), owner)
        return frame

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Behaviour score of every row (higher = lower risk).

        Raises
        ------
        DataError
            A selected feature is missing (named), a numerical one holds text or +/-inf, or the
            frame is empty.
        """
        return self.model.predict_score(self._frame(frame, "BehaviorScore.score"))

    def p_bad(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of 30+ dpd in the next 3 months implied by the score."""
        return self.model.predict_proba(self._frame(frame, "BehaviorScore.p_bad"))[:, 1]

    def to_dict(self) -> dict[str, Any]:
        """The scorecard as plain data (``Scorecard.to_dict``)."""
        return self.model.to_dict()

    def to_json(self, path: str | Path | None = None) -> str:
        """The scorecard as JSON text (written to ``path`` when given)."""
        return self.model.to_json(path)

    def scorer(self) -> Scorer:
        """The dependency-light scorer of the scorecard (same points, also as SQL)."""
        return self.model.scorer()


def develop_behavior(
    snapshots: pd.DataFrame,
    oot_months: int = 3,
    seed: int = 0,
    gap_months: int = 0,
    max_dpd_at_snapshot: int | None = BAD_DPD - 1,
    features=None,
    categorical=None,
    scorecard: Scorecard | None = None,
) -> BehaviorScore:
    """Fit the behaviour scorecard on early snapshot months and evaluate it out of time.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        Output of :func:`behavior_snapshots`. Only mature rows are used.
    oot_months : int, default 3
        The last ``oot_months`` mature snapshot months are the out-of-time sample.
    seed : int, default 0
        Seed of the feature selector, recorded with the metrics. The development is
        deterministic: the same snapshots and seed give byte-identical scorecard JSON.
    gap_months : int, default 0
        Snapshot months left out between development and out-of-time
        (:func:`out_of_time_split`).
    max_dpd_at_snapshot : int or None, default 29
        Rows already more than this many days past due at the snapshot are left out of
        development and evaluation: at 30+ dpd a lease is already bad, and keeping it would
        inflate KS with accounts the collection ladder, not the behaviour score, handles. None
        keeps every row.
    features : list of str, optional
        Candidate features; default :data:`BEHAVIOR_FEATURES`.
    categorical : list of str, optional
        Features of your own (not in :data:`BEHAVIOR_FEATURES`) to bin as categories.
    scorecard : Scorecard, optional
        Template fitted (cloned) instead of the default :func:`behavior_scorecard`.

    Returns
    -------
    BehaviorScore

    Raises
    ------
    DataError
        The table is empty, lacks a column (named), a numerical feature holds text, or a sample
        has a single outcome.
    ConfigError
        A parameter is invalid, or ``features`` names the target or a bookkeeping column.

    Examples
    --------
    >>> snaps = behavior_snapshots("data/leasing.duckdb")    # doctest: +SKIP
    >>> bs = develop_behavior(snaps, oot_months=3, seed=7)    # doctest: +SKIP
    >>> bs.metrics["oot_ks"], bs.to_json()                    # doctest: +SKIP
    """
    owner = "develop_behavior"
    oot_months = int_param(oot_months, "oot_months", owner, minimum=1)
    gap_months = int_param(gap_months, "gap_months", owner, minimum=0)
    if max_dpd_at_snapshot is not None:
        max_dpd_at_snapshot = int_param(max_dpd_at_snapshot, "max_dpd_at_snapshot", owner, 0)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ConfigError(
            f"The 'seed' parameter of {owner} must be an integer. Got {seed!r} instead."
        )
    features = feature_list(features, "features", owner, default=BEHAVIOR_FEATURES)
    extra_categorical = feature_list(categorical, "categorical", owner, default=())
    if scorecard is not None and not isinstance(scorecard, Scorecard):
        raise ConfigError(
            f"The 'scorecard' parameter of {owner} must be a Scorecard or None. Got "
            f"{type(scorecard).__name__} instead."
        )
    train, oot, info = _samples(
        snapshots, features, extra_categorical, oot_months, gap_months, max_dpd_at_snapshot
    )
    return _fit(train, oot, info, features, extra_categorical, int(seed), scorecard)


def _samples(
    snapshots: pd.DataFrame,
    features: list[str],
    extra_categorical: list[str],
    oot_months: int,
    gap_months: int,
    max_dpd_at_snapshot: int | None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The development and out-of-time rows of :func:`develop_behavior` (only the columns
    the fit uses) and what its metrics report of them: the split's settings and row counts."""
    usable, counts = _usable(snapshots, features, extra_categorical, max_dpd_at_snapshot)
    as_of = snapshots.attrs.get("as_of")
    return _split(usable, counts, oot_months, gap_months, max_dpd_at_snapshot, as_of)


def _usable(
    snapshots: pd.DataFrame,
    features: list[str],
    extra_categorical: list[str],
    max_dpd_at_snapshot: int | None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows of ``snapshots`` either sample may take (mature, not already delinquent) with
    the columns the fit uses, and the counts of all, immature and delinquent rows. Row by
    row: the snapshots may come in pieces (:func:`develop_from_config`)."""
    owner = "develop_behavior"
    needed = ["application_id", "snapshot", "mature", TARGET, *features]
    if max_dpd_at_snapshot is not None:
        needed.append("dpd")
    frame = snapshot_frame(snapshots, list(dict.fromkeys(needed)), owner)
    # the binner's own column checks, on every numerical feature up front (before any binning)
    for f in features:
        if f not in CATEGORICAL_FEATURES and f not in extra_categorical:
            column_values(frame, FeatureBins(name=f, dtype=NUMERICAL), owner)

    keep_rows = np.ones(len(frame), dtype=bool)
    if max_dpd_at_snapshot is not None:
        dpd = pd.to_numeric(frame["dpd"], errors="coerce")
        if dpd.isna().any():
            first = frame.index[dpd.isna().to_numpy()][0]
            raise DataError(
                f"{owner}: column 'dpd' holds text or missing values (first at row {first!r}). "
                "Pass the dpd of behavior_snapshots() (whole days, 0 when current)."
            )
        keep_rows = (dpd <= max_dpd_at_snapshot).to_numpy()
    mature = frame["mature"].astype(bool).to_numpy()
    counts = {
        "rows": len(frame),
        "immature_rows": int((~mature).sum()),
        "excluded_delinquent_rows": int((mature & ~keep_rows).sum()),
    }
    # only the rows and columns the samples use, copied once: the whole table (1.5 GB at 1M
    # applications) filtered and split used to be copied three times over
    cols = list(dict.fromkeys(["application_id", "snapshot", TARGET, *features]))
    return frame.loc[mature & keep_rows, cols], counts


def _split(
    usable: pd.DataFrame,
    counts: dict[str, int],
    oot_months: int,
    gap_months: int,
    max_dpd_at_snapshot: int | None,
    as_of,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """:func:`_samples` from the usable rows of :func:`_usable` and its counts."""
    owner = "develop_behavior"
    whole = np.ones(len(usable), dtype=bool)
    months = usable[["snapshot"]].assign(mature=True)
    dev_rows, oot_rows = split_masks(months, whole, oot_months, gap_months, "out_of_time_split")
    train, oot = _rows(usable, dev_rows), _rows(usable, oot_rows)
    for part, name in ((train, "development"), (oot, "out-of-time")):
        y = pd.to_numeric(part[TARGET], errors="coerce")
        if y.isna().any() or not y.isin([0, 1]).all():
            raise DataError(
                f"{owner}: the mature rows of column '{TARGET}' must be 0 or 1; the {name} "
                "sample holds other or missing values. Rebuild it with behavior_snapshots()."
            )
        if y.nunique() < 2:
            raise DataError(
                f"{owner}: the {name} sample has only one outcome (all bad or all good). "
                "Change oot_months or use more data."
            )
    info = {
        "oot_months": oot_months,
        "gap_months": gap_months,
        "window_months": WINDOW_MONTHS,
        "bad_dpd": BAD_DPD,
        "max_dpd_at_snapshot": max_dpd_at_snapshot,
        **counts,
        "as_of": str(as_of) if as_of is not None else None,
    }
    return train, oot, info


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``frame[mask]``; a slice sharing ``frame``'s memory where the rows are one run (the
    snapshots come ordered by month, so each sample is)."""
    at = np.flatnonzero(mask)
    if at.size and at[-1] - at[0] + 1 == at.size:
        return frame.iloc[at[0] : at[-1] + 1]
    return frame.iloc[at]


def _fit(
    train: pd.DataFrame,
    oot: pd.DataFrame,
    info: dict[str, Any],
    features: list[str],
    extra_categorical: list[str],
    seed: int,
    scorecard: Scorecard | None,
) -> BehaviorScore:
    """Fit the behaviour scorecard on ``train`` and evaluate it on both samples; ``info``
    (:func:`_samples`) joins the metrics."""
    if scorecard is None:
        model = _default_scorecard(features, extra_categorical, seed)
    else:
        model = clone(scorecard)
    y_train = train[TARGET].astype(np.int64)
    model.fit(train[features], y_train)

    out: dict[str, Any] = {}
    for part, name in ((train, "train"), (oot, "oot")):
        part["score"] = model.predict_score(part[features])
        part["p_bad"] = model.predict_proba(part[features])[:, 1]
        s = metrics.summary(part[TARGET].astype(np.int64), -part["score"])
        out.update({f"{name}_{k}": v for k, v in s.items()})
        when = pd.to_datetime(part["snapshot"])
        out[f"{name}_start"] = when.min().strftime("%Y-%m")
        out[f"{name}_end"] = when.max().strftime("%Y-%m")
    out.update(info)
    out.update({"features": list(model.features_), "seed": seed})
    bands = metrics.band_table(oot[TARGET].astype(np.int64), score=oot["score"], bands=10)
    keep = ["application_id", "snapshot", TARGET, "score", "p_bad"]
    return BehaviorScore(
        model=model,
        features=features,
        train=train[keep].reset_index(drop=True),
        oot=oot[keep].reset_index(drop=True),
        metrics=out,
        bands=bands,
    )


def develop_from_config(cfg) -> tuple[pd.DataFrame, BehaviorScore]:
    """The behaviour score of ``cfg.data.warehouse`` as its config section asks for, and the
    snapshots' summary by month.

    :func:`develop_behavior` on :func:`behavior_snapshots`, except that the snapshot table
    (1.5 GB at a million applications) is never held whole: of each range of months the
    warehouse returns (:func:`snapshot_pieces`) only the summary and the rows and columns the
    samples take are kept.

    Parameters
    ----------
    cfg : riskresearch.config.ModelConfig
        A release config with ``data.warehouse`` set; ``cfg.behavior`` sets the out-of-time
        months, the gap and the delinquent rows left out, ``cfg.seed`` the seed.

    Returns
    -------
    summary : pandas.DataFrame
        :func:`behavior_summary` of the snapshots.
    score : BehaviorScore

    Raises
    ------
    ConfigError
        The config names no warehouse.
    """
    if cfg.data.warehouse is None:
        raise ConfigError(
            "The behaviour score needs the raw tables: set data.warehouse in the config (or "
            "behavior.enabled: false)."
        )
    b = cfg.behavior
    features = list(BEHAVIOR_FEATURES)
    keys = ("rows", "immature_rows", "excluded_delinquent_rows")
    summaries, usable, counts, as_of = [], [], dict.fromkeys(keys, 0), None
    for piece in snapshot_pieces(cfg.data.warehouse):
        as_of = piece.attrs["as_of"]
        if len(piece):  # whole months per piece: the summaries of the pieces stack
            summaries.append(behavior_summary(piece))
        rows, n = _usable(piece, features, [], b.max_dpd_at_snapshot)
        usable.append(rows)
        counts = {k: counts[k] + n[k] for k in keys}
        del piece, rows  # only the usable rows and columns of each range of months stay
    train, oot, info = _split(  # raises on a warehouse without a usable row
        stack_results(usable), counts, b.oot_months, b.gap_months, b.max_dpd_at_snapshot, as_of
    )
    summary = pd.concat(summaries, ignore_index=True)
    return summary, _fit(train, oot, info, features, [], int(cfg.seed), None)


def write_behavior(score: BehaviorScore, out_dir: str | os.PathLike) -> list[Path]:
    """Write the behaviour score's release artifacts (text only).

    ``behavior.json`` (the scorecard, :meth:`BehaviorScore.to_json`), ``behavior.sql`` (the same
    points as a SQL expression), ``behavior_points.csv``, ``behavior_bands.csv`` (out-of-time
    bands) and the figures under ``"behavior"`` in ``metrics.json`` (other keys are kept).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    score.to_json(out / "behavior.json")
    (out / "behavior.sql").write_text(score.scorer().to_sql() + "\n")
    score.model.points_table().to_csv(out / "behavior_points.csv", index=False)
    score.bands.to_csv(out / "behavior_bands.csv", index=False)
    names = ("behavior.json", "behavior.sql", "behavior_points.csv", "behavior_bands.csv")
    return [*(out / n for n in names), merge_metrics(out, "behavior", score.metrics)]
