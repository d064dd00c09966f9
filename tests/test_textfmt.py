"""Fixed precision of the numbers in our text model artifacts (src/riskresearch/textfmt.py).

Exact cases of the formatter; a scorecard fitted on the simulated table scores the same from
its rounded JSON as in memory; a model perturbed by one ulp (another CPU) writes the same text.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys

import numpy as np
import pandas as pd
import pytest

from riskresearch.binning import WoeBinner
from riskresearch.errors import ConfigError, DataError
from riskresearch.scorecard import Scorecard
from riskresearch.scoring import Scorer
from riskresearch.textfmt import (
    csv_text,
    json_text,
    number_text,
    plain,
    round_float,
    write_csv,
    write_json,
)


# ------------------------------------------------------------------------------------------
# exact cases
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (487.1228762045055, "487.122876205"),  # 17 significant digits -> 12
        (28.85390081777927, "28.8539008178"),
        (0.1 + 0.2, "0.3"),  # the shortest text of the rounded value
        (2 / 3, "0.666666666667"),
        (-2 / 3, "-0.666666666667"),
        (29.0, "29.0"),  # an integral float stays a float
        (1e-15, "1e-15"),
        (2.5e-13, "2.5e-13"),
        (6217.999999999617, "6218.0"),  # a sum of weights: its noise is gone
        (123456789012345.0, "123456789012000.0"),
        (0.02324999962002039, "0.02324999962"),  # a float32 split read as float64
        (-0.0, "0.0"),
        (0.0, "0.0"),
        (sys.float_info.max, "1.79769313486e+308"),  # rounding never overflows to inf
        (5e-324, "5e-324"),
        (np.float32(0.1), "0.10000000149"),  # numpy floats: their exact value, rounded
        (np.float64(1 / 3), "0.333333333333"),
        (7, "7"),  # integers are written as they are
        (10**15 + 1, "1000000000000001"),
        (np.int64(-3), "-3"),
    ],
)
def test_number_text(value, text):
    assert number_text(value) == text


def test_rounding_is_on_the_exact_binary_value_half_to_even():
    # 0.15 is 0.1499999999999999944... in binary: rounds down at one digit
    assert round_float(0.15, digits=1) == 0.1
    assert round_float(0.25, digits=1) == 0.2  # exactly half: to even
    assert round_float(0.35, digits=1) == 0.3  # 0.34999999999999997...
    assert round_float(2.5, digits=1) == 2.0
    assert round_float(3.5, digits=1) == 4.0


def test_rounding_twice_is_rounding_once():
    x = np.random.default_rng(0).standard_normal(2000) * 10.0 ** np.arange(-10, 10).repeat(100)
    for v in x:
        once = round_float(v)
        assert round_float(once) == once
        assert float(number_text(v)) == once
    assert round_float(float("nan")) != round_float(float("nan"))  # kept for the writers
    assert round_float(float("-inf")) == float("-inf")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -np.inf, np.float32("nan")])
def test_number_text_refuses_non_finite(bad):
    with pytest.raises(DataError, match=r"the points of 'age' is (nan|inf|-inf); a model"):
        number_text(bad, "the points of 'age'")


def test_number_text_refuses_a_boolean():
    with pytest.raises(DataError, match="is the boolean True, not a number"):
        number_text(True, "the split")


def test_sql_refuses_a_nan_point_naming_the_feature():
    card = {
        "format": "riskresearch.scorecard/1",
        "scaling": {"offset": 487.1228762045055, "factor": 28.85390081777927},
        "features": {
            "age": {
                "dtype": "numerical",
                "splits": [30.000000000000004],
                "points": [10.123456789012345, float("nan"), 0.0, -0.0],
                "unseen_points": 0.0,
            }
        },
    }
    with pytest.raises(DataError, match="A point of feature 'age' is nan; a model artifact"):
        Scorer(card).to_sql()
    card["features"]["age"]["points"][1] = 20.0
    assert Scorer(card).to_sql() == (
        '(CASE WHEN "age" IS NULL THEN 0.0 WHEN isnan(CAST("age" AS DOUBLE)) THEN 0.0 '
        'WHEN CAST("age" AS DOUBLE) < 30.0 THEN 10.123456789 ELSE 20.0 END)'
    )


def test_json_text_exact():
    data = {
        "format": "x/1",
        "n": np.int64(3),
        "ok": np.bool_(True),
        "flag": False,
        "none": None,
        "splits": (22.5, np.float64(0.11259645397208944)),
        "zero": -0.0,
        "big": 10**20,
        "nested": [{"woe": np.array([1 / 3, -2.0])}],
        7: "an int key",
    }
    assert json_text(data, indent=None) == (
        '{"format": "x/1", "n": 3, "ok": true, "flag": false, "none": null, '
        '"splits": [22.5, 0.112596453972], "zero": 0.0, "big": 100000000000000000000, '
        '"nested": [{"woe": [0.333333333333, -2.0]}], "7": "an int key"}'
    )
    assert json_text({"b": 1.0, "a": 2}, sort_keys=True) == '{\n "a": 2,\n "b": 1.0\n}'


def test_json_nan_is_refused_naming_the_key_or_written_as_null():
    data = {"features": {"age": {"points": [1.0, 2.0, float("nan")]}}}
    with pytest.raises(DataError, match=r"'features\.age\.points\[2\]' is nan; JSON has no such"):
        json_text(data)
    with pytest.raises(DataError, match=r"'\(top level\)' is inf"):
        json_text(float("inf"))
    assert json_text(data, nonfinite="null", indent=None) == (
        '{"features": {"age": {"points": [1.0, 2.0, null]}}}'
    )
    with pytest.raises(ConfigError, match="'nonfinite' parameter of plain must be 'error' or"):
        plain(data, nonfinite="nan")


def test_plain_round_trips_through_json():
    data = {"a": [0.1 + 0.2, 1e-300, -1.0000000000000002], "b": {"c": np.float32(2.5)}}
    assert json.loads(json_text(data)) == plain(data) == {"a": [0.3, 1e-300, -1.0], "b": {"c": 2.5}}


def test_csv_text_exact():
    frame = pd.DataFrame(
        {
            "feature": ["age", "age", "job", "job"],
            "bin": ["(-inf, 22.5)", "Missing", "a, b", None],
            "count": [6217.999999999617, 0.0, 3.0000000000004, 1.0],
            "event_rate": [0.30708950287254855, np.nan, np.inf, -0.0],
            "rank": np.array([1, 2, 3, 4], dtype=np.int64),
            "mixed": [1 / 3, "x", 2, None],
        }
    )
    assert csv_text(frame) == (
        "feature,bin,count,event_rate,rank,mixed\n"
        'age,"(-inf, 22.5)",6218.0,0.307089502873,1,0.333333333333\n'
        "age,Missing,0.0,,2,x\n"
        'job,"a, b",3.0,inf,3,2\n'
        "job,,1.0,0.0,4,\n"
    )
    assert csv_text(frame[["count"]], digits=6) == "count\n6218.0\n0.0\n3.0\n1.0\n"
    back = pd.read_csv(io.StringIO(csv_text(frame)))
    assert math.isnan(back["event_rate"][1]) and back["event_rate"][2] == np.inf


def test_writers_end_with_one_newline_and_write_utf8(tmp_path):
    j = write_json(tmp_path / "a.json", {"x": 0.1 + 0.2, "name": "Zürich"})
    assert j.read_bytes() == b'{\n "x": 0.3,\n "name": "Z\\u00fcrich"\n}\n'
    c = write_csv(pd.DataFrame({"name": ["Zürich"], "x": [2 / 3]}), tmp_path / "a.csv")
    assert c.read_bytes() == "name,x\nZürich,0.666666666667\n".encode()


# ------------------------------------------------------------------------------------------
# a scorecard fitted on the simulated table
# ------------------------------------------------------------------------------------------
FEATURES = [
    "platform_credit_score",
    "payment_to_income",
    "utilisation",
    "max_dpd_24m",
    "inquiries_6m",
    "employment_years",
    "occupation",
    "education",
    "partner_id",
]


@pytest.fixture(scope="module")
def table(modeling) -> pd.DataFrame:
    return modeling[FEATURES]


@pytest.fixture(scope="module")
def cards(modeling) -> dict[bool, Scorecard]:
    train = modeling[(modeling.segment == "consumer") & modeling.bad_mature].iloc[:6000]
    out = {}
    for rounding in (False, True):
        binner = WoeBinner(
            categorical_features=["occupation", "education", "partner_id"],
            time_limit=5,
            max_n_bins=6,
            unseen="worst",
        )
        out[rounding] = Scorecard(binner=binner, selector=None, rounding=rounding).fit(
            train[FEATURES], train["bad"]
        )
    return out


@pytest.mark.filterwarnings("ignore:Feature 'partner_id' has categories never seen:UserWarning")
@pytest.mark.parametrize("rounding", [False, True])
def test_rounded_scorecard_scores_like_the_model(cards, table, rounding, tmp_path):
    """All 20,000 applications of the simulated table (both segments) score the same from the
    JSON artifact (numbers at 12 significant digits) as from the fitted model in memory."""
    sc = cards[rounding]
    path = tmp_path / "scorecard.json"
    sc.to_json(path)
    text = path.read_text()
    assert '"offset": 487.122876205,' in text  # rounded to 12 significant digits
    from_json = Scorer(path)
    assert from_json.model != sc.to_dict()  # the numbers were rounded ...
    pd_json = from_json.pd_(table).to_numpy()
    pd_memory = sc.predict_proba(table)[:, 1]
    assert np.abs(pd_json - pd_memory).max() <= 1e-9  # ... and the PDs agree to 1e-9
    score_json, score_memory = from_json.score(table).to_numpy(), sc.predict_score(table)
    if rounding:  # rounded points: exactly the same scores
        assert score_json.tolist() == score_memory.tolist()
    else:
        assert np.abs(score_json - score_memory).max() <= 1e-9


def _ulp(obj, direction: float):
    """A copy with every non-zero float moved by one ulp towards ``direction``."""
    if isinstance(obj, dict):
        return {k: _ulp(v, direction) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_ulp(v, direction) for v in obj]
    if isinstance(obj, float) and obj != 0.0 and math.isfinite(obj):
        return float(np.nextafter(obj, direction))
    return obj


def _count_floats(obj) -> int:
    if isinstance(obj, dict):
        return sum(_count_floats(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_count_floats(v) for v in obj)
    return int(isinstance(obj, float) and obj != 0.0)


@pytest.mark.parametrize("rounding", [False, True])
@pytest.mark.parametrize("direction", [math.inf, -math.inf])
def test_one_ulp_on_every_float_writes_the_same_text(cards, rounding, direction):
    """Another CPU: the same fit with every float off by one ulp (numpy's SIMD log/exp or BLAS
    summation order) writes byte-identical scorecard.json, binning.json, points.csv and
    scorecard.sql.

    A value lying exactly at a 12-digit rounding boundary can still flip (a chance of about
    one in 10^4 per value for one ulp), and so can a computed value that is noise around zero
    (exact zeros, such as an empty bin's WoE, are exact on every CPU and are not moved here);
    that is why ``verify --rebuild`` compares with a tolerance
    (:func:`riskresearch.compare.compare_artifacts`)."""
    sc = cards[rounding]
    model = sc.to_dict()
    moved = _ulp(model, direction)
    assert moved != model and _count_floats(model) > 150
    assert json_text(moved) == json_text(model) == sc.to_json()
    assert Scorer(moved).to_sql() == Scorer(model).to_sql() == sc.to_sql()

    bins = sc.binner_.to_dict()
    assert json_text(_ulp(bins, direction)) == sc.binner_.to_json()

    points = sc.points_table()
    floats = points.select_dtypes("float").columns
    shifted = points.assign(
        **{
            c: np.where(points[c] != 0, np.nextafter(points[c], direction), points[c])
            for c in floats
        }
    )
    assert not shifted.equals(points)
    assert csv_text(shifted) == csv_text(points)


def test_the_model_writers_use_the_fixed_precision(cards, tmp_path):
    """binning.json (development.write_binning), scorecard.json (Scorecard.to_json) and the SQL
    (Scorer.to_sql) hold no float with more than 12 significant digits."""
    from riskresearch.development import write_binning

    sc = cards[False]
    write_binning(sc.binner_, tmp_path)
    sc.to_json(tmp_path / "scorecard.json")
    (tmp_path / "scorecard.sql").write_text(sc.to_sql())
    for name in ("binning.json", "scorecard.json", "scorecard.sql"):
        text = (tmp_path / name).read_text()
        found = re.findall(r"(?<![\w.])-?(\d+\.\d*|\.\d+)(?:e[-+]?\d+)?", text)
        digits = [len(m.replace(".", "").lstrip("0").rstrip("0")) for m in found]
        assert len(digits) > 50 and max(digits) == 12, name
