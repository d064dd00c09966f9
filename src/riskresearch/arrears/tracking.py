"""Contract tracking: the month-end state of every lease and its delinquency episodes."""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pandas as pd

from riskresearch.arrears._common import open_warehouse, run_batched, run_query, table_source
from riskresearch.errors import DataError

_MONTH_COLUMNS = ("application_id", "cohort", "mob", "snapshot", "status", "max_dpd")


def contract_months(db: str | os.PathLike, as_of=None) -> pd.DataFrame:
    """State of every lease at the end of each calendar month on book.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with ``orders``, ``installments`` and ``collection_actions``.
    as_of : datetime.date or str, optional
        Last observed day; default the ``warehouse_meta`` date. Months ending after it are left
        out, and leases ended / instalments paid after it count as running / unpaid.

    Returns
    -------
    pandas.DataFrame
        One row per lease and complete month on book, sorted by ``application_id, mob``:
        ``cohort`` (start month), ``mob`` (0 = start month), ``snapshot`` (month end),
        ``status`` (one of :data:`STATUSES`: the end state if the lease ended that month, else
        the bucket of ``dpd``), ``dpd`` (days past due of the oldest unpaid instalment at the
        month end, or at the end day), ``max_dpd`` (worst dpd so far), ``arrears`` (rent past
        due and unpaid), ``outstanding`` (scheduled rent not yet paid; 0 after a buyout or
        return, the written-off balance on a write-off), ``device_status`` (``with_customer``,
        ``bought_out``, ``returned``, ``recovered``, ``lost``), ``past_term`` (month end after
        the term end: a device not yet returned is late), ``device_category``,
        ``lease_term_months`` and ``contract_value`` (monthly rent x term). The last month of
        an ended lease is its terminal row. ``attrs["as_of"]`` holds the as-of date.

    Examples
    --------
    >>> months = contract_months("data/leasing.duckdb")      # doctest: +SKIP
    >>> months.groupby("snapshot").status.value_counts()      # doctest: +SKIP
    """
    with open_warehouse(db, "tracking", as_of, "contract_months") as (con, as_of):
        frame = run_batched(con, "arrears_months", as_of)
    if frame.empty:
        raise DataError(
            f"contract_months: no lease in '{db}' has a complete month on book by {as_of}. "
            "Pass a later as_of."
        )
    for c in ("cohort", "snapshot"):
        frame[c] = pd.to_datetime(frame[c])
    frame.attrs["as_of"] = as_of
    return frame


def last_months(months: pd.DataFrame) -> pd.DataFrame:
    """The last month-end row of every lease (its terminal row if it ended)."""
    return months.sort_values(["application_id", "mob"]).drop_duplicates(
        "application_id", keep="last"
    )


def month_rows(source, as_of, owner) -> pd.DataFrame:
    return table_source(source, _MONTH_COLUMNS, "contract_months", owner, as_of, contract_months)


EPISODE_COLUMNS = (
    "application_id",
    "episode_no",
    "entered_on",
    "first_due",
    "cured_on",
    "max_dpd",
    "reached_30",
    "reached_60",
    "reached_90",
    "written_off_on",
    "isolated",
)
_DATE_COLUMNS = (
    "entered_on",
    "first_due",
    "cured_on",
    "reached_30",
    "reached_60",
    "reached_90",
    "written_off_on",
)


def episode_frame(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The episodes SQL (``sql/arrears_episodes.sql``) with its date columns parsed."""
    frame = run_query(con, "arrears_episodes", as_of)
    for c in _DATE_COLUMNS:
        frame[c] = pd.to_datetime(frame[c])
    return frame


def delinquency_episodes(db: str | os.PathLike, as_of=None) -> pd.DataFrame:
    """Every spell with rent past due, with the day it reached 30/60/90 dpd and its end.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with ``orders``, ``installments`` and ``collection_actions``.
    as_of : datetime.date or str, optional
        Last observed day.

    Returns
    -------
    pandas.DataFrame
        One row per episode, sorted by ``application_id, episode_no``: ``entered_on`` (first
        day past due), ``first_due`` and ``first_installment`` (the missed instalment),
        ``installments`` and ``amount`` (instalments late in the episode), ``cured_on`` (the
        day the last of them was paid; NaT while open or after a write-off), ``max_dpd``,
        ``reached_30`` / ``reached_60`` / ``reached_90`` (day it reached that dpd, NaT if it
        did not), ``written_off_on`` and ``isolated`` (the next instalment was paid before the
        late one: an isolated late payment rather than a rolling delinquency).
    """
    with open_warehouse(db, "tracking", as_of, "delinquency_episodes") as (con, as_of):
        frame = episode_frame(con, as_of)
    frame.attrs["as_of"] = as_of
    return frame


def episode_rows(source, as_of, owner) -> pd.DataFrame:
    return table_source(
        source, EPISODE_COLUMNS, "delinquency_episodes", owner, as_of, delinquency_episodes
    )
