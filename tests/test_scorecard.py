"""Logistic scorecards: scaling, sign checks, reason codes, segments
(src/riskresearch/scorecard.py).

Expected scores come from the scaling formula evaluated here, or from empirical odds of
hand-made data; never from the scorecard itself.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from riskresearch.binning import WoeBinner
from riskresearch.development import coefficient_table
from riskresearch.errors import ConfigError, DataError
from riskresearch.metrics import logit_standard_errors
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.selection import FeatureSelector
from tests.sklearn_xfail import expected_failed_checks

CONSUMER_FEATURES = [
    "age",
    "city_tier",
    "education",
    "occupation",
    "stated_monthly_income",
    "employment_years",
    "phone_tenure_months",
    "platform_credit_score",
    "id_verification",
    "registration_to_application_minutes",
    "application_hour",
    "ip_gps_city_mismatch",
    "device_category",
    "model_tier",
    "retail_price",
    "price_vs_retail",
    "lease_term_months",
    "monthly_rent",
    "payment_to_income",
    "bureau_hit",
    "inquiries_1m",
    "inquiries_3m",
    "inquiries_6m",
    "open_accounts",
    "lenders_6m",
    "max_dpd_24m",
    "outstanding_debt",
    "utilisation",
    "debt_to_income",
    "hist_leases",
    "hist_active_leases",
    "hist_writeoffs",
    "hist_max_dpd",
    "hist_months_since_first_lease",
    "hist_applications",
    "hist_declined_applications",
    "partner_id",
]
CATEGORICAL = ["education", "occupation", "id_verification", "device_category", "model_tier"]


def _cells(cells: list[tuple[dict, int, int]]) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows from ``({column: value}, n_good, n_bad)`` cells."""
    rows, y = [], []
    for values, n_good, n_bad in cells:
        rows += [values] * (n_good + n_bad)
        y += [0] * n_good + [1] * n_bad
    return pd.DataFrame(rows), np.asarray(y)


# ------------------------------------------------------------------------------------------
# scaling
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pdo", "base_score", "base_odds", "low", "high"),
    [
        # (goods, bads) of x=0 and x=1: odds base_odds and 2 * base_odds
        (20.0, 600.0, 50.0, (5000, 100), (5000, 50)),
        (40.0, 500.0, 20.0, (4000, 200), (4000, 100)),
    ],
)
def test_score_is_offset_plus_factor_times_log_odds(pdo, base_score, base_odds, low, high):
    X, y = _cells([({"x": 0.0}, *low), ({"x": 1.0}, *high)])
    sc = Scorecard(
        binner=WoeBinner(overrides={"x": {"splits": [0.5]}}),
        selector=None,
        C=1e6,  # (almost) no shrinkage: the fit reproduces each bin's empirical odds
        pdo=pdo,
        base_score=base_score,
        base_odds=base_odds,
    ).fit(X, y)
    factor = pdo / math.log(2)
    offset = base_score - factor * math.log(base_odds)
    assert sc.factor_ == pytest.approx(factor, rel=1e-12)
    assert sc.offset_ == pytest.approx(offset, rel=1e-12)

    # exact: score = offset + factor * ln(good:bad odds) of the model, WoE computed by hand
    total_g, total_b = low[0] + high[0], low[1] + high[1]
    woe = [math.log((g / total_g) / (b / total_b)) for g, b in (low, high)]
    probe = pd.DataFrame({"x": [0.0, 1.0]})
    log_odds_bad = sc.intercept_[0] + sc.coef_[0][0] * np.asarray(woe)
    score = sc.predict_score(probe)
    assert score == pytest.approx(offset - factor * log_odds_bad, rel=1e-12)

    # golden: x=0 has odds base_odds -> base_score; doubling the odds adds pdo points
    # (the solver stops within ~1e-3 of the maximum-likelihood log-odds: a fraction of a point)
    assert score[0] == pytest.approx(base_score, abs=0.25)
    assert score[1] - score[0] == pytest.approx(pdo, abs=0.25)

    proba = sc.predict_proba(probe)
    assert proba.sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-15)
    p_bad = 1 / (1 + np.exp((score - offset) / factor))
    assert proba[:, 1] == pytest.approx(p_bad, rel=1e-12)
    assert proba[0, 1] == pytest.approx(low[1] / sum(low), rel=0.02)
    assert sc.decision_function(probe) == pytest.approx(log_odds_bad, rel=1e-9)
    assert sc.predict(probe).tolist() == [0, 0]
    assert sc.classes_.tolist() == [0, 1]


@pytest.fixture(scope="module")
def synthetic():
    """Three predictive features (one categorical, with NaN and a special code) and a target."""
    rng = np.random.default_rng(21)
    n = 3000
    X = pd.DataFrame(
        {
            "income": rng.lognormal(8, 0.5, n),
            "dpd": rng.poisson(1.0, n).astype(float),
            "job": rng.choice(["clerk", "driver", "nurse", "owner"], n),
        }
    )
    X.loc[rng.choice(n, 150, replace=False), "dpd"] = np.nan
    X.loc[rng.choice(n, 100, replace=False), "income"] = -1.0  # special: not declared
    logit = (
        -2.5
        - 0.6 * (np.log(X["income"].clip(lower=1)) - 8)
        + 0.5 * X["dpd"].fillna(2)
        + 0.7 * (X["job"] == "driver")
    )
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def fitted(synthetic):
    X, y = synthetic
    binner = WoeBinner(
        time_limit=5,
        special_codes={"income": [-1.0]},
        overrides={"dpd": {"splits": [1, 2, 3]}},
    )
    return Scorecard(binner=binner, selector=None).fit(X, y)


def test_points_sum_to_the_score(fitted, synthetic):
    X, _ = synthetic
    idx = fitted.binner_.bin_indices(X)
    brute = sum(fitted.points_[f][idx[f].to_numpy()] for f in fitted.features_)
    assert fitted.predict_score(X) == pytest.approx(brute, rel=1e-12)
    table = fitted.points_table()
    assert list(table.columns) == [
        "feature",
        "bin",
        "count",
        "event_rate",
        "woe",
        "coefficient",
        "points",
    ]
    for f in fitted.features_:
        assert table.loc[table.feature == f, "points"].tolist() == pytest.approx(
            list(fitted.points_[f])
        )


def test_rounding_gives_integer_points(synthetic):
    X, y = synthetic
    binner = WoeBinner(time_limit=5, overrides={"dpd": {"splits": [1, 2, 3]}})
    exact = Scorecard(binner=binner, selector=None).fit(X, y)
    rounded = Scorecard(binner=binner, selector=None, rounding=True).fit(X, y)
    for f in exact.features_:
        assert rounded.points_[f].tolist() == np.round(exact.points_[f]).tolist()
    score = rounded.predict_score(X)
    assert (score == np.round(score)).all()
    assert np.abs(score - exact.predict_score(X)).max() <= 0.5 * len(exact.features_)


def test_integer_weights_match_duplicated_rows(synthetic):
    X, y = synthetic
    X, y = X.iloc[:1500], y[:1500]
    w = np.random.default_rng(4).integers(1, 4, size=len(X))
    overrides = {
        "income": {"splits": [2000.0, 3000.0, 5000.0]},
        "dpd": {"splits": [1, 2, 3]},
        "job": {"groups": [["clerk", "nurse"], ["driver"], ["owner"]]},
    }

    def make():
        return Scorecard(binner=WoeBinner(overrides=overrides), selector=None)

    weighted = make().fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(len(X)), w)
    duplicated = make().fit(X.iloc[rows], y[rows])
    assert weighted.predict_score(X) == pytest.approx(duplicated.predict_score(X), abs=0.01)


# ------------------------------------------------------------------------------------------
# sign check
# ------------------------------------------------------------------------------------------
# x2 is safer on its own (through its link to x1) but riskier at fixed x1: in the joint model
# its coefficient turns to the wrong sign.
SIGN_CELLS = [
    ({"x1": 0, "x2": 0}, 280, 120),
    ({"x1": 0, "x2": 1}, 60, 40),
    ({"x1": 1, "x2": 0}, 95, 5),
    ({"x1": 1, "x2": 1}, 360, 40),
]
SIGN_BINNER = WoeBinner(overrides={"x1": {"splits": [0.5]}, "x2": {"splits": [0.5]}})


def test_reversed_feature_has_positive_coefficient_by_construction():
    X, y = _cells(SIGN_CELLS)
    # marginally x2 = 1 is safer ...
    assert y[X.x2 == 1].mean() < y[X.x2 == 0].mean()
    # ... so its WoE is higher, yet with x1 in the model more WoE means more risk
    woe = pd.DataFrame(
        {c: np.where(X[c] == 1, 1.0, 0.0) * (y[X[c] == 0].mean() - y[X[c] == 1].mean()) for c in X}
    )
    lr = LogisticRegression(C=1.0).fit(woe, y)
    assert lr.coef_[0][0] < 0 < lr.coef_[0][1]


def test_sign_check_drop_removes_wrong_sign_feature():
    X, y = _cells(SIGN_CELLS)
    sc = Scorecard(binner=SIGN_BINNER, selector=None, sign_check="drop").fit(X, y)
    assert sc.features_ == ["x1"]
    report = sc.selection_report_.set_index("feature")
    assert not report.loc["x2", "selected"]
    assert re.match(
        r"wrong sign: coefficient \+\d\.\d{3} \(more WoE = more risk\); dropped",
        report.loc["x2", "reason"],
    )
    assert report.loc["x1", "sign_ok"]
    assert sc.coef_.shape == (1, 1)
    assert sc.coef_[0][0] < 0
    # the refit is the regression on the remaining WoE column alone, to the bit
    alone = LogisticRegression(C=sc.C, max_iter=2000).fit(sc.binner_.transform(X)[["x1"]], y)
    np.testing.assert_array_equal(sc.coef_, alone.coef_)
    np.testing.assert_array_equal(sc.intercept_, alone.intercept_)


def test_sign_check_flag_keeps_wrong_sign_feature():
    X, y = _cells(SIGN_CELLS)
    sc = Scorecard(binner=SIGN_BINNER, selector=None, sign_check="flag").fit(X, y)
    assert sc.features_ == ["x1", "x2"]
    report = sc.selection_report_.set_index("feature")
    assert report.loc["x2", "sign_ok"] is not pd.NA and not report.loc["x2", "sign_ok"]
    assert report.loc["x1", "sign_ok"] is not pd.NA and report.loc["x1", "sign_ok"]
    assert report.loc["x2", "coefficient"] > 0
    assert report.loc["x2", "reason"].startswith("selected; wrong sign flagged (+")


# ------------------------------------------------------------------------------------------
# reason codes
# ------------------------------------------------------------------------------------------
def _value_in_bin(fb, i):
    """A raw value that falls in bin ``i`` of a FeatureBins."""
    if i == fb.missing_index:
        return np.nan
    if i == fb.special_index:
        return fb.special_codes[0]
    if fb.dtype == "categorical":
        return fb.groups[i][0]
    edges = [fb.splits[0] - 1.0, *fb.splits]
    return edges[i]


def test_reason_codes_match_brute_force(fitted, synthetic):
    X, _ = synthetic
    sample = X.iloc[:300]
    codes = fitted.reason_codes(sample, n=2)
    idx = fitted.binner_.bin_indices(sample)
    lost = pd.DataFrame(
        {
            f: fitted.points_[f].max() - fitted.points_[f][idx[f].to_numpy()]
            for f in fitted.features_
        }
    )
    for i in range(len(sample)):
        row = lost.iloc[i].sort_values(ascending=False, kind="stable")
        row = row[row > 1e-9]
        want = list(row.index[:2]) + [None] * (2 - min(len(row), 2))
        got = [codes[f"reason_{k}"].iloc[i] for k in (1, 2)]
        assert [None if pd.isna(g) else g for g in got] == want
        assert codes["points_lost_1"].iloc[i] == pytest.approx(row.iloc[0] if len(row) else 0.0)


def test_row_at_best_bins_has_no_reason_codes(fitted):
    best = {
        f: _value_in_bin(fitted.binner_.bins_[f], int(np.argmax(fitted.points_[f])))
        for f in fitted.features_
    }
    worst = {
        f: _value_in_bin(fitted.binner_.bins_[f], int(np.argmin(fitted.points_[f])))
        for f in fitted.features_
    }
    frame = pd.DataFrame([best, worst])
    codes = fitted.reason_codes(frame)
    assert pd.isna(codes.loc[0, "reason_1"])
    assert codes.loc[0, "points_lost_1"] == 0.0
    # the row at every worst bin: the top reason loses the most points of all features
    gap = {f: fitted.points_[f].max() - fitted.points_[f].min() for f in fitted.features_}
    assert codes.loc[1, "reason_1"] == max(gap, key=gap.get)
    assert codes.loc[1, "points_lost_1"] == pytest.approx(max(gap.values()))
    assert fitted.predict_score(frame)[0] == pytest.approx(
        sum(fitted.points_[f].max() for f in fitted.features_)
    )


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------
TINY_X = pd.DataFrame({"x": np.arange(40.0), "c": ["a", "b"] * 20})
TINY_Y = np.array([0, 0, 0, 1] * 10)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"pdo": -20},
            re.escape(
                "The 'pdo' parameter of Scorecard must be a positive number. Got -20 instead."
            ),
        ),
        ({"pdo": 0}, r"'pdo' parameter of Scorecard must be a positive number\. Got 0 instead"),
        ({"base_odds": -1.0}, r"'base_odds' parameter of Scorecard must be a positive number"),
        ({"C": "1"}, r"'C' parameter of Scorecard must be a positive number\. Got '1' instead"),
        ({"pdo": True}, r"'pdo' parameter of Scorecard must be a positive number\. Got True"),
        ({"base_score": "600"}, r"'base_score' parameter of Scorecard must be a number"),
        ({"sign_check": "warn"}, r"'sign_check' parameter of Scorecard must be 'drop' or 'flag'"),
    ],
)
def test_bad_parameter_raises(params, match):
    with pytest.raises(ConfigError, match=match):
        Scorecard(**params).fit(TINY_X, TINY_Y)


def test_fit_binner_false_needs_fitted_binner():
    with pytest.raises(ConfigError, match=r"Scorecard\(fit_binner=False\) needs a fitted"):
        Scorecard(binner=WoeBinner(), fit_binner=False).fit(TINY_X, TINY_Y)


def test_fit_binner_false_keeps_reviewed_bins(fitted, synthetic):
    X, y = synthetic
    reviewed = WoeBinner.from_json(fitted.binner_.to_json())
    # the JSON holds the bins at 12 significant digits; read back, they write the same JSON
    assert reviewed.to_json() == fitted.binner_.to_json()
    sc = Scorecard(binner=reviewed, selector=None, fit_binner=False).fit(X, y)
    for f in fitted.features_:
        assert sc.binner_.bins_[f].to_dict() == reviewed.bins_[f].to_dict()
    assert sc.predict_score(X) == pytest.approx(fitted.predict_score(X), rel=1e-12)


@pytest.fixture(scope="module")
def labelled(modeling):
    rows = modeling[(modeling["segment"] == "consumer") & modeling["bad_mature"]].head(4000)
    X = rows[["platform_credit_score", "payment_to_income", "occupation"]]
    y = rows["bad"].to_numpy(dtype=int)
    template = Scorecard(binner=WoeBinner(max_n_bins=4, time_limit=5), selector=None)
    return X, y, template, clone(template).fit(X, y)


@pytest.mark.parametrize(
    ("good", "bad", "pos_label"),
    [(-1, 1, None), (False, True, None), (0, 2, None), ("good", "bad", "bad"), ("b", "a", "a")],
)
def test_any_two_labels_fit_the_same_scorecard(labelled, good, bad, pos_label):
    """sklearn's convention: classes_ sorted, bad = classes_[1] unless pos_label names it;
    the points are those of the 0/1 fit, predict_proba's columns follow classes_ and
    predict returns the labels."""
    X, y01, template, ref = labelled
    y = np.where(y01 == 1, np.array(bad, dtype=object), np.array(good, dtype=object))
    if not isinstance(bad, str):
        y = y.astype(type(bad))
    sc = clone(template).set_params(pos_label=pos_label).fit(X, y)
    assert sc.classes_.tolist() == sorted([good, bad])
    assert sc.to_dict() == ref.to_dict()
    k = sc.classes_.tolist().index(bad)
    proba = sc.predict_proba(X)
    np.testing.assert_allclose(proba[:, k], ref.predict_proba(X)[:, 1], rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert sc.predict(X).tolist() == np.where(ref.predict(X) == 1, bad, good).tolist()
    assert (sc.decision_function(X) > 0).tolist() == (sc.predict(X) == sc.classes_[1]).tolist()


def test_pos_label_must_be_a_label(labelled):
    X, y01, template, _ = labelled
    with pytest.raises(DataError, match=r"pos_label 'bad' is not a label of the target"):
        clone(template).set_params(pos_label="bad").fit(X, y01)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (TINY_Y[:-1], r"Scorecard\.fit: the target has 39 values but X has 40 rows"),
        (np.arange(40) % 3, r"Scorecard\.fit: the target must be binary.*3 labels"),
        (np.zeros(40, dtype=int), r"Scorecard\.fit: the target has only one class \(0\)"),
    ],
)
def test_bad_target_raises(y, match):
    with pytest.raises(DataError, match=match):
        Scorecard().fit(TINY_X, y)


def test_bad_fit_frame_raises():
    with pytest.raises(DataError, match=r"Scorecard\.fit got an empty table"):
        Scorecard().fit(TINY_X.iloc[:0], TINY_Y[:0])
    with pytest.raises(DataError, match=r"column\(s\) 'salary' missing"):
        Scorecard(binner=WoeBinner(features=["x", "salary"])).fit(TINY_X, TINY_Y)
    for value, match in [
        ("n/a", r"column 'x' is numerical but holds text.*'n/a'"),
        (np.inf, r"column 'x' holds \+/-inf"),
        (-np.inf, r"column 'x' holds \+/-inf"),
    ]:
        bad = TINY_X.astype({"x": object})
        bad.loc[7, "x"] = value
        with pytest.raises(DataError, match=match):
            Scorecard(binner=WoeBinner(categorical_features=["c"])).fit(bad, TINY_Y)


@pytest.mark.parametrize("rounding", [False, True])
def test_bad_score_input_raises(synthetic, rounding):
    X, y = synthetic
    sc = Scorecard(
        binner=WoeBinner(time_limit=5, overrides={"dpd": {"splits": [1, 2, 3]}}),
        selector=None,
        rounding=rounding,
    ).fit(X, y)
    with pytest.raises(DataError, match=r"'dpd' missing"):
        sc.predict_score(X.drop(columns="dpd"))
    with pytest.raises(DataError, match="empty table"):
        sc.predict_score(X.iloc[:0])
    for value, match in [
        ("seven", r"'dpd' is numerical but holds text.*'seven'"),
        (np.inf, r"'dpd' holds \+/-inf"),
        (-np.inf, r"'dpd' holds \+/-inf"),
    ]:
        bad = X.iloc[:20].astype({"dpd": object})
        bad.iloc[4, bad.columns.get_loc("dpd")] = value
        with pytest.raises(DataError, match=match):
            sc.predict_score(bad)


def test_prediction_checks_the_number_of_columns(synthetic):
    # a bare array is matched by position: a wider or narrower one must be refused
    X, _ = synthetic
    arr = np.c_[np.arange(10.0), np.arange(10.0), np.arange(10.0)]
    sc = Scorecard(binner=WoeBinner(time_limit=5), selector=None).fit(
        np.c_[X["income"], X["dpd"].fillna(-5)], synthetic[1]
    )
    with pytest.raises(DataError, match="columns"):
        sc.predict_score(arr)


# ------------------------------------------------------------------------------------------
# scikit-learn contract
# ------------------------------------------------------------------------------------------
@parametrize_with_checks(
    [Scorecard(binner=WoeBinner(time_limit=5), selector=None)],
    expected_failed_checks=expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_clone_not_fitted_and_pipeline(synthetic):
    X, y = synthetic
    sc = Scorecard(binner=WoeBinner(time_limit=5), selector=None, pdo=25.0)
    for method in (sc.predict_score, sc.predict_proba, sc.reason_codes):
        with pytest.raises(NotFittedError):
            method(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(sc)
    copy = clone(sc)
    assert copy.get_params()["pdo"] == 25.0
    assert copy.binner is not sc.binner

    pipe = Pipeline(
        [
            ("pick", FunctionTransformer(lambda frame: frame[["income", "dpd"]])),
            ("scorecard", clone(sc)),
        ]
    ).fit(X, y)
    direct = clone(sc).fit(X[["income", "dpd"]], y)
    check_is_fitted(pipe)
    assert pipe.predict_proba(X) == pytest.approx(direct.predict_proba(X[["income", "dpd"]]))
    assert pipe.score(X, y) == pytest.approx((direct.predict(X[["income", "dpd"]]) == y).mean())


# ------------------------------------------------------------------------------------------
# golden numbers on the seeded simulation, against the oracle
# ------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Feature .* has categories never seen:UserWarning")
def test_auc_close_to_oracle(modeling, oracle):
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature]
    months = sorted(data["application_month"].unique())
    test_months = months[-4:]
    train = data[~data["application_month"].isin(test_months)]
    test = data[data["application_month"].isin(test_months)].merge(
        oracle[["application_id", "true_pd"]], on="application_id", validate="1:1"
    )
    assert len(test) > 2000 and len(train) > 6000
    sc = Scorecard(
        binner=WoeBinner(categorical_features=[*CATEGORICAL, "partner_id"], time_limit=5),
        selector=FeatureSelector(forward=False, max_features=10),
    ).fit(train[CONSUMER_FEATURES], train["bad"])
    auc = roc_auc_score(test["bad"], -sc.predict_score(test[CONSUMER_FEATURES]))
    oracle_auc = roc_auc_score(test["bad"], test["true_pd"])
    assert oracle_auc > 0.75
    assert auc >= 0.93 * oracle_auc
    assert roc_auc_score(test["bad"], sc.predict_proba(test[CONSUMER_FEATURES])[:, 1]) == (
        pytest.approx(auc)
    )


# ------------------------------------------------------------------------------------------
# segments
# ------------------------------------------------------------------------------------------
SEGMENTS = {
    "thick": {"segment": "consumer", "bureau_hit": True},
    "thin": {"segment": "consumer", "bureau_hit": False},
}
SEGMENT_FEATURES = [
    "platform_credit_score",
    "stated_monthly_income",
    "payment_to_income",
    "employment_years",
    "phone_tenure_months",
    "occupation",
    "segment",
    "bureau_hit",
]
BUREAU = ["utilisation", "max_dpd_24m", "inquiries_6m"]  # all missing without a bureau hit


def _template(**kw):
    return Scorecard(
        binner=WoeBinner(time_limit=5, max_n_bins=5),
        selector=FeatureSelector(forward=False, max_features=4),
        **kw,
    )


@pytest.fixture(scope="module")
def segmented(modeling):
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature]
    X, y = data[SEGMENT_FEATURES], data["bad"].to_numpy()
    model = SegmentedScorecard(
        segments=SEGMENTS, scorecard=_template(), scorecards={"thin": _template(pdo=40.0)}
    ).fit(X, y)
    return model, X, y


def test_segmented_routes_rows_to_their_scorecard(segmented):
    model, X, _ = segmented
    thick = (X["bureau_hit"]).to_numpy()
    assert thick.sum() > 0 and (~thick).sum() > 0
    assert model.assign(X).tolist() == np.where(thick, "thick", "thin").tolist()
    score = model.predict_score(X)
    assert score[thick] == pytest.approx(model.scorecards_["thick"].predict_score(X[thick]))
    assert score[~thick] == pytest.approx(model.scorecards_["thin"].predict_score(X[~thick]))
    assert model.scorecards_["thin"].pdo == 40.0
    assert set(model.scorecards_["thick"].features_) <= set(SEGMENT_FEATURES)


def test_segmented_thin_file_without_bureau_data(modeling):
    # the design's own segmentation: bureau features are all missing for thin-file rows and
    # must end up as one Missing bin (constant WoE, dropped), not crash the binning
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature]
    X = data[SEGMENT_FEATURES + BUREAU]
    assert X.loc[~X["bureau_hit"], BUREAU].isna().all().all()
    model = SegmentedScorecard(segments=SEGMENTS, scorecard=_template()).fit(X, data["bad"])
    assert not set(BUREAU) & set(model.scorecards_["thin"].features_)


def test_segmented_probability_uses_each_segments_scale(segmented):
    model, X, _ = segmented
    thin = ~X["bureau_hit"].to_numpy()
    p = model.predict_proba(X)
    assert p.sum(axis=1) == pytest.approx(np.ones(len(X)))
    expected = model.scorecards_["thin"].predict_proba(X[thin])[:, 1]
    assert p[thin, 1] == pytest.approx(expected, rel=1e-9)


def test_segmented_validation(segmented):
    _, X, y = segmented
    with pytest.raises(ConfigError, match=r"'segments' parameter of SegmentedScorecard"):
        SegmentedScorecard(segments={}).fit(X, y)
    with pytest.raises(DataError, match=r"\d+ row\(s\) match no segment"):
        SegmentedScorecard(segments={"thick": SEGMENTS["thick"]}).fit(X, y)
    with pytest.raises(DataError, match=r"Segment 'thick' has \d+ rows and \d+ bads"):
        SegmentedScorecard(segments=SEGMENTS, scorecard=_template(), min_rows=10**6).fit(X, y)
    with pytest.raises(DataError, match=r"defined on column 'bureau_hit', which the input lacks"):
        SegmentedScorecard(segments=SEGMENTS).fit(X.drop(columns="bureau_hit"), y)
    with pytest.raises(NotFittedError):
        SegmentedScorecard(segments=SEGMENTS).predict_score(X)


def test_coefficient_table_of_a_segmented_scorecard(segmented):
    """development.coefficient_table (what notebook 03 writes to coefficients.csv) gives each
    segment's coefficients with the standard errors of that segment's rows and WoE."""
    model, X, _ = segmented
    table = coefficient_table(model.to_dict(), X)
    assert list(dict.fromkeys(table.segment)) == ["thick", "thin"]
    for name, card in model.scorecards_.items():
        part = table[table.segment == name]
        rows = X[(model.assign(X) == name).to_numpy()]
        assert part.rows.iloc[0] == len(rows)
        assert part.term.tolist() == ["intercept", *card.features_]
        np.testing.assert_allclose(
            part.coefficient, np.r_[card.intercept_, card.coef_.ravel()], rtol=1e-12
        )
        woe = card.binner_.transform(rows[card.binner_.features_])[card.features_]
        se = logit_standard_errors(woe.to_numpy(), card.coef_.ravel(), card.intercept_[0])
        np.testing.assert_allclose(part.std_error, se, rtol=1e-9)
        assert (part.std_error > 0).all()


def test_woe_array_in_c_order_is_what_scikit_learn_fits_on_without_its_copies():
    """The regression's design matrix (WoeBinner.woe_array, C order): the values of those
    columns of the binner's transform, and the same coefficients, to the bit, as scikit-learn
    fitted on the transform's frame (which it copies in C order); in F order it is the
    layout the transform's frame holds."""
    rng = np.random.default_rng(5)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=4000),
            "d": rng.integers(0, 9, 4000).astype(float),
            "e": rng.choice(["x", "y", "z"], 4000),
        }
    )
    y = (rng.random(4000) < 1 / (1 + np.exp(-X["a"] + 0.3 * X["d"]))).astype(int)
    w = rng.choice([1.0, 2.0], 4000)
    binner = WoeBinner().fit(X, y)
    W = binner.transform(X)
    design = binner.woe_array(X, ["d", "a", "e"], order="C")
    assert design.flags.c_contiguous and design.dtype == np.float64
    assert binner.woe_array(X, ["d", "a", "e"]).flags.f_contiguous
    np.testing.assert_array_equal(design, W[["d", "a", "e"]].to_numpy())
    ours = LogisticRegression(C=0.5, max_iter=2000).fit(design, y, sample_weight=w)
    theirs = LogisticRegression(C=0.5, max_iter=2000).fit(W[["d", "a", "e"]], y, sample_weight=w)
    np.testing.assert_array_equal(ours.coef_, theirs.coef_)
    np.testing.assert_array_equal(ours.intercept_, theirs.intercept_)
