"""Shared pieces of monitoring: months, the scorecard's bins of a feature, severities (PSI is
:func:`riskresearch.metrics.psi`)."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.errors import DataError
from riskresearch.scoring import ScoredFeature, Scorer
from riskresearch.woe import NUMERICAL, category_keys

BASELINE_FORMAT = "riskresearch.monitoring_baseline/1"
ALERTS_FORMAT = "riskresearch.monitoring_alerts/1"
SEVERITIES = ("green", "amber", "red")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
SCORE = "score"  # the variable name of the score in the stability tables


def month_of(values) -> pd.Series:
    """Calendar month (``'YYYY-MM'`` text) of dates, timestamps or date strings."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    when = pd.to_datetime(s, errors="coerce")
    return when.dt.strftime("%Y-%m")


def worst(severities) -> str:
    """The worst of some severities (green when none)."""
    ranks = [RANK[s] for s in severities]
    return SEVERITIES[max(ranks)] if ranks else "green"


class FeatureBins:
    """A scorecard feature's bins as monitoring counts them.

    Bins ``0 .. n_regular - 1`` are the scorecard's regular bins, then ``Special``,
    ``Missing`` and ``Unseen`` (a category never seen in development, or text in a numerical
    column): ``n_regular + 3`` in all, the same for every month.
    """

    def __init__(self, name: str, spec: dict[str, Any]):
        self.name = name
        self.feature = ScoredFeature(name, spec)
        self.dtype = self.feature.dtype
        self.n_bins = self.feature.n_regular + 3
        f = self.feature
        if self.dtype == NUMERICAL:
            edges = ["-inf", *(f"{s:g}" for s in f.split_list), "inf"]
            regular = [f"[{a}, {b})" for a, b in itertools.pairwise(edges)]
        else:
            regular = [_group_label(g) for g in spec["groups"]]
        self.labels = [*regular, "Special", "Missing", "Unseen"]

    @property
    def unseen(self) -> int:
        return self.n_bins - 1

    def index(self, s: pd.Series) -> np.ndarray:
        """Bin of every value (numpy int array): the scorer's own lookup
        (:meth:`riskresearch.scoring.ScoredFeature.bin_index`), text in a numerical column
        counted as Unseen."""
        return self.feature.bin_index(s, text="unseen").astype(np.int64, copy=False)

    def unseen_values(self, s: pd.Series) -> pd.Series:
        """Counts of the values that fall in the Unseen bin (text, as given)."""
        mask = self.index(s) == self.unseen
        if not mask.any():
            return pd.Series(dtype="int64")
        shown = category_keys(s[mask]) if self.dtype != NUMERICAL else s[mask].astype(str)
        return shown.value_counts()


def _group_label(group: list[str], show: int = 4) -> str:
    shown = ", ".join(group[:show])
    return f"{{{shown}{', ...' if len(group) > show else ''}}}"


def dtype_kind(s_or_dtype) -> str:
    """``'numeric'``, ``'bool'`` or ``'text'``: what monitoring checks a column's type against."""
    dtype = getattr(s_or_dtype, "dtype", s_or_dtype)
    if str(dtype) in ("bool", "boolean"):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "text"


def scorecard_variables(scorer: Scorer) -> list[tuple[str, str | None, dict, FeatureBins]]:
    """``(key, segment, when, bins)`` of every scorecard feature; the key is the feature name,
    or ``segment/feature`` for a segmented scorecard."""
    out = []
    for seg in scorer.segments:
        for f in seg["card"].features:
            spec = _spec_of(scorer.model, seg["name"], f.name)
            key = f.name if seg["name"] is None else f"{seg['name']}/{f.name}"
            out.append((key, seg["name"], seg["when"], FeatureBins(f.name, spec)))
    return out


def _spec_of(model: dict, segment: str | None, name: str) -> dict:
    if segment is None:
        return model["features"][name]
    for s in model["segments"]:
        if s["name"] == segment:
            return s["scorecard"]["features"][name]
    raise DataError(f"The scorecard has no segment '{segment}'.")


def rounded(obj: Any, digits: int = 10) -> Any:
    """JSON-ready copy with floats rounded (NaN -> None), so written files are reproducible."""
    if isinstance(obj, dict):
        return {str(k): rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [rounded(v, digits) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return None if not np.isfinite(v) else round(v, digits)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write JSON with sorted keys, indent 1 and rounded floats (byte-reproducible)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rounded(data), indent=1, sort_keys=True) + "\n")
    return path
