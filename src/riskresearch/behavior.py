"""Behaviour score: monthly snapshots of active leases, scored on their payment behaviour.

At every month end (the *snapshot*) each active lease gets a row of features computed only from
what was known that day: its instalments, payments and collection actions dated on or before the
snapshot, its contract terms and the customer's other leases. The target, ``bad_next_3m``, is 1
when the lease is 30 or more days past due (on any instalment) on some day of the three calendar
months after the snapshot. A WOE :class:`~riskresearch.scorecard.Scorecard` is fitted on early
snapshot months and evaluated on the latest mature ones (out of time).

Conventions
-----------
- Days past due (dpd) of an instalment on day *t* are ``t - due_date`` while it is unpaid, up to
  and including the day it is paid in full (paying 35 days late reaches 35 dpd), as in
  :mod:`riskresearch.arrears`.
- A lease is *active* at a snapshot when it started strictly before the snapshot day and had not
  ended (bought out, returned, written off) on or before it.
- The target window of a snapshot is ``(snapshot, last day of the third month after it]``; a
  snapshot is *mature* when that window ended by the as-of date. Immature snapshots are kept
  (flagged ``mature = False``, target NaN), never silently dropped.
- ``y == 1`` is bad; the behaviour score is higher for leases less likely to go 30+ dpd.

The SQL lives in ``riskresearch/sql/behavior_snapshots.sql`` and runs inside DuckDB on the raw
tables ``orders``, ``installments`` and ``collection_actions`` (``data/README.md``).

Limitations
-----------
- ``installments.amount_paid`` is what was paid *by the warehouse as-of date*, not by the
  snapshot, and carries no date: it is never read. An instalment counts as paid at a snapshot
  only when its ``paid_date`` (the day it was paid in full) is on or before the snapshot.
- A part payment is therefore visible only through collection actions with outcome
  ``'partial'`` and their ``amount_recovered``. Action outcomes (``paid``, ``promise_broken``,
  ``partial`` ...) carry no date of their own: the customer responds after the action. An
  outcome is counted from :data:`OUTCOME_LAG_DAYS` days after its action (the longest gap
  between two ladder steps, by which the next step shows how the last one ended), while the
  action itself counts from its day. Part payments made outside the collection ladder, if a
  warehouse had them, stay invisible until the instalment is paid in full.
- Leases already 30+ dpd at a snapshot are kept in the table but left out of development and
  evaluation by default (``max_dpd_at_snapshot``): they are bad already and belong to the
  collection score.
"""

from __future__ import annotations

import datetime as dt
import json
import numbers
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.base import clone

from riskresearch import metrics
from riskresearch.binning import WoeBinner
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import connect, warehouse_as_of
from riskresearch.scorecard import Scorecard
from riskresearch.scoring import Scorer
from riskresearch.selection import FeatureSelector
from riskresearch.woe import NUMERICAL, FeatureBins, as_frame, check_columns, column_values

#: Target column and its definition.
TARGET = "bad_next_3m"
WINDOW_MONTHS = 3
BAD_DPD = 30
#: Days after an action from which its outcome counts (``sql/behavior_snapshots.sql``).
OUTCOME_LAG_DAYS = 30

#: Identifying and bookkeeping columns of a snapshot row (never features).
KEYS: tuple[str, ...] = ("application_id", "customer_id", "snapshot", "started_on")
NOT_FEATURES: frozenset[str] = frozenset({*KEYS, "window_end", "mature", TARGET})

#: Categorical features (text); every other behaviour feature is numerical.
CATEGORICAL_FEATURES: tuple[str, ...] = ("device_category", "model_tier")

#: Candidate features of the behaviour score (each known on the snapshot day).
BEHAVIOR_FEATURES: tuple[str, ...] = (
    # contract terms
    "device_category",
    "model_tier",
    "lease_term_months",
    "monthly_rent",
    "price_vs_retail",
    "rent_to_retail",
    "deposit_share",
    # time on book
    "months_on_book",
    "term_elapsed",
    "instalments_left",
    # arrears now and so far
    "dpd",
    "max_dpd",
    "instalments_in_arrears",
    "n_paid_late",
    "n_paid_late_30",
    "share_paid_late",
    "mean_days_late",
    "months_since_late",
    "days_since_payment",
    "paid_share",
    # paying early or ahead of the schedule
    "share_paid_early",
    "paid_ahead",
    # collection actions and part payments
    "n_actions",
    "n_reminders",
    "n_negotiations",
    "n_legal_notices",
    "n_broken_promises",
    "n_partial_payments",
    "months_since_action",
    # the customer's other leases
    "other_active_leases",
    "other_writeoffs",
    "other_dpd",
    "other_max_dpd",
)

#: Counts and dpd that are zero for most leases: zero gets a bin of its own (a special code),
#: so the few non-zero values can still be split (quantile pre-binning cannot split a column
#: that is 97% zeros).
ZERO_BINNED: tuple[str, ...] = (
    "dpd",
    "max_dpd",
    "instalments_in_arrears",
    "n_paid_late",
    "n_paid_late_30",
    "paid_ahead",
    "n_actions",
    "n_reminders",
    "n_negotiations",
    "n_legal_notices",
    "n_broken_promises",
    "n_partial_payments",
    "partial_paid_to_rent",
    "other_active_leases",
    "other_writeoffs",
    "other_dpd",
    "other_max_dpd",
)

#: Tables and columns the snapshot SQL reads (see data/README.md).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": (
        "application_id",
        "customer_id",
        "started_on",
        "ended_on",
        "status",
        "lease_term_months",
        "monthly_rent",
        "retail_price",
        "units",
        "price_vs_retail",
        "deposit",
        "device_category",
        "model_tier",
    ),
    "installments": ("application_id", "due_date", "amount_due", "paid_date"),
    "collection_actions": (
        "application_id",
        "action_type",
        "action_date",
        "outcome",
        "amount_recovered",
    ),
}


# ------------------------------------------------------------------------------------------
# snapshots
# ------------------------------------------------------------------------------------------
def behavior_sql() -> str:
    """The SQL that builds the behaviour snapshots (parameters ``$as_of``, ``$outcome_lag``)."""
    return resources.files("riskresearch").joinpath("sql/behavior_snapshots.sql").read_text()


def behavior_snapshots(db_path: str | os.PathLike, as_of=None) -> pd.DataFrame:
    """One row per active lease and month end, with point-in-time behaviour features and the
    3-month target.

    Parameters
    ----------
    db_path : path-like
        DuckDB warehouse with the raw tables ``orders``, ``installments`` and
        ``collection_actions`` (``data/README.md``).
    as_of : datetime.date or str, optional
        Last observed day; defaults to the ``as_of`` recorded in ``warehouse_meta``. An earlier
        day rebuilds the snapshots as they looked then: payments, ends and actions dated after
        it are unknown. It cannot be after the recorded date (later events were never loaded).

    Returns
    -------
    pandas.DataFrame
        Ordered by ``snapshot`` then ``application_id``. Columns: ``application_id``,
        ``customer_id``, ``snapshot`` (month end), ``started_on``; the candidate features
        (:data:`BEHAVIOR_FEATURES`, ``instalments_due`` and ``partial_paid_to_rent``), each using
        only events dated on or before the snapshot day:

        - contract: ``device_category``, ``model_tier``, ``lease_term_months``,
          ``monthly_rent``, ``price_vs_retail``, ``rent_to_retail`` (rent / retail value of the
          units), ``deposit_share``;
        - time on book: ``months_on_book`` (calendar months since the start month),
          ``instalments_due`` (fell due before the snapshot day), ``term_elapsed``
          (``instalments_due / lease_term_months``), ``instalments_left``;
        - arrears: ``dpd`` (days past due at the snapshot, oldest unpaid instalment),
          ``max_dpd`` (worst so far), ``instalments_in_arrears``, ``n_paid_late`` and
          ``n_paid_late_30`` (instalments paid in full more than 0 / at least 30 days late),
          ``share_paid_late``, ``mean_days_late`` (paid day minus due day, negative = early),
          ``months_since_late`` (0 while past due, NaN if never late), ``days_since_payment``,
          ``paid_share`` (share of the rent fallen due that was paid in full by the snapshot);
        - prepayment / early-buyout signals: ``share_paid_early``, ``paid_ahead`` (instalments
          paid before their due day when that day is after the snapshot);
        - collections: ``n_actions``, ``n_reminders``, ``n_negotiations``, ``n_legal_notices``
          and ``months_since_action`` (actions dated up to the snapshot);
          ``n_broken_promises``, ``n_partial_payments`` and ``partial_paid_to_rent`` (part
          payments, in months of rent) from outcomes of actions dated at least
          :data:`OUTCOME_LAG_DAYS` days before the snapshot;
        - the customer's other leases started before the snapshot day: ``other_active_leases``,
          ``other_writeoffs``, ``other_dpd`` (worst dpd now on the active ones),
          ``other_max_dpd`` (worst so far; NaN without another lease).

        Then ``window_end`` (last day of the target window), ``mature`` (``window_end <=
        as_of``) and ``bad_next_3m`` (1.0 = 30+ dpd on some day of the window; NaN unless
        mature). ``attrs["as_of"]`` holds the as-of date.

    Raises
    ------
    ConfigError
        The file does not exist or ``as_of`` is not a date, missing, or after the warehouse's.
    DataError
        A table or column the SQL reads is missing (all of them are named).

    Examples
    --------
    >>> snaps = behavior_snapshots("data/leasing.duckdb")          # doctest: +SKIP
    >>> snaps.groupby("snapshot")["bad_next_3m"].mean()              # doctest: +SKIP
    """
    owner = "behavior_snapshots"
    as_of = _as_date(as_of, owner)
    if not isinstance(db_path, str | os.PathLike):
        raise ConfigError(
            f"{owner} expects the path of a DuckDB warehouse. Got {type(db_path).__name__} instead."
        )
    db = Path(db_path)
    if not db.is_file():
        raise ConfigError(
            f"The warehouse file '{db}' does not exist. Build it with 'riskresearch data build' "
            "or give the path of your own DuckDB file."
        )
    con = connect(db)
    try:
        _check_warehouse(con, db, owner)
        recorded = warehouse_as_of(con)
        if as_of is None:
            as_of = recorded
        if as_of is None:
            raise ConfigError(
                f"The warehouse '{db}' records no as-of date. Pass as_of (the last observed day) "
                f"to {owner}."
            )
        if recorded is not None and as_of > recorded:
            raise ConfigError(
                f"The 'as_of' parameter of {owner} ({as_of}) is after the warehouse's as-of date "
                f"({recorded}): later payments were never recorded. Pass {recorded} or earlier."
            )
        params = {"as_of": as_of, "outcome_lag": OUTCOME_LAG_DAYS}
        frame = con.sql(behavior_sql(), params=params).df()
    finally:
        con.close()
    frame.attrs["as_of"] = as_of
    return frame


def _check_warehouse(con: duckdb.DuckDBPyConnection, db: Path, owner: str) -> None:
    cols = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    have: dict[str, set[str]] = {}
    for table, column in cols:
        have.setdefault(table, set()).add(column)
    problems = []
    for table, needed in REQUIRED_COLUMNS.items():
        if table not in have:
            problems.append(f"table '{table}' is missing")
            continue
        missing = [c for c in needed if c not in have[table]]
        if missing:
            problems.append(f"table '{table}' lacks column(s) {', '.join(missing)}")
    if problems:
        raise DataError(
            f"{owner}: the warehouse '{db}' cannot be read: {'; '.join(problems)}. See "
            "data/README.md for the tables and columns."
        )


def _as_date(value, owner: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # pandas.Timestamp too
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(
        f"The 'as_of' parameter of {owner} must be a date (datetime.date or 'YYYY-MM-DD'). "
        f"Got {value!r} instead."
    )


def behavior_summary(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Rows, mature rows, bads and bad rate of every snapshot month.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        Output of :func:`behavior_snapshots`.

    Returns
    -------
    pandas.DataFrame
        ``snapshot, leases, mature, bads, bad_rate, share_30_plus`` (leases already 30+ dpd at
        the snapshot), one row per month end.
    """
    frame = _snapshot_frame(snapshots, ["snapshot", "mature", TARGET, "dpd"], "behavior_summary")
    out = (
        frame.assign(
            _bad=frame[TARGET].fillna(0.0),
            _late=(frame["dpd"] >= BAD_DPD).astype(np.int64),
        )
        .groupby("snapshot", sort=True)
        .agg(
            leases=("snapshot", "size"),
            mature=("mature", "sum"),
            bads=("_bad", "sum"),
            late=("_late", "sum"),
        )
        .reset_index()
    )
    out["mature"] = out["mature"].astype(np.int64)
    out["bads"] = out["bads"].astype(np.int64)
    out["bad_rate"] = (out["bads"] / out["mature"]).where(out["mature"] > 0)
    out["share_30_plus"] = out.pop("late") / out["leases"]
    return out


# ------------------------------------------------------------------------------------------
# out-of-time split
# ------------------------------------------------------------------------------------------
def out_of_time_split(
    snapshots: pd.DataFrame, oot_months: int = 3, gap_months: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the mature snapshots by snapshot month: development first, out-of-time last.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        Output of :func:`behavior_snapshots` (any row subset of it).
    oot_months : int, default 3
        The last ``oot_months`` snapshot months with a mature target are the out-of-time
        sample.
    gap_months : int, default 0
        Snapshot months left out between the two samples. With ``gap_months = 2`` the last
        development target window ends on the first out-of-time snapshot day, as if the model
        had been developed that day; with 0 (the default) the development windows overlap the
        first out-of-time months.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Development and out-of-time rows (copies). Immature rows are in neither.

    Raises
    ------
    DataError
        A column is missing, or there are too few mature months for the split.
    """
    owner = "out_of_time_split"
    oot_months = _int_param(oot_months, "oot_months", owner, minimum=1)
    gap_months = _int_param(gap_months, "gap_months", owner, minimum=0)
    frame = _snapshot_frame(snapshots, ["snapshot", "mature"], owner)
    mature = frame[frame["mature"].astype(bool).to_numpy()]
    months = sorted(pd.to_datetime(mature["snapshot"]).unique())
    if len(months) <= oot_months + gap_months:
        raise DataError(
            f"{owner}: {len(months)} snapshot month(s) have a mature target, not more than "
            f"oot_months + gap_months = {oot_months + gap_months}. Lower oot_months or "
            "gap_months, or use a longer history."
        )
    oot_start = months[-oot_months]
    dev_end = months[-oot_months - gap_months - 1]
    when = pd.to_datetime(mature["snapshot"])
    dev = mature[(when <= dev_end).to_numpy()].copy()
    oot = mature[(when >= oot_start).to_numpy()].copy()
    return dev, oot


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
        _feature_list(features, "features", owner, default=BEHAVIOR_FEATURES),
        _feature_list(categorical, "categorical", owner, default=()),
        seed,
    )


def _default_scorecard(features: list[str], extra_categorical: list[str], seed: int) -> Scorecard:
    categorical = [f for f in features if f in CATEGORICAL_FEATURES or f in extra_categorical]
    return Scorecard(
        binner=WoeBinner(
            categorical_features=categorical,
            max_n_bins=6,
            min_bin_size=0.02,
            special_codes={f: [0] for f in features if f in ZERO_BINNED},
        ),
        selector=FeatureSelector(forward=False, random_state=seed),
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
    oot_months = _int_param(oot_months, "oot_months", owner, minimum=1)
    gap_months = _int_param(gap_months, "gap_months", owner, minimum=0)
    if max_dpd_at_snapshot is not None:
        max_dpd_at_snapshot = _int_param(max_dpd_at_snapshot, "max_dpd_at_snapshot", owner, 0)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ConfigError(
            f"The 'seed' parameter of {owner} must be an integer. Got {seed!r} instead."
        )
    features = _feature_list(features, "features", owner, default=BEHAVIOR_FEATURES)
    extra_categorical = _feature_list(categorical, "categorical", owner, default=())
    if scorecard is not None and not isinstance(scorecard, Scorecard):
        raise ConfigError(
            f"The 'scorecard' parameter of {owner} must be a Scorecard or None. Got "
            f"{type(scorecard).__name__} instead."
        )
    needed = ["application_id", "snapshot", "mature", TARGET, *features]
    if max_dpd_at_snapshot is not None:
        needed.append("dpd")
    frame = _snapshot_frame(snapshots, list(dict.fromkeys(needed)), owner)
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
    train, oot = out_of_time_split(frame[keep_rows], oot_months=oot_months, gap_months=gap_months)
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

    if scorecard is None:
        model = _default_scorecard(features, extra_categorical, int(seed))
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
    as_of = frame.attrs.get("as_of")
    out.update(
        {
            "oot_months": oot_months,
            "gap_months": gap_months,
            "window_months": WINDOW_MONTHS,
            "bad_dpd": BAD_DPD,
            "max_dpd_at_snapshot": max_dpd_at_snapshot,
            "rows": len(frame),
            "immature_rows": int((~mature).sum()),
            "excluded_delinquent_rows": int((mature & ~keep_rows).sum()),
            "features": list(model.features_),
            "seed": int(seed),
            "as_of": str(as_of) if as_of is not None else None,
        }
    )
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
    """Snapshots of ``cfg.data.warehouse`` and the behaviour score its config section asks for.

    Parameters
    ----------
    cfg : riskresearch.config.ModelConfig
        A release config with ``data.warehouse`` set; ``cfg.behavior`` sets the out-of-time
        months, the gap and the delinquent rows left out, ``cfg.seed`` the seed.

    Returns
    -------
    snapshots : pandas.DataFrame
        :func:`behavior_snapshots` of the warehouse.
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
    snaps = behavior_snapshots(cfg.data.warehouse)
    b = cfg.behavior
    score = develop_behavior(
        snaps,
        oot_months=b.oot_months,
        gap_months=b.gap_months,
        max_dpd_at_snapshot=b.max_dpd_at_snapshot,
        seed=cfg.seed,
    )
    return snaps, score


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
    metrics_path = out / "metrics.json"
    everything = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    everything["behavior"] = score.metrics
    metrics_path.write_text(json.dumps(everything, indent=1, sort_keys=True) + "\n")
    names = ("behavior.json", "behavior.sql", "behavior_points.csv", "behavior_bands.csv")
    return [*(out / n for n in names), metrics_path]


# ------------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------------
def _snapshot_frame(snapshots, needed: list[str], owner: str) -> pd.DataFrame:
    if not isinstance(snapshots, pd.DataFrame):
        raise DataError(
            f"{owner} expects the DataFrame of behavior_snapshots(). Got "
            f"{type(snapshots).__name__} instead."
        )
    missing = [c for c in needed if c not in snapshots.columns]
    if missing:
        raise DataError(
            f"{owner}: the snapshots lack column(s) {', '.join(repr(c) for c in missing)}. "
            "Pass the output of behavior_snapshots() or choose features among its columns."
        )
    if len(snapshots) == 0:
        raise DataError(
            f"{owner} got an empty table (0 rows). Pass the snapshots of a warehouse with "
            "active leases."
        )
    return snapshots


def _int_param(value, name: str, owner: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a whole number >= {minimum}. "
            f"Got {value!r} instead."
        )
    return int(value)


def _feature_list(value, name: str, owner: str, default) -> list[str]:
    if value is None:
        return list(default)
    if isinstance(value, str) or not all(isinstance(f, str) for f in value):
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a list of column names. Got {value!r} "
            "instead."
        )
    out = list(dict.fromkeys(value))
    if name == "features" and not out:
        raise ConfigError(
            f"The 'features' parameter of {owner} must name at least one column. Got []."
        )
    leaks = sorted(set(out) & NOT_FEATURES)
    if leaks:
        raise ConfigError(
            f"The '{name}' parameter of {owner} names {leaks}: the target, its window or a key, "
            "not a feature. Remove them."
        )
    return out
