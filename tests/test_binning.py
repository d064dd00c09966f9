"""WOE binning (src/riskresearch/binning.py, src/riskresearch/woe.py).

Expected values are computed here by hand from known good/bad counts, never read back from the
code under test.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from riskresearch.binning import WoeBinner
from riskresearch.errors import ConfigError, DataError
from tests.sklearn_xfail import expected_failed_checks


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _frame(spec: list[tuple[object, int, int]], name: str = "x") -> tuple[pd.DataFrame, np.ndarray]:
    """Rows from ``(value, n_good, n_bad)`` triples: one column ``name`` and the target."""
    values, target = [], []
    for value, n_good, n_bad in spec:
        values += [value] * (n_good + n_bad)
        target += [0] * n_good + [1] * n_bad
    return pd.DataFrame({name: values}), np.asarray(target)


def _woe(g: float, b: float, total_g: float, total_b: float) -> float:
    return math.log((g / total_g) / (b / total_b))


# A numerical feature with two regular bins split at 10, a special code -1 and missing values:
#   bin        values          goods  bads
#   (-inf,10)  0, 5, 9.999       30    10
#   [10, inf)  10, 12, 50        60     5
#   Special    -1                 2     6
#   Missing    NaN                8     4
NUMERIC_SPEC = [
    (0.0, 10, 5),
    (5.0, 10, 3),
    (9.999, 10, 2),
    (10.0, 20, 1),
    (12.0, 20, 2),
    (50.0, 20, 2),
    (-1.0, 2, 6),
    (np.nan, 8, 4),
]
NUMERIC_COUNTS = [(30, 10), (60, 5), (2, 6), (8, 4)]  # regular bins, Special, Missing


@pytest.fixture
def numeric():
    X, y = _frame(NUMERIC_SPEC)
    binner = WoeBinner(overrides={"x": {"splits": [10]}}, special_codes={"x": [-1]}).fit(X, y)
    return binner, X, y


# ------------------------------------------------------------------------------------------
# tiny exact cases
# ------------------------------------------------------------------------------------------
def test_woe_of_hand_made_bins(numeric):
    binner, X, _ = numeric
    total_g = sum(g for g, _ in NUMERIC_COUNTS)
    total_b = sum(b for _, b in NUMERIC_COUNTS)
    expected = [_woe(g, b, total_g, total_b) for g, b in NUMERIC_COUNTS]

    tab = binner.table("x")
    assert tab["bin"].tolist() == ["(-inf, 10)", "[10, inf)", "Special", "Missing", "Total"]
    assert tab["good"].tolist()[:4] == [g for g, _ in NUMERIC_COUNTS]
    assert tab["bad"].tolist()[:4] == [b for _, b in NUMERIC_COUNTS]
    assert tab["event_rate"].tolist()[:4] == pytest.approx([b / (g + b) for g, b in NUMERIC_COUNTS])
    assert tab["woe"].tolist()[:4] == pytest.approx(expected, rel=1e-12)

    # every row gets the WoE of its own bin
    def bin_of(v):
        if np.isnan(v):
            return 3
        if v == -1:
            return 2
        return int(v >= 10)

    want = [expected[bin_of(v)] for v in X["x"]]
    assert binner.transform(X)["x"].to_numpy() == pytest.approx(want, rel=1e-12)


def test_iv_is_sum_of_share_differences_times_woe(numeric):
    binner, _, _ = numeric
    total_g = sum(g for g, _ in NUMERIC_COUNTS)
    total_b = sum(b for _, b in NUMERIC_COUNTS)
    iv = sum((g / total_g - b / total_b) * _woe(g, b, total_g, total_b) for g, b in NUMERIC_COUNTS)
    summary = binner.iv_summary().set_index("feature")
    assert summary.loc["x", "iv"] == pytest.approx(iv, rel=1e-12)
    assert binner.table("x")["iv"].iloc[-1] == pytest.approx(iv, rel=1e-12)
    assert summary.loc["x", "n_bins"] == 2


def test_split_value_goes_to_upper_bin():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.uniform(0, 30, 400)})
    y = (rng.uniform(size=400) < 0.2 + 0.02 * X["x"]).astype(int)
    binner = WoeBinner(overrides={"x": {"splits": [10, 20]}}).fit(X, y)
    probe = pd.DataFrame({"x": [-1e9, 9.999999, 10.0, 15.0, 19.999999, 20.0, 29.0, 1e9]})
    # intervals are [s_i, s_i+1): a value equal to a split belongs to the bin above it
    expected = [sum(v >= s for s in (10, 20)) for v in probe["x"]]
    assert binner.bin_indices(probe)["x"].tolist() == expected == [0, 0, 1, 1, 1, 2, 2, 2]
    woe = binner.bins_["x"].woe()
    assert binner.transform(probe)["x"].tolist() == pytest.approx([woe[i] for i in expected])
    assert binner.bins_["x"].labels()[:3] == ["(-inf, 10)", "[10, 20)", "[20, inf)"]


def test_nan_goes_to_missing_and_special_codes_to_special(numeric):
    binner, _, _ = numeric
    probe = pd.DataFrame({"x": [np.nan, -1.0, None, 3.0, 11.0]})
    fb = binner.bins_["x"]
    assert (fb.special_index, fb.missing_index) == (2, 3)
    assert binner.bin_indices(probe)["x"].tolist() == [3, 2, 3, 0, 1]


def test_nullable_and_boolean_columns_bin_like_floats():
    rng = np.random.default_rng(1)
    flag = rng.uniform(size=300) < 0.4
    y = (rng.uniform(size=300) < np.where(flag, 0.35, 0.1)).astype(int)
    as_bool = WoeBinner(overrides={"flag": {"splits": [0.5]}}).fit(pd.DataFrame({"flag": flag}), y)
    as_float = WoeBinner(overrides={"flag": {"splits": [0.5]}}).fit(
        pd.DataFrame({"flag": flag.astype(float)}), y
    )
    assert as_bool.bins_["flag"].good == as_float.bins_["flag"].good
    assert as_bool.bins_["flag"].bad == as_float.bins_["flag"].bad
    nullable = pd.DataFrame({"flag": pd.array([1, 0, None], dtype="Int64")})
    assert as_bool.bin_indices(nullable)["flag"].tolist() == [1, 0, 3]


def test_categorical_groups_pool_counts():
    X, y = _frame([("a", 20, 5), ("b", 10, 5), ("c", 30, 2), (None, 6, 3)], name="cat")
    binner = WoeBinner(overrides={"cat": {"groups": [["a", "b"], ["c"]]}}).fit(X, y)
    fb = binner.bins_["cat"]
    assert fb.dtype == "categorical"
    assert fb.labels() == ["a, b", "c", "Special", "Missing"]
    # a+b pooled; the Special bin is empty; NaN/None is Missing
    assert fb.good == [30, 30, 0, 6]
    assert fb.bad == [10, 2, 0, 3]
    total_g, total_b = 66, 15
    expected = {
        "a": _woe(30, 10, total_g, total_b),
        "b": _woe(30, 10, total_g, total_b),
        "c": _woe(30, 2, total_g, total_b),
    }
    probe = pd.DataFrame({"cat": ["c", "a", "b", None]})
    want = [expected["c"], expected["a"], expected["b"], _woe(6, 3, total_g, total_b)]
    assert binner.transform(probe)["cat"].tolist() == pytest.approx(want, rel=1e-12)


def test_categorical_special_code_gets_special_bin():
    X, y = _frame([("a", 20, 5), ("b", 10, 8), ("UNKNOWN", 4, 4)], name="cat")
    binner = WoeBinner(
        overrides={"cat": {"groups": [["a"], ["b"]]}}, special_codes={"cat": ["UNKNOWN"]}
    ).fit(X, y)
    fb = binner.bins_["cat"]
    assert fb.good == [20, 10, 4, 0]
    assert fb.bad == [5, 8, 4, 0]
    assert binner.bin_indices(pd.DataFrame({"cat": ["UNKNOWN", "b"]}))["cat"].tolist() == [2, 1]


def test_empty_good_or_bad_cell_gives_finite_woe():
    # no bad at all in the upper bin: WoE must stay finite (smoothed) and show low risk
    X, y = _frame([(1.0, 20, 10), (5.0, 30, 0)])
    binner = WoeBinner(overrides={"x": {"splits": [3]}}).fit(X, y)
    woe = binner.bins_["x"].woe()
    assert np.isfinite(woe).all()
    assert woe[1] > 0 > woe[0]
    # documented smoothing: 0.5 added to the empty cell's good and bad counts
    assert woe[1] == pytest.approx(math.log((30.5 / 50) / (0.5 / 10)))
    # a bin nobody fell in (Special, Missing) has WoE 0
    assert woe[2] == woe[3] == 0.0


def test_integer_weights_equal_duplicated_rows():
    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "cat": rng.choice(["a", "b", "c", "d"], size=n),
        }
    )
    X.loc[rng.choice(n, 30, replace=False), "num"] = np.nan
    y = (rng.uniform(size=n) < 0.15 + 0.1 * (X["num"].fillna(0) > 0)).astype(int)
    w = rng.integers(1, 4, size=n)
    overrides = {"num": {"splits": [-0.5, 0.0, 0.7]}, "cat": {"groups": [["a", "b"], ["c", "d"]]}}

    weighted = WoeBinner(overrides=overrides).fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(n), w)
    duplicated = WoeBinner(overrides=overrides).fit(X.iloc[rows].reset_index(drop=True), y[rows])
    for name in ("num", "cat"):
        a, b = weighted.bins_[name], duplicated.bins_[name]
        assert a.good == pytest.approx(b.good, rel=1e-12)
        assert a.bad == pytest.approx(b.bad, rel=1e-12)
        assert a.woe() == pytest.approx(b.woe(), rel=1e-12)
    # and the counts are the weighted sums recomputed here
    upper = (X["num"] >= 0.7).to_numpy()
    assert weighted.bins_["num"].bad[3] == w[upper & (y == 1)].sum()
    assert weighted.bins_["num"].good[3] == w[upper & (y == 0)].sum()
    pd.testing.assert_frame_equal(weighted.transform(X), duplicated.transform(X))


def _small_table(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-2.8 + 0.9 * x)))).astype(int)
    return pd.DataFrame({"x": x}), y


def test_sqrt_rule_asks_each_bin_for_the_root_of_the_bads():
    X, y = _small_table(1000, 1)
    w = np.where(np.arange(1000) % 2 == 0, 0.5, 1.5)
    binner = WoeBinner(min_bin_size=0.02, min_bin_n_event="sqrt").fit(X, y, sample_weight=w)
    root = math.sqrt(float((w * y).sum()))
    assert binner.min_bin_n_event_ == pytest.approx(root, rel=1e-12)
    fb = binner.bins_["x"]
    assert fb.n_regular >= 2
    assert min(fb.bad[: fb.n_regular]) >= root
    # without the rule the same table gets a bin of a few bads
    loose = WoeBinner(min_bin_size=0.02).fit(X, y, sample_weight=w).bins_["x"]
    assert min(loose.bad[: loose.n_regular]) < root


def test_sqrt_rule_leaves_a_tiny_table_its_bins():
    X, y = _small_table(250, 2)
    assert y.sum() == 19
    fb = WoeBinner(min_bin_size=0.02, min_bin_n_event="sqrt").fit(X, y).bins_["x"]
    assert fb.n_regular == 3
    assert min(fb.bad[: fb.n_regular]) >= math.sqrt(19)
    # a fixed 10 bads per bin leaves one bin: a feature without information
    assert WoeBinner(min_bin_size=0.02, min_bin_n_event=10).fit(X, y).bins_["x"].n_regular == 1


def test_config_binning_defaults_reach_the_binner(tmp_path):
    from riskresearch.config import BinningConfig, config_from_dict
    from riskresearch.development import build_estimator

    default = BinningConfig()
    assert (default.max_n_bins, default.min_bin_size, default.min_bin_n_event) == (8, 0.02, "sqrt")
    (tmp_path / "t.csv").write_text("x,bad\n1,0\n2,1\n")
    raw = {"model": "m", "data": {"table": str(tmp_path / "t.csv"), "target": "bad"}}
    for section, expected in [
        ({}, "sqrt"),
        ({"min_bin_n_event": 25}, 25.0),
        ({"min_bin_n_event": None}, None),
    ]:
        cfg = config_from_dict(
            {**raw, "binning": {"max_n_bins": 6, "min_bin_size": 0.05, **section}}
        )
        binner = build_estimator(cfg, []).binner
        assert (binner.max_n_bins, binner.min_bin_size, binner.min_bin_n_event) == (
            6,
            0.05,
            expected,
        )


def test_brute_force_iv_on_seeded_data(modeling):
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature]
    features = ["platform_credit_score", "utilisation", "occupation", "bureau_hit", "age"]
    binner = WoeBinner(time_limit=5, max_n_bins=6).fit(data[features], data["bad"])
    idx = binner.bin_indices(data[features])
    y = data["bad"].to_numpy()
    for name in features:
        counts = pd.crosstab(idx[name].to_numpy(), y)
        g, b = counts[0.0], counts[1.0]
        share_g, share_b = g / (y == 0).sum(), b / (y == 1).sum()
        assert ((g > 0) & (b > 0)).all(), "a bin without goods or bads; the case below is not"
        iv = float(((share_g - share_b) * np.log(share_g / share_b)).sum())
        assert binner.iv_summary().set_index("feature").loc[name, "iv"] == pytest.approx(iv)
        assert binner.bins_[name].n_regular <= 6
    # golden: the platform's own credit score is the strongest single feature
    summary = binner.iv_summary()
    assert summary["feature"].iloc[0] == "platform_credit_score"
    assert summary["iv"].iloc[0] > 0.3
    assert binner.bins_["occupation"].dtype == "categorical"
    assert binner.bins_["bureau_hit"].dtype == "numerical"


# ------------------------------------------------------------------------------------------
# overrides
# ------------------------------------------------------------------------------------------
def test_overrides_are_honoured_and_recorded(numeric):
    binner, X, y = numeric
    X = X.assign(z=np.arange(len(X), dtype=float))
    binner = WoeBinner(overrides={"x": {"splits": [5, 12]}}, time_limit=5).fit(X, y)
    assert binner.bins_["x"].splits == [5.0, 12.0]
    sources = binner.iv_summary().set_index("feature")["source"]
    assert sources["x"] == "override"
    assert sources["z"] == "optimal"
    exported = json.loads(binner.to_json())["features"]
    assert exported["x"]["source"] == "override"
    assert exported["x"]["splits"] == [5.0, 12.0]
    assert exported["z"]["source"] == "optimal"


CAT_X = pd.DataFrame({"cat": ["a", "b", "c", "a", "b", "c"] * 10, "x": np.arange(60.0)})
CAT_Y = np.array([0, 1] * 30)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"x": {"splits": [30, 10]}}, r"feature 'x'.*strictly increasing splits"),
        ({"x": {"splits": [10, 10]}}, r"feature 'x'.*strictly increasing splits"),
        ({"x": {"splits": [10, 100]}}, r"feature 'x' has split\(s\) \[100.0\] outside"),
        ({"x": {"splits": [0]}}, r"split\(s\) \[0.0\] outside the observed range"),
        ({"cat": {"groups": [["a"], ["b"]]}}, r"leaves categories \['c'\] out of every group"),
        ({"cat": {"groups": [["a", "b"], ["b", "c"]]}}, r"puts categories \['b'\] in more than"),
        ({"cat": {"splits": [1, 2]}}, r"feature 'cat' must give 'groups'"),
        ({"x": {"groups": [["1"]]}}, r"feature 'x' must give 'splits'"),
        ({"x": [10]}, r"feature 'x' must be \{'splits'"),
        ({"nope": {"splits": [1]}}, r"'overrides' parameter of WoeBinner names unknown .*'nope'"),
    ],
)
def test_bad_override_raises(overrides, match):
    with pytest.raises(ConfigError, match=match):
        WoeBinner(overrides=overrides, time_limit=5).fit(CAT_X, CAT_Y)


# ------------------------------------------------------------------------------------------
# unseen categories
# ------------------------------------------------------------------------------------------
UNSEEN_SPEC = [("a", 40, 4), ("b", 20, 10), ("c", 10, 2), (None, 8, 2)]


@pytest.mark.parametrize("policy", ["missing", "neutral", "worst"])
def test_unseen_category_warns_and_gets_policy_woe(policy):
    X, y = _frame(UNSEEN_SPEC, name="cat")
    binner = WoeBinner(overrides={"cat": {"groups": [["a"], ["b"], ["c"]]}}, unseen=policy)
    binner.fit(X, y)
    total_g, total_b = 78, 18
    woe = {
        "a": _woe(40, 4, total_g, total_b),
        "b": _woe(20, 10, total_g, total_b),
        "c": _woe(10, 2, total_g, total_b),
        "missing": _woe(8, 2, total_g, total_b),
    }
    expected = {"missing": woe["missing"], "neutral": 0.0, "worst": min(woe.values())}[policy]
    assert min(woe.values()) == woe["b"]  # the riskiest occupied bin
    assert len({woe["missing"], 0.0, woe["b"]}) == 3  # the three policies differ here
    probe = pd.DataFrame({"cat": ["a", "zebra"]})
    with pytest.warns(UserWarning, match=r"Feature 'cat' has categories never seen.*'zebra'"):
        out = binner.transform(probe)["cat"]
    assert out.tolist() == pytest.approx([woe["a"], expected], rel=1e-12)


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------
def test_json_round_trip_transforms_identically(modeling, tmp_path):
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature]
    features = ["platform_credit_score", "max_dpd_24m", "occupation", "education", "bureau_hit"]
    train, test = data.iloc[:3000], data.iloc[3000:].copy()
    binner = WoeBinner(
        time_limit=5,
        special_codes={"max_dpd_24m": [0]},
        overrides={"education": {"groups": [sorted(set(train.education.dropna()))]}},
        unseen="worst",
    ).fit(train[features], train["bad"])
    test.loc[test.index[:5], "occupation"] = "astronaut"  # unseen in training
    test.loc[test.index[5:10], "platform_credit_score"] = np.nan

    path = tmp_path / "binning.json"
    text = binner.to_json(path)
    assert json.loads(path.read_text()) == json.loads(text)
    for loaded in (WoeBinner.from_json(text), WoeBinner.from_json(path)):
        with pytest.warns(UserWarning, match="astronaut"):
            expected = binner.transform(test[features])
        with pytest.warns(UserWarning, match="astronaut"):
            got = loaded.transform(test[features])
        pd.testing.assert_frame_equal(got, expected)
        pd.testing.assert_frame_equal(loaded.iv_summary(), binner.iv_summary())
        assert loaded.bins_["education"].source == "override"
        assert loaded.bins_["occupation"].unseen == "worst"
    assert binner.bins_["max_dpd_24m"].good[binner.bins_["max_dpd_24m"].special_index] > 0


def test_bad_json_raises():
    with pytest.raises(DataError, match="not valid JSON"):
        WoeBinner.from_json("{not json")
    with pytest.raises(DataError, match="not a riskresearch binning"):
        WoeBinner.from_dict({"format": "something/else"})
    X, y = _frame(NUMERIC_SPEC)
    data = WoeBinner(overrides={"x": {"splits": [10]}}).fit(X, y).to_dict()
    data["features"]["x"]["bins"].pop()
    with pytest.raises(DataError, match=r"feature 'x' has 3 bins but its splits/groups define 4"):
        WoeBinner.from_dict(data)


# ------------------------------------------------------------------------------------------
# validation: one rule per test case
# ------------------------------------------------------------------------------------------
GOOD_X = pd.DataFrame({"x": np.arange(40.0), "c": ["a", "b"] * 20})
GOOD_Y = np.array([0, 0, 0, 1] * 10)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_n_bins": 1}, r"'max_n_bins' parameter of WoeBinner must be an integer >= 2\. Got 1"),
        ({"max_n_bins": 4.5}, r"'max_n_bins' parameter .* Got 4\.5 instead"),
        ({"min_bin_size": 0.7}, r"'min_bin_size' parameter of WoeBinner .* Got 0\.7 instead"),
        ({"min_bin_size": 0}, r"'min_bin_size' parameter of WoeBinner .* Got 0 instead"),
        ({"monotonic_trend": "up"}, r"'monotonic_trend' parameter of WoeBinner .* Got 'up'"),
        ({"monotonic_trends": {"x": "sideways"}}, r"'monotonic_trends\['x'\]' .* Got 'sideways'"),
        ({"unseen": "ignore"}, r"'unseen' parameter of WoeBinner must be one of .* Got 'ignore'"),
        (
            {"solver": "cp"},
            r"'solver' parameter of WoeBinner must be one of \['dp', 'optbinning'\]\. Got 'cp'",
        ),
        (
            {"min_bin_n_event": 0},
            r"'min_bin_n_event' parameter of WoeBinner must be a positive .* Got 0 ",
        ),
        ({"min_bin_n_event": -3}, r"'min_bin_n_event' parameter .* Got -3 instead"),
        ({"min_bin_n_event": True}, r"'min_bin_n_event' parameter .* Got True instead"),
        (
            {"small_bins": "yes"},
            r"'small_bins' parameter of WoeBinner must be True or False\. Got 'yes'",
        ),
        ({"min_bin_n_event": "30"}, r"'min_bin_n_event' parameter .* Got '30' instead"),
        ({"min_bin_n_event": float("nan")}, r"'min_bin_n_event' parameter .* Got nan instead"),
    ],
)
def test_bad_parameter_raises(params, match):
    with pytest.raises(ConfigError, match=match):
        WoeBinner(**params).fit(GOOD_X, GOOD_Y)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (GOOD_X, GOOD_Y[:-1], r"the target has 39 values but X has 40 rows"),
        (GOOD_X, np.arange(40) % 3, r"target must be binary.*3 labels \['0', '1', '2'\]"),
        (GOOD_X, np.zeros(40), r"the target has only one class \(0\)"),
        (GOOD_X.iloc[:0], GOOD_Y[:0], r"empty table \(0 rows\)"),
        (np.arange(5.0), GOOD_Y[:5], r"expects a 2-D table of features"),
    ],
)
def test_bad_fit_input_raises(X, y, match):
    with pytest.raises(DataError, match=match):
        WoeBinner(time_limit=5).fit(X, y)


def test_bad_sample_weight_raises():
    with pytest.raises(DataError, match=r"WoeBinner\.fit: Negative values .*sample_weight"):
        WoeBinner().fit(GOOD_X, GOOD_Y, sample_weight=-np.ones(40))


def test_weights_leaving_one_class_raise():
    # zero weight on every bad leaves a one-class problem: WoE would be log(x / 0)
    with pytest.raises(DataError, match="one class"):
        WoeBinner(overrides={"x": {"splits": [20]}}).fit(
            GOOD_X[["x"]], GOOD_Y, sample_weight=(GOOD_Y == 0).astype(float)
        )


def test_missing_feature_column_is_named():
    with pytest.raises(DataError, match=r"column\(s\) 'income' missing from the input"):
        WoeBinner(features=["x", "income"]).fit(GOOD_X, GOOD_Y)
    binner = WoeBinner(time_limit=5).fit(GOOD_X, GOOD_Y)
    with pytest.raises(DataError, match=r"column\(s\) 'c' missing"):
        binner.transform(GOOD_X[["x"]])


@pytest.mark.parametrize("stage", ["fit", "transform"])
@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("abc", r"column 'x' is numerical but holds text in 1 row\(s\) \(first: 'abc' at row 3\)"),
        (np.inf, r"column 'x' holds \+/-inf in 1 row\(s\) \(first at row 3\)"),
        (-np.inf, r"column 'x' holds \+/-inf in 1 row\(s\) \(first at row 3\)"),
    ],
)
def test_bad_numerical_values_raise(stage, value, match):
    bad = GOOD_X.astype({"x": object})
    bad.loc[3, "x"] = value
    binner = WoeBinner(categorical_features=["c"], time_limit=5)
    if stage == "fit":
        with pytest.raises(DataError, match=match):
            binner.fit(bad, GOOD_Y)
    else:
        binner.fit(GOOD_X, GOOD_Y)
        with pytest.raises(DataError, match=match):
            binner.transform(bad)


def test_y_none_raises_data_error():
    with pytest.raises(DataError, match="target"):
        WoeBinner().fit(GOOD_X, None)


def test_zero_features_raise():
    with pytest.raises(DataError, match="feature"):
        WoeBinner().fit(np.empty((12, 0)), GOOD_Y[:12])


def test_all_missing_numerical_feature_gets_one_missing_bin():
    # e.g. bureau features of thin-file applicants: nothing to split, everything is Missing
    X = GOOD_X.assign(bureau=np.nan)
    binner = WoeBinner(time_limit=5).fit(X, GOOD_Y)
    fb = binner.bins_["bureau"]
    assert fb.splits == []
    assert fb.good[fb.missing_index] == 30
    assert fb.bad[fb.missing_index] == 10
    assert binner.transform(X)["bureau"].nunique() == 1


def test_list_of_numbers_is_binned_as_numbers():
    # a plain list (or object array) of numbers must not turn every column into categories
    X = np.c_[np.arange(40.0), np.arange(40.0) % 7]
    binner = WoeBinner(overrides={"x0": {"splits": [20]}}, time_limit=5).fit(X.tolist(), GOOD_Y)
    assert binner.bins_["x0"].dtype == "numerical"
    assert binner.bins_["x1"].dtype == "numerical"


def test_non_string_column_names_are_accepted():
    X = pd.DataFrame({0: np.arange(40.0), 1: np.arange(40.0) % 5})
    binner = WoeBinner(time_limit=5).fit(X, GOOD_Y)
    assert binner.transform(X).shape == (40, 2)


# ------------------------------------------------------------------------------------------
# scikit-learn contract
# ------------------------------------------------------------------------------------------
@parametrize_with_checks(
    [WoeBinner(time_limit=5)],
    expected_failed_checks=expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_clone_and_not_fitted():
    binner = WoeBinner(overrides={"x": {"splits": [10]}}, max_n_bins=4, time_limit=5)
    with pytest.raises(NotFittedError):
        binner.transform(GOOD_X)
    with pytest.raises(NotFittedError):
        check_is_fitted(binner)
    fitted = binner.fit(GOOD_X, GOOD_Y)
    check_is_fitted(fitted)
    copy = clone(fitted)
    assert copy.get_params() == binner.get_params()
    assert not hasattr(copy, "bins_")
    assert list(fitted.get_feature_names_out()) == ["x", "c"]
    assert list(fitted.feature_names_in_) == ["x", "c"]
    assert fitted.n_features_in_ == 2


def test_in_a_pipeline():
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.normal(size=600), "b": rng.choice(["u", "v", "w"], size=600)})
    y = (rng.uniform(size=600) < 0.1 + 0.2 * (X["a"] > 0) + 0.1 * (X["b"] == "w")).astype(int)
    pipe = Pipeline([("woe", WoeBinner(time_limit=5)), ("lr", LogisticRegression())]).fit(X, y)
    W = WoeBinner(time_limit=5).fit_transform(X, y)
    lr = LogisticRegression().fit(W, y)
    assert pipe.predict_proba(X) == pytest.approx(lr.predict_proba(W), rel=1e-9)
    assert list(pipe[:-1].get_feature_names_out()) == ["a", "b"]


@pytest.mark.parametrize("dtype", ["str", "object", "category"])
def test_categorical_bin_index_by_hand(dtype):
    """Each category's bin, with special codes, missing values and unseen categories (-1)."""
    from riskresearch.woe import FeatureBins

    fb = FeatureBins("c", "categorical", groups=[["a", "b"], ["c"]], special_codes=["x"])
    values = pd.Series(["a", None, "x", "c", "zz", "b", None, "a"], dtype=dtype)
    assert fb.bin_index(values).tolist() == [0, 3, 2, 1, -1, 0, 3, 0]
    assert fb.bin_index(pd.Series([None, None], dtype=dtype)).tolist() == [3, 3]
    assert fb.bin_index(pd.Series([], dtype=dtype)).tolist() == []
