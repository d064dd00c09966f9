"""Personal information and fairness: prohibited features, their proxies, and outcomes by
protected group.

Rules on personal information (China's PIPL on sensitive personal information; fair-lending
rules elsewhere) restrict what may drive a credit decision. ``fairness.prohibited`` lists
columns a release must not use (e.g. ethnicity, religion, health, exact location): a config
that names one as a feature is refused, and when the table holds such a column (for testing
only) it is never a candidate and every candidate whose association with it reaches
``fairness.proxy_threshold`` is left out as its proxy. ``fairness.protected`` lists groups
(e.g. gender, age bands) whose approval rate, bad rate and scores the release reports, with the
adverse-impact ratio (a group's approval rate over the best-treated group's; below 0.8 fails
the usual four-fifths rule).

Association is Cramér's V between the two columns, numbers cut into (at most) 10 quantile
bins and missing values a level of their own, so numeric, categorical and mixed pairs share
one scale from 0 (independent) to 1 (one determines the other).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from riskresearch.config import ModelConfig

#: Quantile bins a numeric column is cut into for the association.
LEVELS = 10
#: Adverse-impact ratio below which a group fails the four-fifths rule.
FOUR_FIFTHS = 0.8


def _levels(s: pd.Series) -> np.ndarray:
    """Integer codes of a column's levels (numbers: quantile bins; missing: a level)."""
    if pd.api.types.is_numeric_dtype(s) and s.dtype != bool and s.nunique() > LEVELS:
        codes = pd.qcut(s.astype(float), LEVELS, labels=False, duplicates="drop")
        return np.where(codes.isna(), -1, codes).astype(int)
    codes, _ = pd.factorize(s.astype("string"), use_na_sentinel=True)
    return codes


def association(x: pd.Series, y: pd.Series) -> float:
    """Cramér's V between two columns (0 = independent, 1 = one determines the other)."""
    a, b = _levels(x), _levels(y)
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1)
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def proxies(
    df: pd.DataFrame, features: list[str], prohibited: list[str], threshold: float
) -> pd.DataFrame:
    """Candidates associated with a prohibited column of ``df`` at ``threshold`` or more.

    Returns one row per (feature, prohibited column) pair at or above the threshold:
    ``feature``, ``prohibited``, ``association``; the strongest pair per feature first.
    """
    present = [c for c in prohibited if c in df.columns]
    rows = [
        {"feature": f, "prohibited": p, "association": association(df[f], df[p])}
        for f in features
        if f not in present
        for p in present
    ]
    out = pd.DataFrame(rows, columns=["feature", "prohibited", "association"])
    out = out[out["association"] >= threshold]
    return out.sort_values(["feature", "association"], ascending=[True, False]).reset_index(
        drop=True
    )


def groups_of(df: pd.DataFrame, column: str, edges: list[float] | None) -> pd.Series:
    """The protected group of each row: the column's value, or its band between ``edges``
    (e.g. age ``[25, 35, 50]`` gives ``<25``, ``25-35``, ``35-50``, ``50+``)."""
    s = df[column]
    if edges is None:
        return s.astype("string").fillna("missing")
    edges = sorted(float(e) for e in edges)
    labels = [f"<{edges[0]:g}"]
    labels += [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(edges)]
    labels += [f"{edges[-1]:g}+"]
    band = pd.cut(s.astype(float), [-np.inf, *edges, np.inf], right=False, labels=labels)
    return band.astype("string").fillna("missing")


def fairness_table(
    cfg: ModelConfig, rows: pd.DataFrame, score: np.ndarray, cutoff: float | None = None
) -> pd.DataFrame:
    """Approval rate, bad rate and scores by protected group (``fairness.protected``).

    Parameters
    ----------
    cfg : ModelConfig
    rows : DataFrame
        Scored applications (e.g. the test rows) with the protected columns and the target.
    score : array
        Their scores (higher is better).
    cutoff : float, optional
        Approve at or above this score; default the score that approves
        ``fairness.approval_rate`` of ``rows``.

    Returns
    -------
    DataFrame
        ``attribute``, ``group``, ``rows``, ``share``, ``approval_rate``, ``bad_rate`` (observed,
        rows with an outcome), ``approved_bad_rate``, ``mean_score``, ``score_p10``,
        ``score_p50``, ``score_p90``, ``adverse_impact_ratio`` (approval rate over the highest
        group's in the attribute) and ``four_fifths`` (ratio >= 0.8). Empty without protected
        columns in ``rows``.
    """
    f = cfg.fairness
    score = np.asarray(score, dtype=float)
    if cutoff is None:
        cutoff = float(np.quantile(score, 1 - f.approval_rate)) if len(score) else 0.0
    approved = score >= cutoff
    target = cfg.data.target
    y = pd.to_numeric(rows[target], errors="coerce").to_numpy() if target in rows else None
    out = []
    for column, edges in f.protected.items():
        if column not in rows.columns:
            continue
        group = groups_of(rows, column, edges).to_numpy()
        block = []
        for g in pd.unique(group):
            m = group == g
            s = score[m]
            yy = y[m] if y is not None else np.array([])
            known = ~np.isnan(yy) if len(yy) else np.array([], dtype=bool)
            ok_known = known & approved[m] if len(yy) else known
            block.append(
                {
                    "attribute": column,
                    "group": str(g),
                    "rows": int(m.sum()),
                    "share": float(m.mean()),
                    "approval_rate": float(approved[m].mean()),
                    "bad_rate": float(yy[known].mean()) if known.any() else np.nan,
                    "approved_bad_rate": float(yy[ok_known].mean()) if ok_known.any() else np.nan,
                    "mean_score": float(s.mean()),
                    "score_p10": float(np.quantile(s, 0.1)),
                    "score_p50": float(np.quantile(s, 0.5)),
                    "score_p90": float(np.quantile(s, 0.9)),
                }
            )
        best = max(b["approval_rate"] for b in block) if block else 0.0
        for b in sorted(block, key=lambda r: r["group"]):
            b["adverse_impact_ratio"] = b["approval_rate"] / best if best > 0 else np.nan
            b["four_fifths"] = bool(b["adverse_impact_ratio"] >= FOUR_FIFTHS)
            out.append(b)
    columns = [
        "attribute",
        "group",
        "rows",
        "share",
        "approval_rate",
        "bad_rate",
        "approved_bad_rate",
        "mean_score",
        "score_p10",
        "score_p50",
        "score_p90",
        "adverse_impact_ratio",
        "four_fifths",
    ]
    return pd.DataFrame(out, columns=columns)
