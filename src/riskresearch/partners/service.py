"""Partners' service quality over time, from what the warehouse records.

The warehouse dates two service events per lease: the delivery (``orders.started_on``, with
``delivery_address_changed``: the address changed between approval and delivery, a delivery
issue and a fraud signal) and the device's return at the term end (late returns, devices not
back). Complaints are only a count over the last 12 months on the ``partners`` table
(``complaints_12m``), with no date: they cannot be followed month by month, and
:func:`service_trend` says so rather than inventing a series.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from riskresearch.errors import ConfigError
from riskresearch.features import (
    as_date,
    check_warehouse,
    connect,
    warehouse_as_of,
    warehouse_path,
)
from riskresearch.partners.stats import ae_stats

#: Monthly service counts: (events, out of) for each rate.
RATES = {
    "address_change_rate": ("address_changes", "deliveries"),
    "late_return_rate": ("returned_late", "returns"),
    "not_returned_rate": ("not_returned", "term_ends"),
}

_SQL = """
WITH leases AS (
    SELECT partner_id,
           started_on,
           coalesce(delivery_address_changed, false) AS address_changed,
           CAST(started_on + to_months(CAST(lease_term_months AS INTEGER)) AS DATE) AS term_end,
           CASE WHEN ended_on <= $as_of THEN ended_on END AS ended_on,
           CASE WHEN ended_on <= $as_of THEN status ELSE 'active' END AS status
    FROM orders
    WHERE started_on <= $as_of
),
deliveries AS (
    SELECT partner_id, CAST(date_trunc('month', started_on) AS DATE) AS month,
           count(*) AS deliveries, count(*) FILTER (WHERE address_changed) AS address_changes
    FROM leases GROUP BY ALL
),
ends AS (
    -- term ends settled by as_of (a device returned late is back by then, or counted as not
    -- returned); a lease written off or bought out before its term end never reaches it, one
    -- written off after it (or still running) did not give the device back
    SELECT partner_id, CAST(date_trunc('month', term_end) AS DATE) AS month,
           count(*) AS term_ends,
           count(*) FILTER (WHERE status = 'returned'
                            AND date_diff('day', term_end, ended_on) <= $settle) AS returns,
           count(*) FILTER (WHERE status = 'returned'
                            AND date_diff('day', term_end, ended_on) > $grace
                            AND date_diff('day', term_end, ended_on) <= $settle)
               AS returned_late,
           count(*) FILTER (WHERE status IN ('active', 'written_off')
                            OR (status = 'returned'
                                AND date_diff('day', term_end, ended_on) > $settle))
               AS not_returned
    FROM leases
    WHERE term_end + $settle <= $as_of
      AND NOT (status IN ('written_off', 'bought_out_early') AND ended_on <= term_end)
    GROUP BY ALL
)
SELECT coalesce(d.partner_id, e.partner_id) AS partner_id,
       coalesce(d.month, e.month) AS month,
       coalesce(d.deliveries, 0) AS deliveries,
       coalesce(d.address_changes, 0) AS address_changes,
       coalesce(e.term_ends, 0) AS term_ends,
       coalesce(e.returns, 0) AS returns,
       coalesce(e.returned_late, 0) AS returned_late,
       coalesce(e.not_returned, 0) AS not_returned
FROM deliveries d FULL JOIN ends e ON d.partner_id = e.partner_id AND d.month = e.month
ORDER BY partner_id, month
"""


def service_quality(
    db: str | os.PathLike, as_of=None, grace_days: int = 7, settle_days: int = 60
) -> pd.DataFrame:
    """Service events per partner and calendar month.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with ``orders``.
    as_of : datetime.date or str, optional
        Last observed day (default: the warehouse's). Ends after it are unknown.
    grace_days : int, default 7
        A return more than this many days after the term end is late.
    settle_days : int, default 60
        A device not back this many days after the term end is not returned; only term ends
        at least this long before ``as_of`` are counted (a recent one could still come back
        late, which would make recent months look better or worse than they are).

    Returns
    -------
    pandas.DataFrame
        One row per partner and month: ``deliveries`` (leases started), ``address_changes``
        (delivery address changed after approval), ``term_ends`` (terms ending that month and
        settled by ``as_of``; leases written off or bought out before their term end left
        out), ``returns`` (within ``settle_days``), ``returned_late`` (of those, after
        ``grace_days``), ``not_returned`` (still out after ``settle_days``, or written off after
        the term end) and the rates of :data:`RATES`. ``attrs["as_of"]`` holds the date.
    """

    owner = "service_quality"
    for name, value in (("grace_days", grace_days), ("settle_days", settle_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(
                f"The '{name}' parameter of {owner} must be a whole number >= 0. Got "
                f"{value!r} instead."
            )
    if settle_days < grace_days:
        raise ConfigError(
            f"The 'settle_days' parameter of {owner} ({settle_days}) is below grace_days "
            f"({grace_days}). Give settle_days >= grace_days."
        )
    as_of = as_date(as_of, owner)
    path = warehouse_path(db, owner)
    con = connect(path)
    try:
        cols = ("partner_id", "started_on", "lease_term_months", "ended_on", "status",
                "delivery_address_changed")  # fmt: skip
        check_warehouse(con, str(path), {"orders": cols}, owner)
        as_of = as_of or warehouse_as_of(con)
        if as_of is None:
            raise ConfigError(f"The warehouse '{path}' records no as-of date. Pass as_of.")
        frame = con.execute(_SQL, {"as_of": as_of, "grace": grace_days, "settle": settle_days}).df()
    finally:
        con.close()
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    for rate, (num, den) in RATES.items():
        frame[rate] = frame[num] / frame[den].where(frame[den] > 0)
    frame.attrs["as_of"] = as_of
    return frame


def service_trend(
    service: pd.DataFrame,
    partners: pd.DataFrame | None = None,
    recent_months: int = 3,
    level: float = 0.95,
) -> pd.DataFrame:
    """Each partner's recent service against its own earlier months.

    Parameters
    ----------
    service : pandas.DataFrame
        :func:`service_quality`.
    partners : pandas.DataFrame, optional
        The ``partners`` table: its undated ``complaints_12m`` is carried along as it is.
    recent_months : int, default 3
        The last months compared with all earlier ones, per rate among the months it counts
        (delivery months for address changes, settled term-end months for returns).
    level : float, default 0.95
        Interval level of the ratio recent / earlier (:func:`ae_stats`, the earlier rate as
        the expectation).

    Returns
    -------
    pandas.DataFrame
        One row per partner (``attrs["recent"]``: the recent months of each rate): for each
        rate of :data:`RATES` the ``<rate>_earlier`` and
        ``<rate>_recent`` rates, ``<rate>_ratio`` with ``<rate>_low``, and ``worse`` naming the
        rates whose recent ratio is significantly above 1; ``complaints_12m`` (undated: no
        trend) when ``partners`` is given.
    """
    if isinstance(recent_months, bool) or not isinstance(recent_months, int) or recent_months < 1:
        raise ConfigError(
            "The 'recent_months' parameter of service_trend must be a whole number >= 1. Got "
            f"{recent_months!r} instead."
        )
    out = pd.DataFrame({"partner_id": sorted(service["partner_id"].unique())})
    worse = [[] for _ in range(len(out))]
    windows = {}
    for rate, (num, den) in RATES.items():
        months = sorted(service.loc[service[den] > 0, "month"].unique())
        windows[rate] = months[-recent_months:]
        is_recent = service["month"].isin(windows[rate])
        early = service[~is_recent].groupby("partner_id")[[num, den]].sum()
        late = service[is_recent].groupby("partner_id")[[num, den]].sum()
        e = out["partner_id"].map(early[num] / early[den].where(early[den] > 0))
        n = out["partner_id"].map(late[den]).fillna(0)
        o = out["partner_id"].map(late[num]).fillna(0)
        r = o / n.where(n > 0)
        # the expectation: the earlier rate, half an event added so that a partner with none
        # before can still be seen getting worse (NaN without earlier months)
        p = out["partner_id"].map((early[num] + 0.5) / (early[den] + 1.0))
        st = ae_stats(o, n * p, n * p**2, level)
        out[f"{rate}_earlier"] = e
        out[f"{rate}_recent"] = r
        out[f"{rate}_ratio"] = st["ae"].to_numpy()
        out[f"{rate}_low"] = st["ae_low"].to_numpy()
        for i in np.flatnonzero((st["ae_low"] > 1).to_numpy()):
            worse[i].append(rate.removesuffix("_rate"))
    out["worse"] = [";".join(w) for w in worse]
    if partners is not None:
        out["complaints_12m"] = out["partner_id"].map(
            partners.set_index("partner_id")["complaints_12m"]
        )
    out.attrs["recent"] = windows
    return out
