"""Point-in-time features and targets: the warehouse's raw tables -> one modeling table.

The SQL lives in ``riskresearch/sql/modeling_table.sql`` and runs inside DuckDB. It reads the raw
tables of the simulated platform or a user's own tables with the same schema (see
``data/README.md``).
"""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from riskresearch.atomic import atomic_output, writable_folder
from riskresearch.db import connect, out_of_memory, warehouse_path
from riskresearch.errors import ConfigError, DataError

#: Tables (and the columns of each) that the feature SQL reads.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "applications": (
        "application_id",
        "customer_id",
        "segment",
        "applied_at",
        "decided_at",
        "partner_id",
        "decision",
        "occupation",
        "stated_monthly_income",
        "employment_years",
        "phone_tenure_months",
        "platform_credit_score",
        "id_verification",
        "registration_to_application_minutes",
        "application_hour",
        "ip_gps_city_mismatch",
        "company_age_years",
        "registered_capital",
        "industry",
        "employees",
        "annual_revenue",
        "debt_ratio",
        "current_ratio",
        "profit_margin",
        "tax_credit_grade",
        "legal_disputes",
        "device_category",
        "model_tier",
        "retail_price",
        "listed_price",
        "lease_term_months",
        "monthly_rent",
        "devices_requested",
    ),
    "customers": ("customer_id", "birth_date", "city_tier", "education"),
    "bureau_reports": (
        "application_id",
        "inquiries_1m",
        "inquiries_3m",
        "inquiries_6m",
        "open_accounts",
        "lenders_6m",
        "max_dpd_24m",
        "outstanding_debt",
        "utilisation",
    ),
    "prior_leases": ("customer_id", "started_on", "ended_on", "max_dpd", "outcome"),
    "orders": (
        "application_id",
        "customer_id",
        "started_on",
        "status",
        "ended_on",
        "monthly_rent",
        "lease_term_months",
    ),
    "installments": ("application_id", "installment_no", "due_date", "paid_date", "amount_due"),
    "fraud_cases": ("application_id", "confirmed_on"),
}

TARGETS = ("bad", "fpd30", "fraud")


def modeling_sql() -> str:
    """The SQL that builds the modeling table (parameter ``$as_of``)."""
    return resources.files("riskresearch").joinpath("sql/modeling_table.sql").read_text()


def warehouse_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date recorded by the simulator, or None for a warehouse without one."""
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "warehouse_meta" not in tables:
        return None
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'as_of'").fetchall()
    return dt.date.fromisoformat(rows[0][0]) if rows else None


def check_warehouse(
    con: duckdb.DuckDBPyConnection,
    source: str,
    required: dict[str, tuple[str, ...]] | None = None,
    purpose: str = "the modeling-table SQL",
) -> None:
    """Raise a DataError naming every missing table or column of ``required``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    source : str
        The warehouse, named in the message.
    required : dict, optional
        ``{table: columns}``; default :data:`REQUIRED_COLUMNS` (the modeling-table SQL).
    purpose : str
        What needs them, named in the message.
    """
    required = REQUIRED_COLUMNS if required is None else required
    cols = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    have: dict[str, set[str]] = {}
    for table, column in cols:
        have.setdefault(table, set()).add(column)
    problems = []
    for table, needed in required.items():
        if table not in have:
            problems.append(f"table '{table}' is missing")
            continue
        missing = [c for c in needed if c not in have[table]]
        if missing:
            problems.append(f"table '{table}' lacks column(s) {', '.join(missing)}")
    if problems:
        raise DataError(
            f"The warehouse '{source}' cannot feed {purpose}: {'; '.join(problems)}. "
            "See data/README.md for the tables and columns."
        )


def as_date(value, owner: str) -> dt.date | None:
    """``value`` as a date (a date, datetime, Timestamp or 'YYYY-MM-DD'); None stays None."""
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


def modeling_frame(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> duckdb.DuckDBPyRelation:
    """Run the feature SQL on an open connection and return the result relation."""
    return con.sql(modeling_sql(), params={"as_of": as_of})


def build_modeling_table(
    db_path: str | os.PathLike,
    out_path: str | os.PathLike,
    as_of: dt.date | None = None,
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Build the modeling table (Parquet) from a warehouse, atomically.

    Parameters
    ----------
    db_path : path-like
        DuckDB warehouse with the raw tables (``data/README.md``).
    out_path : path-like
        Parquet file to write; written to a temporary file first and moved into place.
    as_of : datetime.date, optional
        Last observed day. Defaults to the date the simulator recorded in ``warehouse_meta``;
        required for a warehouse without one.
    memory_limit : str, optional
        Cap on DuckDB's memory, e.g. ``"2GB"`` (it spills to disk beyond it); DuckDB's default
        is 80% of the machine's memory. At 10M applications 2GB costs 1.6-2x the time.

    Returns
    -------
    pandas.DataFrame
        Row counts by ``segment`` and ``performance_status`` (a summary, not the table).
    """
    db = warehouse_path(db_path, "build_modeling_table")
    out = Path(out_path)
    writable_folder(out, "modeling table")
    con = connect(db, memory_limit=memory_limit)
    try:
        check_warehouse(con, str(db))
        as_of = as_of or warehouse_as_of(con)
        if as_of is None:
            raise ConfigError(
                f"The warehouse '{db}' records no as-of date. Pass as_of (the last observed day)."
            )
        with atomic_output(out, "modeling table") as tmp:
            modeling_frame(con, as_of).write_parquet(str(tmp), compression="zstd")
        summary = con.sql(
            "SELECT segment, performance_status, count(*) AS applications "
            f"FROM read_parquet('{_sql_str(out)}') GROUP BY ALL ORDER BY ALL"
        ).df()
    except duckdb.OutOfMemoryException:
        raise out_of_memory(f"Building the modeling table from '{db}'", memory_limit) from None
    finally:
        con.close()
    return summary


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")
