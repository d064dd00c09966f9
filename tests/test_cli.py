"""`riskresearch data build`: output, bad input, and never a half-written database."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys

import pytest

from riskresearch import cli
from riskresearch.synth import warehouse as warehouse_module


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
