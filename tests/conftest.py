"""Shared fixtures: one small simulated warehouse and modeling table per test session."""

from __future__ import annotations

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
