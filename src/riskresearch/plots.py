"""Figures for credit-risk model reports: ROC, KS, score distributions, calibration, WoE and
lift.

Every function returns a :class:`matplotlib.figure.Figure`. Figures are built with the object
API (``Figure()``), never through ``pyplot``: nothing is shown, nothing is printed, no global
figure is left open, and the code runs headless. In JupyterLab a returned figure displays
itself (as a PNG); ``fig.savefig(path)`` writes it to a file. Pass ``ax=`` to draw into an
existing axes (e.g. one panel of a larger figure); the function then returns that axes' figure.

Conventions follow :mod:`riskresearch.metrics`: ``y_true == 1`` is bad, a *pd* is a predicted
probability of bad (higher = riskier), a *score* is higher = better.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np
import pandas
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure as _MplFigure
from matplotlib.text import Text
from sklearn.metrics import roc_curve

from riskresearch.errors import ConfigError, DataError
from riskresearch.metrics import (
    as_float_array,
    auc_unchecked,
    calibration_table,
    check_rates,
    class_cdfs,
    review_curve,
    validate_scores,
)
from riskresearch.parts import passes_skipped

__all__ = [
    "bad_rate_plot",
    "calibration_plot",
    "importance_plot",
    "ks_plot",
    "lift_plot",
    "reject_diagnostics_plot",
    "reject_inference_plot",
    "review_curve_plot",
    "roc_plot",
    "score_distribution_plot",
    "selection_path_plot",
    "woe_grid",
    "woe_plot",
]

GOOD_COLOR, BAD_COLOR = "tab:blue", "tab:red"


def _show_figures_inline() -> None:
    """In a Jupyter kernel, display a returned Figure as a PNG.

    IPython only registers its Figure formatter when pyplot's inline backend starts, and this
    module never touches pyplot; without this, a notebook (and the release report rendered from
    it) would show ``<Figure size ...>`` instead of the plot.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:  # plain Python: nothing to display
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        select_figure_formats(shell, {"png"}, bbox_inches="tight")


_show_figures_inline()


def _register_cjk_font() -> str | None:
    """Register the Noto Sans CJK font shipped by the ``noto-cjk-sans-otc`` package with
    matplotlib's font manager (no download, no change to the user's rcParams) and return the
    family name charts fall back to for Chinese (and Japanese, Korean) characters."""
    try:
        import noto_cjk_sans_otc
    except ImportError:  # pragma: no cover - a dependency; charts then draw CJK as boxes
        return None
    path = str(noto_cjk_sans_otc.FONT_PATH)
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return "Noto Sans CJK SC"


#: The font family our charts' text uses: the user's default, then the CJK font for any
#: character the default lacks (matplotlib's per-glyph fallback).
CJK_FONT = _register_cjk_font()


def _families() -> list[str]:
    default = list(matplotlib.rcParams["font.family"])
    return [*default, CJK_FONT] if CJK_FONT and CJK_FONT not in default else default


class Figure(_MplFigure):
    """A matplotlib Figure whose text falls back to a CJK font, so Chinese column names and
    category values are drawn, not shown as empty boxes; the user's global settings are not
    touched (only this figure's text gets the fallback family, when it is drawn)."""

    def draw(self, renderer) -> None:
        use_cjk_fallback(self)
        super().draw(renderer)


def use_cjk_fallback(fig: _MplFigure) -> _MplFigure:
    """Give every text of ``fig`` that uses the default font family a CJK fallback (also the
    tick labels drawn later). Works on any matplotlib Figure; returns it."""
    default, families = list(matplotlib.rcParams["font.family"]), _families()
    if families == default:
        return fig
    for text in fig.findobj(Text):
        if list(text.get_fontfamily()) == default:
            text.set_fontfamily(families)
    for ax in fig.get_axes():
        ax.tick_params(labelfontfamily=families)
    return fig


def figure_axes(ax: Axes | None, figsize=(6.4, 4.8)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.get_figure(root=True), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _check_table(table, needed: list[str], owner: str) -> pandas.DataFrame:
    if not isinstance(table, pandas.DataFrame):
        raise DataError(f"{owner} expects a pandas DataFrame. Got {type(table).__name__} instead.")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataError(
            f"{owner}: column(s) {', '.join(repr(c) for c in missing)} missing from the table. "
            f"Pass a table with columns {needed}."
        )
    if len(table) == 0:
        raise DataError(f"{owner} got an empty table (0 rows). Pass at least one row.")
    return table


def roc_plot(y_true, pd, label: str | None = None, ax: Axes | None = None) -> Figure:
    """ROC curve of one model, or of several models on the same target.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,) or dict of str to array-like
        Predicted probability of bad of one model, or ``{name: pd}`` for several models.
    label : str, optional
        Legend name of a single model (default ``"model"``). With a dict the keys name the
        models, so ``label`` must be left out.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.

    Returns
    -------
    matplotlib.figure.Figure
        One line per model (legend shows AUC and Gini) plus the diagonal of a random ranking.

    Examples
    --------
    >>> fig = roc_plot(y, {"scorecard": pd_sc, "lightgbm": pd_gbm})  # doctest: +SKIP
    >>> fig.savefig("roc.png")                                       # doctest: +SKIP
    """
    if isinstance(pd, Mapping):
        if label is not None:
            raise ConfigError(
                "roc_plot: 'label' names a single model, but pd is a dict whose keys name the "
                f"models. Drop label={label!r}."
            )
        if not pd:
            raise ConfigError("roc_plot got an empty dict of models. Pass at least one pd.")
        models = dict(pd)
    else:
        models = {label if label is not None else "model": pd}
    fig, ax = figure_axes(ax)
    for name, values in models.items():
        y, x, w = validate_scores(y_true, values, f"pd of '{name}'" if len(models) > 1 else "pd")
        fpr, tpr, _ = roc_curve(y, x)
        area = auc_unchecked(y, x, w)
        ax.plot(fpr, tpr, label=f"{name} (AUC {area:.3f}, Gini {2 * area - 1:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="random")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="Share of goods declined (false positive rate)",
        ylabel="Share of bads declined (true positive rate)",
        title="ROC curve",
    )
    ax.set_aspect("equal")
    ax.legend(loc="lower right")
    return fig


def ks_plot(y_true, pd=None, ax: Axes | None = None, *, score=None) -> Figure:
    """Cumulative distributions of a predicted PD, or of a score, among bads and among goods,
    KS marked.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,), optional
        Predicted probability of bad (higher = riskier).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.
    score : array-like of shape (n,), optional
        A score where higher = better (a credit, behaviour or collection score), instead of
        ``pd``: the x axis is then the score itself, labelled as such. Pass exactly one of
        ``pd`` and ``score``.

    Returns
    -------
    matplotlib.figure.Figure
        Two step curves (share of bads and of goods at or below the threshold) and a vertical
        segment at the threshold where they are furthest apart (the KS).

    Examples
    --------
    >>> fig = ks_plot(y, pd)  # doctest: +SKIP
    >>> fig = ks_plot(y, score=collection_score)  # doctest: +SKIP
    """
    if (pd is None) == (score is None):
        got = "both" if pd is not None else "neither"
        raise ConfigError(
            f"ks_plot needs exactly one of 'pd' or 'score'. Got {got}; pass pd=... for "
            "predicted probabilities or score=... for a score (higher = better)."
        )
    name, what = ("pd", "Predicted PD") if score is None else ("score", "Score")
    y, x, w = validate_scores(y_true, pd if score is None else score, name)
    values, cdf_bad, cdf_good = class_cdfs(y, x, w)
    gap = np.abs(cdf_bad - cdf_good)
    k = int(np.argmax(gap))
    fig, ax = figure_axes(ax)
    # start both curves at 0 just below the smallest value
    xs = np.r_[values[0], values]
    ax.step(xs, np.r_[0.0, cdf_good], where="post", color=GOOD_COLOR, label="goods")
    ax.step(xs, np.r_[0.0, cdf_bad], where="post", color=BAD_COLOR, label="bads")
    ax.plot(
        [values[k], values[k]],
        [cdf_bad[k], cdf_good[k]],
        color="black",
        linewidth=2,
        marker="o",
        label=f"KS = {gap[k]:.3f} at {name} = {values[k]:.4g}",
    )
    ax.set(
        ylim=(0, 1.02),
        xlabel=f"{what} (threshold)",
        ylabel=f"Cumulative share with {name} at or below threshold",
        title="KS: cumulative distributions of goods and bads",
    )
    # below the axes: the two curves cross the upper left and the lower right between them
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=9)
    return fig


def score_distribution_plot(score, y_true=None, bins=30, ax: Axes | None = None) -> Figure:
    """Histogram of a score, split into goods and bads when ``y_true`` is given.

    Parameters
    ----------
    score : array-like of shape (n,)
        Credit score (or any numeric prediction).
    y_true : array-like of shape (n,), optional
        1 = bad, 0 = good. When given, goods and bads get their own density histograms on
        shared bin edges, so their shapes compare despite a low bad rate.
    bins : int or sequence of float, default 30
        Number of bins or bin edges (as in :func:`numpy.histogram_bin_edges`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.

    Returns
    -------
    matplotlib.figure.Figure
        One histogram of counts, or two overlaid density histograms (goods, bads).

    Examples
    --------
    >>> fig = score_distribution_plot(scores, y_true=y, bins=40)  # doctest: +SKIP
    """
    if y_true is None:
        x = as_float_array(score, "score")
        if len(x) == 0:
            raise DataError("score is empty (0 rows). Pass at least one row.")
        if not np.isfinite(x).all():
            i = int(np.flatnonzero(~np.isfinite(x))[0])
            raise DataError(
                f"score holds NaN or infinite values in {int((~np.isfinite(x)).sum())} row(s) "
                f"(first at position {i}). Drop or impute those rows before plotting."
            )
    else:
        y, x, _ = validate_scores(y_true, score, "score")
    if isinstance(bins, bool) or (isinstance(bins, int | np.integer) and bins < 1):
        raise ConfigError(
            "The 'bins' parameter of score_distribution_plot must be a positive integer or a "
            f"sequence of bin edges. Got {bins!r} instead."
        )
    edges = np.histogram_bin_edges(x, bins=bins)
    fig, ax = figure_axes(ax)
    if y_true is None:
        ax.hist(x, bins=edges, color="tab:grey", label=f"all (n={len(x):,})")
        ax.set_ylabel("Count")
    else:
        for cls, name, color in ((0, "goods", GOOD_COLOR), (1, "bads", BAD_COLOR)):
            part = x[y == cls]
            ax.hist(
                part,
                bins=edges,
                density=True,
                alpha=0.5,
                color=color,
                label=f"{name} (n={len(part):,})",
            )
        ax.set_ylabel("Density")
    ax.set(xlabel="Score", title="Score distribution")
    ax.legend()
    return fig


def calibration_plot(y_true, pd, bands=10, ax: Axes | None = None) -> Figure:
    """Observed bad rate versus mean predicted PD by band, with 95% Wilson intervals.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad, in [0, 1].
    bands : int or sequence of float, default 10
        Quantile bands or cut points, as in :func:`riskresearch.metrics.calibration_table`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.

    Returns
    -------
    matplotlib.figure.Figure
        One point per band with its confidence interval as an error bar, and the diagonal of
        perfect calibration.

    Examples
    --------
    >>> fig = calibration_plot(y, pd, bands=20)  # doctest: +SKIP
    """
    table = calibration_table(y_true, pd, bands=bands)
    predicted = table["mean_pd"].to_numpy()
    observed = table["bad_rate"].to_numpy()
    # the Wilson interval always contains the observed rate; clip rounding noise below 0
    below = np.clip(observed - table["ci_low"].to_numpy(), 0, None)
    above = np.clip(table["ci_high"].to_numpy() - observed, 0, None)
    top = min(1.0, 1.05 * max(predicted.max(), table["ci_high"].max()))
    fig, ax = figure_axes(ax)
    ax.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
    ax.errorbar(
        predicted,
        observed,
        yerr=np.vstack([below, above]),
        fmt="o",
        capsize=3,
        color=BAD_COLOR,
        label="observed bad rate (95% Wilson CI)",
    )
    ax.set(
        xlim=(0, top),
        ylim=(0, top),
        xlabel="Mean predicted PD",
        ylabel="Observed bad rate",
        title="Calibration",
    )
    ax.set_aspect("equal")
    ax.legend(loc="upper left")
    return fig


def woe_plot(table: pandas.DataFrame, feature: str | None = None, ax: Axes | None = None) -> Figure:
    """WoE by bin as bars, with the event (bad) rate on a second y axis.

    Parameters
    ----------
    table : pandas.DataFrame
        A binning table with columns ``bin`` (str), ``count``, ``event_rate`` and ``woe``, such
        as ``WoeBinner.table(feature)``. A ``Total`` row is left out. When the table has a
        ``feature`` column holding several features, ``feature`` picks one.
    feature : str, optional
        Feature to plot (and the title). Required when the table holds several features.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a twin axes is added to it for the event rate.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per bin (WoE = ln(%good / %bad), positive = lower risk), labelled with its
        count, and a line of the event rate on the right-hand axis.

    Examples
    --------
    >>> fig = woe_plot(binner.table("platform_credit_score"))  # doctest: +SKIP
    """
    table = _check_table(table, ["bin", "count", "event_rate", "woe"], "woe_plot")
    if "feature" in table.columns:
        known = list(pandas.unique(table["feature"]))
        if feature is not None:
            if feature not in known:
                raise DataError(
                    f"woe_plot: no rows for feature {feature!r} in the table. Known features: "
                    f"{known[:10]}."
                )
            table = table[table["feature"] == feature]
        elif len(known) > 1:
            raise DataError(
                f"woe_plot: the table holds {len(known)} features ({known[:5]}). Pass feature=... "
                "to choose one."
            )
        else:
            feature = known[0]
    table = table[table["bin"].astype(str) != "Total"]
    if len(table) == 0:
        raise DataError("woe_plot: the table has no bins besides 'Total'. Pass a binning table.")

    pos = np.arange(len(table))
    woe = table["woe"].to_numpy(dtype=float)
    fig, ax = figure_axes(ax, figsize=(max(6.4, 0.9 * len(table)), 4.8))
    bars = ax.bar(
        pos,
        woe,
        color=[GOOD_COLOR if v >= 0 else BAD_COLOR for v in woe],
        alpha=0.8,
        label="WoE",
    )
    ax.bar_label(bars, labels=[f"n={c:,.0f}" for c in table["count"]], fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(pos, table["bin"].astype(str), rotation=30, ha="right")
    ax.set_ylabel("WoE = ln(%good / %bad)")
    ax.set_title(f"WoE by bin: {feature}" if feature else "WoE by bin")
    rate_ax = ax.twinx()
    rate_ax.plot(
        pos,
        table["event_rate"].to_numpy(dtype=float),
        color="black",
        marker="o",
        label="event (bad) rate",
    )
    rate_ax.set_ylabel("Event (bad) rate")
    rate_ax.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()
    rate_handles = rate_ax.get_legend_handles_labels()
    rate_ax.legend(handles[0] + rate_handles[0], handles[1] + rate_handles[1], loc="best")
    return fig


def lift_plot(band_table: pandas.DataFrame, ax: Axes | None = None) -> Figure:
    """Lift by band (bars) and cumulative lift (line), riskiest band first.

    Parameters
    ----------
    band_table : pandas.DataFrame
        Output of :func:`riskresearch.metrics.band_table`: columns ``band``, ``label``,
        ``lift`` and ``cum_lift``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per band (band bad rate / overall bad rate), the cumulative lift as a line and
        a reference line at lift 1 (a random ranking).

    Examples
    --------
    >>> fig = lift_plot(band_table(y, score=scores))  # doctest: +SKIP
    """
    table = _check_table(band_table, ["band", "label", "lift", "cum_lift"], "lift_plot")
    pos = np.arange(len(table))
    fig, ax = figure_axes(ax, figsize=(max(6.4, 0.7 * len(table)), 4.8))
    ax.bar(pos, table["lift"].to_numpy(dtype=float), color=BAD_COLOR, alpha=0.7, label="lift")
    ax.plot(
        pos,
        table["cum_lift"].to_numpy(dtype=float),
        color="black",
        marker="o",
        label="cumulative lift",
    )
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="random (lift 1)")
    ax.set_xticks(pos, [f"{b}\n{lab}" for b, lab in zip(table["band"], table["label"])], fontsize=8)
    ax.set(
        xlabel="Band (1 = riskiest)",
        ylabel="Bad rate / overall bad rate",
        title="Lift by band",
    )
    ax.legend()
    return fig


def woe_grid(table: pandas.DataFrame, features, ncols: int = 3) -> Figure:
    """WoE-by-bin panels (see :func:`woe_plot`) of several features in one figure.

    Parameters
    ----------
    table : pandas.DataFrame
        Binning table of many features (``WoeBinner.table()``), with a ``feature`` column.
    features : list of str
        Features to draw, one panel each, in this order.
    ncols : int, default 3
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = woe_grid(binner.table(), ["platform_credit_score", "utilisation"])  # doctest: +SKIP
    """
    table = _check_table(table, ["feature", "bin", "count", "event_rate", "woe"], "woe_grid")
    features = list(features)
    if not features:
        raise DataError("woe_grid got no features. Pass at least one feature name.")
    if not isinstance(ncols, int | np.integer) or ncols < 1:
        raise ConfigError(
            f"The 'ncols' parameter of woe_grid must be a positive integer. Got {ncols!r} instead."
        )
    ncols = min(ncols, len(features))
    nrows = -(-len(features) // ncols)
    width = max(
        (table["feature"] == f).sum() for f in features
    )  # panels as wide as the feature with most bins
    fig = Figure(figsize=(ncols * max(5.0, 0.7 * width), nrows * 4.2), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for f, ax in zip(features, axes):
        woe_plot(table, feature=f, ax=ax)
    for ax in axes[len(features) :]:
        ax.set_axis_off()
    return fig


@passes_skipped
def bad_rate_plot(monthly: pandas.DataFrame, ax: Axes | None = None) -> Figure:
    """Applications (bars) and bad rate (line) per month, coloured by sample.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Columns ``month``, ``rows`` and ``bad_rate``, optionally ``sample`` (e.g. development
        vs out-of-time), as returned by ``development.monthly_bad_rate``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a twin axes is added for the bad rate.

    Returns
    -------
    matplotlib.figure.Figure
        Shows whether the out-of-time months differ from the development months in volume or
        risk (drift), which the out-of-time AUC should be read against.

    Examples
    --------
    >>> fig = bad_rate_plot(development.monthly_bad_rate(cfg, train, test))  # doctest: +SKIP
    """
    monthly = _check_table(monthly, ["month", "rows", "bad_rate"], "bad_rate_plot")
    samples = (
        monthly["sample"] if "sample" in monthly.columns else pandas.Series("all", monthly.index)
    )
    months = pandas.Index(sorted(pandas.unique(monthly["month"])))
    pos = {m: i for i, m in enumerate(months)}
    fig, ax = figure_axes(ax, figsize=(max(6.4, 0.4 * len(months)), 4.8))
    rate_ax = ax.twinx()
    colors = ["tab:gray", "tab:orange", "tab:green", "tab:purple"]
    for color, name in zip(colors * len(monthly), pandas.unique(samples)):
        part = monthly[samples == name]
        x = part["month"].map(pos).to_numpy()
        ax.bar(x, part["rows"].to_numpy(dtype=float), color=color, alpha=0.5, label=f"{name}: rows")
        rate_ax.plot(
            x,
            part["bad_rate"].to_numpy(dtype=float),
            color=color,
            marker="o",
            label=f"{name}: bad rate",
        )
    labels = [m.strftime("%Y-%m") if hasattr(m, "strftime") else str(m) for m in months]
    ax.set_xticks(range(len(months)), labels, rotation=45, ha="right")
    ax.set_ylabel("Applications")
    rate_ax.set_ylabel("Bad rate")
    rate_ax.set_ylim(bottom=0)
    ax.set_title("Volume and bad rate by month")
    handles = ax.get_legend_handles_labels()
    rate_handles = rate_ax.get_legend_handles_labels()
    rate_ax.legend(handles[0] + rate_handles[0], handles[1] + rate_handles[1], loc="best")
    return fig


@passes_skipped
def selection_path_plot(path: pandas.DataFrame, ax: Axes | None = None) -> Figure:
    """Mean cross-validated AUC along the stepwise selection path, with its fold-to-fold
    spread, and the step the selection kept.

    Parameters
    ----------
    path : pandas.DataFrame
        ``FeatureSelector.cv_path_`` or ``development.selection_path(dev)``: columns ``step``,
        ``action``, ``feature``, ``n_features``, ``cv_auc``, ``cv_auc_std`` and ``selected``,
        optionally ``segment`` (one line per segment).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.

    Returns
    -------
    matplotlib.figure.Figure
        Each step's mean validation AUC over the folds (error bars: one standard deviation
        across the folds), labelled with the feature added (+) or removed (-); the kept step is
        ringed. The curve shows why the selection stopped where it did: past the ring the folds
        saw no more signal.

    Examples
    --------
    >>> fig = selection_path_plot(development.selection_path(dev))  # doctest: +SKIP
    """
    needed = ["step", "action", "feature", "n_features", "cv_auc", "cv_auc_std", "selected"]
    path = _check_table(path, needed, "selection_path_plot")
    segments = path["segment"] if "segment" in path.columns else pandas.Series("", path.index)
    longest = int(path.groupby(segments.to_numpy())["step"].max().max())
    fig, ax = figure_axes(ax, figsize=(max(6.4, 0.45 * longest + 2), 4.8))
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"]
    for color, name in zip(colors * len(path), pandas.unique(segments)):
        part = path[(segments == name).to_numpy()].sort_values("step")
        x = part["step"].to_numpy()
        y = part["cv_auc"].to_numpy(dtype=float)
        ax.errorbar(
            x,
            y,
            yerr=part["cv_auc_std"].to_numpy(dtype=float),
            color=color,
            marker="o",
            capsize=3,
            label=name or "mean CV AUC (+/- 1 sd over folds)",
        )
        kept = part["selected"].to_numpy(dtype=bool)
        ax.plot(x[kept], y[kept], "o", ms=14, mfc="none", mec="black", mew=1.5, label="kept")
    first = path[(segments == pandas.unique(segments)[0]).to_numpy()].sort_values("step")
    labels = [  # long names cut, so the axes keep their room
        ("+" if a == "add" else "-") + (str(f) if len(str(f)) <= 22 else str(f)[:21] + "…")
        for a, f in zip(first["action"], first["feature"], strict=True)
    ]
    ax.set_xticks(first["step"].to_numpy(), labels, rotation=45, ha="right")
    ax.set_xlabel("stepwise path (feature added + or removed -)")
    ax.set_ylabel("Mean validation AUC (folds)")
    ax.set_title("Cross-validated selection path")
    ax.legend(loc="lower right")
    return fig


def importance_plot(table: pandas.DataFrame, column: str | None = None, top: int = 15) -> Figure:
    """Horizontal bars of the most important features of a model.

    Parameters
    ----------
    table : pandas.DataFrame
        A ``feature`` column and an importance column, e.g. ``GbmClassifier.importance(X)``.
    column : str, optional
        Importance to plot; default ``mean_abs_shap`` when present, else ``gain_share``.
    top : int, default 15
        Features shown, most important on top.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = importance_plot(gbm.importance(X_test))  # doctest: +SKIP
    """
    if column is None:
        column = (
            "mean_abs_shap" if "mean_abs_shap" in getattr(table, "columns", []) else "gain_share"
        )
    table = _check_table(table, ["feature", column], "importance_plot")
    if not isinstance(top, int | np.integer) or top < 1:
        raise ConfigError(
            f"The 'top' parameter of importance_plot must be a positive integer. Got {top!r}."
        )
    shown = table.nlargest(top, column).iloc[::-1]
    fig, ax = figure_axes(None, figsize=(6.4, max(3.0, 0.35 * len(shown) + 1)))
    ax.barh(shown["feature"].astype(str), shown[column].to_numpy(dtype=float), color=GOOD_COLOR)
    ax.set_xlabel(column.replace("_", " "))
    ax.set_title(f"Feature importance (top {len(shown)})")
    return fig


def review_curve_plot(
    y_true,
    score,
    max_rate: float = 0.1,
    marks=(0.01, 0.02, 0.05),
    ax: Axes | None = None,
) -> Figure:
    """Review-queue size (share of rows reviewed, highest scores first) against the share of
    the rare class (fraud) caught, for one or several scores.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = fraud (the rare class), 0 = the rest.
    score : array-like of shape (n,) or mapping of str to array-like
        Higher = more suspicious; a mapping draws one curve per named score (e.g. class
        weights vs SMOTE vs IsolationForest).
    max_rate : float, default 0.1
        Largest review share shown, in (0, 1].
    marks : sequence of float, default (0.01, 0.02, 0.05)
        Review shares marked with a vertical line (and the recall there in the legend).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is created by default.

    Returns
    -------
    matplotlib.figure.Figure
        One curve per score, the best possible curve (every reviewed row is fraud) and a
        random queue (recall = review share).

    Examples
    --------
    >>> fig = review_curve_plot(y, {"lgbm": p, "isolation forest": a})  # doctest: +SKIP
    """

    top = float(check_rates(max_rate, "max_rate", "review_curve_plot")[0])
    marked = [] if marks is None or len(marks) == 0 else list(marks)
    marked = list(check_rates(marked, "marks", "review_curve_plot")) if marked else []
    scores = dict(score) if isinstance(score, Mapping) else {"model": score}
    if not scores:
        raise DataError("review_curve_plot got no scores. Pass an array or a non-empty mapping.")
    grid = np.linspace(0.0, top, 201)[1:]
    fig, ax = figure_axes(ax)
    base = None
    for name, values in scores.items():
        curve = review_curve(y_true, values, rates=np.union1d(grid, marked))
        base = float(np.mean(validate_scores(y_true, values, "score")[0]))
        at = curve.set_index("review_rate")["recall"]
        label = f"{name} ({', '.join(f'{at[m]:.0%} at {m:.0%}' for m in marked)})"
        ax.plot(
            100 * np.r_[0.0, curve["review_rate"]],
            np.r_[0.0, curve["recall"]],
            label=label if marked else name,
        )
    ax.plot(100 * np.r_[0, grid], np.minimum(1, np.r_[0, grid] / base), "k--", lw=1, label="best")
    ax.plot(100 * np.r_[0, grid], np.r_[0, grid], color="grey", lw=1, label="random")
    for m in marked:
        ax.axvline(100 * m, color="grey", linestyle=":", linewidth=1)
    ax.set(
        xlim=(0, 100 * top),
        ylim=(0, 1.02),
        xlabel="Review queue (% of rows, highest scores first)",
        ylabel="Share of fraud caught (recall)",
        title=f"Review queue vs fraud caught (fraud rate {base:.2%})",
    )
    ax.legend(loc="lower right", fontsize=8)
    return fig


@passes_skipped
def reject_inference_plot(
    calibration: pandas.DataFrame, model: str = "scorecard", summary=None
) -> Figure:
    """Calibration of every reject-inference method: mean predicted vs mean true PD by band.

    Parameters
    ----------
    calibration : pandas.DataFrame
        ``MethodComparison.calibration`` from
        :func:`riskresearch.reject_inference.compare_methods`: columns ``method``, ``model``,
        ``population`` (``ttd`` = accepted + declined, ``accepts``), ``mean_pd`` and
        ``mean_true`` (true PD with an oracle, observed bad rate without).
    model : str, default "scorecard"
        Which model's rows to draw.
    summary : pandas.DataFrame, optional
        ``MethodComparison.summary``; adds each method's AUC and calibration error to the
        legend.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per population (through the door first), one line per method, log-log
        axes and the diagonal of perfect calibration.

    Examples
    --------
    >>> cmp = reject_inference.compare_methods(cfg)                      # doctest: +SKIP
    >>> fig = reject_inference_plot(cmp.calibration, summary=cmp.summary)  # doctest: +SKIP
    """
    needed = ["method", "model", "population", "mean_pd", "mean_true"]
    table = _check_table(calibration, needed, "reject_inference_plot")
    table = table[table["model"] == model]
    if table.empty:
        raise DataError(
            f"reject_inference_plot: no rows of model '{model}'. Pick one of "
            f"{sorted(set(calibration['model']))}."
        )
    populations = [p for p in ("ttd", "accepts") if p in set(table["population"])]
    names = {"ttd": "Through the door (accepted + declined)", "accepts": "Accepted only"}
    fig = Figure(figsize=(5.2 * len(populations), 4.8), layout="constrained")
    axes = fig.subplots(1, len(populations), squeeze=False)[0]
    positive = table[(table["mean_pd"] > 0) & (table["mean_true"] > 0)]
    lo = float(min(positive["mean_pd"].min(), positive["mean_true"].min())) * 0.8
    hi = min(1.0, float(max(positive["mean_pd"].max(), positive["mean_true"].max())) * 1.25)
    for ax, population in zip(axes, populations):
        part = positive[positive["population"] == population]
        ax.plot([lo, hi], [lo, hi], linestyle="--", color="grey", label="perfect calibration")
        for method, rows in part.groupby("method", sort=False):
            label = str(method)
            if summary is not None and population == "ttd":
                s = summary[(summary["method"] == method) & (summary["model"] == model)]
                if len(s) and np.isfinite(s["ttd_auc"].iloc[0]):
                    label += (
                        f" (AUC {s['ttd_auc'].iloc[0]:.3f}, err {s['ttd_cal_error'].iloc[0]:.3f})"
                    )
            ax.plot(rows["mean_true"], rows["mean_pd"], marker="o", markersize=4, label=label)
        ax.set(
            xscale="log",
            yscale="log",
            xlim=(lo, hi),
            ylim=(lo, hi),
            xlabel="Mean true PD" if population == "ttd" else "Mean true PD / bad rate",
            ylabel="Mean predicted PD",
            title=names[population],
        )
        ax.legend(loc="upper left", fontsize=7)
    fig.suptitle(f"Reject inference: calibration by predicted-PD band ({model})")
    return fig


@passes_skipped
def reject_diagnostics_plot(shift: pandas.DataFrame, kink: pandas.DataFrame) -> Figure:
    """What real data shows about declined applicants: score shift and kink in bad rate.

    Parameters
    ----------
    shift, kink : pandas.DataFrame
        ``RejectDiagnostics.shift`` and ``.kink`` from
        :func:`riskresearch.reject_inference.no_oracle_diagnostics`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: share of accepted and declined applicants per score band, with the decline
        rate. Right: the accepted log-odds of bad per band against the straight line fitted
        where the old policy declined under half (a bend below it is the kink).
    """
    shift = _check_table(
        shift,
        ["band", "accepted_share", "declined_share", "decline_rate"],
        "reject_diagnostics_plot",
    )
    kink = _check_table(
        kink,
        ["mean_score", "log_odds", "trend_log_odds", "decline_rate"],
        "reject_diagnostics_plot",
    )
    fig = Figure(figsize=(11, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(shift))
    left.bar(x - 0.2, shift["accepted_share"], width=0.4, color=GOOD_COLOR, label="accepted")
    left.bar(x + 0.2, shift["declined_share"], width=0.4, color=BAD_COLOR, label="declined")
    left.set(
        xticks=x,
        xticklabels=[str(b) for b in shift["band"]],
        xlabel="Score band (1 = lowest score)",
        ylabel="Share of applicants",
        title="Score distribution: accepted vs declined",
    )
    rate = left.twinx()
    rate.plot(x, shift["decline_rate"], color="black", marker="o", label="decline rate")
    rate.set(ylim=(0, 1), ylabel="Decline rate")
    handles = left.get_legend_handles_labels()
    more = rate.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1], loc="upper right")
    shown = kink[np.isfinite(kink["mean_score"])]
    high = shown["decline_rate"] >= 0.5
    right.plot(shown["mean_score"], shown["log_odds"], "o-", color=BAD_COLOR, label="observed")
    right.plot(
        shown["mean_score"][high],
        shown["log_odds"][high],
        "o",
        color="black",
        label="bands declined >= 50%",
    )
    right.plot(
        shown["mean_score"],
        shown["trend_log_odds"],
        "--",
        color="grey",
        label="trend where declined < 50%",
    )
    right.set(
        xlabel="Mean accepts-only score",
        ylabel="Log-odds of bad (accepted)",
        title="Kink in the accepted bad rate",
    )
    right.legend(loc="upper right")
    return fig
