"""Post-lease management and collections: contract tracking, vintages, roll and cure rates, a
collection score, the collection-ladder policy, device recovery and loss given default.

Everything reads the warehouse's raw tables (``orders``, ``installments``,
``collection_actions``; the collection score also ``applications``, ``bureau_reports`` and
``prior_leases``) as of one day, ``as_of`` (default: the ``warehouse_meta`` date), and uses no
event dated after it. The oracle tables are never read.

Conventions
-----------
- Days past due (dpd) of an instalment on day *t* are ``t - due_date`` while it is unpaid, up to
  and including the day it is paid in full: paying 35 days late reaches 35 dpd (as in the
  ``bad`` target of the modeling table).
- Contract tracking is by calendar month: month on book (``mob``) 0 is the month the lease
  started, and the state is taken at each month end (``snapshot``); only complete months up to
  ``as_of`` are reported.
- A delinquency *episode* is a spell with rent past due; it *cures* on the day the last overdue
  instalment is paid. An episode *enters* a bucket (1-29, 30-59, 60-89, 90+) on the first day it
  reaches the bucket's lower bound.
- ``y == 1`` is bad: for the collection score, 1 = not cured within the window (``rolled``); its
  score is higher for accounts more likely to cure.

SQL lives in ``sql/arrears_months.sql``, ``sql/arrears_episodes.sql``,
``sql/arrears_score_features.sql`` and ``sql/arrears_lgd.sql``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from riskresearch import metrics
from riskresearch.atomic import atomic_output
from riskresearch.binning import WoeBinner
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import connect, warehouse_as_of
from riskresearch.plots import _figure_axes, ks_plot
from riskresearch.scorecard import Scorecard
from riskresearch.selection import FeatureSelector

__all__ = [
    "STATUSES",
    "ActionEffects",
    "ArrearsAnalysis",
    "CollectionScore",
    "action_effects",
    "analyse",
    "bucket_outcomes",
    "collection_score_data",
    "contract_lgd",
    "contract_months",
    "cure_rates",
    "delinquency_episodes",
    "develop_collection_score",
    "device_recovery",
    "device_returns",
    "ladder_comparison",
    "lgd_table",
    "portfolio_report",
    "recommend_ladder",
    "roll_rate_plot",
    "roll_rates",
    "simulate_ladder",
    "vintage_curves",
    "vintage_plot",
    "write_arrears",
]

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
AGE_BANDS = (0, 3, 6, 12)  # device age (months on book) bands: 0-2, 3-5, 6-11, 12+
#: The ladder: day (dpd) of each step and the actions the policy may choose there.
LADDER_CHOICES: dict[int, tuple[str, ...]] = {
    30: ("call_reminder", "negotiation"),
    60: ("call_reminder", "negotiation"),
    90: ("call_reminder", "legal_notice"),
}
LADDER_FIXED = {5: "sms_reminder", 15: "call_reminder", 45: "call_reminder", 120: "device_recovery"}
LADDER_STEPS = (30, 45, 60, 90)
LADDER_DAYS = 125  # an episode's ladder is complete 125 days after it reached 30 dpd
PRIOR_ROWS = 20.0  # pseudo-rows shrinking a band's rate toward the rate of all bands

#: Candidate features of the collection score (observed the day an episode starts).
COLLECTION_FEATURES: tuple[str, ...] = (
    "installment_no",
    "installments_left",
    "lease_term_months",
    "device_category",
    "model_tier",
    "monthly_rent",
    "price_vs_retail",
    "deposit_share",
    "partner",
    "segment",
    "platform_credit_score",
    "occupation",
    "stated_monthly_income",
    "payment_to_income",
    "max_dpd_24m",
    "lenders_6m",
    "utilisation",
    "inquiries_3m",
    "mean_days_late",
    "max_days_late",
    "late_share",
    "prior_episodes",
    "prior_max_dpd",
    "days_since_cure",
    "other_max_dpd",
)

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
def _sql(name: str) -> str:
    return resources.files("riskresearch").joinpath(f"sql/{name}.sql").read_text()


def _as_date(value, owner: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
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


@contextmanager
def _warehouse(
    db, part: str, as_of, owner: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dt.date]]:
    """Open the warehouse read-only, check its tables, resolve and check ``as_of``."""
    as_of = _as_date(as_of, owner)
    if not isinstance(db, str | os.PathLike):
        raise ConfigError(
            f"{owner} expects the path of a DuckDB warehouse. Got {type(db).__name__} instead."
        )
    path = Path(db)
    if not path.is_file():
        raise ConfigError(
            f"The warehouse file '{path}' does not exist. Build it with 'riskresearch data "
            "build' or give the path of your own DuckDB file."
        )
    con = connect(path)
    try:
        cols = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
        ).fetchall()
        have: dict[str, set[str]] = {}
        for table, column in cols:
            have.setdefault(table, set()).add(column)
        problems = []
        for table, needed in REQUIRED_COLUMNS[part].items():
            if table not in have:
                problems.append(f"table '{table}' is missing")
                continue
            missing = [c for c in needed if c not in have[table]]
            if missing:
                problems.append(f"table '{table}' lacks column(s) {', '.join(missing)}")
        if problems:
            raise DataError(
                f"{owner}: the warehouse '{path}' cannot be read: {'; '.join(problems)}. "
                "See data/README.md for the tables and columns."
            )
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


def _query(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date) -> pd.DataFrame:
    return con.sql(_sql(name), params={"as_of": as_of}).df()


def _table_source(source, columns, kind: str, owner: str, as_of, builder) -> pd.DataFrame:
    """A derived table: given (checked) or built from the warehouse path ``source``."""
    if isinstance(source, pd.DataFrame):
        missing = [c for c in columns if c not in source.columns]
        if missing:
            raise DataError(
                f"{owner}: the table lacks column(s) {', '.join(missing)}. Pass the output of "
                f"{kind}() or a warehouse path."
            )
        as_of = _as_date(as_of, owner) or source.attrs.get("as_of")
        if as_of is None:
            raise ConfigError(
                f"{owner} got a table without its as-of date. Pass as_of=... or the output of "
                f"{kind}() unchanged."
            )
        out = source.copy()
        out.attrs["as_of"] = as_of
        return out
    return builder(source, as_of)


def _positive_int(value, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a positive whole number. "
            f"Got {value!r} instead."
        )
    return int(value)


# ------------------------------------------------------------------------------------------
# contract tracking
# ------------------------------------------------------------------------------------------
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
    with _warehouse(db, "tracking", as_of, "contract_months") as (con, as_of):
        frame = _query(con, "arrears_months", as_of)
    if frame.empty:
        raise DataError(
            f"contract_months: no lease in '{db}' has a complete month on book by {as_of}. "
            "Pass a later as_of."
        )
    for c in ("cohort", "snapshot"):
        frame[c] = pd.to_datetime(frame[c])
    frame.attrs["as_of"] = as_of
    return frame


def _months(source, as_of, owner) -> pd.DataFrame:
    return _table_source(source, _MONTH_COLUMNS, "contract_months", owner, as_of, contract_months)


def vintage_curves(source, as_of=None) -> pd.DataFrame:
    """Ever-30+/60+/90+ rates by month on book of each monthly cohort, by count and amount.

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        The warehouse, or the output of :func:`contract_months` (not recomputed).
    as_of : datetime.date or str, optional
        Last observed day (default: the warehouse's, or the table's).

    Returns
    -------
    pandas.DataFrame
        One row per cohort (start month) and month on book 1 .. the cohort's last complete
        month: ``contracts`` and ``contract_value`` of the cohort; ``ever_30``, ``ever_60``,
        ``ever_90``: share of its leases that reached 30/60/90 days past due by the end of that
        month; ``ever_30_amount`` ...: the same weighted by contract value (monthly rent x
        term); ``max_mob`` (the cohort's months on book by ``as_of``) and ``mature`` (at least
        the 6 months of the ``bad`` window). Leases that ended stay in their cohort with their
        final state, so every rate is over the whole cohort.

    Examples
    --------
    >>> vint = vintage_curves("data/leasing.duckdb")          # doctest: +SKIP
    >>> vint.pivot(index="mob", columns="cohort", values="ever_60")  # doctest: +SKIP
    """
    months = _months(source, as_of, "vintage_curves")
    first = months.sort_values(["application_id", "mob"]).drop_duplicates("application_id")
    leases = first.set_index("application_id")[["cohort", "contract_value"]]
    last_month = months["snapshot"].max().to_period("M")
    cohorts = leases.groupby("cohort").agg(
        contracts=("contract_value", "size"), contract_value=("contract_value", "sum")
    )
    cohorts["max_mob"] = [(last_month - pd.Timestamp(c).to_period("M")).n for c in cohorts.index]
    top = int(cohorts["max_mob"].max())
    mobs = np.arange(1, max(top, 1) + 1)
    out = pd.DataFrame(
        [(c, m) for c, mm in cohorts["max_mob"].items() for m in mobs if m <= mm],
        columns=["cohort", "mob"],
    )
    if out.empty:
        raise DataError(
            "vintage_curves: no cohort has a complete month on book after its start month. "
            "Pass a later as_of."
        )
    out = out.join(cohorts, on="cohort")
    for level in (30, 60, 90):
        reached = months.loc[months["max_dpd"] >= level].groupby("application_id")["mob"].min()
        hit = leases.join(reached.rename("first_mob"), how="inner")
        for col, weight in ((f"ever_{level}", None), (f"ever_{level}_amount", "contract_value")):
            w = hit[weight] if weight else pd.Series(1.0, hit.index)
            grid = (
                pd.crosstab(hit["cohort"], hit["first_mob"], values=w, aggfunc="sum")
                .reindex(columns=range(top + 1), fill_value=0.0)
                .fillna(0.0)
                .cumsum(axis=1)
            )
            total = cohorts["contracts"] if weight is None else cohorts["contract_value"]
            rate = grid.div(total.reindex(grid.index), axis=0).stack().rename(col)
            rate.index = rate.index.set_names(["cohort", "mob"])
            out = out.join(rate, on=["cohort", "mob"])
            out[col] = out[col].fillna(0.0)
    out["mature"] = out["max_mob"] >= BAD_WINDOW_MONTHS
    cols = ["cohort", "mob", "contracts", "contract_value"]
    cols += [f"ever_{k}" for k in (30, 60, 90)] + [f"ever_{k}_amount" for k in (30, 60, 90)]
    out = out[[*cols, "max_mob", "mature"]].sort_values(["cohort", "mob"], ignore_index=True)
    out.attrs["as_of"] = months.attrs["as_of"]
    return out


def vintage_plot(
    vintages: pd.DataFrame, dpd: int = 30, by: str = "count", ax: Axes | None = None
) -> Figure:
    """Vintage curves: ever-``dpd``+ rate by month on book, one line per monthly cohort.

    Parameters
    ----------
    vintages : pandas.DataFrame
        Output of :func:`vintage_curves`.
    dpd : {30, 60, 90}, default 30
        Delinquency level.
    by : {"count", "amount"}, default "count"
        Share of leases or of contract value.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.

    Returns
    -------
    matplotlib.figure.Figure
        Mature cohorts as solid lines coloured from the oldest (dark) to the newest (light);
        immature cohorts (fewer than 6 months on book by the as-of date) dashed and grey, so
        their short, still-rising curves are not read as good performance.
    """
    if dpd not in (30, 60, 90):
        raise ConfigError(
            f"The 'dpd' parameter of vintage_plot must be 30, 60 or 90. Got {dpd!r} instead."
        )
    if by not in ("count", "amount"):
        raise ConfigError(
            f"The 'by' parameter of vintage_plot must be 'count' or 'amount'. Got {by!r} instead."
        )
    col = f"ever_{dpd}" + ("_amount" if by == "amount" else "")
    needed = ["cohort", "mob", col, "mature"]
    if not isinstance(vintages, pd.DataFrame) or any(c not in vintages for c in needed):
        raise DataError(
            f"vintage_plot needs the output of vintage_curves (columns {needed}). "
            "Pass vintage_curves(...)."
        )
    fig, ax = _figure_axes(ax, figsize=(7.5, 4.8))
    cohorts = sorted(vintages["cohort"].unique())
    mature = vintages.groupby("cohort")["mature"].first()
    grown = [c for c in cohorts if bool(mature[c])]
    cmap = colormaps["viridis"]
    step = max(1, len(grown) // 8)  # label about 8 cohorts; the colour order tells the rest
    shown_immature = False
    for c in cohorts:
        part = vintages[vintages["cohort"] == c]
        if c in grown:
            i = grown.index(c)
            label = (
                pd.Timestamp(c).strftime("%Y-%m") if i % step == 0 or i == len(grown) - 1 else None
            )
            color = cmap(0.85 * i / max(len(grown) - 1, 1))
            ax.plot(part["mob"], part[col], color=color, linewidth=1.2, label=label)
        else:
            ax.plot(
                part["mob"],
                part[col],
                color="grey",
                linestyle="--",
                linewidth=1,
                marker=".",
                label=None if shown_immature else "immature (< 6 months on book)",
            )
            shown_immature = True
    ax.axvline(BAD_WINDOW_MONTHS, color="black", linestyle=":", linewidth=0.8)
    ax.set(
        xlabel="Month on book",
        ylabel=f"Ever {dpd}+ dpd ({'share of contract value' if by == 'amount' else 'share'})",
        title=f"Vintages: ever {dpd}+ days past due by {by}",
    )
    ax.set_ylim(bottom=0)
    ax.legend(
        fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="cohort", title_fontsize=7
    )
    return fig


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
    months = _months(source, as_of, "roll_rates")
    m = months.sort_values(["application_id", "mob"])
    nxt = m.groupby("application_id").shift(-1)
    keep = nxt["mob"].notna() & m["status"].isin(OPEN_STATUSES)
    pairs = pd.DataFrame(
        {
            "from_status": m.loc[keep, "status"].to_numpy(),
            "to_status": nxt.loc[keep, "status"].to_numpy(),
            "weight": m.loc[keep, "outstanding"].to_numpy() if by == "amount" else 1.0,
            "outstanding": m.loc[keep, "outstanding"].to_numpy(),
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
    fig, ax = _figure_axes(ax, figsize=(8.0, 3.8))
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


# ------------------------------------------------------------------------------------------
# delinquency episodes, cure and re-default
# ------------------------------------------------------------------------------------------
_EPISODE_COLUMNS = (
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
    with _warehouse(db, "tracking", as_of, "delinquency_episodes") as (con, as_of):
        frame = _query(con, "arrears_episodes", as_of)
    for c in _DATE_COLUMNS:
        frame[c] = pd.to_datetime(frame[c])
    frame.attrs["as_of"] = as_of
    return frame


def _episodes(source, as_of, owner) -> pd.DataFrame:
    return _table_source(
        source, _EPISODE_COLUMNS, "delinquency_episodes", owner, as_of, delinquency_episodes
    )


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
    cure_period_days = _positive_int(cure_period_days, "cure_period_days", owner)
    redefault_days = _positive_int(redefault_days, "redefault_days", owner)
    if redefault_dpd not in (1, 30, 60, 90) or isinstance(redefault_dpd, bool):
        raise ConfigError(
            f"The 'redefault_dpd' parameter of {owner} must be 1, 30, 60 or 90. "
            f"Got {redefault_dpd!r} instead."
        )
    ep = _episodes(source, as_of, owner)
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


# ------------------------------------------------------------------------------------------
# collection score
# ------------------------------------------------------------------------------------------
def collection_score_data(
    db: str | os.PathLike, as_of=None, cure_within_days: int = 30
) -> pd.DataFrame:
    """One row per delinquency episode, with features as of the day it entered 1-29 dpd and
    the target: cured within ``cure_within_days`` days.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse (``orders``, ``installments``, ``applications``, ``bureau_reports``,
        ``prior_leases``).
    as_of : datetime.date or str, optional
        Last observed day.
    cure_within_days : int, default 30
        Cure window from the entry day (the first day past due).

    Returns
    -------
    pandas.DataFrame
        The episode columns of :func:`delinquency_episodes`, ``entry_month``, the candidate
        features (:data:`COLLECTION_FEATURES` and a few more; each uses only events dated
        before the entry day), ``mature`` (the window ended by ``as_of``), ``cured`` (1 = every
        overdue instalment paid within the window) and ``rolled`` (``1 - cured``, the bad
        class of the score); both NaN while immature.
    """
    owner = "collection_score_data"
    window = _positive_int(cure_within_days, "cure_within_days", owner)
    with _warehouse(db, "score", as_of, owner) as (con, as_of):
        ep = _query(con, "arrears_episodes", as_of)
        con.register("episodes", ep)
        feats = _query(con, "arrears_score_features", as_of)
        con.unregister("episodes")
    for c in _DATE_COLUMNS:
        ep[c] = pd.to_datetime(ep[c])
    feats = feats.drop(columns=["entered_on"])
    frame = ep.merge(feats, on=["application_id", "episode_no"], how="left", validate="1:1")
    frame.insert(3, "entry_month", frame["entered_on"].dt.to_period("M").dt.to_timestamp())
    end = frame["entered_on"] + pd.Timedelta(days=window)
    frame["mature"] = end <= pd.Timestamp(as_of)
    cured = (frame["cured_on"].notna() & (frame["cured_on"] <= end)).astype(float)
    frame["cured"] = cured.where(frame["mature"])
    frame["rolled"] = 1.0 - frame["cured"]
    frame.attrs["as_of"] = as_of
    frame.attrs["cure_within_days"] = window
    return frame


@dataclass
class CollectionScore:
    """A developed collection score (see :func:`develop_collection_score`).

    Attributes
    ----------
    model : Scorecard
        WOE scorecard of ``rolled`` (1 = not cured in the window); a higher score means more
        likely to cure. ``model.to_json()`` is the text artifact.
    features : list of str
        Candidate features given to the scorecard.
    train, oot : pandas.DataFrame
        Development and out-of-time episodes with ``score`` and ``p_cure``.
    metrics : dict
        AUC, Gini and KS on the development and out-of-time rows, sizes, cure rates, dates.
    bands : pandas.DataFrame
        :func:`riskresearch.metrics.band_table` of the out-of-time rows by score (riskiest
        band = least likely to cure first).
    """

    model: Scorecard
    features: list[str]
    train: pd.DataFrame
    oot: pd.DataFrame
    metrics: dict[str, Any]
    bands: pd.DataFrame

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Collection score of every row (higher = more likely to cure)."""
        return self.model.predict_score(frame[self.model.features_])

    def p_cure(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of curing within the window implied by the score."""
        return self.model.predict_proba(frame[self.model.features_])[:, 0]


def develop_collection_score(
    data,
    as_of=None,
    oot_months: int = 4,
    seed: int = 0,
    features=None,
) -> CollectionScore:
    """Fit the collection score on early entry months and evaluate it on the latest ones.

    Parameters
    ----------
    data : path-like or pandas.DataFrame
        A warehouse, or the output of :func:`collection_score_data`.
    as_of : datetime.date or str, optional
        Last observed day (only with a warehouse path).
    oot_months : int, default 4
        The last ``oot_months`` entry months with a complete cure window are the out-of-time
        sample; earlier months are the development sample.
    seed : int, default 0
        Recorded with the metrics. The development is deterministic: WOE binning, the IV,
        correlation and VIF filters and a logistic regression draw no random numbers.
    features : list of str, optional
        Candidate features; default :data:`COLLECTION_FEATURES`.

    Returns
    -------
    CollectionScore

    Examples
    --------
    >>> cs = develop_collection_score("data/leasing.duckdb", seed=7)   # doctest: +SKIP
    >>> cs.metrics["oot_ks"]                                          # doctest: +SKIP
    """
    owner = "develop_collection_score"
    oot_months = _positive_int(oot_months, "oot_months", owner)
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = collection_score_data(data, as_of)
    features = list(features) if features is not None else list(COLLECTION_FEATURES)
    needed = ["entry_month", "mature", "rolled", *features]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{owner}: the data lacks column(s) {', '.join(missing)}. Pass the output of "
            "collection_score_data() or choose features among its columns."
        )
    mature = frame[frame["mature"].astype(bool)]
    months = sorted(mature["entry_month"].unique())
    if len(months) <= oot_months:
        raise DataError(
            f"{owner}: {len(months)} entry month(s) have a complete cure window, not more than "
            f"oot_months={oot_months}. Lower oot_months or use a longer history."
        )
    oot_start = months[-oot_months]
    is_oot = (mature["entry_month"] >= oot_start).to_numpy()
    train, oot = mature[~is_oot].copy(), mature[is_oot].copy()
    for part, name in ((train, "development"), (oot, "out-of-time")):
        if part["rolled"].nunique() < 2:
            raise DataError(
                f"{owner}: the {name} sample has only one outcome (all cured or none). "
                "Change oot_months or use more data."
            )
    model = Scorecard(
        binner=WoeBinner(max_n_bins=6),
        # the IV, correlation and VIF filters; forward selection is left out: it costs ~5x the
        # fit time on 30k episodes for no out-of-time gain
        selector=FeatureSelector(forward=False, random_state=seed),
    )
    model.fit(train[features], train["rolled"].astype(np.int64))
    out = {}
    for part, name in ((train, "train"), (oot, "oot")):
        part["score"] = model.predict_score(part[features])
        part["p_cure"] = model.predict_proba(part[features])[:, 0]
        s = metrics.summary(part["rolled"].astype(np.int64), -part["score"])
        out.update({f"{name}_{k}": v for k, v in s.items() if k != "bad_rate"})
        out[f"{name}_cure_rate"] = float(1 - part["rolled"].mean())
    out.update(
        {
            "oot_start": pd.Timestamp(oot_start).strftime("%Y-%m"),
            "oot_months": oot_months,
            "cure_within_days": int(frame.attrs.get("cure_within_days", 30)),
            "features": list(model.features_),
            "seed": seed,
        }
    )
    bands = metrics.band_table(oot["rolled"].astype(np.int64), score=oot["score"], bands=10)
    keep = ["application_id", "episode_no", "entered_on", "entry_month", "rolled", "score"]
    return CollectionScore(
        model=model,
        features=features,
        train=train[[*keep, "p_cure"]].reset_index(drop=True),
        oot=oot[[*keep, "p_cure"]].reset_index(drop=True),
        metrics=out,
        bands=bands,
    )


# ------------------------------------------------------------------------------------------
# the collection ladder: action effects and policy simulation
# ------------------------------------------------------------------------------------------
@dataclass
class ActionEffects:
    """Estimated effects of the ladder's actions by collection-score band.

    Built by :func:`action_effects` from the historical ladder, whose stronger action at 30, 60
    and 90 dpd was drawn at random. The *ladder population* is the rolling delinquencies (not
    isolated late payments) that reached 30 dpd and whose ladder is complete by ``as_of``.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per band, step (30, 45, 60, 90 dpd) and action: ``rows``, ``cures`` (outcome
        ``paid``), ``observed_rate``, ``cure_rate`` (shrunk toward all bands by 20 pseudo-rows),
        ``partial_cash`` (mean payment per action that did not cure, e.g. a payment plan's
        instalment, counted over all rows of the action),
        ``cash_at_cure`` (mean arrears paid at a cure) and ``cost`` per action.
    bands : pandas.DataFrame
        ``band`` (1 = least likely to cure), ``score_from``, ``score_to``, ``episodes`` of the
        ladder population, ``isolated_30`` / ``isolated_45`` (isolated late payments that got
        the 30/45-dpd action), and the write-off parameters ``recovery_rate``, ``resale``
        (mean net resale of a recovered device), ``written_off_balance`` (mean outstanding
        rent at write-off) and ``recovery_cost``.
    observed : pandas.DataFrame
        What the historical ladder actually achieved on the same episodes, per band.
    baseline_shares : dict
        Share of the stronger action at 30, 60 and 90 dpd under the historical ladder.
    """

    steps: pd.DataFrame
    bands: pd.DataFrame
    observed: pd.DataFrame
    baseline_shares: dict[int, float]
    as_of: dt.date


def _shrunk(num, den, pooled, prior=PRIOR_ROWS):
    return (num + prior * pooled) / (den + prior)


def action_effects(
    db: str | os.PathLike,
    score: CollectionScore,
    as_of=None,
    bands: int = 4,
    data: pd.DataFrame | None = None,
) -> ActionEffects:
    """Estimate each ladder action's cure rate and recovery by collection-score band.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with ``collection_actions``.
    score : CollectionScore
        The collection score; its score at the episode's entry day sets the band.
    as_of : datetime.date or str, optional
        Last observed day.
    bands : int, default 4
        Number of score bands (quantiles of the score in the ladder population).
    data : pandas.DataFrame, optional
        Output of :func:`collection_score_data` (recomputed when missing).

    Returns
    -------
    ActionEffects

    Notes
    -----
    The historical ladder gave isolated late payments (the customer kept paying the following
    instalments) a call at 30 and 45 dpd without the random draw, so they are kept out of the
    estimates (:func:`delinquency_episodes`, ``isolated``); counting them would credit the call
    with the cures of customers who pay anyway. A cure's value and the write-off economics are
    taken from the same band.
    """
    owner = "action_effects"
    bands = _positive_int(bands, "bands", owner)
    if not isinstance(score, CollectionScore):
        raise ConfigError(
            f"The 'score' parameter of {owner} must be a CollectionScore from "
            f"develop_collection_score. Got {type(score).__name__} instead."
        )
    with _warehouse(db, "recovery", as_of, owner) as (con, as_of):
        actions = con.sql(
            "SELECT application_id, action_type, action_date, days_past_due, outcome, "
            "amount_recovered, coalesce(resale_value, 0) AS resale_value, cost "
            "FROM collection_actions WHERE action_date <= $as_of AND days_past_due >= 30",
            params={"as_of": as_of},
        ).df()
        lgd = _query(con, "arrears_lgd", as_of)
    if data is None:
        data = collection_score_data(db, as_of)
    as_of_ts = pd.Timestamp(as_of)
    ep = data[list(_EPISODE_COLUMNS)].copy()
    ep["score"] = score.score(data)
    done = ep["reached_30"].notna() & (
        ep["reached_30"] + pd.Timedelta(days=LADDER_DAYS) <= as_of_ts
    )
    rolling_done = done & ~ep["isolated"].astype(bool)
    if rolling_done.sum() < 2 * bands:
        raise DataError(
            f"{owner}: only {int(rolling_done.sum())} rolling delinquencies reached 30 dpd "
            f"with a complete ladder by {as_of}; too few for {bands} bands. Use more data or "
            "fewer bands."
        )
    cuts = np.unique(np.quantile(ep.loc[rolling_done, "score"], np.arange(1, bands) / bands))
    ep["band"] = 1 + np.searchsorted(cuts, ep["score"].to_numpy(), side="right")
    pop = ep[rolling_done]
    actions["action_date"] = pd.to_datetime(actions["action_date"])
    linked = actions.merge(
        ep[done][
            [
                "application_id",
                "first_due",
                "cured_on",
                "written_off_on",
                "isolated",
                "band",
                "episode_no",
            ]
        ],
        on="application_id",
    )
    end = linked["cured_on"].fillna(linked["written_off_on"]).fillna(as_of_ts)
    linked = linked[(linked["action_date"] > linked["first_due"]) & (linked["action_date"] <= end)]
    rolling = linked[~linked["isolated"].astype(bool)]
    ladder = rolling[rolling["days_past_due"].isin(LADDER_STEPS)]
    costs = actions.groupby("action_type")["cost"].mean()
    needed = {a for c in LADDER_CHOICES.values() for a in c} | {"device_recovery"}
    absent = sorted(needed - set(costs.index))
    if absent:
        raise DataError(
            f"{owner}: collection_actions holds no {', '.join(absent)} row; the ladder's "
            "effects cannot be estimated without every action of the historical ladder."
        )
    ladder = ladder.assign(
        paid=(ladder["outcome"] == "paid").astype(float),
        cash_paid=ladder["amount_recovered"].where(ladder["outcome"] == "paid", 0.0),
        cash_other=ladder["amount_recovered"].where(ladder["outcome"] != "paid", 0.0),
    )
    grp = ladder.groupby(["band", "days_past_due", "action_type"]).agg(
        rows=("paid", "size"), cures=("paid", "sum"), partial=("cash_other", "sum")
    )
    pooled = ladder.groupby(["days_past_due", "action_type"]).agg(
        rows=("paid", "size"), cures=("paid", "sum"), partial=("cash_other", "sum")
    )
    at_cure = ladder[ladder["paid"] == 1].groupby(["band", "days_past_due"])["cash_paid"].mean()
    at_cure_all = ladder[ladder["paid"] == 1].groupby("days_past_due")["cash_paid"].mean()
    rows = []
    band_ids = list(range(1, len(cuts) + 2))
    for b in band_ids:
        for step in LADDER_STEPS:
            for action in LADDER_CHOICES.get(step, ("call_reminder",)):
                n, k, part = (
                    grp.loc[(b, step, action)].tolist()
                    if (b, step, action) in grp.index
                    else (0, 0.0, 0.0)
                )
                pn, pk, pp = (
                    pooled.loc[(step, action)].tolist()
                    if (step, action) in pooled.index
                    else (0, 0.0, 0.0)
                )
                if pn == 0:
                    raise DataError(
                        f"{owner}: no {action} at {step} dpd in the ladder population; its "
                        "effect cannot be estimated. Use a longer history."
                    )
                cure_all = at_cure_all.get(step, 0.0)
                rows.append(
                    {
                        "band": b,
                        "dpd": step,
                        "action": action,
                        "rows": int(n),
                        "cures": int(k),
                        "observed_rate": k / n if n else np.nan,
                        "cure_rate": _shrunk(k, n, pk / pn),
                        "partial_cash": _shrunk(part, n, pp / pn),
                        "cash_at_cure": float(at_cure.get((b, step), cure_all)),
                        "cost": float(costs[action]),
                    }
                )
    steps = pd.DataFrame(rows)

    # write-off economics and volumes per band
    wo = pop[pop["written_off_on"].notna()].merge(
        lgd[["application_id", "recovered", "resale_value", "ead"]], on="application_id"
    )
    all_rec = wo["recovered"].mean() if len(wo) else 0.0
    all_resale = wo.loc[wo["recovered"], "resale_value"].mean() if wo["recovered"].any() else 0.0
    all_ead = wo["ead"].mean() if len(wo) else 0.0
    iso = linked[linked["isolated"].astype(bool)]
    band_rows = []
    edges = np.r_[-np.inf, cuts, np.inf]
    for i, b in enumerate(band_ids):
        w = wo[wo["band"] == b]
        rec = w["recovered"]
        band_rows.append(
            {
                "band": b,
                "score_from": float(edges[i]),
                "score_to": float(edges[i + 1]),
                "episodes": int((pop["band"] == b).sum()),
                "isolated_30": int(((iso["band"] == b) & (iso["days_past_due"] == 30)).sum()),
                "isolated_45": int(((iso["band"] == b) & (iso["days_past_due"] == 45)).sum()),
                "write_offs": len(w),
                "recovery_rate": _shrunk(rec.sum(), len(w), all_rec),
                "resale": float(w.loc[rec, "resale_value"].mean()) if rec.any() else all_resale,
                "written_off_balance": float(w["ead"].mean()) if len(w) else all_ead,
                "recovery_cost": float(costs["device_recovery"]),
            }
        )
    band_table = pd.DataFrame(band_rows)

    # what the historical ladder achieved on the same episodes
    pop_linked = rolling
    obs_rows = []
    for b in band_ids:
        p = pop[pop["band"] == b]
        a = pop_linked[pop_linked["band"] == b]
        w = wo[wo["band"] == b]
        i = iso[(iso["band"] == b) & iso["days_past_due"].isin([30, 45])]
        obs_rows.append(
            {
                "band": b,
                "episodes": len(p),
                "cures": int(p["cured_on"].notna().sum()),
                "cash": float(a["amount_recovered"].sum()),
                "resale": float(w["resale_value"].sum()),
                "cost": float(a["cost"].sum() + i["cost"].sum()),
                "devices_recovered": int(w["recovered"].sum()),
                "write_offs": len(w),
                "written_off_balance": float(w["ead"].sum()),
            }
        )
    observed = pd.DataFrame(obs_rows)
    shares = {}
    for step, (_, treated) in LADDER_CHOICES.items():
        at = ladder[ladder["days_past_due"] == step]
        shares[step] = float((at["action_type"] == treated).mean()) if len(at) else 0.5
    return ActionEffects(
        steps=steps, bands=band_table, observed=observed, baseline_shares=shares, as_of=as_of
    )


def _policy_shares(policy, effects: ActionEffects, owner: str) -> pd.DataFrame:
    """Share of the stronger action per band and step (rows: bands; columns: 30, 60, 90)."""
    band_ids = effects.bands["band"].tolist()
    if isinstance(policy, str):
        if policy != "baseline":
            raise ConfigError(
                f"The 'policy' parameter of {owner} must be 'baseline' or a DataFrame with "
                f"columns band, dpd_30, dpd_60, dpd_90. Got {policy!r} instead."
            )
        return pd.DataFrame(
            {s: [effects.baseline_shares[s]] * len(band_ids) for s in LADDER_CHOICES},
            index=band_ids,
        )
    needed = ["band", *(f"dpd_{s}" for s in LADDER_CHOICES)]
    if not isinstance(policy, pd.DataFrame) or any(c not in policy for c in needed):
        raise ConfigError(
            f"The 'policy' parameter of {owner} must be 'baseline' or a DataFrame with columns "
            f"{needed}. Got {type(policy).__name__} instead."
        )
    if sorted(policy["band"].tolist()) != band_ids:
        raise ConfigError(
            f"The 'policy' of {owner} must give one row per band {band_ids}. Got bands "
            f"{sorted(policy['band'].tolist())} instead."
        )
    out = pd.DataFrame(index=band_ids, columns=list(LADDER_CHOICES), dtype=float)
    for _, row in policy.iterrows():
        for step, choices in LADDER_CHOICES.items():
            action = row[f"dpd_{step}"]
            if action not in choices:
                raise ConfigError(
                    f"The 'policy' of {owner}: dpd_{step} of band {row['band']} must be one of "
                    f"{list(choices)}. Got {action!r} instead."
                )
            out.loc[int(row["band"]), step] = float(action == choices[1])
    return out


def _evaluate(effects: ActionEffects, shares: pd.DataFrame) -> pd.DataFrame:
    """Expected outcome of the ladder population under treated shares (Markov over steps)."""
    st = effects.steps.set_index(["band", "dpd", "action"])
    rows = []
    for _, b in effects.bands.iterrows():
        band = int(b["band"])
        reach, cures, cash, cost = 1.0, 0.0, 0.0, 0.0
        for step in LADDER_STEPS:
            choices = LADDER_CHOICES.get(step, ("call_reminder",))
            s = shares.loc[band, step] if step in LADDER_CHOICES else 0.0
            mix = [(1 - s, st.loc[(band, step, choices[0])])]
            if len(choices) > 1:
                mix.append((s, st.loc[(band, step, choices[1])]))
            p = sum(w * r["cure_rate"] for w, r in mix)
            cost += reach * sum(w * r["cost"] for w, r in mix)
            # partial_cash is already a mean over all rows of the action (0 on a cure)
            cash += reach * sum(
                w * (r["cure_rate"] * r["cash_at_cure"] + r["partial_cash"]) for w, r in mix
            )
            cures += reach * p
            reach *= 1 - p
        n = b["episodes"]
        s30 = shares.loc[band, 30]
        call = st.loc[(band, 30, "call_reminder"), "cost"]
        treated = st.loc[(band, 30, LADDER_CHOICES[30][1]), "cost"]
        iso_cost = b["isolated_30"] * ((1 - s30) * call + s30 * treated) + b["isolated_45"] * call
        devices = reach * b["recovery_rate"]
        rows.append(
            {
                "band": band,
                "episodes": int(n),
                "cures": n * cures,
                "cure_rate": cures,
                "cash": n * cash,
                "resale": n * devices * b["resale"],
                "cost": n * (cost + reach * b["recovery_cost"]) + iso_cost,
                "devices_recovered": n * devices,
                "write_offs": n * reach,
                "written_off_balance": n * reach * b["written_off_balance"],
            }
        )
    return pd.DataFrame(rows)


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    total = table.drop(columns=["band"]).sum(numeric_only=True).to_dict()
    total["band"] = "all"
    table = table.assign(band=table["band"].astype(str))
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["cure_rate"] = table["cures"].astype(float) / table["episodes"].astype(float)
    table["recovered"] = table["cash"].astype(float) + table["resale"].astype(float)
    table["net"] = (
        table["recovered"]
        - table["cost"].astype(float)
        - table["written_off_balance"].astype(float)
    )
    cols = [
        "band",
        "episodes",
        "cures",
        "cure_rate",
        "cash",
        "resale",
        "recovered",
        "cost",
        "devices_recovered",
        "write_offs",
        "written_off_balance",
        "net",
    ]
    out = table[cols]
    return out.astype({c: float for c in cols[1:]}).astype({"episodes": np.int64})


def simulate_ladder(policy, effects: ActionEffects) -> pd.DataFrame:
    """Expected cures, recoveries, costs and devices of a ladder policy on the ladder population.

    Parameters
    ----------
    policy : "baseline" or pandas.DataFrame
        ``"baseline"`` is the historical ladder (the stronger action at 30/60/90 dpd with the
        historical shares). A DataFrame gives per ``band`` the action at ``dpd_30`` and
        ``dpd_60`` (``call_reminder`` or ``negotiation``) and ``dpd_90`` (``call_reminder`` or
        ``legal_notice``), e.g. the output of :func:`recommend_ladder`.
    effects : ActionEffects
        Output of :func:`action_effects`.

    Returns
    -------
    pandas.DataFrame
        One row per band and a total row ``all``: ``episodes``, expected ``cures`` and
        ``cure_rate``, ``cash`` (arrears paid at cures and partial payments), ``resale`` (net
        resale of recovered devices), ``recovered`` (cash + resale), ``cost`` (every action
        from 30 dpd on, device recovery included, and the 30/45-dpd actions of isolated late
        payments), ``devices_recovered``, ``write_offs``, ``written_off_balance`` (outstanding
        rent lost at write-off) and ``net`` = recovered - cost - written-off balance.

    Notes
    -----
    Each step's cure probability depends on the band and the action taken there, not on the
    earlier actions (as the random draws of the historical ladder allow to estimate); steps
    at 5 and 15 dpd are before the ladder population is defined and are left as they are.
    """
    if not isinstance(effects, ActionEffects):
        raise ConfigError(
            "The 'effects' parameter of simulate_ladder must be an ActionEffects from "
            f"action_effects. Got {type(effects).__name__} instead."
        )
    return _finish(_evaluate(effects, _policy_shares(policy, effects, "simulate_ladder")))


def recommend_ladder(effects: ActionEffects, objective: str = "net") -> pd.DataFrame:
    """The ladder that maximises the expected net recovery in each score band.

    Every combination of the stronger or the weaker action at 30, 60 and 90 dpd is simulated
    per band (:func:`simulate_ladder`); the best objective wins, the cheaper ladder on a tie.

    Parameters
    ----------
    effects : ActionEffects
        Output of :func:`action_effects`.
    objective : {"net", "cash"}, default "net"
        ``"net"``: recovered - cost - written-off balance (a cure keeps the lease's remaining
        rent on the books). ``"cash"``: recovered - cost only (a cure is worth the arrears it
        pays; a write-off the device's resale), which favours cheap actions.

    Returns
    -------
    pandas.DataFrame
        The recommended ladder, one row per band (1 = least likely to cure): ``score_from``,
        ``score_to``, the action at each step ``dpd_5`` ... ``dpd_120``, and per episode the
        expected ``cure_rate``, ``recovered``, ``cost``, ``devices_recovered`` and ``net``,
        ``objective``, and ``gain``: the objective's gain over the historical ladder per
        episode.
    """
    if not isinstance(effects, ActionEffects):
        raise ConfigError(
            "The 'effects' parameter of recommend_ladder must be an ActionEffects from "
            f"action_effects. Got {type(effects).__name__} instead."
        )
    if objective not in ("net", "cash"):
        raise ConfigError(
            "The 'objective' parameter of recommend_ladder must be 'net' or 'cash'. "
            f"Got {objective!r} instead."
        )
    band_ids = effects.bands["band"].tolist()
    base = _finish(_evaluate(effects, _policy_shares("baseline", effects, "recommend"))).iloc[:-1]

    def value(r) -> float:
        return float(r["net"] if objective == "net" else r["recovered"] - r["cost"])

    best: dict[int, tuple] = {}
    for combo in itertools.product((0.0, 1.0), repeat=len(LADDER_CHOICES)):
        shares = pd.DataFrame([combo] * len(band_ids), index=band_ids, columns=list(LADDER_CHOICES))
        res = _finish(_evaluate(effects, shares)).iloc[:-1]
        for i, b in enumerate(band_ids):
            r = res.iloc[i]
            key = (round(value(r), 6), -float(r["cost"]))
            if b not in best or key > best[b][0]:
                best[b] = (key, combo, r)
    rows = []
    for i, b in enumerate(band_ids):
        _, combo, r = best[b]
        n = max(int(r["episodes"]), 1)
        info = effects.bands.iloc[i]
        row = {"band": b, "score_from": info["score_from"], "score_to": info["score_to"]}
        for step in (5, 15, 30, 45, 60, 90, 120):
            if step in LADDER_CHOICES:
                row[f"dpd_{step}"] = LADDER_CHOICES[step][
                    int(combo[list(LADDER_CHOICES).index(step)])
                ]
            else:
                row[f"dpd_{step}"] = LADDER_FIXED[step]
        row.update(
            {
                "episodes": int(r["episodes"]),
                "cure_rate": float(r["cure_rate"]),
                "recovered": float(r["recovered"]) / n,
                "cost": float(r["cost"]) / n,
                "devices_recovered": float(r["devices_recovered"]) / n,
                "net": float(r["net"]) / n,
                "objective": objective,
                "gain": (value(r) - value(base.iloc[i])) / n,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def ladder_comparison(effects: ActionEffects, policy, name: str = "policy") -> pd.DataFrame:
    """Totals of the historical ladder (observed and modelled) and of ``policy``.

    Parameters
    ----------
    effects : ActionEffects
        Output of :func:`action_effects`.
    policy : "baseline" or pandas.DataFrame
        A policy as in :func:`simulate_ladder`.
    name : str, default "policy"
        Label of the policy's row.

    Returns
    -------
    pandas.DataFrame
        Rows ``baseline (observed)``, ``baseline (model)`` and ``name``; columns as the
        ``all`` row of :func:`simulate_ladder`. The first two rows agreeing shows the model
        reproduces the history it was estimated on.
    """
    obs = effects.observed.copy()
    obs["cure_rate"] = 0.0
    observed = _finish(obs).iloc[[-1]]
    rows = [
        observed.assign(ladder="baseline (observed)"),
        simulate_ladder("baseline", effects).iloc[[-1]].assign(ladder="baseline (model)"),
        simulate_ladder(policy, effects).iloc[[-1]].assign(ladder=name),
    ]
    out = pd.concat(rows, ignore_index=True).drop(columns=["band"])
    return out[["ladder", *[c for c in out.columns if c != "ladder"]]]


# ------------------------------------------------------------------------------------------
# device return, recovery and loss given default
# ------------------------------------------------------------------------------------------
def _age_band(months: pd.Series) -> pd.Series:
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
    grace = _positive_int(grace_days, "grace_days", owner)
    with _warehouse(db, "recovery", as_of, owner) as (con, as_of):
        frame = con.sql(_sql("arrears_returns"), params={"as_of": as_of, "grace_days": grace}).df()
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
        ``loss`` = ead - deposit - partial payments - resale + cost, ``lgd`` = loss / ead and
        ``loss_to_device_cost`` = loss / (listed price x units), the share of the device's
        purchase price lost.
    """
    with _warehouse(db, "recovery", as_of, "contract_lgd") as (con, as_of):
        frame = _query(con, "arrears_lgd", as_of)
    for c in ("started_on", "written_off_on"):
        frame[c] = pd.to_datetime(frame[c])
    frame.insert(
        frame.columns.get_loc("age_months") + 1, "age_band", _age_band(frame["age_months"])
    )
    frame["loss"] = (
        frame["ead"]
        - frame["deposit"]
        - frame["partial_payments"]
        - frame["resale_value"]
        + frame["collection_cost"]
    )
    frame["lgd"] = frame["loss"] / frame["ead"].where(frame["ead"] > 0)
    frame["loss_to_device_cost"] = frame["loss"] / frame["device_cost"].where(
        frame["device_cost"] > 0
    )
    frame.attrs["as_of"] = as_of
    return frame


_LGD_COLUMNS = ("application_id", "device_category", "age_band", "ead", "loss", "resale_value")


def _lgd_source(source, as_of, owner):
    return _table_source(source, _LGD_COLUMNS, "contract_lgd", owner, as_of, contract_lgd)


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
            "resale_to_retail": float(
                part.loc[rec, "resale_value"].sum() / part.loc[rec, "retail_price"].sum()
            )
            if rec.any()
            else np.nan,
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
                "resale_to_retail": float(
                    part.loc[rec, "resale_value"].sum() / part.loc[rec, "retail_price"].sum()
                )
                if rec.any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# the whole analysis, its artifacts and the portfolio report
# ------------------------------------------------------------------------------------------
@dataclass
class ArrearsAnalysis:
    """Every table of the post-lease analysis of one warehouse and as-of date (:func:`analyse`).

    Attributes
    ----------
    as_of : datetime.date
    source : str
        The warehouse path.
    params : dict
        ``cure_period_days``, ``cure_within_days``, ``oot_months``, ``bands``, ``seed``.
    months, vintages, roll_rates, roll_rates_amount, episodes, cures, buckets : DataFrame
        Outputs of :func:`contract_months`, :func:`vintage_curves`, :func:`roll_rates` (by
        count and by amount), :func:`delinquency_episodes`, :func:`cure_rates` and
        :func:`bucket_outcomes`.
    score : CollectionScore
    effects : ActionEffects
    ladder, comparison : DataFrame
        :func:`recommend_ladder` and :func:`ladder_comparison` of it.
    returns, recovery, lgd_contracts, lgd, lgd_by_term : DataFrame
        :func:`device_returns`, :func:`device_recovery`, :func:`contract_lgd`,
        :func:`lgd_table` by device category and age, and by category and lease term.
    metrics : dict
        Headline numbers, ready for ``json.dumps``.
    """

    as_of: dt.date
    source: str
    params: dict[str, Any]
    months: pd.DataFrame
    vintages: pd.DataFrame
    roll_rates: pd.DataFrame
    roll_rates_amount: pd.DataFrame
    episodes: pd.DataFrame
    cures: pd.DataFrame
    buckets: pd.DataFrame
    score: CollectionScore
    effects: ActionEffects
    ladder: pd.DataFrame
    comparison: pd.DataFrame
    returns: pd.DataFrame
    recovery: pd.DataFrame
    lgd_contracts: pd.DataFrame
    lgd: pd.DataFrame
    lgd_by_term: pd.DataFrame
    metrics: dict[str, Any]


def _num(v):
    """A JSON-ready number (NaN -> None)."""
    if v is None:
        return None
    v = float(v)
    return None if not np.isfinite(v) else v


def analyse(
    db: str | os.PathLike,
    as_of=None,
    *,
    cure_period_days: int = 90,
    cure_within_days: int = 30,
    oot_months: int = 4,
    bands: int = 4,
    seed: int = 0,
) -> ArrearsAnalysis:
    """Run the whole post-lease analysis of a warehouse.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse.
    as_of : datetime.date or str, optional
        Last observed day; default the ``warehouse_meta`` date.
    cure_period_days : int, default 90
        Cure period of :func:`cure_rates`.
    cure_within_days : int, default 30
        Cure window of the collection score's target.
    oot_months : int, default 4
        Out-of-time entry months of the collection score.
    bands : int, default 4
        Collection-score bands of the ladder.
    seed : int, default 0
        Recorded with the collection score.

    Returns
    -------
    ArrearsAnalysis
    """
    owner = "analyse"
    params = {
        "cure_period_days": _positive_int(cure_period_days, "cure_period_days", owner),
        "cure_within_days": _positive_int(cure_within_days, "cure_within_days", owner),
        "oot_months": _positive_int(oot_months, "oot_months", owner),
        "bands": _positive_int(bands, "bands", owner),
        "seed": seed,
    }
    months = contract_months(db, as_of)
    as_of = months.attrs["as_of"]
    vintages = vintage_curves(months)
    roll = roll_rates(months)
    roll_amount = roll_rates(months, by="amount")
    data = collection_score_data(db, as_of, cure_within_days)
    episodes = data[
        [
            c
            for c in data.columns
            if c in _EPISODE_COLUMNS or c in ("first_installment", "installments", "amount")
        ]
    ].copy()
    episodes.attrs["as_of"] = as_of
    cures = cure_rates(episodes, cure_period_days=cure_period_days)
    buckets = bucket_outcomes(roll, cures)
    score = develop_collection_score(data, oot_months=oot_months, seed=seed)
    effects = action_effects(db, score, as_of, bands=bands, data=data)
    ladder = recommend_ladder(effects)
    comparison = ladder_comparison(effects, ladder, name="recommended")
    returns = device_returns(db, as_of)
    lgd_contracts = contract_lgd(db, as_of)
    recovery = device_recovery(lgd_contracts)
    lgd = lgd_table(lgd_contracts)
    lgd_by_term = lgd_table(lgd_contracts, by=("device_category", "lease_term_months"))

    last = months.sort_values(["application_id", "mob"]).drop_duplicates(
        "application_id", keep="last"
    )
    mature6 = vintages[(vintages["mob"] == BAD_WINDOW_MONTHS)]
    rr = roll.set_index("from_status")
    comp = comparison.set_index("ladder")
    total_ret = returns.set_index("device_category").loc["all"]
    total_rec = recovery.iloc[-1]
    total_lgd = lgd.iloc[-1]

    def totals(row) -> dict[str, float | None]:
        keys = ("cures", "recovered", "cost", "devices_recovered", "write_offs", "net")
        return {k: _num(row[k]) for k in keys}

    metrics_out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "params": params,
        "leases": int(months["application_id"].nunique()),
        "contract_months": len(months),
        "status_at_as_of": {s: int((last["status"] == s).sum()) for s in STATUSES},
        "ever_30_mob6": _num(mature6["ever_30"].mean()),
        "ever_60_mob6": _num(mature6["ever_60"].mean()),
        "ever_90_mob6": _num(mature6["ever_90"].mean()),
        "roll_rates": {
            f"{a}->{b}": _num(rr.loc[a, b])
            for a, b in (
                ("current", "1-29"),
                ("1-29", "30-59"),
                ("30-59", "60-89"),
                ("60-89", "90+"),
                ("90+", "written_off"),
            )
        },
        "cure_rates": {r["bucket"]: _num(r["cure_rate"]) for _, r in cures.iterrows()},
        "redefault_rates": {r["bucket"]: _num(r["redefault_rate"]) for _, r in cures.iterrows()},
        "collection_score": {
            k: (_num(v) if isinstance(v, float) else v) for k, v in score.metrics.items()
        },
        "ladder": {
            "episodes": int(comp.loc["recommended", "episodes"]),
            "baseline_observed": totals(comp.loc["baseline (observed)"]),
            "baseline_model": totals(comp.loc["baseline (model)"]),
            "recommended": totals(comp.loc["recommended"]),
        },
        "devices": {
            "return_rate": _num(total_ret["return_rate"]),
            "late_return_rate": _num(total_ret["late_return_rate"]),
            "buyout_rate": _num(total_ret["buyout_rate"]),
            "recovery_rate": _num(total_rec["recovery_rate"]),
            "mean_resale": _num(total_rec["mean_resale"]),
        },
        "lgd": {
            "defaults": int(total_lgd["defaults"]),
            "lgd": _num(total_lgd["lgd"]),
            "mean_lgd": _num(total_lgd["mean_lgd"]),
            "loss_to_device_cost": _num(total_lgd["loss_to_device_cost"]),
        },
    }
    return ArrearsAnalysis(
        as_of=as_of,
        source=str(db),
        params=params,
        months=months,
        vintages=vintages,
        roll_rates=roll,
        roll_rates_amount=roll_amount,
        episodes=episodes,
        cures=cures,
        buckets=buckets,
        score=score,
        effects=effects,
        ladder=ladder,
        comparison=comparison,
        returns=returns,
        recovery=recovery,
        lgd_contracts=lgd_contracts,
        lgd=lgd,
        lgd_by_term=lgd_by_term,
        metrics=metrics_out,
    )


def _analysis(source, owner: str, **kwargs) -> ArrearsAnalysis:
    if isinstance(source, ArrearsAnalysis):
        return source
    if isinstance(source, str | os.PathLike):
        return analyse(source, **kwargs)
    raise ConfigError(
        f"{owner} expects an ArrearsAnalysis (from analyse) or a warehouse path. "
        f"Got {type(source).__name__} instead."
    )


def write_arrears(out_dir: str | os.PathLike, analysis, **kwargs) -> list[Path]:
    """Write the release artifacts of the post-lease analysis (text files only).

    Parameters
    ----------
    out_dir : path-like
        Folder to write into (created if missing).
    analysis : ArrearsAnalysis or path-like
        The analysis, or a warehouse path to analyse (with ``**kwargs`` passed to
        :func:`analyse`).

    Returns
    -------
    list of pathlib.Path
        The files written, sorted: ``vintages.csv``, ``roll_rates.csv`` (by count and
        amount), ``cure_rates.csv``, ``bucket_outcomes.csv``, ``collection_score.json``
        (the scorecard's JSON), ``collection_score_points.csv``, ``collection_score_bands.csv``,
        ``action_effects.csv``, ``ladder_bands.csv``, ``ladder_policy.csv`` (the recommended
        ladder), ``ladder_comparison.csv``, ``device_returns.csv``, ``device_recovery.csv``,
        ``lgd.csv``, ``lgd_by_term.csv``, ``lgd_contracts.csv`` and ``arrears_metrics.json``.
    """
    an = _analysis(analysis, "write_arrears", **kwargs)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the folder '{out}': {exc.strerror or exc}. Choose a writable path."
        ) from None
    roll = pd.concat(
        [an.roll_rates.assign(by="count"), an.roll_rates_amount.assign(by="amount")],
        ignore_index=True,
    )
    tables = {
        "vintages.csv": an.vintages,
        "roll_rates.csv": roll[["by", *an.roll_rates.columns]],
        "cure_rates.csv": an.cures,
        "bucket_outcomes.csv": an.buckets,
        "collection_score_points.csv": an.score.model.points_table(),
        "collection_score_bands.csv": an.score.bands,
        "action_effects.csv": an.effects.steps,
        "ladder_bands.csv": an.effects.bands,
        "ladder_policy.csv": an.ladder,
        "ladder_comparison.csv": an.comparison,
        "device_returns.csv": an.returns,
        "device_recovery.csv": an.recovery,
        "lgd.csv": an.lgd,
        "lgd_by_term.csv": an.lgd_by_term,
        "lgd_contracts.csv": an.lgd_contracts,
    }
    written = []
    for name, table in tables.items():
        path = out / name
        table.to_csv(path, index=False, float_format="%.10g", date_format="%Y-%m-%d")
        written.append(path)
    path = out / "collection_score.json"
    an.score.model.to_json(path)
    written.append(path)
    path = out / "arrears_metrics.json"
    path.write_text(json.dumps(an.metrics, indent=1, sort_keys=True) + "\n")
    written.append(path)
    return sorted(written)


# -- report --------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
table.data { border-collapse: collapse; font-size: 12px; margin: 0.6em 0 1.2em; }
table.data th, table.data td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
table.data th { background: #f0f0f0; } p.note { color: #555; font-size: 13px; }
img { max-width: 100%; }
"""


def _png(fig: Figure) -> str:
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return (
        '<img alt="figure" src="data:image/png;base64,'
        + base64.b64encode(buf.getvalue()).decode("ascii")
        + '">'
    )


def _html_table(frame: pd.DataFrame, digits: int = 3) -> str:
    def fmt(v):
        if isinstance(v, float | np.floating):
            if not np.isfinite(v):
                return "" if np.isnan(v) else ("inf" if v > 0 else "-inf")
            return f"{v:,.{digits}f}" if abs(v) < 1000 else f"{v:,.0f}"
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return str(v)

    shown = frame.copy()
    for c in shown.columns:
        shown[c] = shown[c].map(fmt)
    return shown.to_html(index=False, classes="data", border=0, escape=True)


def _report_figures(an: ArrearsAnalysis) -> dict[str, str]:
    figs = {}
    fig = Figure(figsize=(16, 4.6), layout="constrained")
    for ax, level in zip(fig.subplots(1, 3), (30, 60, 90)):
        vintage_plot(an.vintages, dpd=level, ax=ax)
    figs["vintages"] = _png(fig)
    fig = Figure(figsize=(16, 4.6), layout="constrained")
    for ax, level in zip(fig.subplots(1, 3), (30, 60, 90)):
        vintage_plot(an.vintages, dpd=level, by="amount", ax=ax)
    figs["vintages_amount"] = _png(fig)
    figs["roll"] = _png(roll_rate_plot(an.roll_rates))

    fig, ax = _figure_axes(None, figsize=(6.4, 3.8))
    x = np.arange(len(an.cures))
    ax.bar(x - 0.2, an.cures["cure_rate"], width=0.4, label="cured", color="tab:blue")
    ax.bar(x + 0.2, an.cures["write_off_rate"], width=0.4, label="written off", color="tab:red")
    ax.set_xticks(x, an.cures["bucket"])
    ax.set(
        xlabel="Bucket entered",
        ylabel="Share of episodes",
        ylim=(0, 1),
        title=f"Cure within {an.params['cure_period_days']} days vs write-off",
    )
    ax.legend()
    figs["cures"] = _png(fig)

    oot = an.score.oot
    figs["ks"] = _png(ks_plot(oot["rolled"].astype(np.int64), -oot["score"]))

    comp = an.comparison
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    cols = (
        ("recovered", "Recovered (cash + resale)"),
        ("cost", "Collection cost"),
        ("devices_recovered", "Devices recovered"),
        ("net", "Net"),
    )
    for ax, (col, title) in zip(fig.subplots(1, 4), cols):
        ax.bar(
            range(len(comp)),
            comp[col].astype(float),
            color=["grey", "tab:gray", "tab:green"][: len(comp)],
        )
        ax.set_xticks(range(len(comp)), comp["ladder"], rotation=20, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
    figs["ladder"] = _png(fig)

    lgd = an.lgd[an.lgd["device_category"] != "all"]
    fig, ax = _figure_axes(None, figsize=(7, 3.8))
    cats = sorted(lgd["device_category"].unique())
    ages = sorted(lgd["age_band"].unique(), key=lambda s: int(s.split("-")[0].rstrip("+")))
    width = 0.8 / max(len(ages), 1)
    for j, age in enumerate(ages):
        part = lgd[lgd["age_band"] == age].set_index("device_category").reindex(cats)
        ax.bar(
            np.arange(len(cats)) + j * width,
            part["lgd"],
            width=width,
            label=f"{age} months on book",
        )
    ax.set_xticks(np.arange(len(cats)) + width * (len(ages) - 1) / 2, cats)
    ax.set(ylabel="LGD (loss / outstanding rent)", title="Loss given default by device and age")
    ax.legend(fontsize=8)
    figs["lgd"] = _png(fig)
    return figs


def _report_html(an: ArrearsAnalysis) -> str:
    from riskresearch import __version__

    figs = _report_figures(an)
    m = an.metrics
    last = an.months.sort_values(["application_id", "mob"]).drop_duplicates(
        "application_id", keep="last"
    )
    status = pd.crosstab(last["status"], last["device_status"]).reindex(
        [s for s in STATUSES if s in set(last["status"])]
    )
    status = status.rename_axis(None, axis=1).rename_axis("status").reset_index()
    status["leases"] = status.drop(columns=["status"]).sum(axis=1)
    v = an.vintages
    vtab = v[v["mob"].isin([3, 6, 12])].pivot(index="cohort", columns="mob", values="ever_60")
    vtab.columns = [f"ever 60+ at mob {c}" for c in vtab.columns]
    vtab = vtab.reset_index()
    vtab["cohort"] = vtab["cohort"].dt.strftime("%Y-%m")
    vtab["mature"] = vtab["cohort"].map(
        v.assign(c=v["cohort"].dt.strftime("%Y-%m")).groupby("c")["mature"].first()
    )
    cs = an.score.metrics
    score_tab = pd.DataFrame(
        {
            "sample": ["development", "out of time"],
            "episodes": [cs["train_n"], cs["oot_n"]],
            "cure rate": [cs["train_cure_rate"], cs["oot_cure_rate"]],
            "AUC": [cs["train_auc"], cs["oot_auc"]],
            "KS": [cs["train_ks"], cs["oot_ks"]],
        }
    )
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Post-lease portfolio report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Post-lease portfolio report</h1>",
        f"<p>Warehouse <code>{esc(Path(an.source).name)}</code>, observed up to "
        f"<b>{an.as_of.isoformat()}</b>: {m['leases']:,} leases, "
        f"{m['contract_months']:,} lease-months. riskresearch {esc(__version__)}.</p>",
        "<h2>1. Contract status at the as-of date</h2>",
        "<p class='note'>Last month-end state of every lease (terminal state for ended leases) "
        "and where its device is.</p>",
        _html_table(status),
        "<h2>2. Vintages</h2>",
        "<p class='note'>Share of each monthly cohort that ever reached 30/60/90 days past due "
        "by each month on book. Dashed grey: immature cohorts (under 6 months on book, the "
        "window of the <code>bad</code> target) whose curves are still rising.</p>",
        figs["vintages"],
        figs["vintages_amount"],
        _html_table(vtab),
        "<h2>3. Roll rates, cures and the bad definition</h2>",
        figs["roll"],
        _html_table(an.roll_rates),
        f"<p class='note'>An episode is cured when every overdue instalment is paid within "
        f"{an.params['cure_period_days']} days of entering the bucket; re-default = a later "
        "episode of the lease reaching 30 dpd within 180 days of the cure.</p>",
        figs["cures"],
        _html_table(an.cures),
        _html_table(an.buckets),
        "<p class='note'>Leases reaching 60 days past due rarely cure and mostly end written "
        "off, while most 1-29 and many 30-59 episodes cure: <code>bad</code> = ever 60+ dpd "
        "marks the bucket from which accounts do not come back.</p>",
        "<h2>4. Collection score</h2>",
        f"<p class='note'>Probability that an episode entering 1-29 dpd cures within "
        f"{cs['cure_within_days']} days; WOE scorecard fitted on entries before {cs['oot_start']}"
        f", evaluated on the {cs['oot_months']} later months. Features: "
        f"{esc(', '.join(cs['features']))}.</p>",
        _html_table(score_tab),
        figs["ks"],
        _html_table(an.score.bands),
        "<h2>5. Collection ladder</h2>",
        "<p class='note'>Rolling delinquencies reaching 30 dpd, by collection-score band (1 = "
        "least likely to cure). Cure rates per step and action come from the historical "
        "ladder's random draws; the recommended ladder maximises recovered cash and resale "
        "minus cost and written-off balance per band.</p>",
        _html_table(an.ladder),
        figs["ladder"],
        _html_table(an.comparison),
        _html_table(an.effects.steps),
        _html_table(an.effects.bands),
        "<h2>6. Device return and recovery</h2>",
        _html_table(an.returns),
        _html_table(an.recovery),
        "<h2>7. Loss given default</h2>",
        "<p class='note'>Per written-off lease: loss = outstanding rent at the write-off - "
        "deposit - partial payments - net resale + collection cost; LGD = loss / outstanding "
        "rent (amount-weighted per group).</p>",
        figs["lgd"],
        _html_table(an.lgd),
        _html_table(an.lgd_by_term),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def portfolio_report(
    db: str | os.PathLike,
    out_html: str | os.PathLike,
    as_of=None,
    analysis: ArrearsAnalysis | None = None,
    **kwargs,
) -> Path:
    """Write a standalone HTML portfolio report (tables and embedded PNG figures).

    Parameters
    ----------
    db : path-like
        DuckDB warehouse.
    out_html : path-like
        HTML file to write; written to a temporary file and moved into place.
    as_of : datetime.date or str, optional
        Last observed day.
    analysis : ArrearsAnalysis, optional
        A finished :func:`analyse` of the warehouse (else it is run here, with ``**kwargs``).

    Returns
    -------
    pathlib.Path
        The report, readable in any browser without Jupyter.

    Examples
    --------
    >>> portfolio_report("data/leasing.duckdb", "build/portfolio.html")  # doctest: +SKIP
    """
    an = analysis if analysis is not None else analyse(db, as_of, **kwargs)
    if not isinstance(an, ArrearsAnalysis):
        raise ConfigError(
            "The 'analysis' parameter of portfolio_report must be an ArrearsAnalysis from "
            f"analyse. Got {type(an).__name__} instead."
        )
    text = _report_html(an)
    out = Path(out_html)
    with atomic_output(out, "portfolio report") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
