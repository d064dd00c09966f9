"""Point-in-time monthly snapshots of active leases and their out-of-time split.

See :mod:`riskresearch.behavior` for the conventions and limitations.
"""

from __future__ import annotations

import datetime as dt
import itertools
import numbers
import os
from importlib import resources

import numpy as np
import pandas as pd

from riskresearch.db import iter_batches, stack_results
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import (
    as_date,
    check_warehouse,
    connect,
    warehouse_as_of,
    warehouse_path,
)

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
    """The SQL that builds the behaviour snapshots.

    Parameters ``$as_of`` and ``$outcome_lag``; ``$after`` and ``$through`` (dates or None
    for no bound) keep the snapshot days in ``(after, through]``.
    """
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
    pieces = snapshot_pieces(db_path, as_of)
    first = next(pieces)  # every warehouse has at least one range of months
    frame = stack_results(itertools.chain([first], pieces))
    frame.attrs["as_of"] = first.attrs["as_of"]
    return frame


def snapshot_pieces(db_path: str | os.PathLike, as_of=None):
    """The rows of :func:`behavior_snapshots` one query at a time, for a caller that keeps
    only some rows or columns of each, so that the whole table is never held.

    Parameters
    ----------
    db_path : path-like
        DuckDB warehouse, as for :func:`behavior_snapshots`.
    as_of : datetime.date or str, optional
        As for :func:`behavior_snapshots`.

    Yields
    ------
    pandas.DataFrame
        The snapshots of one range of whole months (:func:`snapshot_batches`), in order, empty
        ones included, each with ``attrs["as_of"]``; stacked, they are
        :func:`behavior_snapshots`.
    """
    owner = "behavior_snapshots"
    as_of = as_date(as_of, owner)
    db = warehouse_path(db_path, owner)
    con = connect(db)
    try:
        check_warehouse(con, str(db), REQUIRED_COLUMNS, f"the behaviour snapshots ({owner})")
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
        # one snapshot month per query: every row depends on its own month only, and the
        # whole table in one query held ~4 GB in DuckDB beside the result at 1M applications
        params = {"as_of": as_of, "outcome_lag": OUTCOME_LAG_DAYS}
        batches = [
            {**params, "after": after, "through": through}
            for after, through in snapshot_batches(con, as_of)
        ]
        for piece in iter_batches(con, behavior_sql(), batches):
            piece.attrs["as_of"] = as_of
            yield piece
    finally:
        con.close()


#: Leases times snapshot months per query of :func:`behavior_snapshots`: a bound on its rows
#: (a lease is a row of each month it is active in), so a query's memory stays about the same
#: whatever the warehouse's size. At 1M applications the largest of six queries (3,000,000)
#: held 2.4 GiB in DuckDB; of twelve (this), about 1.5.
SNAPSHOT_BATCH_LEASE_MONTHS = 1_500_000


def snapshot_batches(con, as_of: dt.date) -> list[tuple[dt.date | None, dt.date | None]]:
    """``(after, through]`` ranges of snapshot days, whole calendar months each, that together
    cover every day: the first has no lower bound and the last no upper bound.

    Each range holds as many months as keep leases x months within
    :data:`SNAPSHOT_BATCH_LEASE_MONTHS`, at least one: the 100k-application warehouse is one
    query, the 1M one twelve, a 10M one a query per month.
    """
    first, leases = con.execute(
        "SELECT min(started_on), count(*) FROM orders WHERE started_on <= ?", [as_of]
    ).fetchall()[0]
    if first is None:
        return [(None, None)]
    ends = pd.date_range(first, as_of, freq="ME").date.tolist()
    step = max(1, SNAPSHOT_BATCH_LEASE_MONTHS // max(leases, 1))
    bounds = [None, *ends[step - 1 : -1 : step], None]
    return list(itertools.pairwise(bounds))


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
    frame = snapshot_frame(snapshots, ["snapshot", "mature", TARGET, "dpd"], "behavior_summary")
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
    oot_months = int_param(oot_months, "oot_months", owner, minimum=1)
    gap_months = int_param(gap_months, "gap_months", owner, minimum=0)
    frame = snapshot_frame(snapshots, ["snapshot", "mature"], owner)
    dev, oot = split_masks(frame, np.ones(len(frame), dtype=bool), oot_months, gap_months, owner)
    return frame[dev].copy(), frame[oot].copy()


def split_masks(
    frame: pd.DataFrame, rows: np.ndarray, oot_months: int, gap_months: int, owner: str
) -> tuple[np.ndarray, np.ndarray]:
    """Development and out-of-time rows of :func:`out_of_time_split` among ``rows`` (a mask),
    as masks over ``frame``: the caller copies only the columns it needs."""
    if not rows.any():
        raise DataError(
            f"{owner} got an empty table (0 rows). Pass the snapshots of a warehouse with "
            "active leases."
        )
    mature = rows & frame["mature"].astype(bool).to_numpy()
    when = pd.to_datetime(frame["snapshot"]).to_numpy()
    months = np.unique(when[mature])
    if len(months) <= oot_months + gap_months:
        raise DataError(
            f"{owner}: {len(months)} snapshot month(s) have a mature target, not more than "
            f"oot_months + gap_months = {oot_months + gap_months}. Lower oot_months or "
            "gap_months, or use a longer history."
        )
    oot_start = months[-oot_months]
    dev_end = months[-oot_months - gap_months - 1]
    return mature & (when <= dev_end), mature & (when >= oot_start)


# ------------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------------
def snapshot_frame(snapshots, needed: list[str], owner: str) -> pd.DataFrame:
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


def int_param(value, name: str, owner: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a whole number >= {minimum}. "
            f"Got {value!r} instead."
        )
    return int(value)


def feature_list(value, name: str, owner: str, default) -> list[str]:
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
