"""The bin editor: operations checked against the raw rows, the refit, the YAML round trip,
one-line refusals, the widget driven from Python, and overrides reaching binning.json."""

from __future__ import annotations

import copy
import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from riskresearch import development, metrics
from riskresearch.bineditor import BinEditor, monotonicity
from riskresearch.bineditor.yamlfile import splice_overrides
from riskresearch.binning import WoeBinner
from riskresearch.config import config_from_dict, load_config
from riskresearch.errors import ConfigError, DataError
from riskresearch.release import seal
from riskresearch.scorecard import Scorecard
from riskresearch.woe import FeatureBins, category_key
from tests.conftest import ROOT

BLOCK = "  overrides:"  # where the editor's block starts in the consumer config


def _config_text(warehouse, modeling_path) -> str:
    """The shipped consumer config, comments and all, on the session's simulated data."""
    text = (ROOT / "scorecards" / "consumer.yaml").read_text()
    text = text.replace("../data/modeling_table.parquet", str(modeling_path))
    return text.replace("../data/leasing.duckdb", str(warehouse))


@pytest.fixture(scope="module")
def opened(tmp_path_factory, warehouse, modeling_path) -> BinEditor:
    path = tmp_path_factory.mktemp("cfg") / "consumer.yaml"
    path.write_text(_config_text(warehouse, modeling_path))
    return BinEditor.from_config(path)


@pytest.fixture
def editor(opened, tmp_path) -> BinEditor:
    """A private copy of the opened editor, saving to its own copy of the config."""
    ed = copy.deepcopy(opened)
    ed.config_path = tmp_path / "consumer.yaml"
    ed.config_path.write_text(opened.config_path.read_text())
    return ed


# ------------------------------------------------------------------------------------------
# an independent computation from the raw rows
# ------------------------------------------------------------------------------------------
def _counts(y: np.ndarray, bins: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.DataFrame({"bin": bins, "bad": y})
    grouped = frame.groupby("bin")["bad"].agg(["size", "sum"]).reindex(range(n), fill_value=0)
    return (grouped["size"] - grouped["sum"]).to_numpy(float), grouped["sum"].to_numpy(float)


def _iv(good: np.ndarray, bad: np.ndarray) -> float:
    total = 0.0
    for g, b in zip(good, bad):
        if g + b == 0:
            continue
        if g == 0 or b == 0:
            g, b = g + 0.5, b + 0.5
        pg, pb = g / good.sum(), b / bad.sum()
        total += (pg - pb) * math.log(pg / pb)
    return total


def _numeric_bins(x: pd.Series, splits: list[float]) -> np.ndarray:
    """Bin of each value: pd.cut on [a, b) intervals; missing values get the last bin."""
    edges = [-np.inf, *splits, np.inf]
    cut = pd.cut(x, edges, right=False, labels=False)
    return cut.fillna(len(splits) + 2).to_numpy(int)


def _check_against_rows(ed: BinEditor, feature: str, bins: np.ndarray) -> None:
    fb = ed.bins[feature]
    y = ed.rows[ed.cfg.data.target].to_numpy()
    good, bad = _counts(y, bins, fb.n_regular + 2)
    np.testing.assert_allclose(fb.good, good)
    np.testing.assert_allclose(fb.bad, bad)
    assert ed.summary(feature)["iv"] == pytest.approx(_iv(good, bad), rel=1e-12)
    tab = ed.table(feature)
    np.testing.assert_allclose(tab["count"].to_numpy()[:-1], good + bad)


def _numeric_with_bins(ed: BinEditor, at_least: int = 4) -> str:
    return next(
        f
        for f in ed.selected
        if ed.bins[f].dtype == "numerical" and ed.bins[f].n_regular >= at_least
    )


# ------------------------------------------------------------------------------------------
# operations
# ------------------------------------------------------------------------------------------
def test_opening_shows_every_candidate_with_its_iv_and_the_scorecard(opened):
    feats = opened.features()
    assert set(feats.feature) == set(opened.bins)
    assert list(feats.iv) == sorted(feats.iv, reverse=True)
    assert set(feats.feature[feats.selected]) == set(opened.selected)
    assert 0.6 < opened.model["auc"] < 1.0
    assert opened.model["auc"] == opened.model["auc_at_open"]


def test_merge_adjacent_numeric_bins_counts_like_the_raw_rows(editor):
    f = _numeric_with_bins(editor)
    before = list(editor.bins[f].splits)
    editor.merge(f, 2, 1)
    assert editor.bins[f].splits == [s for i, s in enumerate(before) if i != 1]
    assert editor.bins[f].source == "override"
    _check_against_rows(editor, f, _numeric_bins(editor.rows[f], editor.bins[f].splits))


def test_split_at_a_typed_value_counts_like_the_raw_rows(editor):
    f = _numeric_with_bins(editor)
    lo, hi = editor.bins[f].splits[0], editor.bins[f].splits[1]
    x = editor.rows[f]
    value = float(x[(x > lo) & (x < hi)].median())
    editor.split(f, value)
    assert value in editor.bins[f].splits
    assert editor.bins[f].splits == sorted(editor.bins[f].splits)
    _check_against_rows(editor, f, _numeric_bins(x, editor.bins[f].splits))
    assert editor.table(f).loc[1, "count"] == ((x >= lo) & (x < value)).sum()


def test_regroup_and_move_categories_count_like_the_raw_rows(editor):
    f = "education"
    cats = editor.categories(f)
    editor.regroup(f, [cats[:2], [], cats[2:]])  # the empty group is dropped
    assert editor.bins[f].groups == [cats[:2], cats[2:]]
    editor.move(f, cats[0], 2)  # into a new group
    assert editor.bins[f].groups == [cats[1:2], cats[2:], [cats[0]]]
    keys = editor.rows[f].map(category_key)
    where = {c: i for i, g in enumerate(editor.bins[f].groups) for c in g}
    bins = keys.map(where).fillna(editor.bins[f].missing_index).to_numpy(int)
    _check_against_rows(editor, f, bins)


def test_missing_values_assigned_to_a_bin_count_and_score_there(editor):
    f = "lenders_6m"
    assert editor.rows[f].isna().any()
    editor.assign(f, "missing", 0)
    fb = editor.bins[f]
    bins = _numeric_bins(editor.rows[f], fb.splits)
    bins[editor.rows[f].isna().to_numpy()] = 0
    _check_against_rows(editor, f, bins)
    assert editor.table(f).loc["Missing", "note"] == "in bin 0"
    woe = fb.woe()
    assert woe[fb.missing_index] == woe[0]
    assert fb.transform(pd.Series([np.nan]))[0] == woe[0]
    editor.merge(f, 0, 1)  # the assignment follows its bin
    assert editor.bins[f].missing_bin == 0
    editor.assign(f, "missing", None)
    assert editor.bins[f].missing_bin is None
    assert editor.table(f).loc["Missing", "count"] == editor.rows[f].isna().sum()


def test_reset_gives_back_the_optimal_bins_and_drops_the_reason(editor, opened):
    f = _numeric_with_bins(editor)
    editor.merge(f, 0, 1).set_reason(f, "too few bads")
    editor.reset(f)
    assert editor.bins[f].splits == opened.bins[f].splits
    assert editor.bins[f].source == "optimal" and editor.bins[f].reason is None
    assert f not in editor.to_overrides()
    assert editor.model["auc"] == pytest.approx(opened.model["auc"], abs=1e-12)


def test_refit_auc_equals_a_scorecard_fitted_from_scratch_on_the_overrides(editor):
    """The cached refit after an edit = the logistic regression of the config's own binning
    with the editor's overrides, fitted anew on the development rows."""
    f = _numeric_with_bins(editor)
    editor.merge(f, 0, 1)
    cfg = editor.cfg.model_copy(deep=True)
    cfg.binning.overrides = editor.to_overrides()
    binner = development.fit_binning(cfg, editor.rows)
    W = binner.transform(editor.rows[binner.features_])[editor.selected]
    y = editor.rows[cfg.data.target].to_numpy()
    lr = LogisticRegression(C=editor.C, max_iter=2000).fit(W, y)
    assert editor.model["auc"] == pytest.approx(metrics.auc(y, lr.predict_proba(W)[:, 1]), abs=1e-9)
    assert editor.model["auc"] != editor.model["auc_at_open"]


def test_reselect_runs_the_configs_selection_on_the_current_bins(editor, opened):
    assert editor.reselect().selected == opened.selected  # same bins: same scorecard
    assert editor.model["auc"] == pytest.approx(opened.model["auc"], abs=1e-12)
    f = _numeric_with_bins(editor)
    editor.merge(f, 0, 1).merge(f, 0, 1)  # a coarser feature: the selection may change
    ui = editor.ui()
    ui.reselect.click()
    stars = {v for label, v in ui.feature.options if label.startswith("★")}
    assert stars == set(editor.selected) and "Updated" in ui.status.value


def test_monotonicity_reads_the_bad_rate_of_regular_bins():
    fb = FeatureBins("x", "numerical", splits=[1, 2, 3], good=[90, 80, 70, 60, 0, 5],
                     bad=[10, 20, 30, 40, 0, 50])  # fmt: skip
    assert monotonicity(fb) == "ascending"
    fb.bad = [40, 30, 20, 10, 0, 0]
    assert monotonicity(fb) == "descending"
    fb.bad = [10, 30, 20, 40, 0, 0]
    assert monotonicity(fb) == "not monotonic (2 reversals)"


# ------------------------------------------------------------------------------------------
# refusals: one line each
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda ed, f: ed.split(f, 1e12), r"Cannot split '\w+' at 1e\+12: outside the observed"),
        (lambda ed, f: ed.split(f, ed.bins[f].splits[0]), r"already has a split at"),
        (lambda ed, f: ed.split(f, "abc"), r"at 'abc': not a number"),
        (lambda ed, f: ed.merge(f, 0, 2), r"bins 0 and 2 of '\w+': they are not adjacent"),
        (lambda ed, f: ed.merge(f, 0, 99), r"has regular bins 0 to \d+. Got 99"),
        (lambda ed, f: ed.merge("no_such", 0, 1), r"'no_such' is not a binned feature"),
        (lambda ed, f: ed.regroup(f, [[1]]), r"'\w+' is numerical and has no category groups"),
        (lambda ed, f: ed.set_reason(f, "why"), r"has its optimal bins, so there is no override"),
        (lambda ed, f: ed.assign(f, "special", 0), r"has no special codes"),
        (lambda ed, f: ed.assign(f, "other", 0), r"which='missing' or 'special'"),
        (lambda ed, f: ed.split("education", 1), r"'education' is categorical"),
    ],
)
def test_invalid_numeric_edits_are_refused_with_one_line(editor, edit, match):
    f = _numeric_with_bins(editor)
    before = copy.deepcopy(editor.bins)
    with pytest.raises(ConfigError, match=match) as exc:
        edit(editor, f)
    assert "\n" not in str(exc.value)
    assert editor.bins == before


@pytest.mark.parametrize(
    ("groups", "match"),
    [
        (lambda c: [c, c[:1]], r"categories \['\w+'\] are in more than one group"),
        (lambda c: [c[1:]], r"categories \['\w+'\] are in no group"),
        (lambda c: [[*c, "phd_in_astrology"]], r"\['phd_in_astrology'\] are not categories"),
    ],
)
def test_invalid_regroups_are_refused_with_one_line(editor, groups, match):
    with pytest.raises(ConfigError, match=match) as exc:
        editor.regroup("education", groups(editor.categories("education")))
    assert "\n" not in str(exc.value)


def test_a_segmented_config_is_refused(opened):
    cfg = opened.cfg.model_copy(deep=True)
    cfg.segments = {"all": {"segment": "consumer"}}
    with pytest.raises(ConfigError, match=r"has segments, and each segment bins its own rows"):
        BinEditor(cfg, opened.rows, WoeBinner.from_dict({"format": "riskresearch.binning/1",
                                                         "features": {}}), [])  # fmt: skip


# ------------------------------------------------------------------------------------------
# saving into the YAML config
# ------------------------------------------------------------------------------------------
def _outside_block(text: str) -> list[str]:
    """The lines of the config outside its binning.overrides block."""
    lines = text.split("\n")
    if BLOCK not in lines:
        return lines
    start = lines.index(BLOCK)
    end = start + 1
    while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
        end += 1
    return lines[:start] + lines[end:]


def test_save_writes_the_overrides_and_keeps_every_other_line(editor):
    original = editor.config_path.read_text()
    f = _numeric_with_bins(editor)
    editor.merge(f, 1, 2).set_reason(f, 'credit policy: "round" bands')
    editor.regroup("education", [editor.categories("education")])
    editor.assign("lenders_6m", "missing", 0)
    editor.save()
    text = editor.config_path.read_text()
    assert _outside_block(text) == original.split("\n")  # comments, order, spacing: all kept
    assert text.count("#") == original.count("#")
    cfg = load_config(editor.config_path)  # validates
    assert cfg.binning.overrides == editor.to_overrides()
    assert BinEditor.from_config(editor.config_path).to_overrides() == editor.to_overrides()
    assert cfg.binning.overrides[f]["reason"] == 'credit policy: "round" bands'
    assert cfg.binning.overrides["lenders_6m"]["missing_bin"] == 0
    # the next release bins them so: the config's binning equals the editor's bins
    binner = development.fit_binning(cfg, editor.rows)
    for name in (f, "education", "lenders_6m"):
        fb = binner.bins_[name]
        assert (fb.splits, fb.groups, fb.good, fb.bad) == (
            editor.bins[name].splits,
            editor.bins[name].groups,
            editor.bins[name].good,
            editor.bins[name].bad,
        )
        assert fb.source == "override"


def test_saving_again_keeps_hand_comments_of_unchanged_overrides(editor):
    original = editor.config_path.read_text()
    f = _numeric_with_bins(editor)
    editor.merge(f, 1, 2).save()
    commented = editor.config_path.read_text().replace(
        f"    {f}:\n", f"    # agreed with the credit committee\n    {f}:  # see minutes\n"
    )
    editor.config_path.write_text(commented)
    editor.regroup("education", [editor.categories("education")]).save()
    text = editor.config_path.read_text()
    assert "    # agreed with the credit committee\n" in text and "# see minutes" in text
    editor.reset(f).reset("education").save()
    assert editor.config_path.read_text() == original  # the hand comments went with the block
    assert load_config(editor.config_path).binning.overrides == {}


def test_yaml_texts_that_yaml_1_1_would_misread_are_quoted():
    overrides = {
        "yes": {"groups": [["yes", "no"], ["31", "null", "on"]], "reason": "yes"},
        "x": {"splits": [1e16, 0.1 + 0.2, 3.0]},
    }
    text = splice_overrides("model: m\n# data next\ndata: {table: t.csv, target: bad}\n", overrides)
    import yaml

    from riskresearch.config import YamlLoader

    assert yaml.load(text, Loader=YamlLoader)["binning"]["overrides"] == overrides
    assert text.startswith("model: m\n# data next\ndata: {table: t.csv, target: bad}\nbinning:\n")


def test_save_refuses_a_file_that_is_not_yaml_and_leaves_it(editor):
    editor.config_path.write_text("model: [unclosed\n")
    f = _numeric_with_bins(editor)
    with pytest.raises(ConfigError, match=r"is not valid YAML at line \d+"):
        editor.merge(f, 0, 1).save()
    assert editor.config_path.read_text() == "model: [unclosed\n"


# ------------------------------------------------------------------------------------------
# the widget, driven from Python
# ------------------------------------------------------------------------------------------
def test_widget_select_merge_reason_save(editor):
    ui = editor.ui()
    f = _numeric_with_bins(editor)
    ui.feature.value = f
    before = list(editor.bins[f].splits)
    assert ui.bin.value == 0  # a picker always holds a bin
    ui.bin.value = 1
    ui.merge.click()
    assert editor.bins[f].splits == [s for i, s in enumerate(before) if i != 1]
    assert "Updated" in ui.status.value
    assert f"IV {editor.summary(f)['iv']:.4f}" in ui.info.value
    assert f"{editor.model['auc']:.4f}" in ui.model.value
    assert not ui.reason.disabled
    ui.reason.value = "merge the thin bin"
    ui.save.click()
    assert "Saved 1 override" in ui.status.value
    cfg = load_config(editor.config_path)
    assert cfg.binning.overrides == {
        f: {"splits": editor.bins[f].splits, "reason": "merge the thin bin"}
    }
    ui.split_at.value = "1e12"
    ui.split.click()
    assert "outside the observed range" in ui.status.value and "#b00020" in ui.status.value
    ui.feature.value = "education"
    assert ui.category_row.layout.display is None and ui.numeric_row.layout.display == "none"
    assert ui.category.value == editor.categories("education")[0] and ui.group.value == 0
    ui.group.value = editor.bins["education"].n_regular  # a new group
    ui.move.click()
    assert [editor.categories("education")[0]] in editor.bins["education"].groups
    ui.missing_to.value = 0
    assert editor.bins["education"].missing_bin == 0
    assert bytes(ui.chart.value).startswith(b"\x89PNG")


# ------------------------------------------------------------------------------------------
# config, binning.json and scoring of overrides with reasons and assignments
# ------------------------------------------------------------------------------------------
BASE = {"model": "m", "data": {"target": "bad"}}


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"splits": [1], "groups": [["a"]]}, r"'binning.overrides.age'.*either 'splits'"),
        ({"reason": "why"}, r"'binning.overrides.age'.*it gives neither"),
        ({"splits": [1], "why": "x"}, r"'binning.overrides.age.why' is not a known key"),
        ({"splits": [1], "reason": 3}, r"'binning.overrides.age.reason'.*string"),
    ],
)
def test_config_overrides_are_validated_with_one_line(modeling_path, override, match):
    raw = {**BASE, "data": {**BASE["data"], "table": str(modeling_path)}}
    with pytest.raises(ConfigError, match=match) as exc:
        config_from_dict({**raw, "binning": {"overrides": {"age": override}}})
    assert "\n" not in str(exc.value)


def test_config_overrides_of_the_old_shape_still_load(modeling_path):
    raw = {**BASE, "data": {**BASE["data"], "table": str(modeling_path)}}
    overrides = {"age": {"splits": [30, 45]}, "education": {"groups": [["a", "b"], ["c"]]}}
    cfg = config_from_dict({**raw, "binning": {"overrides": overrides}})
    assert cfg.binning.overrides == {
        "age": {"splits": [30.0, 45.0]},
        "education": {"groups": [["a", "b"], ["c"]]},
    }


X = pd.DataFrame(
    {"x": [1.0, 2, 3, 4, 5, 6, np.nan, np.nan] * 10, "c": list("aabbccd") * 10 + [None] * 10}
)
Y = np.array([0, 0, 0, 1, 0, 1, 1, 0] * 10)


def test_reason_and_assignment_are_recorded_in_binning_json_and_scored():
    overrides = {
        "x": {"splits": [3.0, 5.0], "missing_bin": 2, "reason": "policy"},
        "c": {"groups": [["a", "b"], ["c", "d"]]},
    }
    binner = WoeBinner(overrides=overrides).fit(X, Y)
    exported = json.loads(binner.to_json())["features"]
    assert list(exported["x"])[:6] == [
        "dtype", "splits", "special_codes", "source", "reason", "missing_bin"
    ]  # fmt: skip
    assert exported["x"]["reason"] == "policy" and exported["x"]["missing_bin"] == 2
    assert "reason" not in exported["c"] and "missing_bin" not in exported["c"]
    assert binner.iv_summary().set_index("feature").loc["x", "reason"] == "policy"
    fb = WoeBinner.from_json(binner.to_json()).bins_["x"]
    assert fb.missing_bin == 2 and fb.reason == "policy"
    # bin 2 ([5, inf)) holds 5, 6 and the missing values: 10 + 10 + 20 rows
    assert fb.good[2] + fb.bad[2] == 40 and fb.good[-1] + fb.bad[-1] == 0
    card = Scorecard(binner=WoeBinner(overrides=overrides), selector=None, sign_check="flag")
    card.fit(X, Y)
    scorer = card.scorer()
    probe = pd.DataFrame({"x": [np.nan, 6.0], "c": ["a", "a"]})
    points = scorer.feature_points(probe)
    assert points["x"].iloc[0] == points["x"].iloc[1]
    con = duckdb.connect()
    con.register("t", probe.assign(_rid=[0, 1]))
    sql = con.sql(f"SELECT {scorer.to_sql()} AS s FROM t ORDER BY _rid").df()["s"]
    assert sql.iloc[0] == sql.iloc[1] == pytest.approx(scorer.score(probe).iloc[0], abs=1e-9)


def test_special_codes_assigned_to_a_bin_count_there():
    binner = WoeBinner(
        special_codes={"x": [6.0]}, overrides={"x": {"splits": [3.0], "special_bin": 0}}
    ).fit(X[["x"]], Y)
    fb = binner.bins_["x"]
    # bin 0 holds 1 and 2 (20 rows) and the special code 6 (10 rows); Special is empty
    assert (
        fb.good[0] + fb.bad[0] == 30 and fb.good[fb.special_index] + fb.bad[fb.special_index] == 0
    )
    assert fb.transform(pd.Series([6.0]))[0] == fb.woe()[0] == fb.woe()[fb.special_index]


def test_a_bad_assignment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"feature 'x' gives missing_bin 3, not one of its"):
        WoeBinner(overrides={"x": {"splits": [3.0], "missing_bin": 3}}).fit(X, Y)
    data = WoeBinner(overrides={"x": {"splits": [3.0]}}).fit(X, Y).to_dict()
    data["features"]["x"]["missing_bin"] = 5
    with pytest.raises(DataError, match=r"feature 'x' has missing_bin 5, not a regular bin"):
        WoeBinner.from_dict(data)


def test_from_release_opens_its_reviewed_bins_and_scorecard(opened, tmp_path):
    f = _numeric_with_bins(opened)
    cfg = opened.cfg.model_copy(deep=True)
    cfg.binning.overrides = {f: {"splits": opened.bins[f].splits[1:], "reason": "reviewed"}}
    binner = development.fit_binning(cfg, opened.rows)
    folder = tmp_path / "release"
    development.write_binning(binner, folder)
    card = Scorecard(binner=binner, fit_binner=False, selector=None)
    card.fit(opened.rows[binner.features_], opened.rows[cfg.data.target])
    card.to_json(folder / "scorecard.json")
    for name in ("points.csv", "scorecard.sql"):
        (folder / name).write_text("-\n")
    seal(folder, cfg)
    ed = BinEditor.from_release(folder, config_path=tmp_path / "consumer.yaml")
    assert ed.selected == card.features_
    assert ed.bins[f].source == "override" and ed.bins[f].reason == "reviewed"
    assert ed.bins[f].splits == opened.bins[f].splits[1:]
    assert ed.bins[f].good == binner.bins_[f].good
    assert ed.to_overrides() == {f: {"splits": opened.bins[f].splits[1:], "reason": "reviewed"}}
