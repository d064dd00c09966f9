"""Shared fixtures: one small simulated warehouse and modeling table per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from riskresearch.features import build_modeling_table
from riskresearch.synth import SimulationConfig, build_warehouse

ROOT = Path(__file__).resolve().parents[1]
SMALL = SimulationConfig(n_applications=20_000, seed=7)


def query(db: Path, sql: str) -> pd.DataFrame:
    """Run one read-only query against a warehouse file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).df()
    finally:
        con.close()


def cli_with_file_size_limit(
    limit: int, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``riskresearch ARGS`` in a subprocess that cannot write a file beyond ``limit`` bytes.

    A write past the limit fails with EFBIG (SIGXFSZ is ignored), as a write to a full disk
    fails with ENOSPC: no root, mount or real full disk needed. Child processes (Dask workers,
    the notebook kernel) inherit the limit. ``env`` adds to the environment (e.g. an
    ``IPYTHONDIR`` under ``tmp_path``, so that a kernel's history is not the user's).
    """
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "from riskresearch import cli\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,  # a hang is a failure, not a wait
    )


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "leasing.duckdb"
    build_warehouse(SMALL, path)
    return path


@pytest.fixture(scope="session")
def modeling_path(warehouse, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("modeling") / "modeling_table.parquet"
    build_modeling_table(warehouse, path)
    return path


@pytest.fixture(scope="session")
def modeling(modeling_path) -> pd.DataFrame:
    return pd.read_parquet(modeling_path)


@pytest.fixture(scope="session")
def oracle(warehouse) -> pd.DataFrame:
    return query(warehouse, "SELECT * FROM oracle_applications ORDER BY application_id")


#: Stand-ins for the scorecard part's other artifacts when a test writes only scorecard.json
#: (a reader hashes them; only scorecard.json is read).
SCORECARD_STUBS = {"points.csv": "feature,bin,points\n", "scorecard.sql": "0\n"}


def sealed_release(folder: Path, files: dict, table: Path, version: str = "1.0.0", **config):
    """A release folder of the given files, sealed with a valid manifest (its config: model
    'mon', ``table`` with target 'bad', plus ``config``'s sections, merged one level deep)."""
    from riskresearch.config import config_from_dict
    from riskresearch.release import seal

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    raw = {"model": "mon", "data": {"table": str(table), "target": "bad"}}
    for key, value in config.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    seal(folder, config_from_dict(raw), version=version)
    return folder
