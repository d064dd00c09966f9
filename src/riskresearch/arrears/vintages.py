"""Vintage curves: ever-30+/60+/90+ rates by month on book of each monthly cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from riskresearch.arrears._common import BAD_WINDOW_MONTHS
from riskresearch.arrears.tracking import month_rows
from riskresearch.errors import ConfigError, DataError
from riskresearch.plots import figure_axes


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
    months = month_rows(source, as_of, "vintage_curves")
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
    fig, ax = figure_axes(ax, figsize=(7.5, 4.8))
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
    share = "share of contract value" if by == "amount" else "share of leases"
    ax.set(
        xlabel="Month on book",
        ylabel=f"Ever {dpd}+ dpd ({share})",
        title=f"Vintages: ever {dpd}+ days past due by {by}",
    )
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(
        fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="cohort", title_fontsize=9
    )
    return fig
