"""Roll rates between month-end states, cure and re-default rates of delinquency episodes,
and the outcome of each bucket (why ``bad`` is 60+ dpd)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from riskresearch.arrears._common import BUCKET_DPD, OPEN_STATUSES, STATUSES, positive_int
from riskresearch.arrears.tracking import episode_rows, month_rows
from riskresearch.errors import ConfigError, DataError
from riskresearch.plots import figure_axes


def roll_rates(source, as_of=None, by: str = "count") -> pd.DataFrame:
    """Month-to-month transition matrix between the month-end states of open leases.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        The warehouse, or the output of :func:`contract_months`.
    as_of : datetime.date or str, optional
        Last observed day.
    by : {"count", "amount"}, default "count"
        Rates over leases, or over their outstanding rent at the start of the month.

    Returns
    -------
    pandas.DataFrame
        One row per start state (``current``, ``1-29``, ``30-59``, ``60-89``, ``90+``):
        ``from_status``, ``transitions`` (lease-months), ``outstanding`` (their outstanding
        rent) and one column per end state of :data:`STATUSES` holding the share that moved
        there the next month; each row sums to 1.
    """
    if by not in ("count", "amount"):
        raise ConfigError(
            f"The 'by' parameter of roll_rates must be 'count' or 'amount'. Got {by!r} instead."
        )
    months = month_rows(source, as_of, "roll_rates")
    # sorted by lease and month, the next row of the same lease is its next month: no
    # group-wise shift of the whole table (it held two more copies of it at 1M leases)
    m = months[["application_id", "mob", "status", "outstanding"]].sort_values(
        ["application_id", "mob"]
    )
    lease = m["application_id"].to_numpy()
    has_next = np.append(lease[1:] == lease[:-1], False)
    rows = np.flatnonzero(has_next & m["status"].isin(OPEN_STATUSES).to_numpy())
    outstanding = m["outstanding"].to_numpy()[rows]
    pairs = pd.DataFrame(
        {
            "from_status": m["status"].iloc[rows].to_numpy(),
            "to_status": m["status"].iloc[rows + 1].to_numpy(),
            "weight": outstanding if by == "amount" else 1.0,
            "outstanding": outstanding,
        }
    )
    if pairs.empty:
        raise DataError(
            "roll_rates: no lease has two consecutive months on book by as_of. Pass a later as_of."
        )
    mat = pd.crosstab(
        pairs["from_status"], pairs["to_status"], values=pairs["weight"], aggfunc="sum"
    ).fillna(0.0)
    mat = mat.reindex(index=list(OPEN_STATUSES), columns=list(STATUSES), fill_value=0.0)
    totals = mat.sum(axis=1)
    rates = mat.div(totals.where(totals > 0), axis=0)
    counts = pairs.groupby("from_status").agg(
        transitions=("weight", "size"), outstanding=("outstanding", "sum")
    )
    out = counts.reindex(list(OPEN_STATUSES)).fillna(0).join(rates)
    out["transitions"] = out["transitions"].astype(np.int64)
    out = out.rename_axis("from_status").reset_index()
    out.attrs["as_of"] = months.attrs["as_of"]
    return out


def roll_rate_plot(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Heat map of a roll-rate matrix (:func:`roll_rates`), rates written in the cells."""
    needed = ["from_status", *STATUSES]
    if not isinstance(table, pd.DataFrame) or any(c not in table for c in needed):
        raise DataError(
            f"roll_rate_plot needs the output of roll_rates (columns {needed}). "
            "Pass roll_rates(...)."
        )
    values = table[list(STATUSES)].to_numpy(dtype=float)
    fig, ax = figure_axes(ax, figsize=(8.0, 3.8))
    image = ax.imshow(np.nan_to_num(values), cmap="Reds", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v) and v >= 0.0005:
            ax.text(
                j,
                i,
                f"{v:.1%}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > 0.6 else "black",
            )
    ax.set_xticks(range(len(STATUSES)), list(STATUSES), rotation=30, ha="right")
    ax.set_yticks(range(len(table)), table["from_status"].astype(str))
    ax.set(xlabel="State next month", ylabel="State this month", title="Roll rates")
    fig.colorbar(image, ax=ax, label="share of leases")
    return fig


def _entry_day(episodes: pd.DataFrame, bucket: str) -> pd.Series:
    return episodes["entered_on"] if bucket == "1-29" else episodes[f"reached_{BUCKET_DPD[bucket]}"]


def cure_rates(
    source,
    as_of=None,
    cure_period_days: int = 90,
    redefault_dpd: int = 30,
    redefault_days: int = 180,
) -> pd.DataFrame:
    """Cure and re-default rates of delinquency episodes by the bucket they entered.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        The warehouse, or the output of :func:`delinquency_episodes`.
    as_of : datetime.date or str, optional
        Last observed day.
    cure_period_days : int, default 90
        An episode entering a bucket is *cured* if every overdue instalment is paid within
        this many days of the day it entered the bucket. Only episodes whose cure period ended
        by ``as_of`` are counted (no censoring bias).
    redefault_dpd : {1, 30, 60, 90}, default 30
        A cured lease *re-defaults* when a later episode reaches this many dpd ...
    redefault_days : int, default 180
        ... within this many days of the cure (counted over cures at least this old).

    Returns
    -------
    pandas.DataFrame
        One row per bucket (``1-29``, ``30-59``, ``60-89``, ``90+``): ``entry_dpd``,
        ``episodes``, ``cured``, ``cure_rate``, ``median_days_to_cure`` (among the cured),
        ``written_off`` and ``write_off_rate`` (written off by ``as_of``), ``cures_followed``,
        ``redefaulted`` and ``redefault_rate``, and the three parameters.
    """
    owner = "cure_rates"
    cure_period_days = positive_int(cure_period_days, "cure_period_days", owner)
    redefault_days = positive_int(redefault_days, "redefault_days", owner)
    if redefault_dpd not in (1, 30, 60, 90) or isinstance(redefault_dpd, bool):
        raise ConfigError(
            f"The 'redefault_dpd' parameter of {owner} must be 1, 30, 60 or 90. "
            f"Got {redefault_dpd!r} instead."
        )
    ep = episode_rows(source, as_of, owner)
    as_of_ts = pd.Timestamp(ep.attrs["as_of"])
    period = pd.Timedelta(days=cure_period_days)
    follow = pd.Timedelta(days=redefault_days)
    # the first day each episode reached the re-default level
    re_day = ep["entered_on"] if redefault_dpd == 1 else ep[f"reached_{redefault_dpd}"]
    later = pd.DataFrame(
        {"application_id": ep["application_id"], "episode_no": ep["episode_no"], "day": re_day}
    ).dropna(subset=["day"])
    rows = []
    for bucket, level in BUCKET_DPD.items():
        day = _entry_day(ep, bucket)
        seen = ep[day.notna() & (day + period <= as_of_ts)].copy()
        seen_day = _entry_day(seen, bucket)
        cured = seen["cured_on"].notna() & (seen["cured_on"] <= seen_day + period)
        days = (seen.loc[cured, "cured_on"] - seen_day[cured]).dt.days
        # re-default: cures old enough to be followed for redefault_days
        base = seen[cured & (seen["cured_on"] + follow <= as_of_ts)]
        pairs = base[["application_id", "episode_no", "cured_on"]].merge(
            later, on="application_id", suffixes=("", "_later")
        )
        hit = pairs[
            (pairs["episode_no_later"] > pairs["episode_no"])
            & (pairs["day"] <= pairs["cured_on"] + follow)
        ]
        n_re = hit[["application_id", "episode_no"]].drop_duplicates().shape[0]
        n = len(seen)
        wo = int(seen["written_off_on"].notna().sum())
        rows.append(
            {
                "bucket": bucket,
                "entry_dpd": level,
                "episodes": n,
                "cured": int(cured.sum()),
                "cure_rate": cured.sum() / n if n else np.nan,
                "median_days_to_cure": float(days.median()) if len(days) else np.nan,
                "written_off": wo,
                "write_off_rate": wo / n if n else np.nan,
                "cures_followed": len(base),
                "redefaulted": n_re,
                "redefault_rate": n_re / len(base) if len(base) else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["cure_period_days"] = cure_period_days
    out["redefault_dpd"] = redefault_dpd
    out["redefault_days"] = redefault_days
    return out


def bucket_outcomes(roll: pd.DataFrame, cures: pd.DataFrame) -> pd.DataFrame:
    """Why ``bad`` is 60+ dpd: per bucket, next-month cure and roll-forward, cure within the
    cure period and eventual write-off.

    Parameters
    ----------
    roll : pandas.DataFrame
        Output of :func:`roll_rates` (by count).
    cures : pandas.DataFrame
        Output of :func:`cure_rates`.

    Returns
    -------
    pandas.DataFrame
        One row per delinquency bucket: ``next_month_current`` (share back to current next
        month), ``next_month_worse`` (share in a worse bucket or written off next month),
        ``cure_rate`` and ``write_off_rate`` (episodes entering the bucket). A bucket that
        rarely cures and mostly ends written off marks a bad account.
    """
    order = list(OPEN_STATUSES)
    r = roll.set_index("from_status")
    rows = []
    for bucket in BUCKET_DPD:
        worse = [s for s in order[order.index(bucket) + 1 :]] + ["written_off"]
        c = cures.set_index("bucket").loc[bucket]
        rows.append(
            {
                "bucket": bucket,
                "next_month_current": float(r.loc[bucket, "current"]),
                "next_month_worse": float(r.loc[bucket, worse].sum()),
                "cure_rate": float(c["cure_rate"]),
                "write_off_rate": float(c["write_off_rate"]),
                "cure_period_days": int(c["cure_period_days"]),
            }
        )
    return pd.DataFrame(rows)
