"""Constants and helpers shared by the simulator's steps."""

from __future__ import annotations

import numpy as np

from riskresearch.synth.config import SimulationConfig

SECONDS_PER_DAY = 86_400

OCCUPATIONS = np.array(
    ["salaried", "civil_servant", "self_employed", "gig_worker", "student", "unemployed"]
)
EDUCATION = np.array(["below_high_school", "high_school", "college", "bachelor", "master_plus"])
INDUSTRIES = np.array(
    ["retail", "technology", "manufacturing", "services", "construction", "logistics", "education"]
)
TAX_GRADES = np.array(["A", "B", "C", "D"])
CATEGORIES = np.array(["phone", "laptop", "tablet"])
TIERS = np.array(["entry", "mid", "flagship"])
# Retail price (currency units) by category (rows) and tier (columns).
BASE_PRICE = np.array(
    [[1500.0, 3500.0, 7500.0], [3500.0, 6000.0, 11000.0], [1800.0, 3500.0, 6500.0]]
)
TERMS = np.array([3, 6, 12, 18, 24])


def stream(cfg: SimulationConfig, name: str, *extra: int) -> np.random.Generator:
    """Independent random stream for one simulation step (so steps do not shift each other)."""
    key = int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng(np.random.SeedSequence([cfg.seed, key, *extra]))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def month_starts(cfg: SimulationConfig, n: int | None = None) -> np.ndarray:
    """First instant (datetime64[s]) of each simulated month."""
    n = cfg.n_months if n is None else n
    first = np.datetime64(cfg.start, "M")
    return (first + np.arange(n)).astype("datetime64[D]").astype("datetime64[s]")


def month_index(cfg: SimulationConfig, t: np.ndarray) -> np.ndarray:
    months = t.astype("datetime64[M]") - np.datetime64(cfg.start, "M")
    return months.astype(np.int64)
