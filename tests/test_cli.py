"""`riskresearch data build`, `score` and `decide`: output, bad input (the same file as input and
output, a folder, a file that is not DuckDB, a full disk), and never a half-written file."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys

import pytest

from riskresearch import cli
from riskresearch.synth import warehouse as warehouse_module
from tests.conftest import cli_with_file_size_limit


def _run(capsys, *args):
    code = cli.main(["data", "build", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("riskresearch")]
    assert len(lines) == 1, err
    return lines[0]


def test_build_prints_paths_and_counts(tmp_path):
    """The console script end to end, as `make release` runs it."""
    db, table = tmp_path / "d" / "w.duckdb", tmp_path / "d" / "m.parquet"
    exe = shutil.which("riskresearch") or f"{sys.prefix}/bin/riskresearch"
    res = subprocess.run(
        [
            exe,
            "data",
            "build",
            "--applications",
            "3000",
            "--seed",
            "5",
            "--out",
            str(db),
            "--table",
            str(table),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(db) in res.stdout and str(table) in res.stdout
    assert "applications" in res.stdout and "3,000 rows" in res.stdout
    assert db.is_file() and table.is_file()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["--applications", "0"],
            "'--applications' parameter .* greater than or equal to 2000. Got 0",
        ),
        (["--applications", "-5"], "'--applications'"),
        (["--seed", "-1"], "'--seed' parameter .* greater than or equal to 0. Got -1"),
        (["--seed", str(2**40)], "'--seed'"),
    ],
)
def test_bad_size_or_seed_is_one_line(capsys, tmp_path, args, match):
    code, _, err = _run(
        capsys, *args, "--out", str(tmp_path / "w.duckdb"), "--table", str(tmp_path / "t.parquet")
    )
    assert code == 2
    assert re.search(match, _error_line(err))
    assert list(tmp_path.iterdir()) == []


def test_non_integer_size_is_rejected_by_the_parser(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["data", "build", "--applications", "many", "--out", str(tmp_path / "w.duckdb")])
    assert exc.value.code == 2
    assert "invalid int value: 'many'" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["--out", "--table"])
def test_unwritable_path(capsys, tmp_path, which):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    bad = blocker / "sub" / "x"  # a path under a regular file can never be created
    other = "--table" if which == "--out" else "--out"
    code, _, err = _run(
        capsys, "--applications", "3000", which, str(bad), other, str(tmp_path / "ok")
    )
    assert code == 2
    line = _error_line(err)
    assert str(bad) in line and "Choose a writable path" in line


def test_folder_as_output_path(capsys, tmp_path):
    code, _, err = _run(
        capsys,
        "--applications",
        "3000",
        "--out",
        str(tmp_path),
        "--table",
        str(tmp_path / "t.parquet"),
    )
    assert code == 2
    assert "is a folder" in _error_line(err)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_build_never_replaces_a_good_database(capsys, tmp_path, monkeypatch):
    db, table = tmp_path / "w.duckdb", tmp_path / "t.parquet"
    assert _run(capsys, "--applications", "2000", "--out", str(db), "--table", str(table))[0] == 0
    before = _sha(db)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C half-way through

    monkeypatch.setattr(warehouse_module, "simulate_chunk", boom)
    code, _, err = _run(
        capsys, "--applications", "4000", "--seed", "9", "--out", str(db), "--table", str(table)
    )
    assert code == 130 and "nothing partial" in err
    assert _sha(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet", "w.duckdb"]


def test_if_missing_keeps_the_existing_warehouse(capsys, tmp_path):
    db, table = tmp_path / "w.duckdb", tmp_path / "t.parquet"
    _run(capsys, "--applications", "2000", "--out", str(db), "--table", str(table))
    before = _sha(db)
    table.unlink()
    code, out, _ = _run(
        capsys, "--if-missing", "--applications", "5000", "--out", str(db), "--table", str(table)
    )
    assert code == 0 and "exists" in out
    assert _sha(db) == before and table.is_file()
    assert "2,000 rows" in out  # the modeling table was rebuilt from the kept warehouse


def test_bad_memory_limit_is_one_line_and_writes_nothing(capsys, tmp_path):
    code, _, err = _run(
        capsys,
        "--applications",
        "2000",
        "--memory-limit",
        "2 gigs",
        "--out",
        str(tmp_path / "w.duckdb"),
        "--table",
        str(tmp_path / "t.parquet"),
    )
    assert code == 2
    assert "'memory_limit' parameter must be a size such as '2GB'" in _error_line(err)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------
# score / decide: files a user can get wrong
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def release(modeling, modeling_path, tmp_path_factory):
    """A release of the smallest kind `score` and `decide` accept: a scorecard on three
    features, a one-grade strategy and a manifest holding their sha256."""
    from riskresearch.binning import WoeBinner
    from riskresearch.config import config_from_dict
    from riskresearch.release import seal
    from riskresearch.scorecard import Scorecard

    features = ["platform_credit_score", "max_dpd_24m", "utilisation"]
    train = modeling[(modeling.segment == "consumer") & modeling.bad_mature].iloc[:3000]
    card = Scorecard(binner=WoeBinner(max_n_bins=4, time_limit=5), selector=None)
    card.fit(train[features], train["bad"])
    folder = tmp_path_factory.mktemp("release") / "1.0.0"
    folder.mkdir()
    (folder / "scorecard.json").write_text(json.dumps(card.to_dict()))
    grade = {
        "grade": "A",
        "min_score": 0.0,
        "max_score": None,
        "max_device_value": 9000.0,
        "deposit_share": 0.1,
        "max_term_months": 12,
        "price_multiplier": 1.0,
        "fraud_review": False,
        "enterprise_review": True,
    }
    strategy = {
        "format": "riskresearch.strategy/1",
        "applies_to": {"segment": "consumer"},
        "cutoff": 0.0,
        "grades": [grade],
        "fraud": None,
    }
    (folder / "strategy.json").write_text(json.dumps(strategy))
    (folder / "fraud_rings.csv").write_text("key,value\n")
    (folder / "points.csv").write_text(card.points_table().to_csv(index=False))
    (folder / "scorecard.sql").write_text(card.to_sql() + "\n")
    cfg = config_from_dict(
        {
            "model": "m",
            "data": {"table": str(modeling_path), "target": "bad", "id_column": "application_id"},
            "scorecard": {"n_reason_codes": 2},
        }
    )
    seal(folder, cfg)
    return folder


@pytest.fixture(scope="module")
def apps(modeling):
    return modeling.head(2000)


def _listing(folder):
    return {p.name: _sha(p) for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("command", ["score", "decide"])
@pytest.mark.parametrize("spelling", ["same", "other", "symlink"])
def test_output_equal_to_input_is_refused(capsys, tmp_path, release, apps, command, spelling):
    src = tmp_path / "apps.csv"
    apps.head(50).to_csv(src, index=False)
    out = {
        "same": src,
        "other": tmp_path / "sub" / ".." / "apps.csv",
        "symlink": tmp_path / "link.csv",
    }[spelling]
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        out.symlink_to(src)
    before = _listing(tmp_path)
    code = cli.main([command, str(release), str(src), str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    line = _error_line(err)
    assert err == line + "\n"
    assert line.startswith("riskresearch: error: ")
    assert f"The output '{out}' is the input '{src}'" in line and "another output" in line
    assert _listing(tmp_path) == before  # the input untouched, nothing written beside it
    if spelling == "symlink":
        assert out.is_symlink()


@pytest.mark.parametrize("command", ["score", "decide"])
def test_folder_as_input_is_named_a_folder(capsys, tmp_path, release, command):
    src = tmp_path / "apps.csv"
    src.mkdir()
    out = tmp_path / "out.csv"
    code = cli.main([command, str(release), str(src), str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    line = _error_line(err)
    assert err == line + "\n"
    assert f"The input file '{src}' is a folder, not a file. Give a CSV or Parquet file" in line
    assert "--dask reads a folder" in line
    assert not out.exists()


@pytest.mark.parametrize("command", ["score", "decide"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_disk_full_while_writing_the_output(tmp_path, release, apps, command, suffix):
    """A write that fails for lack of room: one line naming the output, the previous output
    kept, no temporary file left (a real write failure, not a mock)."""
    src = tmp_path / "apps.csv"
    apps.to_csv(src, index=False)
    out = tmp_path / f"out{suffix}"
    out.write_text("the previous output\n")
    before = _listing(tmp_path)
    res = cli_with_file_size_limit(20_000, command, release, src, out)
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        f"riskresearch: error: No space left on device while writing '{out}' (File too large). "
        "Free space or write elsewhere.\n"
    )
    assert _listing(tmp_path) == before


def test_disk_full_while_building_the_warehouse(tmp_path):
    db, table = tmp_path / "w.duckdb", tmp_path / "t.parquet"
    args = ["data", "build", "--applications", "2000", "--out", db, "--table", table]
    res = cli_with_file_size_limit(100_000, *args)
    assert res.returncode == 2, res.stderr
    assert _error_line(res.stderr) == (
        f"riskresearch: error: No space left on device while writing '{db}' (File too large). "
        "Free space or write elsewhere."
    )
    assert "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_writing_the_modeling_table(tmp_path, warehouse):
    """DuckDB's own IOException (it writes the Parquet file) is the same one line."""
    table = tmp_path / "t.parquet"
    table.write_text("the previous table\n")
    args = ["data", "build", "--if-missing", "--out", warehouse, "--table", table]
    res = cli_with_file_size_limit(100_000, *args)
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        f"riskresearch: error: No space left on device while writing '{table}' (File too "
        "large). Free space or write elsewhere.\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
    assert table.read_text() == "the previous table\n"


def test_if_missing_refuses_a_file_that_is_not_duckdb(capsys, tmp_path):
    db, table = tmp_path / "w.duckdb", tmp_path / "t.parquet"
    db.write_text("application_id,segment\n1,consumer\n")
    code, out, err = _run(capsys, "--if-missing", "--out", str(db), "--table", str(table))
    assert code == 2 and out == ""
    line = _error_line(err)
    assert err == line + "\n"
    assert f"'{db}' is not a DuckDB database" in line and "Give a warehouse built by" in line
    assert db.read_text() == "application_id,segment\n1,consumer\n"
    assert not table.exists()
