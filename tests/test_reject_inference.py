"""Reject inference: each method's augmented sample on tiny hand-built data, sample weights
through every fit (binning, selection, logistic regression, LightGBM), the oracle read only by
evaluation, the config rules, and a loose regression on the simulated platform."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression

from riskresearch import reject_inference as ri
from riskresearch.binning import WoeBinner
from riskresearch.config import config_from_dict, declined_filter
from riskresearch.development import develop, load_split, write_scorecard
from riskresearch.errors import ConfigError, DataError
from riskresearch.gbm import GbmClassifier
from riskresearch.gbm_development import develop_gbm
from riskresearch.plots import reject_diagnostics_plot, reject_inference_plot
from riskresearch.reject_inference import SOURCE, WEIGHT, augment
from riskresearch.reject_sample import load_declines
from riskresearch.scorecard import Scorecard
from riskresearch.selection import FeatureSelector
from tests.conftest import ROOT

# a few strong consumer features keep every fit on the 20k-application fixture quick
FEATURES = [
    "platform_credit_score",
    "age",
    "lenders_6m",
    "max_dpd_24m",
    "inquiries_3m",
    "payment_to_income",
    "occupation",
    "id_verification",
    "hist_writeoffs",
    "utilisation",
]


def _raw(modeling_path, oracle=None, **reject) -> dict:
    raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
    raw["data"]["table"] = str(modeling_path)
    raw["data"].pop("warehouse", None)  # reject inference needs the modeling table only
    if oracle is None:
        raw["data"].pop("oracle")
    else:
        raw["data"]["oracle"] = str(oracle)
    raw["features"] = {"include": FEATURES, "categorical": ["occupation", "id_verification"]}
    raw["selection"]["max_features"] = 8
    raw["gbm"] = {"num_boost_round": 150, "early_stopping_rounds": 30}
    raw.pop("reject_inference", None)  # each test sets its own (the shipped one is measured)
    if reject:
        raw["reject_inference"] = reject
    return raw


def _cfg(modeling_path, oracle=None, **reject):
    return config_from_dict(_raw(modeling_path, oracle, **reject))


def _table(df: pd.DataFrame) -> list[tuple]:
    """Rows as plain tuples (exact comparison of small frames)."""
    return [tuple(r) for r in df.itertuples(index=False)]


# ------------------------------------------------------------------------------------------
# the augmented sample, exactly as defined
# ------------------------------------------------------------------------------------------
ACCEPTS = pd.DataFrame({"x": [1.0, 2.0], "bad": [0, 1]})
DECLINES = pd.DataFrame({"x": [3.0, 4.0], "bad": [np.nan, np.nan]})


def test_none_is_the_accepts_with_unit_weights():
    out = augment(ACCEPTS, DECLINES, "none")
    assert _table(out[["x", "bad", WEIGHT, SOURCE]]) == [
        (1.0, 0, 1.0, "accepted"),
        (2.0, 1, 1.0, "accepted"),
    ]


def test_fuzzy_enters_each_decline_as_bad_with_p_and_good_with_1_minus_p():
    out = augment(ACCEPTS, DECLINES, "fuzzy", pd_declines=[0.2, 0.7])
    assert _table(out[["x", "bad", SOURCE]]) == [
        (1.0, 0, "accepted"),
        (2.0, 1, "accepted"),
        (3.0, 1, "declined_bad"),
        (4.0, 1, "declined_bad"),
        (3.0, 0, "declined_good"),
        (4.0, 0, "declined_good"),
    ]
    assert out[WEIGHT].tolist() == pytest.approx([1, 1, 0.2, 0.7, 0.8, 0.3], abs=1e-15)
    assert list(out.index) == list(range(6))


def test_fuzzy_multiplies_existing_row_weights():
    acc = ACCEPTS.assign(w=[2.0, 1.0])
    dec = DECLINES.assign(w=[3.0, 0.5])
    out = augment(acc, dec, "fuzzy", weight_column="w", pd_declines=[0.2, 0.7])
    assert out[WEIGHT].tolist() == pytest.approx([2, 1, 0.6, 0.35, 2.4, 0.15], abs=1e-15)
    assert out["w"].tolist() == [2.0, 1.0, 3.0, 0.5, 3.0, 0.5]  # the input column is kept


def test_fuzzy_leaves_out_rows_of_weight_zero():
    out = augment(ACCEPTS, DECLINES, "fuzzy", pd_declines=[0.0, 1.0])
    assert _table(out[["x", "bad", WEIGHT, SOURCE]])[2:] == [
        (4.0, 1, 1.0, "declined_bad"),
        (3.0, 0, 1.0, "declined_good"),
    ]


PARCEL_ACC = pd.DataFrame(
    {
        "score": [500, 520, 540, 560, 600, 620, 640, 660],
        "bad": [1, 1, 0, 0, 1, 0, 0, 0],
    }
)
PARCEL_DEC = pd.DataFrame({"score": [510, 580, 700]})


def test_parceling_gives_each_decline_its_band_bad_rate_times_the_factor():
    # band 1 (< 580): 2 bads in 4 -> 0.5 * 1.5; band 2 (>= 580): 1 in 4 -> 0.25 * 2
    out = augment(
        PARCEL_ACC,
        PARCEL_DEC,
        "parceling",
        score_accepts=PARCEL_ACC.score,
        score_declines=PARCEL_DEC.score,
        bands=[580],
        factors=[1.5, 2.0],
    )
    dec = out[out[SOURCE] != "accepted"]
    assert _table(dec[["score", "bad", SOURCE]]) == [
        (510, 1, "declined_bad"),
        (580, 1, "declined_bad"),  # a cut point belongs to the band above
        (700, 1, "declined_bad"),
        (510, 0, "declined_good"),
        (580, 0, "declined_good"),
        (700, 0, "declined_good"),
    ]
    assert dec[WEIGHT].tolist() == pytest.approx([0.75, 0.5, 0.5, 0.25, 0.5, 0.5])


def test_parceling_caps_the_rate_at_one_and_uses_equal_count_bands():
    out = augment(
        PARCEL_ACC,
        PARCEL_DEC,
        "parceling",
        score_accepts=PARCEL_ACC.score,
        score_declines=PARCEL_DEC.score,
        bands=2,  # equal-count: the first four scores, then the last four (cut at 600)
        factors=[3.0, 1.0],
    )
    assert ri.score_band_edges(PARCEL_ACC.score, 2).tolist() == [600.0]
    dec = out[out[SOURCE] != "accepted"]
    assert _table(dec[["score", "bad", WEIGHT]]) == [
        (510, 1, 1.0),  # 0.5 * 3 capped at 1: no good row left
        (580, 1, 1.0),
        (700, 1, 0.25),
        (700, 0, 0.75),
    ]


def test_parceling_needs_one_factor_per_band():
    with pytest.raises(ConfigError, match=r"one per score band \(2 bands here"):
        augment(
            PARCEL_ACC,
            PARCEL_DEC,
            "parceling",
            score_accepts=PARCEL_ACC.score,
            score_declines=PARCEL_DEC.score,
            bands=[580],
            factors=[1.0, 1.0, 1.0],
        )


HARD_DEC = pd.DataFrame({"score": [500.0, 520.0, 540.0, 560.0]})
HARD_PD = [0.4, 0.3, 0.2, 0.1]


def _hard(**kw) -> list[tuple]:
    out = augment(ACCEPTS, HARD_DEC, "hard_cutoff", pd_declines=HARD_PD, **kw)
    dec = out[out[SOURCE] != "accepted"]
    return sorted(_table(dec[["score", "bad", WEIGHT, SOURCE]]))


def test_hard_cutoff_default_labels_as_many_bads_as_the_model_expects():
    # mean PD 0.25 of 4 declines: the riskiest one is bad, the rest good, weight 1
    assert _hard(score_declines=HARD_DEC.score) == [
        (500.0, 1, 1.0, "declined_bad"),
        (520.0, 0, 1.0, "declined_good"),
        (540.0, 0, 1.0, "declined_good"),
        (560.0, 0, 1.0, "declined_good"),
    ]


def test_hard_cutoff_by_score_and_by_share():
    by_score = _hard(score_declines=HARD_DEC.score, cutoff_score=530)
    by_share = _hard(score_declines=HARD_DEC.score, cutoff_bad_share=0.5)
    assert by_score == by_share
    assert [r[1] for r in by_score] == [1, 1, 0, 0]


def test_hard_cutoff_ties_at_the_cutoff_are_all_bad():
    dec = pd.DataFrame({"score": [500.0, 500.0, 540.0, 560.0]})
    out = augment(ACCEPTS, dec, "hard_cutoff", score_declines=dec.score, cutoff_bad_share=0.25)
    assert out.loc[out[SOURCE] == "declined_bad", "score"].tolist() == [500.0, 500.0]


def test_reweighting_weights_accepts_by_clipped_inverse_approval():
    acc = pd.DataFrame({"x": [1, 2, 3], "bad": [0, 1, 0], "w": [1.0, 2.0, 3.0]})
    out = augment(acc, DECLINES, "reweighting", approval_accepts=[0.5, 0.05, 1.0], clip=10)
    assert out[WEIGHT].tolist() == [2.0, 10.0, 1.0]
    assert (out[SOURCE] == "accepted").all() and len(out) == 3  # no declined rows
    weighted = augment(
        acc, DECLINES, "reweighting", weight_column="w", approval_accepts=[0.5, 0.05, 1.0]
    )
    assert weighted[WEIGHT].tolist() == [2.0, 20.0, 3.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "smooth"}, ConfigError, "'method' parameter of augment must be one of"),
        ({"method": "fuzzy"}, ConfigError, "augment needs 'pd_declines'"),
        ({"method": "fuzzy", "pd_declines": [0.1]}, DataError, "has 1 values for 2 rows"),
        ({"method": "fuzzy", "pd_declines": [0.1, 1.5]}, DataError, "probabilities in"),
        ({"method": "fuzzy", "pd_declines": [0.1, np.nan]}, DataError, "NaN or infinite"),
        (
            {"method": "reweighting", "approval_accepts": [0.5, 0.0]},
            DataError,
            r"approval probabilities must lie in \(0, 1\]",
        ),
        (
            {"method": "reweighting", "approval_accepts": [0.5, 0.5], "clip": 0.5},
            ConfigError,
            "'clip' parameter of approval_weights",
        ),
        (
            {
                "method": "hard_cutoff",
                "score_declines": [1, 2],
                "cutoff_score": 1,
                "cutoff_bad_share": 0.2,
            },
            ConfigError,
            "both 'cutoff_score' and 'cutoff_bad_share'",
        ),
    ],
)
def test_augment_rejects_bad_input(kwargs, error, match):
    method = kwargs.pop("method")
    with pytest.raises(error, match=match):
        augment(ACCEPTS, DECLINES, method, **kwargs)


def test_augment_needs_a_binary_target_and_free_column_names():
    with pytest.raises(DataError, match="must be 0 \\(good\\) or 1 \\(bad\\)"):
        augment(ACCEPTS.assign(bad=[0, np.nan]), DECLINES, "none")
    with pytest.raises(DataError, match="already has a 'ri_weight' column"):
        augment(ACCEPTS.assign(ri_weight=1.0), DECLINES, "none")


# ------------------------------------------------------------------------------------------
# weights honoured by every fit: a weight of k equals k copies of the row
# ------------------------------------------------------------------------------------------
def _weighted_data(seed=3, n=2000):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"num": rng.normal(size=n), "cat": rng.choice(list("abcdef"), size=n)})
    y = (rng.uniform(size=n) < 0.1 + 0.15 * (X.num > 0) + 0.1 * (X.cat == "a")).astype(int)
    w = rng.integers(1, 4, size=n)
    rows = np.repeat(np.arange(n), w)
    return X, y.to_numpy(), w, X.iloc[rows].reset_index(drop=True), y.to_numpy()[rows]


def test_optimal_binning_weights_equal_duplicated_rows():
    """Also for categories, which optbinning alone orders by their unweighted bad rate."""
    X, y, w, Xd, yd = _weighted_data()
    weighted = WoeBinner().fit(X, y, sample_weight=w)
    duplicated = WoeBinner().fit(Xd, yd)
    for name in ("num", "cat"):
        a, b = weighted.bins_[name], duplicated.bins_[name]
        assert (a.splits, a.groups) == (b.splits, b.groups)
        assert a.good == pytest.approx(b.good) and a.bad == pytest.approx(b.bad)


def test_categories_are_ordered_by_their_weighted_bad_rate():
    """optbinning orders categories by their unweighted bad rate; the weights reverse it
    here, and the bins must follow the weighted one."""
    rng = np.random.default_rng(1)
    n = 3000
    cat = rng.choice(list("abcdef"), n)
    rate = pd.Series(cat).map(dict(zip("abcdef", [0.05, 0.1, 0.15, 0.2, 0.25, 0.3])))
    y = (rng.uniform(size=n) < rate).astype(int).to_numpy()
    boost = pd.Series(cat).map(dict(zip("abcdef", [8, 4, 2, 1, 0.5, 0.25]))).to_numpy()
    w = np.where(y == 1, boost, 1.0)  # the safest categories' bads weigh most
    fb = WoeBinner().fit(pd.DataFrame({"cat": cat}), y, sample_weight=w).bins_["cat"]
    good, bad = np.array(fb.good[: fb.n_regular]), np.array(fb.bad[: fb.n_regular])
    assert (np.diff(bad / (good + bad)) > 0).all()  # weighted bad rate rises along the bins
    assert "f" in fb.groups[0] and "a" not in fb.groups[0]


def test_recount_keeps_the_bins_and_counts_the_weights():
    X, y, w, Xd, yd = _weighted_data()
    binner = WoeBinner().fit(X, y)
    again = binner.recount(X, y, sample_weight=w)
    assert again.bins_["num"].splits == binner.bins_["num"].splits
    assert again.bins_["cat"].groups == binner.bins_["cat"].groups
    assert sum(again.bins_["cat"].bad) == pytest.approx(float(np.sum(w * y)))
    assert binner.bins_["cat"].bad != again.bins_["cat"].bad  # the original is unchanged
    assert again.table().equals(binner.recount(Xd, yd).table())


def test_recount_leaves_unseen_categories_out_of_every_bin():
    """Declined rows may hold categories the reviewed bins never saw (a new partner)."""
    X = pd.DataFrame({"cat": list("aabbcc") * 50})
    y = np.tile([0, 1, 0, 0, 1, 0], 50)
    binner = WoeBinner(max_n_bins=3, min_bin_size=0.1).fit(X, y)
    more = pd.concat([X, pd.DataFrame({"cat": ["z"] * 7})], ignore_index=True)
    y_more = np.r_[y, np.ones(7, dtype=int)]
    again = binner.recount(more, y_more)
    fb = again.bins_["cat"]
    assert sum(fb.bad) == pytest.approx(float(y.sum()))  # the 7 unseen bads count nowhere
    assert sum(fb.good) + sum(fb.bad) == len(X)
    assert again.table().equals(binner.recount(X, y).table())


def test_feature_selection_weights_equal_duplicated_rows():
    """Weighted IV, correlation and VIF: the weights decide which of two features goes."""
    rng = np.random.default_rng(5)
    n = 300
    a = rng.normal(size=n)
    b = np.where(np.arange(n) < 60, a + rng.normal(0, 0.1, n), rng.normal(size=n))
    c = rng.normal(size=n)
    W = pd.DataFrame({"a": np.round(a, 1), "b": np.round(b, 1), "c": np.round(c, 1)})
    y = (rng.uniform(size=n) < 0.3).astype(int)
    w = np.where(np.arange(n) < 60, 30, 1)
    iv = {"a": 0.3, "b": 0.2, "c": 0.1}
    kw = {"forward": False, "max_corr": 0.7}
    weighted = FeatureSelector(**kw).fit(W, y, iv=iv, sample_weight=w)
    rows = np.repeat(np.arange(n), w)
    duplicated = FeatureSelector(**kw).fit(W.iloc[rows], y[rows], iv=iv)
    unweighted = FeatureSelector(**kw).fit(W, y, iv=iv)
    assert weighted.report_.equals(duplicated.report_)
    assert weighted.selected_ == ["a", "c"]  # b correlates with a in the heavy rows
    assert unweighted.selected_ == ["a", "b", "c"]


def test_scorecard_regression_weights_equal_duplicated_rows():
    X, y, w, Xd, yd = _weighted_data()
    overrides = {"num": {"splits": [-0.5, 0.0, 0.7]}, "cat": {"groups": [["a"], list("bcdef")]}}
    card = Scorecard(binner=WoeBinner(overrides=overrides), selector=None)
    weighted = card.fit(X, y, sample_weight=w)
    coef, intercept = weighted.coef_.copy(), weighted.intercept_.copy()
    duplicated = Scorecard(binner=WoeBinner(overrides=overrides), selector=None).fit(Xd, yd)
    np.testing.assert_allclose(coef, duplicated.coef_, rtol=1e-4)
    np.testing.assert_allclose(intercept, duplicated.intercept_, rtol=1e-4)


def test_lightgbm_weights_equal_duplicated_rows():
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {
            "a": rng.integers(0, 15, n).astype(float),
            "b": rng.integers(0, 6, n).astype(float),
            "c": rng.choice(list("xyz"), n),
        }
    )
    y = (rng.uniform(size=n) < 0.1 + 0.04 * X.a / 3 + 0.1 * (X.c == "x")).astype(int)
    w = rng.integers(1, 4, n)
    # row counts must not matter: no bagging, no minimum rows per leaf, bin or category
    params = {
        "bagging_fraction": 1.0,
        "bagging_freq": 0,
        "feature_fraction": 1.0,
        "min_data_in_leaf": 1,
        "min_sum_hessian_in_leaf": 0.0,
        "min_data_in_bin": 1,
        "min_data_per_group": 1,
        "num_leaves": 7,
        "learning_rate": 0.1,
    }
    weighted = GbmClassifier(params=params, num_boost_round=30).fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(n), w)
    duplicated = GbmClassifier(params=params, num_boost_round=30).fit(
        X.iloc[rows].reset_index(drop=True), y.to_numpy()[rows]
    )
    unweighted = GbmClassifier(params=params, num_boost_round=30).fit(X, y)
    p = weighted.predict_proba(X)[:, 1]
    np.testing.assert_allclose(p, duplicated.predict_proba(X)[:, 1], atol=1e-7)
    assert np.abs(p - unweighted.predict_proba(X)[:, 1]).max() > 0.01


# ------------------------------------------------------------------------------------------
# config
# ------------------------------------------------------------------------------------------
def test_default_is_accepts_only_and_declines_are_selected_by_the_segment(modeling_path):
    cfg = _cfg(modeling_path)
    assert cfg.reject_inference.method == "none"
    assert declined_filter(cfg) == {"segment": "consumer", "declined": True}
    raw = _raw(modeling_path)
    raw["reject_inference"] = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())[
        "reject_inference"
    ]
    shipped = config_from_dict(raw).reject_inference  # the measured choice (benchmark)
    assert shipped.applies("scorecard") and not shipped.applies("gbm")


@pytest.mark.parametrize(
    ("reject", "match"),
    [
        ({"method": "smooth"}, r"'reject_inference.method' parameter .* input should be"),
        ({"parceling_factors": [1, 2]}, "lists 2 factors for 10 bands"),
        ({"parceling_factors": [1, 0]}, "parceling_factors must be positive numbers"),
        ({"cutoff_score": 500, "cutoff_bad_share": 0.2}, "both cutoff_score and cutoff_bad_share"),
        ({"cutoff_bad_share": 1.5}, "'reject_inference.cutoff_bad_share' parameter"),
        ({"clip": 0.5}, "'reject_inference.clip' parameter"),
        ({"bands": 1}, "'reject_inference.bands' parameter"),
        ({"apply_to": ["fraud"]}, r"'reject_inference.apply_to.0' parameter"),
        ({"declined_filter": {}}, "declined_filter is empty"),
        ({"declined_exempt": ["bad_matur"]}, r"declined_exempt names \['bad_matur'\]"),
        (
            {"declined_filter": {"declined": True, "segment": "enterprise"}},
            r"wants segment = 'enterprise' but data.filter keeps segment = 'consumer'",
        ),
        (
            {"method": "fuzzy", "declined_filter": {"segment": "consumer"}},
            "which data.filter keeps as accepted rows too",
        ),
    ],
)
def test_config_rules(modeling_path, reject, match):
    with pytest.raises(ConfigError, match=match) as exc:
        _cfg(modeling_path, **reject)
    assert "\n" not in str(exc.value)


# ------------------------------------------------------------------------------------------
# declined rows from the modeling table
# ------------------------------------------------------------------------------------------
def test_declines_take_the_out_of_time_split_of_the_accepts(modeling_path, modeling):
    cfg = _cfg(modeling_path, method="fuzzy")
    train, test = load_split(cfg)
    d_train, d_test = ri.load_declines(cfg, train, test)
    month = "application_month"
    assert d_train[month].max() < test[month].min() <= d_test[month].min()
    assert d_test[month].max() == test[month].max()  # later, immature months are left out
    assert set(d_test[month]) == set(test[month])
    for d in (d_train, d_test):
        assert d.declined.all() and (d.segment == "consumer").all() and d.bad.isna().all()
    declined = modeling[(modeling.segment == "consumer") & modeling.declined]
    assert len(d_train) + len(d_test) < len(declined)
    assert not set(d_train.application_id) & set(train.application_id)


def test_declined_rows_must_exist(modeling_path):
    cfg = _cfg(modeling_path, method="fuzzy", declined_filter={"decision": "rejected"})
    train, test = load_split(cfg)
    with pytest.raises(DataError, match=r"No row of .* matches the declined filter"):
        ri.load_declines(cfg, train, test)


# ------------------------------------------------------------------------------------------
# on the simulated platform: every fit runs once, with the oracle file gone
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fits(modeling_path, warehouse, tmp_path_factory):
    """develop, develop_gbm, every method's sample and the diagnostics, fitted while the
    oracle file does not exist and with spies on duckdb.connect and every fit."""
    oracle = tmp_path_factory.mktemp("oracle") / "oracle.duckdb"
    shutil.copy(warehouse, oracle)
    cfg = _cfg(modeling_path, oracle, method="fuzzy")  # validation wants the file to exist
    events: list[tuple[str, np.ndarray | None]] = []
    with pytest.MonkeyPatch.context() as mp:
        _spy_fits(mp, events)
        oracle.unlink()  # nothing can read the oracle now: fitting must not need it
        train, test = load_split(cfg)
        accepts_model = ri.accepts_only_model(cfg, train)
        samples = {
            m: ri.reject_sample(cfg, train, test, method=m, accepts_model=accepts_model)
            for m in ri.METHODS
        }
        start = len(events)
        dev = develop(cfg)
        develop_events = events[start:]
        start = len(events)
        gdev = develop_gbm(cfg)
        gbm_events = events[start:]
        diag = ri.no_oracle_diagnostics(cfg)
        start = len(events)
        diag_shared = ri.no_oracle_diagnostics(cfg, accepts_model=dev.accepts_model)
        diag_shared_events = events[start:]
    return SimpleNamespace(
        cfg=cfg,
        oracle=oracle,
        events=events,
        samples=samples,
        dev=dev,
        develop_events=develop_events,
        gdev=gdev,
        gbm_events=gbm_events,
        diag=diag,
        diag_shared=diag_shared,
        diag_shared_events=diag_shared_events,
    )


def _spy_fits(mp, events):
    """Record ``(name, sample_weight)`` of every fit and ``("connect <path>", None)`` of every
    DuckDB connection."""
    for cls, name in (
        (WoeBinner, "binning"),
        (FeatureSelector, "selection"),
        (LogisticRegression, "regression"),
        (GbmClassifier, "lightgbm"),
    ):
        original = cls.fit

        def fit(self, *args, _original=original, _name=name, sample_weight=None, **kwargs):
            w = None if sample_weight is None else np.asarray(sample_weight, float).copy()
            events.append((_name, w))
            return _original(self, *args, sample_weight=sample_weight, **kwargs)

        mp.setattr(cls, "fit", fit)
    connect = duckdb.connect

    def spy_connect(database=":memory:", *args, **kwargs):
        events.append((f"connect {database}", None))
        return connect(database, *args, **kwargs)

    mp.setattr(duckdb, "connect", spy_connect)


def test_diagnostics_reuse_the_accepts_only_fit_of_develop(fits):
    """Handed develop's accepts-only scorecard, the diagnostics fit nothing and agree with
    the diagnostics that fit their own."""
    assert fits.dev.accepts_model is fits.dev.sample.accepts_model
    assert not [name for name, _ in fits.diag_shared_events if not name.startswith("connect")]
    pd.testing.assert_frame_equal(fits.diag_shared.shift, fits.diag.shift)
    pd.testing.assert_frame_equal(fits.diag_shared.kink, fits.diag.kink)
    assert fits.diag_shared.summary == fits.diag.summary


def test_augmented_weights_reach_binning_selection_regression_and_lightgbm(fits):
    """develop and develop_gbm hand the augmented sample's weights to every fit."""
    weights = fits.dev.sample.data[WEIGHT].to_numpy()
    assert 0 < weights.min() < 1 and len(weights) > len(fits.dev.train)  # fuzzy declines
    last = dict(fits.develop_events)  # the final scorecard's fits come last
    for name in ("binning", "selection", "regression"):
        np.testing.assert_array_equal(last[name], weights)
    assert "lightgbm" not in last
    gbm_fits = [w for name, w in fits.gbm_events if name == "lightgbm"]
    assert len(gbm_fits) == 1  # cross-validated early stopping (lightgbm.cv), then one fit
    np.testing.assert_array_equal(gbm_fits[-1], weights)
    binning = [w for name, w in fits.gbm_events if name == "binning"]
    np.testing.assert_array_equal(binning[-1], weights)  # monotone constraints' bins
    assert fits.gdev.metrics["reject_inference"] == fits.dev.metrics["reject_inference"]


def test_every_method_builds_its_sample_from_the_accepts_only_model(fits):
    n_acc, n_dec = len(fits.dev.train), len(fits.samples["fuzzy"].declined_train)
    for method, sample in fits.samples.items():
        data = sample.data
        assert (data[SOURCE] == "accepted").sum() == n_acc
        assert set(data[SOURCE]) <= {"accepted", "declined_bad", "declined_good"}
        if method in ("none", "reweighting"):
            assert len(data) == n_acc
        else:
            # each decline's bad and good rows add up to its weight of one
            assert data.loc[data[SOURCE] != "accepted", WEIGHT].sum() == pytest.approx(n_dec)
    assert (fits.samples["none"].data[WEIGHT] == 1).all()
    assert fits.samples["reweighting"].data[WEIGHT].between(1, 10).all()
    info = fits.samples["parceling"].summary()
    assert info["method"] == "parceling" and info["parceling_factors"] == 1.0
    assert 0.1 < info["declined_implied_bad_rate"] < 1


def test_fitting_never_reads_the_oracle(fits, warehouse, monkeypatch):
    assert any(name == "binning" for name, _ in fits.events)
    assert not [name for name, _ in fits.events if name.startswith("connect")]
    # evaluation reads it, once, after every fit
    shutil.copy(warehouse, fits.oracle)
    events: list[tuple[str, np.ndarray | None]] = []
    _spy_fits(monkeypatch, events)
    result = ri.compare_methods(fits.cfg, methods=("none", "fuzzy"))
    names = [name for name, _ in events]
    reads = [i for i, name in enumerate(names) if name == f"connect {fits.oracle}"]
    assert len(reads) == 1
    assert reads[0] > max(i for i, name in enumerate(names) if not name.startswith("connect"))
    assert result.summary.ttd_auc.notna().all()


def test_develop_records_the_method_in_metrics_json(fits, tmp_path):
    info = fits.dev.metrics["reject_inference"]
    assert info["method"] == "fuzzy" and info["accepted_rows"] == len(fits.dev.train)
    assert fits.dev.metrics["test"]["n"] == len(fits.dev.test)  # observed outcomes only
    write_scorecard(fits.dev, tmp_path)
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["reject_inference"] == info


def test_method_none_fits_exactly_the_accepts_only_scorecard(modeling_path, fits):
    dev = develop(_cfg(modeling_path))
    assert dev.sample is None and "reject_inference" not in dev.metrics
    assert dev.model.to_dict() == fits.samples["none"].accepts_model.to_dict()


def test_compare_methods_on_the_simulated_platform(modeling_path, warehouse):
    cfg = _cfg(modeling_path, warehouse)
    result = ri.compare_methods(cfg)
    s = result.summary.set_index("method")
    assert list(s.index) == list(ri.METHODS)
    # loose regression bounds; the benchmark reports the real figures
    assert (s.n_declined > 300).all() and (s.n_accepted > 2000).all()
    assert ((s.ttd_auc > 0.7) & (s.ttd_auc < s.ttd_oracle_auc)).all()
    assert (s.accepts_auc > 0.65).all()
    assert (s.ttd_cal_error < 0.08).all() and (s.accepts_cal_error < 0.05).all()
    # the declines are far riskier than the accepts, and accepts-only under-predicts them
    assert s.declined_true_pd.iloc[0] > 2 * s.accepts_bad_rate.iloc[0]
    assert s.loc["none", "declined_mean_pd"] < s.loc["none", "declined_true_pd"]
    assert "oracle" in result.message
    cal = result.calibration
    assert set(cal.population) == {"ttd", "accepts"}
    assert cal.groupby(["method", "population"])["count"].sum().loc[("none", "ttd")] == (
        s.loc["none", "n_accepted"] + s.loc["none", "n_declined"]
    )
    fig = reject_inference_plot(cal, summary=result.summary)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].get_lines()) == 1 + len(ri.METHODS)


def test_without_an_oracle_the_report_says_what_cannot_be_measured(modeling_path, fits, tmp_path):
    cfg = _cfg(modeling_path)  # no data.oracle: like a user's real data
    result = ri.compare_methods(cfg, methods=("none",))
    assert result.message == ri.NO_ORACLE_MESSAGE
    assert "cannot be measured" in result.message
    assert result.summary.ttd_auc.isna().all() and result.summary.accepts_auc.notna().all()
    diag = fits.diag  # computed while the oracle file did not exist
    assert diag.message == ri.NO_ORACLE_MESSAGE
    assert diag.shift.accepted_share.sum() == pytest.approx(1)
    assert diag.shift.declined_share.sum() == pytest.approx(1)
    assert diag.summary["declined_mean_score"] < diag.summary["accepted_mean_score"]
    assert diag.summary["psi_declined_vs_accepted"] > 0.25  # declines score far lower
    # the old policy declined most at low scores
    assert diag.shift.decline_rate.iloc[0] > diag.shift.decline_rate.iloc[-1]
    assert diag.kink.accepted.sum() == diag.summary["accepted_rows"]
    fig = reject_diagnostics_plot(diag.shift, diag.kink)
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # two panels and a twin axis
    (tmp_path / "metrics.json").write_text('{"test": {"auc": 0.7}}')
    written = ri.write_report(tmp_path, result, diag)
    assert {p.name for p in written} == {
        "reject_inference.csv",
        "reject_inference_calibration.csv",
        "reject_shift.csv",
        "reject_kink.csv",
        "metrics.json",
    }
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["test"] == {"auc": 0.7}  # merged, not overwritten
    assert report["reject_inference_report"]["message"] == ri.NO_ORACLE_MESSAGE
    assert report["reject_inference_report"]["methods"][0]["ttd_auc"] is None
    assert pd.read_csv(tmp_path / "reject_kink.csv").shape[0] == len(diag.kink)


def test_apply_to_keeps_the_gbm_on_the_accepts(modeling_path):
    cfg = _cfg(modeling_path, method="reweighting", apply_to=["scorecard"])
    assert cfg.reject_inference.applies("scorecard") and not cfg.reject_inference.applies("gbm")
    assert not _cfg(modeling_path, apply_to=["gbm"]).reject_inference.applies("gbm")  # none
    gdev = develop_gbm(cfg)
    assert "reject_inference" not in gdev.metrics
    assert gdev.model.to_text() == develop_gbm(_cfg(modeling_path)).model.to_text()


def test_compare_methods_on_a_sample_of_the_development_rows(modeling_path, tmp_path):
    """Above reject_inference.compare_rows the methods are fitted on a seeded sample: the
    accepted rows stratified by outcome, the declines in the same proportion, the test rows
    whole; the report says so. The released models are not fitted here."""
    full = ri.compare_methods(_cfg(modeling_path), methods=("none", "fuzzy"))
    assert full.rows is None and "sample" not in full.message
    n_all = int(full.summary.set_index("method").loc["none", "n_accepted"])  # test rows
    cfg = _cfg(modeling_path, method="none", compare_rows=2000)
    train, test = load_split(cfg)
    result = ri.compare_methods(cfg, methods=("none", "fuzzy"))
    sampled, of = result.rows
    assert of == len(train) > 2000 and abs(sampled - 2000) <= 2  # one row per stratum rounded
    rows = result.samples["fuzzy"].data  # fuzzy: each decline once as bad, once as good
    accepted = rows[rows[SOURCE] == "accepted"]
    target = cfg.data.target
    assert len(accepted) == sampled
    assert accepted[target].mean() == pytest.approx(train[target].mean(), abs=0.002)
    # the declines in the same proportion as the accepts
    d_all = len(load_declines(cfg, train, test)[0])
    d_used = int((rows[SOURCE] == "declined_bad").sum())
    assert d_used == pytest.approx(d_all * sampled / of, abs=2)
    # measured on every test row, as without the sample
    assert int(result.summary.set_index("method").loc["none", "n_accepted"]) == n_all
    assert f"{sampled:,} of the {of:,} accepted development rows" in result.message
    # seeded: the same sample and figures again
    again = ri.compare_methods(cfg, methods=("none", "fuzzy"))
    pd.testing.assert_frame_equal(again.summary, result.summary)
    out = tmp_path / "out"
    out.mkdir()
    ri.write_report(out, result, None)
    report = json.loads((out / "metrics.json").read_text())["reject_inference_report"]
    assert report["compare_rows"] == {"sampled": sampled, "of": of}
