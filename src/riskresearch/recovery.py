"""Device return at the term end, recovery of written-off devices and loss given default.

Measured from the warehouse's leases and collection actions; the collections part
(:mod:`riskresearch.arrears`, which re-exports these functions) and the lease economics of the
strategy (:mod:`riskresearch.strategy.economics`) both build on it.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd

from riskresearch.errors import ConfigError
from riskresearch.warehouse import (
    open_warehouse,
    positive_int,
    read_sql,
    run_query,
    table_source,
)

AGE_BANDS = (0, 3, 6, 12)  # device age (months on book) bands: 0-2, 3-5, 6-11, 12+


def age_band(months: pd.Series) -> pd.Series:
    edges = [*AGE_BANDS, np.inf]
    labels = [f"{a}-{b - 1}" if np.isfinite(b) else f"{a}+" for a, b in itertools.pairwise(edges)]
    return pd.cut(months, edges, right=False, labels=labels).astype(str)


def device_returns(db: str | os.PathLike, as_of=None, grace_days: int = 7) -> pd.DataFrame:
    """Buyout, return and late-return rates of leases that reached their term end.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse.
    as_of : datetime.date or str, optional
        Last observed day.
    grace_days : int, default 7
        A return more than this many days after the term end is late; a lease still running
        this long after its term end is overdue.

    Returns
    -------
    pandas.DataFrame
        One row per device category and a total row ``all``: ``term_ends`` (leases whose term
        ended ``grace_days`` before ``as_of``, written-off and early-bought-out leases left
        out), ``bought_out``, ``returned``, ``returned_late``, ``overdue`` (device not back
        yet), their rates over ``term_ends`` (``late_return_rate`` over ``returned``) and
        ``median_return_days``.
    """
    owner = "device_returns"
    grace = positive_int(grace_days, "grace_days", owner)
    with open_warehouse(db, "recovery", as_of, owner) as (con, as_of):
        frame = con.sql(
            read_sql("arrears_returns"), params={"as_of": as_of, "grace_days": grace}
        ).df()
    frame["late"] = frame["return_delay_days"] > grace
    rows = []
    for cat, part in [*frame.groupby("device_category"), ("all", frame)]:
        n = len(part)
        returned = part["status"] == "returned"
        rows.append(
            {
                "device_category": cat,
                "term_ends": n,
                "bought_out": int((part["status"] == "bought_out").sum()),
                "returned": int(returned.sum()),
                "returned_late": int((returned & part["late"]).sum()),
                "overdue": int((part["status"] == "active").sum()),
                "buyout_rate": (part["status"] == "bought_out").mean() if n else np.nan,
                "return_rate": returned.mean() if n else np.nan,
                "late_return_rate": (part["late"] & returned).sum() / returned.sum()
                if returned.any()
                else np.nan,
                "overdue_rate": (part["status"] == "active").mean() if n else np.nan,
                "median_return_days": float(part.loc[returned, "return_delay_days"].median())
                if returned.any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def contract_lgd(db: str | os.PathLike, as_of=None) -> pd.DataFrame:
    """Loss given default of every written-off lease.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse.
    as_of : datetime.date or str, optional
        Last observed day.

    Returns
    -------
    pandas.DataFrame
        One row per lease written off by ``as_of``: device and lease columns, ``age_months``
        (months on book at the write-off) and ``age_band``, ``contract_value``, ``rent_paid``,
        ``arrears`` (billed rent unpaid at the write-off), ``ead`` (outstanding rent at the
        write-off: contract value - rent paid), ``deposit``, ``partial_payments``,
        ``recovered`` / ``resale_value`` (device), ``collection_cost`` (final episode),
        ``loss`` = max(0, ead - deposit - partial payments - resale + cost), ``surplus`` (what
        the recoveries brought in beyond the outstanding rent and the cost, else 0), ``lgd`` =
        loss / ead and ``loss_to_device_cost`` = loss / (listed price x units), the share of
        the device's purchase price lost.

    Notes
    -----
    The loss is floored at 0 per lease, as loss given default is: a short lease that defaults
    near its end owes little rent, and the resale of its recovered device can exceed it. The
    exposure is then recovered in full (LGD 0) and the excess is reported as ``surplus``;
    without the floor such a lease had an LGD of -5 or below, and the mean LGD of short laptop
    leases came out negative.
    """
    with open_warehouse(db, "recovery", as_of, "contract_lgd") as (con, as_of):
        frame = run_query(con, "arrears_lgd", as_of)
    for c in ("started_on", "written_off_on"):
        frame[c] = pd.to_datetime(frame[c])
    frame.insert(frame.columns.get_loc("age_months") + 1, "age_band", age_band(frame["age_months"]))
    net = (
        frame["ead"]
        - frame["deposit"]
        - frame["partial_payments"]
        - frame["resale_value"]
        + frame["collection_cost"]
    )
    frame["loss"] = net.clip(lower=0.0)
    frame["surplus"] = (-net).clip(lower=0.0)
    frame["lgd"] = frame["loss"] / frame["ead"].where(frame["ead"] > 0)
    frame["loss_to_device_cost"] = frame["loss"] / frame["device_cost"].where(
        frame["device_cost"] > 0
    )
    frame.attrs["as_of"] = as_of
    return frame


_LGD_COLUMNS = ("application_id", "device_category", "age_band", "ead", "loss", "resale_value")


def _lgd_source(source, as_of, owner):
    return table_source(source, _LGD_COLUMNS, "contract_lgd", owner, as_of, contract_lgd)


def _resale_to_retail(part: pd.DataFrame, rec: pd.Series) -> float:
    """Net resale of the recovered devices (``rec``) over their unit retail price."""
    if not rec.any():
        return np.nan
    return float(part.loc[rec, "resale_value"].sum() / part.loc[rec, "retail_price"].sum())


def lgd_table(source, as_of=None, by=("device_category", "age_band")) -> pd.DataFrame:
    """Loss given default by group (default: device category and device age at write-off).

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        The warehouse, or the output of :func:`contract_lgd`.
    as_of : datetime.date or str, optional
        Last observed day.
    by : sequence of str, default ("device_category", "age_band")
        Columns of :func:`contract_lgd` to group by (e.g. ``lease_term_months``).

    Returns
    -------
    pandas.DataFrame
        Per group and a total row: ``defaults``, ``ead`` (sum), ``loss`` (sum), ``lgd``
        (amount-weighted: loss / ead), ``mean_lgd`` (per lease), ``recovery_rate`` (devices),
        ``resale_to_retail`` (resale of recovered devices / their unit retail price) and
        ``loss_to_device_cost`` (loss / purchase price of the devices).
    """
    frame = _lgd_source(source, as_of, "lgd_table")
    by = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in by if c not in frame.columns]
    if unknown:
        raise ConfigError(
            f"The 'by' parameter of lgd_table names unknown column(s) {unknown}. Choose among "
            f"{list(frame.columns)}."
        )

    def agg(part: pd.DataFrame) -> dict[str, float]:
        rec = part["recovered"].astype(bool)
        return {
            "defaults": len(part),
            "ead": float(part["ead"].sum()),
            "loss": float(part["loss"].sum()),
            "lgd": float(part["loss"].sum() / part["ead"].sum()) if part["ead"].sum() else np.nan,
            "mean_lgd": float(part["lgd"].mean()),
            "recovery_rate": float(rec.mean()) if len(part) else np.nan,
            "resale_to_retail": _resale_to_retail(part, rec),
            "loss_to_device_cost": float(part["loss"].sum() / part["device_cost"].sum())
            if part["device_cost"].sum()
            else np.nan,
        }

    rows = [
        {**dict(zip(by, key if isinstance(key, tuple) else (key,))), **agg(part)}
        for key, part in frame.groupby(by, sort=True)
    ]
    rows.append({**{c: "all" for c in by}, **agg(frame)})
    return pd.DataFrame(rows)


def device_recovery(source, as_of=None) -> pd.DataFrame:
    """Recovery rate and net resale value of written-off devices by category and age.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        The warehouse, or the output of :func:`contract_lgd`.
    as_of : datetime.date or str, optional
        Last observed day.

    Returns
    -------
    pandas.DataFrame
        Per ``device_category`` and ``age_band`` (months on book at the write-off) and a total
        row: ``written_off``, ``recovered``, ``recovery_rate``, ``mean_resale`` (net resale of
        a recovered device) and ``resale_to_retail`` (over the unit retail price).
    """
    frame = _lgd_source(source, as_of, "device_recovery")
    rows = []
    groups = [*frame.groupby(["device_category", "age_band"], sort=True), (("all", "all"), frame)]
    for (cat, age), part in groups:
        rec = part["recovered"].astype(bool)
        rows.append(
            {
                "device_category": cat,
                "age_band": age,
                "written_off": len(part),
                "recovered": int(rec.sum()),
                "recovery_rate": float(rec.mean()) if len(part) else np.nan,
                "mean_resale": float(part.loc[rec, "resale_value"].mean()) if rec.any() else np.nan,
                "resale_to_retail": _resale_to_retail(part, rec),
            }
        )
    return pd.DataFrame(rows)
