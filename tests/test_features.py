"""Point-in-time features and targets (src/riskresearch/sql/modeling_table.sql)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskresearch.errors import BuildError, ConfigError, DataError
from riskresearch.features import REQUIRED_COLUMNS, build_modeling_table, connect

TARGET_COLUMNS = [
    "started_on",
    "has_performance",
    "performance_status",
    "bad_mature",
    "bad",
    "fpd30_mature",
    "fpd30",
    "fraud_mature",
    "fraud",
]


def _features(path, **kw) -> pd.DataFrame:
    out = path.with_suffix(".parquet")
    build_modeling_table(path, out, **kw)
    return pd.read_parquet(out).set_index("application_id")


# ------------------------------------------------------------------------------------------
# targets on a hand-built warehouse with known answers
# ------------------------------------------------------------------------------------------
AS_OF = dt.date(2025, 12, 31)


def _empty_copy(src, dst):
    """A warehouse with the simulator's schema and no rows."""
    con = duckdb.connect(str(dst))
    con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
        ).fetchall()
    ]
    for t in tables:
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t} LIMIT 0")
    con.execute("DETACH src")
    return con


def _lease(con, app_id, started, paid_delays, decision="approved", fraud_on=None):
    """One consumer application and lease; paid_delays[k] = days late of instalment k+1
    (None = never paid)."""
    applied = pd.Timestamp(started) - pd.Timedelta(days=2)
    con.execute(
        """INSERT INTO applications (application_id, customer_id, segment, applied_at, decided_at,
           partner_id, decision, retail_price, listed_price, monthly_rent, lease_term_months)
           VALUES (?, ?, 'consumer', ?, ?, 1, ?, 1000, 1000, 100, ?)""",
        [app_id, app_id, applied, applied, decision, len(paid_delays)],
    )
    con.execute("INSERT INTO customers (customer_id, segment) VALUES (?, 'consumer')", [app_id])
    if decision == "declined":
        return
    con.execute(
        "INSERT INTO orders (order_id, application_id, customer_id, started_on, status) "
        "VALUES (?, ?, ?, ?, 'active')",
        [app_id, app_id, app_id, started],
    )
    for k, delay in enumerate(paid_delays, start=1):
        due = (pd.Timestamp(started) + pd.DateOffset(months=k)).date()
        paid = None if delay is None else due + dt.timedelta(days=delay)
        con.execute(
            "INSERT INTO installments VALUES (?, ?, ?, 100, ?, ?)",
            [app_id, k, due, paid, 0 if paid is None else 100],
        )
    if fraud_on:
        con.execute("INSERT INTO fraud_cases VALUES (?, ?, 'ring')", [app_id, fraud_on])


@pytest.fixture(scope="module")
def hand_built(warehouse, tmp_path_factory):
    path = tmp_path_factory.mktemp("hand") / "hand.duckdb"
    con = _empty_copy(warehouse, path)
    on_time = [0] * 6
    _lease(con, 1, "2025-01-10", [0, 65, 0, 0, 0, 0])  # 65 days late -> bad
    _lease(con, 2, "2025-01-10", [0, 59, 0, 0, 0, 0])  # 59 days late -> not bad
    _lease(con, 3, "2025-01-10", [None] * 6)  # never pays -> bad, fpd30
    _lease(con, 4, "2025-01-10", [30, 0, 0, 0, 0, 0])  # first paid exactly 30 late -> fpd30
    _lease(con, 5, "2025-01-10", [29, 0, 0, 0, 0, 0])  # 29 late -> no fpd30
    _lease(con, 6, "2025-10-01", on_time)  # window not over by the as-of date
    _lease(con, 7, "2025-01-10", on_time, decision="declined")
    _lease(con, 8, "2025-01-10", [0, 0, 0, 0, None, None])  # 30 dpd when the window closes
    _lease(con, 9, "2025-01-10", [None] * 6, fraud_on="2025-04-01")
    _lease(con, 10, "2025-01-10", [0, 0, 0, 85, 0, 0])  # instalment 4: 60 dpd by window end
    con.close()
    return _features(path, as_of=AS_OF)


@pytest.mark.parametrize(
    ("app", "bad", "fpd30"),
    [(1, 1, 0), (2, 0, 0), (3, 1, 1), (4, 0, 1), (5, 0, 0), (8, 0, 0), (9, 1, 1), (10, 1, 0)],
)
def test_targets_on_known_payment_histories(hand_built, app, bad, fpd30):
    row = hand_built.loc[app]
    assert row.performance_status == "mature"
    assert row.bad == bad
    assert row.fpd30 == fpd30


def test_immature_and_declined_have_no_bad_target(hand_built):
    assert hand_built.loc[6, "performance_status"] == "immature"
    assert pd.isna(hand_built.loc[6, "bad"]) and not hand_built.loc[6, "bad_mature"]
    assert hand_built.loc[6, "fpd30"] == 0  # first instalment is 30+ days past due: observable
    assert hand_built.loc[7, "performance_status"] == "declined"
    assert hand_built.loc[7, ["bad", "fpd30", "fraud"]].isna().all()


def test_fraud_target(hand_built):
    assert hand_built.loc[9, "fraud"] == 1
    assert hand_built.loc[3, "fraud"] == 0


# ------------------------------------------------------------------------------------------
# point-in-time correctness
# ------------------------------------------------------------------------------------------
def _cut(con, day):
    """Remove every event dated on or after ``day`` except the applications of that day."""
    nxt = day + dt.timedelta(days=1)
    con.execute(f"DELETE FROM applications WHERE applied_at >= '{nxt}'")
    con.execute(
        "DELETE FROM bureau_reports "
        "WHERE application_id NOT IN (SELECT application_id FROM applications)"
    )
    con.execute(f"DELETE FROM orders WHERE started_on >= '{day}'")
    con.execute(f"UPDATE orders SET ended_on = NULL, status = 'active' WHERE ended_on >= '{day}'")
    con.execute(
        "DELETE FROM installments WHERE application_id NOT IN (SELECT application_id FROM orders)"
    )
    con.execute(
        f"UPDATE installments SET paid_date = NULL, amount_paid = 0 WHERE paid_date >= '{day}'"
    )
    con.execute(f"DELETE FROM fraud_cases WHERE confirmed_on >= '{day}'")


def test_features_ignore_every_event_on_or_after_the_application_day(warehouse, modeling, tmp_path):
    """Cut the warehouse at an application's day: its features must not change.

    The days chosen are those of returning customers whose earlier in-window lease was
    delinquent, so the platform-history features are exercised (not vacuously equal).
    """
    feature_cols = [c for c in modeling.columns if c not in TARGET_COLUMNS]
    candidates = modeling[(modeling.hist_max_dpd > 0) & (modeling.hist_active_leases > 0)]
    unique_days = sorted(set(candidates.applied_at.dt.date))
    assert len(unique_days) >= 4
    days = [unique_days[i] for i in np.linspace(0, len(unique_days) - 1, 4).astype(int)]
    full = modeling.set_index("application_id")[feature_cols[1:]]
    checked = 0
    for day in days:
        path = tmp_path / f"cut-{day}.duckdb"
        shutil.copy(warehouse, path)
        con = duckdb.connect(str(path))
        _cut(con, day)
        con.close()
        cut = _features(path)
        same_day = cut.index[cut.applied_at.dt.date == day]
        pd.testing.assert_frame_equal(cut.loc[same_day, full.columns], full.loc[same_day])
        earlier = cut.index[cut.applied_at.dt.date < day]
        pd.testing.assert_frame_equal(cut.loc[earlier, full.columns], full.loc[earlier])
        checked += (full.loc[same_day, "hist_leases"] > 0).sum()
    assert checked >= 3


def test_a_later_event_changes_no_earlier_feature(warehouse, modeling, tmp_path):
    """Add a written-off lease after a customer's application: that application's features
    stay the same; an application after the new lease sees it."""
    row = modeling[(modeling.segment == "consumer") & (modeling.hist_leases == 0)].iloc[100]
    path = tmp_path / "later.duckdb"
    shutil.copy(warehouse, path)
    con = duckdb.connect(str(path))
    later = row.applied_at + pd.Timedelta(days=40)
    con.execute(
        """INSERT INTO orders (order_id, application_id, customer_id, started_on, status, ended_on)
           VALUES (999999, 999999, ?, ?, 'written_off', ?)""",
        [int(row.customer_id), later.date(), (later + pd.Timedelta(days=200)).date()],
    )
    con.execute(
        "INSERT INTO installments VALUES (999999, 1, ?, 100, NULL, 0)",
        [(later + pd.Timedelta(days=30)).date()],
    )
    con.execute(
        """INSERT INTO applications (application_id, customer_id, segment, applied_at, decided_at,
           partner_id, decision, retail_price, listed_price, monthly_rent, lease_term_months)
           VALUES (1000000, ?, 'consumer', ?, ?, 1, 'declined', 1000, 1000, 100, 12)""",
        [int(row.customer_id), later + pd.Timedelta(days=300), later + pd.Timedelta(days=300)],
    )
    con.close()
    after = _features(path)
    feature_cols = [
        c for c in modeling.columns if c not in TARGET_COLUMNS and c != "application_id"
    ]
    before_row = modeling.set_index("application_id").loc[row.application_id, feature_cols]
    pd.testing.assert_series_equal(after.loc[row.application_id, feature_cols], before_row)
    new = after.loc[1_000_000]
    assert new.hist_leases >= 1 and new.hist_writeoffs >= 1 and new.hist_max_dpd >= 200


def test_modeling_table_reads_no_oracle():
    from riskresearch.features import modeling_sql

    assert "oracle" not in modeling_sql().lower()


def test_thin_file_bureau_features_are_missing_not_zero(modeling):
    consumers = modeling[modeling.segment == "consumer"]
    thin = consumers[~consumers.bureau_hit]
    assert len(thin) > 1000
    assert thin[["inquiries_3m", "lenders_6m", "max_dpd_24m", "utilisation"]].isna().all().all()
    thick = consumers[consumers.bureau_hit]
    assert thick[["inquiries_3m", "lenders_6m"]].notna().all().all()
    assert (thick.lenders_6m == 0).any()  # a real zero exists and is distinct from missing


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def test_missing_warehouse_file(tmp_path):
    with pytest.raises(ConfigError, match=r"warehouse file '.*nope.duckdb' does not exist"):
        build_modeling_table(tmp_path / "nope.duckdb", tmp_path / "t.parquet")


def _not_duckdb(tmp_path, kind: str):
    path = tmp_path / "w.duckdb"
    if kind == "csv":
        path.write_text("application_id,segment\n1,consumer\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "sqlite":  # DuckDB would go online for its sqlite extension
        import sqlite3

        con = sqlite3.connect(path)
        con.execute("CREATE TABLE applications (application_id INTEGER)")
        con.commit()
        con.close()
    return path


@pytest.mark.parametrize("kind", ["csv", "empty", "sqlite"])
def test_file_that_is_not_duckdb_is_one_line(tmp_path, kind):
    """One check where every warehouse is opened (fraud, behaviour, arrears, partners,
    monitoring and the modeling table all go through it)."""
    path = _not_duckdb(tmp_path, kind)
    before = path.read_bytes()
    expected = (
        f"'{path}' is not a DuckDB database (it lacks DuckDB's file header). Give a warehouse "
        "built by 'riskresearch data build' or your own DuckDB file."
    )
    with pytest.raises(ConfigError) as exc:
        build_modeling_table(path, tmp_path / "t.parquet")
    assert str(exc.value) == expected
    with pytest.raises(ConfigError) as exc:
        connect(path)
    assert str(exc.value) == expected
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_folder_as_warehouse_is_named_a_folder(tmp_path):
    folder = tmp_path / "leasing.duckdb"
    folder.mkdir()
    for call in (
        lambda: build_modeling_table(folder, tmp_path / "t.parquet"),
        lambda: connect(folder),
    ):
        with pytest.raises(
            ConfigError, match=r"The warehouse '.*leasing.duckdb' is a folder, not a DuckDB file"
        ):
            call()
    assert not (tmp_path / "t.parquet").exists()


def test_warehouse_locked_by_a_writer_is_one_line(warehouse, tmp_path):
    """Another process writes the warehouse (a `data build` still running): DuckDB refuses
    the lock; one line naming the file and what to do."""
    path = tmp_path / "w.duckdb"
    shutil.copy(warehouse, path)
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); input()"
    writer = subprocess.Popen(
        [sys.executable, "-c", hold, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout.readline() == b"open\n"
        with pytest.raises(ConfigError) as exc:
            connect(path)
    finally:
        writer.communicate(b"\n")
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"Cannot open the DuckDB database '{path}' (IO Error: Could not ")
    assert message.endswith(
        "Close the program writing it, or give a database this DuckDB "
        f"({duckdb.__version__}) can read."
    )
    connect(path).close()  # once the writer is gone


def test_missing_table_is_named(warehouse, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE orders")
        con.execute("ALTER TABLE bureau_reports DROP COLUMN lenders_6m")
    out = tmp_path / "t.parquet"
    with pytest.raises(
        DataError, match=r"'bureau_reports' lacks column\(s\) lenders_6m; table 'orders' is missing"
    ):
        build_modeling_table(path, out)
    assert not out.exists()


def test_own_warehouse_without_as_of_needs_one(warehouse, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE warehouse_meta")
    with pytest.raises(ConfigError, match="records no as-of date"):
        build_modeling_table(path, tmp_path / "t.parquet")
    summary = build_modeling_table(path, tmp_path / "t.parquet", as_of=AS_OF)
    assert summary.applications.sum() > 0


def test_required_columns_are_used_by_the_sql():
    from riskresearch.features import modeling_sql

    sql = modeling_sql()
    for table, cols in REQUIRED_COLUMNS.items():
        assert table in sql
        for col in cols:
            assert col in sql, f"{table}.{col} is required but not read"


def test_failed_build_keeps_the_previous_table(warehouse, modeling_path, tmp_path):
    out = tmp_path / "t.parquet"
    shutil.copy(modeling_path, out)
    before = out.read_bytes()
    path = tmp_path / "w.duckdb"
    shutil.copy(warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE installments")
    with pytest.raises(DataError):
        build_modeling_table(path, out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_memory_cap_gives_the_same_table(warehouse, modeling, tmp_path):
    """The cap reaches DuckDB and changes no row (10M builds use one). A 64MB cap on the
    20k fixture may not force a spill; the out-of-memory test below shows the cap binds."""
    out = tmp_path / "capped.parquet"
    build_modeling_table(warehouse, out, memory_limit="64MB")
    pd.testing.assert_frame_equal(pd.read_parquet(out), modeling, check_exact=True)


def test_bad_memory_cap_is_named_before_any_work(warehouse, tmp_path):
    out = tmp_path / "t.parquet"
    with pytest.raises(ConfigError, match=r"'memory_limit' parameter must be a size such as "):
        build_modeling_table(warehouse, out, memory_limit="lots")
    assert list(tmp_path.iterdir()) == []


def test_running_out_of_a_memory_cap_is_one_line_and_keeps_the_old_table(
    warehouse, modeling_path, tmp_path
):
    out = tmp_path / "t.parquet"
    shutil.copy(modeling_path, out)
    before = out.read_bytes()
    with pytest.raises(BuildError, match=r"ran out of DuckDB memory under memory_limit '1MB'"):
        build_modeling_table(warehouse, out, memory_limit="1MB")
    with pytest.raises(BuildError, match=r"under memory_limit '100B'"):  # fails at the checks
        build_modeling_table(warehouse, out, memory_limit="100B")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
