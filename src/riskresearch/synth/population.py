"""Partners, customers and applications of the simulated leasing platform.

Everything here happens *at application time*: who applies, through which partner, with what
profile, bureau report and requested device, whether it is fraud, and what the platform's old
approval policy decided. The hidden truth (latent risk, fraud flag, partner quality) is kept in
separate arrays that only the oracle tables receive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskresearch.synth.common import (
    BASE_PRICE,
    CATEGORIES,
    EDUCATION,
    INDUSTRIES,
    OCCUPATIONS,
    SECONDS_PER_DAY,
    TAX_GRADES,
    TERMS,
    TIERS,
    month_index,
    month_starts,
    sigmoid,
    stream,
)
from riskresearch.synth.config import SimulationConfig
from riskresearch.synth.partners import make_partners
from riskresearch.synth.risk import CHARACTER_SD, consumer_logit, enterprise_logit, old_policy


@dataclass
class Population:
    """The simulated platform at application time.

    Attributes
    ----------
    partners, customers, applications, bureau, prior_leases : pandas.DataFrame
        Raw tables as they land in the warehouse.
    hidden : pandas.DataFrame
        One row per application (aligned with ``applications``): latent risk logit, fraud truth,
        partner quality; never written to a raw table.
    partner_quality : numpy.ndarray
        Hidden quality of each partner (positive = worse), aligned with ``partners``.
    """

    partners: pd.DataFrame
    partner_quality: np.ndarray
    customers: pd.DataFrame
    applications: pd.DataFrame
    bureau: pd.DataFrame
    prior_leases: pd.DataFrame
    hidden: pd.DataFrame


def _application_times(cfg: SimulationConfig, rng: np.random.Generator, n: int, night: float):
    """Application instants: growing monthly volume, a daytime profile of hours."""
    weights = 1.0 + 0.04 * np.arange(cfg.n_months)
    month = rng.choice(cfg.n_months, size=n, p=weights / weights.sum())
    starts = month_starts(cfg, cfg.n_months + 1)
    days_in_month = (starts[1:] - starts[:-1]).astype(np.int64) // SECONDS_PER_DAY
    day = np.floor(rng.random(n) * days_in_month[month]).astype(np.int64)
    hour_profile = np.array(
        [
            1,
            0.6,
            0.4,
            0.3,
            0.3,
            0.5,
            1.2,
            2.5,
            4,
            5,
            5.5,
            5.5,
            5,
            5,
            5.5,
            5.5,
            5,
            5,
            5.5,
            6,
            6,
            5,
            3.5,
            2,
        ]
    )
    hour = rng.choice(24, size=n, p=hour_profile / hour_profile.sum())
    is_night = rng.random(n) < night
    hour = np.where(is_night, rng.integers(0, 5, n), hour)
    seconds = day * SECONDS_PER_DAY + hour * 3600 + rng.integers(0, 3600, n)
    return starts[month] + seconds.astype("timedelta64[s]")


def id_bases(n: int) -> dict[str, int]:
    """First id of each hashed-id range, so that no two ranges of one column overlap.

    Customers' devices start at 5,000,000, phones at 9,000,000 and addresses at 1,000,000 (one
    per customer, and there are at most ``n`` customers); changed devices (one per application
    at most) and the rings' shared pools (fewer than ``n`` ids each) follow. The fixed bases of
    small simulations are kept, and move up only where a large one would otherwise reuse an id
    (a false ring link).
    """
    changed = max(20_000_000, 5_000_000 + n)
    return {
        "changed_device": changed,
        "ring_device": max(30_000_000, changed + n),
        "ring_phone": max(40_000_000, 9_000_000 + n),
        "ring_address": max(50_000_000, 1_000_000 + n),
    }


@dataclass(frozen=True)
class Block:
    """One independently drawn part of a population too large to simulate at once.

    A block has its own random streams, customers and fraud rings; partners are shared. Its ids
    continue where the previous block's ended, and its application ids are its applications'
    ranks in the arrival order of the whole population (see ``build_warehouse``).

    Attributes
    ----------
    index : int
        Block number; block 0 draws from the same streams as an unblocked simulation.
    n : int
        Applications in the block.
    n_total : int
        Applications in the whole population (sizes the hashed-id ranges).
    application_ids : numpy.ndarray, optional
        Ids of the block's applications in their arrival order; ``1..n`` when omitted.
    customer_offset, ring_offset, prior_offset : int
        Customers, fraud rings and prior leases of the blocks before this one.
    """

    index: int
    n: int
    n_total: int
    application_ids: np.ndarray | None = None
    customer_offset: int = 0
    ring_offset: int = 0
    prior_offset: int = 0

    @property
    def keys(self) -> tuple[int, ...]:
        """Extra key of the block's random streams (none for block 0)."""
        return () if self.index == 0 else (self.index,)


def arrivals(cfg: SimulationConfig, block: Block) -> dict[str, np.ndarray | int]:
    """Who applies when: customers, instants and fraud type of a block, in arrival order."""
    rng = stream(cfg, "apps", *block.keys)
    n = block.n
    n_fraud = round(n * cfg.fraud_share)
    n_honest = n - n_fraud

    # ---- honest customers and their (possibly repeated) applications
    counts = rng.choice([1, 2, 3], size=n_honest, p=[0.86, 0.11, 0.03])
    n_honest_cust = int(np.searchsorted(np.cumsum(counts), n_honest) + 1)
    cust = np.repeat(np.arange(n_honest_cust), counts[:n_honest_cust])[:n_honest]
    honest_times = _application_times(cfg, rng, n_honest, night=0.0)

    # ---- fraud: rings arriving in bursts, and single identity thefts
    n_ring = round(n_fraud * 0.7)
    sizes = []
    while sum(sizes) < n_ring:
        sizes.append(int(min(4 + rng.geometric(1 / 7), 30)))
    sizes = np.array(sizes, dtype=np.int64)
    if sizes.size:
        sizes[-1] -= sizes.sum() - n_ring
        sizes = sizes[sizes > 0]
    n_rings = sizes.size
    ring_of = np.repeat(np.arange(n_rings), sizes)
    ring_start = _application_times(cfg, rng, n_rings, night=0.0)
    burst = (rng.exponential(2.5, n_ring) * SECONDS_PER_DAY).astype(np.int64)
    ring_times = ring_start[ring_of] + burst.astype("timedelta64[s]")
    theft_times = _application_times(cfg, rng, n_fraud - n_ring, night=0.35)
    last = month_starts(cfg, cfg.n_months + 1)[-1] - np.timedelta64(1, "s")
    ring_times = np.minimum(ring_times, last)

    # every fraud application is a new (synthetic or stolen) identity
    cust = np.concatenate([cust, n_honest_cust + np.arange(n_fraud)])
    applied_at = np.concatenate([honest_times, ring_times, theft_times])
    fraud_type = np.array(
        ["none"] * n_honest + ["ring"] * n_ring + ["identity_theft"] * (n - n_honest - n_ring)
    )
    ring_id = np.concatenate([np.full(n_honest, -1), ring_of, np.full(n_fraud - n_ring, -1)])

    # sort by time: application ids follow arrival order
    order = np.lexsort((cust, applied_at))
    return {
        "cust": cust[order],
        "applied_at": applied_at[order],
        "fraud_type": fraud_type[order],
        "ring_id": ring_id[order],
        "n_honest_cust": n_honest_cust,
        "n_cust": n_honest_cust + n_fraud,
        "n_rings": n_rings,
    }


def make_population(cfg: SimulationConfig, block: Block | None = None) -> Population:
    """Simulate partners, customers, applications, bureau reports and the old approval policy.

    Parameters
    ----------
    cfg : SimulationConfig
        Simulation parameters.
    block : Block, optional
        The part of a large population to draw (default: all ``cfg.n_applications`` at once).
    """
    block = block or Block(0, cfg.n_applications, cfg.n_applications)
    keys = block.keys
    partners, quality, volume = make_partners(cfg)
    n_old = cfg.n_partners
    n = block.n
    arr = arrivals(cfg, block)
    cust, applied_at, fraud_type, ring_id = (
        arr["cust"],
        arr["applied_at"],
        arr["fraud_type"],
        arr["ring_id"],
    )
    n_honest_cust, n_cust, n_rings = arr["n_honest_cust"], arr["n_cust"], arr["n_rings"]
    app_id = (
        np.arange(1, n + 1, dtype=np.int64)
        if block.application_ids is None
        else np.asarray(block.application_ids, dtype=np.int64)
    )
    is_fraud = fraud_type != "none"
    is_ring = fraud_type == "ring"
    month_idx = month_index(cfg, applied_at)

    # ---- customers
    crng = stream(cfg, "customers", *keys)
    enterprise_c = crng.random(n_cust) < cfg.enterprise_share
    enterprise_c[n_honest_cust:] = False  # fraud here is consumer fraud
    z_c = crng.normal(0.0, 1.0, n_cust)  # creditworthiness (high = risky), seen through features
    c_c = crng.normal(0.0, CHARACTER_SD, n_cust)  # hidden; payment history reveals it
    age0 = np.clip(18 + crng.gamma(2.3, 5.5, n_cust), 18, 68)
    birth = np.datetime64(cfg.start, "D") - (age0 * 365.25).astype("timedelta64[D]")
    city_tier = crng.choice([1, 2, 3, 4], size=n_cust, p=[0.18, 0.32, 0.3, 0.2])
    edu = crng.choice(5, size=n_cust, p=[0.08, 0.27, 0.3, 0.28, 0.07])
    young = age0 < 23
    occ_p = np.array([0.5, 0.07, 0.14, 0.14, 0.1, 0.05])
    occ = crng.choice(6, size=n_cust, p=occ_p)
    occ = np.where(young & (crng.random(n_cust) < 0.45), 4, occ)
    occ = np.where(~young & (occ == 4), 0, occ)
    # households share an address; a few share a device
    first_cust = block.customer_offset
    address_c = np.arange(n_cust, dtype=np.int64) + 1_000_000 + first_cust
    share = np.flatnonzero(crng.random(n_cust) < 0.03)
    address_c[share] = address_c[crng.integers(0, n_cust, share.size)]
    device_c = np.arange(n_cust, dtype=np.int64) + 5_000_000 + first_cust
    share = np.flatnonzero(crng.random(n_cust) < 0.005)
    device_c[share] = device_c[crng.integers(0, n_cust, share.size)]
    phone_c = np.arange(n_cust, dtype=np.int64) + 9_000_000 + first_cust
    # enterprise profile (constant per company)
    industry_c = crng.integers(0, INDUSTRIES.size, n_cust)
    company_age0 = np.round(crng.gamma(2.0, 3.5, n_cust) * np.exp(-0.2 * z_c), 1) + 0.3
    reg_capital_c = np.round(np.exp(crng.normal(13.5 - 0.3 * z_c, 1.1)), -3)
    employees_c = np.maximum(1, np.round(np.exp(crng.normal(2.8 - 0.2 * z_c, 1.0)))).astype(
        np.int64
    )
    # pre-window platform customers: registered long before
    returning_c = (~enterprise_c) & (crng.random(n_cust) < 0.22)
    returning_c[n_honest_cust:] = False

    # ---- per application
    r = stream(cfg, "app_features", *keys)
    seg_ent = enterprise_c[cust]
    new_channel = np.zeros(n, dtype=bool)
    late = month_idx >= cfg.new_channel_month - 1
    new_channel[late] = r.random(late.sum()) < 0.12
    shock = (month_idx >= cfg.shock_month - 1).astype(float)
    z = z_c[cust] + r.normal(0.0, 0.25, n) + 0.5 * new_channel + 0.2 * shock
    # synthetic identities look unremarkable to a bureau
    z = np.where(is_fraud, r.normal(-0.2, 0.8, n), z)

    # partner choice: volume weights among the old partners; new channel partners later;
    # rings favour the worst partners
    p_old = volume[:n_old] / volume[:n_old].sum()
    partner_idx = r.choice(n_old, size=n, p=p_old)
    n_new = quality.size - n_old
    p_new = volume[n_old:] / volume[n_old:].sum()
    partner_idx = np.where(new_channel, n_old + r.choice(n_new, size=n, p=p_new), partner_idx)
    bad_partners = np.argsort(quality[:n_old])[-max(3, n_old // 10) :]
    ring_partner = bad_partners[r.integers(0, bad_partners.size, max(n_rings, 1))]
    new_avail = month_idx >= cfg.new_channel_month - 1
    ring_partner_new = n_old + r.integers(0, n_new, max(n_rings, 1))
    use_bad = r.random(max(n_rings, 1)) < 0.7
    rp = np.where(
        is_ring,
        np.where(
            use_bad[np.maximum(ring_id, 0)], ring_partner[np.maximum(ring_id, 0)], partner_idx
        ),
        partner_idx,
    )
    rp = np.where(
        is_ring & new_avail & (r.random(n) < 0.5), ring_partner_new[np.maximum(ring_id, 0)], rp
    )
    partner_idx = rp
    q = quality[partner_idx]

    age = ((applied_at.astype("datetime64[D]") - birth[cust]).astype(np.int64) / 365.25).astype(
        np.int64
    )
    occ_a = occ[cust]
    edu_a = edu[cust]
    income = np.exp(
        np.log(6000)
        + 0.18 * (edu_a - 2)
        + np.select(
            [occ_a == 1, occ_a == 2, occ_a == 3, occ_a == 4, occ_a == 5],
            [0.15, 0.2, -0.15, -0.9, -1.2],
            0.0,
        )
        + 0.012 * np.clip(age - 22, 0, 20)
        - 0.2 * z
        + r.normal(0.0, 0.35, n)
    )
    income = np.round(income, -2)
    emp_years = np.where(
        np.isin(occ_a, [4, 5]),
        0.0,
        np.round(np.minimum(np.maximum(age - 18, 0), r.gamma(1.8, 2.8, n) * np.exp(-0.25 * z)), 1),
    )
    phone_tenure = np.minimum((age - 15) * 12, np.round(r.gamma(2.0, 28.0, n) * np.exp(-0.3 * z)))
    phone_tenure = np.where(
        is_fraud & (r.random(n) < 0.6), r.integers(0, 6, n), phone_tenure
    ).astype(np.int64)

    thin_logit = (
        np.log(cfg.thin_file_share / (1 - cfg.thin_file_share))
        + 1.0 * (age < 24)
        + 1.2 * (occ_a == 4)
        - 0.35
    )
    thin = r.random(n) < sigmoid(thin_logit)
    thin = np.where(is_fraud, r.random(n) < 0.5, thin)
    thin &= ~seg_ent
    score = np.clip(np.round(655 - 72 * z + 18 * (~thin) + r.normal(0, 38, n)), 350, 950)

    idv = r.random(n)
    p_manual = sigmoid(-3.2 + 0.5 * z + np.where(fraud_type == "identity_theft", 2.4, 0.0))
    p_fail = sigmoid(-5.0 + 0.4 * z + np.where(fraud_type == "identity_theft", 1.6, 0.0))
    id_verif = np.where(
        idv < p_fail, "fail", np.where(idv < p_fail + p_manual, "manual_review", "pass")
    )

    device = device_c[cust].copy()
    phone = phone_c[cust].copy()
    address = address_c[cust].copy()
    change = r.random(n) < 0.1  # some repeat applicants switched phones
    base = id_bases(block.n_total)
    device = np.where(change, base["changed_device"] + app_id - 1, device)
    # ring identifiers: each ring shares a small pool of devices, phones and addresses
    ridx = np.maximum(ring_id, 0) + block.ring_offset
    pool_dev = base["ring_device"] + ridx * 4 + r.integers(0, 1 + (ridx % 3), n)
    pool_phone = base["ring_phone"] + ridx * 2 + r.integers(0, 2, n)
    pool_addr = base["ring_address"] + ridx * 4 + r.integers(0, 1 + (ridx % 3), n)
    device = np.where(is_ring, pool_dev, device)
    phone = np.where(is_ring & (r.random(n) < 0.8), pool_phone, phone)
    address = np.where(is_ring & (r.random(n) < 0.8), pool_addr, address)

    ipgps = r.random(n) < np.where(is_fraud, 0.45, 0.03 + 0.01 * (z > 1))
    hour = ((applied_at - applied_at.astype("datetime64[D]")).astype(np.int64) // 3600).astype(
        np.int64
    )

    # registration: returning customers long ago; new ones shortly before their first application
    first_app = pd.Series(applied_at).groupby(cust).transform("min").to_numpy()
    first_gap = np.exp(r.normal(np.log(60 * 24 * 4), 1.8, n))
    first_gap = np.where(is_fraud, np.exp(r.normal(np.log(25), 1.0, n)), first_gap)
    gap_by_cust = pd.Series(first_gap).groupby(cust).transform("first").to_numpy()
    registered = first_app - (gap_by_cust * 60).astype("timedelta64[s]")
    long_ago = returning_c[cust]
    registered = np.where(
        long_ago,
        np.datetime64(cfg.start, "s")
        - (r.integers(200, 1500, n) * SECONDS_PER_DAY).astype("timedelta64[s]"),
        registered,
    )
    registered = pd.Series(registered).groupby(cust).transform("min").to_numpy()
    reg_to_app = ((applied_at - registered).astype(np.int64) // 60).astype(np.int64)

    # requested device and lease
    cat = np.where(
        seg_ent, r.choice(3, size=n, p=[0.3, 0.6, 0.1]), r.choice(3, size=n, p=[0.58, 0.27, 0.15])
    )
    tier_p = np.where(z[:, None] > 0.8, [[0.35, 0.4, 0.25]], [[0.3, 0.45, 0.25]])
    tier = (r.random(n)[:, None] > np.cumsum(tier_p, axis=1)).sum(axis=1)
    tier = np.where(is_fraud, np.where(r.random(n) < 0.85, 2, 1), tier)
    cat = np.where(is_fraud, np.where(r.random(n) < 0.6, 0, 1), cat)
    retail = np.round(BASE_PRICE[cat, tier] * np.exp(r.normal(0, 0.12, n)), -1)
    term = r.choice(TERMS, size=n, p=[0.06, 0.14, 0.42, 0.16, 0.22])
    term = np.where(is_fraud, r.choice(TERMS[2:], size=n), term)
    inflate = np.where(q > 0.5, r.uniform(1.05, 1.35, n), r.normal(1.0, 0.03, n))
    listed = np.round(retail * inflate, -1)
    rate = 0.045 + 0.3 / term
    units = np.where(seg_ent, np.maximum(1, np.round(np.exp(r.normal(1.2, 0.9, n)))), 1).astype(
        np.int64
    )
    rent = np.round(listed * rate * units, 0)

    # enterprise financials at application
    e = seg_ent
    company_age = np.round(
        company_age0[cust]
        + (applied_at.astype("datetime64[D]") - np.datetime64(cfg.start, "D")).astype(np.int64)
        / 365.25,
        1,
    )
    revenue = np.round(
        np.exp(np.log(employees_c[cust] * 4.0e5) + r.normal(0, 0.5, n) - 0.2 * z), -3
    )
    debt_ratio = np.clip(sigmoid(-0.4 + 0.8 * z + r.normal(0, 0.5, n)), 0.01, 0.99).round(3)
    current_ratio = np.round(np.exp(r.normal(0.35 - 0.35 * z, 0.35, n)), 2)
    margin = np.round(r.normal(0.07 - 0.06 * z, 0.06, n), 3)
    tax_latent = -z + r.normal(0, 0.6, n)
    tax_idx = np.select([tax_latent > 0.5, tax_latent > -0.4, tax_latent > -1.4], [0, 1, 2], 3)
    disputes = r.poisson(np.exp(-1.5 + 0.7 * z + 0.3 * np.log1p(employees_c[cust])))

    # ---- bureau reports (consumers with a record)
    brng = stream(cfg, "bureau", *keys)
    lam = np.exp(-0.9 + 0.55 * z + 0.25 * shock)
    inq1 = brng.poisson(lam)
    inq3 = inq1 + brng.poisson(2 * lam)
    inq6 = inq3 + brng.poisson(3 * lam)
    lenders = brng.poisson(np.exp(0.1 + 0.6 * z + 0.2 * shock))
    open_acc = brng.poisson(np.exp(1.0 + 0.15 * z + 0.3 * (age > 30)))
    dpd_latent = 0.9 * z + brng.normal(0, 0.8, n)
    max_dpd = np.select(
        [dpd_latent > 2.4, dpd_latent > 1.9, dpd_latent > 1.4, dpd_latent > 0.8],
        [
            brng.integers(90, 360, n),
            brng.integers(60, 90, n),
            brng.integers(30, 60, n),
            brng.integers(1, 30, n),
        ],
        0,
    )
    debt = np.round(income * np.exp(brng.normal(1.5 + 0.4 * z, 0.8, n)), -2)
    util = np.clip(sigmoid(-0.6 + 0.9 * z + 0.3 * shock + brng.normal(0, 0.6, n)), 0, 1).round(3)

    # ---- pre-window platform history (prior leases of returning customers)
    prior, prior_feats = _prior_leases(cfg, keys, returning_c, z_c, c_c, cust)

    # ---- hidden default-risk logit (only observable features + hidden character + partner)
    eta = np.where(
        seg_ent,
        enterprise_logit(
            company_age,
            reg_capital_c[cust],
            industry_c[cust],
            revenue,
            rent,
            debt_ratio,
            current_ratio,
            margin,
            tax_idx,
            disputes,
            units,
        ),
        consumer_logit(
            score,
            age,
            income,
            rent,
            emp_years,
            occ_a,
            phone_tenure,
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
            city_tier[cust],
            edu_a,
            prior_feats,
        ),
    )
    eta = eta + q + c_c[cust]
    eta = np.where(is_fraud, 8.0, eta)

    # ---- old approval policy
    decision, reason = old_policy(
        cfg,
        keys,
        applied_at,
        device,
        seg_ent,
        score,
        lenders,
        max_dpd,
        id_verif,
        thin,
        age,
        tax_idx,
        debt_ratio,
        disputes,
        prior_feats,
        eta,
        z,
    )

    cust_id = cust.astype(np.int64) + 1 + first_cust
    seg = np.where(seg_ent, "enterprise", "consumer")
    cons = ~seg_ent

    applications = pd.DataFrame(
        {
            "application_id": app_id,
            "customer_id": cust_id,
            "segment": seg,
            "applied_at": applied_at.astype("datetime64[us]"),
            "partner_id": partner_idx.astype(np.int64) + 1,
            "stated_monthly_income": _masked(income, cons),
            "occupation": _masked(OCCUPATIONS[occ_a], cons, "str"),
            "employment_years": _masked(emp_years, cons),
            "phone_tenure_months": _masked(phone_tenure, cons, "Int64"),
            "platform_credit_score": _masked(score, cons, "Int64"),
            "id_verification": id_verif,
            "registration_to_application_minutes": reg_to_app,
            "application_hour": hour,
            "device_fingerprint_id": device,
            "contact_phone_id": phone,
            "address_id": address,
            "ip_gps_city_mismatch": ipgps,
            "company_age_years": _masked(company_age, e),
            "registered_capital": _masked(reg_capital_c[cust], e),
            "industry": _masked(INDUSTRIES[industry_c[cust]], e, "str"),
            "employees": _masked(employees_c[cust], e, "Int64"),
            "annual_revenue": _masked(revenue, e),
            "debt_ratio": _masked(debt_ratio, e),
            "current_ratio": _masked(current_ratio, e),
            "profit_margin": _masked(margin, e),
            "tax_credit_grade": _masked(TAX_GRADES[tax_idx], e, "str"),
            "legal_disputes": _masked(disputes, e, "Int64"),
            "devices_requested": units,
            "device_category": CATEGORIES[cat],
            "model_tier": TIERS[tier],
            "retail_price": retail,
            "listed_price": listed,
            "lease_term_months": term.astype(np.int64),
            "monthly_rent": rent,
            "decision": decision,
            "decline_reason": _masked(reason, reason != "", "str"),
            "decided_at": (
                applied_at + (r.integers(1, 240, n) * 60).astype("timedelta64[s]")
            ).astype("datetime64[us]"),
        }
    )

    ucust, first_pos = np.unique(cust, return_index=True)
    customers = pd.DataFrame(
        {
            "customer_id": ucust.astype(np.int64) + 1 + first_cust,
            "segment": np.where(enterprise_c[ucust], "enterprise", "consumer"),
            "registered_at": registered[first_pos].astype("datetime64[us]"),
            "birth_date": _masked(
                pd.to_datetime(birth[ucust]).date, ~enterprise_c[ucust], "object"
            ),
            "city_tier": city_tier[ucust].astype(np.int64),
            "education": _masked(EDUCATION[edu[ucust]], ~enterprise_c[ucust], "str"),
        }
    )

    has_bureau = cons & ~thin
    bureau = pd.DataFrame(
        {
            "application_id": app_id[has_bureau],
            "report_at": (applied_at[has_bureau] - np.timedelta64(90, "s")).astype(
                "datetime64[us]"
            ),
            "inquiries_1m": inq1[has_bureau].astype(np.int64),
            "inquiries_3m": inq3[has_bureau].astype(np.int64),
            "inquiries_6m": inq6[has_bureau].astype(np.int64),
            "open_accounts": open_acc[has_bureau].astype(np.int64),
            "lenders_6m": lenders[has_bureau].astype(np.int64),
            "max_dpd_24m": max_dpd[has_bureau].astype(np.int64),
            "outstanding_debt": debt[has_bureau],
            "utilisation": util[has_bureau],
        }
    )
    hidden = pd.DataFrame(
        {
            "application_id": app_id,
            "eta": eta,
            "is_fraud": is_fraud,
            "fraud_type": fraud_type,
            "ring_id": np.where(ring_id >= 0, ring_id + block.ring_offset, -1).astype(np.int64),
            "partner_quality": q,
            "new_channel": new_channel,
            "month_index": month_idx + 1,
        }
    )
    prior["customer_id"] = prior["customer_id"] + 1 + first_cust
    prior["prior_lease_id"] = prior["prior_lease_id"] + block.prior_offset
    return Population(partners, quality, customers, applications, bureau, prior, hidden)


def _masked(values, keep: np.ndarray, dtype: str = "float64"):
    """Column with missing values (NA) where ``keep`` is False."""
    s = pd.Series(values)
    if dtype != "object":
        s = s.astype(dtype)
    return s.where(keep)


def _prior_leases(cfg, keys, returning_c, z_c, c_c, cust):
    """Leases that returning customers held before the window, and per-application aggregates."""
    rng = stream(cfg, "prior", *keys)
    who = np.flatnonzero(returning_c)
    k = rng.choice([1, 2, 3], size=who.size, p=[0.6, 0.3, 0.1])
    owner = np.repeat(who, k)
    m = owner.size
    latent = 0.5 * z_c[owner] + 2.2 * c_c[owner] + rng.normal(0, 0.45, m)
    max_dpd = np.select(
        [latent > 1.6, latent > 1.1, latent > 0.6, latent > -0.1],
        [
            rng.integers(90, 200, m),
            rng.integers(30, 90, m),
            rng.integers(8, 30, m),
            rng.integers(1, 8, m),
        ],
        0,
    )
    term = rng.choice(TERMS, size=m, p=[0.1, 0.2, 0.45, 0.1, 0.15])
    window = np.datetime64(cfg.start, "D")
    ended = window - rng.integers(5, 900, m).astype("timedelta64[D]")
    started = ended - (term * 30.4).astype("timedelta64[D]")
    outcome = np.where(
        max_dpd >= 90,
        "written_off",
        np.where(rng.random(m) < 0.55, "bought_out", "returned"),
    )
    cat = rng.choice(CATEGORIES, size=m, p=[0.6, 0.25, 0.15])
    prior = pd.DataFrame(
        {
            "prior_lease_id": np.arange(1, m + 1, dtype=np.int64),
            "customer_id": owner.astype(np.int64),
            "started_on": pd.to_datetime(started).date,
            "ended_on": pd.to_datetime(ended).date,
            "device_category": cat,
            "lease_term_months": term.astype(np.int64),
            "max_dpd": max_dpd.astype(np.int64),
            "outcome": outcome,
        }
    )
    # every prior lease ended before the window, so all of them are known at every application
    n_prior = np.bincount(owner, minlength=z_c.size)
    worst = np.zeros(z_c.size, dtype=np.int64)
    np.maximum.at(worst, owner, max_dpd)
    wo = np.zeros(z_c.size, dtype=np.int64)
    np.add.at(wo, owner, (outcome == "written_off").astype(np.int64))
    feats = {"n_prior": n_prior[cust], "prior_max_dpd": worst[cust], "prior_writeoffs": wo[cust]}
    return prior, feats
