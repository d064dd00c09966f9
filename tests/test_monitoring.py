"""Monitoring: PSI/CSI and AUC/KS against hand-computed values, the scorecard's bins, bad input
reported as alerts, the simulator's worse channel (2025-06) and shock (2025-08) found with no
red alert in the quiet months before, pandas == Dask on a LocalCluster, the byte-reproducible
baseline, the CLI exit code, and the champion/challenger feedback loop."""

from __future__ import annotations

import json
import math
import os

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskresearch import cli, development, metrics
from riskresearch import monitoring as M
from riskresearch.config import config_from_dict
from riskresearch.errors import ConfigError, DataError
from riskresearch.monitoring._common import FeatureBins, category_keys
from riskresearch.release import verify_release
from riskresearch.retrain import retrain
from tests.conftest import SCORECARD_STUBS, sealed_release

FEATURES = [
    "partner_id",
    "platform_credit_score",
    "lenders_6m",
    "inquiries_6m",
    "utilisation",
    "max_dpd_24m",
    "hist_max_dpd",
    "stated_monthly_income",
    "employment_years",
    "registration_to_application_minutes",
]
QUIET = ["2025-03", "2025-04", "2025-05"]


# ------------------------------------------------------------------------------------------
# hand-computed statistics
# ------------------------------------------------------------------------------------------
def test_psi_hand_computed():
    # (0.5 - 0.4) ln(0.5/0.4) + (0.5 - 0.6) ln(0.5/0.6)
    assert M.psi([0.5, 0.5], [0.4, 0.6]) == pytest.approx(
        0.1 * math.log(1.25) - 0.1 * math.log(5 / 6)
    )
    assert M.psi([50, 50], [40, 60]) == pytest.approx(M.psi([0.5, 0.5], [0.4, 0.6]))
    # an empty bin counts as a share of 1e-4
    assert M.psi([1, 0], [1, 1]) == pytest.approx(
        0.5 * math.log(2) + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
    )
    assert M.psi([3, 7], [3, 7]) == 0.0


def test_psi_validation():
    with pytest.raises(DataError, match="same bins"):
        M.psi([1, 2, 3], [1, 2])
    with pytest.raises(DataError, match="one distribution is empty"):
        M.psi([0, 0], [1, 2])


def test_histogram_auc_ks_equals_row_level_metrics_with_ties():
    rng = np.random.default_rng(3)
    score = rng.integers(500, 540, 3000).astype(float)
    y = (rng.random(3000) < 1 / (1 + np.exp((score - 510) / 8))).astype(int)
    g = pd.DataFrame({"s": score, "y": y}).groupby("s")["y"].agg(["size", "sum"]).reset_index()
    auc, ks = M.histogram_auc_ks(g["s"], g["size"], g["sum"])
    pd_ = 1 / (1 + np.exp((score - 500) / 20))  # decreasing in the score, ties kept
    assert auc == pytest.approx(metrics.auc(y, pd_), abs=1e-12)
    assert ks == pytest.approx(metrics.ks(y, pd_), abs=1e-12)
    # two scores: the bad sits at 1 with one good, the other good at 2
    assert M.histogram_auc_ks([1, 2], [2, 1], [1, 0]) == (0.75, 0.5)


def test_feature_bins_numerical_and_categorical():
    num = FeatureBins(
        "x",
        {
            "dtype": "numerical",
            "splits": [10, 20],
            "special_codes": [-1],
            "points": [0] * 5,
            "unseen_points": 0,
        },
    )
    assert num.labels == ["[-inf, 10)", "[10, 20)", "[20, inf)", "Special", "Missing", "Unseen"]
    got = num.index(pd.Series([5, 10, 25, -1, None, 19.9]))
    assert got.tolist() == [0, 1, 2, 3, 4, 1]
    text = num.index(pd.Series(["5", "abc", None], dtype=object))  # text in a number: Unseen
    assert text.tolist() == [0, 5, 4]
    cat = FeatureBins(
        "c",
        {
            "dtype": "categorical",
            "groups": [["1", "2"], ["3"]],
            "points": [0] * 4,
            "unseen_points": 0,
        },
    )
    assert cat.index(pd.Series([1, 3, 9, None])).tolist() == [0, 1, 4, 3]
    # an integer column read back as floats is still the same categories
    assert cat.index(pd.Series([1.0, 3.0, np.nan])).tolist() == [0, 1, 3]
    assert category_keys(pd.Series([31.0, np.nan])).tolist() == ["31", None]
    # value by value, with the scorer's rule: whole floats and their text in any one column
    mixed = pd.Series([1.0, 2.5, "3.0", "3", np.nan], dtype=object)
    assert cat.index(mixed).tolist() == [0, 4, 1, 1, 3]
    assert cat.index(pd.Series([1.0, 2.5, np.nan])).tolist() == [0, 4, 3]
    assert cat.unseen_values(pd.Series([9, 9, 1])).to_dict() == {"9": 2}


def test_alert_list_aggregates_checks():
    checks = pd.DataFrame(
        {
            "month": ["2025-01", "2025-02", "2025-03", "2025-02"],
            "raised": ["2025-01", "2025-02", "2025-03", "2025-04"],
            "kind": ["csi", "csi", "csi", "actual_vs_expected"],
            "subject": ["x", "x", "x", "bad"],
            "value": [0.02, 0.12, 0.3, 1.3],
            "threshold": [0.1, 0.1, 0.1, 1.2],
            "severity": ["green", "amber", "red", "amber"],
            "detail": ["a", "b", "c", "d"],
        }
    )
    alerts = M.alert_list(checks, ["2025-01", "2025-02", "2025-03"])
    assert [a["kind"] for a in alerts] == ["csi", "actual_vs_expected"]  # red first
    csi = alerts[0]
    assert (csi["severity"], csi["since"], csi["last"], csi["raised"]) == (
        "red",
        "2025-02",
        "2025-03",
        "2025-02",
    )
    assert csi["months"] == {"amber": ["2025-02"], "red": ["2025-03"]}
    assert csi["latest_value"] == 0.3 and csi["message"] == "2025-03: c"
    assert alerts[1]["raised"] == "2025-04"


# ------------------------------------------------------------------------------------------
# the simulated platform (20k fixture): a scorecard developed on 2024-01..2025-02
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cfg(warehouse, modeling_path):
    return config_from_dict(
        {
            "model": "mon",
            "seed": 1,
            "data": {
                "table": str(modeling_path),
                "target": "bad",
                "date_column": "application_month",
                "id_column": "application_id",
                "warehouse": str(warehouse),
                "filter": {"segment": "consumer", "bad_mature": True},
            },
            # development ends 2025-02, before the worse channel (2025-06) and shock (2025-08)
            "split": {"oot_from": "2025-03-01"},
            "features": {"include": FEATURES, "categorical": ["partner_id"]},
            "binning": {"unseen": "worst"},
            "selection": {"max_features": 8},
        }
    )


@pytest.fixture(scope="module")
def card(cfg):
    return development.develop(cfg).model.to_dict()


@pytest.fixture(scope="module")
def baseline(cfg, card):
    return M.build_baseline(cfg, card)


@pytest.fixture(scope="module")
def table(modeling, warehouse):
    return M.with_early_indicators(modeling, warehouse)


@pytest.fixture(scope="module")
def mon(baseline, table):
    return M.monitor(baseline, table)


def test_baseline_covers_the_development_window(baseline, card):
    d = baseline.data
    assert (d["development"]["first_month"], d["development"]["last_month"]) == (
        "2024-01",
        "2025-02",
    )
    assert set(d["features"]) == set(card["features"])
    assert sum(d["score"]["counts"]) == d["development"]["rows"]
    assert d["grades"]["source"] == "development score deciles"
    rates = [g["outcomes"]["bad"]["rate"] for g in baseline.grades]
    assert rates[0] < rates[-1]  # best grade first
    assert d["population"]["filter"] == {"segment": "consumer"}  # outcome flags dropped
    assert 0 < d["score"]["noise_floor"] < 0.1


def test_baseline_is_byte_reproducible(cfg, card, baseline, tmp_path):
    a = M.write_baseline(baseline, tmp_path / "a")
    b = M.write_baseline(M.build_baseline(cfg, card), tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_finds_the_worse_channel_and_the_shock_and_no_red_in_quiet_months(mon):
    assert mon.months[0] == "2025-03"
    raised = mon.month_severity("raised")
    assert all(raised[m] != "red" for m in QUIET), raised
    checks = mon.checks
    # month 18: applications through partners never seen in development
    c = checks[(checks.kind == "unseen_categories") & (checks.subject == "partner_id")]
    assert c[c.month.isin(QUIET)].empty
    june = c[c.month == "2025-06"].iloc[0]
    assert june.severity == "red" and 0.05 < june.value < 0.25
    alerts = {(a["kind"], a["subject"]): a for a in mon.alerts()}
    assert alerts[("unseen_categories", "partner_id")]["since"] == "2025-06"
    assert alerts[("csi", "partner_id")]["since"] == "2025-06"
    # month 20: the shock cohort's early indicators are red and worse than any quiet cohort's
    perf = mon.performance.set_index(["month", "outcome"])
    for outcome in ("fpd30", "dpd30_3m"):
        assert perf.loc[("2025-08", outcome), "severity"] == "red"
        quiet = perf.loc[[(m, outcome) for m in QUIET], "ae"]
        assert perf.loc[("2025-08", outcome), "ae"] > quiet.max()
    assert raised["2025-06"] == "red" and raised["2025-08"] == "red"


def test_missing_feature_changed_dtype_and_empty_cohort(baseline, table):
    new = table.drop(columns=["platform_credit_score"]).assign(
        stated_monthly_income=table["stated_monthly_income"].map(
            lambda v: "n/a" if v != v else f"{v:.0f}"
        )
    )
    new.loc[new.index[::50], "stated_monthly_income"] = "unknown"
    mon = M.monitor(baseline, new)  # reported, not a crash
    kinds = {(a["kind"], a["subject"]): a for a in mon.alerts()}
    missing = kinds[("missing_feature", "platform_credit_score")]
    assert missing["severity"] == "red" and missing["since"] == "2025-03"
    assert kinds[("dtype", "stated_monthly_income")]["severity"] == "red"
    assert ("unseen_categories", "stated_monthly_income") in kinds  # the text values
    every = mon.stability[mon.stability.variable == "platform_credit_score"]
    assert (every.psi > 0.25).all()  # every row now in the Missing bin
    with pytest.raises(DataError, match="holds no application of the monitored population"):
        M.monitor(baseline, table[table.application_month.astype(str) < "2025-03"])
    with pytest.raises(DataError, match="lacks column"):
        M.monitor(baseline, table.drop(columns=["segment"]))


def test_dask_gives_identical_figures_on_a_local_cluster(baseline, table, mon, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    from distributed import Client, LocalCluster

    for i, part in enumerate(np.array_split(np.arange(len(table)), 4)):
        table.iloc[part].to_parquet(tmp_path / f"part.{i}.parquet")
    ddf = dd.read_parquet(str(tmp_path / "part.*.parquet"))  # the workers read the files
    assert ddf.npartitions == 4
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster),
    ):
        on_dask = M.monitor(baseline, ddf)
    assert on_dask.params["dask"] and not mon.params["dask"]
    pd.testing.assert_frame_equal(on_dask.counts, mon.counts)
    pd.testing.assert_frame_equal(on_dask.stability, mon.stability)
    pd.testing.assert_frame_equal(on_dask.performance, mon.performance)
    pd.testing.assert_frame_equal(on_dask.checks, mon.checks)


def test_fraud_signals_flag_share_per_week_and_partner(cfg, card, table, tmp_path):
    from riskresearch.fraud import develop_fraud, write_fraud

    write_fraud(develop_fraud(cfg), tmp_path)
    fraud = M.run._fraud_of(tmp_path)
    base = M.build_baseline(cfg, card, fraud=fraud)
    f = base.data["fraud"]
    assert f["flagged_share"] == pytest.approx(0.02, abs=0.003)  # the review rate
    mon = M.monitor(base, table, fraud=fraud, warehouse=cfg.data.warehouse)
    w = mon.fraud_weekly
    assert set(w.month) <= set(mon.months) and (w.n > 0).all()
    assert ((w.share - w.events / w.n).abs() < 1e-12).all()
    assert {"partner_id", "month", "share", "ae_low"} <= set(mon.fraud_partners.columns)


def test_release_build_scores_fraud_once_with_the_same_result(
    cfg, card, table, tmp_path, monkeypatch
):
    """Notebook 10's baseline and monitoring share one fraud features query (it is the step's
    largest transient memory); another fraud model in out_dir gets its own scores."""
    from riskresearch.fraud import develop_fraud, write_fraud
    from riskresearch.monitoring import signals

    write_fraud(develop_fraud(cfg), tmp_path)
    (tmp_path / "scorecard.json").write_text(json.dumps(card))
    fraud = M.run._fraud_of(tmp_path)
    alone = M.build_baseline(cfg, card, fraud=fraud)
    expected = M.monitor(alone, table, fraud=fraud, warehouse=cfg.data.warehouse)
    queries = []
    real = signals.fraud_features
    monkeypatch.setattr(signals, "fraud_features", lambda *a: queries.append(a) or real(*a))

    base = M.release_baseline(cfg, tmp_path)
    mon = M.monitor_config(cfg, base, tmp_path)
    assert len(queries) == 1
    assert base.data["fraud"] == alone.data["fraud"]
    pd.testing.assert_frame_equal(mon.fraud_weekly, expected.fraud_weekly)
    pd.testing.assert_frame_equal(mon.fraud_partners, expected.fraud_partners)
    pd.testing.assert_frame_equal(mon.checks, expected.checks)

    (tmp_path / "fraud.txt").write_text((tmp_path / "fraud.txt").read_text() + "\n")
    M.monitor_config(cfg, base, tmp_path)  # the kept scores are of the model before
    assert len(queries) == 2
    base = M.release_baseline(cfg, tmp_path)
    stat = os.stat(cfg.data.warehouse)
    try:  # a warehouse written again since: its applications are scored again
        os.utime(cfg.data.warehouse, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        M.monitor_config(cfg, base, tmp_path)
    finally:
        os.utime(cfg.data.warehouse, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert len(queries) == 4


# ------------------------------------------------------------------------------------------
# releases: CLI exit code, champion comparison, promotion, retrain
# ------------------------------------------------------------------------------------------
def _fake_release(folder, files: dict, table, version="1.0.0", **config):
    """A sealed release folder of ``files`` (its scorecard part completed with stand-ins)."""
    if "scorecard.json" in files:
        files = {**SCORECARD_STUBS, **files}
    return sealed_release(folder, files, table, version=version, **config)


def test_cli_monitor_writes_alerts_and_exits_3_on_red(baseline, card, modeling_path, tmp_path):
    from riskresearch.monitoring._common import rounded

    rel = _fake_release(
        tmp_path / "rel",
        {
            "scorecard.json": json.dumps(card),
            "monitoring_baseline.json": json.dumps(rounded(baseline.data)),
        },
        modeling_path,
    )
    code = cli.main(["monitor", str(rel), str(modeling_path), "--out", str(tmp_path / "out")])
    assert code == 3
    doc = json.loads((tmp_path / "out" / "monitoring_alerts.json").read_text())
    assert doc["severity"] == "red" and doc["red"] >= 1
    assert (tmp_path / "out" / "monitoring_report.html").read_text().count("<img") >= 3
    (rel / "scorecard.json").write_text("{}")  # tampered: refused in one line
    assert cli.main(["monitor", str(rel), str(modeling_path)]) == 2


def test_champion_comparison_and_promotion(cfg, card, modeling_path, tmp_path, capsys):
    champion = _fake_release(
        tmp_path / "champ", {"scorecard.json": json.dumps(card)}, modeling_path
    )
    out = tmp_path / "challenger"
    out.mkdir()
    (out / "scorecard.json").write_text(json.dumps(card))
    challenger_cfg = cfg.model_copy(deep=True)
    challenger_cfg.monitoring.champion = champion
    table = M.champion_comparison(challenger_cfg, out)
    _, test = development.load_split(cfg)
    y = test["bad"].to_numpy()
    expected = metrics.auc(y, development.Scorer(card).pd_(test).to_numpy())
    assert table["auc"].tolist() == pytest.approx([expected, expected])  # same scorecard
    assert table["model"].tolist() == ["champion 1.0.0", "challenger"]
    assert M.champion_comparison(cfg, out) is None  # no champion named
    files = M.write_comparison(table, out)
    rel = _fake_release(
        tmp_path / "rel",
        {f.name: f.read_text() for f in files},
        modeling_path,
        version="1.1.0",
        monitoring={"champion": str(champion)},
    )
    before = {p.name: p.read_bytes() for p in champion.iterdir()}
    assert cli.main(["promote", str(rel), "--by", "ana", "--note", "AUC +0.01"]) == 0
    manifest = json.loads((rel / "manifest.json").read_text())
    assert manifest["promotion"]["decision"] == "promote"
    assert manifest["promotion"]["comparison"][0]["model"] == "champion 1.0.0"
    assert verify_release(rel).ok  # the manifest is not one of its own artifacts
    assert {p.name: p.read_bytes() for p in champion.iterdir()} == before
    with pytest.raises(ConfigError, match="already records a promotion"):
        M.promote(rel, by="bob")
    with pytest.raises(ConfigError, match="'promote' or 'reject'"):
        M.promote(champion, by="bob", decision="maybe")


def test_retrain_refuses_a_missing_table_before_building(tmp_path):
    """The real build, comparison and promotion: tests/test_release.py (a built release)."""
    table = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(table)
    champion = _fake_release(
        tmp_path / "scorecards" / "mon" / "1.0.0", {"scorecard.json": "{}"}, table
    )
    with pytest.raises(ConfigError, match="does not exist"):
        retrain(champion, "1.2.0", table=tmp_path / "nope.parquet")
    assert not (tmp_path / "scorecards" / "mon" / "1.2.0").exists()


@pytest.mark.parametrize(
    "mistake", ["text as .duckdb", "text as --warehouse", "folder as --warehouse", "empty folder"]
)
def test_cli_monitor_wrong_files_are_one_line(
    baseline, card, modeling_path, tmp_path, capsys, mistake
):
    from riskresearch.monitoring._common import rounded

    rel = _fake_release(
        tmp_path / "rel",
        {
            "scorecard.json": json.dumps(card),
            "monitoring_baseline.json": json.dumps(rounded(baseline.data)),
        },
        modeling_path,
    )
    new, extra = modeling_path, []
    bad = tmp_path / "bad.duckdb"
    if mistake.startswith("text"):
        bad.write_text("application_id,segment\n1,consumer\n")
        expected = f"'{bad}' is not a DuckDB database (it lacks DuckDB's file header)."
    elif mistake.startswith("folder"):
        bad.mkdir()
        expected = f"The warehouse '{bad}' is a folder, not a DuckDB file."
    else:
        bad = tmp_path / "new"
        bad.mkdir()
        (bad / "apps.csv").write_text("application_id\n1\n")
        expected = f"The new data '{bad}' is a folder without Parquet files."
    if mistake.endswith("--warehouse"):
        extra = ["--warehouse", str(bad)]
    else:
        new = bad
    out = tmp_path / "out"
    assert cli.main(["monitor", str(rel), str(new), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"riskresearch: error: {expected}") and err.count("\n") == 1
    assert not out.exists()


def test_cli_retrain_names_a_folder_given_as_table(tmp_path, capsys):
    table = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(table)
    champion = _fake_release(
        tmp_path / "scorecards" / "mon" / "1.0.0", {"scorecard.json": "{}"}, table
    )
    folder = tmp_path / "new_table.parquet"
    folder.mkdir()
    assert cli.main(["retrain", str(champion), "--version", "1.2.0", "--table", str(folder)]) == 2
    err = capsys.readouterr().err.rsplit("\r", 1)[-1]  # after the progress bar erased itself
    assert err == (
        f"riskresearch: error: The --table '{folder}' is a folder, not a file. Give the new "
        "modeling table (a CSV or Parquet file).\n"
    )
    assert sorted(p.name for p in (tmp_path / "scorecards" / "mon").iterdir()) == ["1.0.0"]


# ------------------------------------------------------------------------------------------
# fraud-ring early warning on active leases
# ------------------------------------------------------------------------------------------
def _ring_warehouse(path, as_of="2025-06-30"):
    """Hand-built links (as_of 2025-06-30 unless given):

    - lease 1 (approved 2025-01-10) shares its phone with application 2 (2025-02-01), whose
      ring fraud is confirmed on 2025-03-15: a ring link known only after approval;
    - lease 4 shares a device with application 3, a ring case confirmed before lease 4 was
      approved: known at approval, no alert;
    - lease 5 (approved 2025-02-01): application 6 (customer 6) shares its address
      (2025-03-01), 7 shares 6's phone (2025-03-10), customer 5 applies again with the same
      device (2025-03-20, no new customer), 9 shares 6's device (2025-04-02): the cluster spans
      3 customers on 2025-03-10 and 4 on 2025-04-02;
    - application 11 (2025-07-05, after the as-of date) shares lease 1's device.
    """
    apps = [  # id, customer, applied, decided, device, phone, address
        (1, 1, "2025-01-10 09:00", "2025-01-10 10:00", 100, 200, 300),
        (2, 2, "2025-02-01 09:00", "2025-02-01 10:00", 101, 200, 301),
        (3, 3, "2024-12-01 09:00", "2024-12-01 10:00", 110, 210, 310),
        (4, 4, "2025-01-20 09:00", "2025-01-20 10:00", 110, 211, 311),
        (5, 5, "2025-02-01 12:00", "2025-02-01 13:00", 120, 220, 320),
        (6, 6, "2025-03-01 09:00", "2025-03-01 10:00", 121, 221, 320),
        (7, 7, "2025-03-10 09:00", "2025-03-10 10:00", 122, 221, 321),
        (8, 5, "2025-03-20 09:00", "2025-03-20 10:00", 120, 222, 322),
        (9, 9, "2025-04-02 09:00", "2025-04-02 10:00", 121, 223, 323),
        (11, 11, "2025-07-05 09:00", "2025-07-05 10:00", 100, 230, 330),
    ]
    orders = [  # id, started, ended
        (1, "2025-01-12", None),
        (2, "2025-02-03", "2025-05-01"),
        (3, "2024-12-03", "2025-02-01"),
        (4, "2025-01-22", None),
        (5, "2025-02-03", None),
        (11, "2025-07-07", None),
    ]
    cases = [(2, "2025-03-15", "ring"), (3, "2025-01-05", "ring")]
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE applications (application_id BIGINT, customer_id BIGINT, partner_id "
            "BIGINT, applied_at TIMESTAMP, decided_at TIMESTAMP, device_fingerprint_id BIGINT, "
            "contact_phone_id BIGINT, address_id BIGINT)"
        )
        con.executemany(
            "INSERT INTO applications VALUES (?, ?, 7, ?, ?, ?, ?, ?)", [list(a) for a in apps]
        )
        con.execute("CREATE TABLE orders (application_id BIGINT, started_on DATE, ended_on DATE)")
        con.executemany("INSERT INTO orders VALUES (?, ?, ?)", [list(o) for o in orders])
        con.execute(
            "CREATE TABLE fraud_cases (application_id BIGINT, confirmed_on DATE, fraud_type "
            "VARCHAR)"
        )
        con.executemany("INSERT INTO fraud_cases VALUES (?, ?, ?)", [list(c) for c in cases])
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('as_of', ?)", [as_of])
    finally:
        con.close()
    return path


def test_ring_alerts_on_hand_built_links(tmp_path):
    db = _ring_warehouse(tmp_path / "rings.duckdb")
    a = M.ring_alerts(db, min_customers=4)
    got = {(r.application_id, r.kind): r for r in a.itertuples()}
    assert set(got) == {(1, "confirmed_ring"), (5, "new_cluster")}
    ring = got[(1, "confirmed_ring")]
    assert ring.alert_date == pd.Timestamp("2025-03-15")  # the day the ring was confirmed
    assert (ring.key, ring.linked_application_id, ring.links) == ("contact_phone_id", 2, 1)
    assert ring.cluster_ring_cases == 1 and ring.cluster_customers == 2
    cluster = got[(5, "new_cluster")]
    assert cluster.alert_date == pd.Timestamp("2025-04-02")  # customer 9, the 4th customer
    assert (cluster.linked_application_id, cluster.cluster_customers) == (9, 4)
    assert cluster.key == "device_fingerprint_id;contact_phone_id;address_id"
    assert a["alert_date"].is_monotonic_decreasing  # newest first
    # three customers make a cluster on 2025-03-10 (customer 7); customer 5's own second
    # application adds nobody
    three = M.ring_alerts(db, min_customers=3).set_index(["application_id", "kind"])
    assert three.loc[(5, "new_cluster"), "alert_date"] == pd.Timestamp("2025-03-10")
    assert three.loc[(5, "new_cluster"), "linked_application_id"] == 7
    assert M.ring_alerts(db, since="2025-04-01")["application_id"].tolist() == [5]
    with pytest.raises(ConfigError, match="'min_customers' parameter of ring_alerts"):
        M.ring_alerts(db, min_customers=1)


def test_ring_alerts_use_nothing_after_the_as_of_date(tmp_path):
    db = _ring_warehouse(tmp_path / "rings.duckdb")
    # on 2025-03-12 the ring was not yet confirmed and the cluster had 3 customers
    early = M.ring_alerts(db, "2025-03-12", min_customers=3)
    assert early[["application_id", "kind"]].values.tolist() == [[5, "new_cluster"]]
    assert early.attrs["as_of"].isoformat() == "2025-03-12"
    assert M.ring_alerts(db, "2025-03-12").empty  # 4 customers only on 2025-04-02
    # application 11 (2025-07-05) makes lease 1's cluster 3 customers: seen only from then
    june = M.ring_alerts(db, min_customers=3).set_index(["application_id", "kind"])
    assert (1, "new_cluster") not in june.index
    late = _ring_warehouse(tmp_path / "late.duckdb", as_of="2025-07-31")
    july = M.ring_alerts(late, min_customers=3).set_index(["application_id", "kind"])
    assert july.loc[(1, "new_cluster"), "alert_date"] == pd.Timestamp("2025-07-05")
    assert july.loc[(1, "new_cluster"), "linked_application_id"] == 11
    with pytest.raises(ConfigError, match="after the warehouse's as-of date"):
        M.ring_alerts(db, "2025-07-01")


def test_monitoring_report_lists_ring_alerts(baseline, table, warehouse, oracle, tmp_path):
    mon = M.monitor(baseline, table, warehouse=warehouse)
    rings = mon.ring_alerts
    assert len(rings) > 5 and (rings["alert_date"] >= pd.Timestamp(f"{mon.months[0]}-01")).all()
    # evaluation only: the simulator's truth says most alerted leases are ring fraud
    truth = oracle.set_index("application_id")["fraud_type"]
    assert (rings["application_id"].map(truth) == "ring").mean() > 0.8
    files = {p.name for p in M.write_monitoring(tmp_path, mon)}
    assert "monitoring_ring_alerts.csv" in files
    doc = json.loads((tmp_path / "monitoring_alerts.json").read_text())
    assert doc["ring_alerts"]["leases"] == rings["application_id"].nunique()
    assert len(doc["ring_alerts"]["alerts"]) == len(rings)
    assert (
        "Fraud-ring early warning on active leases"
        in (tmp_path / "monitoring_report.html").read_text()
    )
    assert M.monitor(baseline, table).ring_alerts is None  # no warehouse, no ring alerts
    # a warehouse without fraud cases still gets monitored; the report says why no ring alerts
    import shutil

    partial = tmp_path / "partial.duckdb"
    shutil.copy(warehouse, partial)
    con = duckdb.connect(str(partial))
    con.execute("DROP TABLE fraud_cases")
    con.close()
    skipped = M.monitor(baseline, table, warehouse=partial)
    assert skipped.ring_alerts is None
    assert "table 'fraud_cases' is missing" in skipped.params["ring_alerts_skipped"]
    html_text = M.monitoring_report(skipped, tmp_path / "skipped.html").read_text()
    assert "Skipped: The warehouse" in html_text


def test_cli_monitor_reads_a_gbk_csv_and_reports_in_the_release_language(
    baseline, card, modeling, modeling_path, tmp_path, capsys
):
    """A CSV from Chinese Excel (GBK, a Chinese column and values) is read with the release's
    data.encoding, and the report is written in its report.language; --encoding and
    --language override them, and a wrong encoding is one line with the byte offset."""
    from riskresearch.monitoring._common import rounded

    files = {
        "scorecard.json": json.dumps(card),
        "monitoring_baseline.json": json.dumps(rounded(baseline.data)),
    }
    rel = _fake_release(
        tmp_path / "rel",
        files,
        modeling_path,
        data={"encoding": "gb18030"},
        report={"language": "zh-CN"},
    )
    src = tmp_path / "新数据.csv"
    modeling.assign(渠道=np.where(modeling["segment"] == "consumer", "个人", "企业")).to_csv(
        src, index=False, encoding="gb18030"
    )
    assert cli.main(["monitor", str(rel), str(src), "--out", str(tmp_path / "zh")]) == 3
    assert cli.main(["monitor", str(rel), str(modeling_path), "--out", str(tmp_path / "pq")]) == 3
    from_csv = json.loads((tmp_path / "zh" / "monitoring_alerts.json").read_text())
    from_parquet = json.loads((tmp_path / "pq" / "monitoring_alerts.json").read_text())
    assert from_csv["months"] == from_parquet["months"]  # the same data, decoded
    assert (from_csv["red"], from_csv["amber"]) == (from_parquet["red"], from_parquet["amber"])
    report = (tmp_path / "zh" / "monitoring_report.html").read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in report and "<h1>模型监控：mon</h1>" in report
    assert "<h2>稳定性（分数的 PSI，入模特征的 CSI）</h2>" in report and "<h2>预警</h2>" in report
    assert "Stability (PSI" not in report and "<h2>Alerts</h2>" not in report
    assert "<th>严重程度</th>" in report and "<td>红</td>" in report
    capsys.readouterr()
    out = tmp_path / "en"
    english = ["--out", str(out), "--language", "en"]
    code = cli.main(["monitor", str(rel), str(src), *english, "--encoding", "utf-8"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "is not UTF-8 text at byte" in err[0] and "--encoding gb18030" in err[0]
    assert cli.main(["monitor", str(rel), str(modeling_path), *english]) == 3
    report = (out / "monitoring_report.html").read_text(encoding="utf-8")
    assert "<h2>Alerts</h2>" in report and "模型监控" not in report
