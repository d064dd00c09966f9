"""Loading a warehouse's partners and application outcomes."""

from __future__ import annotations

import datetime as dt
import os
from importlib import resources

import pandas as pd

from riskresearch.atomic import input_file
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import (
    as_date,
    connect,
    modeling_frame,
    warehouse_as_of,
    warehouse_path,
)
from riskresearch.partners._common import APPLICATION_COLUMNS, PARTNER_COLUMNS, check_frame
from riskresearch.tables import read_table


def load_partner_data(
    db: str | os.PathLike,
    table: str | os.PathLike | pd.DataFrame | None = None,
    as_of=None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    """The partners table and one row per application with its outcomes, from a warehouse.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with the raw tables (``partners``, ``orders``, ``installments``).
    table : path-like or DataFrame, optional
        The modeling table (Parquet/CSV or a frame); built in memory from ``db`` when omitted.
    as_of : datetime.date, optional
        Last observed day (default: the warehouse's).
    encoding : str, optional
        Text encoding of a CSV ``table`` (default UTF-8; ``gb18030`` for GBK from Excel).

    Returns
    -------
    partners, applications : pandas.DataFrame
        ``applications`` is the modeling table plus ``address_changed``, ``dpd30_3m`` and
        ``dpd30_3m_mature`` of each lease.
    as_of : datetime.date
    """

    path = warehouse_path(db, "load_partner_data")
    con = connect(path)
    try:
        as_of = as_date(as_of, "load_partner_data") or warehouse_as_of(con)
        if as_of is None:
            raise ConfigError(f"The warehouse '{path}' records no as-of date. Pass as_of.")
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        for needed in ("partners", "orders", "installments"):
            if needed not in tables:
                raise DataError(
                    f"The warehouse '{path}' has no '{needed}' table. Load it (data/README.md)."
                )
        partners = con.execute("SELECT * FROM partners ORDER BY partner_id").df()
        sql = resources.files("riskresearch").joinpath("sql/partner_leases.sql").read_text()
        leases = con.execute(sql, {"as_of": as_of}).df()
        if table is None:
            apps = modeling_frame(con, as_of).df()
    finally:
        con.close()
    if isinstance(table, pd.DataFrame):
        apps = table
    elif table is not None:
        p = input_file(table, "modeling table", "a CSV or Parquet file, or omit it")

        apps = read_table(p, encoding=encoding, what="modeling table")
    check_frame(partners, PARTNER_COLUMNS, f"The 'partners' table of '{path}'")
    check_frame(apps, APPLICATION_COLUMNS, "The modeling table")
    apps = apps.drop(columns=[c for c in leases.columns[1:] if c in apps.columns])
    apps = apps.merge(leases, on="application_id", how="left")
    apps["dpd30_3m_mature"] = apps["dpd30_3m_mature"].fillna(False).astype(bool)
    return partners, apps, as_of
