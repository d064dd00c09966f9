"""Strategy: grades, terms, expected profit, the optimiser, fraud rules and the swap set."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pandas as pd
import pytest

from riskresearch import development, release, strategy
from riskresearch.config import GradeTerms, config_from_dict
from riskresearch.errors import ConfigError, DataError
from riskresearch.strategy import Economics
from riskresearch.strategy.optimise import _bins
from tests.conftest import query

FEATURES = [
    "platform_credit_score",
    "registration_to_application_minutes",
    "max_dpd_24m",
    "employment_years",
    "stated_monthly_income",
    "lenders_6m",
    "hist_max_dpd",
    "application_hour",
    "retail_price",
]


def raw_config(modeling_path, warehouse, **strategy_section) -> dict:
    return {
        "model": "consumer",
        "seed": 7,
        "data": {
            "table": str(modeling_path),
            "target": "bad",
            "date_column": "application_month",
            "id_column": "application_id",
            "warehouse": str(warehouse),
            "filter": {"segment": "consumer", "bad_mature": True},
        },
        "features": {"include": FEATURES},
        "binning": {"max_n_bins": 5, "time_limit": 5},
        "selection": {"max_features": 8},
        "gbm": {"enabled": False},
        "fraud": {"compare": ["class_weight"]},
        "strategy": {"min_grade_share": 0.1, **strategy_section},
    }


@pytest.fixture(scope="module")
def cfg(modeling_path, warehouse):
    return config_from_dict(raw_config(modeling_path, warehouse))


@pytest.fixture(scope="module")
def dev(cfg):
    return development.develop(cfg)


@pytest.fixture(scope="module")
def econ(cfg, warehouse):
    return strategy.economics(cfg, warehouse)


def _scored(cfg, dev, sample):
    rows = strategy.through_the_door(cfg, sample)
    return rows.assign(score=dev.scorer.score(rows).to_numpy(), pd=dev.scorer.pd_(rows).to_numpy())


@pytest.fixture(scope="module")
def rows(cfg, dev):
    return _scored(cfg, dev, dev.train)


@pytest.fixture(scope="module")
def test_rows(cfg, dev):
    return _scored(cfg, dev, dev.test)


@pytest.fixture(scope="module")
def result(cfg, rows, econ):
    return strategy.optimise(rows, cfg, econ)


def flat_economics(**kw) -> Economics:
    base = {
        "default_months": 2,
        "residual_loss_per_month": 0.05,
        "residual_floor": 0.1,
        "take_up": 1.0,
        "deposit_elasticity": 0.0,
        "price_elasticity": 0.0,
        "buyout_rate": {"all": 1.0},
        "recovery_rate": {"all|all": 0.5},
        "resale_to_retail": {"all|all": 0.4},
    }
    return Economics(**{**base, **kw})


ONE = pd.DataFrame(
    {
        "retail_price": [1000.0],
        "price_vs_retail": [1.0],
        "devices_requested": [1],
        "lease_term_months": [12],
        "monthly_rent": [100.0],
        "device_category": ["phone"],
    }
)
TERMS = {
    "grade": "A",
    "max_device_value": 5000.0,
    "deposit_share": 0.0,
    "max_term_months": 24,
    "price_multiplier": 1.0,
}


# ------------------------------------------------------------------------------------------
# economics (hand-computed)
# ------------------------------------------------------------------------------------------
def test_expected_profit_matches_the_formula_by_hand():
    # margin = 100 x 12 + 1000 x max(0.1, 1 - 0.05 x 12) - 1000 = 600; defaults at k = 1, 2:
    # loss = 1000 - 0.5 x 0.4 x 1000 = 800, then 900 - 200 = 700; mean 750
    e = strategy.expected_profit(ONE, [0.1], TERMS, flat_economics()).iloc[0]
    assert e["margin"] == pytest.approx(600.0)
    assert e["loss_given_default"] == pytest.approx(750.0)
    assert e["expected_loss"] == pytest.approx(75.0)
    assert e["expected_profit"] == pytest.approx(0.9 * 600 - 75.0)


def test_deposit_lowers_the_loss_given_default():
    # deposit 20% of 1000: losses 600 and 500
    e = strategy.expected_profit(ONE, [0.1], {**TERMS, "deposit_share": 0.2}, flat_economics())
    assert e["deposit"].iloc[0] == pytest.approx(200.0)
    assert e["loss_given_default"].iloc[0] == pytest.approx(550.0)
    assert e["expected_profit"].iloc[0] == pytest.approx(540.0 - 55.0)


def test_term_cap_limit_and_take_up_rules():
    capped = strategy.expected_profit(ONE, [0.1], {**TERMS, "max_term_months": 6}, flat_economics())
    # term 6: margin 600 + 1000 x 0.7 - 1000 = 300
    assert capped["term"].iloc[0] == 6
    assert capped["expected_profit"].iloc[0] == pytest.approx(0.9 * 300 - 75.0)
    over = strategy.expected_profit(
        ONE, [0.1], {**TERMS, "max_device_value": 999.0}, flat_economics()
    )
    assert not over["booked"].iloc[0] and over["expected_profit"].iloc[0] == 0.0
    econ = flat_economics(take_up=0.8, deposit_elasticity=1.0, price_elasticity=2.0)
    e = strategy.expected_profit(
        ONE, [0.1], {**TERMS, "deposit_share": 0.2, "price_multiplier": 1.1}, econ
    )
    assert e["take_up"].iloc[0] == pytest.approx(0.8 * (1 - 0.2 - 0.2))
    assert e["rent"].iloc[0] == pytest.approx(110.0)


def test_capped_term_rent_follows_the_rent_curve():
    # rent / device cost = 0.05 + 0.3 / term: 12 months quote 100, 6 months cost 100 x
    # (0.05 + 0.05) / (0.05 + 0.025) = 133.33 a month; margin = 133.33 x 6 + 700 - 1000 = 500
    econ = flat_economics()
    econ.rent_rate_base, econ.rent_rate_per_term = 0.05, 0.3
    capped = strategy.expected_profit(ONE, [0.1], {**TERMS, "max_term_months": 6}, econ)
    assert capped["rent"].iloc[0] == pytest.approx(400 / 3)
    assert capped["margin"].iloc[0] == pytest.approx(500.0)
    # losses: 1000 - 200, then 1000 - 133.33 - 200
    assert capped["loss_given_default"].iloc[0] == pytest.approx((800 + 2000 / 3) / 2)
    uncapped = strategy.expected_profit(ONE, [0.1], TERMS, econ)
    assert uncapped["rent"].iloc[0] == pytest.approx(100.0)
    assert econ.rent_factor([24.0, 12.0], [12.0, 12.0]).tolist() == [1.0, 1.0]  # never cheaper


def test_exposure_and_history_limits_in_the_profit():
    limits = strategy.limits_policy(strategy.StrategyConfig())
    rows = pd.concat([ONE] * 4, ignore_index=True).assign(
        hist_outstanding_rent=[0.0, 700.0, 700.0, 0.0],
        hist_leases=[0, 0, 3, 2],
        hist_writeoffs=[0, 0, 0, 1],
        hist_max_dpd=[np.nan, np.nan, 2.0, 0.0],
        hist_months_since_first_lease=[np.nan, np.nan, 12, 12],
    )
    # this lease's rent: 12 x 100 = 1,200; customer limit 1,800 (x1.5 for a clean record)
    terms = {**TERMS, "max_exposure": 1800.0}
    e = strategy.expected_profit(rows, [0.1] * 4, terms, flat_economics(), limits=limits)
    assert e["exposure"].tolist() == [1200.0, 1900.0, 1900.0, 1200.0]
    assert e["limit_factor"].tolist() == [1.0, 1.0, 1.5, 0.0]  # new, new, clean, written off
    assert e["booked"].tolist() == [True, False, True, False]
    assert e["expected_profit"][~e["booked"]].eq(0).all()
    assert strategy.history_classes(rows, None).tolist() == [
        "new",
        "new",
        "clean",
        "written_off",
    ]


def test_a_table_without_history_switches_the_history_rule_off(rows, cfg, econ):
    """A table of one's own without the platform-history columns: no history factors (the
    decision engine then asks for none), said in the policy; a customer limit without the
    exposure column is one line."""
    bare = rows.drop(columns=["hist_max_dpd", "hist_outstanding_rent"])
    res = strategy.optimise(bare, cfg, econ)
    assert res.policy["limits"]["history"] is None
    assert "hist_max_dpd" in res.policy["limits"]["history_off"]
    assert not strategy.limit_fields(res.policy)
    limited = strategy.StrategyConfig(
        grades=[{"grade": "A", "max_device_value": 9e9, "max_term_months": 24, "max_exposure": 1}]
    )
    with pytest.raises(
        DataError, match=r"\['A'\] set max_exposure, but .* 'hist_outstanding_rent'"
    ):
        strategy.optimise(bare, limited, econ)


def test_rent_curve_is_fitted_on_the_applications(rows):
    # the simulated partners quote listed price x (0.045 + 0.3 / term) per unit
    base, per_term = strategy.fit_rent_curve(rows)
    assert base == pytest.approx(0.045, abs=0.002) and per_term == pytest.approx(0.3, abs=0.01)
    assert strategy.fit_rent_curve(ONE) is None  # one term: nothing to fit


def test_outstanding_rent_is_point_in_time(modeling, warehouse):
    """hist_outstanding_rent = the whole schedule of the customer's leases running on the
    application day less the instalments paid before that day, from the raw tables."""
    rows = modeling[modeling.hist_outstanding_rent > 0].sort_values("application_id")
    rows = rows.iloc[:: max(1, len(rows) // 40)]
    assert len(rows) >= 30
    ids = ",".join(str(int(c)) for c in rows.customer_id.unique())
    orders = query(
        warehouse,
        "SELECT application_id, customer_id, started_on, ended_on, monthly_rent, "
        f"lease_term_months FROM orders WHERE customer_id IN ({ids})",
    )
    inst = query(
        warehouse,
        "SELECT application_id, amount_due, paid_date FROM installments WHERE application_id "
        f"IN (SELECT application_id FROM orders WHERE customer_id IN ({ids}))",
    )
    for r in rows.itertuples():
        day = pd.Timestamp(r.applied_at).normalize()
        o = orders[
            (orders.customer_id == r.customer_id) & (pd.to_datetime(orders.started_on) < day)
        ]
        running = o[o.ended_on.isna() | (pd.to_datetime(o.ended_on) >= day)]
        i = inst[inst.application_id.isin(running.application_id)]
        paid = i.loc[pd.to_datetime(i.paid_date) < day, "amount_due"].sum()
        owed = (running.monthly_rent * running.lease_term_months).sum() - paid
        assert r.hist_outstanding_rent == pytest.approx(max(owed, 0.0), abs=0.01)


def test_expected_profit_names_missing_columns():
    with pytest.raises(DataError, match=r"\['monthly_rent'\]"):
        strategy.expected_profit(ONE.drop(columns="monthly_rent"), [0.1], TERMS, flat_economics())


def test_economics_measured_on_the_warehouse(econ):
    assert econ.source == "warehouse"
    assert 0 < econ.recovery_rate["all|all"] < 1 and 0 < econ.resale_to_retail["all|all"] < 1
    assert set(econ.buyout_rate) >= {"all", "phone", "laptop", "tablet"}
    assert econ.table()["device_category"].isin(["phone", "laptop", "tablet", "all"]).all()


# ------------------------------------------------------------------------------------------
# grades and the optimiser
# ------------------------------------------------------------------------------------------
def test_assign_grades_bounds_are_inclusive_below():
    policy = {
        "cutoff": 500.0,
        "grades": [
            {"grade": "A", "min_score": 600.0, "max_score": None},
            {"grade": "B", "min_score": 500.0, "max_score": 600.0},
        ],
    }
    got = strategy.assign_grades([499.0, 500.0, 599.0, 600.0, 900.0, np.nan], policy)
    assert got.tolist() == ["decline", "B", "B", "A", "A", "decline"]


def test_better_grade_has_lower_observed_bad_rate_out_of_time(result, test_rows, econ):
    table = strategy.grade_table(test_rows, result.policy, econ)
    rates = table["observed_bad_rate"].to_numpy()  # A, B, ..., E, decline
    assert table["grade"].tolist() == ["A", "B", "C", "D", "E", "decline"]
    assert (table["observed_rows"][:5] > 100).all()
    assert np.all(np.diff(rates[:5]) > 0), rates
    assert rates[5] > rates[4]  # declined applicants that got a lease historically: riskiest


def test_optimised_policy_meets_the_constraints(result, rows, cfg):
    s = cfg.strategy
    approved = rows["score"].to_numpy() >= result.policy["cutoff"]
    assert approved.mean() >= s.min_approval_rate
    assert rows["pd"].to_numpy()[approved].mean() <= s.max_bad_rate
    grades = strategy.assign_grades(rows["score"], result.policy)
    shares = pd.Series(grades).value_counts(normalize=True)
    assert (shares[["A", "B", "C", "D", "E"]] >= s.min_grade_share).all()
    exp = result.policy["expected"]
    assert exp["approval_rate"] == pytest.approx(approved.mean())
    assert exp["profit_per_application"] >= exp["flat_profit_per_application"]
    deposits = [g["deposit_share"] for g in result.policy["grades"]]
    assert deposits == sorted(deposits) and set(deposits) <= set(s.deposit_options)


def test_a_tighter_bad_rate_raises_the_cutoff(modeling_path, warehouse, rows, econ, result):
    loose = result.policy["expected"]["bad_rate"]
    tight_cfg = config_from_dict(
        raw_config(modeling_path, warehouse, max_bad_rate=round(loose * 0.7, 4))
    )
    tight = strategy.optimise(rows, tight_cfg, econ)
    assert tight.policy["cutoff"] > result.policy["cutoff"]
    assert tight.policy["expected"]["bad_rate"] <= round(loose * 0.7, 4)


def test_price_sensitivity_table(modeling_path, warehouse, rows, econ):
    raw = raw_config(modeling_path, warehouse, optimise_prices=True)
    raw["strategy"]["economics"] = {"price_elasticity": 3.0}
    priced = config_from_dict(raw)
    econ = dataclasses.replace(econ, price_elasticity=3.0)
    result = strategy.optimise(rows, priced, econ)
    table = strategy.price_sensitivity(rows, priced, econ, result)
    assert table["factor"].tolist() == [0.5, 1.0, 2.0]
    assert table["price_elasticity"].tolist() == [1.5, 3.0, 6.0]
    one = table.set_index("factor").loc[1.0]
    exp = result.policy["expected"]
    assert one["profit_per_application"] == pytest.approx(exp["profit_per_application"])
    assert one["chosen_policy_profit"] == pytest.approx(exp["profit_per_application"])
    assert table["feasible"].all()
    # re-optimised under each elasticity, no worse than the released policy there
    assert (table["regret"] >= -1e-9).all() and table["regret"].max() > 0
    # a stronger price response lowers the prices chosen, grade by grade
    prices = table[[f"price_{g}" for g in "ABCDE"]].to_numpy()
    assert (np.diff(prices, axis=0) <= 0).all() and (prices[0] > prices[2]).any()


def test_implied_elasticity_makes_the_quoted_rent_the_best_price(rows, econ, result):
    implied = strategy.implied_price_elasticity(rows, result.policy, econ)
    assert 0 < implied < 20

    def slope(elasticity):
        e = dataclasses.replace(econ, price_elasticity=elasticity)
        at = {}
        for m in (0.99, 1.01):
            policy = {
                **result.policy,
                "grades": [{**g, "price_multiplier": m} for g in result.policy["grades"]],
            }
            at[m] = strategy.policy_outcome(rows, policy, e)["profit_per_application"]
        return at[1.01] - at[0.99]

    assert abs(slope(implied)) < 0.01 * abs(slope(0.0))
    assert slope(implied * 0.5) > 0 > slope(implied * 2)


def test_policy_outcome_matches_the_optimiser(rows, econ, result):
    got = strategy.policy_outcome(rows, result.policy, econ)
    exp = result.policy["expected"]
    assert got["profit_per_application"] == pytest.approx(exp["profit_per_application"])
    above = rows["score"].to_numpy() >= result.policy["cutoff"]
    assert got["approval_rate"] + got["referred_rate"] == pytest.approx(above.mean())


def test_limit_table_by_history(rows, econ, result, cfg):
    table = strategy.limit_table(rows, result.policy, econ).set_index("history")
    assert table.index.tolist() == list(strategy.HISTORY_CLASSES)
    assert table["rows"].sum() == len(rows)
    h = cfg.strategy.limit_history
    assert table.loc["clean", "limit_factor"] == h.clean == 1.5
    assert table.loc["written_off", "approved_share"] == 0  # a write-off's limit is 0
    assert table.loc["new", "mean_outstanding_rent"] == 0
    assert table.loc["clean", "rows"] > 100


def test_impossible_constraints_are_one_config_error(modeling_path, warehouse, rows, econ):
    cfg = config_from_dict(
        raw_config(modeling_path, warehouse, max_bad_rate=0.001, min_approval_rate=0.9)
    )
    with pytest.raises(ConfigError, match=r"No cut-off meets strategy.max_bad_rate = 0.001"):
        strategy.optimise(rows, cfg, econ)


def test_dynamic_programme_matches_brute_force(modeling_path, warehouse):
    rng = np.random.default_rng(3)
    n = 400
    score = rng.integers(450, 700, n).astype(float)
    frame = pd.DataFrame(
        {
            "score": score,
            "pd": 1 / (1 + np.exp((score - 520) / 25)),
            "retail_price": rng.choice([800.0, 3000.0, 7000.0], n),
            "price_vs_retail": rng.uniform(1.0, 1.3, n),
            "lease_term_months": rng.choice([6, 12, 24], n),
            "monthly_rent": rng.uniform(50, 400, n),
            "device_category": rng.choice(["phone", "laptop"], n),
            "hist_outstanding_rent": rng.choice([0.0, 0.0, 3000.0], n),
        }
    )
    grades = [
        {
            "grade": "A",
            "max_device_value": 8000,
            "max_term_months": 24,
            "price_multiplier": 0.97,
            "max_exposure": 12000,
        },
        {"grade": "B", "max_device_value": 5000, "max_term_months": 12, "max_exposure": 8000},
        {
            "grade": "C",
            "max_device_value": 2000,
            "max_term_months": 12,
            "price_multiplier": 1.1,
            "max_exposure": 4000,
        },
    ]
    deposits, prices = (0.0, 0.25), (0.95, 1.05)
    cfg = config_from_dict(
        raw_config(
            modeling_path,
            warehouse,
            grades=grades,
            n_bins=7,
            deposit_options=list(deposits),
            optimise_prices=True,
            price_options=list(prices),
            min_grade_share=0.08,
            max_bad_rate=0.5,
            min_approval_rate=0.3,
        )
    )
    econ = flat_economics(take_up=0.9, deposit_elasticity=0.8, price_elasticity=1.5)
    econ.rent_rate_base, econ.rent_rate_per_term = 0.05, 0.3
    res = strategy.optimise(frame, cfg, econ, target=None)
    edges, b = _bins(score, 7)
    nb = len(edges) + 1
    terms = [GradeTerms(**g) for g in grades]
    limits = strategy.limits_policy(cfg)
    options = list(itertools.product(deposits, prices))
    profit = {  # per grade, deposit and price: profit per bin
        (g, o): np.bincount(
            b,
            weights=strategy.expected_profit(frame, frame["pd"], terms[g], econ, *o, limits=limits)[
                "expected_profit"
            ].to_numpy(),
            minlength=nb,
        )
        for g in range(3)
        for o in options
    }
    count = np.bincount(b, minlength=nb)
    best, best_terms = -np.inf, None
    for c, b1, b2 in itertools.combinations(range(nb), 3):  # C: [c, b1), B: [b1, b2), A: [b2, nb)
        spans = [(b2, nb), (b1, b2), (c, b1)]
        if min(count[lo:hi].sum() for lo, hi in spans) < 0.08 * n:
            continue
        approved = b >= c
        if approved.mean() < 0.3 or frame["pd"][approved].mean() > 0.5:
            continue
        for chosen in itertools.product(options, repeat=3):
            deps, ms = zip(*chosen, strict=True)
            if list(deps) != sorted(deps) or list(ms) != sorted(ms):  # A <= B <= C
                continue
            total = sum(profit[g, chosen[g]][lo:hi].sum() for g, (lo, hi) in enumerate(spans))
            if total > best:
                best, best_terms = total, chosen
    assert res.policy["expected"]["profit_per_application"] * n == pytest.approx(best)
    got = [(g["deposit_share"], g["price_multiplier"]) for g in res.policy["grades"]]
    assert got == list(best_terms)


def test_price_optimiser_chooses_discounts_when_elasticity_rewards_them():
    """Without a price response every grade pays the highest price; when a discount wins
    enough take-up (elasticity 4), the good grade is offered one and the riskier grade
    keeps a higher price."""
    score = np.random.default_rng(3).integers(450, 700, 600).astype(float)
    frame = pd.DataFrame(
        {
            "score": score,
            "pd": 1 / (1 + np.exp((score - 540) / 25)),
            "retail_price": 3000.0,
            "price_vs_retail": 1.0,
            "lease_term_months": 12,
            "monthly_rent": 240.0,
            "device_category": "phone",
        }
    )
    cfg = strategy.StrategyConfig(
        grades=[
            {"grade": "A", "max_device_value": 8000, "max_term_months": 24},
            {"grade": "B", "max_device_value": 8000, "max_term_months": 24},
        ],
        n_bins=10,
        optimise_prices=True,
        price_options=[0.9, 1.0, 1.1],
        optimise_deposits=False,
        min_grade_share=0.2,
        max_bad_rate=0.5,
        min_approval_rate=0.3,
    )

    def prices(elasticity):
        econ = flat_economics(take_up=0.7, price_elasticity=elasticity)
        res = strategy.optimise(frame, cfg, econ, target=None)
        return [g["price_multiplier"] for g in res.policy["grades"]], res

    assert prices(0.0)[0] == [1.1, 1.1]
    chosen, res = prices(4.0)
    assert chosen == [0.9, 1.0]
    assert res.terms["price_multiplier"].tolist() == chosen
    # the discount pays: the same grading at price 1 earns less at this elasticity
    econ = flat_economics(take_up=0.7, price_elasticity=4.0)
    flat = {**res.policy, "grades": [{**g, "price_multiplier": 1.0} for g in res.policy["grades"]]}
    at_one = strategy.policy_outcome(frame, flat, econ)["profit_per_application"]
    assert res.policy["expected"]["profit_per_application"] > at_one


def test_optimise_needs_scores():
    with pytest.raises(DataError, match="'score'"):
        strategy.optimise(ONE, strategy.StrategyConfig(), flat_economics())


# ------------------------------------------------------------------------------------------
# the terms table in the config
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("section", "match"),
    [
        (
            {
                "grades": [
                    {"grade": "A", "max_device_value": 1000, "max_term_months": 12},
                    {"grade": "B", "max_device_value": 2000, "max_term_months": 12},
                ]
            },
            r"strategy.grades\[1\].max_device_value \(2000.0\) of grade B exceeds",
        ),
        (
            {
                "grades": [
                    {"grade": "A", "max_device_value": 1000, "max_term_months": 12},
                    {"grade": "B", "max_device_value": 1000, "max_term_months": 18},
                ]
            },
            r"strategy.grades\[1\].max_term_months \(18\)",
        ),
        (
            {
                "grades": [
                    {
                        "grade": "A",
                        "max_device_value": 1000,
                        "max_term_months": 12,
                        "deposit_share": 0.2,
                    },
                    {"grade": "B", "max_device_value": 1000, "max_term_months": 12},
                ]
            },
            r"strategy.grades\[1\].deposit_share \(0.0\) of grade B is below",
        ),
        (
            {
                "grades": [
                    {"grade": "A", "max_device_value": 1000, "max_term_months": 12},
                    {"grade": "A", "max_device_value": 900, "max_term_months": 12},
                ]
            },
            r"names grade\(s\) \['A'\] twice",
        ),
        (
            {"grades": [{"grade": "A", "max_device_value": "lots", "max_term_months": 12}]},
            r"'strategy.grades.0.max_device_value'",
        ),
        ({"grades": [{"grade": "A", "max_device_value": 100}]}, r"'strategy.grades.0.max_term"),
        ({"grades": []}, r"'strategy.grades'"),
        ({"deposit_options": [0.2, 0.1]}, r"strategy.deposit_options must be distinct"),
        ({"flat_grade": "Z"}, r"strategy.flat_grade 'Z' is not a grade"),
        ({"fraud_decline_rate": 0.1, "fraud_review_rate": 0.05}, "fraud_decline_rate exceeds"),
        (
            {"grades": [{"grade": "decline", "max_device_value": 1, "max_term_months": 1}]},
            "reserved",
        ),
        ({"ring_keys": ["email"]}, r"'strategy.ring_keys.0'"),
        ({"price_options": [1.1, 0.9]}, r"strategy.price_options must be distinct"),
        ({"price_options": [0.0, 1.0]}, r"strategy.price_options must be distinct"),
        (
            {
                "grades": [
                    {"grade": "A", "max_device_value": 1, "max_term_months": 1},
                    {
                        "grade": "B",
                        "max_device_value": 1,
                        "max_term_months": 1,
                        "price_multiplier": 0.9,
                    },
                ]
            },
            r"strategy.grades\[1\].price_multiplier \(0.9\) of grade B is below",
        ),
        (
            {
                "grades": [
                    {"grade": "A", "max_device_value": 1, "max_term_months": 1, "max_exposure": 5},
                    {"grade": "B", "max_device_value": 1, "max_term_months": 1},
                ]
            },
            r"strategy.grades\[1\].max_exposure \(None\) of grade B exceeds",
        ),
        ({"limit_history": {"delinquent": 2.0}}, r"limit_history.delinquent \(2.0\) exceeds"),
        ({"limit_history": {"delinquent_dpd": 5}}, r"delinquent_dpd \(5\) is below"),
        ({"economics": {"rent_rate_base": 0.05}}, r"rent_rate_base and rent_rate_per_term go"),
        ({"max_bad_rate": 1.5}, r"'strategy.max_bad_rate'"),
        (
            {"grades": [{"grade": "A", "max_device_value": 1, "max_term_months": 1, "extra": 1}]},
            r"'strategy.grades.0.extra' is not a known key",
        ),
    ],
)
def test_malformed_terms_table_is_one_config_error(modeling_path, warehouse, section, match):
    raw = raw_config(modeling_path, warehouse)
    raw["strategy"] = section
    with pytest.raises(ConfigError, match=match) as info:
        config_from_dict(raw)
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------------------
# fraud rules
# ------------------------------------------------------------------------------------------
def test_ring_list_is_point_in_time(warehouse):
    now = strategy.fraud_rings(warehouse)
    early = strategy.fraud_rings(warehouse, as_of="2025-01-31")
    expected = query(
        warehouse,
        "SELECT DISTINCT a.device_fingerprint_id AS value FROM fraud_cases f JOIN applications a "
        "USING (application_id) WHERE f.fraud_type = 'ring' AND f.confirmed_on <= DATE "
        "'2025-01-31' AND a.device_fingerprint_id IS NOT NULL ORDER BY 1",
    )
    got = early.loc[early.key == "device_fingerprint_id", "value"].tolist()
    assert got == expected["value"].astype("int64").tolist() and len(got) > 0
    assert len(early) < len(now)
    assert set(map(tuple, early.to_numpy())) <= set(map(tuple, now.to_numpy()))


def test_fraud_thresholds_are_quantiles():
    got = strategy.fraud_thresholds(np.arange(100.0), decline_rate=0.01, review_rate=0.05)
    assert got == {"decline_score": 99.0, "review_score": 95.0}
    assert strategy.fraud_thresholds([0.1], 0.0, 0.0) == {
        "decline_score": None,
        "review_score": None,
    }


# ------------------------------------------------------------------------------------------
# release artifacts and the swap set
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(cfg, dev, tmp_path_factory):
    out = tmp_path_factory.mktemp("strategy")
    development.write_scorecard(dev, out)
    sdev = strategy.develop_strategy(cfg, out)
    return out, sdev, strategy.write_strategy(sdev, out)


def test_strategy_json_schema_and_determinism(built, cfg, tmp_path):
    out, sdev, files = built
    doc = strategy.read_strategy(out / "strategy.json")
    assert doc["format"] == "riskresearch.strategy/1" and doc["applies_to"] == {
        "segment": "consumer"
    }
    assert [g["grade"] for g in doc["grades"]] == ["A", "B", "C", "D", "E"]
    assert doc["cutoff"] == doc["grades"][-1]["min_score"]
    for better, worse in itertools.pairwise(doc["grades"]):
        assert worse["max_score"] == better["min_score"]
        assert worse["expected_bad_rate"] > better["expected_bad_rate"]
    assert doc["fraud"] is None  # no fraud model written into this folder
    assert doc["limits"]["history"]["clean"] == 1.5
    assert doc["limits"]["exposure_column"] == "hist_outstanding_rent"
    assert set(strategy.HISTORY_FIELDS) <= set(doc["required_fields"])
    assert doc["pricing"]["price_elasticity"] == 1.0
    assert doc["pricing"]["source"].startswith("config")
    assert doc["pricing"]["implied_price_elasticity"] > 0
    assert doc["economics"]["rent_source"] == "fitted"
    sens = pd.read_csv(out / "strategy_sensitivity.csv")
    assert sens["factor"].tolist() == [0.5, 1.0, 2.0]
    assert pd.read_csv(out / "strategy_limits.csv")["history"].tolist() == list(
        strategy.HISTORY_CLASSES
    )
    terms = pd.read_csv(out / "strategy_terms.csv")
    assert terms["deposit_share"].tolist() == [g["deposit_share"] for g in doc["grades"]]
    again = strategy.write_strategy(sdev, tmp_path)
    for a, b in zip(files, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    bad = tmp_path / "strategy.json"
    bad.write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataError, match="not a riskresearch strategy"):
        strategy.read_strategy(bad)


def test_swap_set_without_and_with_a_previous_release(cfg, built, test_rows):
    out, sdev, _ = built
    skipped = strategy.swap_set(test_rows, sdev.result.policy, None)
    assert skipped["note"].iloc[0].startswith("no previous release")
    assert "has no strategy.json" in strategy.swap_set(test_rows, {}, out.parent)["note"].iloc[0]
    release.seal(out, cfg)
    swap = strategy.swap_set(test_rows, sdev.result.policy, out)
    assert swap["rows"].sum() == len(test_rows)
    same = swap[swap.previous_grade == swap.new_grade]
    assert same["rows"].sum() == len(test_rows)  # same scorecard and strategy: nothing moves
    assert set(swap["change"]) == {"same"}


def test_previous_release_is_the_newest_numbered_one(cfg, tmp_path):
    model_dir = tmp_path / "consumer"
    for v in ("1.0.0", "1.10.0", "1.2.0", "dev", ".build-x"):
        (model_dir / v).mkdir(parents=True)
        (model_dir / v / "manifest.json").write_text("{}")
    config_path = tmp_path / "consumer.yaml"
    assert strategy.previous_release(cfg, config_path).name == "1.10.0"
    assert strategy.previous_release(cfg, config_path, exclude=model_dir / "1.10.0").name == (
        "1.2.0"
    )
    assert strategy.previous_release(cfg, tmp_path / "elsewhere" / "x.yaml") is None


def test_previous_release_named_in_the_config(modeling_path, warehouse, tmp_path):
    (tmp_path / "old").mkdir()  # a named release must exist (the config refuses it otherwise)
    named = config_from_dict(
        raw_config(modeling_path, warehouse, previous_release=str(tmp_path / "old"))
    )
    assert strategy.previous_release(named, tmp_path / "consumer.yaml") == tmp_path / "old"
