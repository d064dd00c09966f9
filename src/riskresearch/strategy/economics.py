"""Economics of a lease: device recovery, buyout and the expected-profit formula (see
:mod:`riskresearch.strategy`)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.config import GradeTerms, LimitHistory, ModelConfig, StrategyConfig
from riskresearch.errors import DataError
from riskresearch.recovery import contract_lgd, device_returns, lgd_table

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
#: Platform-history columns (point-in-time, modeling table) of the limit classes.
HISTORY_FIELDS = (
    "hist_leases",
    "hist_writeoffs",
    "hist_max_dpd",
    "hist_months_since_first_lease",
)
#: Limit classes of :func:`history_classes`, in the order they are tested.
HISTORY_CLASSES = ("new", "written_off", "delinquent", "clean", "other")
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
    rent_rate_base, rent_rate_per_term : float or None
        The quoted rent curve: rent per month / device cost = ``base + per_term / term``. A
        term capped below the requested one is offered at the rent of this curve
        (:meth:`rent_factor`); None: the rent is not recomputed.
    rent_source : str
        ``"fitted"`` (least squares on the applications), ``"config"`` or ``"none"``.
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
    rent_rate_base: float | None = None
    rent_rate_per_term: float | None = None
    rent_source: str = "none"

    def rent_factor(self, offered, requested) -> np.ndarray:
        """Rent of the offered term over the rent quoted for the requested term:
        ``(base + per_term / offered) / (base + per_term / requested)`` where the offered term
        is shorter, else 1 (and 1 without a rent curve)."""
        offered = np.asarray(offered, dtype=float)
        requested = np.asarray(requested, dtype=float)
        if self.rent_rate_base is None or self.rent_rate_per_term is None:
            return np.ones(np.broadcast(offered, requested).shape)
        a, b = self.rent_rate_base, self.rent_rate_per_term
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (a + b / offered) / (a + b / requested)
        capped = (offered < requested) & np.isfinite(ratio) & (ratio > 0)
        return np.where(capped, ratio, 1.0)

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
            "rent_rate_base": self.rent_rate_base,
            "rent_rate_per_term": self.rent_rate_per_term,
            "rent_source": self.rent_source,
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
        codes, names = pd.factorize(category)
        rates = [self.buyout_rate.get(str(cat), overall) for cat in names]
        return np.append(np.asarray(rates, dtype=float), overall)[codes]

    def _lookup(self, table: dict[str, float], names: np.ndarray, age: float) -> np.ndarray:
        """The value of each category in ``names`` at ``age`` (category, then overall), with
        one more entry, the overall value, for a missing category (code -1)."""
        band = _age_band(age)
        overall = table.get("all|all", np.nan)
        values = []
        for cat in names:
            value = table.get(f"{cat}|{band}", table.get(f"{cat}|all", overall))
            values.append(value if np.isfinite(value) else overall)
        return np.append(np.asarray(values, dtype=float), overall)


def _age_band(months: float) -> str:
    edges = [*_AGE_EDGES, math.inf]
    for lo, hi in itertools.pairwise(edges):
        if lo <= months < hi:
            return f"{lo}-{hi - 1}" if math.isfinite(hi) else f"{lo}+"
    return f"{_AGE_EDGES[-1]}+"


def _rounded(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (round(float(v), 6) if np.isfinite(v) else None) for k, v in sorted(d.items())}


def fit_rent_curve(rows: pd.DataFrame) -> tuple[float, float] | None:
    """Least-squares fit of the quoted rent curve ``rent / device cost = base + per_term /
    term`` on applications (``monthly_rent``, ``retail_price``, ``price_vs_retail``,
    ``lease_term_months``, ``devices_requested``); both coefficients at least 0 (a negative
    one is set to 0 and the other refitted). None with fewer than two distinct terms.

    On the simulated platform the partners quote ``listed price x (0.045 + 0.3 / term)``
    per unit, so the fit returns about (0.045, 0.3).
    """
    f = _fields(rows, "fit_rent_curve")
    cost = f["retail_price"] * f["units"] * f["price_vs_retail"]
    ok = (cost > 0) & (f["lease_term_months"] > 0) & (f["monthly_rent"] > 0)
    y = f["monthly_rent"][ok] / cost[ok]
    x = 1.0 / f["lease_term_months"][ok]
    if np.unique(x).size < 2:
        return None
    b, a = np.polyfit(x, y, 1)
    if b < 0:
        a, b = float(y.mean()), 0.0
    elif a < 0:
        a, b = 0.0, float((x * y).sum() / (x * x).sum())
    return round(float(a), 6), round(float(b), 6)


def economics(cfg: StrategyConfig | ModelConfig, warehouse=None, rows=None) -> Economics:
    """The profit formula's parameters: config values, else measured on the warehouse.

    Parameters
    ----------
    cfg : StrategyConfig or ModelConfig
    warehouse : path-like, optional
        DuckDB warehouse; its written-off leases give the device recovery rate and resale
        value by device category and age (:func:`riskresearch.recovery.contract_lgd`), its
        term ends the buyout rate (:func:`riskresearch.recovery.device_returns`). Without it
        the fallbacks are buyout 0.5, recovery 0.45, resale 0.45 of retail.
    rows : DataFrame, optional
        Applications the quoted rent curve is fitted on (:func:`fit_rent_curve`) unless
        ``strategy.economics.rent_rate_base`` / ``rent_rate_per_term`` are set. Without
        either, a capped term keeps the quoted rent.
    """
    s = cfg.strategy if isinstance(cfg, ModelConfig) else cfg
    e = s.economics
    measured: dict[str, dict[str, float]] = {k: {} for k in _FALLBACK}
    source = "default"
    if warehouse is not None:
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
    curve, rent_source = None, "none"
    if e.rent_rate_base is not None and e.rent_rate_per_term is not None:
        curve, rent_source = (e.rent_rate_base, e.rent_rate_per_term), "config"
    elif rows is not None and len(rows):
        curve = fit_rent_curve(rows)
        rent_source = "fitted" if curve is not None else "none"
    return Economics(
        default_months=e.default_months,
        residual_loss_per_month=e.residual_loss_per_month,
        residual_floor=e.residual_floor,
        take_up=e.take_up,
        deposit_elasticity=e.deposit_elasticity,
        price_elasticity=e.price_elasticity,
        source=source,
        rent_rate_base=None if curve is None else float(curve[0]),
        rent_rate_per_term=None if curve is None else float(curve[1]),
        rent_source=rent_source,
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
        rent_rate_base=_opt_float(d.get("rent_rate_base")),
        rent_rate_per_term=_opt_float(d.get("rent_rate_per_term")),
        rent_source=str(d.get("rent_source", "none")),
    )


def _opt_float(v) -> float | None:
    return None if v is None else float(v)


# ------------------------------------------------------------------------------------------
# limits: platform history and customer exposure
# ------------------------------------------------------------------------------------------
def limits_policy(cfg: StrategyConfig | ModelConfig, columns=None) -> dict[str, Any]:
    """The limit rules of a strategy as ``strategy.json`` holds them (``limits``):
    ``history`` (``strategy.limit_history``, None when switched off) and
    ``exposure_column``.

    Parameters
    ----------
    cfg : StrategyConfig or ModelConfig
    columns : list of str, optional
        The columns of the applications: without every column of :data:`HISTORY_FIELDS`
        (a table of one's own) the history rule is off (``history`` None, ``history_off``
        says why), so the decision engine asks for no history.

    Raises
    ------
    DataError
        A grade has a ``max_exposure`` but ``columns`` lack the exposure column.
    """
    s = cfg.strategy if isinstance(cfg, ModelConfig) else cfg
    h = s.limit_history
    out: dict[str, Any] = {
        "history": h.model_dump() if h.enabled else None,
        "exposure_column": s.exposure_column,
    }
    if columns is None:
        return out
    columns = set(columns)
    missing = [c for c in HISTORY_FIELDS if c not in columns]
    if out["history"] is not None and missing:
        out["history"] = None
        out["history_off"] = f"the applications lack {', '.join(missing)}"
    limited = [g.grade for g in s.grades if g.max_exposure is not None]
    if limited and s.exposure_column not in columns:
        raise DataError(
            f"strategy.grades {limited} set max_exposure, but the applications lack the column "
            f"'{s.exposure_column}' (strategy.exposure_column: rent still owed on the "
            "customer's active leases; riskresearch data build makes hist_outstanding_rent). "
            "Add the column or drop max_exposure."
        )
    return out


def history_class_one(leases, writeoffs, max_dpd, months, history: dict[str, Any]) -> str:
    """The limit class of one application (see :func:`history_classes`); missing values
    count as 0 leases / write-offs, no days past due and no months."""

    def num(v):
        try:
            x = float(v)
        except (TypeError, ValueError):
            return math.nan
        return x

    leases, writeoffs, max_dpd, months = map(num, (leases, writeoffs, max_dpd, months))
    if not leases > 0:
        return "new"
    if writeoffs > 0:
        return "written_off"
    if max_dpd >= history["delinquent_dpd"]:
        return "delinquent"
    dpd = 0.0 if math.isnan(max_dpd) else max_dpd
    if dpd < history["clean_max_dpd"] and months >= history["clean_min_months"]:
        return "clean"
    return "other"


def history_classes(rows: pd.DataFrame, history: dict[str, Any] | None) -> np.ndarray:
    """The limit class of each application from its platform history (columns of
    :data:`HISTORY_FIELDS`; an absent column counts as no history), the first that applies:
    ``new``, ``written_off``, ``delinquent``, ``clean``, ``other`` (see
    :class:`riskresearch.config.LimitHistory`). ``history`` holds the thresholds
    (``strategy.json``'s ``limits.history``); None uses the defaults."""

    h = history or LimitHistory().model_dump()
    n = len(rows)

    def col(name: str, default: float) -> np.ndarray:
        if name not in rows.columns:
            return np.full(n, default)
        return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    leases = col("hist_leases", 0.0)
    writeoffs = col("hist_writeoffs", 0.0)
    dpd = col("hist_max_dpd", np.nan)
    months = col("hist_months_since_first_lease", np.nan)
    with np.errstate(invalid="ignore"):
        conditions = [
            ~(leases > 0),
            writeoffs > 0,
            dpd >= h["delinquent_dpd"],
            (np.nan_to_num(dpd, nan=0.0) < h["clean_max_dpd"]) & (months >= h["clean_min_months"]),
        ]
    return np.select(conditions, list(HISTORY_CLASSES[:4]), HISTORY_CLASSES[4]).astype(object)


def limit_factors(rows: pd.DataFrame, history: dict[str, Any] | None) -> np.ndarray:
    """Factor on the grade's limits of each application: its history class's factor
    (:func:`history_classes`); 1 for everyone when ``history`` is None (switched off)."""
    if not history:
        return np.ones(len(rows))
    cls = history_classes(rows, history)
    out = np.ones(len(rows))
    for name in HISTORY_CLASSES:
        out[cls == name] = float(history[name])
    return out


def outstanding_rent(rows: pd.DataFrame, column: str) -> np.ndarray:
    """Rent still owed on the customer's active leases (``column``; 0 when absent or
    missing)."""
    if column not in rows.columns:
        return np.zeros(len(rows))
    x = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(x), x, 0.0)


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
    price_multiplier: float | None = None,
    limits: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Expected profit and loss of each row on one grade's terms (see :mod:`riskresearch.strategy`).

    Parameters
    ----------
    rows : DataFrame
        Applications with the columns of :data:`TERMS_FIELDS` (``devices_requested``
        optional, default 1; the platform-history columns and the exposure column optional,
        default: no history, nothing outstanding).
    pd_values : array-like
        Probability of bad of each row.
    terms : GradeTerms or dict
        The grade's terms.
    econ : Economics
    deposit_share, price_multiplier : float, optional
        Override the terms' deposit share and price multiplier (the optimiser tries several).
    limits : dict, optional
        :func:`limits_policy`: the grade's limits times the row's history factor
        (:func:`limit_factors`), and the customer limit ``max_exposure`` on the exposure
        column plus this lease's rent. None: the grade's limits as they are, no exposure.

    Returns
    -------
    pandas.DataFrame
        Per row: ``device_value``, ``device_cost``, ``term``, ``rent`` (for the offered term:
        recomputed on the rent curve when the term is capped, :meth:`Economics.rent_factor`),
        ``deposit``, ``limit_factor``, ``exposure`` (outstanding rent plus this lease's rent),
        ``booked`` (device value and exposure within the limits), ``take_up``, ``margin`` (of
        a performing lease), ``loss_given_default`` (``mean_k loss_k``), ``expected_loss``,
        ``expected_profit``.
    """
    t = terms.model_dump() if isinstance(terms, GradeTerms) else dict(terms)
    d = float(t["deposit_share"] if deposit_share is None else deposit_share)
    m = float(t.get("price_multiplier", 1.0) if price_multiplier is None else price_multiplier)
    inputs = profit_inputs(rows, econ, float(t["max_term_months"]), limits)
    out = profit_on_terms(
        inputs, pd_values, econ, d, m, float(t["max_device_value"]), t.get("max_exposure")
    )
    return pd.DataFrame(out, index=rows.index)


def profit_inputs(
    rows: pd.DataFrame, econ: Economics, max_term: float, limits: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """The parts of :func:`expected_profit` that do not depend on the deposit, the price or
    the limits' sizes (computed once per maximum term when the optimiser tries many)."""
    f = _fields(rows, "expected_profit")
    value = f["retail_price"] * f["units"]
    cost = value * f["price_vs_retail"]
    requested = f["lease_term_months"]
    term = np.minimum(requested, max_term)
    cat = f["device_category"]
    buyout = econ.buyout(cat)
    # the rates are looked up per category and indexed by each row's code: no per-row sort
    codes, names = pd.factorize(cat)
    residual = np.maximum(econ.residual_floor, 1.0 - econ.residual_loss_per_month * term)
    resale_end = np.empty_like(term)
    for months in pd.unique(term):
        sel = term == months
        resale_end[sel] = econ._lookup(econ.resale_to_retail, names, months)[codes[sel]]
    k_max = np.minimum(term, econ.default_months)
    recovered = []  # q x rho x V of a default at instalment k = 1, 2, ...
    for k in range(1, int(max(k_max.max(initial=1), 1)) + 1):
        age = k + 3  # the write-off comes about 120 days after the missed instalment
        q = econ._lookup(econ.recovery_rate, names, age)[codes]
        rho = econ._lookup(econ.resale_to_retail, names, age)[codes]
        recovered.append(q * rho * value)
    column = (limits or {}).get("exposure_column") or ""
    return {
        "value": value,
        "cost": cost,
        "term": term,
        "rent": f["monthly_rent"] * econ.rent_factor(term, requested),
        "income_end": buyout * cost * residual + (1.0 - buyout) * value * resale_end,
        "k_max": k_max,
        "recovered": recovered,
        "factor": limit_factors(rows, limits.get("history")) if limits else np.ones(len(rows)),
        "outstanding": outstanding_rent(rows, column),
    }


def profit_on_terms(
    inputs: dict[str, np.ndarray],
    pd_values,
    econ: Economics,
    deposit_share: float,
    price_multiplier: float,
    max_device_value: float,
    max_exposure: float | None = None,
) -> dict[str, np.ndarray]:
    """:func:`expected_profit`'s columns from :func:`profit_inputs` and one set of terms."""
    p = np.asarray(pd_values, dtype=float)
    d, m = float(deposit_share), float(price_multiplier)
    value, cost, term, k_max = inputs["value"], inputs["cost"], inputs["term"], inputs["k_max"]
    rent = inputs["rent"] * m
    margin = rent * term + inputs["income_end"] - cost
    deposit = d * value
    lgd_sum = np.zeros(len(value))
    for k, recovered in enumerate(inputs["recovered"], start=1):
        ead = cost - rent * (k - 1)
        loss_k = np.maximum(0.0, ead - deposit - recovered)
        lgd_sum += np.where(k <= k_max, loss_k, 0.0)
    loss_given_default = lgd_sum / np.maximum(k_max, 1)
    take_up = np.clip(
        econ.take_up * (1.0 - econ.deposit_elasticity * d - econ.price_elasticity * (m - 1.0)),
        0.0,
        1.0,
    )
    factor = inputs["factor"]
    exposure = inputs["outstanding"] + rent * term
    booked = value <= float(max_device_value) * factor
    if max_exposure is not None:
        booked &= exposure <= float(max_exposure) * factor
    a = np.where(booked, take_up, 0.0)
    return {
        "device_value": value,
        "device_cost": cost,
        "term": term,
        "rent": rent,
        "deposit": deposit,
        "limit_factor": factor,
        "exposure": exposure,
        "booked": booked,
        "take_up": a,
        "margin": margin,
        "loss_given_default": loss_given_default,
        "expected_loss": a * p * loss_given_default,
        "expected_profit": a * ((1.0 - p) * margin - p * loss_given_default),
    }
