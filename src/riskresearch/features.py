"""Point-in-time features and targets: the warehouse's raw tables -> one modeling table.

The SQL lives in ``riskresearch/sql/modeling_table.sql`` and runs inside DuckDB. It reads the raw
tables of the simulated platform or a user's own tables with the same schema (see
``data/README.md``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from riskresearch.atomic import atomic_output, writable_folder
from riskresearch.errors import BuildError, ConfigError, DataError

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

#: What a DuckDB database file holds after its 8-byte checksum.
DUCKDB_MAGIC = b"DUCK"


def modeling_sql() -> str:
    """The SQL that builds the modeling table (parameter ``$as_of``)."""
    return resources.files("riskresearch").joinpath("sql/modeling_table.sql").read_text()


def connect(
    db, read_only: bool = True, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that prints no progress bar (the library never prints).

    In a Jupyter kernel DuckDB already has the bar off and refuses to change the setting, so
    the refusal is ignored there. ``memory_limit`` (e.g. ``"2GB"``) caps DuckDB's memory; work
    beyond it spills to a temporary folder next to the database. DuckDB's default is 80% of
    the machine's memory. A read-only ``db`` is checked by :func:`warehouse_path` first.
    """
    if memory_limit is not None and not re.fullmatch(
        r"\d+(\.\d+)?\s*(B|[KMGT]i?B)", str(memory_limit), flags=re.I
    ):
        raise ConfigError(
            "The 'memory_limit' parameter must be a size such as '2GB' or '512MB'. "
            f"Got {memory_limit!r} instead."
        )
    if read_only:  # an existing warehouse: a folder or a file of another kind is one line
        db = warehouse_path(db, "connect")
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as exc:  # e.g. locked by a writer, or written by a newer DuckDB
        reason = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(".")
        raise ConfigError(
            f"Cannot open the DuckDB database '{db}' ({reason}). Close the program writing it, "
            f"or give a database this DuckDB ({duckdb.__version__}) can read."
        ) from None
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def out_of_memory(what: str, memory_limit: str | None) -> BuildError:
    """One line for DuckDB running out of memory under a cap (its own message spans ten)."""
    return BuildError(
        f"{what} ran out of DuckDB memory under memory_limit {memory_limit!r}. Raise it (the "
        "modeling table of 10M applications needs about 2GB; riskresearch data build "
        "--memory-limit) or leave it unset."
    )


def warehouse_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date recorded by the simulator, or None for a warehouse without one."""
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "warehouse_meta" not in tables:
        return None
    rows = con.execute("SELECT value FROM warehouse_meta WHERE key = 'as_of'").fetchall()
    return dt.date.fromisoformat(rows[0][0]) if rows else None


def warehouse_path(db, owner: str) -> Path:
    """The path of an existing DuckDB warehouse file.

    Raises
    ------
    ConfigError
        One line when ``db`` is missing, a folder or a file that is not a DuckDB database.
    """
    if not isinstance(db, str | os.PathLike):
        raise ConfigError(
            f"{owner} expects the path of a DuckDB warehouse. Got {type(db).__name__} instead."
        )
    path = Path(db)
    if path.is_dir():
        raise ConfigError(
            f"The warehouse '{path}' is a folder, not a DuckDB file. Give the database file "
            "itself, e.g. data/leasing.duckdb."
        )
    if not path.is_file():
        raise ConfigError(
            f"The warehouse file '{path}' does not exist. Build it with 'riskresearch data build' "
            "or give the path of your own DuckDB file."
        )
    try:
        with path.open("rb") as f:
            header = f.read(len(DUCKDB_MAGIC) + 8)
    except OSError as exc:
        raise ConfigError(f"Cannot read the warehouse '{path}': {exc.strerror or exc}.") from None
    # checked before DuckDB opens it: DuckDB tries to install its sqlite extension (online)
    # for a SQLite file and fails with a multi-line error for anything else
    if header[8:] != DUCKDB_MAGIC:
        raise ConfigError(
            f"'{path}' is not a DuckDB database (it lacks DuckDB's file header). Give a "
            "warehouse built by 'riskresearch data build' or your own DuckDB file."
        )
    return path


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
