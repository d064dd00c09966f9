"""The JSON scorer and its SQL translation (src/riskresearch/scoring.py).

Three independent paths must agree: WoE x coefficient (``Scorecard.predict_score``), points
lookup (``Scorer.score`` / ``score_one``) and the SQL expression run in DuckDB. Hand-built
scorecards give scores that are added up by hand.
"""

from __future__ import annotations

import copy
import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskresearch.binning import WoeBinner
from riskresearch.errors import DataError
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.scoring import SCORECARD_FORMAT, SEGMENTED_FORMAT, Scorer
from riskresearch.selection import FeatureSelector
from riskresearch.textfmt import round_float

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
