"""Exact optimal binning: numpy pre-binning plus dynamic programming over the pre-bins.

Solves the problem optbinning's ``OptimalBinning`` hands to CP-SAT (binary target, IV
objective), for the constraints :class:`riskresearch.binning.WoeBinner` uses, with no solver:

1. **Pre-binning** reproduces optbinning's CART pre-binning: a best-first decision tree (Gini)
   of at most ``max_n_prebins`` leaves, each holding at least ``min_prebin_size`` of the
   (weighted) rows, grown on the values cast to float32 as scikit-learn does, with its
   thresholds (midpoints of neighbouring float32 values), its tie rule (first best position)
   and its ``FEATURE_THRESHOLD`` (neighbours closer than 1e-7 are not split). Pre-bins without
   a bad or without a good are merged into their right neighbour (the last into its left
   one), as optbinning does. Only the sorted distinct values and their good/bad weights are
   needed, so the tree costs a few vectorised passes over the distinct values.
2. **Optimisation** is a dynamic programme over the pre-bins: the best partition of pre-bins
   ``0..b`` into ``k`` contiguous bins whose last bin is ``a..b`` is the IV of that bin plus
   the best partition of ``0..a-1`` into ``k - 1`` bins whose last bin's event rate is
   compatible with the trend. With P pre-bins (at most 20) and B bins that is O(B * P^3)
   numpy operations on P x P x P arrays: microseconds, exact.

The objective is optbinning's: the sum over regular bins of ``(p - q) * ln(p / q)`` with
``p`` / ``q`` the bin's share of the regular rows' bads / goods (special and missing rows are
not part of it). Constraints per regular bin: weighted rows at least
``ceil(min_bin_size * total weight of all rows)`` (optbinning's count, missing and special
rows included in the total), weighted bads at least ``min_bin_n_event`` (if given), at most
``max_n_bins`` bins, and the event-rate trend:

- ``"ascending"`` / ``"descending"``: bin event rates never decrease / increase;
- ``"auto_asc_desc"``: the better of the two (higher IV; ascending on a tie). optbinning picks
  the direction with a small classifier on the pre-bins' shape instead, so where its guess is
  the weaker direction this engine finds a higher IV;
- ``"peak"`` / ``"valley"``: rising then falling / falling then rising (optbinning's
  formulation: no constraint between the last bin of one leg and the first of the other);
- ``None``: no trend.

optbinning's CP model also forbids, for ascending and descending trends, a cut wherever the
pre-bin right of it has a lower (higher) event rate than the one left of it, a reduction that
can exclude the true optimum; the programme here does not, so its IV is at least optbinning's
on the same pre-bins. Its IV values and event rates are exact floats where optbinning's are
truncated to multiples of 1e-6. On ties the fewer bins win.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

#: Trends this engine solves exactly; the others are optbinning's (see WoeBinner).
TRENDS = frozenset({"ascending", "descending", "auto_asc_desc", "peak", "valley", None})
#: scikit-learn's tree constants: ties closer than FEATURE_THRESHOLD are not split, a node of
#: impurity <= EPSILON is pure.
_FEATURE_THRESHOLD = np.float32(1e-7)
_EPSILON = float(np.finfo(np.float64).eps)
_F32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Constraints:
    """What a regular bin must satisfy (weights are the fit's sample weights).

    Attributes
    ----------
    max_n_bins : int
        Maximum number of regular bins.
    min_bin_weight : float
        Minimum weighted rows per regular bin (``ceil(min_bin_size * total weight)``).
    min_bin_n_event : float or None
        Minimum weighted bads per regular bin.
    trend : str or None
        One of :data:`TRENDS`.
    max_n_prebins : int
        Maximum number of pre-bins (leaves of the CART tree).
    min_prebin_weight : float
        Minimum weighted rows per pre-bin (``ceil(min_prebin_size * total weight)``).
    """

    max_n_bins: int
    min_bin_weight: float
    min_bin_n_event: float | None
    trend: str | None
    max_n_prebins: int
    min_prebin_weight: float

    @classmethod
    def of(
        cls,
        total_weight: float,
        *,
        max_n_bins: int,
        min_bin_size: float,
        min_bin_n_event: float | None,
        trend: str | None,
        max_n_prebins: int = 20,
        min_prebin_size: float = 0.05,
    ) -> Constraints:
        """Constraints from shares of ``total_weight`` (the weight of all rows of the fit)."""
        return cls(
            max_n_bins=int(max_n_bins),
            min_bin_weight=float(math.ceil(min_bin_size * total_weight)),
            min_bin_n_event=None if min_bin_n_event is None else float(min_bin_n_event),
            trend=trend,
            max_n_prebins=int(max_n_prebins),
            min_prebin_weight=float(math.ceil(min_prebin_size * total_weight)),
        )


# ------------------------------------------------------------------------------------------
# entry points
# ------------------------------------------------------------------------------------------
def numerical_splits(
    x: np.ndarray, bad: np.ndarray, w: np.ndarray | None, rules: Constraints
) -> list[float]:
    """Optimal split points of a numerical feature's regular values.

    Parameters
    ----------
    x : ndarray of float64
        The regular values (no NaN, no special code, no inf).
    bad : ndarray of bool
        True where the row is bad, aligned with ``x``.
    w : ndarray of float64 or None
        Row weights aligned with ``x``; None means every row weighs 1.
    rules : Constraints

    Returns
    -------
    list of float
        Increasing split points; a value equal to a split belongs to the bin above it.
    """
    values, good_w, bad_w = distinct_counts(x, bad, w)
    if values.size < 2:
        return []
    fit_weight = float(x.size) if w is None else float(np.sum(w))
    prebin_splits = cart_prebins(values, good_w, bad_w, rules, fit_weight)
    return _optimise_splits(values, good_w, bad_w, prebin_splits, rules)


def ordered_groups(good_w: np.ndarray, bad_w: np.ndarray, rules: Constraints) -> list[list[int]]:
    """Optimal groups of categories already ordered by event rate (positions 0..K-1).

    Parameters
    ----------
    good_w, bad_w : ndarray of float64
        Weighted goods and bads of every category, in event-rate order.
    rules : Constraints
        Its trend is applied to the ordered categories (``"ascending"`` for optbinning's
        rule).

    Returns
    -------
    list of list of int
        Consecutive runs of category positions, one per regular bin.
    """
    k = good_w.size
    if k == 0:
        return []
    codes = np.arange(k, dtype=np.float64)
    splits = cart_prebins(codes, good_w, bad_w, rules, float(good_w.sum() + bad_w.sum()))
    cuts = _optimise_splits(codes, good_w, bad_w, splits, rules)
    edges = [0, *(math.ceil(s) for s in cuts), k]
    return [list(range(lo, hi)) for lo, hi in itertools.pairwise(edges) if hi > lo]


def _optimise_splits(values, good_w, bad_w, prebin_splits, rules) -> list[float]:
    prebin_splits, good, bad = pure_free_prebins(values, good_w, bad_w, prebin_splits)
    if good.size <= 1:
        return [float(s) for s in prebin_splits]
    cuts = optimal_cuts(good, bad, rules)
    return [float(prebin_splits[c]) for c in cuts]


# ------------------------------------------------------------------------------------------
# distinct values and their weights
# ------------------------------------------------------------------------------------------
def distinct_counts(
    x: np.ndarray, bad: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct values of ``x`` and the weight of goods and bads at each.

    Unit weights sort the goods' and the bads' values apart (a plain sort, no argsort);
    other weights sort once with an argsort.
    """
    if x.size == 0:
        empty = np.empty(0)
        return empty, empty, empty
    if w is None:
        v_bad, n_bad = _runs(np.sort(x[bad]))
        v_good, n_good = _runs(np.sort(x[~bad]))
        values = np.union1d(v_bad, v_good)
        bad_w = np.zeros(values.size)
        good_w = np.zeros(values.size)
        bad_w[np.searchsorted(values, v_bad)] = n_bad
        good_w[np.searchsorted(values, v_good)] = n_good
        return values, good_w, bad_w
    order = np.argsort(x, kind="stable")
    xs = x[order]
    start = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    ws = w[order]
    wb = np.where(bad[order], ws, 0.0)
    del order
    bad_w = np.add.reduceat(wb, start)
    good_w = np.add.reduceat(ws, start) - bad_w
    return xs[start], good_w, bad_w


def _runs(sorted_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if sorted_x.size == 0:
        return sorted_x, np.empty(0)
    start = np.flatnonzero(np.concatenate(([True], sorted_x[1:] != sorted_x[:-1])))
    counts = np.diff(np.append(start, sorted_x.size)).astype(np.float64)
    return sorted_x[start], counts


# ------------------------------------------------------------------------------------------
# CART pre-binning (scikit-learn's best-first tree on one feature, reproduced)
# ------------------------------------------------------------------------------------------
def cart_prebins(
    values: np.ndarray,
    good_w: np.ndarray,
    bad_w: np.ndarray,
    rules: Constraints,
    fit_weight: float,
) -> np.ndarray:
    """Pre-bin split points: optbinning's ``PreBinning(method="cart")`` with sample weights.

    ``fit_weight`` is the total weight of the rows the tree is grown on (the regular rows).
    optbinning gives the tree ``min_weight_fraction_leaf = min(0.5, min_prebin_weight /
    fit_weight)``, which scikit-learn turns back into a minimum leaf weight.
    """
    if fit_weight <= 0:
        return np.empty(0)
    min_leaf = min(0.5, rules.min_prebin_weight / fit_weight) * fit_weight
    v32 = np.clip(values, -_F32_MAX, _F32_MAX).astype(np.float32)
    start = np.flatnonzero(np.concatenate(([True], v32[1:] != v32[:-1])))
    v = v32[start]  # distinct float32 values: what the tree sees
    c0 = np.concatenate(([0.0], np.cumsum(np.add.reduceat(good_w, start))))
    c1 = np.concatenate(([0.0], np.cumsum(np.add.reduceat(bad_w, start))))
    cw = c0 + c1
    # positions p where a split between v[p-1] and v[p] is allowed
    candidates = np.flatnonzero(v[1:] > v[:-1] + _FEATURE_THRESHOLD) + 1
    total = cw[-1]

    def best_split(lo: int, hi: int, impurity: float):
        w0, w1 = c0[hi] - c0[lo], c1[hi] - c1[lo]
        wn = w0 + w1
        if wn < 2 * min_leaf or impurity <= _EPSILON:
            return None
        # only positions leaving min_leaf on both sides can win (a slack keeps float ties)
        first = np.searchsorted(cw, cw[lo] + min_leaf * (1 - 1e-9), side="left")
        last = np.searchsorted(cw, cw[hi] - min_leaf * (1 - 1e-9), side="right")
        i0 = np.searchsorted(candidates, max(lo + 1, first), side="left")
        i1 = np.searchsorted(candidates, min(hi - 1, last), side="right")
        if i1 <= i0:
            return None
        p = candidates[i0:i1]
        l0, l1 = c0[p] - c0[lo], c1[p] - c1[lo]
        wl = l0 + l1
        wr = wn - wl
        ok = (wl >= min_leaf) & (wr >= min_leaf)
        if not ok.any():
            return None
        p, l0, l1, wl, wr = p[ok], l0[ok], l1[ok], wl[ok], wr[ok]
        r0, r1 = w0 - l0, w1 - l1
        gini_l = 1.0 - (l0 * l0 + l1 * l1) / (wl * wl)
        gini_r = 1.0 - (r0 * r0 + r1 * r1) / (wr * wr)
        best = int(np.argmax(-wr * gini_r - wl * gini_l))  # first of equal proxies, as sklearn
        imp_l, imp_r = float(gini_l[best]), float(gini_r[best])
        gain = (wn / total) * (impurity - (wr[best] / wn * imp_r) - (wl[best] / wn * imp_l))
        if gain + _EPSILON < 0:  # scikit-learn's min_impurity_decrease=0 test
            return None
        return float(gain), int(p[best]), imp_l, imp_r

    def impurity_of(lo: int, hi: int) -> float:
        w0, w1 = c0[hi] - c0[lo], c1[hi] - c1[lo]
        wn = w0 + w1
        return 1.0 - (w0 * w0 + w1 * w1) / (wn * wn) if wn > 0 else 0.0

    frontier = _Frontier()
    root = (0, v.size)
    frontier.push(root, best_split(*root, impurity_of(*root)))
    budget = rules.max_n_prebins - 1
    thresholds = []
    while budget > 0 and frontier:
        (lo, hi), split = frontier.pop()
        if split is None:
            continue
        budget -= 1
        _, p, imp_l, imp_r = split
        thresholds.append(float(v[p - 1]) / 2.0 + float(v[p]) / 2.0)
        frontier.push((lo, p), best_split(lo, p, imp_l))
        frontier.push((p, hi), best_split(p, hi, imp_r))
    return np.unique(np.asarray(thresholds, dtype=np.float64))


class _Frontier:
    """scikit-learn's frontier: a ``std::vector`` max-heap on the split's improvement, with
    libstdc++'s ``push_heap`` / ``pop_heap``, so nodes of equal improvement pop in its order.
    Leaves (no split) have improvement 0."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, tuple[int, int], object]] = []

    def __bool__(self) -> bool:
        return bool(self.heap)

    def push(self, node, split) -> None:
        h = self.heap
        h.append((0.0 if split is None else split[0], node, split))
        self._sift_up(len(h) - 1, 0, h[-1])

    def _sift_up(self, hole: int, top: int, item) -> None:
        h = self.heap
        parent = (hole - 1) // 2
        while hole > top and h[parent][0] < item[0]:
            h[hole] = h[parent]
            hole = parent
            parent = (hole - 1) // 2
        h[hole] = item

    def pop(self):
        h = self.heap
        first, last = h[0], h.pop()
        n = len(h)
        if n == 0:
            return first[1], first[2]
        hole, child = 0, 0  # libstdc++ __adjust_heap(first, 0, n, last)
        while child < (n - 1) // 2:
            child = 2 * (child + 1)
            if h[child][0] < h[child - 1][0]:
                child -= 1
            h[hole] = h[child]
            hole = child
        if n % 2 == 0 and child == (n - 2) // 2:
            child = 2 * (child + 1)
            h[hole] = h[child - 1]
            hole = child - 1
        self._sift_up(hole, 0, last)
        return first[1], first[2]


def pure_free_prebins(
    values: np.ndarray, good_w: np.ndarray, bad_w: np.ndarray, splits: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-bin goods and bads, after merging pre-bins without a good or without a bad.

    A value equal to a split belongs to the pre-bin above it (``np.digitize`` as optbinning).
    A pure pre-bin loses the split on its right (the last pre-bin the split on its left),
    repeated until none is pure, as optbinning's ``_compute_prebins``.
    """
    cg = np.concatenate(([0.0], np.cumsum(good_w)))
    cb = np.concatenate(([0.0], np.cumsum(bad_w)))
    splits = np.asarray(splits, dtype=np.float64)
    while True:
        edges = np.concatenate(([0], np.searchsorted(values, splits, side="left"), [values.size]))
        good, bad = np.diff(cg[edges]), np.diff(cb[edges])
        pure = (good <= 0) | (bad <= 0)
        if not pure.any() or splits.size == 0:
            return splits, good, bad
        drop = np.concatenate((pure[:-2], [pure[-2] | pure[-1]]))
        splits = splits[~drop]


# ------------------------------------------------------------------------------------------
# the dynamic programme
# ------------------------------------------------------------------------------------------
def optimal_cuts(good: np.ndarray, bad: np.ndarray, rules: Constraints) -> list[int]:
    """Indices ``i`` of the pre-bin boundaries kept (a cut after pre-bin ``i``).

    Every pre-bin must hold goods and bads. Returns no cut when no partition satisfies the
    constraints (one regular bin, as optbinning does when CP-SAT finds the model infeasible).
    """
    n = good.size
    if n <= 1:
        return []
    if rules.trend not in TRENDS:
        raise ValueError(f"trend {rules.trend!r} is not solved here; use one of {TRENDS}")
    cg = np.concatenate(([0.0], np.cumsum(good)))
    cb = np.concatenate(([0.0], np.cumsum(bad)))
    g = cg[None, 1:] - cg[:-1, None]  # g[a, b]: goods of pre-bins a..b
    b = cb[None, 1:] - cb[:-1, None]
    upper = np.triu(np.ones((n, n), dtype=bool))
    with np.errstate(divide="ignore", invalid="ignore"):
        p, q = b / cb[-1], g / cg[-1]
        iv = (p - q) * np.log(p / q)
        rate = b / (g + b)
    feasible = upper & (g + b >= rules.min_bin_weight)
    if rules.min_bin_n_event is not None:
        feasible &= b >= rules.min_bin_n_event
    value = np.where(feasible, iv, -np.inf)
    rate = np.where(upper, rate, np.nan)
    if rules.trend == "auto_asc_desc":
        up = _solve(value, rate, rules.max_n_bins, "ascending")
        down = _solve(value, rate, rules.max_n_bins, "descending")
        best = down if down[0] > up[0] else up
    else:
        best = _solve(value, rate, rules.max_n_bins, rules.trend)
    return best[1]


def _solve(value, rate, max_n_bins, trend) -> tuple[float, list[int]]:
    n = value.shape[0]
    n_bins = min(max_n_bins, n)
    legs = 2 if trend in ("peak", "valley") else 1
    f = np.full((n_bins, legs, n, n), -np.inf)  # f[k-1, leg, a, b]: k bins, last one a..b
    came = np.zeros((n_bins, legs, n, n), dtype=np.int64)  # leg * n + h of the bin before
    f[0, 0, 0, :] = value[0, :]
    prev_rate = np.full((n, n), np.nan)  # prev_rate[h, a]: rate of bin h..a-1
    prev_rate[:, 1:] = rate[:, :-1]
    before = prev_rate[:, :, None]
    after = rate[None, :, :]
    rising = before <= after  # [h, a, b]: bin h..a-1 then a..b keeps the rate from falling
    falling = before >= after
    free = np.ones_like(rising)
    # which legs may precede which, and how the rate may move between them
    if trend in ("ascending", "descending", None):
        moves = {(0, 0): {"ascending": rising, "descending": falling, None: free}[trend]}
    elif trend == "peak":
        moves = {(0, 0): rising, (0, 1): free, (1, 1): falling}
    else:  # valley
        moves = {(0, 0): falling, (0, 1): free, (1, 1): rising}
    for k in range(1, n_bins):
        prev = np.full((legs, n, n), -np.inf)
        prev[:, :, 1:] = f[k - 1, :, :, :-1]  # prev[leg, h, a] = f[k-2, leg, h, a-1]
        for leg in range(legs):
            stack = np.full((legs, n, n, n), -np.inf)
            for (src, dst), allowed in moves.items():
                if dst == leg:
                    stack[src] = np.where(allowed, prev[src][:, :, None], -np.inf)
            stack = stack.reshape(legs * n, n, n)
            arg = stack.argmax(axis=0)
            best = np.take_along_axis(stack, arg[None], axis=0)[0]
            f[k, leg] = value + best
            came[k, leg] = arg
    ends = f[:, :, :, n - 1]  # [k, leg, a]
    top = ends.max()
    if not np.isfinite(top):
        return -np.inf, []
    tol = 1e-12 * max(1.0, abs(top))
    k = int(np.flatnonzero((ends >= top - tol).any(axis=(1, 2)))[0])  # fewest bins
    leg, a = np.unravel_index(int(np.argmax(ends[k])), ends[k].shape)
    leg, a, end = int(leg), int(a), n - 1
    cuts = []
    while k > 0:
        src = int(came[k, leg, a, end])
        cuts.append(a - 1)
        leg, h = divmod(src, n)
        k, end, a = k - 1, a - 1, h
    return float(top), sorted(cuts)
