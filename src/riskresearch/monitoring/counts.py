"""Integer count tables: everything monitoring measures is computed from them.

:func:`partition_counts` turns one pandas frame (a whole month of data, or one Dask
partition) into counts per month: rows per bin of the score and of every scorecard feature,
rows and events per score value for the target and the early indicators, and the values of
never-seen categories. Counts add up across partitions, so the pandas path (one partition) and
the Dask path (:func:`dask_counts`: ``map_partitions``, then a sum) give identical figures
without collecting any rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskresearch.monitoring._common import SCORE, category_keys, month_of, scorecard_variables
from riskresearch.scoring import Scorer
from riskresearch.tables import filter_mask
from riskresearch.woe import NUMERICAL

COLUMNS = ("kind", "month", "variable", "bin", "text", "n", "events")
KEYS = ["kind", "month", "variable", "bin", "text"]


def empty_counts() -> pd.DataFrame:
    """A count table with no rows (the Dask ``meta``)."""
    return pd.DataFrame(
        {
            "kind": pd.Series(dtype=object),
            "month": pd.Series(dtype=object),
            "variable": pd.Series(dtype=object),
            "bin": pd.Series(dtype="float64"),
            "text": pd.Series(dtype=object),
            "n": pd.Series(dtype="int64"),
            "events": pd.Series(dtype="int64"),
        }
    )


def prepare(frame: pd.DataFrame, scorer: Scorer) -> pd.DataFrame:
    """Columns the scorer can read whatever the input's dtypes: a missing feature is all
    missing, text in a numerical feature is missing, categories are spelled as in training."""
    out = frame.copy(deep=False)
    for _, _, _, bins in scorecard_variables(scorer):
        name = bins.name
        if name not in out.columns:
            out[name] = np.nan
            continue
        s = out[name]
        if bins.dtype == NUMERICAL:
            if not (pd.api.types.is_numeric_dtype(s) or s.dtype == bool):
                out[name] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            out[name] = category_keys(s)
    return out


def partition_counts(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """Count tables of one frame (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        Modeling-table rows (any months; filtered here).
    spec : dict
        From :meth:`riskresearch.monitoring.Baseline.spec`: ``scorecard`` (dict),
        ``population`` (the application filter), ``outcome_filter`` (``data.filter``),
        ``date_column``, ``target``, ``indicators`` ({outcome: maturity column}), ``exclude``
        (rows left out of the outcome counts, e.g. confirmed fraud),
        ``score_edges`` and optionally ``months`` (``[first, last]`` inclusive, ``'YYYY-MM'``).
    """
    scorer = Scorer(spec["scorecard"])
    rows = frame[filter_mask(frame, spec["population"])]
    month = month_of(rows[spec["date_column"]]).to_numpy(dtype=object)
    first, last = (spec.get("months") or [None, None])[:2]
    keep = np.array([m is not None and m == m for m in month], dtype=bool)
    if first is not None:
        keep &= month >= first
    if last is not None:
        keep &= month <= last
    rows, month = rows[keep], month[keep]
    parts = []
    if len(rows):
        data = prepare(rows, scorer)
        score = scorer.score(data).to_numpy()
        edges = np.asarray(spec["score_edges"], dtype=float)
        parts.append(_bin_counts(month, SCORE, np.searchsorted(edges, score, side="right")))
        for key, _seg, when, bins in scorecard_variables(scorer):
            mask = _segment_mask(data, scorer, when)
            if bins.name in rows.columns:  # the raw column: text in a number counts as Unseen
                raw = rows[bins.name][mask]
                parts.append(_bin_counts(month[mask], key, bins.index(raw)))
                parts.append(_unseen_counts(month[mask], key, bins, raw))
            else:  # the feature is absent: every row is Missing
                idx = np.full(int(mask.sum()), bins.feature.n_regular + 1, dtype=np.int64)
                parts.append(_bin_counts(month[mask], key, idx))
        parts += _outcome_counts(rows, month, score, spec)
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_counts()
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)]


def _segment_mask(data: pd.DataFrame, scorer: Scorer, when: dict) -> np.ndarray:
    if len(scorer.segments) == 1:
        return np.ones(len(data), dtype=bool)
    return filter_mask(data, when)  # first match wins in scoring; segments do not overlap here


def _bin_counts(month: np.ndarray, variable: str, idx: np.ndarray) -> pd.DataFrame:
    g = (
        pd.DataFrame({"month": month, "bin": idx.astype(float)})
        .groupby(["month", "bin"], sort=True)
        .size()
        .reset_index(name="n")
    )
    return g.assign(kind="stability", variable=variable, text=None, events=0)


def _unseen_counts(month, key: str, bins, values: pd.Series) -> pd.DataFrame:
    mask = bins.index(values) == bins.unseen
    if not mask.any():
        return empty_counts()
    if bins.dtype == NUMERICAL:
        text = values[mask].astype(str).to_numpy(dtype=object)
    else:
        text = category_keys(values[mask]).to_numpy(dtype=object)
    g = (
        pd.DataFrame({"month": month[mask], "text": text})
        .groupby(["month", "text"], sort=True)
        .size()
        .reset_index(name="n")
    )
    return g.assign(kind="unseen", variable=key, bin=np.nan, events=0)


def _outcome_counts(rows: pd.DataFrame, month, score, spec) -> list[pd.DataFrame]:
    out = []
    outcomes = [(spec["target"], spec["outcome_filter"], None)]
    outcomes += [(name, {}, flag) for name, flag in spec["indicators"].items()]
    excluded = np.zeros(len(rows), dtype=bool)
    for col, value in (spec.get("exclude") or {}).items():
        if col in rows.columns:
            excluded |= filter_mask(rows, {col: value})
    for name, where, flag in outcomes:
        if name not in rows.columns or (flag is not None and flag not in rows.columns):
            continue
        if any(c not in rows.columns for c in where):
            continue
        keep = filter_mask(rows, where) & ~excluded
        if flag is not None:
            keep &= rows[flag].fillna(False).to_numpy(dtype=bool)
        y = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)
        keep &= ~np.isnan(y)
        if not keep.any():
            continue
        g = (
            pd.DataFrame({"month": month[keep], "bin": score[keep], "y": y[keep] > 0.5})
            .groupby(["month", "bin"], sort=True)
            .agg(n=("y", "size"), events=("y", "sum"))
            .reset_index()
        )
        out.append(g.assign(kind="performance", variable=name, text=None))
    return out


def total(counts: pd.DataFrame) -> pd.DataFrame:
    """Sum count tables over partitions (integer sums: the order does not matter)."""
    if counts.empty:
        return empty_counts()
    g = counts.groupby(KEYS, sort=True, dropna=False)[["n", "events"]].sum().reset_index()
    g["n"] = g["n"].astype("int64")
    g["events"] = g["events"].astype("int64")
    return g[list(COLUMNS)]


def frame_counts(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """:func:`partition_counts` of a pandas frame, summed."""
    return total(partition_counts(frame, spec))


def dask_counts(ddf, spec: dict[str, Any]) -> pd.DataFrame:
    """:func:`partition_counts` mapped over the partitions of a ``dask.dataframe``, then summed.

    Only the (small) count tables leave the workers; the rows are never collected.
    """
    parts = ddf.map_partitions(partition_counts, spec, meta=empty_counts())
    return total(parts.compute())
