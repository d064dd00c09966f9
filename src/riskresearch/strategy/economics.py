"""Economics of a lease: device recovery, buyout and the expected-profit formula (see
:mod:`riskresearch.strategy`)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.config import GradeTerms, ModelConfig, StrategyConfig
from riskresearch.errors import DataError

#: Application fields the terms and the economics need (besides the scorecard's features).
TERMS_FIELDS = (
    "retail_price",
    "price_vs_retail",
    "lease_term_months",
    "monthly_rent",
    "device_category",
)
#: Optional fields and the value used when the column is absent.
OPTIONAL_FIELDS = {"devices_requested": 1.0}
#: Age bands (months on book at the write-off) of the recovery table.
_AGE_EDGES = (0, 3, 6, 12)
_FALLBACK = {"buyout_rate": 0.5, "recovery_rate": 0.45, "resale_to_retail": 0.45}


# ------------------------------------------------------------------------------------------
# economics
# ------------------------------------------------------------------------------------------
@dataclass
class Economics:
    """Parameters of the expected-profit formula (see :mod:`riskresearch.strategy`).

    Attributes
    ----------
    default_months, residual_loss_per_month, residual_floor : number
        Default timing and buyout price (see ``strategy.economics`` of the config).
    take_up, deposit_elasticity, price_elasticity : float
        Take-up of an offer at price 1 without deposit, and how much it falls per unit of
        deposit share / of price increase.
    buyout_rate : dict
        Term-end buyout rate by device category (key ``"all"``: every category).
    recovery_rate, resale_to_retail : dict
        Device recovery rate and resale value over the retail price of written-off devices,
        keyed ``"<category>|<age band>"`` (age band of months on book: 0-2, 3-5, 6-11, 12+),
        ``"<category>|all"`` and ``"all|all"``.
    source : str
        ``"warehouse"`` (measured on the collections), ``"config"`` or ``"default"``.
    """

    default_months: int
    residual_loss_per_month: float
    residual_floor: float
    take_up: float
    deposit_elasticity: float
    price_elasticity: float
    buyout_rate: dict[str, float] = field(default_factory=dict)
    recovery_rate: dict[str, float] = field(default_factory=dict)
    resale_to_retail: dict[str, float] = field(default_factory=dict)
    source: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return {
            "default_months": self.default_months,
            "residual_loss_per_month": self.residual_loss_per_month,
            "residual_floor": self.residual_floor,
            "take_up": self.take_up,
            "deposit_elasticity": self.deposit_elasticity,
            "price_elasticity": self.price_elasticity,
            "buyout_rate": _rounded(self.buyout_rate),
            "recovery_rate": _rounded(self.recovery_rate),
            "resale_to_retail": _rounded(self.resale_to_retail),
            "source": self.source,
        }

    def table(self) -> pd.DataFrame:
        """Recovery rate, resale value over retail and buyout rate by device category and
        age band (months on book at the write-off), as the profit formula uses them."""
        keys = sorted(set(self.recovery_rate) | set(self.resale_to_retail))
        rows = []
        for key in keys:
            cat, band = key.split("|")
            rows.append(
                {
                    "device_category": cat,
                    "age_band": band,
                    "recovery_rate": self.recovery_rate.get(key, np.nan),
                    "resale_to_retail": self.resale_to_retail.get(key, np.nan),
                    "buyout_rate": self.buyout_rate.get(cat, np.nan) if band == "all" else np.nan,
                }
            )
        return pd.DataFrame(rows).assign(source=self.source)

    def buyout(self, category: np.ndarray) -> np.ndarray:
        """Term-end buyout rate of each row's device category (``"all"`` when unknown)."""
        overall = self.buyout_rate.get("all", _FALLBACK["buyout_rate"])
        out = np.full(category.shape, overall, dtype=float)
        for cat in np.unique(category):
            out[category == cat] = self.buyout_rate.get(str(cat), overall)
        return out

    def _lookup(self, table: dict[str, float], category: np.ndarray, age: float) -> np.ndarray:
        band = _age_band(age)
        overall = table.get("all|all", np.nan)
        out = np.full(category.shape, overall, dtype=float)
        for cat in np.unique(category):
            value = table.get(f"{cat}|{band}", table.get(f"{cat}|all", overall))
            out[category == cat] = value if np.isfinite(value) else overall
        return out


def _age_band(months: float) -> str:
    edges = [*_AGE_EDGES, math.inf]
    for lo, hi in itertools.pairwise(edges):
        if lo <= months < hi:
            return f"{lo}-{hi - 1}" if math.isfinite(hi) else f"{lo}+"
    return f"{_AGE_EDGES[-1]}+"


def _rounded(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (round(float(v), 6) if np.isfinite(v) else None) for k, v in sorted(d.items())}


def economics(cfg: StrategyConfig | ModelConfig, warehouse=None) -> Economics:
    """The profit formula's parameters: config values, else measured on the warehouse.

    Parameters
    ----------
    cfg : StrategyConfig or ModelConfig
    warehouse : path-like, optional
        DuckDB warehouse; its written-off leases give the device recovery rate and resale
        value by device category and age (:func:`riskresearch.arrears.contract_lgd`), its
        term ends the buyout rate (:func:`riskresearch.arrears.device_returns`). Without it
        the fallbacks are buyout 0.5, recovery 0.45, resale 0.45 of retail.
    """
    s = cfg.strategy if isinstance(cfg, ModelConfig) else cfg
    e = s.economics
    measured: dict[str, dict[str, float]] = {k: {} for k in _FALLBACK}
    source = "default"
    if warehouse is not None:
        from riskresearch.arrears import contract_lgd, device_returns, lgd_table

        lgd = contract_lgd(warehouse)
        if len(lgd):
            by_age = lgd_table(lgd, by=("device_category", "age_band"))
            by_cat = lgd_table(lgd, by=("device_category",))
            for frame, keys in ((by_age, ("device_category", "age_band")), (by_cat, None)):
                for row in frame.itertuples(index=False):
                    key = (
                        f"{row.device_category}|{row.age_band}"
                        if keys
                        else f"{row.device_category}|all"
                    )
                    measured["recovery_rate"][key] = float(row.recovery_rate)
                    measured["resale_to_retail"][key] = float(row.resale_to_retail)
        returns = device_returns(warehouse)
        for row in returns.itertuples(index=False):
            if row.term_ends > 0:
                measured["buyout_rate"][str(row.device_category)] = float(row.buyout_rate)
        source = "warehouse"
    tables = {}
    for name, fallback in _FALLBACK.items():
        override = getattr(e, name)
        key_all = "all" if name == "buyout_rate" else "all|all"
        if override is not None:
            tables[name] = {key_all: float(override)}
            source = "config" if source == "default" else f"{source}+config"
        else:
            table = {k: v for k, v in measured[name].items() if np.isfinite(v)}
            table.setdefault(key_all, fallback)
            tables[name] = table
    return Economics(
        default_months=e.default_months,
        residual_loss_per_month=e.residual_loss_per_month,
        residual_floor=e.residual_floor,
        take_up=e.take_up,
        deposit_elasticity=e.deposit_elasticity,
        price_elasticity=e.price_elasticity,
        source=source,
        **tables,
    )


def economics_from_dict(d: dict[str, Any]) -> Economics:
    """Rebuild :class:`Economics` from ``strategy.json``'s ``economics`` entry."""

    def table(t):
        return {k: (np.nan if v is None else float(v)) for k, v in t.items()}

    return Economics(
        default_months=int(d["default_months"]),
        residual_loss_per_month=float(d["residual_loss_per_month"]),
        residual_floor=float(d["residual_floor"]),
        take_up=float(d["take_up"]),
        deposit_elasticity=float(d["deposit_elasticity"]),
        price_elasticity=float(d["price_elasticity"]),
        buyout_rate=table(d["buyout_rate"]),
        recovery_rate=table(d["recovery_rate"]),
        resale_to_retail=table(d["resale_to_retail"]),
        source=str(d.get("source", "default")),
    )


def _fields(rows: pd.DataFrame, owner: str) -> dict[str, np.ndarray]:
    missing = [c for c in TERMS_FIELDS if c not in rows.columns]
    if missing:
        raise DataError(
            f"{owner} needs the column(s) {missing} (device value, cost, term and rent). Add "
            "them to the rows."
        )
    out = {}
    for c in TERMS_FIELDS:
        if c == "device_category":
            out[c] = rows[c].astype(str).to_numpy()
            continue
        x = pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(x).all():
            bad = int((~np.isfinite(x)).sum())
            raise DataError(
                f"{owner}: column '{c}' is missing or not a finite number in {bad} row(s). Fix "
                "or drop those rows."
            )
        out[c] = x
    units = rows.get("devices_requested")
    out["units"] = (
        np.ones(len(rows))
        if units is None
        else pd.to_numeric(units, errors="coerce").fillna(1.0).to_numpy(dtype=float)
    )
    return out


def expected_profit(
    rows: pd.DataFrame,
    pd_values,
    terms: GradeTerms | dict[str, Any],
    econ: Economics,
    deposit_share: float | None = None,
) -> pd.DataFrame:
    """Expected profit and loss of each row on one grade's terms (see :mod:`riskresearch.strategy`).

    Parameters
    ----------
    rows : DataFrame
        Applications with the columns of :data:`TERMS_FIELDS` (``devices_requested``
        optional, default 1).
    pd_values : array-like
        Probability of bad of each row.
    terms : GradeTerms or dict
        The grade's terms.
    econ : Economics
    deposit_share : float, optional
        Overrides the terms' deposit share (the optimiser tries several).

    Returns
    -------
    pandas.DataFrame
        Per row: ``device_value``, ``device_cost``, ``term``, ``rent``, ``deposit``,
        ``booked`` (device value within the credit limit), ``take_up``, ``margin`` (of a
        performing lease), ``loss_given_default`` (``mean_k loss_k``), ``expected_loss``,
        ``expected_profit``.
    """
    t = terms.model_dump() if isinstance(terms, GradeTerms) else dict(terms)
    d = float(t["deposit_share"] if deposit_share is None else deposit_share)
    m = float(t["price_multiplier"])
    f = _fields(rows, "expected_profit")
    p = np.asarray(pd_values, dtype=float)
    value = f["retail_price"] * f["units"]
    cost = value * f["price_vs_retail"]
    term = np.minimum(f["lease_term_months"], float(t["max_term_months"]))
    rent = f["monthly_rent"] * m
    cat = f["device_category"]
    buyout = econ.buyout(cat)
    residual = np.maximum(econ.residual_floor, 1.0 - econ.residual_loss_per_month * term)
    resale_end = np.empty_like(term)
    for months in np.unique(term):
        sel = term == months
        resale_end[sel] = econ._lookup(econ.resale_to_retail, cat[sel], months)
    income_end = buyout * cost * residual + (1.0 - buyout) * value * resale_end
    margin = rent * term + income_end - cost
    deposit = d * value
    k_max = np.minimum(term, econ.default_months)
    lgd_sum = np.zeros(len(rows))
    for k in range(1, int(max(k_max.max(initial=1), 1)) + 1):
        age = k + 3  # the write-off comes about 120 days after the missed instalment
        q = econ._lookup(econ.recovery_rate, cat, age)
        rho = econ._lookup(econ.resale_to_retail, cat, age)
        ead = cost - rent * (k - 1)
        loss_k = np.maximum(0.0, ead - deposit - q * rho * value)
        lgd_sum += np.where(k <= k_max, loss_k, 0.0)
    loss_given_default = lgd_sum / np.maximum(k_max, 1)
    take_up = np.clip(
        econ.take_up * (1.0 - econ.deposit_elasticity * d - econ.price_elasticity * (m - 1.0)),
        0.0,
        1.0,
    )
    booked = value <= float(t["max_device_value"])
    a = np.where(booked, take_up, 0.0)
    return pd.DataFrame(
        {
            "device_value": value,
            "device_cost": cost,
            "term": term,
            "rent": rent,
            "deposit": deposit,
            "booked": booked,
            "take_up": a,
            "margin": margin,
            "loss_given_default": loss_given_default,
            "expected_loss": a * p * loss_given_default,
            "expected_profit": a * ((1.0 - p) * margin - p * loss_given_default),
        },
        index=rows.index,
    )
