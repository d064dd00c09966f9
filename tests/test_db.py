"""DuckDB results fetched in batches and stacked (riskresearch.db)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskresearch.db import (
    MEMORY_LIMIT_ENV,
    SPILL_DIR_ENV,
    connect,
    fetch_batches,
    stack_frames,
    stack_results,
)
from riskresearch.errors import ConfigError


def _piece(start: int, n: int) -> pd.DataFrame:
    i = np.arange(start, start + n)
    return pd.DataFrame(
        {
            "id": i.astype(np.int64),
            "day": pd.to_datetime("2024-01-31") + pd.to_timedelta(i, unit="D"),
            "share": np.where(i % 3 == 0, np.nan, i / 7),
            "count": (i % 5).astype(np.int32),
            "flag": i % 2 == 0,
            "label": pd.Series([None if k % 4 == 0 else f"c{k % 3}" for k in i], dtype="str"),
            "ratio": (i % 4).astype(np.int64 if start == 0 else np.float64),  # dtypes differ
        },
        index=np.arange(n) + 100,  # the pieces' own index is dropped
    )


def test_stack_frames_is_concat_and_empties_the_list():
    pieces = [_piece(0, 5), _piece(5, 1), _piece(6, 7)]
    expected = pd.concat(pieces, ignore_index=True)
    out = stack_frames(pieces)
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    assert pieces == []
    assert list(out.dtypes) == list(expected.dtypes)


def test_fetch_batches_stacks_the_batches_in_order(tmp_path):
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t AS SELECT range AS k, range / 4 AS x FROM range(10)")
        sql = "SELECT k, x FROM t WHERE k >= $lo AND k < $hi ORDER BY k"
        bounds = [(6, 10), (0, 0), (0, 6), (20, 30)]  # empty batches leave no trace
        out = fetch_batches(con, sql, [{"lo": lo, "hi": hi} for lo, hi in bounds])
        whole = con.sql("SELECT k, x FROM t ORDER BY k").df()
        empty = fetch_batches(con, sql, [{"lo": 50, "hi": 60}, {"lo": 70, "hi": 80}])
    finally:
        con.close()
    order = np.r_[6:10, 0:6]
    pd.testing.assert_frame_equal(out, whole.iloc[order].reset_index(drop=True))
    assert empty.empty and list(empty.columns) == ["k", "x"]


def test_stack_results_skips_empty_tables_and_lets_a_list_go():
    pieces = [_piece(0, 0), _piece(0, 5), _piece(5, 0), _piece(5, 3)]
    expected = pd.concat([pieces[1], pieces[3]], ignore_index=True)
    out = stack_results(pieces)
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    assert pieces == []  # the caller's list holds no table twice
    only_empty = stack_results(iter([_piece(0, 0), _piece(3, 0)]))
    assert only_empty.empty and list(only_empty.columns) == list(expected.columns)


def _settings(db, **kwargs) -> tuple[str, str]:
    """memory_limit and temp_directory of a new connection (closed again: DuckDB shares one
    database instance, and its settings, between the open connections to a file)."""
    con = connect(db, **kwargs)
    try:
        assert con.execute("SELECT count(*) FROM applications").fetchone()[0] > 0
        return con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    finally:
        con.close()


def test_a_release_builds_duckdb_cap_reaches_every_connection(warehouse, tmp_path, monkeypatch):
    """``riskresearch release --memory-limit`` reaches the notebooks' connections through the
    environment: the cap, and the spill folder (a read-only warehouse's own folder may not be
    writable); a connection's own memory_limit wins and keeps DuckDB's spill folder."""
    default = _settings(warehouse)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "300MB")
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path / "spill"))
    limit, spill = _settings(warehouse)
    assert limit == "286.1 MiB" != default[0]  # DuckDB's reading of 300 MB
    assert spill == str(tmp_path / "spill")
    assert _settings(warehouse, memory_limit="1GB") == ("953.6 MiB", default[1])
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "plenty")
    with pytest.raises(ConfigError, match=rf"'{MEMORY_LIMIT_ENV}' parameter must be a size"):
        connect(warehouse)
