"""Statistics from count tables: AUC and KS of a score histogram, grades, actual vs expected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from riskresearch.partners.stats import ae_stats


def histogram_auc_ks(score, n, events) -> tuple[float, float]:
    """AUC and KS of a score (higher = better) from rows and bads per distinct score value.

    Equals :func:`riskresearch.metrics.auc` / ``ks`` on the rows themselves (ties count one
    half), since the PD is a decreasing function of the score.

    Examples
    --------
    >>> histogram_auc_ks([1, 2], [2, 2], [1, 0])  # bads at score 1, goods at 1 and 2
    (0.75, 0.5)
    """
    s = np.asarray(score, dtype=float)
    n = np.asarray(n, dtype=float)
    bad = np.asarray(events, dtype=float)
    order = np.argsort(s, kind="stable")
    s, n, bad = s[order], n[order], bad[order]
    good = n - bad
    nb, ng = bad.sum(), good.sum()
    if nb <= 0 or ng <= 0:
        return float("nan"), float("nan")
    # P(score of a random good > score of a random bad) + half the ties
    goods_below = np.cumsum(good) - good
    auc = float(np.sum(bad * (ng - goods_below - good)) + 0.5 * np.sum(bad * good)) / (nb * ng)
    ks = float(np.max(np.abs(np.cumsum(bad) / nb - np.cumsum(good) / ng)))
    return auc, ks


def auc_se(auc: float, n_bad: float, n_good: float) -> float:
    """Hanley-McNeil standard error of an AUC."""
    if not (n_bad > 0 and n_good > 0) or not np.isfinite(auc):
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_bad - 1) * (q1 - auc**2) + (n_good - 1) * (q2 - auc**2)) / (
        n_bad * n_good
    )
    return math.sqrt(max(var, 0.0))


def grade_of(score, grades: list[dict[str, Any]]) -> np.ndarray:
    """Index of each score's grade in ``grades`` (best first, each ``min_score <= s <
    max_score``; ``None`` bounds are open). A score no grade holds gets ``len(grades)``."""
    s = np.asarray(score, dtype=float)
    out = np.full(s.shape, len(grades), dtype=np.int64)
    for i in range(len(grades) - 1, -1, -1):
        g = grades[i]
        lo = -np.inf if g.get("min_score") is None else g["min_score"]
        hi = np.inf if g.get("max_score") is None else g["max_score"]
        out[(s >= lo) & (s < hi)] = i
    return out


def expected_by_grade(
    perf: pd.DataFrame, grades: list[dict], rates: dict[str, list]
) -> pd.DataFrame:
    """Rows, events and expected events per month, outcome and grade.

    ``perf`` holds ``month, variable (outcome), bin (score), n, events``; ``rates[outcome]`` the
    development rate of each grade (None where the grade had no development rows: those rows
    get no expectation and are left out of the expected-vs-actual sums).
    """
    if perf.empty:
        return pd.DataFrame(
            columns=["month", "outcome", "grade", "n", "events", "expected", "expected_sq"]
        )
    g = perf.assign(grade_i=grade_of(perf["bin"], grades))
    g = g.groupby(["month", "variable", "grade_i"], sort=True)[["n", "events"]].sum().reset_index()
    names = [x["grade"] for x in grades] + ["(none)"]
    lookup = {
        (v, i): np.nan if r is None else float(r)
        for v, values in rates.items()
        for i, r in enumerate(values)
    }
    rate = np.array(
        [lookup.get((v, i), np.nan) for v, i in zip(g["variable"], g["grade_i"], strict=True)],
        dtype=float,
    )
    return pd.DataFrame(
        {
            "month": g["month"],
            "outcome": g["variable"],
            "grade": [names[i] for i in g["grade_i"]],
            "grade_index": g["grade_i"],
            "n": g["n"].astype("int64"),
            "events": g["events"].astype("int64"),
            "rate": g["events"] / g["n"],
            "expected_rate": rate,
            "expected": g["n"] * rate,
            "expected_sq": g["n"] * rate**2,
        }
    )


def ae_table(by_grade: pd.DataFrame, keys: list[str], level: float) -> pd.DataFrame:
    """Actual vs expected events per ``keys`` with the Poisson-binomial score interval."""
    known = by_grade[by_grade["expected_rate"].notna()]
    g = known.groupby(keys, sort=True)[["n", "events", "expected", "expected_sq"]].sum()
    g = g.reset_index()
    stats = ae_stats(g["events"], g["expected"], g["expected_sq"], level)
    out = pd.concat([g.reset_index(drop=True), stats], axis=1)
    out["rate"] = out["events"] / out["n"]
    out["expected_rate"] = out["expected"] / out["n"]
    return out.drop(columns="expected_sq")


def z_of(level: float) -> float:
    return float(norm.ppf(0.5 + level / 2))
