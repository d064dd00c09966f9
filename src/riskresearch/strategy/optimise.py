"""Grades and the policy optimiser: cut-off, grade boundaries and deposits maximising
expected profit under a bad-rate ceiling and an approval-rate floor (see
:mod:`riskresearch.strategy`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskresearch import plots  # noqa: F401  (registers inline display of figures)
from riskresearch.config import GradeTerms, ModelConfig, StrategyConfig
from riskresearch.errors import ConfigError, DataError
from riskresearch.pipeline import read_table
from riskresearch.strategy.economics import (
    Economics,
    expected_profit,
    limits_policy,
    profit_inputs,
    profit_on_terms,
)
from riskresearch.tables import filter_mask
from riskresearch.textfmt import json_number

DECLINE = "decline"


# ------------------------------------------------------------------------------------------
# grades
# ------------------------------------------------------------------------------------------
def _grade_rows(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["grades"])


def assign_grades(scores, policy: dict[str, Any]) -> np.ndarray:
    """Grade name of each score under a policy (``strategy.json`` or ``Strategy.policy``).

    A score ``s`` is in the grade with ``min_score <= s < max_score``; below the cut-off (the
    worst grade's ``min_score``) it is ``"decline"``; a missing score is ``"decline"`` too.
    """
    s = np.asarray(scores, dtype=float)
    idx = grade_index(s, policy)
    names = np.asarray([g["grade"] for g in _grade_rows(policy)] + [DECLINE], dtype=object)
    return names[idx]


def grade_index(scores: np.ndarray, policy: dict[str, Any]) -> np.ndarray:
    """Index of each score's grade in ``policy["grades"]`` (best = 0); ``len(grades)`` for a
    decline (below the cut-off or a missing score)."""
    grades = _grade_rows(policy)
    # lower bounds of the grades from the worst up: ascending
    bounds = np.asarray([-np.inf if g["min_score"] is None else g["min_score"] for g in grades])
    ascending = bounds[::-1]
    pos = np.searchsorted(ascending, scores, side="right")  # bounds <= s
    idx = np.where(pos == 0, len(grades), len(grades) - pos)
    return np.where(np.isnan(scores), len(grades), idx)


# ------------------------------------------------------------------------------------------
# optimiser
# ------------------------------------------------------------------------------------------
@dataclass
class Strategy:
    """An optimised strategy and its tables.

    Attributes
    ----------
    policy : dict
        What ``strategy.json`` holds (cut-off, grades with bounds and terms, expectations).
    grades : DataFrame
        Per grade (and decline) on the optimisation rows: bounds, rows, shares, predicted and
        observed bad rate, expected loss and profit per application.
    tradeoff : DataFrame
        Per candidate cut-off: approval rate, predicted and observed bad rate, expected profit
        per application of the best grading and of the flat policy, and whether it meets the
        constraints.
    comparison : DataFrame
        The optimised graded policy next to the best flat single-cut-off policy.
    terms : DataFrame
        The terms table (one row per grade) as applied (deposits and prices as optimised).
    economics : Economics
    """

    policy: dict[str, Any]
    grades: pd.DataFrame
    tradeoff: pd.DataFrame
    comparison: pd.DataFrame
    terms: pd.DataFrame
    economics: Economics
    config: StrategyConfig


def _bins(scores: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantile edges (ascending, distinct) and the bin of each score: bin b holds
    ``edges[b-1] <= s < edges[b]``."""
    qs = np.quantile(scores, np.linspace(0, 1, n_bins + 1)[1:-1], method="nearest")
    edges = np.unique(qs)
    edges = edges[edges > scores.min()]  # the lowest bin is never empty
    return edges, np.searchsorted(edges, scores, side="right")


def optimise(
    rows: pd.DataFrame,
    cfg: StrategyConfig | ModelConfig,
    econ: Economics,
    score: str = "score",
    pd_column: str = "pd",
    target: str | None = "bad",
) -> Strategy:
    """Choose the cut-off, grade boundaries, deposits and prices maximising expected profit.

    Each grade's deposit share comes from ``deposit_options`` (``optimise_deposits``) and its
    price multiplier from ``price_options`` (``optimise_prices``; below 1 a discount, which
    raises the take-up by the price elasticity), else as in the terms table; neither ever
    falls as the grade worsens. The limits follow the customer's platform history and the
    customer exposure (:func:`riskresearch.strategy.limits_policy`): a row above its limit
    earns nothing (the decision engine refers it).

    Parameters
    ----------
    rows : DataFrame
        Optimisation rows (e.g. ``Development.scored("train")``): ``score``, ``pd``, the
        columns of :data:`TERMS_FIELDS`, the platform-history and exposure columns when
        present and, optionally, the observed ``target``.
    cfg : StrategyConfig or ModelConfig
        Terms table, constraints (``max_bad_rate`` on the mean PD of approved rows,
        ``min_approval_rate``), deposit and price options, ``min_grade_share``, ``n_bins``.
    econ : Economics
        From :func:`economics`.
    score, pd_column, target : str
        Column names (``target=None`` or an absent column: no observed bad rates).

    Returns
    -------
    Strategy

    Raises
    ------
    ConfigError
        No cut-off meets both constraints (names them and what the rows allow).
    """
    s = cfg.strategy if isinstance(cfg, ModelConfig) else cfg
    s.check_terms()
    for c in (score, pd_column):
        if c not in rows.columns:
            raise DataError(f"optimise needs the column '{c}'. Score the rows first.")
    sc = rows[score].to_numpy(dtype=float)
    p = rows[pd_column].to_numpy(dtype=float)
    if not (np.isfinite(sc).all() and np.isfinite(p).all()):
        raise DataError("optimise: 'score' or 'pd' has missing values. Drop those rows.")
    y = (
        rows[target].to_numpy(dtype=float)
        if target is not None and target in rows.columns
        else None
    )
    n = len(rows)
    grades = list(s.grades)
    n_grades = len(grades)
    edges, b = _bins(sc, s.n_bins)
    nb = len(edges) + 1
    count = np.bincount(b, minlength=nb).astype(float)
    pd_sum = np.bincount(b, weights=p, minlength=nb)
    if y is not None:  # observed outcomes only (declined or immature rows have none)
        seen = np.isfinite(y)
        bad_sum = np.bincount(b, weights=np.where(seen, y, 0.0), minlength=nb)
        seen_above = np.cumsum(np.bincount(b, weights=seen, minlength=nb)[::-1])[::-1]
    else:
        bad_sum = None
    limits = limits_policy(s, rows.columns)
    deposits = sorted(set(s.deposit_options) | {g.deposit_share for g in grades})
    prices = sorted(set(s.price_options) | {g.price_multiplier for g in grades})
    n_d, n_m = len(deposits), len(prices)
    # option o = (deposit index) * n_m + (price index)
    options = [(dep, m) for dep in deposits for m in prices]
    allowed = np.array(
        [
            [
                ((dep in s.deposit_options) if s.optimise_deposits else dep == g.deposit_share)
                and ((m in s.price_options) if s.optimise_prices else m == g.price_multiplier)
                for dep, m in options
            ]
            for g in grades
        ]
    )
    n_opt = len(options)
    prof = np.full((n_grades, n_opt, nb), -np.inf)
    inputs: dict[int, dict[str, np.ndarray]] = {}  # by maximum term
    for gi, g in enumerate(grades):
        if g.max_term_months not in inputs:
            inputs[g.max_term_months] = profit_inputs(rows, econ, g.max_term_months, limits)
        for oi, (dep, m) in enumerate(options):
            if allowed[gi, oi]:
                e = profit_on_terms(
                    inputs[g.max_term_months], p, econ, dep, m, g.max_device_value, g.max_exposure
                )["expected_profit"]
                prof[gi, oi] = np.bincount(b, weights=e, minlength=nb)
    # prefix sums: S[..., j] = sum of bins < j
    S = np.concatenate([np.zeros((n_grades, n_opt, 1)), np.cumsum(prof, axis=2)], axis=2)
    cum_count = np.concatenate([[0.0], np.cumsum(count)])
    min_rows = max(1.0, math.ceil(s.min_grade_share * n))
    a_idx, b_idx = np.meshgrid(np.arange(nb + 1), np.arange(nb + 1), indexing="ij")
    seg_ok = (b_idx > a_idx) & (cum_count[b_idx] - cum_count[a_idx] >= min_rows)
    # H[g, o, a]: best profit of bins [a, nb) shared by grades g, g-1, ..., 0 (best on top),
    # grade g starting at bin a with deposit option o
    H = np.full((n_grades, n_opt, nb + 1), -np.inf)
    nxt = np.zeros((n_grades, n_opt, nb + 1), dtype=int)  # where grade g ends
    nxt_opt = np.zeros((n_grades, n_opt, nb + 1), dtype=int)  # option of grade g - 1
    with np.errstate(invalid="ignore"):
        for oi in range(n_opt):
            if allowed[0, oi]:
                seg = S[0, oi, nb] - S[0, oi, : nb + 1]
                H[0, oi] = np.where(seg_ok[:, nb], seg, -np.inf)
                nxt[0, oi] = nb
        for g in range(1, n_grades):
            # the better grade's deposit and price must not exceed this one's: best over the
            # options (deposit' <= deposit, price' <= price)
            best_prev, arg_prev = _lower_set_max(H[g - 1], n_d, n_m)
            for oi in range(n_opt):
                if not allowed[g, oi]:
                    continue
                seg = S[g, oi][None, :] - S[g, oi][:, None]  # [a, b] = bins a..b-1
                total = np.where(seg_ok, seg + best_prev[oi][None, :], -np.inf)
                j = np.argmax(total, axis=1)
                H[g, oi] = total[np.arange(nb + 1), j]
                nxt[g, oi] = j
                nxt_opt[g, oi] = arg_prev[oi][j]
    worst = H[n_grades - 1]  # [o, c]: cut-off at bin c
    best_by_cut = worst.max(axis=0)[:nb]
    opt_by_cut = worst.argmax(axis=0)[:nb]
    approved = cum_count[nb] - cum_count[:nb]
    approval = approved / n
    pd_above = np.cumsum(pd_sum[::-1])[::-1]
    bad_rate = pd_above / np.maximum(approved, 1)
    tol = 1e-12
    feasible = (
        (approval >= s.min_approval_rate - tol)
        & (bad_rate <= s.max_bad_rate + tol)
        & np.isfinite(best_by_cut)
    )
    # flat policy: one grade's configured terms above the cut-off
    flat_name = s.flat_grade or grades[n_grades // 2].grade
    flat_terms = next(g for g in grades if g.grade == flat_name)
    flat_rows = expected_profit(rows, p, flat_terms, econ, limits=limits)
    flat_rows = flat_rows["expected_profit"].to_numpy()
    flat_bin = np.bincount(b, weights=flat_rows, minlength=nb)
    flat_by_cut = np.cumsum(flat_bin[::-1])[::-1]
    flat_ok = (approval >= s.min_approval_rate - tol) & (bad_rate <= s.max_bad_rate + tol)
    cut_scores = np.concatenate([[np.nan], edges])  # cut-off at bin c: score >= edges[c - 1]
    tradeoff = pd.DataFrame(
        {
            "cutoff": cut_scores,
            "approval_rate": approval,
            "bad_rate": bad_rate,
            "observed_bad_rate": (
                np.cumsum(bad_sum[::-1])[::-1] / np.where(seen_above > 0, seen_above, np.nan)
                if bad_sum is not None
                else np.nan
            ),
            "profit_graded": best_by_cut / n,
            "profit_flat": flat_by_cut / n,
            "feasible": feasible,
        }
    )
    if not feasible.any():
        ok_approval = approval >= s.min_approval_rate - tol
        lowest = bad_rate[ok_approval].min() if ok_approval.any() else float("nan")
        raise ConfigError(
            f"No cut-off meets strategy.max_bad_rate = {s.max_bad_rate} and "
            f"strategy.min_approval_rate = {s.min_approval_rate} with {n_grades} grades of at "
            f"least strategy.min_grade_share = {s.min_grade_share} of the rows: at that "
            f"approval rate the lowest predicted bad rate is {lowest:.4f}. Relax a constraint."
        )
    cut = int(np.flatnonzero(feasible)[np.argmax(best_by_cut[feasible])])
    # walk the programme back from the worst grade up
    starts, chosen = [0] * n_grades, [0] * n_grades
    a, o = cut, int(opt_by_cut[cut])
    for g in range(n_grades - 1, -1, -1):
        starts[g], chosen[g] = a, o
        a, o = int(nxt[g, o, a]), int(nxt_opt[g, o, a])
    rows_out = []
    for gi, g in enumerate(grades):
        lo = starts[gi]
        hi = nb if gi == 0 else starts[gi - 1]
        rows_out.append(
            {
                **g.model_dump(),
                "deposit_share": float(options[chosen[gi]][0]),
                "price_multiplier": float(options[chosen[gi]][1]),
                "min_score": None if lo == 0 else float(edges[lo - 1]),
                "max_score": None if hi == nb else float(edges[hi - 1]),
            }
        )
    policy = {
        "cutoff": rows_out[-1]["min_score"],
        "grades": rows_out,
        "constraints": {
            "max_bad_rate": s.max_bad_rate,
            "min_approval_rate": s.min_approval_rate,
        },
        "limits": limits,
    }
    table = grade_table(rows, policy, econ, score=score, pd_column=pd_column, target=target)
    _attach_expectations(policy, table)
    flat_cut = int(np.flatnonzero(flat_ok)[np.argmax(flat_by_cut[flat_ok])]) if flat_ok.any() else 0
    comparison = pd.DataFrame(
        [
            {
                "policy": "graded (optimised)",
                "cutoff": policy["cutoff"],
                "approval_rate": approval[cut],
                "bad_rate": bad_rate[cut],
                "observed_bad_rate": tradeoff["observed_bad_rate"].iloc[cut],
                "profit_per_application": best_by_cut[cut] / n,
            },
            {
                "policy": f"flat (grade {flat_name} terms)",
                "cutoff": cut_scores[flat_cut],
                "approval_rate": approval[flat_cut],
                "bad_rate": bad_rate[flat_cut],
                "observed_bad_rate": tradeoff["observed_bad_rate"].iloc[flat_cut],
                "profit_per_application": flat_by_cut[flat_cut] / n if flat_ok.any() else np.nan,
            },
        ]
    )
    policy["expected"] = {
        "approval_rate": float(approval[cut]),
        "bad_rate": float(bad_rate[cut]),
        "observed_bad_rate": json_number(tradeoff["observed_bad_rate"].iloc[cut]),
        "profit_per_application": float(best_by_cut[cut] / n),
        "flat_profit_per_application": json_number(comparison["profit_per_application"].iloc[1]),
    }
    terms = pd.DataFrame([{k: g[k] for k in GradeTerms.model_fields} for g in rows_out])
    return Strategy(policy, table, tradeoff, comparison, terms, econ, s)


def _lower_set_max(h: np.ndarray, n_d: int, n_m: int) -> tuple[np.ndarray, np.ndarray]:
    """``best[o, j]`` = max of ``h[o', j]`` over the options ``o'`` whose deposit and price
    are both at most those of ``o`` (``o = deposit index * n_m + price index``), and
    ``arg[o, j]`` the ``o'`` attaining it (the lowest deposit, then price, on ties)."""
    k = h.shape[-1]
    best = h.reshape(n_d, n_m, k).copy()
    arg = np.broadcast_to(np.arange(n_d * n_m).reshape(n_d, n_m, 1), best.shape).copy()
    for axis in (0, 1):  # running maximum along deposits, then along prices
        for i in range(1, best.shape[axis]):
            cur = (slice(None),) * axis + (i,)
            prev = (slice(None),) * axis + (i - 1,)
            take = best[prev] >= best[cur]
            best[cur] = np.where(take, best[prev], best[cur])
            arg[cur] = np.where(take, arg[prev], arg[cur])
    return best.reshape(n_d * n_m, k), arg.reshape(n_d * n_m, k)


def grade_table(
    rows: pd.DataFrame,
    policy: dict[str, Any],
    econ: Economics,
    score: str = "score",
    pd_column: str = "pd",
    target: str | None = "bad",
) -> pd.DataFrame:
    """Per grade (best first, then ``decline``): score bounds, rows, share of all rows and of
    the approved rows, predicted bad rate (mean PD), observed bad rate (when ``target`` is a
    column), expected loss and expected profit per application on the grade's terms and the
    policy's ``limits`` (0 for decline), and the share of the grade's rows within the limits
    (``booked_share``; the rest are referred).
    """
    sc = rows[score].to_numpy(dtype=float)
    p = rows[pd_column].to_numpy(dtype=float)
    y = (
        rows[target].to_numpy(dtype=float)
        if target is not None and target in rows.columns
        else None
    )
    idx = grade_index(sc, policy)
    grades = _grade_rows(policy)
    n = len(rows)
    n_approved = int((idx < len(grades)).sum())
    out = []
    for gi, g in enumerate([*grades, {"grade": DECLINE}]):
        sel = idx == gi
        k = int(sel.sum())
        if gi < len(grades) and k:
            e = expected_profit(rows[sel], p[sel], g, econ, limits=policy.get("limits"))
            loss, profit = float(e["expected_loss"].mean()), float(e["expected_profit"].mean())
            booked = float(e["booked"].mean())
        else:
            loss = profit = 0.0 if k else np.nan
            booked = np.nan
        out.append(
            {
                "grade": g["grade"],
                "min_score": g.get("min_score") if gi < len(grades) else None,
                "max_score": g.get("max_score") if gi < len(grades) else policy["cutoff"],
                "rows": k,
                "share": k / n if n else np.nan,
                "approval_share": (k / n_approved if n_approved else np.nan)
                if gi < len(grades)
                else np.nan,
                "predicted_bad_rate": float(p[sel].mean()) if k else np.nan,
                "observed_bad_rate": _observed(y, sel),
                "observed_rows": int(np.isfinite(y[sel]).sum()) if y is not None else 0,
                "expected_loss": loss,
                "expected_profit": profit,
                "booked_share": booked,
            }
        )
    return pd.DataFrame(out)


def _observed(y: np.ndarray | None, sel: np.ndarray) -> float:
    if y is None:
        return np.nan
    v = y[sel]
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else np.nan


def applies_to(cfg: ModelConfig) -> dict[str, Any]:
    """Application filter the strategy covers: ``data.filter`` without the outcome flags
    (``reject_inference.declined_exempt``, e.g. ``bad_mature``)."""
    exempt = set(cfg.reject_inference.declined_exempt)
    return {k: v for k, v in cfg.data.filter.items() if k not in exempt}


def through_the_door(
    cfg: ModelConfig, sample: pd.DataFrame | None = None, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every application the strategy decides on: the rows of ``data.table`` matching
    :func:`applies_to` (e.g. ``segment = consumer``), approved or declined, within the date
    range of ``sample`` (e.g. ``Development.train``) when the config has a date column.

    The target stays where it was observed (``data.filter``'s outcome flags pass, e.g.
    ``bad_mature``) and is NaN elsewhere (declined or immature rows), so approval rates are
    over all applicants and observed bad rates over the rows with an outcome. ``table`` is the
    modeling table already read (``pipeline.read_table(cfg)``, left unchanged): read once.
    """
    df = read_table(cfg) if table is None else table
    missing = [c for c in applies_to(cfg) if c not in df.columns]
    if missing:
        raise DataError(f"The modeling table lacks the column '{missing[0]}' of data.filter.")
    keep = filter_mask(df, applies_to(cfg))
    date = cfg.data.date_column
    if date and sample is not None and len(sample):
        when = pd.to_datetime(df[date])
        keep &= ((when >= sample[date].min()) & (when <= sample[date].max())).to_numpy()
    df = df[keep].reset_index(drop=True)
    if date:
        df[date] = pd.to_datetime(df[date])
    applies = applies_to(cfg)
    observed = filter_mask(df, {c: v for c, v in cfg.data.filter.items() if c not in applies})
    target = cfg.data.target
    y = pd.to_numeric(df[target], errors="coerce").to_numpy(dtype=float)
    df[target] = np.where(observed, y, np.nan)
    return df


def _attach_expectations(policy: dict[str, Any], table: pd.DataFrame) -> None:
    by = table.set_index("grade")
    for g in policy["grades"]:
        r = by.loc[g["grade"]]
        g.update(
            {
                "expected_bad_rate": json_number(r["predicted_bad_rate"]),
                "observed_bad_rate": json_number(r["observed_bad_rate"]),
                "share": json_number(r["share"]),
                "approval_share": json_number(r["approval_share"]),
                "expected_loss": json_number(r["expected_loss"]),
                "expected_profit": json_number(r["expected_profit"]),
                "rows": int(r["rows"]),
            }
        )
    r = by.loc[DECLINE]
    policy["decline"] = {
        "grade": DECLINE,
        "max_score": policy["cutoff"],
        "expected_bad_rate": json_number(r["predicted_bad_rate"]),
        "observed_bad_rate": json_number(r["observed_bad_rate"]),
        "share": json_number(r["share"]),
        "rows": int(r["rows"]),
    }


def tradeoff_plot(result: Strategy) -> Figure:
    """Approval rate against predicted bad rate and expected profit per application, for
    every cut-off: the graded policy's best profit, the flat policy's, the constraints and the
    chosen policy."""
    t = result.tradeoff
    c = result.config
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(t["approval_rate"], t["bad_rate"], color="tab:red", label="predicted bad rate")
    if t["observed_bad_rate"].notna().any():
        ax1.plot(
            t["approval_rate"],
            t["observed_bad_rate"],
            color="tab:red",
            ls=":",
            label="observed bad rate",
        )
    ax1.axhline(c.max_bad_rate, color="gray", ls="--", lw=1, label="max bad rate")
    ax1.axvline(c.min_approval_rate, color="gray", ls="-.", lw=1, label="min approval rate")
    exp = result.policy["expected"]
    ax1.scatter([exp["approval_rate"]], [exp["bad_rate"]], color="black", zorder=3, label="chosen")
    ax1.set_xlabel("Approval rate")
    ax1.set_ylabel("Bad rate of approved")
    ax1.set_title("Approval vs bad rate")
    ax1.legend(loc="upper left", fontsize=8)
    ax2.plot(t["approval_rate"], t["profit_graded"], color="tab:green", label="graded (optimised)")
    ax2.plot(t["approval_rate"], t["profit_flat"], color="tab:blue", label="flat cut-off")
    feasible = t["feasible"].to_numpy()
    if feasible.any():
        ax2.axvspan(
            t["approval_rate"][feasible].min(),
            t["approval_rate"][feasible].max(),
            color="tab:green",
            alpha=0.08,
            label="meets constraints",
        )
    ax2.scatter([exp["approval_rate"]], [exp["profit_per_application"]], color="black", zorder=3)
    ax2.set_xlabel("Approval rate")
    ax2.set_ylabel("Expected profit per application")
    ax2.set_title("Approval vs expected profit")
    ax2.legend(loc="lower left", fontsize=8)
    return fig
