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
from riskresearch.metrics import Z95


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
    # the distinct scores are sorted once; each resample counts its rows in their groups
    _, group = np.unique(x, return_inverse=True)
    k = int(group.max()) + 1
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if 0 < y[i].sum() < len(i):
            cdf_bad, cdf_good = metrics.group_cdfs(group[i], y[i], w[i], k)
            draws.append(float(np.max(np.abs(cdf_bad - cdf_good))))
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
