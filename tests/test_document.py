"""The model document (report.html): its statistics, its formatting, and the document itself
for a release folder written by library calls, for a minimal own-data table, and (once) for a
real build_release."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from riskresearch import development, gbm_development, metrics, oracle
from riskresearch.config import config_from_dict, load_config
from riskresearch.metrics import coefficient_table
from riskresearch.report import (
    delong,
    logit_standard_errors,
    release_fingerprint,
    render,
    write_report,
)
from riskresearch.report import fmt as f
from riskresearch.report.rows import coefficients, score_samples
from riskresearch.report.stats import ks_interval
from tests.conftest import ROOT

#: Section titles, in order, that the issue asks of the document.
SECTIONS = [
    "Purpose and scope",
    "Data and sample",
    "Binning",
    "Feature selection",
    "Model",
    "Performance",
    "Stability and monitoring baseline",
    "Reject inference",
    "Business parts of the release",
    "Limitations and assumptions",
    "Reproducibility",
]
COVER = [
    "Model",
    "Segment",
    "Date built",
    "Data window",
    "Target (bad)",
    "Exclusions",
    "Champion replaced",
    "Status",
    "Release fingerprint",
]


# ------------------------------------------------------------------------------------------
# statistics
# ------------------------------------------------------------------------------------------
def test_standard_errors_are_the_closed_form_of_a_two_by_two_table():
    """One binary feature: the logistic MLE is saturated, the coefficient is the log odds
    ratio and its standard error Woolf's sqrt(1/a + 1/b + 1/c + 1/d)."""
    counts = {(0, 0): 300, (0, 1): 60, (1, 0): 200, (1, 1): 90}  # (x, y): rows
    x = np.concatenate([np.full(n, k[0]) for k, n in counts.items()]).astype(float)
    intercept = math.log(60 / 300)
    coef = math.log((90 / 200) / (60 / 300))
    se = logit_standard_errors(x[:, None], [coef], intercept)
    assert se[0] == pytest.approx(math.sqrt(1 / 60 + 1 / 300), rel=1e-12)
    assert se[1] == pytest.approx(math.sqrt(1 / 60 + 1 / 300 + 1 / 90 + 1 / 200), rel=1e-12)
    # frequency weights give the standard errors of the repeated rows
    xw = np.array([[0.0], [0.0], [1.0], [1.0]])
    weights = [300, 60, 200, 90]
    np.testing.assert_allclose(
        logit_standard_errors(xw, [coef], intercept, sample_weight=weights), se, rtol=1e-12
    )


def test_standard_errors_equal_the_inverse_of_a_numerical_hessian():
    """Several correlated features: the analytic X'WX against central second differences of
    the log-likelihood itself."""
    rng = np.random.default_rng(3)
    n = 4000
    z = rng.normal(size=(n, 3))
    X = np.column_stack([z[:, 0], 0.6 * z[:, 0] + 0.8 * z[:, 1], z[:, 2] ** 2])
    beta = np.array([0.8, -0.5, 0.3])
    intercept = -1.2
    y = (rng.random(n) < 1 / (1 + np.exp(-(intercept + X @ beta)))).astype(float)

    def nll(theta):
        eta = theta[0] + X @ theta[1:]
        return float(np.sum(np.logaddexp(0, eta) - y * eta))

    theta = np.r_[intercept, beta]
    h = 1e-4
    k = len(theta)
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[i, j] = (
                nll(theta + ei + ej)
                - nll(theta + ei - ej)
                - nll(theta - ei + ej)
                + nll(theta - ei - ej)
            ) / (4 * h * h)
    expected = np.sqrt(np.diag(np.linalg.inv(hess)))
    np.testing.assert_allclose(logit_standard_errors(X, beta, intercept), expected, rtol=1e-5)
    table = coefficient_table(["a", "b", "c"], X, beta, intercept)
    assert table["term"].tolist() == ["intercept", "a", "b", "c"]
    np.testing.assert_allclose(table["z"], theta / expected, rtol=1e-5)
    assert ((table["p_value"] > 0) & (table["p_value"] < 1)).all()


def test_ks_interval_is_the_percentile_interval_of_resampled_ks():
    """The bootstrap's shortcut (distinct scores sorted once) gives the KS of each resample
    as metrics.ks computes it on the resampled rows."""
    rng = np.random.default_rng(0)
    x = np.round(rng.random(600), 2)  # ties, and resamples that miss some scores
    y = (rng.random(600) < 0.05 + 0.3 * x).astype(int)
    ks, lo, hi = ks_interval(y, x, seed=11, n_boot=60)
    assert ks == metrics.ks(y, x)
    draws, again = [], np.random.default_rng(11)
    for _ in range(60):
        i = again.integers(0, 600, 600)
        draws.append(metrics.ks(y[i], x[i]))
    assert [lo, hi] == pytest.approx(np.quantile(draws, [0.025, 0.975]), rel=0, abs=1e-12)


def test_delong_variance_equals_its_structural_components():
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.3).astype(int)
    x = np.round(rng.normal(y * 0.8, 1.0), 1)  # rounded: ties between and within classes
    pos, neg = x[y == 1], x[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    variance = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    auc, var = delong(y, x)
    assert auc == pytest.approx(psi.mean(), abs=1e-12)
    assert var == pytest.approx(variance, rel=1e-10)


def test_fingerprint_is_sha256_of_the_sorted_sha256sum_lines():
    hashes = {"b.json": "f" * 64, "a.json": "0" * 64}
    text = f"{'0' * 64}  a.json\n{'f' * 64}  b.json\n"
    assert release_fingerprint(hashes) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("func", "value", "text"),
    [
        (f.count, 6217.999999999617, "6,218"),
        (f.count, 12432, "12,432"),
        (f.money, -16200584.3, "-16,200,584"),
        (f.pct, 0.08478, "8.48%"),
        (f.num, -0.0000001, "0.000"),
        (f.bin_label, "[22324.5, 1.64981e+06)", "[22,324.5 to 1,649,810)"),
        (f.bin_label, "(-inf, 588.5)", "(−∞ to 588.5)"),
        (f.bin_label, "a, b", "a, b"),
    ],
)
def test_numbers_are_written_as_a_person_writes_them(func, value, text):
    assert func(value) == text


def test_target_description_defaults_to_a_sentence_of_the_target(tmp_path):
    table = tmp_path / "t.csv"
    pd.DataFrame({"bad": [0, 1], "x": [1, 2]}).to_csv(table, index=False)
    data = {"table": str(table), "target": "bad"}
    cfg = config_from_dict({"model": "m", "data": data})
    assert cfg.data.describe_target() == "the column 'bad' is 1 (or true): bad; 0 (or false): good"
    cfg = config_from_dict({"model": "m", "data": {**data, "bad_value": "Yes"}})
    assert cfg.data.describe_target() == "the column 'bad' is 'Yes': bad; its other value: good"
    given = {**data, "target_description": "ever 60+ days\n past due"}
    cfg = config_from_dict({"model": "m", "data": given})
    assert cfg.data.describe_target() == "ever 60+ days past due"
    shipped = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())["data"]
    cfg = config_from_dict(
        {"model": "m", "data": {**data, "target_description": shipped["target_description"]}}
    )
    assert cfg.data.describe_target() == "ever 60+ days past due within 6 months on book"


# ------------------------------------------------------------------------------------------
# what every document must be
# ------------------------------------------------------------------------------------------
_ABSOLUTE = re.compile(r"(?<![\w.:])/(?:tmp|home|root|work|Users|var|usr|opt|private|mnt)/")


def check_document(folder: Path, cfg, forbidden_paths: list[Path]) -> BeautifulSoup:
    """The checks every model document passes; returns the parsed document."""
    text = (folder / "report.html").read_text()
    soup = BeautifulSoup(text, "html.parser")
    for img in soup.find_all("img"):
        img["src"] = "data:"  # the figures' base64 is no text of the document
    visible = re.sub(r"\b[0-9a-f]{40,64}\b", "", soup.get_text(" "))  # hashes are no numbers
    # no code, repr, warning or machine path
    for bad in ("Traceback", "Warning", "PosixPath", "dtype:", "<Figure", "np.float", "array("):
        assert bad not in text, bad
    for bad in (">nan<", ">None<", ">True<", ">False<", ">inf<", "{'"):
        assert bad not in str(soup), bad
    assert not _ABSOLUTE.search(str(soup)), _ABSOLUTE.search(str(soup))
    for path in forbidden_paths:
        assert str(path) not in text, path
    # offline: nothing loaded from anywhere, every link inside the document
    assert not soup.find_all("link")
    for tag in soup.find_all(["script", "img", "iframe", "source"]):
        assert not str(tag.get("src", "")).startswith(("http", "//")), tag
    ids = {t["id"] for t in soup.find_all(id=True)}
    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert links and all(h.startswith("#") and h[1:] in ids for h in links), links
    # numbers: no exponent, no long decimals, counts with separators
    assert not re.search(r"\d\.?\d*[eE][+-]?\d", visible), re.search(r"\S*\de[+-]\d\S*", visible)
    assert not re.search(r"\d\.\d{9,}", visible), re.search(r"\d\.\d{9,}", visible)
    train, test = development.load_split(cfg)
    samples = soup.find("h4", string="Rows and bads per sample").find_next("table")
    cells = [td.get_text() for td in samples.find_all("td")]
    assert f"{len(train):,}" in cells and f"{len(test):,}" in cells
    # the cover and the numbered sections, in order
    facts = [dt.get_text() for dt in soup.find("dl", class_="facts").find_all("dt")]
    assert facts == COVER
    titles = [
        (h.find("span", class_="number").get_text(), h.get_text(" ", strip=True))
        for h in soup.find("main").find_all("h2")
    ]
    assert [n for n, _ in titles] == [str(i) for i in range(1, len(SECTIONS) + 1)]
    assert [t.split(" ", 1)[1] for _, t in titles] == SECTIONS
    contents = soup.find("nav", id="contents")
    for section in SECTIONS:
        assert section in contents.get_text(), section
    # every selected feature has a WoE chart, the points table every row of points.csv
    selection = pd.read_csv(folder / "selection.csv")
    for feat in selection.loc[selection["selected"], "feature"]:
        figure = soup.find("figure", id=f"woe-{feat}")
        assert figure is not None, feat
        png = (folder / "report.html").read_text().split(f'id="woe-{feat}"><img src="', 1)[1]
        assert base64.b64decode(png.split('"', 1)[0].split(",", 1)[1])[:4] == b"\x89PNG"
    points = pd.read_csv(folder / "points.csv")
    rows = soup.find("table", id="points-table").find("tbody").find_all("tr")
    assert len(rows) == len(points)
    shown = [[td.get_text() for td in r.find_all("td")] for r in rows]
    for row, (_, p) in zip(shown, points.iterrows()):
        assert row[0] == p["feature"]
        assert row[1] == f.bin_label(p["bin"])
        assert row[-1] == f"{round(p['points']):,}"
        assert "." not in row[2]  # counts as integers
    fingerprint = soup.find("dt", string="Release fingerprint").find_next("dd").get_text()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    return soup


def _sha256sum_command(soup: BeautifulSoup) -> str:
    return next(p.get_text() for p in soup.find_all("pre") if "sha256sum" in p.get_text())


# ------------------------------------------------------------------------------------------
# a release folder written by library calls (no papermill)
# ------------------------------------------------------------------------------------------
def _consumer(warehouse: Path, modeling_path: Path) -> dict:
    """The shipped consumer config on the session's small simulated data."""
    raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
    raw["data"].update(table=str(modeling_path), oracle=str(warehouse), warehouse=str(warehouse))
    raw["selection"]["max_features"] = 6  # fewer forward-selection rounds: faster
    raw["gbm"] = {"num_boost_round": 150}
    return raw


@pytest.fixture(scope="module")
def consumer_cfg(warehouse, modeling_path):
    return config_from_dict(_consumer(warehouse, modeling_path))


@pytest.fixture(scope="module")
def library_folder(consumer_cfg, tmp_path_factory) -> Path:
    """Data summary, binning, scorecard (with reject inference) and GBM written through the
    library, then the document."""
    cfg = consumer_cfg
    out = tmp_path_factory.mktemp("library-release")
    train, test = development.load_split(cfg)
    development.write_data_summary(cfg, train, test, out)
    development.write_binning(development.fit_binning(cfg, train), out)
    dev = development.develop(cfg, binner=development.load_binning(cfg, out))
    development.write_scorecard(dev, out)
    oracle.record(oracle.scorecard_summary(dev), out)
    gdev = gbm_development.develop_gbm(cfg, binner=development.load_binning(cfg, out))
    gbm_development.write_gbm(gdev, out)
    oracle.record(oracle.gbm_summary(gdev), out, "gbm")
    write_report(out, cfg, "1.0.0")
    return out


def test_document_of_a_library_written_folder(library_folder, consumer_cfg, warehouse):
    soup = check_document(library_folder, consumer_cfg, [library_folder, warehouse.parent])
    text = soup.get_text(" ")
    assert "A bin of categories may" not in text  # the consumer config sets small_bins: false
    # parts whose artifacts the folder lacks are listed as not written, with their title
    carries = soup.find("h4", string="What this release carries").find_next("table")
    status = {
        tr.find_all("td")[0].get_text(): tr.find_all("td")[2].get_text()
        for tr in carries.find("tbody").find_all("tr")
    }
    assert status["Anti-fraud model"].startswith("not in this folder")
    assert status["Scorecard"] == ""
    # the shipped target definition, and the simulator named because the config has an oracle
    assert "ever 60+ days past due within 6 months on book" in text
    assert "simulator" in text
    # the scorecard was fitted on the reject-inference sample: the counts say why they differ
    assert "augmented by reject inference (parceling)" in text


def test_coefficient_table_shows_every_feature_with_a_standard_error(library_folder):
    card = json.loads((library_folder / "scorecard.json").read_text())
    soup = BeautifulSoup((library_folder / "report.html").read_text(), "html.parser")
    section = soup.find("section", id="model-coefficients")
    rows = section.find("table").find("tbody").find_all("tr")
    shown = {r.find("td").get_text(): [td.get_text() for td in r.find_all("td")] for r in rows}
    assert list(shown) == ["intercept", *card["features"]]
    for name, spec in card["features"].items():
        coef, se = float(shown[name][1]), float(shown[name][2])
        assert coef == pytest.approx(spec["coefficient"], abs=1e-4)
        assert 0 < se < abs(coef)  # every selected feature is significant on 20k rows


def test_written_coefficients_match_those_of_the_rebuilt_sample(library_folder, consumer_cfg):
    """coefficients.csv (notebook 03, on the sample the regression was fitted on) agrees with
    the standard errors recomputed on the reject-inference sample rebuilt from scratch (what
    the document does for a release without the file)."""
    samples = score_samples(consumer_cfg, library_folder)
    written = coefficients(consumer_cfg, library_folder, samples)
    folder_without = library_folder.parent / "without-coefficients"
    shutil.copytree(library_folder, folder_without)
    (folder_without / "coefficients.csv").unlink()
    rebuilt = coefficients(consumer_cfg, folder_without, samples)
    assert len(written) == len(rebuilt) == 1
    assert written[0].note == rebuilt[0].note  # no "could not be rebuilt" note
    assert written[0].rows == pytest.approx(rebuilt[0].rows, rel=1e-9)
    pd.testing.assert_frame_equal(written[0].table, rebuilt[0].table, rtol=1e-6)
    assert written[0].table.std_error.notna().all()


def test_document_is_rewritten_in_place_without_leftovers(library_folder, consumer_cfg, tmp_path):
    folder = Path(shutil.copytree(library_folder, tmp_path / "copy"))
    (folder / "report.html").write_text("old")
    write_report(folder, consumer_cfg, "1.0.0", built="2025-01-31")
    text = (folder / "report.html").read_text()
    assert "old" != text and "2025-01-31" in text
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_cover_names_the_champion_and_the_promotion(
    library_folder, warehouse, modeling_path, tmp_path
):
    """A challenger compared with its champion (monitoring.champion) and then promoted: the
    cover gives the champion's version and the difference, and who promoted it."""
    from riskresearch.monitoring import champion_comparison, promote, write_comparison
    from riskresearch.release import seal

    champion = Path(shutil.copytree(library_folder, tmp_path / "champion"))
    raw = _consumer(warehouse, modeling_path)
    seal(champion, config_from_dict(raw))
    manifest = json.loads((champion / "manifest.json").read_text())
    (champion / "manifest.json").write_text(json.dumps({**manifest, "version": "1.0.0"}))
    cfg = config_from_dict({**raw, "monitoring": {"champion": str(champion)}})
    challenger = Path(shutil.copytree(library_folder, tmp_path / "challenger"))
    (challenger / "report.html").unlink()
    table = champion_comparison(cfg, challenger)
    write_comparison(table, challenger)
    seal(challenger, cfg)
    promote(challenger, by="ana", note="same model, new data")
    soup = BeautifulSoup(render(challenger, cfg, "1.1.0"), "html.parser")
    facts = {dt.get_text(): dt.find_next("dd").get_text() for dt in soup.find("dl").find_all("dt")}
    auc = table.set_index("model").loc["challenger", "auc"]
    rows = int(table["n"].iloc[0])
    assert facts["Champion replaced"].startswith(
        f"1.0.0: on the same {rows:,} out-of-time rows the AUC goes from {auc:.3f} to "
        f"{auc:.3f} (+0.000)"
    )
    assert "promoted by ana" in facts["Status"] and "same model, new data" in facts["Status"]


# ------------------------------------------------------------------------------------------
# a minimal own-data table: no date, no warehouse, no oracle
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def minimal(tmp_path_factory):
    from tests.test_install import _loans

    folder = tmp_path_factory.mktemp("own")
    _loans().to_csv(folder / "loans.csv", index=False)
    cfg_path = folder / "loans.yaml"
    cfg_path.write_text(
        "model: loans\ndata:\n  table: loans.csv\n  target: default\n  bad_value: 'Yes'\n"
    )
    cfg = load_config(cfg_path)
    out = folder / "release"
    train, test = development.load_split(cfg)
    development.write_data_summary(cfg, train, test, out)
    development.write_binning(development.fit_binning(cfg, train), out)
    development.write_scorecard(
        development.develop(cfg, binner=development.load_binning(cfg, out)), out
    )
    write_report(out, cfg, "1.0.0")
    return cfg, out


def test_document_of_a_minimal_table_says_what_was_skipped(minimal):
    cfg, out = minimal
    soup = check_document(out, cfg, [out.parent])
    text = soup.get_text(" ")
    assert "oracle" not in text.lower() and "simulat" not in text.lower()
    assert "no date column: 30% of the rows are test rows" in text
    # binning.small_bins is on by default: the floor is a quarter of the 2% minimum
    assert "A bin of categories may hold fewer rows, down to 0.5%, where its bad rate" in text
    assert "A bin of categories may be smaller, down to 0.5%" in text  # the limitations
    assert "the column 'default' is 'Yes': bad" in text
    parts = soup.find("section", id="parts")
    for title in ("Anti-fraud model", "Lease terms and decision rules", "Partners"):
        assert f"Not in this release: {title} was skipped, " in parts.get_text(" ")
    assert "needs data.date_column" in soup.find("section", id="stability").get_text(" ")
    assert "Skipped: the table has no date column" in text


# ------------------------------------------------------------------------------------------
# one real release (papermill), module-scoped: slow, built once
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory, warehouse, modeling_path):
    from riskresearch.release import build_release

    folder = tmp_path_factory.mktemp("built")
    config_path = folder / "consumer.yaml"
    config_path.write_text(yaml.safe_dump(_consumer(warehouse, modeling_path), sort_keys=False))
    return build_release(config_path, version="1.0.0", root=folder), load_config(config_path)


def test_document_of_a_built_release(built, warehouse):
    rel, cfg = built
    soup = check_document(rel.path, cfg, [rel.path.parent.parent, warehouse.parent])
    manifest = json.loads((rel.path / "manifest.json").read_text())
    shown = soup.find("dt", string="Release fingerprint").find_next("dd").get_text()
    assert manifest["fingerprint"] == shown
    # the command the document gives reproduces it from the files
    command = _sha256sum_command(soup)
    if shutil.which("sha256sum") and shutil.which("sort"):
        out = subprocess.run(
            ["bash", "-c", command], cwd=rel.path, capture_output=True, text=True, check=True
        )
        assert out.stdout.split()[0] == shown
    model = sorted(n for n, a in manifest["artifacts"].items() if a["kind"] == "model")
    assert command.split("|")[0].split()[1:] == model
    # every business part the release built has its section with a summary, and the
    # monitoring baseline and both KS plots carry scores, not negative PDs
    parts = soup.find("section", id="parts")
    for ident in ("fraud", "strategy", "arrears", "behavior", "partners"):
        section = parts.find("section", id=f"parts-{ident}")
        assert "Not in this release" not in section.get_text(), ident
        assert len(section.find("p").get_text().split(". ")) >= 2, ident
    assert (rel.path / "notebooks" / "03_scorecard.ipynb").is_file()  # kept in the release


def test_binning_section_names_the_features_that_turn(tmp_path):
    """A U-shaped feature binned with auto_unimodal is named with its shape and the test's
    p-value, in the report's language; a monotone one is not."""
    from riskresearch.binning import WoeBinner
    from riskresearch.messages import language
    from riskresearch.report.context import Context
    from riskresearch.report.scorecard_sections import _turns, trend_words

    rng = np.random.default_rng(5)
    x = rng.normal(size=(20_000, 2))
    logit = -1.5 + 0.3 * x[:, 0] ** 2 + 0.6 * x[:, 1]
    y = (rng.uniform(size=len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
    binner = WoeBinner().fit(pd.DataFrame(x, columns=["age", "debt"]), y)
    assert binner.bins_["age"].turn == "valley" and binner.bins_["debt"].turn is None
    binner.to_json(tmp_path / "binning.json")
    pd.DataFrame({"age": [1.0], "bad": [0]}).to_csv(tmp_path / "t.csv", index=False)
    cfg = config_from_dict(
        {"model": "m", "data": {"table": str(tmp_path / "t.csv"), "target": "bad"}}
    )
    ctx = Context(cfg=cfg, folder=tmp_path, version="1", planned=[], built="2026-12-07")
    with language("en"):
        text = _turns(ctx)
        assert re.search(r"1 features turn once.*: age \(valley, p < 0\.0001\)\.$", text)
        assert "debt" not in text
        assert "one turn" in trend_words("auto_unimodal")
        assert trend_words("auto_asc_desc") == "auto_asc_desc"
    with language("zh-CN"):
        assert "age（先降后升，p < 0.0001）" in _turns(ctx)
