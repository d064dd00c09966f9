"""Shared by the arrears modules: month-end states and delinquency buckets; warehouse access
and parameter checks come from :mod:`riskresearch.warehouse` (re-exported here)."""

from __future__ import annotations

from riskresearch.warehouse import (
    REQUIRED_COLUMNS,
    open_warehouse,
    positive_int,
    read_sql,
    run_batched,
    run_query,
    table_source,
)

#: Month-end states of a lease, delinquency buckets first.
STATUSES: tuple[str, ...] = (
    "current",
    "1-29",
    "30-59",
    "60-89",
    "90+",
    "bought_out",
    "returned",
    "written_off",
)
OPEN_STATUSES = STATUSES[:5]
#: Lower bound (dpd) of each delinquency bucket.
BUCKET_DPD: dict[str, int] = {"1-29": 1, "30-59": 30, "60-89": 60, "90+": 90}
BAD_WINDOW_MONTHS = 6  # the `bad` target's window: cohorts with fewer months are immature

__all__ = [
    "BAD_WINDOW_MONTHS",
    "BUCKET_DPD",
    "OPEN_STATUSES",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "open_warehouse",
    "positive_int",
    "read_sql",
    "run_batched",
    "run_query",
    "table_source",
]
