"""Tolerant comparison of two releases' model artifacts (src/riskresearch/compare.py).

Small real artifacts are fitted on the simulated table of conftest.py (a scorecard with its
binning, points table and SQL, a GBM) and on toy data (a fraud model, and a second scorecard
standing in for behavior.json, whose columns the application sample lacks), written with the
library's own writers; the "rebuilt" folder is a copy that each test edits.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from riskresearch.binning import WoeBinner
from riskresearch.compare import (
    DIFFERS,
    EQUAL,
    IDENTICAL,
    ArtifactComparison,
    compare_artifacts,
)
from riskresearch.errors import ConfigError, DataError
from riskresearch.fraud import FraudModel, write_fraud_model
from riskresearch.gbm import GbmClassifier
from riskresearch.monitoring._common import BASELINE_FORMAT
from riskresearch.monitoring.baseline import _sha
from riskresearch.scorecard import Scorecard
from riskresearch.scoring import SEGMENTED_FORMAT
from riskresearch.textfmt import write_csv, write_json

CARD_FEATURES = [
    "platform_credit_score",
    "payment_to_income",
    "utilisation",
    "max_dpd_24m",
    "occupation",
    "education",
]
GBM_FEATURES = ["platform_credit_score", "payment_to_income", "utilisation", "occupation"]
NAMES = [
    "binning.json",
    "scorecard.json",
    "points.csv",
    "scorecard.sql",
    "gbm.txt",
    "gbm.json",
    "fraud.txt",
    "fraud.json",
    "behavior.json",
]


@pytest.fixture(scope="module")
def original(modeling, tmp_path_factory):
    out = tmp_path_factory.mktemp("original")
    train = modeling[(modeling.segment == "consumer") & modeling.bad_mature].iloc[:6000]
    binner = WoeBinner(categorical_features=["occupation", "education"], time_limit=5, max_n_bins=6)
    card = Scorecard(binner=binner, selector=None, rounding=True).fit(
        train[CARD_FEATURES], train["bad"]
    )
    card.binner_.to_json(out / "binning.json")
    card.to_json(out / "scorecard.json")
    write_csv(card.points_table(), out / "points.csv")
    (out / "scorecard.sql").write_text(card.to_sql() + "\n")

    gbm = GbmClassifier(random_state=3, num_boost_round=40).fit(train[GBM_FEATURES], train["bad"])
    text, meta = gbm.to_text()
    (out / "gbm.txt").write_text(text)
    (out / "gbm.json").write_text(meta + "\n")

    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    kind = rng.choice(["pass", "manual_review"], size=2000)
    y = (x + 2 * (kind == "manual_review") + rng.normal(size=2000) > 3.2).astype(int)
    toy = pd.DataFrame({"x": x, "kind": kind, "linked_7d": rng.poisson(0.2, 2000)})
    write_fraud_model(FraudModel(num_boost_round=20).fit(toy, y), out)

    days = rng.integers(0, 90, size=4000).astype(float)
    late = (rng.uniform(size=4000) < 0.05 + days / 200).astype(int)
    behavior = Scorecard(binner=WoeBinner(time_limit=5), selector=None).fit(
        pd.DataFrame({"days_since_payment": days}), late
    )
    behavior.to_json(out / "behavior.json")
    return out


@pytest.fixture(scope="module")
def sample(modeling) -> pd.DataFrame:
    return modeling.head(2000)


@pytest.fixture
def rebuilt(original, tmp_path):
    out = tmp_path / "rebuilt"
    shutil.copytree(original, out)
    return out


def _by_name(results: list[ArtifactComparison]) -> dict[str, ArtifactComparison]:
    return {r.name: r for r in results}


def _edit(path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def _last_digit_up(path, pattern: str) -> None:
    """Raise the last digit of the first number matching ``pattern`` (a regex group) by one,
    where that changes its value (a 17th digit may not)."""
    text = path.read_text()
    for m in re.finditer(pattern, text):
        old = m.group(1)
        new = old[:-1] + str(int(old[-1]) + 1)
        if old[-1] != "9" and float(new) != float(old):
            path.write_text(text[: m.start(1)] + new + text[m.end(1) :])
            return
    raise AssertionError(f"no number to change in {path.name}")


# ------------------------------------------------------------------------------------------
# identical and equal within tolerance
# ------------------------------------------------------------------------------------------
def test_identical_copy(original, rebuilt, sample):
    results = compare_artifacts(original, rebuilt, NAMES, sample)
    assert [r.name for r in results] == NAMES
    assert {r.status for r in results} == {IDENTICAL}
    assert all(r.ok and r.reason == "" for r in results)
    assert results[0].describe() == "binning.json: identical"


LONG = r"(-?\d+\.\d{8,})"  # a number with many digits: its last one is a rounding digit


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("binning.json", r'"woe": ' + LONG),
        ("scorecard.json", r'"woe": ' + LONG),
        ("scorecard.json", r'"offset": ' + LONG),  # the PD scale: scores unchanged, PDs not
        ("points.csv", r"," + LONG),
        ("scorecard.sql", r"< " + LONG),  # a split of the SQL, no sample row on it
        ("gbm.txt", r"leaf_value=" + LONG),
        ("gbm.txt", r"\nthreshold=" + LONG),
        ("fraud.txt", r"leaf_value=" + LONG),
        ("behavior.json", r'"points": \[\s*' + LONG),
    ],
)
def test_one_float_changed_in_its_last_digit(original, rebuilt, sample, name, pattern):
    _last_digit_up(rebuilt / name, pattern)
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))
    assert got[name].status == EQUAL, got[name].describe()
    assert got[name].ok
    assert got[name].reason.startswith("numbers agree to ")
    assert not got[name].reason.startswith("numbers agree to 0.0e+00")  # a number did change
    assert {r.status for n, r in got.items() if n != name} == {IDENTICAL}


def test_models_are_scored_on_the_sample_and_on_probe_rows(original, rebuilt, sample):
    for name, pattern in (
        ("scorecard.json", r'"woe": ' + LONG),
        ("gbm.json", None),
        ("fraud.txt", r"leaf_value=" + LONG),
        ("behavior.json", r'"points": \[\s*' + LONG),
        ("points.csv", r"," + LONG),
    ):
        if pattern:
            _last_digit_up(rebuilt / name, pattern)
    # gbm.json: the same content with another indentation
    meta = json.loads((rebuilt / "gbm.json").read_text())
    (rebuilt / "gbm.json").write_text(json.dumps(meta, indent=2))
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))
    assert re.search(
        r"score and pd on [\d,]+ sample and probe rows agree to", got["scorecard.json"].reason
    )
    assert re.search(r"pd on [\d,]+ sample and probe rows agree", got["gbm.json"].reason)
    # the toy models' columns are not in the application sample: probe rows only
    assert re.search(
        r"fraud_score on \d+ probe rows \(the sample lacks 'x'\) agree", got["fraud.txt"].reason
    )
    assert "the sample lacks 'days_since_payment'" in got["behavior.json"].reason
    assert "rows" not in got["points.csv"].reason  # a table scores nothing
    # without a sample the probe rows alone
    alone = _by_name(compare_artifacts(original, rebuilt, ["scorecard.json"]))
    assert re.search(r"score and pd on \d+ probe rows agree", alone["scorecard.json"].reason)


# ------------------------------------------------------------------------------------------
# real differences, named
# ------------------------------------------------------------------------------------------
def _card(folder) -> dict:
    return json.loads((folder / "scorecard.json").read_text())


def _write_card(folder, card: dict) -> None:
    (folder / "scorecard.json").write_text(json.dumps(card, indent=1) + "\n")


def test_a_changed_split_differs(original, rebuilt, sample):
    card = _card(rebuilt)
    card["features"]["platform_credit_score"]["splits"][1] += 1.0
    _write_card(rebuilt, card)
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))["scorecard.json"]
    assert got.status == DIFFERS and not got.ok
    assert re.fullmatch(
        r"features\.platform_credit_score\.splits\[1\]: [\d.]+ vs [\d.]+", got.reason
    ), got.reason


def test_changed_points_differ_in_json_csv_and_sql(original, rebuilt, sample):
    card = _card(rebuilt)
    points = card["features"]["occupation"]["points"]
    before = points[0]
    points[0] = before + 1
    _write_card(rebuilt, card)
    text = (rebuilt / "points.csv").read_text().splitlines()
    row = next(i for i, line in enumerate(text) if line.startswith("max_dpd_24m,"))
    text[row] = re.sub(r",(\d+)\.0$", lambda m: f",{int(m.group(1)) + 2}.0", text[row])
    (rebuilt / "points.csv").write_text("\n".join(text) + "\n")
    sql = (rebuilt / "scorecard.sql").read_text()
    (rebuilt / "scorecard.sql").write_text(sql.replace("THEN ", "THEN 1", 1))
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))
    assert got["scorecard.json"].reason == (
        f"features.occupation.points[0]: {before!r} vs {before + 1!r}"
    )
    assert re.fullmatch(
        rf"line {row + 1}, column 'points': \d+\.0 vs \d+\.0", got["points.csv"].reason
    )
    assert re.fullmatch(
        r"line 1, after '\.\.\..*IS NULL THEN ': [\d.]+ vs 1[\d.]+", got["scorecard.sql"].reason
    ), got["scorecard.sql"].reason


def test_a_changed_category_differs(original, rebuilt, sample):
    card = _card(rebuilt)
    groups = card["features"]["education"]["groups"]
    moved = groups[0].pop()
    groups[1].append(moved)  # one category moves to the next group
    _write_card(rebuilt, card)
    meta = json.loads((rebuilt / "gbm.json").read_text())
    meta["categories"]["occupation"][0] = "astronaut"
    (rebuilt / "gbm.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))
    assert got["scorecard.json"].status == DIFFERS
    assert got["scorecard.json"].reason.startswith("features.education.groups[0]: ")
    assert got["gbm.json"].reason.startswith("categories.occupation[0]: ")
    assert got["gbm.json"].reason.endswith(" vs 'astronaut'")


def test_a_changed_tree_differs_naming_the_tree(original, rebuilt, sample):
    text = (rebuilt / "gbm.txt").read_text()
    tree7 = text.index("Tree=7\n")
    at = text.index("threshold=", tree7) + len("threshold=")
    first = text[at:].split()[0]
    (rebuilt / "gbm.txt").write_text(text[:at] + repr(float(first) + 0.5) + text[at + len(first) :])
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))["gbm.txt"]
    assert got.status == DIFFERS
    assert got.reason.startswith(f"Tree=7, threshold: {first} vs ")

    # a split on another feature: decision structure, not a number
    text = (original / "gbm.txt").read_text()
    at = text.index("split_feature=", tree7) + len("split_feature=")
    feature = text[at]
    (rebuilt / "gbm.txt").write_text(text[:at] + str((int(feature) + 1) % 4) + text[at + 1 :])
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))["gbm.txt"]
    assert got.reason.startswith(f"Tree=7, split_feature: {feature} vs ")


def test_a_split_moved_within_the_tolerance_across_a_sample_row_differs(original, rebuilt, sample):
    """One ulp on a split is within the tolerance as a number, but a sample row lying exactly on
    it changes bin: the scores tell."""
    card = _card(rebuilt)
    spec = card["features"]["payment_to_income"]
    points = spec["points"]
    i = next(k for k in range(len(spec["splits"])) if points[k] != points[k + 1])
    split = spec["splits"][i]
    spec["splits"][i] = float(np.nextafter(split, np.inf))
    _write_card(rebuilt, card)
    on_split = sample.copy()
    on_split.loc[on_split.index[5], "payment_to_income"] = split
    got = _by_name(compare_artifacts(original, rebuilt, ["scorecard.json"], on_split))
    assert got["scorecard.json"].status == DIFFERS
    assert re.fullmatch(
        r"score differs on 1 of 2,000 sample rows \(first: sample row 5: (\d+) vs (\d+)\)",
        got["scorecard.json"].reason,
    ), got["scorecard.json"].reason
    old, new = map(float, re.findall(r": (\d+) vs (\d+)", got["scorecard.json"].reason)[0])
    assert old - new == points[i + 1] - points[i]  # the row fell from bin i + 1 into bin i
    # without that row the same files agree within the tolerance
    again = _by_name(compare_artifacts(original, rebuilt, ["scorecard.json"], sample))
    assert again["scorecard.json"].status == EQUAL


def test_structure_differences_are_named(original, rebuilt, sample):
    card = _card(rebuilt)
    card["extra"] = 1
    _write_card(rebuilt, card)
    (rebuilt / "points.csv").write_text((original / "points.csv").read_text() + "x,y,1,2,3,4,5\n")
    text = (original / "gbm.txt").read_text()
    (rebuilt / "gbm.txt").write_text(text.replace("end of trees", "Tree=999\nend of trees"))
    (rebuilt / "binning.json").write_text("{not json")
    (rebuilt / "fraud.json").unlink()
    got = _by_name(compare_artifacts(original, rebuilt, NAMES, sample))
    assert got["scorecard.json"].reason == "(top level): key 'extra' only in the rebuilt"
    assert re.fullmatch(r"\d+ rows vs \d+", got["points.csv"].reason)
    assert got["gbm.txt"].status == DIFFERS
    assert got["binning.json"].reason.startswith("the rebuilt file is not valid JSON")
    assert got["fraud.json"].reason == "missing from the rebuilt release"
    # fraud.txt itself is unchanged
    assert got["fraud.txt"].status == IDENTICAL
    assert got["fraud.json"].describe() == "fraud.json: differs (missing from the rebuilt release)"


def test_a_segmented_scorecard_is_scored_per_segment(original, tmp_path, sample):
    card = _card(original)
    thin = json.loads(json.dumps(card))
    thin["scaling"]["offset"] += 40.0  # another scale: the PDs are per segment
    segmented = {
        "format": SEGMENTED_FORMAT,
        "segments": [
            {"name": "enterprise", "when": {"segment": "enterprise"}, "scorecard": card},
            {"name": "consumer", "when": {"segment": "consumer"}, "scorecard": thin},
        ],
    }
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        write_json(folder / "scorecard.json", segmented)
    _last_digit_up(new / "scorecard.json", r'"offset": ' + LONG)
    (got,) = compare_artifacts(old, new, ["scorecard.json"], sample)
    assert got.status == EQUAL
    assert re.search(r"score and pd on 2,0\d\d sample and probe rows agree", got.reason)
    (alone,) = compare_artifacts(old, new, ["scorecard.json"])  # probe rows of both segments
    assert re.search(r"on 1\d probe rows agree", alone.reason), alone.reason

    segmented["segments"][1]["scorecard"]["features"]["education"]["points"][0] += 1
    write_json(new / "scorecard.json", segmented)
    (got,) = compare_artifacts(old, new, ["scorecard.json"], sample)
    assert got.reason.startswith("segments[1].scorecard.features.education.points[0]: ")


def test_the_monitoring_baseline_may_hash_its_own_rounded_scorecard(
    original, rebuilt, sample, tmp_path
):
    """monitoring_baseline.json holds the sha256 of its release's scorecard: a last digit of
    the scorecard changes it. When each version's hash is that of the scorecard.json beside it
    (the baseline's own loader checks it), the hash is not compared."""
    old = tmp_path / "original"
    shutil.copytree(original, old)
    _last_digit_up(rebuilt / "scorecard.json", r'"offset": ' + LONG)
    for folder in (old, rebuilt):
        baseline = {
            "format": BASELINE_FORMAT,
            "scorecard_sha256": _sha(_card(folder)),
            "noise_floor": 0.0123456789012,
        }
        write_json(folder / "monitoring_baseline.json", baseline, sort_keys=True)
    names = ["scorecard.json", "monitoring_baseline.json"]
    got = _by_name(compare_artifacts(old, rebuilt, names, sample))
    assert got["scorecard.json"].status == EQUAL
    assert got["monitoring_baseline.json"].status == EQUAL
    assert got["monitoring_baseline.json"].reason == "numbers agree to 0.0e+00"

    baseline["scorecard_sha256"] = "0" * 64  # the hash of no scorecard of the release
    write_json(rebuilt / "monitoring_baseline.json", baseline, sort_keys=True)
    got = _by_name(compare_artifacts(old, rebuilt, names, sample))
    assert got["monitoring_baseline.json"].status == DIFFERS
    assert got["monitoring_baseline.json"].reason.startswith("scorecard_sha256: ")
    assert got["monitoring_baseline.json"].reason.endswith(" vs '" + "0" * 36 + "...")


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def test_bad_folders_names_sample_and_tolerance(original, tmp_path, sample):
    with pytest.raises(ConfigError, match=r"'.*nowhere' is not a folder\. Give the two release"):
        compare_artifacts(original, tmp_path / "nowhere", NAMES)
    for name in ("../scorecard.json", "/etc/passwd", "a/../../b"):
        refused = r"the artifact name .* is refused: it (leaves or loops|is an absolute)"
        with pytest.raises(ConfigError, match=refused):
            compare_artifacts(original, original, [name])
    with pytest.raises(ConfigError, match="'sample' parameter of compare_artifacts must be a"):
        compare_artifacts(original, original, NAMES, sample.to_dict())
    for bad in (0, -1e-9, float("nan"), "1e-9", True):
        with pytest.raises(ConfigError, match="'tolerance' parameter of compare_artifacts must"):
            compare_artifacts(original, original, NAMES, tolerance=bad)


def test_a_sample_the_original_cannot_score_is_an_error(original, rebuilt, sample):
    _last_digit_up(rebuilt / "scorecard.json", r'"woe": ' + LONG)
    broken = sample.astype({"utilisation": object})
    broken.loc[broken.index[3], "utilisation"] = "high"
    with pytest.raises(
        DataError,
        match=r"the original scorecard\.json cannot score the sample rows: Column 'utilisation' "
        r"is numerical but holds text",
    ):
        compare_artifacts(original, rebuilt, ["scorecard.json"], broken)
