"""Partners (merchants, channels, institutions) with qualification data and hidden quality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskresearch.synth.common import month_starts, sigmoid, stream
from riskresearch.synth.config import SimulationConfig

PARTNER_TYPES = np.array(["merchant", "channel", "institution"])


def make_partners(cfg: SimulationConfig) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Partners with public qualification data and a hidden quality.

    Returns the table, the hidden quality (log-odds added to their customers' default risk)
    and the volume weight of each partner.
    """
    rng = stream(cfg, "partner")
    n_old = cfg.n_partners
    n_new = max(3, cfg.n_partners // 12)
    n = n_old + n_new
    quality = rng.normal(0.0, 0.25, n)
    worst = rng.choice(n_old, size=max(3, n_old // 10), replace=False)
    quality[worst] += rng.uniform(0.6, 1.0, worst.size)
    quality[n_old:] = rng.uniform(0.7, 1.1, n_new)  # the worse channel that appears later

    window_start = np.datetime64(cfg.start, "D")
    onboarded = window_start - rng.integers(30, 6 * 365, n).astype("timedelta64[D]")
    new_start = month_starts(cfg)[cfg.new_channel_month - 1].astype("datetime64[D]")
    onboarded[n_old:] = new_start - rng.integers(5, 25, n_new).astype("timedelta64[D]")

    bad = quality > 0.5
    years = np.round(rng.gamma(2.5, 2.4, n) * np.where(bad, 0.55, 1.0), 1) + 0.5
    capital = np.round(np.exp(rng.normal(14.0 - 0.8 * quality, 1.0, n)), -3)
    licence_ok = rng.random(n) > sigmoid(-3.2 + 2.2 * quality)
    complaints = rng.poisson(np.exp(0.6 + 1.4 * quality))
    owner_flag = rng.random(n) < sigmoid(-2.8 + 1.8 * quality)
    volume = np.exp(rng.normal(0.0, 0.8, n))
    table = pd.DataFrame(
        {
            "partner_id": np.arange(1, n + 1, dtype=np.int64),
            "partner_type": rng.choice(PARTNER_TYPES, n, p=[0.6, 0.3, 0.1]),
            "onboarded_on": pd.to_datetime(onboarded).date,
            "registered_capital": capital,
            "years_in_business": years,
            "licence_check_passed": licence_ok,
            "complaints_12m": complaints.astype(np.int64),
            "owner_credit_red_flag": owner_flag,
            "city_tier": rng.integers(1, 5, n).astype(np.int64),
        }
    )
    return table, quality, volume
