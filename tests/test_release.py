"""Scorecard releases: build (papermill), manifest, report, reproducibility, immutability,
failed builds, `verify` and `score`.

A release build runs the real notebooks on the `riskresearch` kernel, so this module builds
one release (module fixture) and reuses it; only the reproducibility test builds a second one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from riskresearch import cli, provenance, release
from riskresearch.config import load_config
from riskresearch.db import MEMORY_LIMIT_ENV, SPILL_DIR_ENV
from riskresearch.errors import BuildError, ConfigError, DataError
from riskresearch.release import build_release, load_scorer, verify_release
from riskresearch.scoring import Scorer
from tests.conftest import ROOT, cli_with_file_size_limit

SCORECARD_ARTIFACTS = {
    "binning.json",
    "scorecard.json",
    "points.csv",
    "scorecard.sql",
    "gbm.txt",
    "gbm.json",
}
VERSION = "1.0.0"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _config(warehouse: Path, modeling_path: Path, **data) -> dict:
    """The shipped consumer config on the session's small simulated data."""
    raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
    raw["data"]["table"] = str(modeling_path)
    raw["data"]["oracle"] = str(warehouse)
    raw["data"]["warehouse"] = str(warehouse)
    raw["data"].update(data)
    raw["selection"]["max_features"] = 6  # fewer forward-selection rounds: a faster build
    raw["gbm"] = {"num_boost_round": 150}  # a short GBM: the release still carries its text
    return raw


def _write_config(folder: Path, raw: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "consumer.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def config_path(tmp_path_factory, warehouse, modeling_path) -> Path:
    return _write_config(tmp_path_factory.mktemp("cfg"), _config(warehouse, modeling_path))


@pytest.fixture(scope="module")
def progress_calls() -> list[tuple[str, int, int]]:
    """What the build reported to its progress callback, in order."""
    return []


@pytest.fixture(scope="module")
def built(config_path, progress_calls):
    """The one release of this module, built next to its config (where the CLI builds too)."""
    return build_release(
        config_path,
        version=VERSION,
        root=config_path.parent,
        progress=lambda *call: progress_calls.append(call),
    )


def test_progress_reports_each_cell_inside_each_notebook(built, progress_calls):
    """Not one step per notebook that stands still for minutes: every code cell of every
    notebook is reported as it starts, numbered, with its first line."""
    notebooks = [u.step for u in built.usage if u.step != "report"]
    total = len(notebooks) + 1
    assert progress_calls[-1] == ("done", total, total)
    for done, name in enumerate(notebooks):
        source = json.loads((release.notebook_dir() / name).read_text())
        n_code = 1 + sum(c["cell_type"] == "code" for c in source["cells"])  # + parameters
        cells = [step for step, d, _ in progress_calls if d == done and step != name]
        assert [int(step.split()[1].split("/")[0]) for step in cells] == list(range(1, n_code + 1))
        assert all(step.startswith(f"{name} ") and f"/{n_code} " in step for step in cells)
    develop = [s for s, _, _ in progress_calls if s.startswith("03_scorecard.ipynb")]
    assert any("dev = development.develop(" in s for s in develop)


@pytest.fixture(scope="module")
def manifest(built) -> dict:
    return json.loads((built.path / "manifest.json").read_text())


@pytest.fixture
def copy(built, tmp_path) -> Path:
    """A private copy of the release that a test may tamper with."""
    return Path(shutil.copytree(built.path, tmp_path / "release"))


@pytest.fixture(scope="module")
def rows(modeling, built) -> pd.DataFrame:
    """A few consumer applications, some with missing scorecard features."""
    columns = Scorer(built.path / "scorecard.json").columns
    consumer = modeling[modeling.segment == "consumer"]
    with_missing = consumer.iloc[30:40].copy()  # each row misses one scorecard feature
    for i, index in enumerate(with_missing.index):
        with_missing.loc[index, columns[i % len(columns)]] = None
    assert with_missing[columns].isna().any(axis=1).all()
    return pd.concat([consumer.head(30), with_missing]).reset_index(drop=True)


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("riskresearch")]
    assert len(lines) == 1, err
    return lines[0]


# ------------------------------------------------------------------------------------------
# the release folder and its manifest
# ------------------------------------------------------------------------------------------
def test_release_folder_holds_every_artifact(built, config_path, manifest):
    assert built.path == config_path.parent / "consumer" / VERSION
    assert built.version == VERSION
    names = set(_files(built.path))
    required = {"manifest.json", "metrics.json", "report.html", *SCORECARD_ARTIFACTS}
    assert required <= names
    notebooks = sorted(n for n in names if n.startswith("notebooks/"))
    assert notebooks == sorted(f"notebooks/{n}" for n in manifest["notebooks"])
    assert manifest["notebooks"] == list(release.NOTEBOOKS)
    # built in a temporary folder and moved into place: nothing else is left beside it
    assert sorted(p.name for p in built.path.parent.iterdir()) == [VERSION]


def test_release_is_readable_like_any_folder(built):
    """mkdtemp makes a private (0700) folder; the release gets the mode of any new folder."""
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(built.path.stat().st_mode) == 0o777 & ~umask


def test_manifest_lists_the_sha256_of_every_file(built, manifest):
    on_disk = _files(built.path)
    del on_disk["manifest.json"]
    assert {k: v["sha256"] for k, v in manifest["artifacts"].items()} == on_disk
    for rel, info in manifest["artifacts"].items():
        assert info["bytes"] == (built.path / rel).stat().st_size
    model = {k for k, v in manifest["artifacts"].items() if v["kind"] == "model"}
    assert SCORECARD_ARTIFACTS <= model
    assert manifest["artifacts"]["report.html"]["kind"] == "report"
    assert built.sha256 == _sha(built.path / "manifest.json")


def test_manifest_records_config_data_seed_and_versions(
    built, manifest, config_path, modeling_path, warehouse
):
    assert manifest["format"] == "riskresearch.release/2"
    assert (manifest["model"], manifest["version"]) == ("consumer", VERSION)
    expected = load_config(config_path).model_dump(mode="json")
    assert manifest["config"] == expected
    assert manifest["config"]["data"]["table"] == str(modeling_path)  # outside the project
    assert manifest["config"]["data"]["oracle"] == str(warehouse)
    assert manifest["config"]["selection"]["max_features"] == 6
    assert manifest["config_file"] == "consumer.yaml"  # relative to its project (its folder)
    assert manifest["parts"] == {
        name: {"included": True, "reason": None}
        for name in (
            "data",
            "binning",
            "scorecard",
            "gbm",
            "fraud",
            "arrears",
            "behavior",
            "strategy",
            "partners",
            "monitoring",
        )
    }
    assert manifest["data"] == {
        "table": str(modeling_path),
        "sha256": _sha(modeling_path),
        "bytes": modeling_path.stat().st_size,
        "warehouse": {"path": str(warehouse), "sha256": _sha(warehouse)},
    }
    assert manifest["seed"] == expected["seed"] == 20240101
    for name in ("riskresearch", "numpy", "pandas", "scikit-learn", "optbinning", "papermill"):
        assert manifest["packages"][name] == metadata.version(name)
    # the config's folder is in no git repository: no commit to record (the package's own
    # checkout is not the project)
    assert manifest["code"]["commit"] is None and manifest["code"]["dirty"] is None
    assert manifest["python"] == ".".join(map(str, sys.version_info[:3]))


def test_metrics_in_manifest_equal_metrics_json(built, manifest):
    on_disk = json.loads((built.path / "metrics.json").read_text())
    assert manifest["metrics"] == on_disk == built.metrics
    assert {"train", "test", "oracle"} <= set(on_disk)


def test_metrics_match_an_independent_split_and_auc(built, manifest, modeling):
    """Filter, out-of-time split (last 4 months) and AUC recomputed outside the library."""
    kept = modeling[(modeling.segment == "consumer") & (modeling.bad_mature == True)]  # noqa: E712
    month = pd.to_datetime(kept.application_month).dt.to_period("M")
    test = kept[month >= sorted(month.unique())[-4]]
    metrics = manifest["metrics"]
    assert metrics["train"]["n"] + metrics["test"]["n"] == len(kept)
    assert metrics["test"]["n"] == len(test)
    assert metrics["test"]["bad_rate"] == pytest.approx(test.bad.mean())
    pd_ = Scorer(built.path / "scorecard.json").pd_(test)
    assert metrics["test"]["auc"] == pytest.approx(roc_auc_score(test.bad, pd_))
    assert 0.6 < metrics["test"]["auc"] <= metrics["oracle"]["oracle_auc"] < 1


def test_report_shows_outputs_not_code(built):
    html = (built.path / "report.html").read_text()
    assert "<title>consumer scorecard 1.0.0</title>" in html
    for code in ("development.load_split", "release.notebook_config", "from riskresearch import"):
        assert code not in html
    assert html.count("<table") >= 5  # split summary, profile, IV, points, performance ...
    assert "platform_credit_score" in html


def test_report_renders_the_plots_as_images(built):
    """Six plot cells (bad rate, WoE grid, ROC, KS, score distribution, calibration) must be
    images in the report, not the text repr of a Figure."""
    html = (built.path / "report.html").read_text()
    images = re.findall(r'<img[^>]*src="data:image/png;base64,', html)
    assert len(images) >= 6
    assert "&lt;Figure size" not in html


# ------------------------------------------------------------------------------------------
# reproducibility, immutability, failed builds
# ------------------------------------------------------------------------------------------
def test_rebuild_gives_identical_model_artifacts_and_replaces_dev(
    built, manifest, config_path, tmp_path, capsys
):
    """The second (and last) build of the module: the same config elsewhere, through the CLI,
    as `dev` over an existing `dev` folder."""
    again = tmp_path / "again"
    path = _write_config(again, yaml.safe_load(config_path.read_text()))
    old_dev = again / "consumer" / "dev"
    old_dev.mkdir(parents=True)
    (old_dev / "stale.txt").write_text("from an earlier dev build")

    # DuckDB capped in every notebook: the same model artifacts as the first build's
    code = cli.main(["release", str(path), "--version", "dev", "--memory-limit", "256MB"])
    out, _ = capsys.readouterr()

    assert code == 0
    assert not (old_dev / "stale.txt").exists()
    assert sorted(p.name for p in (again / "consumer").iterdir()) == ["dev"]  # no .build-/.old-
    assert verify_release(old_dev).ok
    dev_manifest = json.loads((old_dev / "manifest.json").read_text())
    assert dev_manifest["config"] == manifest["config"]
    model = {k for k, v in manifest["artifacts"].items() if v["kind"] == "model"}
    assert {k for k, v in dev_manifest["artifacts"].items() if v["kind"] == "model"} == model
    for name in model:
        assert _sha(old_dev / name) == manifest["artifacts"][name]["sha256"], name
    assert f"release   {old_dev}" in out
    assert f"sha256    {_sha(old_dev / 'manifest.json')}" in out
    assert re.search(r"out-of-time AUC 0\.\d{4}", out)
    # where the time and memory went: each notebook and the report, printed and recorded
    build = dev_manifest["build"]
    assert build["memory_limit"] == "256MB" and manifest["build"]["memory_limit"] is None
    assert "memory    DuckDB capped at 256MB in every notebook" in out
    assert [s["step"] for s in build["steps"]] == [*dev_manifest["notebooks"], "report"]
    for step in build["steps"]:
        assert re.search(rf"step      {re.escape(step['step'])} +\d+ s  peak +\d+\.\d\d GiB", out)
        # the kernel's memory counts: a notebook of this package cannot run in under 100 MiB
        assert step["peak_rss_mib"] >= 100 and step["seconds"] > 0
    assert build["seconds"] == pytest.approx(sum(s["seconds"] for s in build["steps"]), abs=0.2)
    assert build["peak_rss_mib"] == max(s["peak_rss_mib"] for s in build["steps"])


def test_verify_rebuild_reports_each_model_artifact(built, manifest, capsys):
    """`verify --rebuild` builds the release again from its manifest (paths stored relative to
    the release folder, resolved back) and reports every model artifact; on this machine each
    is byte-identical."""
    code = cli.main(["verify", str(built.path), "--rebuild"])
    out = capsys.readouterr().out
    assert code == 0, out
    model = sorted(k for k, v in manifest["artifacts"].items() if v["kind"] == "model")
    for name in model:
        assert re.search(rf"^  {re.escape(name)} +byte-identical$", out, re.M), name
    assert f"rebuild: all {len(model)} model artifacts are byte-identical" in out


def test_existing_numbered_version_is_never_overwritten(built, config_path):
    before = _files(built.path)
    with pytest.raises(ConfigError, match=r"Release '.*1\.0\.0' exists and numbered versions"):
        build_release(config_path, version=VERSION, root=config_path.parent)
    assert _files(built.path) == before
    assert [p.name for p in built.path.parent.iterdir()] == [VERSION]


def test_cli_release_refuses_an_existing_version(built, config_path, capsys):
    before = _files(built.path)
    code = cli.main(["release", str(config_path), "--version", VERSION])
    _, err = capsys.readouterr()
    assert code == 2
    assert "exists and numbered versions are immutable" in _error_line(err)
    assert _files(built.path) == before


@pytest.mark.parametrize("version", ["../x", "", ".hidden", "a/b", "a\\b"])
def test_version_must_be_a_plain_name(config_path, tmp_path, version):
    root = tmp_path / "root"
    with pytest.raises(ConfigError, match=r"The release version must be a plain name"):
        build_release(config_path, version=version, root=root)
    assert not root.exists() and sorted(tmp_path.iterdir()) == []


def test_config_that_leaves_no_rows_is_refused_before_any_notebook(
    warehouse, modeling_path, tmp_path
):
    """A config that validates (it does not read the table) but whose filter keeps no row is
    refused by the check against the table, before the first notebook and any folder."""
    raw = _config(warehouse, modeling_path, filter={"segment": "nobody"})
    path = _write_config(tmp_path / "cfg", raw)
    load_config(path)  # validates
    root = tmp_path / "releases"
    with pytest.raises(DataError, match=r"No rows of .* pass the filter .*nobody"):
        build_release(path, version="dev", root=root)
    assert not root.exists()


def test_failing_notebook_stops_the_build(warehouse, modeling_path, tmp_path):
    """A config that passes every check against the table but fails inside a notebook (a
    categorical override for a numerical feature, found by the binning): the build stops in
    notebook 02, leaves no release nor temporary folder, and an existing dev release is
    untouched."""
    raw = _config(warehouse, modeling_path)
    raw["binning"]["overrides"] = {"age": {"groups": [["young"], ["old"]]}}
    path = _write_config(tmp_path / "cfg", raw)
    root = tmp_path / "releases"
    dev = root / "consumer" / "dev"
    dev.mkdir(parents=True)
    (dev / "scorecard.json").write_text("{}\n")

    with pytest.raises(
        BuildError,
        match=r"Notebook 02_binning\.ipynb failed in cell \d+: ConfigError: .*age.* must give "
        r"'splits': the feature is numerical\. Nothing was released\.$",
    ):
        build_release(path, version="dev", root=root)

    assert sorted(p.name for p in (root / "consumer").iterdir()) == ["dev"]
    assert _files(dev) == {"scorecard.json": _sha(dev / "scorecard.json")}
    assert (dev / "scorecard.json").read_text() == "{}\n"
    with pytest.raises(BuildError, match=r"02_binning\.ipynb"):
        build_release(path, version="2.0.0", root=root)
    assert not (root / "consumer" / "2.0.0").exists()
    assert sorted(p.name for p in (root / "consumer").iterdir()) == ["dev"]


def test_memory_limit_caps_duckdb_in_the_notebooks(warehouse, modeling_path, tmp_path, monkeypatch):
    """--memory-limit reaches the notebooks' kernels: under 1MB DuckDB's first query fails,
    in one line that says to raise it; nothing is released, an existing dev release is
    untouched, the spill folder is gone and this process's environment is as before. A
    limit that is not a size is refused before anything runs."""
    path = _write_config(tmp_path / "cfg", _config(warehouse, modeling_path))
    root = tmp_path / "releases"
    dev = root / "consumer" / "dev"
    dev.mkdir(parents=True)
    (dev / "scorecard.json").write_text("{}\n")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # where it spills
    (tmp_path / "tmp").mkdir()
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)

    with pytest.raises(
        BuildError,
        match=r"^Notebook \d\d_\w+\.ipynb failed in cell \d+: OutOfMemoryException: Out of "
        r"Memory Error: [^\n]+\. Nothing was released\. DuckDB needed more than --memory-limit "
        r"1MB: raise it\.$",
    ):
        build_release(path, version="dev", root=root, memory_limit="1MB")
    assert sorted(p.name for p in (root / "consumer").iterdir()) == ["dev"]
    assert _files(dev) == {"scorecard.json": _sha(dev / "scorecard.json")}
    assert list((tmp_path / "tmp").iterdir()) == []
    assert MEMORY_LIMIT_ENV not in os.environ and SPILL_DIR_ENV not in os.environ
    with pytest.raises(ConfigError, match=r"'--memory-limit' parameter must be a size"):
        build_release(path, version="dev", root=root, memory_limit="a lot")


def test_disk_full_during_a_build_is_one_line_and_leaves_nothing(
    warehouse, modeling_path, tmp_path
):
    """The real command in a process that cannot write a file past 200 kB (EFBIG, as a full
    disk's ENOSPC): an executed notebook cannot be written. One line naming the
    release, the temporary build folder removed, an existing dev release untouched."""
    path = _write_config(tmp_path, _config(warehouse, modeling_path))
    dev = tmp_path / "consumer" / "dev"
    dev.mkdir(parents=True)
    (dev / "scorecard.json").write_text("{}\n")
    # the kernel's IPython history (an SQLite file that cannot grow either) in tmp_path: a
    # full disk must not make IPython set the user's own history aside as corrupt
    ipython = {"IPYTHONDIR": str(tmp_path / "ipython")}
    res = cli_with_file_size_limit(200_000, "release", path, "--version", "dev", env=ipython)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    # the one line of ours is the last; the progress bar and the notebook kernel's own
    # start-up warnings precede it on stderr
    assert (
        _error_line(res.stderr)
        == res.stderr.splitlines()[-1]
        == (
            f"riskresearch: error: No space left on device while writing '{dev}' (File too "
            "large). Free space or write elsewhere."
        )
    )
    assert sorted(p.name for p in (tmp_path / "consumer").iterdir()) == ["dev"]  # no .build-*
    assert _files(dev) == {"scorecard.json": _sha(dev / "scorecard.json")}
    assert (dev / "scorecard.json").read_text() == "{}\n"


# ------------------------------------------------------------------------------------------
# verify
# ------------------------------------------------------------------------------------------
def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = data.index(b'"points"') + 1
    data[i] = ord("P")  # same size, different content
    path.write_bytes(bytes(data))


def test_verify_intact_copy(copy, capsys):
    check = verify_release(copy)
    assert check.ok and (check.changed, check.missing, check.extra) == ([], [], [])
    assert cli.main(["verify", str(copy)]) == 0
    assert "all artifacts match the manifest" in capsys.readouterr().out


def test_verify_reports_a_changed_byte(copy, capsys):
    _flip_one_byte(copy / "scorecard.json")
    check = verify_release(copy)
    assert not check.ok
    assert (check.changed, check.missing, check.extra) == (["scorecard.json"], [], [])
    assert cli.main(["verify", str(copy)]) == 1
    assert "changed: scorecard.json" in capsys.readouterr().out


def test_verify_reports_a_missing_file(copy, capsys):
    (copy / "points.csv").unlink()
    check = verify_release(copy)
    assert (check.changed, check.missing, check.extra) == ([], ["points.csv"], [])
    assert cli.main(["verify", str(copy)]) == 1
    assert "missing: points.csv" in capsys.readouterr().out


def test_verify_reports_extra_files(copy, capsys):
    (copy / "notes.txt").write_text("added later")
    (copy / "notebooks" / "99_extra.ipynb").write_text("{}")
    check = verify_release(copy)
    assert (check.changed, check.missing) == ([], [])
    assert check.extra == ["notebooks/99_extra.ipynb", "notes.txt"]
    assert cli.main(["verify", str(copy)]) == 1
    assert "extra: notebooks/99_extra.ipynb, notes.txt" in capsys.readouterr().out


def test_verify_console_script_exit_code(copy):
    exe = shutil.which("riskresearch") or f"{sys.prefix}/bin/riskresearch"
    ok = subprocess.run([exe, "verify", str(copy)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    _flip_one_byte(copy / "scorecard.json")
    bad = subprocess.run([exe, "verify", str(copy)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "scorecard.json" in bad.stdout


def test_verify_a_folder_that_is_no_release(tmp_path, capsys):
    assert cli.main(["verify", str(tmp_path)]) == 2
    assert "has no manifest.json" in _error_line(capsys.readouterr().err)


# ------------------------------------------------------------------------------------------
# score
# ------------------------------------------------------------------------------------------
def _write_rows(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_writes_id_score_pd_and_reasons(built, rows, tmp_path, capsys, suffix):
    src = _write_rows(rows, tmp_path / f"applications{suffix}")
    out = tmp_path / f"scores{suffix}"
    assert cli.main(["score", str(built.path), str(src), str(out)]) == 0
    assert f"scored {len(rows):,} rows" in capsys.readouterr().out
    result = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)

    reasons = [f"{k}_{i}" for i in range(1, 5) for k in ("reason", "points_lost")]
    assert list(result.columns[:3]) == ["application_id", "score", "pd"]
    assert sorted(result.columns[3:]) == sorted(reasons)
    assert result.application_id.tolist() == rows.application_id.tolist()

    card = json.loads((built.path / "scorecard.json").read_text())
    expected = Scorer(card).score(rows).to_numpy()
    np.testing.assert_array_equal(result.score.to_numpy(), expected)

    # the scaling of the design: factor = pdo / ln 2, 600 points at 50:1 good:bad odds
    factor = 20 / math.log(2)
    offset = 600 - factor * math.log(50)
    pd_ = 1 / (1 + np.exp((expected - offset) / factor))
    # scorecard.json stores factor and offset at 12 significant digits (textfmt): PDs agree
    # with the exact design to ~1e-11
    np.testing.assert_allclose(result.pd.to_numpy(), pd_, rtol=1e-9)

    con = duckdb.connect()
    con.register("frame", rows)
    sql = (built.path / "scorecard.sql").read_text()
    from_sql = con.sql(f"SELECT {sql} AS s FROM frame").df().s.to_numpy()
    np.testing.assert_allclose(from_sql, expected, rtol=0, atol=1e-9)

    # reason 1 is the feature that loses the most points against its best bin (points.csv)
    best = pd.read_csv(built.path / "points.csv").groupby("feature").points.max()
    scorer = Scorer(card)
    lost = best[scorer.columns] - scorer.feature_points(rows)[scorer.columns]
    for i, row in result.iterrows():
        if lost.loc[i].max() > 0:
            assert lost.loc[i, row.reason_1] == pytest.approx(lost.loc[i].max())
            assert row.points_lost_1 == pytest.approx(lost.loc[i].max())


def test_score_refuses_a_tampered_release(copy, rows, tmp_path, capsys):
    points = copy / "points.csv"
    points.write_text(points.read_text() + "age,[0; 1),1,0.0,0.0,0.0,999\n")
    src = _write_rows(rows, tmp_path / "applications.parquet")
    out = tmp_path / "out" / "scores.csv"
    code = cli.main(["score", str(copy), str(src), str(out)])
    line = _error_line(capsys.readouterr().err)
    assert code == 2
    assert "Refusing to score" in line and str(copy) in line and "changed: points.csv" in line
    assert not out.parent.exists()


def _score_error(built, src: Path, out: Path, capsys) -> str:
    code = cli.main(["score", str(built.path), str(src), str(out)])
    line = _error_line(capsys.readouterr().err)
    assert code == 2
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    return line


def test_score_missing_input(built, tmp_path, capsys):
    src = tmp_path / "absent.csv"
    line = _score_error(built, src, tmp_path / "out" / "s.csv", capsys)
    assert f"The input file '{src}' does not exist" in line


def test_score_input_of_another_format(built, rows, tmp_path, capsys):
    src = tmp_path / "applications.json"
    src.write_text(rows.head(3).to_json(orient="records", date_format="iso"))
    line = _score_error(built, src, tmp_path / "out" / "s.csv", capsys)
    assert "must be .csv or .parquet" in line and "applications.json" in line


def test_score_output_of_another_format(built, rows, tmp_path, capsys):
    src = _write_rows(rows, tmp_path / "applications.csv")
    line = _score_error(built, src, tmp_path / "out" / "s.xlsx", capsys)
    assert "must be .csv or .parquet" in line and "s.xlsx" in line


def test_score_input_missing_a_scorecard_column(built, rows, tmp_path, capsys):
    column = Scorer(built.path / "scorecard.json").columns[0]
    src = _write_rows(rows.drop(columns=column), tmp_path / "applications.parquet")
    line = _score_error(built, src, tmp_path / "out" / "s.parquet", capsys)
    assert f"'{column}' missing from the input" in line


def test_load_scorer_verifies_the_release(copy, rows):
    scorer = load_scorer(copy)
    np.testing.assert_array_equal(
        scorer.score(rows).to_numpy(), Scorer(copy / "scorecard.json").score(rows).to_numpy()
    )
    (copy / "scorecard.sql").write_text("SELECT 1\n")
    with pytest.raises(DataError, match=r"Refusing to score: .*changed: scorecard\.sql"):
        load_scorer(copy)


def test_retrain_builds_a_verified_challenger_compared_on_the_same_rows(
    built, modeling_path, capsys
):
    """The real feedback loop: a challenger release from the champion's config, the
    comparison hashed inside it, the champion untouched, the promotion recorded."""
    champion = {p: p.read_bytes() for p in built.path.rglob("*") if p.is_file()}
    args = ["retrain", str(built.path), "--version", "1.1.0", "--table", str(modeling_path)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    challenger = built.path.parent / "1.1.0"
    assert verify_release(challenger).ok
    table = pd.read_csv(challenger / "champion_comparison.csv")
    assert table["model"].tolist() == [f"champion {VERSION}", "challenger"]
    # same config and data: the challenger is the champion again, row for row
    assert table["auc"].iloc[1] == pytest.approx(table["auc"].iloc[0], abs=1e-12)
    assert table["auc"].iloc[0] == pytest.approx(built.metrics["test"]["auc"], abs=1e-9)
    assert "bad rate at 80%" in out and "the table is the champion's own data" in out
    assert {p: p.read_bytes() for p in built.path.rglob("*") if p.is_file()} == champion
    assert cli.main(["promote", str(challenger), "--by", "ana", "--note", "twin"]) == 0
    record = json.loads((challenger / "manifest.json").read_text())["promotion"]
    assert record["decision"] == "promote" and record["by"] == "ana"
    assert verify_release(challenger).ok


def test_executed_notebooks_carry_no_build_folder(built, config_path):
    """Notebooks run in the build folder with relative paths: nothing in the release points at
    the temporary folder it was built in (gone after the move) or at the build machine."""
    files = [*sorted((built.path / "notebooks").glob("*.ipynb")), built.path / "report.html"]
    for f in files:
        assert ".build-" not in f.read_text(), f"{f.name} names the temporary build folder"
    nb = json.loads((built.path / "notebooks" / "01_data.ipynb").read_text())
    params = nb["metadata"]["papermill"]["parameters"]
    assert params["out_dir"] == "."
    assert not Path(params["config_path"]).is_absolute()
    # the relative path still leads from the release folder to its config
    assert (built.path / params["config_path"]).resolve() == config_path.resolve()


def _git_project(folder: Path) -> str:
    """A git repository with one commit holding a config; returns the commit."""

    def git(*args):
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    (folder / "scorecards").mkdir(parents=True)
    (folder / "data").mkdir()
    pd.DataFrame({"bad": [0, 1]}).to_csv(folder / "data" / "t.csv", index=False)
    (folder / "scorecards" / "m.yaml").write_text(
        "model: m\ndata:\n  table: ../data/t.csv\n  target: bad\n"
    )
    git("init", "-q")
    git("add", "scorecards/m.yaml")
    git("commit", "-q", "-m", "config")
    return git("rev-parse", "HEAD")


def test_the_commit_recorded_is_the_config_projects_not_the_packages(tmp_path):
    commit = _git_project(tmp_path / "team")
    cfg = load_config(tmp_path / "team" / "scorecards" / "m.yaml")
    assert provenance.code_version(cfg.base) == {"commit": commit, "dirty": False}
    (tmp_path / "team" / "scorecards" / "m.yaml").write_text("changed\n")
    assert provenance.code_version(cfg.base) == {"commit": commit, "dirty": True}
    assert provenance.code_version(tmp_path) == {"commit": None, "dirty": None}  # no repository
    assert release.project_dir(cfg.base) == (tmp_path / "team").resolve()


def test_display_path_is_relative_inside_the_project_only(tmp_path):
    from riskresearch.release import display_path

    _git_project(tmp_path / "team")
    cfg = load_config(tmp_path / "team" / "scorecards" / "m.yaml")
    assert display_path(cfg.data.table, cfg) == "data/t.csv"
    assert display_path(tmp_path / "own.duckdb", cfg) == str(tmp_path / "own.duckdb")
    assert display_path(None, cfg) is None


@pytest.mark.parametrize(
    ("file", "reader"),
    [
        ("manifest.json", "verify"),
        ("strategy.json", "strategy"),
        ("monitoring_baseline.json", "baseline"),
    ],
)
def test_a_broken_json_artifact_is_named(tmp_path, file, reader):
    """A release may come from someone else: a truncated JSON file is one DataError naming it."""
    from riskresearch.monitoring import Baseline
    from riskresearch.strategy import read_strategy

    (tmp_path / file).write_text('{"format": ')
    (tmp_path / "scorecard.json").write_text("{}")
    read = {
        "verify": lambda: verify_release(tmp_path),
        "strategy": lambda: read_strategy(tmp_path / file),
        "baseline": lambda: Baseline.read(tmp_path),
    }[reader]
    with pytest.raises(DataError, match=rf"'.*{file}' is not valid JSON \("):
        read()
