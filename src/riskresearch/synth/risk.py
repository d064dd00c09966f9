"""The hidden truth of default risk and the platform's historical approval policy."""

from __future__ import annotations

import numpy as np

from riskresearch.synth.common import SECONDS_PER_DAY, stream

INDUSTRY_RISK = np.array([0.15, -0.1, 0.0, 0.05, 0.45, 0.25, -0.15])
# Calibration of the true default hazard (log-odds); see tests/test_synth.py for the bands.
CONSUMER_BASE = -3.7
CONSUMER_SCALE = 0.72
ENTERPRISE_BASE = -3.7
# Spread of the hidden "character" (log-odds): only platform payment history reveals it.
CHARACTER_SD = 0.12


def consumer_logit(
    score,
    age,
    income,
    rent,
    emp_years,
    occ,
    tenure,
    thin,
    lenders,
    inq3,
    max_dpd,
    util,
    id_verif,
    hour,
    ipgps,
    tier,
    term,
    city_tier,
    edu,
    prior,
):
    """True log-odds of the monthly default hazard of a consumer (before partner and character).

    Non-linear in several features and with interactions (young x thin file, payment-to-income
    x flagship), so a WOE scorecard gets most but not all of the signal.
    """
    pti = rent / np.maximum(income, 500.0)
    thick = ~thin
    dpd_eff = np.select([max_dpd >= 60, max_dpd >= 30, max_dpd >= 1], [1.1, 0.7, 0.3], 0.0)
    signal = (
        -0.0085 * (score - 650)
        + 0.07 * np.maximum(24 - age, 0)
        + 0.05 * np.maximum(age - 55, 0)
        - 0.35 * np.log(income / 6000)
        + 3.0 * np.maximum(pti - 0.12, 0)
        - 0.08 * np.minimum(emp_years, 6)
        + np.select([occ == 5, occ == 3, occ == 4, occ == 1], [0.45, 0.25, 0.1, -0.25], 0.0)
        + 0.55 * (tenure < 6)
        + 0.2 * (tenure < 24)
        + thick
        * (
            0.14 * np.minimum(lenders, 10)
            + 0.25 * np.maximum(lenders - 3, 0)
            + 0.06 * np.minimum(inq3, 12)
            + dpd_eff
            + 1.0 * np.maximum(util - 0.75, 0) / 0.25
        )
        + thin * (0.35 + 0.45 * (age < 25))
        + 0.35 * (id_verif == "manual_review")
        + 0.25 * (hour < 6)
        + 0.3 * ipgps
        + 0.35 * (tier == 2) * (pti > 0.15)
        + 0.015 * (term - 12)
        + 0.15 * (city_tier == 4)
        - 0.08 * edu
        + np.where(
            prior["n_prior"] > 0,
            -0.35
            + 0.9 * (prior["prior_writeoffs"] > 0)
            + 0.5 * (prior["prior_max_dpd"] >= 30)
            + 0.2 * (prior["prior_max_dpd"] >= 8),
            0.0,
        )
    )
    return CONSUMER_BASE + CONSUMER_SCALE * signal


def enterprise_logit(
    company_age,
    capital,
    industry,
    revenue,
    rent,
    debt_ratio,
    current_ratio,
    margin,
    tax_idx,
    disputes,
    units,
):
    """True log-odds of the monthly default hazard of a business customer."""
    burden = rent * 12 / np.maximum(revenue, 1e4)
    return ENTERPRISE_BASE + (
        -0.25 * np.log1p(np.minimum(company_age, 15))
        - 0.12 * np.log(capital / 7e5)
        + INDUSTRY_RISK[industry]
        + 2.2 * np.maximum(debt_ratio - 0.6, 0)
        + 0.6 * (current_ratio < 1.0)
        - 4.0 * np.minimum(margin, 0.15)
        + np.array([-0.5, 0.0, 0.45, 1.0])[tax_idx]
        + 0.25 * np.minimum(disputes, 4)
        + 6.0 * np.maximum(burden - 0.05, 0)
        + 0.1 * np.log(units)
    )


def old_policy(
    cfg,
    keys,
    applied_at,
    device,
    ent,
    score,
    lenders,
    max_dpd,
    id_verif,
    thin,
    age,
    tax_idx,
    debt_ratio,
    disputes,
    prior,
    eta,
    z,
):
    """The platform's historical rules: knock-outs, velocity and an old, cruder score."""
    rng = stream(cfg, "policy", *keys)
    n = score.size
    # velocity: same device fingerprint seen 2+ times in the previous 7 days
    t = (applied_at - np.datetime64(cfg.start, "s")).astype(np.int64)
    key_order = np.lexsort((t, device))
    dev_sorted, t_sorted = device[key_order], t[key_order]
    key = dev_sorted.astype(np.float64) * 1e9 + t_sorted
    lo = np.searchsorted(key, key - 7 * SECONDS_PER_DAY, side="left")
    velocity = np.empty(n, dtype=np.int64)
    velocity[key_order] = np.arange(n) - lo

    old_logit = (
        -0.0065 * (np.nan_to_num(score, nan=650) - 650)
        + np.where(thin, 0.4, 0.1 * lenders)
        + 0.4 * (age < 23)
        + rng.normal(0, 0.55, n)
    )
    old_logit = np.where(ent, 0.9 * z + rng.normal(0, 0.6, n), old_logit)
    cut = np.quantile(old_logit, 0.78)
    rules = [
        (id_verif == "fail", "identity_verification_failed"),
        (velocity >= 2, "device_velocity"),
        (~ent & (score < 480), "low_platform_score"),
        (~ent & ~thin & (lenders >= 8), "multi_lender"),
        (~ent & ~thin & (max_dpd >= 90), "bureau_delinquency"),
        (prior["prior_writeoffs"] > 0, "platform_writeoff"),
        (ent & (tax_idx == 3), "tax_grade_d"),
        (ent & ((debt_ratio > 0.9) | (disputes >= 4)), "enterprise_financials"),
        (old_logit > cut, "old_score"),
        (rng.random(n) < 0.03, "manual_review_declined"),
    ]
    reason = np.full(n, "", dtype=object)
    for mask, name in reversed(rules):  # the first matching rule is the recorded reason
        reason = np.where(mask, name, reason)
    decision = np.where(reason == "", "approved", "declined")
    return decision, reason.astype(str)
