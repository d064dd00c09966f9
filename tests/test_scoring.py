"""The JSON scorer and its SQL translation (src/riskresearch/scoring.py).

Three independent paths must agree: WoE x coefficient (``Scorecard.predict_score``), points
lookup (``Scorer.score`` / ``score_one``) and the SQL expression run in DuckDB. Hand-built
scorecards give scores that are added up by hand.
"""

from __future__ import annotations

import copy
import decimal
import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskresearch.binning import WoeBinner
from riskresearch.errors import DataError
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.scoring import SCORECARD_FORMAT, SEGMENTED_FORMAT, Scorer
from riskresearch.selection import FeatureSelector
from riskresearch.textfmt import round_float
from riskresearch.woe import category_key

FACTOR = 20 / math.log(2)
OFFSET = 600 - FACTOR * math.log(50)


def _card(features: dict) -> dict:
    return {
        "format": SCORECARD_FORMAT,
        "scaling": {
            "pdo": 20.0,
            "base_score": 600.0,
            "base_odds": 50.0,
            "offset": OFFSET,
            "factor": FACTOR,
            "rounding": False,
        },
        "intercept": -3.0,
        "features": features,
    }


INCOME = {
    "dtype": "numerical",
    "splits": [1000.0, 2500.5],
    "special_codes": [-999],
    "points": [10.0, 30.0, 50.0, 5.0, 0.0],  # 3 regular bins, Special, Missing
    "unseen_points": 20.0,
}
JOB = {
    "dtype": "categorical",
    "groups": [["owner"], ["clerk", "nurse"]],
    "special_codes": ["UNKNOWN"],
    "points": [40.0, 15.0, 20.0, 2.0],
    "unseen_points": 12.5,
}
LATE = {
    "dtype": "numerical",
    "splits": [0.5],
    "special_codes": [],
    "points": [25.0, 5.0, 12.0, 12.0],
    "unseen_points": 0.0,
}
CARD = _card({"income": INCOME, "job": JOB, "late": LATE})

# rows and their points, added up by hand: (income, job, late) -> points
HAND_ROWS = [
    ((999.99, "owner", 0.0), 10 + 40 + 25),
    ((1000.0, "clerk", 0.5), 30 + 15 + 5),  # values equal to a split go to the upper bin
    ((2500.5, "nurse", 0.4999), 50 + 15 + 25),
    ((-999.0, "UNKNOWN", np.nan), 5 + 20 + 12),  # special codes; NaN is Missing
    ((np.nan, None, 1e9), 0 + 2 + 5),  # None is Missing
    ((1e12, "astronaut", -3.0), 50 + 12.5 + 25),  # unseen category
    ((-1e12, "owner", 2.0), 10 + 40 + 5),
]


def _hand_frame() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame([r for r, _ in HAND_ROWS], columns=["income", "job", "late"])
    return frame, np.asarray([s for _, s in HAND_ROWS], dtype=float)


def _sql_scores(scorer: Scorer, frame: pd.DataFrame) -> np.ndarray:
    """Run the scorer's SQL expression over ``frame`` in DuckDB, in row order."""
    con = duckdb.connect()
    try:
        con.register("t", frame.assign(_rid=np.arange(len(frame))))
        out = con.sql(f"SELECT _rid, {scorer.to_sql()} AS s FROM t ORDER BY _rid").df()
    finally:
        con.close()
    return out["s"].to_numpy(dtype=float)


# ------------------------------------------------------------------------------------------
# hand-built scorecard
# ------------------------------------------------------------------------------------------
def test_hand_built_scores_batch_one_and_sql():
    frame, expected = _hand_frame()
    scorer = Scorer(CARD)
    assert scorer.score(frame).tolist() == expected.tolist()
    for (row, want), (_, values) in zip(HAND_ROWS, frame.iterrows()):
        assert scorer.score_one(dict(zip(["income", "job", "late"], row))) == want
        assert scorer.score_one(values.to_dict()) == want
    assert _sql_scores(scorer, frame) == pytest.approx(expected, abs=1e-9)


def test_hand_built_feature_points_and_pd():
    frame, expected = _hand_frame()
    scorer = Scorer(CARD)
    points = scorer.feature_points(frame)
    assert list(points.columns) == ["income", "job", "late"]
    assert points.sum(axis=1).tolist() == expected.tolist()
    assert points["job"].tolist() == [40.0, 15.0, 15.0, 20.0, 2.0, 12.5, 40.0]
    pd_ = scorer.pd_(frame).to_numpy()
    assert pd_ == pytest.approx(1 / (1 + np.exp((expected - OFFSET) / FACTOR)), rel=1e-12)


def test_hand_built_reason_codes():
    frame = pd.DataFrame(
        {
            "income": [3000.0, 500.0, np.nan, 1500.0],
            "job": ["owner", "clerk", "owner", "owner"],
            "late": [0.0, 1.0, 0.7, 0.0],
        }
    )
    codes = Scorer(CARD).reason_codes(frame, n=3)
    # points lost against each feature's best bin (income 50, job 40, late 25)
    # row 0: best everywhere -> no reason codes at all
    assert codes.loc[0, ["points_lost_1", "points_lost_2", "points_lost_3"]].tolist() == [0, 0, 0]
    assert codes.loc[0, ["reason_1", "reason_2", "reason_3"]].isna().all()
    # row 1: income 40, job 25, late 20
    assert codes.loc[1, ["reason_1", "reason_2", "reason_3"]].tolist() == ["income", "job", "late"]
    assert codes.loc[1, ["points_lost_1", "points_lost_2", "points_lost_3"]].tolist() == [
        40.0,
        25.0,
        20.0,
    ]
    # row 2: income (Missing) 50, late 20; job at its best gives no code
    assert codes.loc[2, ["reason_1", "reason_2"]].tolist() == ["income", "late"]
    assert codes.loc[2, ["points_lost_1", "points_lost_2"]].tolist() == [50.0, 20.0]
    assert pd.isna(codes.loc[2, "reason_3"])
    # row 3: only income (30 of 50)
    assert codes.loc[3, "reason_1"] == "income"
    assert codes.loc[3, "points_lost_1"] == 20.0
    assert pd.isna(codes.loc[3, "reason_2"])


def _segmented_card() -> dict:
    thin_late = {**LATE, "points": [60.0, 10.0, 30.0, 30.0]}  # a different points scale
    return {
        "format": SEGMENTED_FORMAT,
        "segments": [
            {"name": "thick", "when": {"seg": "A", "hit": True}, "scorecard": CARD},
            {
                "name": "thin",
                "when": {"seg": "A", "hit": False},
                "scorecard": _card({"late": thin_late}),
            },
        ],
    }


def _segmented_frame() -> tuple[pd.DataFrame, np.ndarray]:
    frame, expected = _hand_frame()
    frame["seg"] = "A"
    frame["hit"] = [True, False, True, False, True, False, True]
    thin_points = {0.0: 60.0, 0.5: 10.0, 0.4999: 60.0, np.nan: 30.0, 1e9: 10.0, -3.0: 60.0}
    for i in np.flatnonzero(~frame["hit"].to_numpy()):
        late = frame.loc[i, "late"]
        expected[i] = thin_points[np.nan] if np.isnan(late) else thin_points[late]
    return frame, expected


def test_hand_built_segmented_scores_and_sql():
    frame, expected = _segmented_frame()
    scorer = Scorer(_segmented_card())
    assert scorer.score(frame).tolist() == expected.tolist()
    assert _sql_scores(scorer, frame) == pytest.approx(expected, abs=1e-9)
    for i, row in frame.iterrows():
        assert scorer.score_one(row.to_dict()) == expected[i]
    points = scorer.feature_points(frame)
    assert points.loc[~frame["hit"], "income"].isna().all()


def test_segmented_no_match_raises():
    frame, _ = _segmented_frame()
    frame.loc[2, "seg"] = "B"
    scorer = Scorer(_segmented_card())
    with pytest.raises(
        DataError, match=r"1 row\(s\) match no segment of the scorecard \(first: row 2\)"
    ):
        scorer.score(frame)
    with pytest.raises(DataError, match="matches no segment"):
        scorer.score_one(frame.loc[2].to_dict())


def test_reason_columns_are_text_even_when_no_row_has_a_reason():
    """Dask checks every partition against one schema: a partition of best-bin rows only must
    not turn the reason columns into another dtype."""
    best = pd.DataFrame({"income": [3000.0], "job": ["owner"], "late": [0.0]})
    codes = Scorer(CARD).reason_codes(best, n=2)
    assert codes["reason_1"].isna().all()
    assert codes["reason_1"].dtype == Scorer(CARD).reason_codes(_hand_frame()[0])["reason_1"].dtype
    assert str(codes["reason_1"].dtype) == "str"


def test_segmented_reason_codes_use_the_rows_own_segment():
    # a thick-file row at its best bins has nothing to explain, whatever the thin card's scale
    frame, _ = _segmented_frame()
    best = frame.iloc[[0]].copy()  # income 999.99 is bin 0 (10 of 50): move it to the best bin
    best["income"] = 3000.0
    codes = Scorer(_segmented_card()).reason_codes(best)
    assert codes["points_lost_1"].tolist() == [0.0]


def test_explain_equals_score_pd_and_reason_codes_and_never_raises():
    """Scorer.explain (what the decision engine uses) gives score / pd_ / reason_codes on
    clean rows, batch and one at a time; a bad value scores as Missing and is reported, a row
    matching no segment or lacking a feature is unscored."""
    frame, expected = _segmented_frame()
    scorer = Scorer(_segmented_card())
    got = scorer.explain(frame, n_reasons=4)
    assert got.score.tolist() == expected.tolist()
    assert got.pd.tolist() == scorer.pd_(frame).tolist()
    codes = scorer.reason_codes(frame, n=4)  # three features: three reasons at most
    assert got.reasons[3].tolist() == [None] * 7
    for i in range(3):
        want = codes[f"reason_{i + 1}"].astype(object).where(codes[f"reason_{i + 1}"].notna(), None)
        assert got.reasons[i].tolist() == want.tolist()
    assert got.problems == [] and not got.unmatched.any()
    for i, row in frame.iterrows():
        one = scorer.explain_one(row.to_dict(), n_reasons=4)
        assert one.score == expected[i] and one.pd == got.pd[i]
        assert one.reasons == [r[i] for r in got.reasons]

    bad = frame.astype({"late": object})
    bad.loc[1, "late"], bad.loc[2, "late"], bad.loc[5, "seg"] = "soon", -math.inf, "B"
    got = scorer.explain(bad)
    clean = frame.copy()
    clean.loc[[1, 2], "late"] = np.nan  # what the bad values score as
    assert got.score[[1, 2]].tolist() == scorer.score(clean).to_numpy()[[1, 2]].tolist()
    # in scoring order: the thick segment (row 2) before the thin one (row 1)
    assert [(r, np.flatnonzero(m).tolist()) for r, m in got.problems] == [
        ("out_of_range:late", [2]),
        ("invalid_value:late", [1]),
    ]
    assert np.isnan(got.score[5]) and got.unmatched.tolist() == [i == 5 for i in range(7)]
    assert scorer.explain_one(bad.loc[1].to_dict()).problems == ["invalid_value:late"]
    assert scorer.explain_one(bad.loc[5].to_dict()).unmatched
    lacking = scorer.explain(frame.drop(columns="income"))  # only the thick card reads it
    hit = frame["hit"].to_numpy()
    assert np.isnan(lacking.score[hit]).all()
    assert lacking.score[~hit].tolist() == expected[~hit].tolist()


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def test_score_missing_column_is_named():
    frame, _ = _hand_frame()
    with pytest.raises(DataError, match=r"column\(s\) 'late' missing from the input"):
        Scorer(CARD).score(frame.drop(columns="late"))
    with pytest.raises(DataError, match=r"The application lacks 'late'"):
        Scorer(CARD).score_one({"income": 1.0, "job": "owner"})


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (
            "abc",
            r"Column 'income' is numerical but holds text in 1 row\(s\) \(first: 'abc' at row 2\)",
        ),
        (np.inf, r"Column 'income' holds \+/-inf in 1 row\(s\) \(first at row 2\)"),
        (-np.inf, r"Column 'income' holds \+/-inf in 1 row\(s\) \(first at row 2\)"),
    ],
)
def test_score_bad_numerical_value_raises(value, match):
    frame, _ = _hand_frame()
    bad = frame.astype({"income": object})
    bad.loc[2, "income"] = value
    with pytest.raises(DataError, match=match):
        Scorer(CARD).score(bad)
    if not isinstance(value, str):  # the float64 fast path must refuse inf too
        with pytest.raises(DataError, match=match):
            Scorer(CARD).score(bad.astype({"income": float}))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("abc", r"Feature 'income' is numerical; got 'abc'"),
        (math.inf, r"Feature 'income' is inf"),
        (-math.inf, r"Feature 'income' is -inf"),
        ([1], r"Feature 'income' is numerical; got \[1\]"),
    ],
)
def test_score_one_bad_value_raises(value, match):
    with pytest.raises(DataError, match=match):
        Scorer(CARD).score_one({"income": value, "job": "owner", "late": 0})


def test_score_empty_frame_raises():
    frame, _ = _hand_frame()
    with pytest.raises(DataError, match=r"Scorer got an empty table \(0 rows\)"):
        Scorer(CARD).score(frame.iloc[:0])


def test_score_one_treats_pandas_na_as_missing():
    # pd.NA (nullable dtypes) is Missing in batch scoring; one-by-one must agree
    frame = pd.DataFrame(
        {
            "income": pd.array([None], dtype="Float64"),
            "job": pd.array([None], dtype="string"),
            "late": pd.array([None], dtype="Int64"),
        }
    )
    scorer = Scorer(CARD)
    assert scorer.score(frame).tolist() == [0 + 2 + 12]
    assert scorer.score_one({"income": pd.NA, "job": pd.NA, "late": pd.NA}) == 0 + 2 + 12


def test_score_one_treats_numpy_float32_nan_as_missing():
    assert Scorer(CARD).score_one({"income": np.float32("nan"), "job": "owner", "late": 0}) == (
        0 + 40 + 25
    )


def test_bad_model_raises(tmp_path):
    with pytest.raises(DataError, match=r"Not a riskresearch scorecard \(format 'x'"):
        Scorer({**CARD, "format": "x"})
    with pytest.raises(DataError, match=r"The scorecard file '.*nowhere.json' does not exist"):
        Scorer(str(tmp_path / "nowhere.json"))
    with pytest.raises(DataError, match="The scorecard JSON is not valid"):
        Scorer("{not json")
    broken = copy.deepcopy(CARD)
    broken["features"]["income"]["points"].pop()
    with pytest.raises(DataError, match="Scorecard feature 'income': splits and points disagree"):
        Scorer(broken)


# ------------------------------------------------------------------------------------------
# fitted scorecards on the seeded simulation
# ------------------------------------------------------------------------------------------
FEATURES = [
    "platform_credit_score",
    "payment_to_income",
    "utilisation",
    "max_dpd_24m",
    "inquiries_6m",
    "occupation",
    "education",
    "partner_id",
    "bureau_hit",
    "employment_years",
]
SENTINEL = -999.0  # "no platform score": a special code


def _with_edge_cases(frame: pd.DataFrame, binner: WoeBinner, rng) -> pd.DataFrame:
    """Put unseen categories, None, the special code and exact split values into rows."""
    out = frame.copy()
    n = len(out)
    rows = rng.permutation(n)
    out.loc[out.index[rows[:15]], "occupation"] = "astronaut"
    out.loc[out.index[rows[15:30]], "occupation"] = None
    out.loc[out.index[rows[30:45]], "platform_credit_score"] = SENTINEL
    out.loc[out.index[rows[45:60]], "platform_credit_score"] = np.nan
    out.loc[out.index[rows[60:70]], "partner_id"] = 10_000  # an unseen partner
    at = 70
    for name in ("platform_credit_score", "payment_to_income", "utilisation"):
        for split in binner.bins_[name].splits:
            out.loc[out.index[rows[at]], name] = split
            at += 1
    return out


def _on_split_moved_up(frame: pd.DataFrame, sc: Scorecard) -> np.ndarray:
    """Rows holding an exact split value that rounding to 12 significant digits raised."""
    out = np.zeros(len(frame), dtype=bool)
    for name in sc.features_:
        fb = sc.binner_.bins_[name]
        if fb.dtype == "numerical":
            raised = [s for s in fb.splits if round_float(s) > s]
            out |= frame[name].isin(raised).to_numpy()
    return out


@pytest.fixture(scope="module")
def consumer(modeling):
    data = modeling[(modeling.segment == "consumer") & modeling.bad_mature].reset_index(drop=True)
    rng = np.random.default_rng(8)
    data.loc[rng.choice(len(data), 300, replace=False), "platform_credit_score"] = SENTINEL
    return data.iloc[:6000], data.iloc[6000:]


def _fit(train, rounding):
    binner = WoeBinner(
        categorical_features=["occupation", "education", "partner_id"],
        special_codes={"platform_credit_score": [SENTINEL]},
        overrides={"bureau_hit": {"splits": [0.5]}},  # a boolean column, binned as 0/1
        time_limit=5,
        max_n_bins=6,
        unseen="worst",
    )
    # "flag": keep bureau_hit, whose sign flips next to the bureau features
    return Scorecard(binner=binner, selector=None, rounding=rounding, sign_check="flag").fit(
        train[FEATURES], train["bad"]
    )


@pytest.fixture(scope="module")
def fitted(consumer):
    train, _ = consumer
    return {rounding: _fit(train, rounding) for rounding in (False, True)}


@pytest.mark.filterwarnings("ignore:Feature 'partner_id' has categories never seen:UserWarning")
@pytest.mark.parametrize("rounding", [False, True])
def test_scorer_matches_scorecard_and_sql(consumer, fitted, rounding, tmp_path):
    _, test = consumer
    sc = fitted[rounding]
    assert {"platform_credit_score", "occupation", "partner_id", "bureau_hit"} <= set(sc.features_)
    frame = _with_edge_cases(test[FEATURES], sc.binner_, np.random.default_rng(1))

    path = tmp_path / "scorecard.json"
    sc.to_json(path)
    scorers = [
        sc.scorer(),  # in memory: the exact splits
        Scorer(sc.to_json()),  # the JSON artifact: numbers at 12 significant digits (textfmt)
        Scorer(path),
        Scorer(str(path)),
        Scorer(json.loads(sc.to_json())),
    ]
    # a value lying exactly on a split that the artifact's rounding moved above it falls in
    # the lower bin of the artifact; real data never lie there (test_textfmt.py scores the
    # whole simulated table alike from the model and from its JSON)
    moved = _on_split_moved_up(frame, sc)
    assert 0 < moved.sum() <= 15  # only some of the exact split values put in above
    if rounding:  # the points path (JSON scorer) scores unseen categories silently
        reference = sc.predict_score(frame)
    else:
        with pytest.warns(
            UserWarning, match=r"Feature 'occupation' has categories never.*astronaut"
        ):
            reference = sc.predict_score(frame)
    for i, scorer in enumerate(scorers):
        got = scorer.score(frame).to_numpy()
        rows = np.ones(len(frame), dtype=bool) if i == 0 else ~moved
        if rounding:
            assert (got == np.round(got)).all()
            assert got[rows].tolist() == reference[rows].tolist()
        else:
            assert got[rows] == pytest.approx(reference[rows], abs=1e-9, rel=0)
    # the SQL holds the artifact's numbers whether written from memory or from the JSON, and
    # scores like the JSON scorer on every row, split values included
    assert sc.to_sql() == scorers[1].to_sql()
    sql = _sql_scores(scorers[1], frame)
    assert sql == pytest.approx(scorers[1].score(frame).to_numpy(), abs=1e-9, rel=0)

    # the unseen and special rows did get the scores of their policy / Special bin
    fb = sc.binner_.bins_["platform_credit_score"]
    assert fb.good[fb.special_index] + fb.bad[fb.special_index] > 0
    pts = scorers[0].feature_points(frame)
    special = frame["platform_credit_score"] == SENTINEL
    assert (
        pts.loc[special, "platform_credit_score"]
        == sc.points_["platform_credit_score"][fb.special_index]
    ).all()
    unseen = frame["occupation"] == "astronaut"
    assert (
        pts.loc[unseen, "occupation"] == sc.to_dict()["features"]["occupation"]["unseen_points"]
    ).all()


def test_score_one_matches_batch(consumer, fitted):
    _, test = consumer
    sc = fitted[False]
    frame = _with_edge_cases(test[FEATURES].iloc[:400], sc.binner_, np.random.default_rng(2))
    scorer = sc.scorer()
    batch = scorer.score(frame).to_numpy()
    one = [scorer.score_one(row.to_dict()) for _, row in frame.iterrows()]
    assert one == pytest.approx(batch, abs=1e-9, rel=0)


def test_unseen_policy_points(consumer, fitted):
    # "worst": an unseen occupation scores like the riskiest occupied occupation bin
    sc = fitted[False]
    fb = sc.binner_.bins_["occupation"]
    occupied = (np.asarray(fb.good) + np.asarray(fb.bad)) > 0
    worst = sc.points_["occupation"][occupied].min()
    assert sc.to_dict()["features"]["occupation"]["unseen_points"] == pytest.approx(worst)


def _boolean_data():
    rng = np.random.default_rng(6)
    n = 2000
    train = pd.DataFrame(
        {
            "flag": rng.uniform(size=n) < 0.3,
            "flagcat": rng.uniform(size=n) < 0.5,
            "x": rng.normal(size=n),
        }
    )
    logit = -2 + 1.0 * train["flag"] - 0.8 * train["flagcat"] + 0.5 * train["x"]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    probe = pd.DataFrame(
        {
            "flag": pd.array([True, False, None, True], dtype="boolean"),
            "flagcat": pd.array([True, False, True, None], dtype="boolean"),
            "x": [0.0, -1.0, 2.0, np.nan],
        }
    )
    return train, y, probe


def test_boolean_numerical_column_scores_alike_in_python_and_sql():
    train, y, probe = _boolean_data()
    sc = Scorecard(
        binner=WoeBinner(overrides={"flag": {"splits": [0.5]}, "x": {"splits": [0.0]}}),
        selector=None,
    ).fit(train[["flag", "x"]], y)
    scorer = sc.scorer()
    python = scorer.score(probe).to_numpy()
    assert python == pytest.approx(sc.predict_score(probe), abs=1e-9, rel=0)
    # True is the upper bin (1.0 >= 0.5), False the lower, NA the Missing bin
    pts = scorer.feature_points(probe)["flag"].tolist()
    assert pts == pytest.approx([sc.points_["flag"][i] for i in (1, 0, 3, 1)])
    assert _sql_scores(scorer, probe) == pytest.approx(python, abs=1e-9, rel=0)
    # plain numpy bools (not nullable) too
    plain = probe.assign(flag=[True, False, False, True])
    assert _sql_scores(scorer, plain) == pytest.approx(scorer.score(plain), abs=1e-9, rel=0)


def test_boolean_categorical_column_scores_alike_in_python_and_sql():
    train, y, probe = _boolean_data()
    sc = Scorecard(
        binner=WoeBinner(categorical_features=["flagcat"], overrides={"x": {"splits": [0.0]}}),
        selector=None,
    ).fit(train[["flagcat", "x"]], y)
    scorer = sc.scorer()
    python = scorer.score(probe).to_numpy()
    assert python == pytest.approx(sc.predict_score(probe), abs=1e-9, rel=0)
    # True and False keep their own (different) points; NA is Missing
    fb = sc.binner_.bins_["flagcat"]
    pts = scorer.feature_points(probe)["flagcat"]
    assert pts[0] != pts[1]
    assert pts[3] == sc.points_["flagcat"][fb.missing_index]
    assert _sql_scores(scorer, probe) == pytest.approx(python, abs=1e-9, rel=0)


# ------------------------------------------------------------------------------------------
# segmented scorecard: Python and SQL
# ------------------------------------------------------------------------------------------
SEGMENTS = {
    "thick": {"segment": "consumer", "bureau_hit": True},
    "thin": {"segment": "consumer", "bureau_hit": False},
}
SEGMENT_FEATURES = [
    "platform_credit_score",
    "payment_to_income",
    "employment_years",
    "phone_tenure_months",
    "occupation",
    "segment",
    "bureau_hit",
]


@pytest.fixture(scope="module")
def segmented(consumer):
    train, _ = consumer
    template = Scorecard(
        binner=WoeBinner(
            time_limit=5,
            max_n_bins=5,
            special_codes={"platform_credit_score": [SENTINEL]},
        ),
        selector=FeatureSelector(forward=False, max_features=4),
        rounding=True,
    )
    return SegmentedScorecard(segments=SEGMENTS, scorecard=template).fit(
        train[SEGMENT_FEATURES], train["bad"]
    )


def test_segmented_scorer_and_sql_match(consumer, segmented):
    _, test = consumer
    frame = test[SEGMENT_FEATURES].copy()
    rows = np.random.default_rng(3).permutation(len(frame))
    frame.loc[frame.index[rows[:10]], "occupation"] = "astronaut"
    frame.loc[frame.index[rows[10:20]], "platform_credit_score"] = np.nan
    assert frame["bureau_hit"].nunique() == 2

    scorer = Scorer(json.dumps(segmented.to_dict()))
    reference = segmented.predict_score(frame)  # rounded points: scored by the JSON scorer
    got = scorer.score(frame).to_numpy()
    assert got.tolist() == reference.tolist()
    assert _sql_scores(scorer, frame).tolist() == got.tolist()
    thin = ~frame["bureau_hit"].to_numpy()
    assert got[thin] == pytest.approx(segmented.scorecards_["thin"].scorer().score(frame[thin]))
    sample = frame.iloc[:50]
    assert [scorer.score_one(r.to_dict()) for _, r in sample.iterrows()] == got[:50].tolist()


def test_pd_from_score_is_pd_and_needs_the_rows_when_segment_scales_differ():
    frame, _ = _hand_frame()
    scorer = Scorer(CARD)
    assert np.array_equal(scorer.pd_from_score(scorer.score(frame)), scorer.pd_(frame).to_numpy())
    seg_frame, _ = _segmented_frame()
    card = _segmented_card()
    assert Scorer(card).pd_from_score([600.0]).size == 1  # one shared scale: a score suffices
    thin = card["segments"][1]["scorecard"]
    scaling = {**thin["scaling"], "offset": float(thin["scaling"]["offset"]) + 40}
    card["segments"][1]["scorecard"] = {**thin, "scaling": scaling}
    seg = Scorer(card)
    score = seg.score(seg_frame)
    pd_ = seg.pd_from_score(score, seg_frame)
    assert np.array_equal(pd_, seg.pd_(seg_frame).to_numpy())
    thin_rows = (seg_frame["hit"] == False).to_numpy()  # noqa: E712
    offset, factor = scaling["offset"], scaling["factor"]  # the thin rows use their own scale
    expected = 1 / (1 + np.exp((score[thin_rows] - offset) / factor))
    assert pd_[thin_rows] == pytest.approx(expected)
    with pytest.raises(DataError, match="different scales"):
        seg.pd_from_score(score)


# ------------------------------------------------------------------------------------------
# a value scores the same whatever else is in its column
# ------------------------------------------------------------------------------------------
PARTNER = {  # an integer-coded category, as partner_id
    "dtype": "categorical",
    "groups": [["31", "32"], ["7"]],
    "special_codes": [],
    "points": [30.0, 10.0, 0.0, 2.5],  # 2 groups, Special, Missing
    "unseen_points": 1.0,
}
MIXED = _card({"income": INCOME, "partner": PARTNER, "job": JOB})


def _oracle(income, partner, job) -> float:
    """Points of one application added up by hand from its values (None = missing)."""
    if income is None or math.isnan(income):
        total = 0.0
    elif income == -999.0:
        total = 5.0
    else:
        total = 10.0 if income < 1000.0 else 30.0 if income < 2500.5 else 50.0
    total += 2.5 if partner is None else {31: 30.0, 32: 30.0, 7: 10.0}.get(partner, 1.0)
    jobs = {"owner": 40.0, "clerk": 15.0, "nurse": 15.0, "UNKNOWN": 20.0}
    return total + (2.0 if job is None else jobs.get(job, 12.5))


def _partner_column(values: list, kind: str, spellings: list[int]):
    """The same partner ids as the column types real inputs arrive in."""
    if kind == "int":  # an integer column (nullable when one is missing)
        return pd.array(values, dtype="Int64")
    if kind == "float":  # what one blank CSV cell or one Parquet NULL makes of it
        return np.array([np.nan if v is None else float(v) for v in values])
    if kind == "text":
        return pd.array([None if v is None else str(v) for v in values], dtype="string")
    if kind == "text_float":
        return np.array([None if v is None else f"{v}.0" for v in values], dtype=object)
    spell = [int, float, str, lambda v: f"{v}.0"]  # "mixed": an object column of all of them
    return np.array(
        [None if v is None else spell[k](v) for v, k in zip(values, spellings)], dtype=object
    )


def _income_column(values: list, kind: str):
    if kind == "float":
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    if kind == "nullable":
        return pd.array(values, dtype="Float64")
    return np.array(values, dtype=object)  # floats and None


@st.composite
def applications(draw, partner_kinds=("int", "float", "text", "text_float", "mixed")):
    """A frame of 1-12 applications with missing values, special codes, split values and
    unseen categories, and each row's points added up by hand."""
    n = draw(st.integers(1, 12))
    incomes = draw(
        st.lists(
            st.one_of(
                st.sampled_from([None, -999.0, 999.99, 1000.0, 2500.5]),
                st.floats(-1e7, 1e7, allow_nan=False),
            ),
            min_size=n,
            max_size=n,
        )
    )
    partners = draw(st.lists(st.sampled_from([31, 32, 7, 99, 0, -5, None]), min_size=n, max_size=n))
    jobs = draw(
        st.lists(
            st.sampled_from(["owner", "clerk", "nurse", "UNKNOWN", "astronaut", None]),
            min_size=n,
            max_size=n,
        )
    )
    partner_kind = draw(st.sampled_from(partner_kinds))
    spellings = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    income_kind = draw(st.sampled_from(["float", "nullable", "object"]))
    frame = pd.DataFrame(
        {
            "income": _income_column(incomes, income_kind),
            "partner": _partner_column(partners, partner_kind, spellings),
            "job": np.array(jobs, dtype=object),
        }
    )
    return frame, [_oracle(*row) for row in zip(incomes, partners, jobs)]


@settings(max_examples=60, deadline=None)
@given(applications())
def test_a_row_scores_alike_alone_in_any_batch_and_whatever_its_column_type(case):
    frame, expected = case
    scorer = Scorer(MIXED)
    score = scorer.score(frame)
    assert score.tolist() == expected
    pd_ = scorer.pd_(frame)
    reasons = scorer.reason_codes(frame, 3)
    for i in range(len(frame)):
        alone = frame.iloc[[i]]
        assert scorer.score(alone).iloc[0] == score.iloc[i]
        assert scorer.pd_(alone).iloc[0] == pd_.iloc[i]
        pd.testing.assert_frame_equal(scorer.reason_codes(alone, 3), reasons.iloc[[i]])
        assert scorer.score_one(frame.iloc[i].to_dict()) == score.iloc[i]


@settings(max_examples=40, deadline=None)
@given(applications(partner_kinds=("int", "float", "text", "text_float")))
def test_sql_expression_scores_alike_in_duckdb_whatever_the_column_type(case):
    frame, expected = case  # a float partner column becomes a DOUBLE with NULLs in DuckDB
    assert _sql_scores(Scorer(MIXED), frame).tolist() == expected


@pytest.mark.parametrize("sql_type", ["DOUBLE", "FLOAT", "DECIMAL(10, 2)", "BIGINT", "VARCHAR"])
def test_sql_reads_a_category_column_of_any_type_as_python_does(sql_type):
    texts = ["31", "7", None, "99", "32", "0"]
    partners = [None if t is None else int(t) for t in texts]
    con = duckdb.connect()
    try:
        values = ", ".join(
            f"({i}, {'NULL' if t is None else repr(t)})" for i, t in enumerate(texts)
        )
        con.execute(
            f"CREATE TABLE t AS SELECT i AS _rid, 500.0 AS income, "
            f"CAST(p AS {sql_type}) AS partner, 'owner' AS job FROM (VALUES {values}) v(i, p)"
        )
        if sql_type in ("DOUBLE", "FLOAT"):  # a real NaN (a Parquet file may hold one)
            con.execute(f"INSERT INTO t VALUES (6, 500.0, 'nan'::{sql_type}, 'owner')")
            partners.append(None)
        got = con.sql(f"SELECT {Scorer(MIXED).to_sql()} AS s FROM t ORDER BY _rid").df()
    finally:
        con.close()
    assert got["s"].tolist() == [_oracle(500.0, p, "owner") for p in partners]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (31, "31"),
        (np.int64(31), "31"),
        (31.0, "31"),
        (np.float32(31.0), "31"),
        ("31", "31"),
        ("31.0", "31"),
        ("31.000", "31"),
        (decimal.Decimal("31.00"), "31"),
        (-2.0, "-2"),
        (-0.0, "0"),
        (31.5, "31.5"),
        (1e16, "1e+16"),  # as DuckDB spells a DOUBLE
        ("007", "007"),  # text stays text
        ("007.0", "007"),
        (" 31", " 31"),
        ("31.", "31."),
        (True, "True"),
        (np.bool_(False), "False"),
        ("owner", "owner"),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
    ],
)
def test_category_key(value, key):
    assert category_key(value) == key


def test_fitting_and_scoring_read_categories_with_one_rule():
    rng = np.random.default_rng(3)
    n = 4000
    partner = rng.choice([3, 7, 31, 45], size=n)
    rate = np.select([partner == 3, partner == 7, partner == 31], [0.02, 0.1, 0.3], 0.06)
    y = (rng.uniform(size=n) < rate).astype(int)
    ints = pd.DataFrame({"partner": partner, "x": rng.normal(size=n)})
    floats = ints.astype({"partner": float})
    floats.loc[0, "partner"] = np.nan  # one missing value: the column is float

    def fit(frame):
        binner = WoeBinner(categorical_features=["partner"], overrides={"x": {"splits": [0.0]}})
        return Scorecard(binner=binner, selector=None).fit(frame, y)

    from_ints, from_floats = fit(ints), fit(floats)
    keys = {c for g in from_floats.binner_.bins_["partner"].groups for c in g}
    assert keys == {"3", "7", "31", "45"}  # not '31.0'
    assert from_ints.binner_.bins_["partner"].groups == from_floats.binner_.bins_["partner"].groups
    scorer = from_floats.scorer()
    probe = pd.DataFrame({"partner": [31, 31.0, "31", "31.0", 7, None], "x": 0.5})
    points = scorer.feature_points(probe)["partner"].tolist()
    assert points[0] == points[1] == points[2] == points[3] != points[4]
    assert [scorer.score_one(r.to_dict()) for _, r in probe.iterrows()] == scorer.score(
        probe
    ).tolist()
    # the fitted (WoE) path reads them alike too, and warns of no unseen category
    for column in (ints["partner"], floats["partner"], ints["partner"].astype(str)):
        woe = from_ints.binner_.transform(ints.assign(partner=column))["partner"]
        assert (
            woe.iloc[1:].tolist() == from_ints.binner_.transform(ints)["partner"].iloc[1:].tolist()
        )


def test_scorecard_written_with_float_category_keys_still_matches():
    old = copy.deepcopy(MIXED)  # e.g. fitted on a float column before categories were keyed
    old["features"]["partner"]["groups"] = [["31.0", "32.0"], ["7.0"]]
    partner = pd.array([31, 7, 99, None], dtype="Int64")
    frame = pd.DataFrame({"income": [500.0] * 4, "partner": partner, "job": "owner"})
    want = [_oracle(500.0, p, "owner") for p in (31, 7, 99, None)]
    assert Scorer(old).score(frame).tolist() == want
    assert _sql_scores(Scorer(old), frame).tolist() == want


def test_numerical_text_reads_as_the_number_in_batch_one_and_sql():
    frame = pd.DataFrame(
        {"income": ["999.99", " 2500.5", "1e3", "nan", None], "partner": 31, "job": "owner"}
    )
    want = [_oracle(x, 31, "owner") for x in (999.99, 2500.5, 1000.0, None, None)]
    scorer = Scorer(MIXED)
    assert scorer.score(frame).tolist() == want
    assert [scorer.score_one(r.to_dict()) for _, r in frame.iterrows()] == want
    assert _sql_scores(scorer, frame).tolist() == want
