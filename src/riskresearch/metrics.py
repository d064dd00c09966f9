"""Credit-risk model metrics: AUC, Gini, KS, band (gains) tables, calibration and approval
trade-offs.

Conventions
-----------
- ``y_true == 1`` is a bad, ``0`` a good.
- A *pd* is a predicted probability of bad: higher means riskier.
- A *score* is a credit score: higher means better (lower risk).
- ``auc``, ``gini`` and ``ks`` only rank, so any risk measure where higher means riskier (a
  log-odds, ``-score``) works as ``pd``.
- ``sample_weight`` is read as frequency weights: a row of weight 3 counts like three copies
  of that row (counts and bads in the tables are then weighted sums).

numpy, pandas and scikit-learn only. Every function validates its input and raises
:class:`riskresearch.errors.DataError` (bad data) or :class:`riskresearch.errors.ConfigError`
(bad parameter) with a one-line message that says what to fix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas
from sklearn.metrics import roc_auc_score

from riskresearch.errors import ConfigError, DataError

__all__ = [
    "auc",
    "bad_rate_at_approval",
    "band_table",
    "calibration_table",
    "coefficient_table",
    "gini",
    "ks",
    "logit_standard_errors",
    "pr_auc",
    "precision_at_k",
    "psi",
    "recall_at_review_rate",
    "review_curve",
    "summary",
]

Z95 = NormalDist().inv_cdf(0.975)  # two-sided 95% normal quantile, 1.959964...
_TOL = 1e-12  # relative slack so that a cumulative weight equal to a quantile target counts


# ------------------------------------------------------------------------------------------
# input validation
# ------------------------------------------------------------------------------------------
def as_float_array(values, name: str) -> np.ndarray:
    """A 1-D float array (NaN kept; checked later so the message can name the rows)."""
    try:
        if isinstance(values, pandas.Series | pandas.Index):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        dtype = getattr(values, "dtype", type(values).__name__)
        raise DataError(
            f"{name} must hold numbers. Got values of type {dtype} that do not convert to "
            "float; convert them first."
        ) from None
    if arr.ndim != 1:
        raise DataError(
            f"{name} must be one-dimensional, one value per row. Got shape {arr.shape} instead."
        )
    return arr


def _target(y_true) -> np.ndarray:
    """y_true as a 1-D array of its original values (not yet checked for 0/1)."""
    if isinstance(y_true, pandas.Series | pandas.Index):
        y = y_true.to_numpy()
    else:
        y = np.asarray(y_true)
    if y.ndim != 1:
        raise DataError(
            f"y_true must be one-dimensional, one value per row. Got shape {y.shape} instead."
        )
    return y


def _is_01(v: Any) -> bool:
    numeric = isinstance(v, bool | int | float | np.bool_ | np.integer | np.floating)
    return numeric and v in (0, 1)


def _binary(y: np.ndarray) -> np.ndarray:
    """Check that y holds only 0 and 1 and return it as int64."""
    if y.dtype.kind in "biuf":
        ok = (y == 0) | (y == 1)
    else:  # object, string, nullable: check value by value so text like "1" is refused
        ok = np.fromiter((_is_01(v) for v in y), dtype=bool, count=len(y))
    if not ok.all():
        found = [v.item() if isinstance(v, np.generic) else v for v in pandas.unique(y[~ok])]
        try:
            found = sorted(found)
        except TypeError:
            found = sorted(found, key=str)
        more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
        raise DataError(
            f"y_true must contain only 0 (good) and 1 (bad). Got values {found[:10]}{more} instead."
        )
    return y.astype(np.int64)


def _weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = as_float_array(sample_weight, "sample_weight")
    if len(w) != n:
        raise DataError(
            f"sample_weight has {len(w)} values but y_true has {n}. Pass one weight per row."
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"sample_weight must be finite and non-negative. Got {float(w[i])} at position {i} "
            f"({int(bad.sum())} such row(s)); fix or drop those rows."
        )
    if w.sum() <= 0:
        raise DataError("sample_weight sums to 0. Give at least one row a positive weight.")
    return w


def validate_scores(y_true, values, name: str, sample_weight=None):
    """Validate a target, one column of predictions and weights; return them as arrays.

    Returns ``(y, x, w)``: int64 0/1 target, float predictions, float weights.
    """
    y = _target(y_true)
    x = as_float_array(values, name)
    if len(x) != len(y):
        raise DataError(
            f"y_true has {len(y)} values but {name} has {len(x)}. Pass one {name} value per row "
            "of y_true."
        )
    if len(y) == 0:
        raise DataError(f"y_true and {name} are empty (0 rows). Pass at least one row.")
    y = _binary(y)
    w = _weights(sample_weight, len(y))
    finite = np.isfinite(x)
    if not finite.all():
        kinds = " and ".join(
            k
            for k, has in (("NaN", np.isnan(x).any()), ("infinite values", np.isinf(x).any()))
            if has
        )
        i = int(np.flatnonzero(~finite)[0])
        raise DataError(
            f"{name} holds {kinds} in {int((~finite).sum())} row(s) (first at position {i}). "
            "Drop or impute those rows before computing metrics."
        )
    present = np.unique(y[w > 0])
    if len(present) < 2:
        what = "bads (1)" if present[0] == 1 else "goods (0)"
        where = " among rows with a positive sample_weight" if sample_weight is not None else ""
        raise DataError(
            f"y_true holds only {what}{where}. These metrics need both goods (0) and bads (1); "
            "pass a sample that contains both."
        )
    return y, x, w


def _check_probability(x: np.ndarray, name: str = "pd") -> None:
    outside = (x < 0) | (x > 1)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"{name} must hold probabilities in [0, 1]. Got {float(x[i])} at position {i} "
            f"({int(outside.sum())} such row(s)); pass predicted probabilities, not scores or "
            "log-odds."
        )


# ------------------------------------------------------------------------------------------
# ranking metrics
# ------------------------------------------------------------------------------------------
def class_cdfs(y: np.ndarray, x: np.ndarray, w: np.ndarray):
    """Distinct values of ``x`` (ascending) and the weighted CDFs of bads and goods there.

    Rows with equal ``x`` are grouped, so the curves are evaluated only at distinct thresholds.
    """
    values, inverse = np.unique(x, return_inverse=True)
    return values, *group_cdfs(inverse, y, w, len(values))


def group_cdfs(group: np.ndarray, y: np.ndarray, w: np.ndarray, k: int):
    """Weighted CDFs of bads and goods over ``k`` ordered groups (``group``: each row's,
    0..k-1); a group without rows adds nothing, so a resample of the rows can reuse the
    groups of all of them (the KS bootstrap sorts the scores once)."""
    bads = np.bincount(group, weights=w * y, minlength=k)
    goods = np.bincount(group, weights=w * (1 - y), minlength=k)
    return np.cumsum(bads) / bads.sum(), np.cumsum(goods) / goods.sum()


def auc_unchecked(y, x, w) -> float:
    """Weighted AUC with ties counted 1/2 (scikit-learn's ``roc_auc_score``, without its
    input validation: the forward selection calls it hundreds of times)."""
    order = np.argsort(x, kind="stable")
    xs, ws, ys = x[order], w[order], y[order]
    first = np.r_[True, xs[1:] != xs[:-1]]  # start of each group of equal scores
    group = np.cumsum(first) - 1
    bads = np.bincount(group, weights=ws * ys)
    goods = np.bincount(group, weights=ws * (1 - ys))
    below = np.cumsum(goods) - goods  # goods scored strictly lower
    total_bad, total_good = bads.sum(), goods.sum()
    if total_bad == 0 or total_good == 0:
        return float(roc_auc_score(y, x, sample_weight=w))  # raises its own clear error
    return float(bads @ (below + 0.5 * goods) / (total_bad * total_good))


def ks_unchecked(y, x, w) -> float:
    """Weighted KS of arrays already checked by :func:`validate_scores` (no validation)."""
    _, cdf_bad, cdf_good = class_cdfs(y, x, w)
    return float(np.max(np.abs(cdf_bad - cdf_good)))


def auc(y_true, pd, sample_weight=None) -> float:
    """Area under the ROC curve of predicted PDs (bads are the positive class).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad (higher = riskier). To evaluate a credit score, pass
        ``-score``.
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    float
        Probability that a random bad has a higher ``pd`` than a random good (ties count 1/2).

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, x, w = validate_scores(y_true, pd, "pd", sample_weight)
    return auc_unchecked(y, x, w)


def gini(y_true, pd, sample_weight=None) -> float:
    """Gini coefficient (accuracy ratio) of predicted PDs: ``2 * AUC - 1``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad (higher = riskier). For a credit score pass ``-score``.
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    float
        In [-1, 1]; 0 is a random ranking, 1 a perfect one.

    Examples
    --------
    >>> gini([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    y, x, w = validate_scores(y_true, pd, "pd", sample_weight)
    return 2.0 * auc_unchecked(y, x, w) - 1.0


def ks(y_true, pd, sample_weight=None) -> float:
    """Kolmogorov-Smirnov statistic: the largest distance between the cumulative
    distributions of ``pd`` among bads and among goods.

    Rows with equal ``pd`` are never split: the distributions are compared only at distinct
    thresholds, so ties cannot inflate KS.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad. Any monotone transform (a score, ``-score``, log-odds)
        gives the same KS.
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    float
        KS in [0, 1].

    Examples
    --------
    >>> ks([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    y, x, w = validate_scores(y_true, pd, "pd", sample_weight)
    return ks_unchecked(y, x, w)


def summary(y_true, pd, sample_weight=None) -> dict[str, float | int]:
    """Headline metrics of predicted PDs, ready for ``json.dumps`` (e.g. ``metrics.json``).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad (higher = riskier).
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    dict
        ``auc``, ``gini``, ``ks`` and ``bad_rate`` (weighted) as Python floats, and ``n``, the
        number of rows, as a Python int.

    Examples
    --------
    >>> summary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    {'auc': 0.75, 'gini': 0.5, 'ks': 0.5, 'n': 4, 'bad_rate': 0.5}
    """
    y, x, w = validate_scores(y_true, pd, "pd", sample_weight)
    a = auc_unchecked(y, x, w)
    return {
        "auc": a,
        "gini": 2.0 * a - 1.0,
        "ks": ks_unchecked(y, x, w),
        "n": len(y),
        "bad_rate": float(np.sum(w * y) / np.sum(w)),
    }


# ------------------------------------------------------------------------------------------
# banding
# ------------------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    return f"{v + 0.0:.6g}"  # + 0.0 turns -0.0 into 0.0


def _weighted_quantile_cuts(risk: np.ndarray, w: np.ndarray, n_bands: int) -> np.ndarray:
    """Observed values at the weighted quantiles k / n_bands (inverted CDF), deduplicated."""
    order = np.argsort(risk, kind="stable")
    cum = np.cumsum(w[order])
    targets = cum[-1] * np.arange(1, n_bands) / n_bands * (1 - _TOL)
    pos = np.minimum(np.searchsorted(cum, targets, side="left"), len(risk) - 1)
    return np.unique(risk[order][pos])


def _check_bands(bands, owner: str) -> np.ndarray | int:
    if isinstance(bands, int | np.integer) and not isinstance(bands, bool | np.bool_):
        if bands < 1:
            raise ConfigError(
                f"The 'bands' parameter of {owner} must be a positive number of bands or a "
                f"sequence of cut points. Got {bands!r} instead."
            )
        return int(bands)
    if isinstance(bands, Sequence | np.ndarray | pandas.Series) and not isinstance(bands, str):
        try:
            cuts = np.asarray(bands, dtype=float)
        except (TypeError, ValueError):
            cuts = None
        if (
            cuts is not None
            and cuts.ndim == 1
            and len(cuts) > 0
            and np.isfinite(cuts).all()
            and (np.diff(cuts) > 0).all()
        ):
            return cuts
    raise ConfigError(
        f"The 'bands' parameter of {owner} must be a positive integer or a non-empty, strictly "
        f"increasing sequence of finite cut points. Got {bands!r} instead."
    )


def assign_bands(x: np.ndarray, w: np.ndarray, bands, name: str, owner: str):
    """Assign every row to a band, riskiest band first.

    ``x`` is a pd (higher = riskier) or a score (higher = safer), per ``name``. Returns the
    band index of every row (0 = riskiest) and the band labels.

    A cut point always belongs to the safer side: pd bands are ``(a, b]``, score bands
    ``[a, b)``. Quantile bands keep ties together, so heavy ties give fewer bands.
    """
    spec = _check_bands(bands, owner)
    is_pd = name == "pd"
    risk = x if is_pd else -x  # work on one scale where higher is riskier
    if isinstance(spec, int):
        cuts = _weighted_quantile_cuts(risk, w, spec)
        # a cut at the largest value would only add an empty band; without it the riskiest
        # band stays open-ended, so the bands cover every possible value
        cuts = cuts[cuts < risk.max()]
    else:
        cuts = np.sort(spec if is_pd else -spec)
    # band i (safest first) is (cuts[i-1], cuts[i]] on the risk scale
    safe_idx = np.searchsorted(cuts, risk, side="left")
    n = len(cuts) + 1

    labels = []
    for i in range(n):
        lo = cuts[i - 1] if i > 0 else None
        hi = cuts[i] if i < n - 1 else None
        if is_pd:
            if lo is None and hi is None:
                labels.append("all")
            elif lo is None:
                labels.append(f"<= {_fmt(hi)}")
            elif hi is None:
                labels.append(f"> {_fmt(lo)}")
            else:
                labels.append(f"({_fmt(lo)}, {_fmt(hi)}]")
        else:  # back on the score scale: risk (lo, hi] is score [-hi, -lo)
            if lo is None and hi is None:
                labels.append("all")
            elif lo is None:
                labels.append(f">= {_fmt(-hi)}")
            elif hi is None:
                labels.append(f"< {_fmt(-lo)}")
            else:
                labels.append(f"[{_fmt(-hi)}, {_fmt(-lo)})")

    # quantile cuts are observed values, so no band is empty; with explicit cut points keep
    # empty inner bands (a grade with no one is information) but drop empty open-ended ones
    occupied = np.bincount(safe_idx, minlength=n) > 0
    keep = np.ones(n, dtype=bool)
    keep[0], keep[-1] = occupied[0], occupied[-1]
    new_safe = np.cumsum(keep) - 1
    k = int(keep.sum())
    band = (k - 1) - new_safe[safe_idx]  # riskiest first
    labels = [lab for lab, kept in zip(labels, keep) if kept][::-1]
    return band, labels


def _aggregate(band: np.ndarray, k: int, y, x, w):
    count = np.bincount(band, weights=w, minlength=k)
    bads = np.bincount(band, weights=w * y, minlength=k)
    sum_x = np.bincount(band, weights=w * x, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        bad_rate = np.where(count > 0, bads / count, np.nan)
        mean_x = np.where(count > 0, sum_x / count, np.nan)
    return count, bads, bad_rate, mean_x


def _counts(values: np.ndarray, weighted: bool) -> np.ndarray:
    # unit weights give exact integer sums; show them as integers
    return values if weighted else np.rint(values).astype(np.int64)


def band_table(y_true, pd=None, score=None, bands=10, sample_weight=None) -> pandas.DataFrame:
    """Gains table: bad rate, capture, lift and KS by band of a score or of predicted PDs.

    Pass exactly one of ``pd`` or ``score``. Bands are ordered from riskiest to safest (highest
    pd, or lowest score, first) and all cumulative columns accumulate in that order.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,), optional
        Predicted probability of bad (higher = riskier).
    score : array-like of shape (n,), optional
        Credit score (higher = better).
    bands : int or sequence of float, default 10
        Number of (weighted) quantile bands, or cut points on the scale of ``pd``/``score``.
        A cut point belongs to the safer band: pd bands are ``(a, b]``, score bands
        ``[a, b)``; open-ended bands below the first and above the last cut point are added
        and dropped when empty. Quantile bands never split tied values, so heavily tied
        inputs can give fewer bands than asked for.
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights; counts and bads become weighted sums.

    Returns
    -------
    pandas.DataFrame
        One row per band with columns ``band`` (1 = riskiest), ``label`` (interval),
        ``min_pd``/``max_pd`` or ``min_score``/``max_score`` (observed range), ``count``,
        ``bads``, ``goods``, ``bad_rate``, ``mean_pd`` (only with ``pd``),
        ``cum_count_share`` (share of the population in this and riskier bands),
        ``cum_bad_share`` (share of all bads captured), ``cum_good_share``, ``ks``
        (``cum_bad_share - cum_good_share``; its maximum is the KS at the band edges),
        ``lift`` (band bad rate / overall bad rate) and ``cum_lift``
        (``cum_bad_share / cum_count_share``).

    Examples
    --------
    >>> band_table([1, 0, 1, 0, 0], score=[550, 600, 620, 650, 700], bands=[600, 650])[
    ...     ["band", "label", "count", "bads", "bad_rate"]
    ... ]
       band       label  count  bads  bad_rate
    0     1       < 600      1     1       1.0
    1     2  [600, 650)      2     1       0.5
    2     3      >= 650      2     0       0.0
    """
    if (pd is None) == (score is None):
        got = "both" if pd is not None else "neither"
        raise ConfigError(
            f"band_table needs exactly one of 'pd' or 'score'. Got {got}; pass pd=... for "
            "predicted probabilities or score=... for credit scores."
        )
    name, values = ("pd", pd) if pd is not None else ("score", score)
    y, x, w = validate_scores(y_true, values, name, sample_weight)
    band, labels = assign_bands(x, w, bands, name, "band_table")
    k = len(labels)
    count, bads, bad_rate, mean_x = _aggregate(band, k, y, x, w)
    goods = count - bads
    grouped = pandas.Series(x).groupby(band)
    lo = grouped.min().reindex(range(k)).to_numpy()
    hi = grouped.max().reindex(range(k)).to_numpy()

    weighted = sample_weight is not None
    cum_count_share = np.cumsum(count) / count.sum()
    cum_bad_share = np.cumsum(bads) / bads.sum()
    cum_good_share = np.cumsum(goods) / goods.sum()
    overall = bads.sum() / count.sum()
    table = pandas.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "label": labels,
            f"min_{name}": lo,
            f"max_{name}": hi,
            "count": _counts(count, weighted),
            "bads": _counts(bads, weighted),
            "goods": _counts(goods, weighted),
            "bad_rate": bad_rate,
        }
    )
    if name == "pd":
        table["mean_pd"] = mean_x
    table["cum_count_share"] = cum_count_share
    table["cum_bad_share"] = cum_bad_share
    table["cum_good_share"] = cum_good_share
    table["ks"] = cum_bad_share - cum_good_share
    table["lift"] = bad_rate / overall
    table["cum_lift"] = cum_bad_share / cum_count_share
    return table


def _wilson(bads: np.ndarray, n: np.ndarray, z: float = Z95):
    """Wilson score interval of a binomial proportion ``bads / n``."""
    p = bads / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def calibration_table(y_true, pd, bands=10, sample_weight=None) -> pandas.DataFrame:
    """Predicted versus observed bad rate by band of predicted PD, with 95% Wilson intervals.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad, in [0, 1].
    bands : int or sequence of float, default 10
        Number of (weighted) quantile bands of ``pd``, or cut points (bands ``(a, b]``), as in
        :func:`band_table`. Bands without observations are left out.
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights. The interval uses the weighted count as the number of
        trials, which is exact for integer frequency weights only.

    Returns
    -------
    pandas.DataFrame
        One row per band, riskiest first, with columns ``band``, ``label``, ``count``,
        ``bads``, ``mean_pd`` (mean predicted PD), ``bad_rate`` (observed), ``ci_low`` and
        ``ci_high`` (95% Wilson interval of the observed rate) and ``pd_in_ci`` (True when
        ``mean_pd`` lies inside the interval).

    Examples
    --------
    >>> calibration_table([0, 1, 0, 1], [0.2, 0.3, 0.6, 0.7], bands=2)[["band", "mean_pd"]]
       band  mean_pd
    0     1     0.65
    1     2     0.25
    """
    y, x, w = validate_scores(y_true, pd, "pd", sample_weight)
    _check_probability(x)
    band, labels = assign_bands(x, w, bands, "pd", "calibration_table")
    k = len(labels)
    count, bads, bad_rate, mean_pd = _aggregate(band, k, y, x, w)
    keep = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ci_low, ci_high = _wilson(bads, count)
    weighted = sample_weight is not None
    table = pandas.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "label": labels,
            "count": _counts(count, weighted),
            "bads": _counts(bads, weighted),
            "mean_pd": mean_pd,
            "bad_rate": bad_rate,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "pd_in_ci": (mean_pd >= ci_low) & (mean_pd <= ci_high),
        }
    )
    return table[keep].reset_index(drop=True)


def bad_rate_at_approval(
    y_true, pd, approval_rates=(0.5, 0.6, 0.7, 0.8, 0.9), sample_weight=None
) -> pandas.DataFrame:
    """Bad rate of the approved and share of bads declined when approving the safest share.

    Applicants are approved from the lowest ``pd`` up: an approval rate ``a`` approves every
    applicant with ``pd <= cutoff_pd``, where ``cutoff_pd`` is the smallest observed pd with a
    (weighted) share of at least ``a`` at or below it. Ties at the cut-off are all approved,
    so ``actual_approval_rate`` can exceed the target.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = bad, 0 = good.
    pd : array-like of shape (n,)
        Predicted probability of bad (higher = riskier).
    approval_rates : sequence of float, default (0.5, 0.6, 0.7, 0.8, 0.9)
        Target approval rates, each in (0, 1].
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    pandas.DataFrame
        One row per approval rate with columns ``approval_rate`` (target), ``cutoff_pd``,
        ``actual_approval_rate``, ``bad_rate_approved`` (bad rate among the approved) and
        ``bads_declined_share`` (share of all bads declined, i.e. captured by the cut-off).

    Examples
    --------
    >>> table = bad_rate_at_approval([0, 0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 1.0])
    >>> table[["approval_rate", "cutoff_pd", "bad_rate_approved", "bads_declined_share"]]
       approval_rate  cutoff_pd  bad_rate_approved  bads_declined_share
    0            0.6        0.3           0.333333                  0.5
    1            1.0        0.5           0.400000                  0.0
    """
    try:
        rates = np.asarray(approval_rates, dtype=float)
    except (TypeError, ValueError):
        rates = None
    if (
        rates is None
        or rates.ndim != 1
        or len(rates) == 0
        or not ((rates > 0) & (rates <= 1)).all()
    ):
        raise ConfigError(
            "The 'approval_rates' parameter of bad_rate_at_approval must be a non-empty "
            f"sequence of shares in (0, 1]. Got {approval_rates!r} instead."
        )
    y, x, w = validate_scores(y_true, pd, "pd", sample_weight)
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    total, total_bads = cum[-1], np.sum(w * y)
    pos = np.minimum(np.searchsorted(cum, rates * total * (1 - _TOL), side="left"), len(x) - 1)
    rows = []
    for rate, cutoff in zip(rates, x[order][pos]):
        approved = x <= cutoff
        n_approved = np.sum(w[approved])
        bads_approved = np.sum((w * y)[approved])
        rows.append(
            {
                "approval_rate": float(rate),
                "cutoff_pd": float(cutoff),
                "actual_approval_rate": float(n_approved / total),
                "bad_rate_approved": float(bads_approved / n_approved),
                "bads_declined_share": float((total_bads - bads_approved) / total_bads),
            }
        )
    return pandas.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# rare-class (fraud) metrics: y_true == 1 is the rare class, a higher score is more suspicious
# ------------------------------------------------------------------------------------------
def _caught(y: np.ndarray, x: np.ndarray, w: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """Weighted positives among the highest-scored rows, ``budgets`` of weight reviewed.

    Rows are reviewed from the highest score down; a group of tied scores straddling the cut
    counts pro rata (the expected value under a random order within the tie), so the result
    does not depend on the row order.
    """
    _, inverse = np.unique(-x, return_inverse=True)  # group 0 = highest score
    gw = np.bincount(inverse, weights=w)
    gp = np.bincount(inverse, weights=w * y)
    cw, cp = np.cumsum(gw), np.cumsum(gp)
    g = np.minimum(np.searchsorted(cw, budgets * (1 - _TOL), side="left"), len(gw) - 1)
    before_w = np.where(g > 0, cw[g - 1], 0.0)
    before_p = np.where(g > 0, cp[g - 1], 0.0)
    share = np.clip((budgets - before_w) / gw[g], 0.0, 1.0)
    return before_p + share * gp[g]


def check_rates(rates, name: str, owner: str) -> np.ndarray:
    """``rates`` as an array of shares in (0, 1]; a one-line ConfigError naming ``name``
    and ``owner`` otherwise."""
    try:
        arr = np.atleast_1d(np.asarray(rates, dtype=float))
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if (
        isinstance(rates, bool)
        or arr.ndim != 1
        or len(arr) == 0
        or not ((arr > 0) & (arr <= 1)).all()
    ):
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a share in (0, 1] (or a sequence of "
            f"them). Got {rates!r} instead."
        )
    return arr


def pr_auc(y_true, score, sample_weight=None) -> float:
    """Area under the precision-recall curve (average precision) of a rare-class score.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = the rare class (fraud), 0 = the rest.
    score : array-like of shape (n,)
        Higher = more suspicious (a probability, a log-odds or an anomaly score).
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    float
        Average precision (``sklearn.metrics.average_precision_score``); a random score gets
        the positive share, a perfect one 1.

    Examples
    --------
    >>> pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    """
    from sklearn.metrics import average_precision_score

    y, x, w = validate_scores(y_true, score, "score", sample_weight)
    return float(average_precision_score(y, x, sample_weight=w))


def recall_at_review_rate(y_true, score, rate: float, sample_weight=None) -> float:
    """Share of the rare class caught when the ``rate`` share of rows with the highest scores
    is reviewed.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = the rare class (fraud), 0 = the rest.
    score : array-like of shape (n,)
        Higher = more suspicious.
    rate : float
        Reviewed share of rows (weighted), in (0, 1]. A tie group of scores straddling the cut
        counts pro rata, so the reviewed share is exact and the row order does not matter.
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    float
        Recall in [0, 1].

    Examples
    --------
    >>> recall_at_review_rate([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.25)
    0.5
    """
    r = check_rates(rate, "rate", "recall_at_review_rate")
    if r.size != 1:
        raise ConfigError(
            "The 'rate' parameter of recall_at_review_rate must be one share in (0, 1]. "
            f"Got {rate!r} instead; use review_curve for several."
        )
    y, x, w = validate_scores(y_true, score, "score", sample_weight)
    return float(_caught(y, x, w, r * w.sum())[0] / np.sum(w * y))


def precision_at_k(y_true, score, k: int) -> float:
    """Share of the rare class among the ``k`` rows with the highest scores.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = the rare class (fraud), 0 = the rest.
    score : array-like of shape (n,)
        Higher = more suspicious.
    k : int
        Rows reviewed, from 1 to n. Ties at the cut count pro rata.

    Returns
    -------
    float
        Precision in [0, 1].

    Examples
    --------
    >>> precision_at_k([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 2)
    0.5
    """
    y, x, w = validate_scores(y_true, score, "score")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= len(y):
        raise ConfigError(
            f"The 'k' parameter of precision_at_k must be an integer from 1 to the number of "
            f"rows ({len(y)}). Got {k!r} instead."
        )
    return float(_caught(y, x, w, np.array([float(k)]))[0] / k)


REVIEW_RATES = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)


def review_curve(y_true, score, rates=REVIEW_RATES, sample_weight=None) -> pandas.DataFrame:
    """Review-queue size against the rare class caught.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        1 = the rare class (fraud), 0 = the rest.
    score : array-like of shape (n,)
        Higher = more suspicious.
    rates : sequence of float, default :data:`REVIEW_RATES`
        Reviewed shares of rows, each in (0, 1].
    sample_weight : array-like of shape (n,), optional
        Non-negative frequency weights.

    Returns
    -------
    pandas.DataFrame
        One row per rate: ``review_rate``, ``reviewed`` (rows, weighted), ``caught`` (rare-class
        rows among them), ``recall``, ``precision`` and ``lift`` (precision / overall rate).

    Examples
    --------
    >>> review_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], rates=[0.25, 0.5])["recall"].tolist()
    [0.5, 0.5]
    """
    r = check_rates(rates, "rates", "review_curve")
    y, x, w = validate_scores(y_true, score, "score", sample_weight)
    total, positives = w.sum(), np.sum(w * y)
    reviewed = r * total
    caught = _caught(y, x, w, reviewed)
    return pandas.DataFrame(
        {
            "review_rate": r,
            "reviewed": reviewed,
            "caught": caught,
            "recall": caught / positives,
            "precision": caught / reviewed,
            "lift": (caught / reviewed) / (positives / total),
        }
    )


#: Share floor of an empty bin in PSI (a bin empty on one side gives a large, finite term).
PSI_EPS = 1e-4


def psi(actual, expected, eps: float = PSI_EPS) -> float:
    """Population stability index ``sum (a - e) ln(a / e)`` of two distributions over bins.

    Counts or shares are accepted (each side is normalised to sum 1); a share below ``eps`` is
    raised to ``eps`` so a bin empty on one side gives a large but finite term.

    Examples
    --------
    >>> round(psi([0.5, 0.5], [0.4, 0.6]), 6)
    0.040547
    """
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape or a.ndim != 1 or a.size < 2:
        raise DataError(
            f"PSI needs two distributions over the same bins; got {a.shape} and {e.shape}."
        )
    if a.sum() <= 0 or e.sum() <= 0:
        raise DataError("PSI needs at least one row on each side; one distribution is empty.")
    a = np.maximum(a / a.sum(), eps)
    e = np.maximum(e / e.sum(), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def logit_standard_errors(X, coef, intercept: float, sample_weight=None) -> np.ndarray:
    """Standard errors of a fitted logistic regression's intercept and coefficients.

    The inverse of the Hessian of the negative log-likelihood at the fitted coefficients,
    ``H = X1' diag(w p (1 - p)) X1`` with ``X1 = [1, X]`` and ``p`` the fitted probability
    of ``y == 1`` (the observed information, which for the logit link does not depend on
    ``y``). The square roots of its diagonal are the usual Wald standard errors; with
    frequency weights they equal those of the rows repeated ``w`` times.

    Parameters
    ----------
    X : array-like of shape (n, k)
        The design the regression was fitted on (for a scorecard: the WoE of each feature).
    coef : array-like of shape (k,)
    intercept : float
    sample_weight : array-like of shape (n,), optional

    Returns
    -------
    numpy.ndarray of shape (k + 1,)
        Intercept first, then one per coefficient; NaN everywhere when the Hessian is
        singular (a constant or duplicated column).

    Examples
    --------
    >>> X = np.array([[0.0], [0.0], [1.0], [1.0], [1.0], [0.0]])
    >>> se = logit_standard_errors(X, [0.0], 0.0)
    >>> se.round(4).tolist()
    [1.1547, 1.633]
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise DataError(f"logit_standard_errors needs a 2-D design. Got {X.ndim} dimension(s).")
    beta = np.asarray(coef, dtype=float).ravel()
    if beta.size != X.shape[1]:
        raise DataError(
            f"logit_standard_errors got {beta.size} coefficient(s) for {X.shape[1]} column(s). "
            "Pass one coefficient per column."
        )
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    X1 = np.column_stack([np.ones(len(X)), X])
    p = 1.0 / (1.0 + np.exp(-(intercept + X @ beta)))
    hessian = (X1 * (w * p * (1.0 - p))[:, None]).T @ X1
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(X1.shape[1], np.nan)
    return np.sqrt(np.clip(np.diag(cov), 0.0, None))


def coefficient_table(
    features: list[str], X, coef, intercept: float, sample_weight=None
) -> pandas.DataFrame:
    """Coefficient, standard error, Wald z, two-sided p-value and 95% interval of the
    intercept and every feature (see :func:`logit_standard_errors`)."""
    se = logit_standard_errors(X, coef, intercept, sample_weight)
    est = np.r_[intercept, np.asarray(coef, dtype=float).ravel()]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) if np.isfinite(v) else np.nan for v in z])
    return pandas.DataFrame(
        {
            "term": ["intercept", *features],
            "coefficient": est,
            "std_error": se,
            "z": z,
            "p_value": p,
            "ci_low": est - Z95 * se,
            "ci_high": est + Z95 * se,
        }
    )
