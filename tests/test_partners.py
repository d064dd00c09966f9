"""Partners: actual-vs-expected statistics on hand-built data, the knock-out rules and score, the
flag rules, the partner-neutral expected PD, bad input, the oracle never read by the flagging,
and the detection target on the simulated platform."""

from __future__ import annotations

import json
import math
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from riskresearch import cli, oracle
from riskresearch import partners as P
from riskresearch.config import PartnerKnockouts, PartnersConfig, config_from_dict
from riskresearch.errors import ConfigError, DataError
from riskresearch.scoring import SCORECARD_FORMAT


# ------------------------------------------------------------------------------------------
# actual vs expected
# ------------------------------------------------------------------------------------------
def test_ae_stats_hand_computed():
    # y = [1, 0, 0, 1], p = [.1, .2, .3, .4]: O = 2, E = 1, S = .3, variance = E - S = .7
    st = P.ae_stats([2], [1.0], [0.3], 0.95).iloc[0]
    assert st["ae"] == pytest.approx(2.0)
    assert st["z"] == pytest.approx(1 / math.sqrt(0.7))
    z = norm.ppf(0.975)
    for r in (st["ae_low"], st["ae_high"]):  # the bounds solve (O - rE)^2 = z^2 (rE - r^2 S)
        assert (2 - r) ** 2 == pytest.approx(z**2 * (r - 0.3 * r**2))
    assert st["ae_low"] < 1 < 2 < st["ae_high"]  # z = 1.195 < 1.96: not significant


def test_ae_interval_with_equal_probabilities_is_wilson_over_p():
    n, p, o = 50, 0.1, 9
    z = norm.ppf(0.975)
    centre = (o + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * math.sqrt(o * (n - o) / n + z**2 / 4)
    st = P.ae_stats([o], [n * p], [n * p * p], 0.95).iloc[0]
    assert st["ae_low"] == pytest.approx((centre - half) / p)
    assert st["ae_high"] == pytest.approx((centre + half) / p)
    assert (st["ae_low"], st["ae_high"]) == pytest.approx((0.9770, 3.0796), abs=1e-3)


def test_ae_lower_bound_above_one_exactly_when_z_exceeds_the_quantile():
    o = np.arange(0, 40)
    st = P.ae_stats(o, np.full(40, 20.0), np.full(40, 20.0 * 0.05), 0.99)
    assert ((st["ae_low"] > 1) == (st["z"] > norm.ppf(0.995))).all()


def test_ae_stats_without_expectation_is_nan_and_level_is_checked():
    assert P.ae_stats([0], [0.0], [0.0]).isna().all(axis=None)
    with pytest.raises(ConfigError, match="'level' parameter must be in"):
        P.ae_stats([1], [1.0], [0.1], level=1.5)


def test_actual_vs_expected_per_group_hand_computed():
    frame = pd.DataFrame(
        {
            "partner_id": [1, 1, 1, 1, 2, 2, 2],
            "bad": [1, 0, 0, 1, 0, 0, np.nan],  # the immature row does not count
            "p": [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.9],
        }
    )
    out = P.actual_vs_expected(frame, "partner_id", "bad", "p").set_index("partner_id")
    assert out.loc[1, ["n", "actual", "expected", "variance"]].tolist() == pytest.approx(
        [4, 2, 1.0, 0.7]
    )
    assert out.loc[2, ["n", "actual", "expected", "variance"]].tolist() == pytest.approx(
        [2, 0, 1.0, 0.5]
    )
    assert out.loc[2, "z"] == pytest.approx(-1 / math.sqrt(0.5))
    assert out.loc[2, "ae"] == 0.0


# ------------------------------------------------------------------------------------------
# qualification: knock-outs and score
# ------------------------------------------------------------------------------------------
def _partners(**changes) -> pd.DataFrame:
    base = {
        "partner_id": 1,
        "partner_type": "merchant",
        "onboarded_on": pd.Timestamp("2023-01-01"),
        "registered_capital": 3e6,
        "years_in_business": 10.0,
        "licence_check_passed": True,
        "complaints_12m": 0,
        "owner_credit_red_flag": False,
        "city_tier": 1,
    }
    rows = [base]
    for i, (_, change) in enumerate(sorted(changes.items()), start=2):
        rows.append({**base, "partner_id": i, **change})
    return pd.DataFrame(rows)


def test_qualification_score_hand_computed():
    table = _partners(
        a={
            "registered_capital": 1e5,
            "years_in_business": 5.5,
            "complaints_12m": 6,
            "city_tier": 2,
        },
        b={"registered_capital": math.sqrt(1e5 * 3e6), "complaints_12m": 3, "city_tier": 4},
        c={"registered_capital": 1e5, "complaints_12m": 6, "city_tier": 4},
    )
    q = P.qualify(table).set_index("partner_id")
    # full marks; 0 + 15 + 15 + 6.67; 15 (log midpoint) + 30 + 22.5 + 0; 0 + 30 + 15 + 0
    assert q["score"].tolist() == pytest.approx([100, 36.67, 67.5, 45], abs=0.01)
    assert q["decision"].tolist() == ["approve", "decline", "approve", "review"]
    assert q.loc[1, "reasons"] == ""
    assert "score 45 < 60 (weakest: registered_capital)" in q.loc[4, "reasons"]


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"licence_check_passed": False}, "licence_check_failed"),
        ({"owner_credit_red_flag": True}, "owner_credit_red_flag"),
        ({"complaints_12m": 16}, "complaints_12m"),
    ],
)
def test_each_default_knock_out_declines_a_full_marks_partner(change, rule):
    q = P.qualify(_partners(x=change)).set_index("partner_id")
    assert q.loc[1, "decision"] == "approve" and q.loc[1, "knockouts"] == ""
    assert q.loc[2, "knockouts"] == rule
    assert q.loc[2, "decision"] == "decline"
    assert f"knock-out: {rule}" in q.loc[2, "reasons"]


def test_complaints_at_the_limit_pass_and_configured_minimums_knock_out():
    table = _partners(
        a={"complaints_12m": 15}, b={"years_in_business": 0.4, "registered_capital": 5e4}
    )
    assert P.qualify(table)["knockouts"].tolist() == ["", "", ""]
    cfg = PartnersConfig(
        knockouts=PartnerKnockouts(min_years_in_business=0.5, min_registered_capital=1e5)
    )
    assert P.qualify(table, cfg)["knockouts"].tolist() == [
        "",
        "",
        "years_in_business;registered_capital",
    ]
    off = PartnersConfig(knockouts=PartnerKnockouts(licence_check_failed=False))
    failed = _partners(a={"licence_check_passed": False})
    assert P.qualify(failed, off)["decision"].tolist() == ["approve", "approve"]


def test_past_performance_knocks_out_a_significant_excess_of_bads():
    perf = pd.DataFrame({"partner_id": [1, 2], "bad_ae_low_flag": [0.9, 1.2]})
    q = P.qualify(_partners(a={}), performance=perf)
    assert q["knockouts"].tolist() == ["", "past_performance"]


def test_partner_config_rules():
    with pytest.raises(ValueError, match=r"review_at .* is above partners\.approve_at"):
        PartnersConfig(review_at=70, approve_at=60)
    with pytest.raises(ValueError, match=r"flag_confidence is below partners\.confidence"):
        PartnersConfig(confidence=0.99, flag_confidence=0.95)
    with pytest.raises(ValueError, match="zero_at != full_at"):
        PartnersConfig(score={"city_tier": {"weight": 10, "zero_at": 2, "full_at": 2}})


# ------------------------------------------------------------------------------------------
# flags
# ------------------------------------------------------------------------------------------
OUTS = [o for o, _, _ in P.OUTCOMES]


def _summary(rows: list[dict]) -> pd.DataFrame:
    """A partner summary from (actual, expected, p) per outcome; unnamed outcomes are null."""
    cfg = PartnersConfig()
    out = []
    for i, r in enumerate(rows, start=1):
        row = {"partner_id": i, "applications": r.get("applications", 1000)}
        row["price_median"] = r.get("price", 1.0)
        for o in OUTS:
            actual, expected, p = r.get(o, (1, 1.0, 0.01))
            st = P.ae_stats([actual], [expected], [expected * p], cfg.confidence).iloc[0]
            row.update({f"{o}_actual": actual, f"{o}_expected": expected})
            row.update({f"{o}_{k}": st[k] for k in st.index})
            flag = P.ae_stats([actual], [expected], [expected * p], cfg.flag_confidence)
            row[f"{o}_ae_low_flag"] = flag["ae_low"].iloc[0]
        out.append(row)
    return pd.DataFrame(out)


def test_a_small_partner_is_not_flagged_by_noise_a_large_one_is():
    s = _summary([{"bad": (3, 1.5, 0.05)}, {"bad": (300, 150.0, 0.05)}])
    f = P.flag_partners(s).set_index("partner_id")
    assert f.loc[1, "action"] == "ok"  # twice the expected bads, but 3 vs 1.5 is noise
    assert f.loc[2, "action"] == "suspend"  # 300 vs 150: lower bound 1.79 >= 1.5
    assert f.loc[2, "reasons"].startswith("suspend: bad rate")


def test_flag_rules_one_by_one():
    s = _summary(
        [
            {},  # 1: nothing
            {"bad": (160, 100.0, 0.05)},  # 2: 1.6x, low_flag ~1.32 > 1 -> restrict
            {"bad": (122, 100.0, 0.05)},  # 3: 1.22x, significant at 95% only -> watch
            {"fpd30": (160, 100.0, 0.05)},  # 4: early indicator -> restrict, never suspend
            {"fraud": (30, 10.0, 0.01)},  # 5: fraud 3x -> restrict
            {"address_changed": (40, 20.0, 0.02)},  # 6: address changes -> watch only
            {"price": 1.2},  # 7: price anomaly -> restrict
            {"price": 1.2, "applications": 10},  # 8: too few applications to judge prices
            {"fpd30": (400, 100.0, 0.05)},  # 9: 4x early indicator is still restrict
        ]
    )
    f = P.flag_partners(s).set_index("partner_id")
    assert f["action"].sort_index().tolist() == [
        "ok",
        "restrict",
        "watch",
        "restrict",
        "restrict",
        "watch",
        "restrict",
        "ok",
        "restrict",
    ]
    assert "median listed price 1.20x retail" in f.loc[7, "reasons"]
    assert "confirmed fraud 3.00x expected" in f.loc[5, "reasons"]
    assert f["rank"].tolist() == list(range(1, 10))
    assert f["severity"].is_monotonic_decreasing


def test_qualification_knock_out_puts_an_onboarded_partner_on_watch():
    s = _summary([{}, {}])
    q = P.qualify(_partners(a={"owner_credit_red_flag": True}))
    f = P.flag_partners(s, q).set_index("partner_id")
    assert f.loc[1, "action"] == "ok"
    assert f.loc[2, "action"] == "watch"
    assert f.loc[2, "reasons"] == "watch: re-vet, knock-out owner_credit_red_flag"


# ------------------------------------------------------------------------------------------
# expected rates: a partner-neutral PD, recalibrated on the portfolio
# ------------------------------------------------------------------------------------------
FACTOR = 20 / math.log(2)
OFFSET = 600 - FACTOR * math.log(50)
CARD = {
    "format": SCORECARD_FORMAT,
    "scaling": {"offset": OFFSET, "factor": FACTOR},
    "features": {
        "partner_id": {
            "dtype": "categorical",
            "groups": [["1"], ["2"]],
            "special_codes": [],
            "bins": [{"woe": 0.5}, {"woe": -0.5}, {"woe": 0.0}, {"woe": 0.0}],
            "coefficient": -1.0,
            "points": [50 + FACTOR * 0.5, 50 - FACTOR * 0.5, 50.0, 50.0],
            "unseen_points": 20.0,
        },
        "x": {
            "dtype": "numerical",
            "splits": [10.0],
            "special_codes": [],
            "points": [40.0, 60.0, 50.0, 50.0],
            "unseen_points": 40.0,
        },
    },
}


def test_expected_pd_puts_the_partner_at_woe_zero():
    frame = pd.DataFrame(
        {"partner_id": [1, 2, 2], "x": [5.0, 5.0, 20.0], "segment": ["c", "c", "e"]}
    )
    neutral = P.expected_pd(frame, CARD, where={"segment": "c"})
    expect = 1 / (1 + math.exp((50 + 40 - OFFSET) / FACTOR))
    assert neutral.iloc[:2].tolist() == pytest.approx([expect, expect])  # partner ignored
    assert np.isnan(neutral.iloc[2])  # not a row of the scorecard's population
    with_partner = P.expected_pd(frame, CARD, neutral=())
    assert with_partner.iloc[0] < expect < with_partner.iloc[1]


def _apps(groups: list[tuple[int, int, float, int]]) -> pd.DataFrame:
    """Applications of (partner, rows, pd, bads) in one month, all mature."""
    rows = []
    for pid, n, p, bads in groups:
        y = np.zeros(n)
        y[:bads] = 1
        rows.append(pd.DataFrame({"partner_id": pid, "pd": p, "bad": y}))
    a = pd.concat(rows, ignore_index=True)
    n = len(a)
    zeros = np.zeros(n)
    return a.assign(
        application_id=np.arange(n),
        application_month="2024-01-01",
        segment="consumer",
        declined=False,
        has_performance=True,
        price_vs_retail=1.0,
        bad_mature=True,
        fpd30=zeros,
        fpd30_mature=True,
        fraud=zeros,
        fraud_mature=True,
        dpd30_3m=zeros,
        dpd30_3m_mature=True,
        address_changed=zeros,
    )


def test_a_bad_partner_is_not_hidden_by_a_good_customer_mix():
    normal = [
        (i, 1000, p, round(1000 * p))
        for i, p in zip(range(2, 8), (0.04, 0.06, 0.08, 0.1, 0.12, 0.14))
    ]
    apps = _apps([(1, 1000, 0.02, 60), *normal])  # partner 1: good customers, 3x their risk
    raw = apps.groupby("partner_id")["bad"].mean()
    assert raw[1] < apps["bad"].mean()  # its raw bad rate is below the portfolio's
    _, adjusted = P.monitor(apps, "pd")
    flags = P.flag_partners(adjusted).set_index("partner_id")
    assert flags.loc[1, "action"] in ("restrict", "suspend")
    assert (flags.drop(index=1)["action"] == "ok").all()
    _, unadjusted = P.monitor(apps)  # the portfolio rate alone misses it
    assert P.flag_partners(unadjusted).set_index("partner_id").loc[1, "action"] == "ok"


def test_calibration_matches_each_months_bads():
    apps = pd.concat(
        [
            _apps([(1, 400, 0.05, 20), (2, 400, 0.1, 40)]),
            _apps([(1, 400, 0.05, 50), (2, 400, 0.1, 70)]).assign(application_month="2024-02-01"),
        ],
        ignore_index=True,
    )
    exp = P.calibrate(apps, "bad", "bad_mature", "pd")
    by_month = apps.assign(e=exp).groupby("application_month")[["bad", "e"]].sum()
    assert by_month["e"].to_numpy() == pytest.approx(by_month["bad"].to_numpy(), rel=1e-3)


# ------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------
def test_missing_partner_column_is_one_line_naming_it():
    with pytest.raises(DataError, match=r"lacks column\(s\) 'licence_check_passed'\. Add them"):
        P.qualify(_partners().drop(columns="licence_check_passed"))


def test_missing_application_column_is_one_line_naming_it():
    apps = _apps([(1, 10, 0.1, 1)]).drop(columns="price_vs_retail")
    with pytest.raises(DataError, match=r"lacks column\(s\) 'price_vs_retail'"):
        P.monitor(apps)


def test_warehouse_partners_table_without_a_column(warehouse, modeling_path, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE partners DROP COLUMN owner_credit_red_flag")
    con.close()
    with pytest.raises(DataError, match=r"'partners' table .* lacks column\(s\) 'owner_credit"):
        P.load_partner_data(db, modeling_path)
    with pytest.raises(ConfigError, match="does not exist"):
        P.load_partner_data(tmp_path / "none.duckdb")


def test_analysis_type_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="'analysis' parameter of write_partners"):
        P.write_partners(tmp_path, {"flags": None})


# ------------------------------------------------------------------------------------------
# the simulated platform
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pd_apps(warehouse, modeling_path):
    """Application rows with a PD from a small logistic regression without the partner."""
    partners, apps, _ = P.load_partner_data(warehouse, modeling_path)
    feats = ["platform_credit_score", "max_dpd_24m", "inquiries_6m", "employment_years"]
    cons = apps[apps["segment"] == "consumer"]
    x = cons[feats].fillna(-1).to_numpy()
    fit = cons["bad_mature"].to_numpy()
    lr = LogisticRegression(max_iter=1000).fit(x[fit], cons.loc[fit, "bad"].astype(int))
    apps.loc[cons.index, "pd"] = lr.predict_proba(x)[:, 1]
    return partners, apps


@pytest.fixture(scope="module")
def analysis(warehouse, modeling_path):
    return P.analyse(warehouse, modeling_path)


def test_detection_target_on_the_simulated_platform(pd_apps, warehouse):
    partners, apps = pd_apps
    _, summary = P.monitor(apps, "pd")
    flags = P.flag_partners(summary, P.qualify(partners, performance=summary))
    truth = oracle.partners(warehouse)  # evaluation only
    det = P.detection(flags, truth)
    assert det["recall_worst"] >= 0.8
    assert det["good_flagged_rate"] <= 0.15
    assert det["recall_new_channel"] >= 0.6
    # the actual-vs-expected rules alone, without the price anomaly, still find most of them
    no_price = P.flag_partners(summary, None, PartnersConfig(price_ratio=100.0))
    det = P.detection(no_price, truth)
    assert det["recall_worst"] >= 0.7 and det["good_flagged_rate"] <= 0.15


def test_detection_hand_built():
    truth = pd.DataFrame(
        {
            "partner_id": range(1, 11),
            "hidden_quality": [1.0, 0.9, 0.0, 0.1, -0.1, 0.2, 0.3, -0.2, 0.05, 0.6],
            "worse_new_channel": [False] * 9 + [True],
        }
    )
    flags = pd.DataFrame({"partner_id": [1, 3, 10], "action": ["suspend", "restrict", "watch"]})
    det = P.detection(flags, truth)
    assert det["worst_decile"] == 1 and det["recall_worst"] == 1.0
    assert det["good_flagged_rate"] == pytest.approx(1 / 9)  # partner 3
    assert det["precision_worst"] == 0.5
    assert det["bad"] == 3 and det["recall_bad"] == pytest.approx(1 / 3)  # 1, 2 and 10
    assert det["recall_new_channel"] == 0.0  # 10 is only on watch


def test_flagging_never_reads_the_oracle(warehouse, modeling_path, analysis, tmp_path):
    db = tmp_path / "no_oracle.duckdb"
    shutil.copy(warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE oracle_partners")
    con.execute("DROP TABLE oracle_applications")
    con.close()
    assert not oracle.has_partner_truth(db) and oracle.has_partner_truth(warehouse)
    again = P.analyse(db, modeling_path)
    pd.testing.assert_frame_equal(again.flags, analysis.flags)
    pd.testing.assert_frame_equal(again.summary, analysis.summary)


def test_monitoring_tables_add_up(analysis, modeling):
    m, s = analysis.monthly, analysis.summary
    assert m["applications"].sum() == len(modeling) == s["applications"].sum()
    by_partner = m.groupby("partner_id")[["bad_actual", "fpd30_expected"]].sum()
    assert by_partner["bad_actual"].to_numpy() == pytest.approx(s["bad_actual"].to_numpy())
    assert by_partner["fpd30_expected"].to_numpy() == pytest.approx(s["fpd30_expected"].to_numpy())
    mature = modeling[modeling["bad_mature"]]
    assert s["bad_actual"].sum() == mature["bad"].sum()
    assert s["bad_expected"].sum() == pytest.approx(mature["bad"].sum(), rel=0.01)
    assert set(analysis.flags["action"]) <= set(P.ACTIONS)


def test_artifacts_are_deterministic_text(analysis, warehouse, modeling_path, tmp_path):
    files = P.write_partners(tmp_path / "a", analysis, {"recall_worst": 1.0})
    assert [f.name for f in files] == [
        "partner_months.csv",
        "partner_qualification.csv",
        "partner_service.csv",
        "partner_service_trend.csv",
        "partner_summary.csv",
        "partner_weights.csv",
        "partners.csv",
        "partners.json",
    ]
    doc = json.loads((tmp_path / "a" / "partners.json").read_text())
    assert doc["partners"] == len(analysis.flags) and doc["detection"]["recall_worst"] == 1.0
    P.write_partners(tmp_path / "b", P.analyse(warehouse, modeling_path), {"recall_worst": 1.0})
    for f in files:
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()


def test_plots_are_figures(analysis):
    assert isinstance(P.funnel_plot(analysis.summary, analysis.flags), Figure)
    assert isinstance(P.trend_plot(analysis.monthly, analysis.flags["partner_id"][:3]), Figure)
    assert isinstance(P.price_plot(analysis.summary), Figure)


def test_analyse_release_uses_the_scorecards_population(modeling_path, warehouse, tmp_path):
    raw = {
        "model": "m",
        "data": {
            "table": str(modeling_path),
            "target": "bad",
            "warehouse": str(warehouse),
            "filter": {"segment": "consumer", "bad_mature": True},
        },
    }
    cfg = config_from_dict(raw)
    assert P.pd_rows(cfg.data.filter, cfg.partners) == {"segment": "consumer"}
    an = P.analyse_release(cfg, tmp_path)  # no scorecard.json there: the portfolio rate
    assert an.params["expected"].startswith("portfolio rate")
    raw["data"].pop("warehouse")
    with pytest.raises(ConfigError, match=r"set 'data\.warehouse'"):
        P.analyse_release(config_from_dict(raw), tmp_path)


def test_cli_partners_report(warehouse, modeling_path, tmp_path, capsys):
    out = tmp_path / "partners.html"
    code = cli.main(
        [
            "partners",
            "report",
            str(warehouse),
            "--table",
            str(modeling_path),
            "--out",
            str(out),
            "--artifacts",
            str(tmp_path / "art"),
        ]
    )
    assert code == 0
    text = out.read_text()
    assert "Partner qualification and performance" in text and "data:image/png" in text
    printed = capsys.readouterr().out
    assert "worst decile recall" in printed
    assert (tmp_path / "art" / "partners.json").is_file()


@pytest.mark.parametrize("mistake", ["csv as warehouse", "folder as warehouse", "folder as table"])
def test_cli_partners_report_wrong_files_are_one_line(warehouse, tmp_path, capsys, mistake):
    db, table = warehouse, None
    if mistake == "csv as warehouse":
        db = tmp_path / "apps.csv"
        db.write_text("application_id,partner_id\n1,31\n")
        expected = f"'{db}' is not a DuckDB database (it lacks DuckDB's file header)."
    elif mistake == "folder as warehouse":
        db = tmp_path / "leasing.duckdb"
        db.mkdir()
        expected = f"The warehouse '{db}' is a folder, not a DuckDB file."
    else:
        table = tmp_path / "table.parquet"
        table.mkdir()
        expected = (
            f"The modeling table '{table}' is a folder, not a file. Give a CSV or Parquet file, "
            "or omit it."
        )
    before = sorted(p.name for p in tmp_path.iterdir())
    args = ["partners", "report", str(db), "--out", str(tmp_path / "partners.html")]
    assert cli.main(args + (["--table", str(table)] if table else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"riskresearch: error: {expected}") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ------------------------------------------------------------------------------------------
# qualification weights learned from outcomes
# ------------------------------------------------------------------------------------------
FACTORS = ["registered_capital", "years_in_business", "complaints_12m", "city_tier"]


def _simulated_partners(n: int, coef, seed: int = 0):
    """``n`` partners with random factors and outcomes drawn from ``logit P(bad) = 2 -
    sum_k coef_k share_k``, and a summary where a bad outcome is a significant excess of bads."""
    rng = np.random.default_rng(seed)
    partners = pd.DataFrame(
        {
            "partner_id": np.arange(1, n + 1),
            "partner_type": "merchant",
            "onboarded_on": pd.Timestamp("2024-01-01"),
            "registered_capital": 10 ** rng.uniform(5, 6.5, n),
            "years_in_business": rng.uniform(1, 10, n),
            "licence_check_passed": True,
            "complaints_12m": rng.integers(0, 13, n),
            "owner_credit_red_flag": False,
            "city_tier": rng.integers(1, 5, n),
        }
    )
    x = P.factor_shares(partners)[FACTORS].to_numpy()
    bad = rng.random(n) < 1 / (1 + np.exp(-2.0 + x @ np.asarray(coef, dtype=float)))
    summary = pd.DataFrame({"partner_id": partners["partner_id"], "applications": 200})
    for t in ("bad", "fpd30", "dpd30_3m", "fraud"):
        summary[f"{t}_n"] = 100
        summary[f"{t}_ae_low"] = np.where(bad & (t == "bad"), 1.4, 0.7)
    return partners, summary


def test_learned_weights_find_the_factor_that_matters_and_shrink_to_the_prior():
    truth = [1.0, 1.0, 4.0, 0.0]  # complaints matter most, the city tier not at all
    big = P.learn_weights(*_simulated_partners(3000, truth))
    assert big.source == "learned" and big.partners == 3000
    w = big.weights
    assert sum(w.values()) == pytest.approx(100.0)  # the hand-set total: approve_at keeps its sense
    # the truth rescaled to 100 is 16.7 / 16.7 / 66.7 / 0: the data moves the weights there
    assert w["complaints_12m"] > 55 and w["city_tier"] < 4
    assert w["registered_capital"] == pytest.approx(16.7, abs=6)
    t = big.table.set_index("factor")
    assert t.loc["complaints_12m", "coef_low"] > t.loc["complaints_12m", "prior_coef"]
    assert t.loc["city_tier", "coef_low"] < 0 < t.loc["city_tier", "coef_high"]
    # 60 partners carry less evidence: the same truth moves the weights less from the prior
    small = P.learn_weights(*_simulated_partners(60, truth, seed=1))
    prior = {"registered_capital": 30, "years_in_business": 30, "complaints_12m": 30,
             "city_tier": 10}  # fmt: skip

    def moved(lw):
        return sum(abs(lw.weights[f] - prior[f]) for f in FACTORS)

    assert small.source == "learned" and moved(small) < moved(big)
    tight = P.learn_weights(*_simulated_partners(60, truth, seed=1), prior_sd=0.05)
    assert moved(tight) < moved(small) and moved(tight) < 3
    # learned weights score the partners: full marks on every factor is still 100
    q = P.qualify(_partners(), weights=big.weights)
    assert q.loc[0, "score"] == pytest.approx(100.0, abs=0.01)


def test_learned_weights_fall_back_to_the_hand_set_ones_and_say_why():
    few = P.learn_weights(*_simulated_partners(20, [0, 0, 4, 0]))
    assert few.source == "prior" and few.weights == {
        "registered_capital": 30, "years_in_business": 30, "complaints_12m": 30,
        "city_tier": 10}  # fmt: skip
    assert few.reason == (
        "The hand-set weights are used: 20 partners have an outcome, fewer than "
        "min_partners=30 (a new platform)."
    )
    partners, summary = _simulated_partners(200, [0, 0, 4, 0])
    summary["bad_ae_low"] = np.where(summary["partner_id"] <= 3, 1.4, 0.7)  # 3 bad partners
    rare = P.learn_weights(partners, summary)
    assert rare.source == "prior" and "3 of 200 partners had a bad outcome" in rare.reason
    assert "min_bad=5" in rare.reason
    # partners without a matured outcome, or too small, have no outcome yet
    summary.loc[summary["partner_id"] <= 150, ["bad_n", "fpd30_n", "dpd30_3m_n", "fraud_n"]] = 0
    assert P.partner_bad_outcomes(summary).notna().sum() == 50
    with pytest.raises(ConfigError, match="'min_partners' parameter of learn_weights"):
        P.learn_weights(partners, summary, min_partners=1)
    with pytest.raises(ConfigError, match="'prior_sd' parameter of learn_weights"):
        P.learn_weights(partners, summary, prior_sd=0)
    with pytest.raises(ConfigError, match=r"'weights' parameter of qualify names \['tier'\]"):
        P.qualify(partners, weights={"tier": 5.0})


def test_analysis_learns_weights_and_tracks_service(analysis):
    w = analysis.weights
    assert w is not None and w.partners > 30
    assert analysis.metrics["weights"]["source"] == w.source
    q = analysis.qualification
    assert {"score_learned", "decision_learned"} <= set(q.columns)
    assert q["score_learned"].between(0, 100).all()
    s = analysis.service
    assert (s["address_changes"] <= s["deliveries"]).all()
    assert ((s["returns"] + s["not_returned"]) <= s["term_ends"]).all()
    assert set(analysis.service_trend["partner_id"]) == set(s["partner_id"])


def _service_warehouse(path):
    """Partner 1: 10 deliveries in 2025-01 (one address change), 4 terms ending 2025-04-01:
    returned on time, 20 days late, still out, bought out; partner 2: 40 deliveries a month
    2025-01..2025-06, one address change a month until 2025-03, then 8 a month."""
    rows = []
    oid = 0
    for k in range(10):
        oid += 1
        rows.append((oid, 1, "2025-01-01", 24, None, "active", k == 0))
    for ended, status in (("2025-04-02", "returned"), ("2025-04-21", "returned"),
                          (None, "active"), ("2025-04-01", "bought_out")):  # fmt: skip
        oid += 1
        rows.append((oid, 1, "2025-01-01", 3, ended, status, False))
    for month in range(1, 7):
        changed = 1 if month <= 3 else 8
        for k in range(40):
            oid += 1
            rows.append((oid, 2, f"2025-{month:02d}-05", 24, None, "active", k < changed))
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE orders (application_id BIGINT, partner_id BIGINT, started_on DATE, "
            "lease_term_months BIGINT, ended_on DATE, status VARCHAR, "
            "delivery_address_changed BOOLEAN)"
        )
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('as_of', '2025-06-30')")
    finally:
        con.close()
    return path


def test_service_quality_hand_counted(tmp_path):
    db = _service_warehouse(tmp_path / "service.duckdb")
    s = P.service_quality(db).set_index(["partner_id", "month"])
    jan = s.loc[(1, "2025-01")]
    # the 4 short leases were delivered in January too
    assert (jan["deliveries"], jan["address_changes"]) == (14, 1)
    apr = s.loc[(1, "2025-04")]
    assert (apr["term_ends"], apr["returns"], apr["returned_late"], apr["not_returned"]) == (
        4, 2, 1, 1)  # fmt: skip
    assert apr["late_return_rate"] == 0.5 and apr["not_returned_rate"] == 0.25
    # on 2025-05-15 the April term ends are not settled yet (60 days): not counted
    early = P.service_quality(db, "2025-05-15").set_index(["partner_id", "month"])
    assert (1, "2025-04") not in early.index or early.loc[(1, "2025-04"), "term_ends"] == 0
    trend = P.service_trend(P.service_quality(db)).set_index("partner_id")
    assert trend.attrs["recent"]["address_change_rate"] == ["2025-04", "2025-05", "2025-06"]
    assert trend.loc[2, "address_change_rate_earlier"] == pytest.approx(3 / 120)
    assert trend.loc[2, "address_change_rate_recent"] == pytest.approx(24 / 120)
    assert trend.loc[2, "worse"] == "address_change" and trend.loc[1, "worse"] == ""
    with pytest.raises(ConfigError, match="'settle_days' parameter of service_quality"):
        P.service_quality(db, grace_days=30, settle_days=10)


def test_partner_report_in_chinese(analysis, warehouse, tmp_path):
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*Glyph .* missing")
        out = P.partner_report(warehouse, tmp_path / "zh.html", analysis=analysis, language="zh-CN")
    text = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "<h1>合作商准入与表现</h1>" in text
    assert "<h2>3. 准入评估</h2>" in text and "<th>合作商编号</th>" in text
    # headings without their parenthesised terms (账龄分析（Vintage）) hold no English word
    headings = [re.sub(r"（.*?）", "", h) for h in re.findall(r"<h[12]>(.*?)</h[12]>", text)]
    assert len(headings) >= 4 and not [h for h in headings if re.search(r"[A-Za-z]{4,}", h)]
    assert text.count("data:image/png") >= 3
