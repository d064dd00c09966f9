"""Tests of riskresearch.metrics: tiny hand-computed cases, brute-force cross-checks and one
test per validation rule."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskresearch.errors import ConfigError, DataError
from riskresearch.metrics import (
    auc,
    bad_rate_at_approval,
    band_table,
    calibration_table,
    gini,
    ks,
    summary,
)

# Hand example used throughout: goods have pd 0.1 and 0.4, bads 0.35 and 0.8.
Y4 = [0, 0, 1, 1]
PD4 = [0.1, 0.4, 0.35, 0.8]


def random_sample(n=2_000, seed=0, decimals=None):
    """Binary target drawn from a known PD, plus integer weights."""
    rng = np.random.default_rng(seed)
    true_pd = 1 / (1 + np.exp(-rng.normal(-2.0, 1.2, n)))
    y = (rng.random(n) < true_pd).astype(int)
    noisy = 1 / (1 + np.exp(-(np.log(true_pd / (1 - true_pd)) + rng.normal(0, 0.8, n))))
    if decimals is not None:
        noisy = np.round(noisy, decimals)  # creates many ties
    weights = rng.integers(1, 4, n)
    return y, noisy, weights


def brute_force_ks(y, x, w=None):
    """KS by scanning every distinct threshold t: |P(x <= t | bad) - P(x <= t | good)|."""
    y, x = np.asarray(y), np.asarray(x, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    best = 0.0
    for t in np.unique(x):
        below = x <= t
        share_bad = w[below & (y == 1)].sum() / w[y == 1].sum()
        share_good = w[below & (y == 0)].sum() / w[y == 0].sum()
        best = max(best, abs(share_bad - share_good))
    return best


# ------------------------------------------------------------------------------------------
# AUC, Gini, KS
# ------------------------------------------------------------------------------------------
def test_auc_of_hand_example():
    # bad/good pairs: (0.35 > 0.1) yes, (0.35 > 0.4) no, (0.8 > 0.1) yes, (0.8 > 0.4) yes -> 3/4
    assert auc(Y4, PD4) == pytest.approx(0.75)
    assert gini(Y4, PD4) == pytest.approx(0.5)


def test_auc_counts_ties_as_half():
    # goods 0.2, 0.5; bads 0.5, 0.9: pairs 1 + 0.5 (tie) + 1 + 1 = 3.5 of 4
    assert auc([0, 0, 1, 1], [0.2, 0.5, 0.5, 0.9]) == pytest.approx(0.875)


def test_auc_of_perfect_and_reversed_ranking():
    assert auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(1.0)
    assert auc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == pytest.approx(0.0)


def test_gini_is_two_auc_minus_one_against_sklearn():
    y, x, _ = random_sample()
    assert gini(y, x) == pytest.approx(2 * roc_auc_score(y, x) - 1, abs=1e-12)
    assert auc(y, x) == pytest.approx(roc_auc_score(y, x), abs=1e-12)


def test_weighted_metrics_equal_unweighted_on_duplicated_rows():
    y, x, w = random_sample(n=500, decimals=2)
    y_dup, x_dup = np.repeat(y, w), np.repeat(x, w)
    assert auc(y, x, sample_weight=w) == pytest.approx(auc(y_dup, x_dup), abs=1e-12)
    assert ks(y, x, sample_weight=w) == pytest.approx(ks(y_dup, x_dup), abs=1e-12)
    assert gini(y, x, sample_weight=w) == pytest.approx(gini(y_dup, x_dup), abs=1e-12)


def test_zero_weight_rows_are_ignored():
    y, x, w = random_sample(n=300)
    w = w.astype(float)
    w[:100] = 0
    assert auc(y, x, sample_weight=w) == pytest.approx(
        auc(y[100:], x[100:], sample_weight=w[100:]), abs=1e-12
    )
    assert ks(y, x, sample_weight=w) == pytest.approx(
        ks(y[100:], x[100:], sample_weight=w[100:]), abs=1e-12
    )


def test_ks_of_hand_example():
    # thresholds (share of bads, share of goods with pd >= t): 0.8 (1/2, 0), 0.4 (1/2, 1/2),
    # 0.35 (1, 1/2), 0.1 (1, 1) -> largest distance 1/2
    assert ks(Y4, PD4) == pytest.approx(0.5)


def test_ks_does_not_split_ties():
    # row by row, a bad sorted before its tied good would give 1.0; at distinct thresholds
    # 0.9: (1/2, 0); 0.5: (1, 1/2); 0.3: (1, 1) -> KS 1/2
    assert ks([0, 0, 1, 1], [0.3, 0.5, 0.5, 0.9]) == pytest.approx(0.5)
    assert ks([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)


@pytest.mark.parametrize("decimals", [None, 2])
def test_ks_matches_brute_force(decimals):
    y, x, w = random_sample(n=800, seed=3, decimals=decimals)
    assert ks(y, x) == pytest.approx(brute_force_ks(y, x), abs=1e-12)
    assert ks(y, x, sample_weight=w) == pytest.approx(brute_force_ks(y, x, w), abs=1e-12)


def test_ks_is_the_same_for_a_score_and_in_unit_range():
    y, x, _ = random_sample(seed=5)
    score = 600 - 30 * np.log(x / (1 - x))  # higher score = lower pd
    assert ks(y, score) == pytest.approx(ks(y, x), abs=1e-12)
    assert 0 < ks(y, x) <= 1
    assert ks([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(1.0)


def test_accepts_pandas_and_bool_targets():
    s = pd.Series([False, False, True, True], index=[10, 11, 12, 13])
    assert auc(s, pd.Series(PD4, index=[3, 2, 1, 0])) == pytest.approx(0.75)
    assert auc(pd.Series(Y4, dtype="Int64"), PD4) == pytest.approx(0.75)


def test_summary_is_json_ready_and_consistent():
    y, x, w = random_sample(seed=7)
    result = summary(y, x, sample_weight=w)
    assert set(result) == {"auc", "gini", "ks", "n", "bad_rate"}
    assert json.loads(json.dumps(result)) == result
    assert all(type(result[k]) is float for k in ("auc", "gini", "ks", "bad_rate"))
    assert type(result["n"]) is int and result["n"] == len(y)
    assert result["auc"] == pytest.approx(roc_auc_score(y, x, sample_weight=w), abs=1e-12)
    assert result["gini"] == pytest.approx(2 * result["auc"] - 1, abs=1e-12)
    assert result["ks"] == pytest.approx(brute_force_ks(y, x, w), abs=1e-12)
    assert result["bad_rate"] == pytest.approx(np.sum(w * y) / np.sum(w))


# ------------------------------------------------------------------------------------------
# band_table
# ------------------------------------------------------------------------------------------
def test_band_table_explicit_score_cut_points():
    # a cut point belongs to the safer (higher-score) band: [600, 650) and >= 650
    table = band_table([1, 0, 1, 0, 0], score=[550, 600, 620, 650, 700], bands=[600, 650])
    assert table["label"].tolist() == ["< 600", "[600, 650)", ">= 650"]
    assert table["band"].tolist() == [1, 2, 3]
    assert table["count"].tolist() == [1, 2, 2]
    assert table["bads"].tolist() == [1, 1, 0]
    assert table["bad_rate"].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert table["min_score"].tolist() == [550, 600, 650]
    assert table["max_score"].tolist() == [550, 620, 700]
    # 2 bads in 5 rows: lift = bad rate / 0.4
    assert table["lift"].tolist() == pytest.approx([2.5, 1.25, 0.0])
    assert table["cum_bad_share"].tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert table["cum_good_share"].tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert table["ks"].tolist() == pytest.approx([0.5, 2 / 3, 0.0])
    assert table["cum_lift"].tolist() == pytest.approx([0.5 / 0.2, 1.0 / 0.6, 1.0])
    assert "mean_pd" not in table.columns


def test_band_table_explicit_pd_cut_points():
    # a cut point belongs to the safer (lower-pd) band: (0.1, 0.2] and <= 0.1
    pd_ = [0.05, 0.1, 0.15, 0.2, 0.5]
    table = band_table([0, 0, 1, 0, 1], pd=pd_, bands=[0.1, 0.2])
    assert table["label"].tolist() == ["> 0.2", "(0.1, 0.2]", "<= 0.1"]
    assert table["count"].tolist() == [1, 2, 2]
    assert table["mean_pd"].tolist() == pytest.approx([0.5, 0.175, 0.075])
    assert table["min_pd"].tolist() == [0.5, 0.15, 0.05]


def test_band_table_keeps_empty_inner_bands_and_drops_empty_outer_ones():
    table = band_table([1, 0, 0], score=[550, 560, 750], bands=[500, 600, 700, 800])
    assert table["label"].tolist() == ["[500, 600)", "[600, 700)", "[700, 800)"]
    assert table["count"].tolist() == [2, 0, 1]
    assert np.isnan(table["bad_rate"].iloc[1])


def test_band_table_quantile_invariants_with_pd():
    y, x, _ = random_sample(n=1_000, seed=11)
    assert len(np.unique(x)) == 1_000  # continuous: equal-sized deciles are exact
    table = band_table(y, pd=x, bands=10)
    assert table["count"].tolist() == [100] * 10
    assert table["count"].sum() == len(y)
    assert table["bads"].sum() == y.sum()
    assert table["cum_bad_share"].iloc[-1] == pytest.approx(1.0)
    assert table["cum_count_share"].iloc[-1] == pytest.approx(1.0)
    assert table["cum_good_share"].iloc[-1] == pytest.approx(1.0)
    # riskiest first: every pd in band i is above every pd in band i + 1
    assert (table["min_pd"].to_numpy()[:-1] > table["max_pd"].to_numpy()[1:]).all()
    assert table["band"].tolist() == list(range(1, 11))
    # the count-weighted mean of lift is 1 by definition
    assert np.sum(table["lift"] * table["count"]) / len(y) == pytest.approx(1.0)
    # each band checked against the rows in its pd range
    for _, row in table.iterrows():
        rows = (x >= row["min_pd"]) & (x <= row["max_pd"])
        assert rows.sum() == row["count"]
        assert y[rows].sum() == row["bads"]
        assert x[rows].mean() == pytest.approx(row["mean_pd"])
        assert row["lift"] == pytest.approx(y[rows].mean() / y.mean())


def test_band_table_quantile_invariants_with_score():
    y, x, _ = random_sample(n=1_000, seed=12)
    score = np.round(600 - 30 * np.log(x / (1 - x)))  # integer scores: ties
    table = band_table(y, score=score, bands=8)
    assert table["count"].sum() == len(y)
    # riskiest first: lowest scores first, bands do not overlap (ties never split)
    assert (table["max_score"].to_numpy()[:-1] < table["min_score"].to_numpy()[1:]).all()
    assert table["bad_rate"].iloc[0] > table["bad_rate"].iloc[-1]
    assert table["cum_bad_share"].iloc[-1] == pytest.approx(1.0)


def test_band_table_never_splits_ties():
    y = [0, 1, 0, 1, 0, 0, 1, 0, 0]
    x = [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3]
    table = band_table(y, pd=x, bands=10)
    assert table["label"].tolist() == ["> 0.2", "(0.1, 0.2]", "<= 0.1"]
    assert table["count"].tolist() == [3, 3, 3]


def test_band_table_ks_column_reaches_ks_with_one_band_per_value():
    y, x, _ = random_sample(n=600, seed=13, decimals=2)
    per_value = band_table(y, pd=x, bands=len(y))
    assert len(per_value) == len(np.unique(x))
    assert per_value["ks"].abs().max() == pytest.approx(ks(y, x), abs=1e-12)
    assert band_table(y, pd=x, bands=5)["ks"].max() <= ks(y, x) + 1e-12


def test_band_table_weighted_equals_duplicated_rows():
    y, x, w = random_sample(n=400, seed=14, decimals=3)
    weighted = band_table(y, pd=x, bands=7, sample_weight=w)
    duplicated = band_table(np.repeat(y, w), pd=np.repeat(x, w), bands=7)
    pd.testing.assert_frame_equal(weighted, duplicated, check_dtype=False)


# ------------------------------------------------------------------------------------------
# calibration_table
# ------------------------------------------------------------------------------------------
def test_wilson_interval_matches_newcombe():
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263 -> 0.2553 to 0.3662,
    # 0/20 -> 0 to 0.1611 (Wilson score interval without continuity correction)
    y = np.r_[np.ones(81), np.zeros(182)]
    table = calibration_table(y, np.full(263, 0.3), bands=1)
    assert table["count"].tolist() == [263]
    assert table["ci_low"].iloc[0] == pytest.approx(0.2553, abs=1e-4)
    assert table["ci_high"].iloc[0] == pytest.approx(0.3662, abs=1e-4)
    assert table["pd_in_ci"].iloc[0]
    assert not calibration_table(y, np.full(263, 0.4), bands=1)["pd_in_ci"].iloc[0]

    # two bands by cut point 0.5: 0/20 bads below, all bads above
    y2 = np.r_[np.zeros(20), np.ones(5)]
    pd2 = np.r_[np.full(20, 0.01), np.full(5, 0.9)]
    low_band = calibration_table(y2, pd2, bands=[0.5]).iloc[-1]
    assert low_band["ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert low_band["ci_high"] == pytest.approx(0.1611, abs=1e-4)


def test_calibration_ci_covers_true_rate_of_calibrated_sample():
    rng = np.random.default_rng(2024)
    true_pd = rng.uniform(0.01, 0.4, 50_000)
    y = (rng.random(true_pd.size) < true_pd).astype(int)
    table = calibration_table(y, true_pd, bands=10)
    assert len(table) == 10
    assert table["count"].sum() == y.size
    assert (table["ci_low"] <= table["bad_rate"]).all()
    assert (table["bad_rate"] <= table["ci_high"]).all()
    # 95% intervals: about 9.5 of 10 bands cover; 8 leaves room for chance
    assert table["pd_in_ci"].sum() >= 8
    # riskiest band first
    assert table["mean_pd"].is_monotonic_decreasing
    # halving the PDs is badly miscalibrated: no band covers
    assert calibration_table(y, true_pd / 2, bands=10)["pd_in_ci"].sum() == 0


# ------------------------------------------------------------------------------------------
# bad_rate_at_approval
# ------------------------------------------------------------------------------------------
def test_bad_rate_at_approval_hand_example_with_ties():
    # target 40% of 5 = 2 rows; the 2nd-lowest pd is 0.2, tied with a 3rd row -> 3 approved
    table = bad_rate_at_approval(
        [0, 1, 0, 0, 1], [0.1, 0.2, 0.2, 0.3, 0.4], approval_rates=[0.4, 1.0]
    )
    assert table["approval_rate"].tolist() == [0.4, 1.0]
    assert table["cutoff_pd"].tolist() == [0.2, 0.4]
    assert table["actual_approval_rate"].tolist() == pytest.approx([0.6, 1.0])
    assert table["bad_rate_approved"].tolist() == pytest.approx([1 / 3, 2 / 5])
    assert table["bads_declined_share"].tolist() == pytest.approx([0.5, 0.0])


def test_bad_rate_at_approval_against_brute_force():
    y, x, w = random_sample(n=700, seed=21, decimals=2)
    rates = (0.5, 0.6, 0.7, 0.8, 0.9)
    table = bad_rate_at_approval(y, x, approval_rates=rates, sample_weight=w)
    for rate, row in zip(rates, table.itertuples()):
        # the cut-off is the smallest pd whose share at or below it reaches the target
        shares = [w[x <= c].sum() / w.sum() for c in np.unique(x)]
        expected_cutoff = np.unique(x)[np.argmax(np.array(shares) >= rate)]
        approved = x <= expected_cutoff
        assert row.cutoff_pd == expected_cutoff
        assert row.actual_approval_rate >= rate
        assert row.bad_rate_approved == pytest.approx(np.average(y[approved], weights=w[approved]))
        declined_bads = w[~approved & (y == 1)].sum() / w[y == 1].sum()
        assert row.bads_declined_share == pytest.approx(declined_bads)
    # approving more lets in more bads: bad rate up, bads declined down
    assert table["bad_rate_approved"].is_monotonic_increasing
    assert table["bads_declined_share"].is_monotonic_decreasing


# ------------------------------------------------------------------------------------------
# validation: one rule per test
# ------------------------------------------------------------------------------------------
def test_lengths_differ():
    with pytest.raises(DataError, match=r"y_true has 3 values but pd has 2\. Pass one pd value"):
        auc([0, 1, 1], [0.1, 0.2])


def test_target_not_binary_names_the_values():
    with pytest.raises(
        DataError,
        match=r"^y_true must contain only 0 \(good\) and 1 \(bad\)\. Got values \[2, 3\] instead",
    ):
        ks([0, 1, 2, 3, 3], [0.1, 0.2, 0.3, 0.4, 0.5])


def test_target_as_text_is_refused():
    with pytest.raises(DataError, match=r"Got values \['0', '1'\] instead"):
        auc(np.array(["0", "1"], dtype=object), [0.1, 0.2])


def test_target_with_nan_is_refused():
    with pytest.raises(DataError, match=r"Got values \[nan\] instead"):
        auc([0.0, 1.0, np.nan], [0.1, 0.2, 0.3])


def test_only_one_class():
    with pytest.raises(DataError, match=r"y_true holds only goods \(0\)\. .*need both"):
        gini([0, 0, 0], [0.1, 0.2, 0.3])


def test_only_one_class_with_positive_weight():
    with pytest.raises(DataError, match=r"only bads \(1\) among rows with a positive sample_"):
        auc([0, 1, 1], [0.1, 0.2, 0.3], sample_weight=[0, 1, 1])


def test_nan_in_pd():
    with pytest.raises(DataError, match=r"pd holds NaN in 1 row\(s\) \(first at position 2\)"):
        summary([0, 1, 0, 1], [0.1, 0.2, np.nan, 0.4])


def test_infinite_in_pd():
    with pytest.raises(DataError, match=r"pd holds infinite values in 1 row\(s\)"):
        auc([0, 1], [0.1, np.inf])


def test_nan_in_score():
    with pytest.raises(DataError, match=r"score holds NaN in 1 row\(s\) \(first at position 0\)"):
        band_table([0, 1, 0], score=[np.nan, 500, 600])


def test_pd_not_numeric():
    with pytest.raises(DataError, match=r"pd must hold numbers"):
        auc([0, 1], ["low", "high"])


def test_empty_input():
    with pytest.raises(DataError, match=r"y_true and pd are empty \(0 rows\)"):
        auc([], [])


def test_two_dimensional_pd():
    with pytest.raises(DataError, match=r"pd must be one-dimensional"):
        auc([0, 1], [[0.1, 0.9], [0.2, 0.8]])


def test_negative_weight():
    with pytest.raises(DataError, match=r"sample_weight must be finite and non-negative\. Got -1"):
        auc([0, 1, 1], [0.1, 0.2, 0.3], sample_weight=[1, -1, 1])


def test_weights_of_wrong_length():
    with pytest.raises(DataError, match=r"sample_weight has 2 values but y_true has 3"):
        ks([0, 1, 1], [0.1, 0.2, 0.3], sample_weight=[1, 1])


def test_weights_summing_to_zero():
    with pytest.raises(DataError, match=r"sample_weight sums to 0"):
        ks([0, 1, 1], [0.1, 0.2, 0.3], sample_weight=[0, 0, 0])


def test_band_table_needs_exactly_one_of_pd_and_score():
    with pytest.raises(ConfigError, match=r"exactly one of 'pd' or 'score'\. Got both"):
        band_table([0, 1], pd=[0.1, 0.2], score=[600, 500])
    with pytest.raises(ConfigError, match=r"Got neither"):
        band_table([0, 1])


@pytest.mark.parametrize("bands", [0, True, [0.2, 0.1], [], [0.1, np.nan], "10"])
def test_invalid_bands(bands):
    with pytest.raises(ConfigError, match=r"The 'bands' parameter of band_table must be"):
        band_table([0, 1, 0], pd=[0.1, 0.2, 0.3], bands=bands)


def test_calibration_needs_probabilities():
    with pytest.raises(DataError, match=r"pd must hold probabilities in \[0, 1\]\. Got 1\.5"):
        calibration_table([0, 1, 0], [0.1, 1.5, 0.3])


@pytest.mark.parametrize("rates", [[0.0, 0.5], [1.2], [], "0.5"])
def test_invalid_approval_rates(rates):
    with pytest.raises(ConfigError, match=r"'approval_rates' parameter .* shares in \(0, 1\]"):
        bad_rate_at_approval([0, 1, 0], [0.1, 0.2, 0.3], approval_rates=rates)


def test_errors_are_value_errors():
    assert issubclass(DataError, ValueError)
    assert issubclass(ConfigError, ValueError)


def test_fast_auc_is_sklearns_with_ties_and_weights():
    from sklearn.metrics import roc_auc_score

    from riskresearch.metrics import auc_unchecked

    rng = np.random.default_rng(11)
    for _ in range(100):
        n = int(rng.integers(4, 400))
        y = np.r_[0.0, 1.0, rng.integers(0, 2, n - 2)]
        x = rng.integers(0, int(rng.integers(1, 15)), n).astype(float)  # many ties
        w = rng.uniform(0.0, 3.0, n)
        assert auc_unchecked(y, x, w) == pytest.approx(
            roc_auc_score(y, x, sample_weight=w), abs=1e-12
        )
