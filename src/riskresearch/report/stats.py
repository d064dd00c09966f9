"""Statistics the model document computes itself: standard errors of the scorecard's
coefficients, intervals of AUC, Gini and KS, and the population stability index.

Conventions follow :mod:`riskresearch.metrics`: ``y == 1`` is bad and a *pd* is higher for
riskier rows.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.errors import DataError

#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054


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
) -> pd.DataFrame:
    """Coefficient, standard error, Wald z, two-sided p-value and 95% interval of the
    intercept and every feature (see :func:`logit_standard_errors`)."""
    se = logit_standard_errors(X, coef, intercept, sample_weight)
    est = np.r_[intercept, np.asarray(coef, dtype=float).ravel()]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) if np.isfinite(v) else np.nan for v in z])
    return pd.DataFrame(
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


def _midrank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their mean rank."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(len(x), dtype=float)
    # first index of each run of equal values and its length
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_x)) + 1]
    ends = np.r_[starts[1:], len(x)]
    mean_rank = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def delong(y_true, pd) -> tuple[float, float]:
    """AUC and its DeLong variance (DeLong, DeLong and Clarke-Pearson 1988), with the fast
    midrank computation of Sun and Xu (2014). Ties count one half.

    Examples
    --------
    >>> auc, var = delong([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1])
    >>> float(auc), round(float(var), 6)
    (0.75, 0.125)
    """
    y, x, _ = metrics.validate_scores(y_true, pd, "pd")
    pos, neg = x[y == 1], x[y == 0]
    m, n = len(pos), len(neg)
    if m < 2 or n < 2:  # a variance needs two rows of each class
        return metrics.auc_unchecked(y, x, np.ones(len(y))), float("nan")
    tx, ty = _midrank(pos), _midrank(neg)
    tz = _midrank(np.r_[pos, neg])
    auc = (tz[:m].sum() - m * (m + 1) / 2.0) / (m * n)
    v10 = (tz[:m] - tx) / n  # per bad row: share of goods it outranks
    v01 = 1.0 - (tz[m:] - ty) / m  # per good row: share of bads that outrank it
    return float(auc), float(v10.var(ddof=1) / m + v01.var(ddof=1) / n)


def auc_interval(y_true, pd, level_z: float = Z95) -> tuple[float, float, float]:
    """AUC with its 95% DeLong interval, clipped to [0, 1]."""
    auc, var = delong(y_true, pd)
    if not np.isfinite(var):
        return auc, float("nan"), float("nan")
    half = level_z * math.sqrt(var)
    return auc, max(0.0, auc - half), min(1.0, auc + half)


def ks_interval(y_true, pd, seed: int, n_boot: int = 200) -> tuple[float, float, float]:
    """KS with a 95% percentile bootstrap interval (``n_boot`` resamples of the rows drawn
    with ``seed``, so the document shows the same interval on every build)."""
    y, x, w = metrics.validate_scores(y_true, pd, "pd")
    ks = metrics.ks_unchecked(y, x, w)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if 0 < y[i].sum() < len(i):
            draws.append(metrics.ks_unchecked(y[i], x[i], w[i]))
    if len(draws) < n_boot // 2:
        return ks, float("nan"), float("nan")
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return ks, float(lo), float(hi)


def psi(expected, actual, floor: float = 1e-4) -> float:
    """:func:`riskresearch.metrics.psi` of two count (or share) vectors over the same bins, NaN
    when a side is empty (the report shows no figure) and 0 for a single bin."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    if e.size == 1:  # one bin: nothing can shift
        return 0.0
    return metrics.psi(a, e, floor)


def score_psi(dev_score, test_score, bands: int = 10) -> tuple[float, pd.DataFrame]:
    """PSI of a score between development and test rows over development score deciles,
    and the table of shares per band (lowest scores first)."""
    dev = np.asarray(dev_score, dtype=float)
    test = np.asarray(test_score, dtype=float)
    cuts = np.unique(np.quantile(dev, np.linspace(0, 1, bands + 1)[1:-1]))
    band_dev = np.searchsorted(cuts, dev, side="right")
    band_test = np.searchsorted(cuts, test, side="right")
    k = len(cuts) + 1
    n_dev = np.bincount(band_dev, minlength=k)
    n_test = np.bincount(band_test, minlength=k)
    edges = [-np.inf, *cuts, np.inf]
    labels = []
    for lo, hi in itertools.pairwise(edges):
        if not np.isfinite(lo):
            labels.append(f"< {hi:,.0f}")
        elif not np.isfinite(hi):
            labels.append(f"≥ {lo:,.0f}")
        else:
            labels.append(f"{lo:,.0f} to {hi:,.0f}")
    table = pd.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "score": labels,
            "development_share": n_dev / n_dev.sum(),
            "test_share": n_test / max(n_test.sum(), 1),
        }
    )
    return psi(n_dev, n_test), table
