"""How the priced, limited policy behaves: the implied price elasticity, the sensitivity of
the optimised prices to the configured elasticity, the limits by platform history and the
outcome of a policy on given PDs (see :mod:`riskresearch.strategy`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.config import ModelConfig, StrategyConfig
from riskresearch.errors import ConfigError
from riskresearch.strategy.economics import (
    HISTORY_CLASSES,
    Economics,
    expected_profit,
    history_classes,
    outstanding_rent,
)
from riskresearch.strategy.optimise import Strategy, grade_index, optimise

#: Multiples of the configured price elasticity of the sensitivity table.
SENSITIVITY_FACTORS = (0.5, 1.0, 2.0)


def _approved_terms(rows: pd.DataFrame, policy: dict[str, Any], score: str):
    """(grade index, grade) of every grade with rows above the cut-off."""
    idx = grade_index(rows[score].to_numpy(dtype=float), policy)
    return idx, [(gi, g) for gi, g in enumerate(policy["grades"]) if (idx == gi).any()]


def implied_price_elasticity(
    rows: pd.DataFrame,
    policy: dict[str, Any],
    econ: Economics,
    score: str = "score",
    pd_column: str = "pd",
) -> float | None:
    """The price elasticity at which the quoted rent (price multiplier 1) maximises the
    expected profit of the approved rows on their grades' deposits and limits.

    With take-up ``a0 (1 - e_d d - e (m - 1))`` and ``pi_i(m)`` the expected profit of a
    taken-up lease, the total profit is stationary at ``m = 1`` when
    ``e = sum (1 - e_d d_i) pi_i'(1) / sum pi_i(1)``. An elasticity above it rewards
    discounts for the portfolio as a whole, one below it surcharges; grades differ because
    ``pi'/pi`` falls as the loss share of the profit grows. The simulated platform has no
    price response to measure, so this is a reference for the configured value, not a
    measurement. None when the approved rows earn nothing at price 1.
    """
    flat = dataclasses.replace(econ, take_up=1.0, deposit_elasticity=0.0, price_elasticity=0.0)
    idx, graded = _approved_terms(rows, policy, score)
    p = rows[pd_column].to_numpy(dtype=float)
    limits = policy.get("limits")
    h, num, den = 0.01, 0.0, 0.0
    for gi, g in graded:
        sel = idx == gi
        part, pp = rows[sel], p[sel]
        up, down, at = (
            expected_profit(part, pp, g, flat, price_multiplier=m, limits=limits)[
                "expected_profit"
            ].to_numpy()
            for m in (1.0 + h, 1.0 - h, 1.0)
        )
        weight = 1.0 - econ.deposit_elasticity * float(g["deposit_share"])
        num += weight * float((up - down).sum()) / (2 * h)
        den += float(at.sum())
    if den <= 0:
        return None
    return num / den


def policy_outcome(
    rows: pd.DataFrame,
    policy: dict[str, Any],
    econ: Economics,
    pd_values=None,
    score: str = "score",
    pd_column: str = "pd",
) -> dict[str, float]:
    """Approval, bad rate and expected profit of a policy on the rows.

    Parameters
    ----------
    rows : DataFrame
        Applications with ``score`` and the terms fields.
    policy : dict
        ``strategy.json`` or ``Strategy.policy``.
    econ : Economics
    pd_values : array-like, optional
        The PDs the outcome is measured with (e.g. the simulator's true PD); default the
        rows' ``pd_column``.

    Returns
    -------
    dict
        ``approval_rate`` (above the cut-off and within the limits), ``referred_rate``
        (above the cut-off, above a limit), ``bad_rate`` (mean PD of the approved rows),
        ``take_up_rate`` (expected booked leases per application) and
        ``profit_per_application`` (expected profit over all rows, declined ones earning 0).
    """
    p = np.asarray(rows[pd_column] if pd_values is None else pd_values, dtype=float)
    n = len(rows)
    idx, graded = _approved_terms(rows, policy, score)
    approved = np.zeros(n, dtype=bool)
    referred = np.zeros(n, dtype=bool)
    profit = np.zeros(n)
    take_up = np.zeros(n)
    for gi, g in graded:
        sel = idx == gi
        e = expected_profit(rows[sel], p[sel], g, econ, limits=policy.get("limits"))
        booked = e["booked"].to_numpy()
        where = np.flatnonzero(sel)
        approved[where[booked]] = True
        referred[where[~booked]] = True
        profit[sel] = e["expected_profit"].to_numpy()
        take_up[sel] = e["take_up"].to_numpy()
    return {
        "approval_rate": float(approved.mean()) if n else np.nan,
        "referred_rate": float(referred.mean()) if n else np.nan,
        "bad_rate": float(p[approved].mean()) if approved.any() else np.nan,
        "take_up_rate": float(take_up.mean()) if n else np.nan,
        "profit_per_application": float(profit.mean()) if n else np.nan,
    }


def price_sensitivity(
    rows: pd.DataFrame,
    cfg: StrategyConfig | ModelConfig,
    econ: Economics,
    result: Strategy,
    factors=SENSITIVITY_FACTORS,
    score: str = "score",
    pd_column: str = "pd",
    target: str | None = "bad",
) -> pd.DataFrame:
    """The optimised policy under the configured price elasticity times each factor.

    Returns
    -------
    pandas.DataFrame
        Per factor: ``price_elasticity``, ``price_<grade>`` (the multipliers chosen),
        ``approval_rate``, ``bad_rate`` and ``profit_per_application`` of the policy
        optimised under that elasticity, ``chosen_policy_profit`` (the released policy,
        optimised under the configured elasticity, evaluated under this one) and ``regret``
        (what the released policy gives up against the re-optimised one). ``feasible`` is
        false where no policy meets the constraints.
    """

    out = []
    for f in factors:
        e_f = dataclasses.replace(econ, price_elasticity=econ.price_elasticity * float(f))
        row: dict[str, Any] = {"factor": float(f), "price_elasticity": e_f.price_elasticity}
        try:
            r = result if f == 1 else optimise(rows, cfg, e_f, score, pd_column, target)
        except ConfigError:
            r = None
        chosen = policy_outcome(rows, result.policy, e_f, score=score, pd_column=pd_column)
        if r is not None:
            for g in r.policy["grades"]:
                row[f"price_{g['grade']}"] = g["price_multiplier"]
            exp = r.policy["expected"]
            row.update(
                approval_rate=exp["approval_rate"],
                bad_rate=exp["bad_rate"],
                profit_per_application=exp["profit_per_application"],
            )
        row["chosen_policy_profit"] = chosen["profit_per_application"]
        row["regret"] = (
            row["profit_per_application"] - row["chosen_policy_profit"] if r is not None else np.nan
        )
        row["feasible"] = r is not None
        out.append(row)
    return pd.DataFrame(out)


def limit_table(
    rows: pd.DataFrame,
    policy: dict[str, Any],
    econ: Economics,
    score: str = "score",
    pd_column: str = "pd",
    target: str | None = "bad",
) -> pd.DataFrame:
    """The limits by platform history: the evidence for ``strategy.limit_history``.

    Returns
    -------
    pandas.DataFrame
        Per history class (``new``, ``written_off``, ``delinquent``, ``clean``, ``other``):
        ``rows``, ``share``, ``limit_factor``, ``predicted_bad_rate`` (mean PD),
        ``observed_bad_rate`` and ``observed_rows`` (rows with an outcome),
        ``mean_outstanding_rent`` (exposure column), ``approved_share`` (above the cut-off
        and within the limits) and ``referred_share`` (above the cut-off, above a limit).
    """
    limits = policy.get("limits") or {}
    history = limits.get("history")
    cls = history_classes(rows, history)
    p = rows[pd_column].to_numpy(dtype=float)
    y = (
        rows[target].to_numpy(dtype=float)
        if target is not None and target in rows.columns
        else np.full(len(rows), np.nan)
    )
    owed = outstanding_rent(rows, limits.get("exposure_column") or "")
    idx, graded = _approved_terms(rows, policy, score)
    booked = np.zeros(len(rows), dtype=bool)
    for gi, g in graded:
        sel = idx == gi
        e = expected_profit(rows[sel], p[sel], g, econ, limits=limits)
        booked[np.flatnonzero(sel)] = e["booked"].to_numpy()
    above = idx < len(policy["grades"])
    out = []
    for name in HISTORY_CLASSES:
        sel = cls == name
        k = int(sel.sum())
        seen = sel & np.isfinite(y)
        out.append(
            {
                "history": name,
                "rows": k,
                "share": k / len(rows) if len(rows) else np.nan,
                "limit_factor": float(history[name]) if history else 1.0,
                "predicted_bad_rate": float(p[sel].mean()) if k else np.nan,
                "observed_bad_rate": float(y[seen].mean()) if seen.any() else np.nan,
                "observed_rows": int(seen.sum()),
                "mean_outstanding_rent": float(owed[sel].mean()) if k else np.nan,
                "approved_share": float((above & booked)[sel].mean()) if k else np.nan,
                "referred_share": float((above & ~booked)[sel].mean()) if k else np.nan,
            }
        )
    return pd.DataFrame(out)


__all__ = [
    "SENSITIVITY_FACTORS",
    "implied_price_elasticity",
    "limit_table",
    "policy_outcome",
    "price_sensitivity",
]
