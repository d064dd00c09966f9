"""Post-lease analytics: hand-built payment histories with hand-computed answers, sanity and
loose golden numbers on the simulated warehouse, the portfolio report and bad input."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from riskresearch import arrears
from riskresearch import warehouse as warehouse_module
from riskresearch.errors import ConfigError, DataError
from riskresearch.scoring import Scorer

# ------------------------------------------------------------------------------------------
# a tiny hand-built warehouse (only the tables and columns arrears reads, data/README.md types)
# ------------------------------------------------------------------------------------------
ORDERS = """CREATE TABLE orders (
    order_id BIGINT, application_id BIGINT, customer_id BIGINT, partner_id BIGINT,
    started_on DATE, device_category VARCHAR, model_tier VARCHAR, units BIGINT,
    retail_price DOUBLE, listed_price DOUBLE, price_vs_retail DOUBLE, lease_term_months BIGINT,
    monthly_rent DOUBLE, deposit DOUBLE, delivery_address_changed BOOLEAN, status VARCHAR,
    ended_on DATE, device_status VARCHAR)"""
INSTALLMENTS = """CREATE TABLE installments (
    application_id BIGINT, installment_no BIGINT, due_date DATE, amount_due DOUBLE,
    paid_date DATE, amount_paid DOUBLE)"""
ACTIONS = """CREATE TABLE collection_actions (
    application_id BIGINT, action_type VARCHAR, action_date DATE, days_past_due BIGINT,
    outcome VARCHAR, amount_recovered DOUBLE, resale_value DOUBLE, cost DOUBLE)"""


def _schedule(app, start, term, rent, paid_late=None, unpaid_from=None, last=None):
    """Instalment rows: due k months after ``start``; on time unless listed.

    ``paid_late`` maps instalment number -> days late; instalments from ``unpaid_from`` on are
    unpaid; rows after ``last`` (a write-off) are not written.
    """
    paid_late = paid_late or {}
    rows = []
    for k in range(1, term + 1):
        due = pd.Timestamp(start) + pd.DateOffset(months=k)
        if last is not None and due > pd.Timestamp(last):
            break
        if unpaid_from is not None and k >= unpaid_from:
            paid = None
        else:
            paid = due + pd.Timedelta(days=paid_late.get(k, 0))
        rows.append((app, k, due.date(), rent, paid and paid.date(), rent if paid else 0.0))
    return rows


def _order(app, start, term, rent, status, ended, device, category="phone", deposit=0.0):
    return (app, app, app, 1, start, category, "mid", 1, 1000.0, 1100.0, 1.1, term, rent,
            deposit, False, status, ended, device)  # fmt: skip


def build_tiny(path: Path, drop: str | None = None, as_of: str = "2024-12-31") -> Path:
    """Four leases (as_of 2024-12-31):

    1. from 2024-01-01, 12 x 100: instalment 2 (due 2024-03-01) paid 35 days late
       (2024-04-05), instalment 5 (due 2024-06-01) paid 39 days late, the rest on time.
    2. from 2024-01-10, 12 x 100: instalments 1-2 paid, 3-6 unpaid; written off 120 days after
       instalment 3 was due (2024-08-08); a payment plan paid 100 (partial), device recovered
       (net resale 300).
    3. from 2024-01-05, 3 x 50, paid on time, bought out at the term end 2024-04-05.
    4. from 2024-02-10, 3 x 80, paid on time, returned 41 days after the term end.
    """
    con = duckdb.connect(str(path))
    try:
        orders = [
            _order(1, "2024-01-01", 12, 100.0, "active", None, "with_customer"),
            _order(2, "2024-01-10", 12, 100.0, "written_off", "2024-08-08", "recovered"),
            _order(3, "2024-01-05", 3, 50.0, "bought_out", "2024-04-05", "bought_out"),
            _order(4, "2024-02-10", 3, 80.0, "returned", "2024-06-20", "returned", "laptop"),
        ]
        inst = (
            _schedule(1, "2024-01-01", 12, 100.0, paid_late={2: 35, 5: 39})
            + _schedule(2, "2024-01-10", 12, 100.0, unpaid_from=3, last="2024-08-08")
            + _schedule(3, "2024-01-05", 3, 50.0)
            + _schedule(4, "2024-02-10", 3, 80.0)
        )
        # the schedule runs past as_of: instalment 12 of lease 1 (2025-01-01) is not yet due
        inst = [(*r[:4], None, 0.0) if r[0] == 1 and r[1] == 12 else r for r in inst]
        actions = [
            (2, "sms_reminder", "2024-04-15", 5, "no_contact", 0.0, None, 0.1),
            (2, "call_reminder", "2024-04-25", 15, "promise_broken", 0.0, None, 1.5),
            (2, "negotiation", "2024-05-10", 30, "partial", 100.0, None, 12.0),
            (2, "call_reminder", "2024-05-25", 45, "no_contact", 0.0, None, 1.5),
            (2, "call_reminder", "2024-06-09", 60, "promise_broken", 0.0, None, 1.5),
            (2, "legal_notice", "2024-07-09", 90, "no_payment", 0.0, None, 120.0),
            (2, "device_recovery", "2024-08-08", 120, "device_recovered", 0.0, 300.0, 60.0),
            (1, "sms_reminder", "2024-03-06", 5, "promise_broken", 0.0, None, 0.1),
        ]
        for ddl, name, rows in (
            (ORDERS, "orders", orders),
            (INSTALLMENTS, "installments", inst),
            (ACTIONS, "collection_actions", actions),
        ):
            if name == drop:
                continue
            con.execute(ddl)
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('as_of', ?)", [as_of])
    finally:
        con.close()
    return path


@pytest.fixture
def tiny(tmp_path) -> Path:
    return build_tiny(tmp_path / "tiny.duckdb")


def _row(months, app, mob):
    return months[(months.application_id == app) & (months.mob == mob)].iloc[0]


# ------------------------------------------------------------------------------------------
# contract tracking
# ------------------------------------------------------------------------------------------
def test_late_payment_is_30_59_for_the_right_month_and_cures(tiny):
    m = arrears.contract_months(tiny)
    lease = m[m.application_id == 1].set_index("mob")
    # instalment 2 due 2024-03-01 is unpaid on 2024-03-31 (30 dpd), paid on 2024-04-05
    assert lease.loc[2, "status"] == "30-59"
    assert lease.loc[2, "dpd"] == 30
    assert lease.loc[2, "arrears"] == 100.0
    assert lease.loc[3, "status"] == "current"  # cured
    assert lease.loc[3, "max_dpd"] == 35  # it reached 35 dpd on the payment day
    # instalment 5 due 2024-06-01: 29 dpd at the June month end, paid 2024-07-10
    assert lease.loc[5, "status"] == "1-29"
    assert lease.loc[6, "status"] == "current"
    assert lease.loc[6, "max_dpd"] == 39
    expected = ["current", "current", "30-59", "current", "current", "1-29"] + ["current"] * 6
    assert lease["status"].tolist() == expected
    assert lease.index.tolist() == list(range(12))  # complete months to 2024-12 only
    # outstanding rent: scheduled 1200 less what was paid by each month end
    assert lease.loc[0, "outstanding"] == 1200.0
    assert lease.loc[2, "outstanding"] == 1100.0  # instalment 1 paid, 2 overdue
    assert lease.loc[11, "outstanding"] == 100.0  # instalment 12 falls due in 2025
    assert (lease["device_status"] == "with_customer").all()


def test_written_off_contract_and_its_balance(tiny):
    m = arrears.contract_months(tiny)
    lease = m[m.application_id == 2].set_index("mob")
    # instalment 3 due 2024-04-10 never paid: 20, 51, 81, 112 dpd at the month ends
    assert lease["status"].tolist() == [
        "current", "current", "current", "1-29", "30-59", "60-89", "90+", "written_off",
    ]  # fmt: skip
    assert lease["dpd"].tolist()[3:] == [20, 51, 81, 112, 120]
    last = lease.loc[7]  # August 2024: written off on 2024-08-08, no row after it
    assert last["outstanding"] == 1000.0  # 12 x 100 scheduled, 2 paid
    assert last["arrears"] == 400.0  # instalments 3-6 billed and unpaid
    assert last["device_status"] == "recovered"
    assert lease.index.max() == 7

    lgd = arrears.contract_lgd(tiny).set_index("application_id").loc[2]
    assert lgd["ead"] == 1000.0
    assert lgd["arrears"] == 400.0
    assert lgd["partial_payments"] == 100.0
    assert lgd["resale_value"] == 300.0
    assert lgd["collection_cost"] == pytest.approx(196.6)  # every action of the episode
    assert lgd["loss"] == pytest.approx(1000 - 100 - 300 + 196.6)
    assert lgd["lgd"] == pytest.approx(0.7966)
    assert lgd["age_months"] == 7 and lgd["age_band"] == "6-11"


def test_a_recovery_above_the_exposure_is_no_negative_loss(tiny):
    """A device resold for more than the rent still owed: LGD 0 and the excess as surplus,
    never a negative loss (which gave short laptop leases a mean LGD of -0.096)."""
    con = duckdb.connect(str(tiny))
    con.execute(
        "UPDATE collection_actions SET resale_value = 2000 "
        "WHERE application_id = 2 AND outcome = 'device_recovered'"
    )
    con.close()
    lgd = arrears.contract_lgd(tiny).set_index("application_id").loc[2]
    assert lgd["loss"] == 0.0 and lgd["lgd"] == 0.0
    assert lgd["surplus"] == pytest.approx(100 + 2000 - 196.6 - 1000)
    table = arrears.lgd_table(arrears.contract_lgd(tiny))
    assert (table["lgd"].dropna() >= 0).all() and (table["mean_lgd"].dropna() >= 0).all()


def test_ended_leases_stop_with_their_end_state(tiny):
    m = arrears.contract_months(tiny)
    bought = m[m.application_id == 3]
    assert bought["status"].tolist() == ["current"] * 3 + ["bought_out"]
    assert bought.iloc[-1]["outstanding"] == 0.0
    assert bought.iloc[-1]["device_status"] == "bought_out"
    ret = m[m.application_id == 4].set_index("mob")
    # term ended 2024-05-10; the device came back on 2024-06-20
    assert ret.loc[3, "status"] == "current" and bool(ret.loc[3, "past_term"])
    assert ret.loc[3, "device_status"] == "with_customer"
    assert ret.loc[4, "status"] == "returned" and ret.loc[4, "device_status"] == "returned"


def test_as_of_uses_nothing_after_it(tiny):
    m = arrears.contract_months(tiny, as_of="2024-05-31")
    assert m["snapshot"].max() == pd.Timestamp("2024-05-31")
    # lease 2 is written off after the as-of date: still open, 51 dpd
    assert _row(m, 2, 4)["status"] == "30-59"
    # lease 4 was returned after it: still with the customer, past its term
    r = _row(m, 4, 3)
    assert r["status"] == "current" and bool(r["past_term"])
    # a mid-month as-of date: only complete months; a payment after it is not seen
    m = arrears.contract_months(tiny, as_of="2024-04-03")
    assert m["snapshot"].max() == pd.Timestamp("2024-03-31")
    ep = arrears.delinquency_episodes(tiny, as_of="2024-04-03")
    first = ep[ep.application_id == 1].iloc[0]
    assert pd.isna(first["cured_on"]) and first["max_dpd"] == 33


# ------------------------------------------------------------------------------------------
# vintages, roll rates, cure rates on the hand-built leases
# ------------------------------------------------------------------------------------------
def test_vintages_by_count_and_amount(tiny):
    v = arrears.vintage_curves(tiny)
    jan = v[v.cohort == pd.Timestamp("2024-01-01")].set_index("mob")
    assert jan["contracts"].iloc[0] == 3 and jan.index.max() == 11
    # lease 1 reaches 30 dpd in month 2; lease 2 in month 4, 60 in month 5, 90 in month 6
    assert jan["ever_30"].tolist()[:6] == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3])
    assert jan.loc[4, "ever_60"] == 0 and jan.loc[5, "ever_60"] == pytest.approx(1 / 3)
    assert jan.loc[5, "ever_90"] == 0 and jan.loc[6, "ever_90"] == pytest.approx(1 / 3)
    # by amount: contract values 1200, 1200, 150
    assert jan.loc[2, "ever_30_amount"] == pytest.approx(1200 / 2550)
    assert jan.loc[4, "ever_30_amount"] == pytest.approx(2400 / 2550)
    assert bool(jan["mature"].iloc[0])


def test_roll_rates_hand_counted(tiny):
    rr = arrears.roll_rates(tiny).set_index("from_status")
    assert rr.loc["current", "transitions"] == 19
    assert rr.loc["current", "current"] == pytest.approx(14 / 19)
    assert rr.loc["current", "1-29"] == pytest.approx(2 / 19)
    assert rr.loc["current", "bought_out"] == pytest.approx(1 / 19)
    assert rr.loc["1-29", "current"] == 0.5 and rr.loc["1-29", "30-59"] == 0.5
    assert rr.loc["30-59", "current"] == 0.5 and rr.loc["30-59", "60-89"] == 0.5
    assert rr.loc["60-89", "90+"] == 1.0
    assert rr.loc["90+", "written_off"] == 1.0
    assert np.allclose(rr[list(arrears.STATUSES)].sum(axis=1), 1.0)


def test_cure_and_redefault_hand_counted(tiny):
    ep = arrears.delinquency_episodes(tiny)
    assert len(ep) == 3
    one = ep[ep.application_id == 1].set_index("episode_no")
    assert one.loc[1, "entered_on"] == pd.Timestamp("2024-03-02")
    assert one.loc[1, "reached_30"] == pd.Timestamp("2024-03-31")
    assert one.loc[1, "cured_on"] == pd.Timestamp("2024-04-05")
    assert one.loc[1, "max_dpd"] == 35
    # lease 1 paid instalments 3 and 6 on time, before the late instalments 2 and 5: isolated
    # late payments; lease 2 stopped paying altogether (a rolling delinquency)
    assert one["isolated"].tolist() == [True, True]
    two = ep[ep.application_id == 2].iloc[0]
    assert not bool(two["isolated"])
    assert two["max_dpd"] == 120 and two["written_off_on"] == pd.Timestamp("2024-08-08")

    c90 = arrears.cure_rates(tiny, cure_period_days=90).set_index("bucket")
    assert c90.loc["1-29", "episodes"] == 3 and c90.loc["1-29", "cure_rate"] == 2 / 3
    assert c90.loc["30-59", "cure_rate"] == 2 / 3
    assert c90.loc["30-59", "median_days_to_cure"] == 7.0  # 5 and 9 days after reaching 30
    assert c90.loc["60-89", "cure_rate"] == 0.0 and c90.loc["60-89", "write_off_rate"] == 1.0
    # the 2024-04-05 cure is followed by a 30+ dpd episode on 2024-07-01: a re-default
    assert c90.loc["30-59", "cures_followed"] == 1 and c90.loc["30-59", "redefault_rate"] == 1.0
    c30 = arrears.cure_rates(ep, cure_period_days=30).set_index("bucket")
    assert c30.loc["1-29", "cured"] == 0  # 34 and 38 days after entering 1-29
    assert c30.loc["30-59", "cured"] == 2


def test_device_returns_hand_counted(tiny):
    ret = arrears.device_returns(tiny).set_index("device_category")
    assert ret.loc["all", "term_ends"] == 2  # leases 3 and 4; the write-off is left out
    assert ret.loc["all", "returned_late"] == 1 and ret.loc["laptop", "median_return_days"] == 41
    assert ret.loc["phone", "buyout_rate"] == 1.0


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def test_missing_table_is_named(tmp_path):
    db = build_tiny(tmp_path / "t.duckdb", drop="collection_actions")
    with pytest.raises(DataError, match="table 'collection_actions' is missing"):
        arrears.contract_months(db)


def test_missing_column_is_named(tiny):
    con = duckdb.connect(str(tiny))
    con.execute("ALTER TABLE orders DROP COLUMN monthly_rent")
    con.close()
    with pytest.raises(DataError, match=r"table 'orders' lacks column\(s\) monthly_rent"):
        arrears.contract_months(tiny)


def test_as_of_before_the_data(tiny):
    with pytest.raises(ConfigError, match="before the first lease start"):
        arrears.contract_months(tiny, as_of="2023-06-30")
    with pytest.raises(DataError, match="complete month on book"):
        arrears.contract_months(tiny, as_of="2024-01-20")
    with pytest.raises(ConfigError, match="'as_of' parameter of contract_months"):
        arrears.contract_months(tiny, as_of=20240101)


@pytest.mark.parametrize("period", [0, -5, 2.5, True])
def test_bad_cure_period(tiny, period):
    with pytest.raises(ConfigError, match="'cure_period_days' parameter of cure_rates"):
        arrears.cure_rates(tiny, cure_period_days=period)


def test_bad_sources(tmp_path, tiny):
    with pytest.raises(ConfigError, match="does not exist"):
        arrears.contract_months(tmp_path / "nope.duckdb")
    with pytest.raises(DataError, match="lacks column"):
        arrears.vintage_curves(pd.DataFrame({"application_id": [1]}))
    with pytest.raises(ConfigError, match="'redefault_dpd' parameter"):
        arrears.cure_rates(tiny, redefault_dpd=45)
    with pytest.raises(ConfigError, match="'by' parameter of roll_rates"):
        arrears.roll_rates(tiny, by="balance")


# ------------------------------------------------------------------------------------------
# the simulated warehouse (20k applications)
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analysis(warehouse):
    return arrears.analyse(warehouse, seed=7)


def test_roll_rate_rows_sum_to_one(analysis):
    for table in (analysis.roll_rates, analysis.roll_rates_amount):
        assert np.allclose(table[list(arrears.STATUSES)].sum(axis=1), 1.0)
    rr = analysis.roll_rates.set_index("from_status")
    # the ladder: from 60-89 almost everyone rolls on, from 90+ to a write-off
    assert rr.loc["60-89", "90+"] > 0.8 and rr.loc["90+", "written_off"] > 0.9


def test_vintages_are_ordered_and_immature_cohorts_flagged(analysis):
    v = analysis.vintages
    assert (v["ever_30"] >= v["ever_60"]).all() and (v["ever_60"] >= v["ever_90"]).all()
    for _, part in v.groupby("cohort"):
        assert (np.diff(part["ever_30"].to_numpy()) >= 0).all()  # ever-curves never fall
    immature = v.groupby("cohort").agg(mature=("mature", "first"), top=("max_mob", "first"))
    assert (immature["mature"] == (immature["top"] >= 6)).all()
    assert (~immature["mature"]).sum() == 5  # the 2025-07 .. 2025-11 cohorts
    mob6 = v[v["mob"] == 6]["ever_60"]
    assert 0.03 < mob6.mean() < 0.12


def test_sixty_plus_rarely_cures_the_bad_definition(analysis):
    c = analysis.cures.set_index("bucket")
    assert c.loc["1-29", "cure_rate"] > 0.75
    assert c.loc["60-89", "cure_rate"] < 0.25
    assert c.loc["60-89", "cure_rate"] < c.loc["30-59", "cure_rate"] / 2
    assert c.loc["60-89", "write_off_rate"] > 0.75
    b = analysis.buckets.set_index("bucket")
    assert b.loc["60-89", "next_month_worse"] > 0.8 > b.loc["1-29", "next_month_worse"]


def test_collection_score_ks_loose_regression(analysis):
    m = analysis.score.metrics
    # measured on this fixture: OOT AUC 0.669, KS 0.278 (the simulator's oracle reaches ~0.26
    # on the 100k warehouse: whether a missed instalment cures is mostly luck at day one)
    assert m["oot_ks"] == pytest.approx(0.278, abs=0.06)
    assert m["oot_auc"] > 0.62
    assert m["oot_n"] > 2000 and "installment_no" in m["features"]


def test_ladder_baseline_reproduces_history_and_recommendation_is_no_worse(analysis):
    comp = analysis.comparison.set_index("ladder")
    obs, model = comp.loc["baseline (observed)"], comp.loc["baseline (model)"]
    for col in ("cures", "recovered", "cost", "devices_recovered"):
        assert model[col] == pytest.approx(obs[col], rel=0.05)
    assert comp.loc["recommended", "net"] >= model["net"]
    ladder = analysis.ladder
    assert ladder["dpd_30"].isin(["call_reminder", "negotiation"]).all()
    assert ladder["dpd_90"].isin(["call_reminder", "legal_notice"]).all()
    assert (ladder["gain"] >= -1e-9).all()
    # the simulator's stronger actions cure more at every step
    steps = analysis.effects.steps.groupby(["dpd", "action"])[["rows", "cures"]].sum()
    rate = steps["cures"] / steps["rows"]
    assert rate[(60, "negotiation")] > rate[(60, "call_reminder")]
    assert rate[(90, "legal_notice")] > rate[(90, "call_reminder")]
    # a hand-made policy: every band the weak action
    weak = ladder[["band"]].assign(
        dpd_30="call_reminder", dpd_60="call_reminder", dpd_90="call_reminder"
    )
    sim = arrears.simulate_ladder(weak, analysis.effects)
    assert sim.iloc[-1]["cures"] < comp.loc["recommended", "cures"]
    with pytest.raises(ConfigError, match="dpd_90 of band 1 must be one of"):
        arrears.simulate_ladder(weak.assign(dpd_90="negotiation"), analysis.effects)


def test_vintage_plot_marks_immature_cohorts(analysis):
    fig = arrears.vintage_plot(analysis.vintages, dpd=60, by="amount")
    lines = fig.axes[0].get_lines()
    dashed = [ln for ln in lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 5  # one per immature cohort
    assert "immature" in " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    with pytest.raises(ConfigError, match="'dpd' parameter of vintage_plot"):
        arrears.vintage_plot(analysis.vintages, dpd=45)


def test_device_recovery_and_lgd(analysis):
    total = analysis.lgd.iloc[-1]
    assert total["device_category"] == "all" and 0.4 < total["lgd"] < 1.0
    rec = analysis.recovery.iloc[-1]
    assert 0.3 < rec["recovery_rate"] < 0.7
    ret = analysis.returns.iloc[-1]
    assert ret["buyout_rate"] + ret["return_rate"] + ret["overdue_rate"] == pytest.approx(1.0)
    assert 0.03 < ret["late_return_rate"] < 0.15  # the simulator returns ~8% 15-60 days late


def test_portfolio_report_renders_without_jupyter(analysis, warehouse, tmp_path):
    out = arrears.portfolio_report(warehouse, tmp_path / "report" / "portfolio.html",
                                   analysis=analysis)  # fmt: skip
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert len(re.findall(r'<img alt="figure" src="data:image/png;base64,', text)) == 7
    assert "<script" not in text and "Collection ladder" in text
    assert [p.name for p in out.parent.iterdir()] == ["portfolio.html"]  # no temp file left


def test_write_arrears_artifacts(analysis, tmp_path):
    files = arrears.write_arrears(tmp_path / "release", analysis)
    names = {p.name for p in files}
    assert {"ladder_policy.csv", "lgd.csv", "roll_rates.csv", "vintages.csv"} <= names
    assert {"collection_score.json", "arrears_metrics.json"} <= names
    metrics = json.loads((tmp_path / "release" / "arrears_metrics.json").read_text())
    assert metrics["collection_score"]["oot_ks"] == analysis.score.metrics["oot_ks"]
    # the JSON scorecard alone reproduces the collection score
    scorer = Scorer(tmp_path / "release" / "collection_score.json")
    frame = arrears.collection_score_data(analysis.source).iloc[:200]
    assert np.allclose(scorer.score(frame).to_numpy(), analysis.score.score(frame))
    policy = pd.read_csv(tmp_path / "release" / "ladder_policy.csv")
    assert policy.columns[:3].tolist() == ["band", "score_from", "score_to"]
    assert (policy["dpd_120"] == "device_recovery").all()


@pytest.mark.parametrize("kind", ["text file", "folder"])
def test_cli_report_on_a_warehouse_that_is_not_duckdb(tmp_path, capsys, kind):
    from riskresearch import cli

    db = tmp_path / "leasing.duckdb"
    if kind == "folder":
        db.mkdir()
        expected = f"The warehouse '{db}' is a folder, not a DuckDB file. Give the database file"
    else:
        db.write_text("application_id,segment\n1,consumer\n")
        expected = f"'{db}' is not a DuckDB database (it lacks DuckDB's file header). Give a"
    out = tmp_path / "report.html"
    assert cli.main(["arrears", "report", str(db), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"riskresearch: error: {expected}") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leasing.duckdb"]


# ------------------------------------------------------------------------------------------
# band-specific ladders: hand-built action effects
# ------------------------------------------------------------------------------------------
COSTS = {"call_reminder": 1.5, "negotiation": 12.0, "legal_notice": 120.0}


def _effects(rates: dict, rows: int = 2000, bands: int = 2) -> arrears.ActionEffects:
    """Action effects with the given cure rates: ``rates[(band, dpd, action)]`` (default 5%),
    ``rows`` per band, step and action, no part payment, 1,000 paid at a cure; a write-off
    loses 5,000 and recovers nothing."""
    steps = []
    for b in range(1, bands + 1):
        for dpd, actions in ((30, ("call_reminder", "negotiation")), (45, ("call_reminder",)),
                             (60, ("call_reminder", "negotiation")),
                             (90, ("call_reminder", "legal_notice"))):  # fmt: skip
            for a in actions:
                p = rates.get((b, dpd, a), 0.05)
                steps.append(
                    {
                        "band": b,
                        "dpd": dpd,
                        "action": a,
                        "rows": rows,
                        "cures": round(p * rows),
                        "observed_rate": p,
                        "cure_rate": p,
                        "partial_cash": 0.0,
                        "partial_observed": 0.0,
                        "partial_sd": 0.0,
                        "cash_at_cure": 1000.0,
                        "cost": COSTS[a],
                    }
                )
    band_rows = [
        {
            "band": b,
            "score_from": -np.inf if b == 1 else 500.0 + b,
            "score_to": np.inf if b == bands else 501.0 + b,
            "episodes": rows,
            "isolated_30": 0,
            "isolated_45": 0,
            "write_offs": rows // 2,
            "recovery_rate": 0.0,
            "resale": 0.0,
            "written_off_balance": 5000.0,
            "recovery_cost": 60.0,
        }
        for b in range(1, bands + 1)
    ]
    return arrears.ActionEffects(
        steps=pd.DataFrame(steps),
        bands=pd.DataFrame(band_rows),
        observed=pd.DataFrame(),
        baseline_shares={30: 0.5, 60: 0.5, 90: 0.5},
        as_of=pd.Timestamp("2025-01-01").date(),
    )


def test_band_ladders_say_so_when_the_data_supports_no_difference():
    # the stronger actions cure more, the same in both bands
    strong = {(b, 30, "negotiation"): 0.09 for b in (1, 2)}
    strong |= {(b, 60, "negotiation"): 0.08 for b in (1, 2)}
    strong |= {(b, 90, "legal_notice"): 0.10 for b in (1, 2)}
    bl = arrears.band_ladders(_effects(strong))
    assert not bl.supported
    assert bl.common == {30: "negotiation", 60: "negotiation", 90: "legal_notice"}
    assert (bl.ladders["ladder"] == "common").all()
    assert (bl.ladders["dpd_90"] == "legal_notice").all()
    assert bl.statement.startswith("The data supports no difference between the collection")
    assert "every band's best action is the common one" in bl.statement
    # hand-computed: at 90 dpd, after it only the write-off (-5,000 - 60 recovery cost)
    later = -5000.0 - 60.0
    adv = (0.05 - 0.10) * (1000.0 - later) - (COSTS["call_reminder"] - COSTS["legal_notice"])
    t = bl.tests.set_index(["band", "dpd"])
    assert t.loc[(1, 90), "advantage"] == pytest.approx(adv)  # the call's advantage: negative
    se = (((1000.0 - later) ** 2) * (0.05 * 0.95 + 0.10 * 0.90) / 2000) ** 0.5
    z = 2.6382573  # Bonferroni: 95% over 2 bands x 3 steps: norm.ppf(1 - 0.05 / 12)
    assert t.loc[(1, 90), "high"] == pytest.approx(adv + z * se, rel=1e-6)


def test_band_ladders_follow_a_band_only_where_its_difference_is_significant():
    # band 1: the legal notice cures 30% at 90 dpd; band 2: it cures no more than a call
    rates = {(1, 90, "legal_notice"): 0.30, (2, 90, "legal_notice"): 0.05}
    bl = arrears.band_ladders(_effects(rates))
    assert bl.supported and bl.common[90] == "legal_notice"  # pooled, the notice pays
    lad = bl.ladders.set_index("band")
    assert lad.loc[1, "dpd_90"] == "legal_notice" and lad.loc[1, "ladder"] == "common"
    assert lad.loc[2, "dpd_90"] == "call_reminder" and lad.loc[2, "ladder"] == "band-specific"
    assert "band 2 takes call_reminder at 90 dpd" in bl.statement
    t = bl.tests.set_index(["band", "dpd"])
    assert t.loc[(2, 90), "low"] > 0 > t.loc[(1, 90), "high"]
    # the same difference on 40 rows per action is noise: one common ladder, said so
    few = arrears.band_ladders(_effects({(1, 90, "legal_notice"): 0.10}, rows=40))
    assert not few.supported and (few.ladders["ladder"] == "common").all()
    assert "lean the other way but no advantage is significant at 95%" in few.statement
    with pytest.raises(ConfigError, match="'level' parameter of band_ladders"):
        arrears.band_ladders(_effects({}), level=1.5)


# ------------------------------------------------------------------------------------------
# the collections worklist (20k simulated warehouse, a release of its two scores)
# ------------------------------------------------------------------------------------------
WL_AS_OF = "2025-10-15"


@pytest.fixture(scope="module")
def worklist_release(warehouse, modeling_path, tmp_path_factory):
    from riskresearch.behavior import behavior_snapshots, develop_behavior, write_behavior
    from tests.conftest import sealed_release

    folder = tmp_path_factory.mktemp("worklist") / "release"
    folder.mkdir()
    arrears.develop_collection_score(warehouse, seed=7).model.to_json(
        folder / "collection_score.json"
    )
    write_behavior(develop_behavior(behavior_snapshots(warehouse), seed=7), folder)
    return sealed_release(folder, {}, modeling_path)


@pytest.fixture(scope="module")
def worklist(worklist_release, warehouse):
    return arrears.build_worklist(worklist_release, warehouse, WL_AS_OF)


def _unpaid_on(con, as_of, where="true"):
    return (
        f"UPDATE installments SET paid_date = {as_of}, amount_paid = amount_due "
        f"WHERE (paid_date IS NULL OR paid_date > DATE '{WL_AS_OF}') AND {where}"
    )


def test_worklist_uses_nothing_after_the_as_of_date(worklist, worklist_release, warehouse,
                                                    tmp_path):  # fmt: skip
    import shutil

    later = tmp_path / "later.duckdb"
    shutil.copy(warehouse, later)
    con = duckdb.connect(str(later))
    try:
        # the day after: every open instalment paid, a legal notice that cured, ring cases
        con.execute(_unpaid_on(con, "DATE '2025-10-16'", "due_date <= DATE '2025-12-31'"))
        con.execute(
            "INSERT INTO collection_actions SELECT application_id, 'legal_notice', "
            "DATE '2025-10-16', 90, 'paid', 500.0, NULL, 120.0 FROM orders "
            "WHERE started_on < DATE '2025-06-01' LIMIT 200"
        )
        con.execute(
            "INSERT INTO fraud_cases (application_id, confirmed_on, fraud_type) "
            "SELECT application_id, DATE '2025-10-16', 'ring' FROM orders "
            "WHERE started_on < DATE '2025-10-01' LIMIT 200"
        )
    finally:
        con.close()
    after = arrears.build_worklist(worklist_release, later, WL_AS_OF)
    pd.testing.assert_frame_equal(worklist.accounts, after.accounts)
    assert worklist.ladders.statement == after.ladders.statement
    # the same payment on the as-of day itself takes the account off the list
    first = int(worklist.accounts["application_id"].iloc[0])
    con = duckdb.connect(str(later))
    try:
        con.execute(_unpaid_on(con, f"DATE '{WL_AS_OF}'", f"application_id = {first}"))
    finally:
        con.close()
    paid = arrears.build_worklist(worklist_release, later, WL_AS_OF).accounts
    assert first not in set(paid["application_id"]) and len(paid) == len(after.accounts) - 1


def test_worklist_ranks_by_expected_recovery_per_effort(worklist):
    a = worklist.accounts
    assert list(a.columns) == arrears.worklist.WORKLIST_COLUMNS
    assert a["rank"].tolist() == list(range(1, len(a) + 1)) and len(a) > 300
    assert (np.diff(a["recovery_per_effort"].to_numpy()) <= 1e-9).all()
    assert (a["dpd"] >= 1).all() and a["application_id"].is_unique
    assert ((a["next_step_dpd"] >= a["dpd"]) | (a["next_step_dpd"] == 120)).all()
    assert (a["action_due_on"] - a["oldest_unpaid_due"]).dt.days.equals(a["next_step_dpd"])
    # the next action is the band's ladder at that step; today every band has the common one
    lad = worklist.ladders.ladders.set_index("band")
    for r in a.sample(200, random_state=0).itertuples():
        assert r.next_action == lad.loc[r.band, f"dpd_{r.next_step_dpd}"]
    assert set(a["next_action"]) <= {"sms_reminder", "call_reminder", "negotiation",
                                     "legal_notice", "device_recovery"}  # fmt: skip
    assert np.allclose(a["expected_loss"], a["exposure"] * a["p_no_cure"] * a["lgd"])
    assert np.allclose(a["recovery_per_effort"], a["expected_recovery"] / a["effort"])
    # hand-recomputed: the probability of no cure on the rest of the band's ladder
    rates = pd.concat([worklist.effects.steps, worklist.early]).set_index(
        ["band", "dpd", "action"]
    )["cure_rate"]
    r = a[a["next_step_dpd"] == 30].iloc[0]
    p = 1.0
    for step in (30, 45, 60, 90):
        p *= 1 - rates[(r.band, step, lad.loc[r.band, f"dpd_{step}"])]
    assert r.p_no_cure == pytest.approx(p)
    assert r.p_cure_next == pytest.approx(rates[(r.band, 30, r.next_action)])
    # riskier collection-score bands cure less at the first step
    sms = worklist.early[worklist.early["dpd"] == 5].set_index("band")["cure_rate"]
    assert sms.is_monotonic_increasing
    assert (a["route"] == "fraud_review").eq(a["ring_alert"] != "").all()
    assert a["behavior_snapshot"].max() == pd.Timestamp("2025-09-30")  # the last month end
    assert a["ladder_note"].eq("common: the data supports no difference between bands").all()
    assert not worklist.ladders.supported


def test_effort_comparison_hand_counted():
    a = pd.DataFrame(
        {
            "rank": [1, 2, 4, 3],  # by recovery / effort
            "application_id": [10, 11, 12, 13],
            "dpd": [3, 20, 95, 60],
            "expected_recovery": [50.0, 30.0, 100.0, 40.0],
            "effort": [0.1, 1.5, 120.0, 12.0],
        }
    )
    out = arrears.effort_comparison(a, sizes=[2], shares=[0.11]).set_index("basis")
    top2 = out.loc["accounts"]
    assert (top2["ranked_recovery"], top2["ranked_effort"]) == (80.0, pytest.approx(1.6))
    assert (top2["dpd_recovery"], top2["dpd_effort"]) == (140.0, 132.0)  # dpd 95, then 60
    budget = out.loc["effort"]  # 11% of 133.6: the dpd queue cannot afford its first account
    assert budget["limit"] == pytest.approx(14.696)
    assert (budget["ranked_accounts"], budget["ranked_recovery"]) == (3, 120.0)
    assert (budget["dpd_accounts"], budget["dpd_recovery"]) == (0, 0.0)
    assert np.isnan(budget["ratio"])


def test_write_worklist_csv_and_parquet(worklist, tmp_path):
    csv = arrears.write_worklist(worklist, tmp_path / "out" / "worklist.csv")
    back = pd.read_csv(csv)
    assert back.columns.tolist() == arrears.worklist.WORKLIST_COLUMNS
    assert back["application_id"].tolist() == worklist.accounts["application_id"].tolist()
    pq = arrears.write_worklist(worklist, tmp_path / "out" / "worklist.parquet")
    table = pd.read_parquet(pq)
    assert table.attrs["ladder"] == worklist.ladders.statement
    assert table.attrs["as_of"] == WL_AS_OF
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "worklist.csv", "worklist.parquet"]  # fmt: skip
    with pytest.raises(ConfigError, match=r"must end in \.csv or \.parquet"):
        arrears.write_worklist(worklist, tmp_path / "worklist.xlsx")


def test_cli_worklist(worklist_release, warehouse, tmp_path, capsys):
    from riskresearch import cli

    out = tmp_path / "worklist.csv"
    args = ["collections", "worklist", str(worklist_release), str(warehouse)]
    assert cli.main([*args, "--as-of", WL_AS_OF, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "live delinquent" in printed and "ladder    The data supports no difference" in printed
    assert len(pd.read_csv(out)) > 300


@pytest.mark.parametrize("mistake", ["bad date", "after the data", "no behaviour part", "xlsx"])
def test_cli_worklist_mistakes_are_one_line(mistake, worklist_release, warehouse, modeling_path,
                                            tmp_path, capsys):  # fmt: skip
    from riskresearch import cli
    from tests.conftest import sealed_release

    release, as_of, out = worklist_release, WL_AS_OF, tmp_path / "worklist.csv"
    expected = {
        "bad date": "--as-of must be a day as YYYY-MM-DD, e.g. 2025-12-31. Got '2025-13-01' "
        "instead.",
        "after the data": "The 'as_of' parameter of build_worklist (2026-02-01) is after the "
        "warehouse's as-of date (2025-12-31): later payments were never recorded. Pass "
        "2025-12-31 or earlier.",
        "xlsx": "--out must be a .csv or .parquet file. Got 'worklist.xlsx'. Give e.g. "
        "worklist.csv.",
    }.get(mistake)
    if mistake == "bad date":
        as_of = "2025-13-01"
    elif mistake == "after the data":
        as_of = "2026-02-01"
    elif mistake == "xlsx":
        out = tmp_path / "worklist.xlsx"
    else:
        score = (Path(worklist_release) / "collection_score.json").read_text()
        release = sealed_release(tmp_path / "rel", {"collection_score.json": score},
                                 modeling_path)  # fmt: skip
        expected = (
            f"Cannot build the worklist with '{release}': the release has no behavior part "
            "(skipped: not written). Use a release built with the behavior part."
        )
    args = ["collections", "worklist", str(release), str(warehouse), "--as-of", as_of]
    assert cli.main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"riskresearch: error: {expected}\n"
    assert not out.exists()


def test_analysis_says_whether_bands_differ(analysis, warehouse, tmp_path):
    bl = analysis.band_ladders
    assert analysis.metrics["ladder"]["band_ladders"] == bl.statement
    assert set(bl.tests["dpd"]) == {30, 60, 90} and len(bl.tests) == 3 * len(bl.ladders)
    text = arrears.portfolio_report(warehouse, tmp_path / "p.html", analysis=analysis).read_text()
    assert "Band-specific ladders?" in text and bl.statement.split(":")[0] in text
    files = {p.name for p in arrears.write_arrears(tmp_path / "art", analysis)}
    assert "ladder_band_tests.csv" in files


def test_portfolio_report_in_chinese(analysis, warehouse, tmp_path):
    """language='zh-CN': headings, sentences, table headers and chart texts in Chinese, drawn
    without a missing glyph; the same figures and tables as the English report."""
    import warnings

    english = arrears.portfolio_report(warehouse, tmp_path / "en.html", analysis=analysis)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*Glyph .* missing")
        out = arrears.portfolio_report(
            warehouse, tmp_path / "zh.html", analysis=analysis, language="zh-CN"
        )
    text, en = out.read_text(encoding="utf-8"), english.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "<h1>租后资产组合报告</h1>" in text
    assert "<h2>5. 催收流程</h2>" in text and "Collection ladder" not in text
    assert "<th>回正率</th>" in text and "<th>cure_rate</th>" in en  # headers translated
    assert text.count("data:image/png") == en.count("data:image/png") == 7
    assert text.count("<table") == en.count("<table")
    # headings without their parenthesised terms (账龄分析（Vintage）) hold no English word
    headings = [re.sub(r"（.*?）", "", h) for h in re.findall(r"<h[12]>(.*?)</h[12]>", text)]
    assert headings and not [h for h in headings if re.search(r"[A-Za-z]{4,}", h)]


def test_contract_months_in_lease_batches_is_the_one_query_table(warehouse, analysis, monkeypatch):
    # contract_months runs its SQL once per batch of leases; unbounded, it is one query
    monkeypatch.setattr(warehouse_module, "LEASE_BATCH", 3_000)
    months = arrears.contract_months(warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert len(warehouse_module.lease_batches(con, analysis.as_of)) > 3
        params = {"as_of": analysis.as_of, "after": None, "through": None}
        whole = con.sql(warehouse_module.read_sql("arrears_months"), params=params).df()
    finally:
        con.close()
    for c in ("cohort", "snapshot"):
        whole[c] = pd.to_datetime(whole[c])
    pd.testing.assert_frame_equal(months, whole, check_exact=True)
    pd.testing.assert_frame_equal(analysis.months, whole, check_exact=True)


def test_lease_batches_cover_every_lease_once_whatever_the_id_type():
    """Ranges of (after, through] ids that split the started leases into batches of the size
    asked, for integer and text application ids alike."""
    con = duckdb.connect()
    try:
        for ids in ("range * 7", "printf('A%04d', range)"):
            con.execute(
                f"CREATE OR REPLACE TABLE orders AS SELECT {ids} AS application_id, "
                "DATE '2025-01-01' + CAST(range % 3 AS INTEGER) AS started_on FROM range(50)"
            )
            as_of = dt.date(2025, 1, 2)  # the leases started on 2025-01-03 are left out
            ranges = warehouse_module.lease_batches(con, as_of, size=8)
            assert ranges[0][0] is None and ranges[-1][1] is None
            started = [
                r[0]
                for r in con.execute(
                    "SELECT application_id FROM orders WHERE started_on <= ? ORDER BY 1", [as_of]
                ).fetchall()
            ]
            sizes = [
                sum((lo is None or i > lo) and (hi is None or i <= hi) for i in started)
                for lo, hi in ranges
            ]
            assert sum(sizes) == len(started) and max(sizes) == 8 and sizes[-1] <= 8
    finally:
        con.close()
