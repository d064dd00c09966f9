"""The exact binning engine (src/riskresearch/binsolver.py) against optbinning and brute force.

optbinning is the reference: its pre-binning (``PreBinning``, CART) must come out identical,
and the fitted bins of ``WoeBinner(solver="dp")`` must equal those of
``WoeBinner(solver="optbinning")`` or reach at least its IV while meeting every constraint.
The dynamic programme itself is checked against an enumeration of every partition.
"""

from __future__ import annotations

import itertools
import math
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from optbinning.binning.prebinning import PreBinning
from scipy.stats import chi2_contingency

from riskresearch import binsolver
from riskresearch.binning import WoeBinner

TRENDS = ["ascending", "descending", "auto_asc_desc", "peak", "valley"]


# ------------------------------------------------------------------------------------------
# helpers: the constraints and the objective, computed here from the bins' counts
# ------------------------------------------------------------------------------------------
def _iv(good: np.ndarray, bad: np.ndarray) -> float:
    """optbinning's objective: sum over bins of (p - q) ln(p / q), p / q the bad / good shares."""
    p, q = bad / bad.sum(), good / good.sum()
    return float(np.sum((p - q) * np.log(p / q)))


def _follows(rates: np.ndarray, trend: str | None) -> bool:
    up = bool(np.all(np.diff(rates) >= -1e-12))
    down = bool(np.all(np.diff(rates) <= 1e-12))
    if trend == "ascending":
        return up
    if trend == "descending":
        return down
    if trend == "auto_asc_desc":
        return up or down
    if trend == "auto_unimodal":  # the optimal_cuts meaning: any of the four shapes
        return any(_follows(rates, t) for t in ("ascending", "descending", "peak", "valley"))
    if trend in ("peak", "valley"):  # one leg then the other, nothing asked between them
        sign = 1 if trend == "peak" else -1
        r = sign * rates
        return any(
            np.all(np.diff(r[:m]) >= -1e-12) and np.all(np.diff(r[m:]) <= 1e-12)
            for m in range(len(r) + 1)
        )
    return True


def _regular(fb) -> tuple[np.ndarray, np.ndarray]:
    k = fb.n_regular
    return np.asarray(fb.good[:k]), np.asarray(fb.bad[:k])


def _check_constraints(fb, *, max_n_bins, min_bin_size, min_bin_n_event, trend) -> None:
    """The fitted bins of one feature meet the constraints they were fitted under."""
    good, bad = _regular(fb)
    if len(good) == 1:  # one bin: what both solvers return when no split is feasible
        return
    total = sum(fb.good) + sum(fb.bad)  # every row, Special and Missing included
    assert len(good) <= max_n_bins
    assert np.all(good + bad >= math.ceil(min_bin_size * total) - 1e-9), (good + bad, total)
    if min_bin_n_event is not None:
        assert np.all(bad >= min_bin_n_event - 1e-9), bad
    assert _follows(bad / (good + bad), trend), bad / (good + bad)


def _fit_both(X, y, w=None, **params):
    dp = WoeBinner(**params, solver="dp").fit(X, y, sample_weight=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ob = WoeBinner(**params, solver="optbinning").fit(X, y, sample_weight=w)
    return dp.bins_["x"], ob.bins_["x"]


def _feature(rng, n: int, kind: int) -> np.ndarray:
    return [
        lambda: rng.normal(size=n),  # continuous
        lambda: rng.integers(0, 12, n).astype(float),  # few values, many ties
        lambda: np.round(rng.lognormal(size=n), 1),  # skewed, ties, a long tail
        lambda: rng.uniform(size=n),
    ][kind]()


def _target(rng, x: np.ndarray, shape: str) -> np.ndarray:
    z = (x - np.nanmean(x)) / (np.nanstd(x) + 1e-12)
    z = np.nan_to_num(z)
    z = {"up": z, "down": -z, "wave": np.sin(2.5 * z), "u": z**2 - 1}[shape]
    logit = -2.0 + rng.uniform(0.3, 1.5) * z
    return (rng.uniform(size=x.size) < 1 / (1 + np.exp(-logit))).astype(int)


# ------------------------------------------------------------------------------------------
# pre-binning: optbinning's CART pre-binning, reproduced exactly
# ------------------------------------------------------------------------------------------
def _prebin_feature(rng, n: int, kind: int) -> np.ndarray:
    return [
        lambda: rng.normal(size=n),
        lambda: rng.integers(0, 5, n).astype(float),
        lambda: rng.normal(size=n) * 1e-8,  # neighbours closer than sklearn's 1e-7
        lambda: 1 + rng.integers(0, 50, n) * 1e-9,  # distinct float64, one float32
        lambda: rng.normal(size=n) * 1e12,
        lambda: np.full(n, 3.0),  # constant
        lambda: np.round(rng.exponential(size=n), 2),
        lambda: rng.choice([0.0, 1.0], n),
    ][kind]()


@pytest.mark.parametrize("seed", range(4))
def test_prebins_equal_optbinnings_prebinning(seed):
    rng = np.random.default_rng(seed)
    for case in range(40):
        n = int(rng.integers(20, 2500))
        x = _prebin_feature(rng, n, case % 8)
        y = (rng.uniform(size=n) < rng.uniform(0.05, 0.5)).astype(int)
        share = float(rng.choice([0.02, 0.05, 0.1]))
        weighted = case % 3 == 0
        w = rng.integers(1, 4, n).astype(float) if weighted else np.ones(n)
        min_size = math.ceil(share * w.sum())
        theirs = PreBinning(
            problem_type="classification", method="cart", n_bins=20, min_bin_size=min_size
        ).fit(x, y, w)
        rules = binsolver.Constraints.of(
            float(w.sum()),
            max_n_bins=8,
            min_bin_size=0.05,
            min_bin_n_event=None,
            trend="ascending",
            min_prebin_size=share,
        )
        values, good, bad = binsolver.distinct_counts(x, y == 1, w if weighted else None)
        ours = binsolver.cart_prebins(values, good, bad, rules, float(w.sum()))
        np.testing.assert_array_equal(ours, theirs.splits, err_msg=f"case {case}")


def test_tree_in_small_chunks_finds_the_same_prebins(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=5000)
    y = _target(rng, x, "wave")
    rules = binsolver.Constraints.of(
        5000.0, max_n_bins=8, min_bin_size=0.02, min_bin_n_event=None, trend="ascending",
        min_prebin_size=0.02,
    )  # fmt: skip
    values, good, bad = binsolver.distinct_counts(x, y == 1, None)
    whole = binsolver.cart_prebins(values, good, bad, rules, 5000.0)
    monkeypatch.setattr(binsolver._Tree, "CHUNK", 7)
    chunked = binsolver.cart_prebins(values, good, bad, rules, 5000.0)
    assert len(whole) == 19  # 20 leaves: the budget binds
    np.testing.assert_array_equal(chunked, whole)


def test_distinct_counts_by_hand():
    x = np.array([3.0, 1.0, 3.0, 2.0, np.nan, 1.0, 3.0])
    bad = np.array([1, 0, 0, 1, 1, 0, 1], dtype=bool)
    rows = ~np.isnan(x)
    values, good, bads = binsolver.distinct_counts(x, bad, None, rows)
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert good.tolist() == [2.0, 0.0, 1.0]
    assert bads.tolist() == [0.0, 1.0, 2.0]
    w = np.array([0.5, 2.0, 1.5, 1.0, 9.0, 0.25, 1.0])
    values, good, bads = binsolver.distinct_counts(x, bad, w, rows)
    assert good.tolist() == [2.25, 0.0, 1.5]
    assert bads.tolist() == [0.0, 1.0, 1.5]


def test_pure_prebins_merge_into_their_right_neighbour():
    values = np.arange(6.0)
    good = np.array([5.0, 0.0, 4.0, 3.0, 2.0, 6.0])  # value 1 holds bads only
    bad = np.array([1.0, 2.0, 1.0, 1.0, 0.0, 0.0])  # values 4 and 5: goods only
    splits, g, b = binsolver.pure_free_prebins(values, good, bad, np.array([0.5, 1.5, 3.5, 4.5]))
    # pre-bin [0.5, 1.5) is pure: split 1.5 goes; the last pre-bin is pure: split 4.5 goes;
    # then [3.5, inf) is the last and pure: split 3.5 goes
    assert splits.tolist() == [0.5]
    assert g.tolist() == [5.0, 15.0]
    assert b.tolist() == [1.0, 4.0]


# ------------------------------------------------------------------------------------------
# the dynamic programme against every partition
# ------------------------------------------------------------------------------------------
def _small_bins_ok(g: np.ndarray, b: np.ndarray, rules) -> bool:
    """The small-bin rule checked with scipy's G-test: every bin holds the minimum weight, or
    the small-bin floor and a bad rate that differs from each neighbour's."""
    floor = rules.min_small_bin_weight
    floor = rules.min_bin_weight if floor is None else floor
    n = g + b
    if np.any(n < floor):
        return False
    for i in range(len(g) - 1):
        if n[i] >= rules.min_bin_weight and n[i + 1] >= rules.min_bin_weight:
            continue
        table = np.array([[g[i], b[i]], [g[i + 1], b[i + 1]]])
        _, p, _, _ = chi2_contingency(table, correction=False, lambda_="log-likelihood")
        if not p < binsolver.SMALL_BIN_LEVEL:
            return False
    return True


def _brute_force(good, bad, rules) -> float | None:
    """Largest IV over every partition of the pre-bins meeting the rules (None: none does)."""
    n, best = len(good), None
    for k in range(min(n, rules.max_n_bins)):
        for cuts in itertools.combinations(range(n - 1), k):
            edges = [0, *(c + 1 for c in cuts), n]
            g = np.array([good[a:b].sum() for a, b in itertools.pairwise(edges)])
            b_ = np.array([bad[a:b].sum() for a, b in itertools.pairwise(edges)])
            if len(g) > rules.max_n_bins or not _small_bins_ok(g, b_, rules):
                continue
            if rules.min_bin_n_event is not None and np.any(b_ < rules.min_bin_n_event):
                continue
            if not _follows(b_ / (g + b_), rules.trend):
                continue
            iv = _iv(g, b_)
            best = iv if best is None else max(best, iv)
    return best


@pytest.mark.parametrize("small_bins", [False, True])
@pytest.mark.parametrize("trend", [*TRENDS, "auto_unimodal", None])
def test_dynamic_programme_finds_the_best_partition(trend, small_bins):
    rng = np.random.default_rng(len(str(trend)) + 100 * small_bins)
    stood = 0  # solutions with a bin below the minimum weight
    for _ in range(40):
        n = int(rng.integers(2, 10))
        good = rng.integers(1, 60, n).astype(float)
        bad = rng.integers(1, 15, n).astype(float)
        if small_bins:  # some small pre-bins far riskier than the rest: small bins can stand
            risky = rng.uniform(size=n) < 0.3
            good[risky] = rng.integers(1, 8, int(risky.sum()))
            bad[risky] *= 3
        total = good.sum() + bad.sum()
        min_bin_weight = float(rng.integers(1, max(2, int(total / 3))))
        rules = binsolver.Constraints(
            max_n_bins=int(rng.integers(2, n + 2)),
            min_bin_weight=min_bin_weight,
            min_bin_n_event=None if rng.uniform() < 0.5 else float(rng.integers(1, 12)),
            trend=trend,
            max_n_prebins=20,
            min_prebin_weight=1.0,
            min_small_bin_weight=float(rng.integers(1, min_bin_weight + 1)) if small_bins else None,
        )
        cuts = binsolver.optimal_cuts(good, bad, rules)
        best = _brute_force(good, bad, rules)
        edges = [0, *(c + 1 for c in cuts), n]
        g = np.array([good[a:b].sum() for a, b in itertools.pairwise(edges)])
        b_ = np.array([bad[a:b].sum() for a, b in itertools.pairwise(edges)])
        if best is None:  # nothing feasible: one bin, as optbinning
            assert cuts == []
            continue
        assert _iv(g, b_) == pytest.approx(best, rel=1e-12, abs=1e-15)
        assert len(g) <= rules.max_n_bins
        assert _small_bins_ok(g, b_, rules)
        assert rules.min_bin_n_event is None or np.all(b_ >= rules.min_bin_n_event)
        assert _follows(b_ / (g + b_), trend)
        stood += bool(np.any(g + b_ < rules.min_bin_weight))
    assert (stood > 0) == small_bins  # the rule was exercised, and only when it is on


# ------------------------------------------------------------------------------------------
# WoeBinner: the engine against optbinning on generated features
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_numerical_bins_equal_optbinning_or_beat_its_iv(seed):
    rng = np.random.default_rng(100 + seed)
    identical = 0
    cases = 25
    for case in range(cases):
        n = int(rng.integers(300, 3000))
        x = _feature(rng, n, case % 4)
        y = _target(rng, x, str(rng.choice(["up", "down", "wave", "u"])))
        x = pd.Series(x)
        if case % 3 == 0:  # heavy missing
            x[rng.uniform(size=n) < rng.uniform(0.3, 0.8)] = np.nan
        special = {}
        if case % 4 == 1:
            x[rng.uniform(size=n) < 0.05] = -999.0
            special = {"x": [-999.0]}
        params = {
            "max_n_bins": int(rng.integers(2, 9)),
            "min_bin_size": float(rng.choice([0.02, 0.05, 0.1, 0.2])),
            "min_bin_n_event": None if case % 2 else int(rng.integers(1, 25)),
            "monotonic_trend": TRENDS[case % len(TRENDS)],
        }
        ours, theirs = _fit_both(pd.DataFrame({"x": x}), y, special_codes=special, **params)
        # Special and Missing are bins of their own, whatever the solver
        assert ours.bad[-1] == y[x.isna().to_numpy()].sum()
        assert ours.bad[-2] == y[(x == -999.0).to_numpy()].sum()
        _check_constraints(
            ours,
            max_n_bins=params["max_n_bins"],
            min_bin_size=params["min_bin_size"],
            min_bin_n_event=params["min_bin_n_event"],
            trend=params["monotonic_trend"],
        )
        if ours.splits == theirs.splits:
            identical += 1
            assert ours.good == theirs.good and ours.bad == theirs.bad
        else:  # optbinning's IV and event rates are truncated to 1e-6: hence the slack
            assert _iv(*_regular(ours)) >= _iv(*_regular(theirs)) - 1e-6, case
    # the same pre-bins and the same problem: most features come out identical
    assert identical >= 0.8 * cases


@pytest.mark.parametrize("seed", range(2))
def test_categorical_bins_equal_optbinning_or_beat_its_iv(seed):
    rng = np.random.default_rng(200 + seed)
    identical = cases = 0
    while cases < 12:
        n = int(rng.integers(500, 4000))
        k = int(rng.integers(3, 60))
        levels = np.array([f"c{i:02d}" for i in range(k)])
        sizes = rng.dirichlet(np.full(k, rng.uniform(0.3, 2.0)))  # tiny and huge categories
        x = rng.choice(levels, size=n, p=sizes).astype(object)
        effect = dict(zip(levels, rng.normal(0, 1, k)))
        logit = -2.0 + np.array([effect[v] for v in x])
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
        rates = pd.Series(y).groupby(x).mean()
        if rates.duplicated().any():
            # equal event rates: optbinning's order of them is numpy's quicksort's (not
            # stable beyond 16 items), ours is by name; compare only where the order is one
            continue
        cases += 1
        x[rng.uniform(size=n) < 0.1] = None
        params = {
            "max_n_bins": int(rng.integers(2, 9)),
            "min_bin_size": float(rng.choice([0.02, 0.05, 0.1])),
            "min_bin_n_event": None if cases % 2 else int(rng.integers(1, 20)),
        }
        ours, theirs = _fit_both(pd.DataFrame({"x": x}), y, categorical_features=["x"], **params)
        _check_constraints(ours, trend="ascending", **params)
        # every category seen is in exactly one group
        seen = sorted(set(x[pd.notna(x)]))
        assert sorted(c for g in ours.groups for c in g) == seen
        if ours.groups == theirs.groups:
            identical += 1
        else:
            assert _iv(*_regular(ours)) >= _iv(*_regular(theirs)) - 1e-6
    assert identical >= 0.8 * cases


def test_integer_weights_bin_like_duplicated_rows():
    rng = np.random.default_rng(5)
    for case in range(12):
        n = int(rng.integers(300, 1500))
        cat = case % 3 == 2
        x = rng.choice([f"k{i}" for i in range(15)], n) if cat else np.round(rng.normal(size=n), 2)
        y = _target(rng, rng.normal(size=n) if cat else x, "up")
        w = rng.integers(1, 4, n)
        X = pd.DataFrame({"x": x})
        params = {
            "max_n_bins": 6,
            "min_bin_size": 0.05,
            "monotonic_trend": TRENDS[case % len(TRENDS)],
            "categorical_features": ["x"] if cat else [],
        }
        weighted = WoeBinner(**params).fit(X, y, sample_weight=w).bins_["x"]
        rows = np.repeat(np.arange(n), w)
        copies = WoeBinner(**params).fit(X.iloc[rows].reset_index(drop=True), y[rows]).bins_["x"]
        assert (weighted.splits, weighted.groups) == (copies.splits, copies.groups)
        assert weighted.good == copies.good and weighted.bad == copies.bad


def test_fractional_weights_meet_the_constraints_at_the_best_iv():
    rng = np.random.default_rng(8)
    for case in range(10):
        n = 2000
        x = rng.normal(size=n)
        y = _target(rng, x, "up" if case % 2 else "wave")
        w = rng.uniform(0.05, 1.0, n)  # e.g. reject-inference weights
        params = {
            "max_n_bins": 5,
            "min_bin_size": 0.05,
            "min_bin_n_event": 8.5,
            "monotonic_trend": TRENDS[case % len(TRENDS)],
        }
        fb = WoeBinner(**params).fit(pd.DataFrame({"x": x}), y, sample_weight=w).bins_["x"]
        _check_constraints(
            fb,
            max_n_bins=5,
            min_bin_size=0.05,
            min_bin_n_event=8.5,
            trend=params["monotonic_trend"],
        )
        # no partition of the same pre-bins meeting the rules has a higher IV
        rules = binsolver.Constraints.of(
            float(w.sum()), max_n_bins=5, min_bin_size=0.05, min_bin_n_event=8.5,
            trend=params["monotonic_trend"],
        )  # fmt: skip
        values, good, bad = binsolver.distinct_counts(x, y == 1, w)
        pre = binsolver.cart_prebins(values, good, bad, rules, float(w.sum()))
        _, pg, pb = binsolver.pure_free_prebins(values, good, bad, pre)
        best = _brute_force(pg, pb, rules)
        assert _iv(*_regular(fb)) == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("trend", ["convex", "auto", "peak_heuristic"])
def test_trends_only_optbinning_solves_go_to_optbinning(trend):
    rng = np.random.default_rng(9)
    x = rng.normal(size=1500)
    y = _target(rng, x, "u")
    ours, theirs = _fit_both(pd.DataFrame({"x": x}), y, monotonic_trend=trend, max_n_bins=6)
    assert ours.splits == theirs.splits
    assert len(ours.splits) >= 1


@pytest.mark.parametrize("solver", ["dp", "optbinning"])
def test_min_bin_n_event_is_honoured(solver):
    rng = np.random.default_rng(10)
    x = rng.normal(size=2000)
    y = _target(rng, x, "up")  # about 300 bads
    X = pd.DataFrame({"x": x})
    free = WoeBinner(solver=solver, max_n_bins=8, min_bin_size=0.02).fit(X, y).bins_["x"]
    assert min(_regular(free)[1]) < 40  # the rule below has something to change
    fb = WoeBinner(solver=solver, max_n_bins=8, min_bin_size=0.02, min_bin_n_event=40)
    bins = fb.fit(X, y).bins_["x"]
    assert bins.n_regular >= 2
    assert min(_regular(bins)[1]) >= 40


def test_fit_makes_no_copy_of_the_frame():
    """Memory: the binning of a column works on that column, never on a copy of the table."""
    rng = np.random.default_rng(11)
    n, k = 20_000, 100
    block = np.asfortranarray(rng.normal(size=(n, k)))
    block[rng.uniform(size=n) < 0.1, 3] = np.nan
    X = pd.DataFrame(block, columns=[f"f{j}" for j in range(k)], copy=False)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-2 + block[:, 0])))).astype(int)
    tracemalloc.start()
    WoeBinner(max_n_bins=8, min_bin_size=0.05).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # a copy of the frame would be 16 MB; binning one column needs a few arrays of its
    # length (160 kB each), one column after the other
    assert peak < 0.5 * block.nbytes, peak


# ------------------------------------------------------------------------------------------
# auto_unimodal: a turn only where the rows reject every monotone trend
# ------------------------------------------------------------------------------------------
def _monotone_loglik(good, bad, increasing):
    """Binomial log-likelihood of scikit-learn's weighted isotonic fit of the rates."""
    from sklearn.isotonic import IsotonicRegression

    n = good + bad
    if n.size == 0:
        return 0.0
    fit = IsotonicRegression(increasing=increasing).fit_transform(
        np.arange(n.size), bad / n, sample_weight=n
    )
    return float(bad @ np.log(fit) + good @ np.log(1 - fit))


def _turn_statistic(good, bad):
    """The likelihood ratio of one turn against a monotone trend, by scikit-learn's isotonic
    regression on every split of the groups into two legs."""
    mono = max(_monotone_loglik(good, bad, up) for up in (True, False))
    turned = max(
        _monotone_loglik(good[:m], bad[:m], up) + _monotone_loglik(good[m:], bad[m:], not up)
        for m in range(1, good.size)
        for up in (True, False)
    )
    return 2 * (turned - mono)


def test_turn_test_matches_sklearn_isotonic_and_its_chi_square():
    from scipy.stats import chi2

    rng = np.random.default_rng(21)
    decided = []
    for _ in range(60):
        k = int(rng.integers(3, 11))
        n = rng.integers(50, 400, k).astype(float)
        shape = rng.choice(["flat", "up", "u"])
        z = np.linspace(-1, 1, k)
        rate = 0.2 * np.exp({"flat": 0 * z, "up": z, "u": 1.5 * z**2}[shape])
        bad = np.maximum(1.0, rng.binomial(n.astype(int), np.clip(rate, 0.01, 0.9)))
        good = np.maximum(1.0, n - bad)
        expected = chi2.sf(_turn_statistic(good, bad), 2) < binsolver.TURN_LEVEL
        assert binsolver.turn_supported(good, bad) == expected
        decided.append(expected)
    assert any(decided) and not all(decided)  # both answers were exercised


def test_quantile_groups_keep_distinct_values_whole():
    good = np.array([5.0, 40.0, 5.0, 5.0, 5.0, 0.0])
    bad = np.array([1.0, 10.0, 1.0, 1.0, 1.0, 3.0])
    g, b = binsolver.quantile_groups(good, bad, n_groups=4)
    # weights 6, 50, 6, 6, 6, 3 of 77: starts 0, 6, 56, 62, 68, 74 -> groups 0, 0, 2, 3, 3, 3
    np.testing.assert_array_equal(g, [45.0, 5.0, 10.0])
    np.testing.assert_array_equal(b, [11.0, 1.0, 5.0])


def _shape(fb) -> str:
    good, bad = _regular(fb)
    step = np.sign(np.diff(bad / (good + bad)))
    if (step >= 0).all() or (step <= 0).all():
        return "monotone"
    turns = np.count_nonzero(np.diff(step[step != 0]))
    return "one turn" if turns == 1 else "more"


@pytest.mark.parametrize("solver", ["dp", "optbinning"])
def test_auto_unimodal_bends_a_u_shape_and_leaves_a_trend_alone(solver):
    rng = np.random.default_rng(22)
    x = rng.normal(size=20_000)
    X = pd.DataFrame({"x": x})
    params = dict(max_n_bins=8, min_bin_size=0.02, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for shape, bent in (("u", True), ("up", False), ("down", False)):
            y = _target(np.random.default_rng(23), x, shape)
            mono = WoeBinner(monotonic_trend="auto_asc_desc", **params).fit(X, y).bins_["x"]
            auto = WoeBinner(monotonic_trend="auto_unimodal", **params).fit(X, y).bins_["x"]
            if bent:
                assert _shape(mono) == "monotone" and _shape(auto) == "one turn"
                assert _iv(*_regular(auto)) > _iv(*_regular(mono)) + 0.05
                good, bad = _regular(auto)
                rates = bad / (good + bad)
                assert auto.turn == ("valley" if rates[1] < rates[0] else "peak") == "valley"
                assert 0 <= auto.turn_p_value < binsolver.TURN_LEVEL
                saved = auto.to_dict()
                assert saved["turn"] == "valley"
                assert type(auto).from_dict("x", saved).turn_p_value == auto.turn_p_value
            else:
                assert auto.splits == mono.splits
                assert auto.turn is None and auto.turn_p_value is None
                assert auto.to_dict().keys() == mono.to_dict().keys()  # nothing new saved


def test_auto_unimodal_rarely_bends_a_monotone_or_flat_risk():
    """The test's level, checked on rows drawn from monotone risks (flat, linear, a step)."""
    rng = np.random.default_rng(24)
    bent = 0
    trials = 0
    for shape in ("flat", "linear", "step"):
        for _ in range(40):
            x = rng.normal(size=5000)
            z = {"flat": 0 * x, "linear": 0.5 * x, "step": 0.4 * (x > 0.8)}[shape]
            bad = rng.uniform(size=x.size) < 1 / (1 + np.exp(1.5 - z))
            _, g, b = binsolver.distinct_counts(x, bad, None)
            bent += binsolver.turn_supported(*binsolver.quantile_groups(g, b))
            trials += 1
    assert bent / trials <= 0.02  # 0.1% nominal; the groups are fixed, so close to it


# ------------------------------------------------------------------------------------------
# the small-bin rule
# ------------------------------------------------------------------------------------------
def test_g_statistic_is_scipys_likelihood_ratio():
    rng = np.random.default_rng(12)
    table = rng.integers(1, 200, size=(50, 2, 2)).astype(float)
    ours = binsolver.g_statistic(table[:, 0, 0], table[:, 0, 1], table[:, 1, 0], table[:, 1, 1])
    scipys = [chi2_contingency(t, correction=False, lambda_="log-likelihood")[0] for t in table]
    np.testing.assert_allclose(ours, scipys, rtol=1e-9, atol=1e-9)


def _categories(counts: dict[str, tuple[int, int]]) -> tuple[pd.DataFrame, np.ndarray]:
    """A categorical feature with ``{category: (rows, bads)}``."""
    x, y = [], []
    for name, (rows, bads) in counts.items():
        x += [name] * rows
        y += [1] * bads + [0] * (rows - bads)
    return pd.DataFrame({"x": x}), np.array(y)


def _groups(X, y, small_bins: bool) -> list[list[str]]:
    binner = WoeBinner(max_n_bins=8, min_bin_size=0.02, small_bins=small_bins)
    return binner.fit(X, y).bins_["x"].groups


def test_small_bins_keep_a_rare_category_whose_risk_stands_apart():
    # 1,830 rows: a bin needs 37 (2%), the small-bin floor is 10; C has 30 rows, 80% bad
    X, y = _categories({"A": (900, 90), "B": (900, 108), "C": (30, 24)})
    assert ["C"] not in _groups(X, y, small_bins=False)  # below the minimum: merged
    assert ["C"] in _groups(X, y, small_bins=True)


def test_small_bins_merge_a_rare_category_that_only_looks_different():
    # D: 30 rows at 20% bad next to B's 12%: G-test p about 0.2, far above 0.1%
    X, y = _categories({"A": (900, 90), "B": (900, 108), "D": (30, 6)})
    assert ["D"] not in _groups(X, y, small_bins=True)


def test_small_bins_never_go_below_a_quarter_of_the_minimum_bin():
    # E: 9 rows (floor 10), 8 of them bad: significant, but too small to be a bin
    X, y = _categories({"A": (900, 90), "B": (900, 108), "E": (9, 8)})
    assert ["E"] not in _groups(X, y, small_bins=True)
    X, y = _categories({"A": (900, 90), "B": (900, 108), "E": (10, 9)})  # at the floor: stands
    assert ["E"] in _groups(X, y, small_bins=True)


def test_small_bins_split_a_thin_risky_tail_in_the_engine_not_in_woebinner():
    # 2,000 rows, 5% bad, but the top 30 values 70% bad: a tail below the 2% minimum (40 rows)
    x = np.arange(2000, dtype=float)
    y = (np.arange(2000) % 20 == 0).astype(int)
    y[-30:] = 0
    y[-30:-9] = 1

    def splits(small_bins: bool) -> list[float]:
        rules = binsolver.Constraints.of(
            2000.0, max_n_bins=8, min_bin_size=0.02, min_bin_n_event=None,
            trend="auto_asc_desc", min_prebin_size=0.02, small_bins=small_bins,
        )  # fmt: skip
        return binsolver.numerical_splits(x, y == 1, None, rules)

    assert splits(False)[-1] <= 1959.5  # the tail shares a bin of at least 40 rows
    assert splits(True)[-1] == 1969.5  # the last 30 values apart
    # WoeBinner keeps numeric features at min_bin_size (the rule is for categories)
    X = pd.DataFrame({"x": x})
    fits = [WoeBinner(min_bin_size=0.02, small_bins=flag).fit(X, y) for flag in (False, True)]
    assert fits[0].bins_["x"].splits == fits[1].bins_["x"].splits == splits(False)
