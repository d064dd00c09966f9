"""Reading a warehouse for the post-lease parts (arrears, device recovery): the packaged SQL,
a read-only connection checked for the tables and columns a part reads and for its as-of date,
and derived tables that are either given or built from the warehouse."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from riskresearch.db import connect, fetch_batches, warehouse_path
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import as_date, check_warehouse, warehouse_as_of

__all__ = [
    "LEASE_BATCH",
    "REQUIRED_COLUMNS",
    "lease_batches",
    "open_warehouse",
    "positive_int",
    "read_sql",
    "run_batched",
    "run_query",
    "table_source",
]

_ORDERS = ("application_id", "started_on", "lease_term_months", "monthly_rent", "status")
_INSTALLMENTS = ("application_id", "installment_no", "due_date", "amount_due", "paid_date")
_ACTIONS = (
    "application_id",
    "action_type",
    "action_date",
    "days_past_due",
    "outcome",
    "amount_recovered",
    "resale_value",
    "cost",
)
#: Tables and columns each part reads (see data/README.md).
REQUIRED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "tracking": {
        "orders": (*_ORDERS, "ended_on", "device_category"),
        "installments": _INSTALLMENTS,
        "collection_actions": _ACTIONS,
    },
    "score": {
        "orders": (
            *_ORDERS,
            "ended_on",
            "customer_id",
            "partner_id",
            "device_category",
            "model_tier",
            "units",
            "retail_price",
            "price_vs_retail",
            "deposit",
            "delivery_address_changed",
        ),
        "installments": _INSTALLMENTS,
        "applications": (
            "application_id",
            "segment",
            "platform_credit_score",
            "occupation",
            "stated_monthly_income",
            "id_verification",
            "tax_credit_grade",
        ),
        "bureau_reports": (
            "application_id",
            "max_dpd_24m",
            "lenders_6m",
            "utilisation",
            "inquiries_3m",
        ),
        "prior_leases": ("customer_id", "ended_on", "max_dpd", "outcome"),
    },
    "worklist": {
        "orders": (
            *_ORDERS,
            "ended_on",
            "customer_id",
            "partner_id",
            "device_category",
        ),
        "installments": _INSTALLMENTS,
        "collection_actions": _ACTIONS,
    },
    "recovery": {
        "orders": (
            *_ORDERS,
            "ended_on",
            "device_category",
            "model_tier",
            "units",
            "retail_price",
            "listed_price",
            "deposit",
        ),
        "installments": _INSTALLMENTS,
        "collection_actions": _ACTIONS,
    },
}


# ------------------------------------------------------------------------------------------
# warehouse access
# ------------------------------------------------------------------------------------------
def read_sql(name: str) -> str:
    """The text of the packaged ``sql/<name>.sql``."""
    return resources.files("riskresearch").joinpath(f"sql/{name}.sql").read_text()


@contextmanager
def open_warehouse(
    db, part: str, as_of, owner: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dt.date]]:
    """Open the warehouse read-only, check its tables, resolve and check ``as_of``."""
    as_of = as_date(as_of, owner)
    path = warehouse_path(db, owner)
    con = connect(path)
    try:
        check_warehouse(con, str(path), REQUIRED_COLUMNS[part], owner)
        as_of = as_of or warehouse_as_of(con)
        if as_of is None:
            raise ConfigError(
                f"The warehouse '{path}' records no as-of date. Pass as_of (the last observed "
                f"day) to {owner}."
            )
        first = con.execute("SELECT min(started_on) FROM orders").fetchall()[0][0]
        if first is None:
            raise DataError(f"{owner}: the orders table of '{path}' is empty. Load the leases.")
        if as_of < first:
            raise ConfigError(
                f"The 'as_of' parameter of {owner} ({as_of}) is before the first lease start "
                f"({first}) in '{path}'. Pass a later date."
            )
        yield con, as_of
    finally:
        con.close()


def run_query(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date) -> pd.DataFrame:
    """Run the packaged query ``name`` with ``$as_of``."""
    return con.sql(read_sql(name), params={"as_of": as_of}).df()


#: Leases per query of a per-lease table built in batches (:func:`lease_batches`).
LEASE_BATCH = 125_000


def lease_batches(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, size: int | None = None
) -> list[tuple[int | None, int | None]]:
    """``(after, through]`` ranges of application ids, ``size`` (default :data:`LEASE_BATCH`)
    leases started by ``as_of`` each, that together cover every id: the first has no lower
    bound and the last no upper bound."""
    ends = con.execute(
        "SELECT application_id FROM (SELECT application_id, row_number() OVER "
        "(ORDER BY application_id) AS r FROM orders WHERE started_on <= ?) "
        "WHERE r % ? = 0 ORDER BY application_id",
        [as_of, size or LEASE_BATCH],
    ).fetchall()
    bounds = [None, *(e[0] for e in ends), None]
    return list(itertools.pairwise(bounds))


def run_batched(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date) -> pd.DataFrame:
    """Run the packaged per-lease query ``name`` (``$as_of``, ``$after``, ``$through``) once
    per :func:`lease_batches` range: the same rows as one query, in a fraction of DuckDB's
    memory (the contract months of 1M leases held ~4 GB in one query)."""
    batches = [
        {"as_of": as_of, "after": after, "through": through}
        for after, through in lease_batches(con, as_of)
    ]
    return fetch_batches(con, read_sql(name), batches)


def table_source(source, columns, kind: str, owner: str, as_of, builder) -> pd.DataFrame:
    """A derived table: given (checked) or built from the warehouse path ``source``."""
    if isinstance(source, pd.DataFrame):
        missing = [c for c in columns if c not in source.columns]
        if missing:
            raise DataError(
                f"{owner}: the table lacks column(s) {', '.join(missing)}. Pass the output of "
                f"{kind}() or a warehouse path."
            )
        as_of = as_date(as_of, owner) or source.attrs.get("as_of")
        if as_of is None:
            raise ConfigError(
                f"{owner} got a table without its as-of date. Pass as_of=... or the output of "
                f"{kind}() unchanged."
            )
        # copy-on-write keeps the caller's table safe without a deep copy (0.7 GB per call
        # for the contract months of 1M leases)
        out = source.copy(deep=False)
        out.attrs["as_of"] = as_of
        return out
    return builder(source, as_of)


def positive_int(value, name: str, owner: str) -> int:
    """``value`` as an int >= 1, or a one-line ConfigError naming the parameter and owner."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a positive whole number. "
            f"Got {value!r} instead."
        )
    return int(value)
