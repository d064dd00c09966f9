"""Feature selection on WoE features (src/riskresearch/selection.py).

Every expectation is recomputed here (IV by brute force, correlation with pandas, VIF by
regression, forward-selection AUC by refitting), not read back from the selector.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from riskresearch.binning import WoeBinner
from riskresearch.errors import ConfigError, DataError
from riskresearch.selection import FeatureSelector, _logit_newton


# ------------------------------------------------------------------------------------------
# data: a strong signal, its near-copy, a second signal and pure noise
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def woe_data():
    rng = np.random.default_rng(11)
    n = 4000
    signal = rng.normal(size=n)
    other = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "signal": signal,
            "dup": signal + rng.normal(scale=0.05, size=n),
            "other": other,
            "noise": rng.normal(size=n),
        }
    )
    logit = -2.2 + 1.2 * signal + 0.8 * other
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    # a fixed median split keeps the noise feature at two bins (a small, non-zero IV)
    binner = WoeBinner(time_limit=5, overrides={"noise": {"splits": [float(X.noise.median())]}})
    W = binner.fit_transform(X, y)
    iv = binner.iv_summary().set_index("feature")["iv"]
    return W, y, iv


def _brute_iv(woe: pd.Series, y: np.ndarray) -> float:
    """IV from the rows: per distinct WoE value, (%good - %bad) * ln(%good / %bad)."""
    total = 0.0
    for value in woe.unique():
        rows = (woe == value).to_numpy()
        g = ((y == 0) & rows).sum() / (y == 0).sum()
        b = ((y == 1) & rows).sum() / (y == 1).sum()
        total += (g - b) * np.log(g / b)
    return total


def test_noise_is_dropped_for_low_iv(woe_data):
    W, y, iv = woe_data
    sel = FeatureSelector(forward=False).fit(W, y, iv=iv)
    report = sel.report_.set_index("feature")
    noise_iv = _brute_iv(W["noise"], y)
    assert noise_iv < 0.02
    assert report.loc["noise", "iv"] == pytest.approx(noise_iv)
    assert not report.loc["noise", "selected"]
    assert report.loc["noise", "reason"] == f"IV {noise_iv:.4f} < min_iv 0.02"
    assert "noise" not in sel.selected_


def test_iv_computed_from_woe_when_not_given(woe_data):
    W, y, iv = woe_data
    report = FeatureSelector(forward=False).fit(W, y).report_.set_index("feature")
    for name in W.columns:
        assert report.loc[name, "iv"] == pytest.approx(_brute_iv(W[name], y), rel=1e-9)
        assert report.loc[name, "iv"] == pytest.approx(iv[name], rel=1e-9)


def test_lower_iv_twin_dropped_for_correlation(woe_data):
    W, y, iv = woe_data
    assert abs(W["signal"].corr(W["dup"])) > 0.7
    keep, drop = sorted(["signal", "dup"], key=lambda f: -iv[f])
    sel = FeatureSelector(forward=False).fit(W, y, iv=iv)
    report = sel.report_.set_index("feature")
    assert keep in sel.selected_
    assert drop not in sel.selected_
    corr = abs(W[keep].corr(W[drop]))
    assert report.loc[drop, "reason"] == (
        f"WoE correlation {corr:.2f} > 0.7 with '{keep}' (higher IV)"
    )
    assert "other" in sel.selected_


def test_every_dropped_feature_has_a_reason(woe_data):
    W, y, iv = woe_data
    report = FeatureSelector(forward=False).fit(W, y, iv=iv).report_
    assert set(report["feature"]) == set(W.columns)
    dropped = report[~report["selected"]]
    assert len(dropped) == 2
    assert (dropped["reason"].str.len() > 0).all()
    assert (report.loc[report["selected"], "reason"] == "selected").all()


def test_max_iv_flags_suspicious_feature(woe_data):
    W, y, iv = woe_data
    top = iv.idxmax()
    limit = float(iv.sort_values().iloc[-2] + iv.max()) / 2  # between the top two IVs
    report = FeatureSelector(forward=False, max_iv=limit).fit(W, y, iv=iv).report_
    row = report.set_index("feature").loc[top]
    assert not row["selected"]
    assert row["reason"] == f"IV {iv[top]:.3f} > max_iv {limit}: check for leakage"


def test_constant_woe_feature_dropped(woe_data):
    W, y, _ = woe_data
    W = W.assign(flat=0.0)
    report = FeatureSelector(forward=False).fit(W, y).report_.set_index("feature")
    assert report.loc["flat", "reason"] == "constant WoE (a single bin)"


def _regression_vif(X: pd.DataFrame, col: str) -> float:
    """VIF_j = 1 / (1 - R^2_j), regressing feature j on the others."""
    others = X.drop(columns=col)
    r2 = LinearRegression().fit(others, X[col]).score(others, X[col])
    return 1 / (1 - r2)


def test_vif_drops_near_linear_combination():
    rng = np.random.default_rng(2)
    n = 3000
    a, b = rng.normal(size=n), rng.normal(size=n)
    W = pd.DataFrame({"a": a, "b": b, "c": a + b + rng.normal(scale=0.01, size=n)})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(2 + a - b))).astype(int)
    iv = {"a": 0.3, "b": 0.2, "c": 0.1}
    # pairwise correlations (~0.71) pass max_corr=0.9; only the VIF step can catch the combo
    assert W.corr().abs().where(~np.eye(3, dtype=bool)).max().max() < 0.9
    vifs = {c: _regression_vif(W, c) for c in W}
    worst = max(vifs, key=vifs.get)
    sel = FeatureSelector(forward=False, max_corr=0.9).fit(W, y, iv=iv)
    reason = sel.report_.set_index("feature").loc[worst, "reason"]
    m = re.fullmatch(r"VIF ([0-9.]+) > max_vif 5\.0", reason)
    assert m, reason
    assert float(m.group(1)) == pytest.approx(vifs[worst], rel=1e-3)
    kept = [c for c in W if c != worst]
    assert sorted(sel.selected_) == kept
    assert max(_regression_vif(W[kept], c) for c in kept) < 5


def test_vif_drops_exact_linear_combination():
    # c is exactly a + b: the VIF of each is infinite, so one of them must go
    rng = np.random.default_rng(2)
    n = 3000
    a, b = rng.normal(size=n), rng.normal(size=n)
    W = pd.DataFrame({"a": a, "b": b, "c": a + b})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(2 + a - b))).astype(int)
    sel = FeatureSelector(forward=False, max_corr=0.9).fit(W, y, iv={"a": 0.3, "b": 0.2, "c": 0.1})
    assert len(sel.selected_) == 2
    dropped = sel.report_[~sel.report_["selected"]]
    assert dropped["reason"].str.startswith("VIF").all()


def test_forward_selection_on_seeded_data(modeling):
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature]
    features = [
        "platform_credit_score",
        "utilisation",
        "stated_monthly_income",
        "payment_to_income",
        "employment_years",
        "phone_tenure_months",
        "inquiries_6m",
        "occupation",
        "age",
    ]
    y = data["bad"].to_numpy().astype(int)
    binner = WoeBinner(time_limit=5, max_n_bins=6).fit(data[features], y)
    W = binner.transform(data[features])
    iv = binner.iv_summary().set_index("feature")["iv"]
    sel = FeatureSelector(max_features=3).fit(W, y, iv=iv)

    report = sel.report_.set_index("feature")
    assert [report.loc[f, "step"] for f in sel.selected_] == list(range(1, len(sel.selected_) + 1))
    dropped = report[~report["selected"]]
    assert (dropped["reason"].str.len() > 0).all()

    # refit the greedy search here: the same split, one logistic regression per candidate
    idx = np.arange(len(W))
    tr, va = train_test_split(idx, test_size=0.3, stratify=y, random_state=0)
    filtered = ("IV", "WoE", "VIF", "constant")
    survivors = [f for f in report.index if not report.loc[f, "reason"].startswith(filtered)]

    def auc(cols):  # scikit-learn's regression run to convergence (the selector uses Newton)
        lr = LogisticRegression(tol=1e-10, max_iter=10_000).fit(W.iloc[tr][cols], y[tr])
        return roc_auc_score(y[va], lr.decision_function(W.iloc[va][cols]))

    first = max(survivors, key=lambda f: auc([f]))
    assert sel.selected_[0] == first
    assert sel.valid_auc_ == pytest.approx(auc(sel.selected_), abs=1e-9)
    assert sel.valid_auc_ > 0.7
    assert len(sel.selected_) == 3  # golden: every candidate adds AUC until max_features
    beyond = [f for f in survivors if f not in sel.selected_]
    assert beyond
    assert all(report.loc[f, "reason"] == "beyond max_features 3" for f in beyond)


@pytest.mark.parametrize("C", [1.0, 0.05])
def test_newton_logit_is_sklearns_optimum(C):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, 3))
    y = (rng.uniform(size=4000) < 1 / (1 + np.exp(2.5 - X @ [1.0, -0.6, 0.1]))).astype(float)
    w = rng.uniform(0.2, 3.0, size=4000)
    lr = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    coef = _logit_newton(X, y, w, C=C)
    np.testing.assert_allclose(coef, np.r_[lr.intercept_, lr.coef_[0]], atol=1e-7)


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"min_iv": -0.1},
            r"'min_iv' parameter of FeatureSelector must be a number >= 0\. Got -0\.1",
        ),
        (
            {"max_corr": 0},
            r"'max_corr' parameter of FeatureSelector must be a number in \(0, 1\]\. Got 0 ",
        ),
        ({"max_corr": 1.5}, r"'max_corr' parameter .* Got 1\.5 instead"),
        ({"max_vif": 0.5}, r"'max_vif' parameter of FeatureSelector .* Got 0\.5 instead"),
        ({"max_features": 0}, r"'max_features' parameter of FeatureSelector .* Got 0 instead"),
        ({"max_features": 2.5}, r"'max_features' parameter .* Got 2\.5 instead"),
        ({"valid_size": 1.0}, r"'valid_size' parameter of FeatureSelector .* Got 1\.0 instead"),
    ],
)
def test_bad_parameter_raises(woe_data, params, match):
    W, y, _ = woe_data
    with pytest.raises(ConfigError, match=match):
        FeatureSelector(**params).fit(W, y)


def test_non_numeric_parameter_raises_config_error(woe_data):
    W, y, _ = woe_data
    with pytest.raises(ConfigError, match=r"'min_iv' parameter of FeatureSelector"):
        FeatureSelector(min_iv="high").fit(W, y)


@pytest.mark.parametrize(
    ("make_y", "match"),
    [
        (lambda y: y[:-1], r"FeatureSelector\.fit: the target has 3999 values but X has 4000"),
        (lambda y: y * 2, r"target must be binary, 0 \(good\) or 1 \(bad\)\. Got values \['2'\]"),
        (lambda y: np.ones_like(y), r"the target has only one class \(1\)"),
    ],
)
def test_bad_target_raises(woe_data, make_y, match):
    W, y, _ = woe_data
    with pytest.raises(DataError, match=match):
        FeatureSelector(forward=False).fit(W, make_y(y))


def test_empty_frame_raises(woe_data):
    W, _, _ = woe_data
    with pytest.raises(DataError, match=r"FeatureSelector\.fit got an empty table"):
        FeatureSelector().fit(W.iloc[:0], np.array([], dtype=int))


def test_transform_keeps_selected_columns_in_order(woe_data):
    W, y, iv = woe_data
    sel = FeatureSelector(forward=False).fit(W, y, iv=iv)
    out = sel.transform(W)
    assert list(out.columns) == sel.selected_
    pd.testing.assert_frame_equal(out, W[sel.selected_])
    assert list(sel.get_feature_names_out()) == sel.selected_


def test_transform_names_missing_column(woe_data):
    W, y, iv = woe_data
    sel = FeatureSelector(forward=False).fit(W, y, iv=iv)
    gone = sel.selected_[0]
    with pytest.raises(DataError, match=f"'{gone}'"):
        sel.transform(W.drop(columns=gone))


def test_nan_in_woe_raises(woe_data):
    # WoE is never NaN: a NaN means the input was not transformed by a binner
    W, y, iv = woe_data
    W = W.copy()
    W.iloc[5, 0] = np.nan
    with pytest.raises(DataError, match=W.columns[0]):
        FeatureSelector(forward=False).fit(W, y, iv=iv)


# ------------------------------------------------------------------------------------------
# scikit-learn contract
# ------------------------------------------------------------------------------------------
BINARY = "needs a 0/1 target (y == 1 is bad); the check fits on a multiclass target"
EXPECTED_FAILED = {
    **dict.fromkeys(
        [
            "check_fit_score_takes_y",
            "check_estimators_overwrite_params",
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
            "check_estimators_dtypes",
            "check_sample_weights_pandas_series",
            "check_sample_weights_not_an_array",
            "check_sample_weights_list",
            "check_sample_weights_shape",
            "check_sample_weights_not_overwritten",
            "check_sample_weight_equivalence_on_dense_data",
            "check_dtype_object",
            "check_f_contiguous_array_estimator",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit2d_1feature",
            "check_dict_unchanged",
            "check_fit2d_predict1d",
        ],
        BINARY,
    ),
    "check_all_zero_sample_weights_error": "DataError says 'positive sum' (house wording), "
    "not sklearn's 'zero weight' wording",
    "check_estimator_sparse_tag": "sparse input is not supported (dense table or DataFrame)",
    "check_estimator_sparse_array": "sparse input is not supported (dense table or DataFrame)",
    "check_estimator_sparse_matrix": "sparse input is not supported (dense table or DataFrame)",
    "check_transformer_preserve_dtypes": "transform returns a DataFrame",
}


def _contract_checks():
    """The checks, or one case that fails with the reason they cannot even be listed."""
    try:
        return parametrize_with_checks(
            [FeatureSelector(forward=False)],
            expected_failed_checks=lambda est: EXPECTED_FAILED,
            xfail_strict=True,
        ), None
    except RuntimeError as exc:  # e.g. a transformer without transformer tags
        return pytest.mark.parametrize(("estimator", "check"), [(None, None)]), str(exc)


_CHECKS, _CHECKS_ERROR = _contract_checks()


@_CHECKS
def test_sklearn_contract(estimator, check):
    if _CHECKS_ERROR is not None:
        pytest.fail(f"parametrize_with_checks cannot list the checks: {_CHECKS_ERROR}")
    check(estimator)


def test_clone_not_fitted_and_pipeline(woe_data):
    W, y, _ = woe_data
    sel = FeatureSelector(forward=False, max_corr=0.8)
    with pytest.raises(NotFittedError):
        sel.transform(W)
    with pytest.raises(NotFittedError):
        check_is_fitted(sel)
    assert clone(sel).get_params() == sel.get_params()
    pipe = Pipeline([("select", clone(sel)), ("lr", LogisticRegression())]).fit(W, y)
    direct = clone(sel).fit(W, y)
    assert list(pipe[:-1].get_feature_names_out()) == direct.selected_
    lr = LogisticRegression().fit(W[direct.selected_], y)
    assert pipe.predict_proba(W) == pytest.approx(lr.predict_proba(W[direct.selected_]))
