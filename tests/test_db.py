"""DuckDB results fetched in batches and stacked (riskresearch.db)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from riskresearch.db import fetch_batches, stack_frames, stack_results


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
