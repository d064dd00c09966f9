"""Lease performance: instalments, delinquency, the collection ladder, lease ends and fraud cases.

Every application gets a lease path (also the declined ones, whose path is only a counterfactual
kept for the oracle). A path is a sequence of monthly instalments; a *delinquency chain* starts at
the first instalment the customer stops paying, runs the collection ladder (reminder ->
negotiation -> legal -> device recovery) and ends in a cure (all arrears paid) or a write-off at
120 days past due. The monthly hazard of starting a chain is ``sigmoid(eta + shock + seasoning)``,
so the probability of the ``bad`` target (60+ days past due within 6 months on book) has a
closed form: that is the oracle's ``true_pd``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskresearch.synth.common import sigmoid, stream
from riskresearch.synth.config import SimulationConfig

MAX_TERM = 24
# Ladder steps (days past due) while a chain is open; a cure lands 0-5 days after a step.
STEP_DPD = np.array([5, 15, 30, 45, 60, 90])
WRITE_OFF_DPD = 120
# Actions: sms_reminder, call_reminder, negotiation, legal_notice, device_recovery.
ACTIONS = np.array(
    ["sms_reminder", "call_reminder", "negotiation", "legal_notice", "device_recovery"]
)
ACTION_COST = np.array([0.1, 1.5, 12.0, 120.0, 60.0])
# At each step: the "treatment" action, the share that gets it, and the fallback action; the
# baseline policy randomises who gets the treatment so that its effect can be estimated.
STEP_TREATED = np.array([0, 1, 2, 1, 2, 3])
STEP_FALLBACK = np.array([0, 1, 1, 1, 1, 1])
STEP_TREAT_SHARE = np.array([1.0, 1.0, 0.6, 1.0, 0.5, 0.5])
# Cure log-odds of each action at each step for an average-risk customer.
CURE_LOGIT_TREATED = np.array([-1.7, -1.9, -1.4, -2.4, -1.8, -1.6])
CURE_LOGIT_FALLBACK = np.array([-1.7, -1.9, -2.3, -2.4, -2.6, -2.8])
RISK_SLOPE = 0.5
SEASONING = -0.9  # hazard offset after the third instalment
BAD_DPD = 60
BAD_WINDOW_MONTHS = 6


def cure_probabilities(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cure probability at each ladder step with the treated and the fallback action."""
    centred = np.clip(eta + 3.5, -3.0, 4.0)[:, None]
    treated = sigmoid(CURE_LOGIT_TREATED[None, :] - RISK_SLOPE * centred)
    fallback = sigmoid(CURE_LOGIT_FALLBACK[None, :] - RISK_SLOPE * centred)
    return treated, fallback


def _dates(cfg: SimulationConfig, decided_at: np.ndarray, rng: np.random.Generator):
    """Lease start (day of month <= 28, so monthly due dates keep their day) and due dates."""
    start = decided_at.astype("datetime64[D]") + rng.integers(1, 4, decided_at.size).astype(
        "timedelta64[D]"
    )
    month = start.astype("datetime64[M]")
    dom = (start - month.astype("datetime64[D]")).astype(np.int64) + 1
    late = dom > 28
    month = np.where(late, month + 1, month)
    dom = np.where(late, 1, dom)
    start = month.astype("datetime64[D]") + (dom - 1).astype("timedelta64[D]")
    k = np.arange(1, MAX_TERM + 1)
    due = (month[:, None] + k[None, :]).astype("datetime64[D]") + (dom - 1)[:, None].astype(
        "timedelta64[D]"
    )
    window_end = (month + BAD_WINDOW_MONTHS).astype("datetime64[D]") + (dom - 1).astype(
        "timedelta64[D]"
    )
    return start, due, window_end


def _first_true(mask: np.ndarray) -> np.ndarray:
    """1-based index of the first True per row, 0 when none."""
    anyv = mask.any(axis=1)
    return np.where(anyv, mask.argmax(axis=1) + 1, 0)


def _ladder(rng, eta, fraud, n):
    """Draw the collection ladder of one chain: actions per step and the curing step (0 = none)."""
    treated_p, fallback_p = cure_probabilities(eta)
    treat = rng.random((n, STEP_DPD.size)) < STEP_TREAT_SHARE[None, :]
    q = np.where(treat, treated_p, fallback_p)
    q[fraud] = 0.0
    cured = rng.random((n, STEP_DPD.size)) < q
    step = _first_true(cured)
    action = np.where(treat, STEP_TREATED[None, :], STEP_FALLBACK[None, :])
    jitter = rng.integers(0, 6, n)
    cure_dpd = np.where(step > 0, STEP_DPD[np.maximum(step - 1, 0)] + jitter, -1)
    return step, action, cure_dpd


def simulate_chunk(
    cfg: SimulationConfig, apps: pd.DataFrame, hidden: pd.DataFrame, chunk: int
) -> dict:
    """Simulate the lease paths of one chunk of applications.

    Returns raw tables (orders, installments, collection actions, fraud cases) for the approved,
    started leases and the oracle rows for every application of the chunk.
    """
    rng = stream(cfg, "leases", chunk)
    n = len(apps)
    as_of = np.datetime64(cfg.as_of, "D")
    eta = hidden["eta"].to_numpy()
    fraud = hidden["is_fraud"].to_numpy()
    term = apps["lease_term_months"].to_numpy()
    rent = apps["monthly_rent"].to_numpy()
    decided = apps["decided_at"].to_numpy().astype("datetime64[s]")
    start, due, window_end = _dates(cfg, decided, rng)
    k = np.arange(1, MAX_TERM + 1)
    in_term = k[None, :] <= term[:, None]

    # monthly hazard of starting a delinquency chain
    shock_from = np.datetime64(cfg.start, "M") + (cfg.shock_month - 1)
    shocked = due.astype("datetime64[M]") >= shock_from
    logit = eta[:, None] + cfg.shock_logit * shocked + np.where(k[None, :] > 3, SEASONING, 0.0)
    hazard = np.where(in_term, sigmoid(logit), 0.0)
    hazard[fraud] = np.where(k == 1, 1.0, 0.0)

    # closed-form probability of the bad target
    survive = np.cumprod(1.0 - hazard, axis=1)
    first_at = hazard * np.concatenate([np.ones((n, 1)), survive[:, :-1]], axis=1)
    reaches = (window_end[:, None] - due).astype(np.int64) >= BAD_DPD
    treated_p, fallback_p = cure_probabilities(eta)
    mixed = STEP_TREAT_SHARE * treated_p + (1 - STEP_TREAT_SHARE) * fallback_p
    early = STEP_DPD + 5 < BAD_DPD
    no_early_cure = np.prod(1.0 - mixed[:, early], axis=1)
    no_early_cure[fraud] = 1.0
    true_pd = (first_at * reaches).sum(axis=1) * no_early_cure

    # first chain
    s1 = _first_true(rng.random((n, MAX_TERM)) < hazard)
    step1, act1, cure1 = _ladder(rng, eta, fraud, n)
    has1 = s1 > 0
    due_s1 = due[np.arange(n), np.maximum(s1 - 1, 0)]
    cure1_at = due_s1 + np.maximum(cure1, 0).astype("timedelta64[D]")
    wo1 = has1 & (step1 == 0)
    true_bad = (
        has1 & reaches[np.arange(n), np.maximum(s1 - 1, 0)] & ((step1 == 0) | (cure1 >= BAD_DPD))
    )

    # re-default after a cure: only from instalment max(6, s1 + 3) onwards
    first_after = np.maximum(np.maximum(6, s1 + 3), (due <= cure1_at[:, None]).sum(axis=1) + 1)
    allowed = has1[:, None] & ~wo1[:, None] & (k[None, :] >= first_after[:, None])
    s2 = _first_true((rng.random((n, MAX_TERM)) < hazard) & allowed)
    step2, act2, cure2 = _ladder(rng, eta, fraud, n)
    has2 = s2 > 0
    due_s2 = due[np.arange(n), np.maximum(s2 - 1, 0)]
    cure2_at = due_s2 + np.maximum(cure2, 0).astype("timedelta64[D]")
    wo2 = has2 & (step2 == 0)

    writeoff = wo1 | wo2
    wo_from = np.where(wo1, s1, s2)
    wo_at = due[np.arange(n), np.maximum(wo_from - 1, 0)] + np.timedelta64(WRITE_OFF_DPD, "D")

    # early buyout (good standing only), else buyout or return at term end
    eb = np.where(
        (term >= 9) & (rng.random(n) < 0.12) & ~fraud, rng.integers(7, np.maximum(term, 8), n), 0
    )
    due_eb = due[np.arange(n), np.maximum(eb - 1, 0)]
    open_at_eb = (has1 & (s1 <= eb) & ((step1 == 0) | (cure1_at >= due_eb))) | (
        has2 & (s2 <= eb) & ((step2 == 0) | (cure2_at >= due_eb))
    )
    eb = np.where(open_at_eb, 0, eb)
    chain1_live = has1 & ((eb == 0) | (s1 <= eb))
    chain2_live = has2 & ((eb == 0) | (s2 <= eb))
    writeoff = np.where(eb > 0, wo1 & (s1 <= eb), writeoff)
    last_idx = np.where(eb > 0, eb, term)
    n_before_wo = (due <= wo_at[:, None]).sum(axis=1)
    last_idx = np.where(writeoff, np.minimum(last_idx, n_before_wo), last_idx)

    # ---- instalment rows (long format)
    rows_n = np.minimum(last_idx, MAX_TERM)
    lease_ix = np.repeat(np.arange(n), rows_n)
    inst_no = (
        np.concatenate([np.arange(1, m + 1) for m in rows_n]) if n else np.array([], dtype=np.int64)
    )
    due_l = due[lease_ix, inst_no - 1]
    in_c1 = (
        chain1_live[lease_ix]
        & (inst_no >= s1[lease_ix])
        & ((step1[lease_ix] == 0) | (due_l <= cure1_at[lease_ix]))
    )
    in_c2 = (
        chain2_live[lease_ix]
        & (inst_no >= s2[lease_ix])
        & ((step2[lease_ix] == 0) | (due_l <= cure2_at[lease_ix]))
    )
    m = lease_ix.size
    p_late = sigmoid(-2.4 + 0.6 * np.clip(eta + 3.5, -3.0, 4.0))[lease_ix]
    late = rng.random(m) < p_late
    delay = np.where(late, np.minimum(1 + rng.geometric(0.11, m), 55), -rng.integers(0, 6, m))
    paid = due_l + delay.astype("timedelta64[D]")
    paid_ok = np.ones(m, dtype=bool)
    paid = np.where(in_c1, cure1_at[lease_ix], paid)
    paid_ok &= ~(in_c1 & (step1[lease_ix] == 0))
    paid = np.where(in_c2, cure2_at[lease_ix], paid)
    paid_ok &= ~(in_c2 & (step2[lease_ix] == 0))
    paid_ok &= paid <= as_of
    soft = late & ~in_c1 & ~in_c2

    approved = (apps["decision"].to_numpy() == "approved") & (start <= as_of)
    keep = approved[lease_ix]
    app_id = apps["application_id"].to_numpy()
    installments = pd.DataFrame(
        {
            "application_id": app_id[lease_ix][keep],
            "installment_no": inst_no[keep].astype(np.int64),
            "due_date": due_l[keep],
            "amount_due": rent[lease_ix][keep],
            "paid_date": pd.Series(paid[keep]).where(paid_ok[keep]),
            "amount_paid": np.where(paid_ok[keep], rent[lease_ix][keep], 0.0),
        }
    )

    # ---- collection actions
    actions = [
        _chain_actions(
            app_id, due_s1, chain1_live & approved, step1, act1, cure1, s1, due, rent, as_of
        ),
        _chain_actions(
            app_id, due_s2, chain2_live & approved, step2, act2, cure2, s2, due, rent, as_of
        ),
        _soft_actions(app_id[lease_ix], due_l, delay, soft & keep & paid_ok, rent[lease_ix]),
    ]
    # device recovery at write-off
    retail = apps["retail_price"].to_numpy()
    changed = rng.random(n) < np.where(fraud, 0.8, 0.015 + 0.02 * (eta > -2.5))
    age_m = (wo_at - start).astype(np.int64) / 30.4
    p_rec = np.where(fraud, 0.12, np.where(changed, 0.3, 0.62)) * np.exp(-0.02 * age_m)
    recovered = rng.random(n) < p_rec
    category = apps["device_category"].to_numpy()
    cat_keep = np.select([category == "phone", category == "laptop"], [0.85, 1.0], 0.9)
    resale = np.round(
        retail * np.maximum(0.08, 1 - 0.028 * age_m) * rng.uniform(0.45, 0.85, n) * cat_keep, 0
    )
    wo_seen = writeoff & approved & (wo_at <= as_of)
    actions.append(
        pd.DataFrame(
            {
                "application_id": app_id[wo_seen],
                "action_type": "device_recovery",
                "action_date": wo_at[wo_seen],
                "days_past_due": np.full(wo_seen.sum(), WRITE_OFF_DPD, dtype=np.int64),
                "outcome": np.where(recovered[wo_seen], "device_recovered", "not_recovered"),
                "amount_recovered": 0.0,
                "resale_value": np.where(recovered[wo_seen], resale[wo_seen], np.nan),
                "cost": ACTION_COST[4],
            }
        )
    )
    collection = pd.concat(actions, ignore_index=True)

    # ---- orders as of the as-of date
    eb_at = due[np.arange(n), np.maximum(eb - 1, 0)]
    end_at = due[np.arange(n), term - 1]
    buy = rng.random(n) < np.where(category == "laptop", 0.45, 0.55)
    ret_delay = np.where(rng.random(n) < 0.08, rng.integers(15, 61, n), rng.integers(0, 8, n))
    ret_at = end_at + ret_delay.astype("timedelta64[D]")
    status = np.select(
        [
            writeoff & (wo_at <= as_of),
            (eb > 0) & (eb_at <= as_of),
            ~writeoff & (eb == 0) & buy & (end_at <= as_of),
            ~writeoff & (eb == 0) & ~buy & (ret_at <= as_of),
        ],
        ["written_off", "bought_out_early", "bought_out", "returned"],
        "active",
    )
    ended = np.select(
        [
            status == "written_off",
            status == "bought_out_early",
            status == "bought_out",
            status == "returned",
        ],
        [wo_at, eb_at, end_at, ret_at],
        np.datetime64("NaT"),
    )
    device_status = np.select(
        [
            status == "returned",
            np.isin(status, ["bought_out", "bought_out_early"]),
            (status == "written_off") & recovered,
            status == "written_off",
        ],
        ["returned", "bought_out", "recovered", "lost"],
        "with_customer",
    )
    score = apps["platform_credit_score"].to_numpy(dtype=float, na_value=np.nan)
    ent = apps["segment"].to_numpy() == "enterprise"
    grade = apps["tax_credit_grade"].to_numpy(dtype=object)
    dep_share = np.where(ent, np.where(grade == "C", 0.3, 0.0), np.where(score < 560, 0.2, 0.0))
    units = apps["devices_requested"].to_numpy()
    listed = apps["listed_price"].to_numpy()
    o = approved
    orders = pd.DataFrame(
        {
            "order_id": app_id[o],
            "application_id": app_id[o],
            "customer_id": apps["customer_id"].to_numpy()[o],
            "partner_id": apps["partner_id"].to_numpy()[o],
            "started_on": start[o],
            "device_category": category[o],
            "model_tier": apps["model_tier"].to_numpy()[o],
            "units": units[o],
            "retail_price": retail[o],
            "listed_price": listed[o],
            "price_vs_retail": np.round(listed[o] / retail[o], 4),
            "lease_term_months": term[o].astype(np.int64),
            "monthly_rent": rent[o],
            "deposit": np.round(dep_share[o] * retail[o] * units[o], 0),
            "buyout_price": np.round(
                listed[o] * units[o] * np.maximum(0.1, 1 - 0.036 * term[o]), 0
            ),
            "delivery_address_changed": changed[o],
            "status": status[o],
            "ended_on": pd.Series(ended[o]),
            "device_status": device_status[o],
        }
    )

    conf = o & fraud & (rng.random(n) < 0.85)
    conf_at = due[:, 0] + rng.integers(40, 101, n).astype("timedelta64[D]")
    conf &= conf_at <= as_of
    fraud_cases = pd.DataFrame(
        {
            "application_id": app_id[conf],
            "confirmed_on": conf_at[conf],
            "fraud_type": hidden["fraud_type"].to_numpy()[conf],
        }
    )
    oracle = pd.DataFrame(
        {
            "application_id": app_id,
            "true_pd": true_pd,
            "true_bad": true_bad,
            "true_fraud": fraud,
            "fraud_type": hidden["fraud_type"].to_numpy(),
            "ring_id": hidden["ring_id"].to_numpy(),
            "hazard_logit": eta,
        }
    )
    return {
        "orders": orders,
        "installments": installments,
        "collection_actions": collection,
        "fraud_cases": fraud_cases,
        "oracle_applications": oracle,
    }


def _chain_actions(app_id, due_s, live, step, action, cure_dpd, s, due, rent, as_of):
    """Collection-action rows of one delinquency chain per lease."""
    _n, k = action.shape
    last_step = np.where(step > 0, step, k)  # the curing step, else every step
    take = live[:, None] & (np.arange(1, k + 1)[None, :] <= last_step[:, None])
    when = due_s[:, None] + STEP_DPD[None, :].astype("timedelta64[D]")
    take &= when <= as_of
    rows, cols = np.nonzero(take)
    cured_here = step[rows] == cols + 1
    cure_day = due_s[rows] + np.maximum(cure_dpd[rows], 0).astype("timedelta64[D]")
    cured_here &= cure_day <= as_of
    # arrears paid at the cure: every instalment from the chain start due on or before that day
    n_due = (due[rows] <= cure_day[:, None]).sum(axis=1) - (s[rows] - 1)
    act = action[rows, cols]
    # a failed step is a broken promise or no contact (deterministic pattern keeps it cheap)
    fail = np.where((rows + cols) % 3 == 0, "no_contact", "promise_broken")
    fail = np.where(act == 3, "no_payment", fail)
    partial = (act == 2) & ~cured_here & ((rows + cols) % 4 == 1)
    outcome = np.where(cured_here, "paid", np.where(partial, "partial", fail))
    amount = np.where(cured_here, n_due * rent[rows], np.where(partial, rent[rows], 0.0))
    return pd.DataFrame(
        {
            "application_id": app_id[rows],
            "action_type": ACTIONS[act],
            "action_date": when[rows, cols],
            "days_past_due": STEP_DPD[cols].astype(np.int64),
            "outcome": outcome,
            "amount_recovered": amount,
            "resale_value": np.nan,
            "cost": ACTION_COST[act],
        }
    )


def _soft_actions(app_id, due, delay, mask, rent):
    """Reminders sent for an isolated late instalment; the last one before payment 'worked'."""
    frames = []
    for dpd, act in ((5, 0), (15, 1), (30, 1), (45, 1)):
        m = mask & (delay >= dpd)
        nxt = {5: 15, 15: 30, 30: 45, 45: 10_000}[dpd]
        frames.append(
            pd.DataFrame(
                {
                    "application_id": app_id[m],
                    "action_type": ACTIONS[act],
                    "action_date": due[m] + np.timedelta64(dpd, "D"),
                    "days_past_due": np.full(m.sum(), dpd, dtype=np.int64),
                    "outcome": np.where(delay[m] < nxt, "paid", "promise_broken"),
                    "amount_recovered": np.where(delay[m] < nxt, rent[m], 0.0),
                    "resale_value": np.nan,
                    "cost": ACTION_COST[act],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
