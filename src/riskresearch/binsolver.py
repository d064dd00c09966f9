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
- ``"auto_unimodal"``: ``"auto_asc_desc"``, unless the bad rates of ten equal-weight groups
  of the feature's values contradict every monotone trend (:func:`turn_supported`: a
  likelihood-ratio test of the best single-turn fit against the best monotone fit, at
  :data:`TURN_LEVEL`); then the best of the monotone, peak and valley partitions. A U-shaped
  risk (young and old borrowers, balances near zero and near the limit) keeps its signal; a
  monotone one is not bent by noise. The test uses fixed quantile groups, not the pre-bins:
  CART pre-bins are placed where the rates differ most, so on a flat or stepped risk they
  show a turn in a quarter of samples (``benchmarks/bench_binning.py --turns``);
- ``None``: no trend.

optbinning's CP model also forbids, for ascending and descending trends, a cut wherever the
pre-bin right of it has a lower (higher) event rate than the one left of it, a reduction that
can exclude the true optimum; the programme here does not, so its IV is at least optbinning's
on the same pre-bins. Its IV values and event rates are exact floats where optbinning's are
truncated to multiples of 1e-6. On ties the fewer bins win.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy
from scipy.stats import chi2

#: Trends this engine solves exactly; the others are optbinning's (see WoeBinner).
TRENDS = frozenset(
    {"ascending", "descending", "auto_asc_desc", "auto_unimodal", "peak", "valley", None}
)
#: Level of :func:`turn_supported`'s test: ``"auto_unimodal"`` bends a feature's bins only when
#: a monotone trend would explain its quantile groups this badly less than once in a thousand.
TURN_LEVEL = 0.001
#: Level of the small-bin rule (:attr:`Constraints.min_small_bin_weight`): a bin below the
#: minimum size stands only where a G-test rejects, at this level, that its bad rate equals
#: each neighbouring bin's.
SMALL_BIN_LEVEL = 0.001
#: Share of the minimum bin size a significant small bin must still hold.
SMALL_BIN_SHARE = 0.25
#: scikit-learn's tree constants: ties closer than FEATURE_THRESHOLD are not split, a node of
#: impurity <= EPSILON is pure.
_FEATURE_THRESHOLD = np.float32(1e-7)
_EPSILON = float(np.finfo(np.float64).eps)
_F32_MAX = float(np.finfo(np.float32).max)
_SMALL_BIN_CRITICAL = float(chi2.isf(SMALL_BIN_LEVEL, 1))


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
        Minimum weighted rows per pre-bin of the tree (``ceil(min_prebin_size * total
        weight)``); the small-bin rule may split a leaf further (:func:`cart_prebins`).
    min_small_bin_weight : float or None
        The small-bin rule: a regular bin of fewer than ``min_bin_weight`` but at least this
        many weighted rows may stand where its bad rate differs from each neighbouring bin's
        (G-test at :data:`SMALL_BIN_LEVEL`); None: never.
    """

    max_n_bins: int
    min_bin_weight: float
    min_bin_n_event: float | None
    trend: str | None
    max_n_prebins: int
    min_prebin_weight: float
    min_small_bin_weight: float | None = None

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
        small_bins: bool = False,
    ) -> Constraints:
        """Constraints from shares of ``total_weight`` (the weight of all rows of the fit);
        ``small_bins`` switches the small-bin rule on, with a floor of
        :data:`SMALL_BIN_SHARE` of the minimum bin."""
        small = None
        if small_bins:
            small = float(max(1, math.ceil(SMALL_BIN_SHARE * min_bin_size * total_weight)))
        return cls(
            max_n_bins=int(max_n_bins),
            min_bin_weight=float(math.ceil(min_bin_size * total_weight)),
            min_bin_n_event=None if min_bin_n_event is None else float(min_bin_n_event),
            trend=trend,
            max_n_prebins=int(max_n_prebins),
            min_prebin_weight=float(math.ceil(min_prebin_size * total_weight)),
            min_small_bin_weight=small,
        )


# ------------------------------------------------------------------------------------------
# entry points
# ------------------------------------------------------------------------------------------
def numerical_splits(
    x: np.ndarray,
    bad: np.ndarray,
    w: np.ndarray | None,
    rules: Constraints,
    rows: np.ndarray | None = None,
    record: dict | None = None,
) -> list[float]:
    """Optimal split points of a numerical feature's regular values.

    Parameters
    ----------
    x : ndarray of float64
        The feature's column.
    bad : ndarray of bool
        True where the row is bad.
    w : ndarray of float64 or None
        Row weights; None means every row weighs 1.
    rules : Constraints
    rows : ndarray of bool, optional
        The regular rows (no NaN, no special code); None: every row is regular.
    record : dict, optional
        Filled with ``turn_p_value`` (:func:`turn_p_value` of the feature's quantile groups)
        under the ``"auto_unimodal"`` trend.

    Returns
    -------
    list of float
        Increasing split points; a value equal to a split belongs to the bin above it.
    """
    values, good_w, bad_w = distinct_counts(x, bad, w, rows)
    if values.size < 2:
        return []
    if rules.trend == "auto_unimodal":
        p = turn_p_value(*quantile_groups(good_w, bad_w))
        if record is not None:
            record["turn_p_value"] = p
        if p >= TURN_LEVEL:
            rules = dataclasses.replace(rules, trend="auto_asc_desc")
    n = x.size if rows is None else int(np.count_nonzero(rows))
    fit_weight = float(n) if w is None else float(np.sum(w if rows is None else w[rows]))
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
    x: np.ndarray, bad: np.ndarray, w: np.ndarray | None, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct values of ``x[rows]`` and the weight of goods and bads at each.

    ``x``, ``bad`` and ``w`` cover the whole column; ``rows`` (a mask, None for all) picks
    the rows to count. Unit weights (``w`` None) need only plain sorts, of the rows' values
    and of the bads' values; other weights sort once with an argsort. Memory: a few arrays
    of the rows' size, never a copy of the frame.
    """
    if w is None:
        xs = x[rows] if rows is not None else x.copy()
        xs.sort()
        values, good_w = _runs(xs)
        del xs
        xb = x[rows & bad] if rows is not None else x[bad]  # bads are the few: a small sort
        xb.sort()
        v_bad, n_bad = _runs(xb)
        del xb
        bad_w = np.zeros(values.size)
        bad_w[np.searchsorted(values, v_bad)] = n_bad
        good_w -= bad_w
        return values, good_w, bad_w
    xr = x[rows] if rows is not None else x
    order = np.argsort(xr, kind="stable")
    xs = xr[order]
    del xr
    start = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    values = xs[start]
    del xs
    ws = (w[rows] if rows is not None else w)[order]
    total = np.add.reduceat(ws, start)
    ws[~(bad[rows] if rows is not None else bad)[order]] = 0.0
    bad_w = np.add.reduceat(ws, start)
    return values, total - bad_w, bad_w


def _runs(sorted_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs (the array itself when
    every value is distinct)."""
    n = sorted_x.size
    if n == 0:
        return sorted_x, np.empty(0)
    change = sorted_x[1:] != sorted_x[:-1]
    k = int(np.count_nonzero(change)) + 1
    if k == n:
        return sorted_x, np.ones(n)
    start = np.zeros(k, dtype=np.int64)
    start[1:] = np.flatnonzero(change)
    start[1:] += 1
    del change
    counts = np.empty(k)
    counts[:-1] = np.diff(start)
    counts[-1] = n - start[-1]
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
    if fit_weight <= 0 or values.size < 2:
        return np.empty(0)
    min_leaf = min(0.5, rules.min_prebin_weight / fit_weight) * fit_weight
    tree = _Tree(values, good_w, bad_w, min_leaf)
    frontier = _Frontier()
    root = (0, tree.v.size)
    frontier.push(root, tree.best_split(*root, tree.impurity(*root)))
    budget = rules.max_n_prebins - 1
    positions = []
    while budget > 0 and frontier:
        (lo, hi), split = frontier.pop()
        if split is None:
            continue
        budget -= 1
        _, p, imp_l, imp_r = split
        positions.append(p)
        frontier.push((lo, p), tree.best_split(lo, p, imp_l))
        frontier.push((p, hi), tree.best_split(p, hi, imp_r))
    if rules.min_small_bin_weight is not None:
        edges = [0, *sorted(positions), tree.v.size]
        for lo, hi in itertools.pairwise(edges):
            p = tree.small_split(lo, hi, rules.min_small_bin_weight, rules.min_bin_n_event)
            if p is not None:
                positions.append(p)
    thresholds = [float(tree.v[p - 1]) / 2.0 + float(tree.v[p]) / 2.0 for p in positions]
    return np.unique(np.asarray(thresholds, dtype=np.float64))


class _Tree:
    """One feature's distinct float32 values with cumulative good/bad weights, and
    scikit-learn's best split (Gini, ``min_weight_leaf``) of any run of them.

    Node ``(lo, hi)`` holds values ``lo..hi-1``; a split at position ``p`` sends values
    ``< v[p]`` left. Candidate positions are those where neighbours differ by more than
    ``FEATURE_THRESHOLD``; they are evaluated in chunks so that memory stays small.
    """

    CHUNK = 1 << 18

    def __init__(self, values, good_w, bad_w, min_leaf) -> None:
        if values[0] < -_F32_MAX or values[-1] > _F32_MAX:
            values = np.clip(values, -_F32_MAX, _F32_MAX)
        v = values.astype(np.float32)
        change = v[1:] != v[:-1]
        start = None
        if not change.all():  # values that are one float32 are one value for the tree
            start = np.flatnonzero(change)
            del change
            start += 1
            start = np.concatenate(([0], start))
            v = v[start]
        else:
            del change
        self.v, self.min_leaf = v, min_leaf
        # cumulative weights, built one at a time (each temporary freed before the next)
        self.c0 = self._cumulative(good_w, start)
        self.c1 = self._cumulative(bad_w, start)
        del start
        self.cw = self.c0 + self.c1
        self.total = float(self.cw[-1])
        ok = v[1:] > v[:-1] + _FEATURE_THRESHOLD
        if ok.all():  # every position is a candidate
            self.cand = None
        else:
            self.cand = np.flatnonzero(ok)
            self.cand += 1

    @staticmethod
    def _cumulative(w, start) -> np.ndarray:
        out = np.zeros((w.size if start is None else start.size) + 1)
        np.cumsum(w if start is None else np.add.reduceat(w, start), out=out[1:])
        return out

    def impurity(self, lo: int, hi: int) -> float:
        w0, w1 = self.c0[hi] - self.c0[lo], self.c1[hi] - self.c1[lo]
        wn = w0 + w1
        return 1.0 - (w0 * w0 + w1 * w1) / (wn * wn) if wn > 0 else 0.0

    def best_split(self, lo: int, hi: int, impurity: float):
        """``(improvement, position, impurity left, impurity right)`` or None for a leaf."""
        c0, c1, cw, min_leaf = self.c0, self.c1, self.cw, self.min_leaf
        w0, w1 = c0[hi] - c0[lo], c1[hi] - c1[lo]
        wn = w0 + w1
        if wn < 2 * min_leaf or impurity <= _EPSILON:
            return None
        # candidates inside the node leaving about min_leaf on both sides (the exact test
        # is in _chunk; the slack keeps positions that pass it only by rounding)
        first = max(lo + 1, int(np.searchsorted(cw, cw[lo] + min_leaf * (1 - 1e-9), "left")))
        last = min(hi - 1, int(np.searchsorted(cw, cw[hi] - min_leaf * (1 - 1e-9), "right")) - 1)
        if self.cand is None:  # candidate i is position i + 1
            i0, i1 = first - 1, last
        else:
            i0 = int(np.searchsorted(self.cand, first, side="left"))
            i1 = int(np.searchsorted(self.cand, last, side="right"))
        best = None
        for a in range(i0, i1, self.CHUNK):
            found = self._chunk(lo, a, min(a + self.CHUNK, int(i1)), w0, w1)
            if found is not None and (best is None or found[0] > best[0]):
                best = found  # strictly better only: the first of equal proxies wins
        if best is None:
            return None
        _, i, wl, wr, imp_l, imp_r = best
        gain = (wn / self.total) * (impurity - (wr / wn * imp_r) - (wl / wn * imp_l))
        if gain + _EPSILON < 0:  # scikit-learn's min_impurity_decrease=0 test
            return None
        p = i + 1 if self.cand is None else int(self.cand[i])
        return float(gain), p, imp_l, imp_r

    def small_split(self, lo: int, hi: int, floor: float, min_bads: float | None) -> int | None:
        """The small-bin rule's split of leaf ``lo..hi``: the position leaving one side of
        at least ``floor`` but less than the tree's minimum leaf weight, with goods and bads
        on both sides and at least ``min_bads`` bads on the small one, whose two sides differ
        most (G statistic); None unless they differ at :data:`SMALL_BIN_LEVEL`."""
        cw = self.cw
        left_end = int(np.searchsorted(cw, cw[lo] + self.min_leaf, "left"))
        right_start = int(np.searchsorted(cw, cw[hi] - self.min_leaf, "right"))
        pos = np.concatenate(
            (np.arange(lo + 1, min(left_end + 1, hi)), np.arange(max(right_start, lo + 1), hi))
        )
        if self.cand is not None:
            pos = pos[np.isin(pos, self.cand)]
        if pos.size == 0:
            return None
        l0, l1 = self.c0[pos] - self.c0[lo], self.c1[pos] - self.c1[lo]
        r0, r1 = self.c0[hi] - self.c0[pos], self.c1[hi] - self.c1[pos]
        wl, wr = l0 + l1, r0 + r1
        small_left = wl <= wr
        ws = np.where(small_left, wl, wr)
        bs = np.where(small_left, l1, r1)
        ok = (ws >= floor) & (ws < self.min_leaf) & (l0 > 0) & (l1 > 0) & (r0 > 0) & (r1 > 0)
        if min_bads is not None:
            ok &= bs >= min_bads
        if not ok.any():
            return None
        pos, l0, l1, r0, r1 = pos[ok], l0[ok], l1[ok], r0[ok], r1[ok]
        statistic = g_statistic(l0, l1, r0, r1)
        best = int(np.argmax(statistic))
        return int(pos[best]) if statistic[best] > _SMALL_BIN_CRITICAL else None

    def _chunk(self, lo, i0, i1, w0, w1):
        """Best candidate ``i0 <= i < i1`` of node starting at ``lo``: sklearn's proxy, the
        candidate, its left and right weights and impurities."""
        if self.cand is None:
            l0 = self.c0[i0 + 1 : i1 + 1] - self.c0[lo]
            l1 = self.c1[i0 + 1 : i1 + 1] - self.c1[lo]
        else:
            at = self.cand[i0:i1]
            l0 = self.c0[at] - self.c0[lo]
            l1 = self.c1[at] - self.c1[lo]
        wl = l0 + l1
        wr = (w0 + w1) - wl
        # wl never decreases along the node and wr never increases, so the candidates
        # leaving min_leaf on both sides are one run
        a = int(np.searchsorted(wl, self.min_leaf, side="left"))
        z = _last_at_least(wr, self.min_leaf)
        if z < a:
            return None
        if a > 0 or z < wl.size - 1:
            l0, l1, wl, wr, i0 = l0[a : z + 1], l1[a : z + 1], wl[a : z + 1], wr[a : z + 1], i0 + a
        r0, r1 = w0 - l0, w1 - l1
        sq_l = l0 * l0
        sq_l += l1 * l1
        sq_r = r0 * r0
        sq_r += r1 * r1
        # sklearn keeps the first candidate of the largest -wr*gini_r - wl*gini_l; the same
        # maximum in fewer operations (sq_l / wl + sq_r / wr, equal up to rounding) narrows
        # the search to near-ties, where sklearn's own expression decides
        quick = sq_l / wl
        quick += sq_r / wr
        near = np.flatnonzero(quick >= quick.max() - 1e-9 * (w0 + w1))
        sq_l, sq_r, wl, wr = sq_l[near], sq_r[near], wl[near], wr[near]
        gini_l = 1.0 - sq_l / (wl * wl)
        gini_r = 1.0 - sq_r / (wr * wr)
        proxy = -wr * gini_r - wl * gini_l
        b = int(np.argmax(proxy))
        return (
            float(proxy[b]),
            i0 + int(near[b]),
            float(wl[b]),
            float(wr[b]),
            float(gini_l[b]),
            float(gini_r[b]),
        )


def _last_at_least(a: np.ndarray, bound: float) -> int:
    """Last index of a non-increasing array whose value is >= bound (-1 if none)."""
    lo, hi = 0, a.size  # invariant: a[:lo] >= bound, a[hi:] < bound
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] >= bound:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


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
    splits = np.asarray(splits, dtype=np.float64)
    while True:
        edges = [0, *np.searchsorted(values, splits, side="left").tolist(), values.size]
        good = np.array([good_w[a:b].sum() for a, b in itertools.pairwise(edges)])
        bad = np.array([bad_w[a:b].sum() for a, b in itertools.pairwise(edges)])
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
    ``"auto_unimodal"`` here is the best of the ascending, descending, peak and valley
    partitions: :func:`numerical_splits` has already replaced it by ``"auto_asc_desc"`` where
    :func:`turn_supported` finds no turn.
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
    small = rules.min_small_bin_weight
    feasible = upper & (g + b >= (rules.min_bin_weight if small is None else small))
    if rules.min_bin_n_event is not None:
        feasible &= b >= rules.min_bin_n_event
    value = np.where(feasible, iv, -np.inf)
    rate = np.where(upper, rate, np.nan)
    apart = None if small is None else _apart(g, b, g + b < rules.min_bin_weight)
    if rules.trend in ("auto_asc_desc", "auto_unimodal"):
        up = _solve(value, rate, rules.max_n_bins, "ascending", apart)
        down = _solve(value, rate, rules.max_n_bins, "descending", apart)
        best = down if down[0] > up[0] else up
        if rules.trend == "auto_unimodal":
            for shape in ("peak", "valley"):
                bent = _solve(value, rate, rules.max_n_bins, shape, apart)
                if bent[0] > best[0] + 1e-12 * max(1.0, abs(best[0])):
                    best = bent
    else:
        best = _solve(value, rate, rules.max_n_bins, rules.trend, apart)
    return best[1]


def _apart(g: np.ndarray, b: np.ndarray, small: np.ndarray) -> np.ndarray:
    """``[h, a, c]``: whether bin ``h..a-1`` may precede bin ``a..c`` under the small-bin
    rule: neither is small, or a G-test of the two bins' goods and bads rejects equal bad rates
    at :data:`SMALL_BIN_LEVEL` (``g``, ``b``, ``small``: goods, bads and smallness of every
    bin ``a..c`` of pre-bins)."""
    n = g.shape[0]
    g1, b1 = np.zeros((n, n)), np.zeros((n, n))  # [h, a]: bin h..a-1 (empty for a = 0)
    g1[:, 1:], b1[:, 1:] = g[:, :-1], b[:, :-1]
    small1 = np.zeros((n, n), dtype=bool)
    small1[:, 1:] = small[:, :-1]
    statistic = g_statistic(g1[:, :, None], b1[:, :, None], g[None], b[None])
    return ~(small1[:, :, None] | small[None]) | (statistic > _SMALL_BIN_CRITICAL)


def g_statistic(g1, b1, g2, b2) -> np.ndarray:
    """The G statistic (likelihood ratio) of two groups' goods and bads against one common
    bad rate (2 x 2 table, one degree of freedom), elementwise over broadcast arrays."""
    n1, n2 = g1 + b1, g2 + b2
    return 2.0 * (
        xlogy(g1, g1)
        + xlogy(b1, b1)
        + xlogy(g2, g2)
        + xlogy(b2, b2)
        - xlogy(n1, n1)
        - xlogy(n2, n2)
        - xlogy(g1 + g2, g1 + g2)
        - xlogy(b1 + b2, b1 + b2)
        + xlogy(n1 + n2, n1 + n2)
    )


def quantile_groups(
    good_w: np.ndarray, bad_w: np.ndarray, n_groups: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Goods and bads of ``n_groups`` groups of (about) equal weight of a feature's sorted
    distinct values (``good_w`` / ``bad_w``: their weighted goods and bads, in value order).

    A distinct value is never split between groups, so a feature with fewer distinct values
    has fewer groups. Groups without a good or without a bad are left out (they carry no
    information on the rate's shape under the binomial likelihood).
    """
    weight = good_w + bad_w
    before = np.cumsum(weight) - weight
    group = np.minimum((before / weight.sum() * n_groups).astype(np.int64), n_groups - 1)
    good = np.bincount(group, weights=good_w, minlength=n_groups)
    bad = np.bincount(group, weights=bad_w, minlength=n_groups)
    both = (good > 0) & (bad > 0)
    return good[both], bad[both]


def turn_supported(good: np.ndarray, bad: np.ndarray, level: float = TURN_LEVEL) -> bool:
    """Whether ordered groups' bad rates contradict every monotone trend, in favour of one turn
    (:func:`turn_p_value` below ``level``)."""
    return turn_p_value(good, bad) < level


def turn_p_value(good: np.ndarray, bad: np.ndarray) -> float:
    """p-value of the test that ordered groups' bad rates follow a monotone trend, against one
    turn.

    The binomial log-likelihood of the groups' bad rates is maximised under each order
    restriction by weighted isotonic regression (pool-adjacent-violators with the group
    weights): rising, falling, and, for every turning point, rising then falling (a peak) or
    falling then rising (a valley). The likelihood-ratio statistic of the best single-turn fit
    against the best monotone fit is referred to a chi-square with two degrees of freedom (the
    turning point and the second leg's level), a conservative reference for a statistic
    maximised over turning points.

    Parameters
    ----------
    good, bad : ndarray of float64
        (Weighted) goods and bads of each group, in the feature's order; every group holds both.

    Returns
    -------
    float
        1.0 for fewer than three groups (no turn can show).
    """
    good = np.asarray(good, dtype=np.float64)
    bad = np.asarray(bad, dtype=np.float64)
    n = good.size
    if n < 3:
        return 1.0
    weight = good + bad

    def loglik(lo: int, hi: int, increasing: bool) -> float:
        if hi <= lo:
            return 0.0
        fit = _isotonic(bad[lo:hi] / weight[lo:hi], weight[lo:hi], increasing)
        return float(bad[lo:hi] @ np.log(fit) + good[lo:hi] @ np.log1p(-fit))

    monotone = max(loglik(0, n, True), loglik(0, n, False))
    turned = max(
        loglik(0, m, up) + loglik(m, n, not up) for m in range(1, n) for up in (True, False)
    )
    statistic = max(0.0, 2.0 * (turned - monotone))
    return float(chi2.sf(statistic, 2))


def _isotonic(rate: np.ndarray, weight: np.ndarray, increasing: bool) -> np.ndarray:
    """Weighted least-squares isotonic fit (pool adjacent violators): the binomial MLE of
    ordered rates."""
    sign = 1.0 if increasing else -1.0
    blocks: list[list[float]] = []  # [weighted mean * sign, weight, size]
    for r, w in zip(rate * sign, weight, strict=True):
        blocks.append([float(r), float(w), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            r2, w2, k2 = blocks.pop()
            r1, w1, k1 = blocks[-1]
            blocks[-1] = [(r1 * w1 + r2 * w2) / (w1 + w2), w1 + w2, k1 + k2]
    return np.repeat([b[0] * sign for b in blocks], [b[2] for b in blocks])


def _solve(value, rate, max_n_bins, trend, apart=None) -> tuple[float, list[int]]:
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
    if apart is not None:  # a small bin only next to bins it differs from
        moves = {move: allowed & apart for move, allowed in moves.items()}
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
