"""Dependency-light scoring from an exported scorecard (JSON), and its SQL translation.

Needs numpy and pandas only: no scikit-learn, optbinning or OR-Tools, so a release can be
scored anywhere. A :class:`Scorer` gives the same points as the fitted scorecard, batch
(vectorised) or one application at a time, and reason codes; :meth:`Scorer.to_sql` writes one
``CASE WHEN`` expression that DuckDB evaluates to the same scores.

Inputs are read as the scorecard declares them, whatever their column's dtype: a categorical
value is compared as its :func:`riskresearch.woe.category_key` (``31``, ``31.0``, ``'31'`` and
``'31.0'`` are all ``'31'``), a numerical one as a number (text that reads as a number is that
number). So a value scores the same whatever else is in its column: one blank cell that turns
an integer column into floats changes no other row. Fitting uses the same rule.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.atomic import input_file
from riskresearch.errors import DataError
from riskresearch.tables import filter_mask, read_header, read_table
from riskresearch.textfmt import number_text
from riskresearch.woe import (
    CATEGORICAL,
    NUMERICAL,
    WHOLE_TEXT_SQL,
    as_frame,
    category_key,
    check_columns,
    is_missing,
    to_number,
    to_numbers,
)

SCORECARD_FORMAT = "riskresearch.scorecard/1"
SEGMENTED_FORMAT = "riskresearch.segmented_scorecard/1"


def scaling(pdo: float, base_score: float, base_odds: float) -> tuple[float, float]:
    """``(offset, factor)`` of the points scale: ``factor = pdo / ln 2``, ``offset =
    base_score - factor * ln(base_odds)`` (score = offset + factor * ln(good:bad odds))."""
    factor = pdo / math.log(2)
    return base_score - factor * math.log(base_odds), factor


def score_to_pd(score, offset: float, factor: float):
    """Probability of bad implied by a score on the scale ``(offset, factor)``:
    ``1 / (1 + exp((score - offset) / factor))``. A float gives a float, an array an array."""
    z = (score - offset) / factor
    return 1.0 / (1.0 + (math.exp(z) if type(z) is float else np.exp(z)))


@dataclass(frozen=True)
class ScoreDetails:
    """What :meth:`Scorer.explain` (arrays, one value per row) and
    :meth:`Scorer.explain_one` (one value) give.

    Attributes
    ----------
    score, pd : ndarray or float
        Score and the PD its segment's scale implies (:func:`score_to_pd`); NaN where a
        feature's column (key) is absent or the row matches no segment.
    reasons : list
        ``n_reasons`` entries: the features costing the most points relative to their best
        bin, as :meth:`Scorer.reason_codes` ranks them (object arrays, or str); None where
        no (further) feature costs points.
    unmatched : ndarray of bool, bool or None
        Rows matching no segment of a segmented scorecard; None (batch) when the scorecard
        has one segment or the input lacks a segment column (then no row is scored).
    problems : list
        Values of numerical features that were read as Missing: text that is not a number
        (``invalid_value:<feature>``) or +/-inf (``out_of_range:<feature>``), in scoring
        order: ``(reason, row mask)`` pairs (batch) or reasons (one application).
    """

    score: Any
    pd: Any
    reasons: list
    unmatched: Any
    problems: list


def _number(value: Any) -> tuple[float, str | None]:
    """One value of a numerical feature as float, read leniently: NaN when missing, not a
    number (``invalid_value``) or +/-inf (``out_of_range``), with that problem."""
    x = to_number(value)
    if x is None:
        return math.nan, "invalid_value"
    if math.isinf(x):
        return math.nan, "out_of_range"
    return x, None


class ScoredFeature:
    """One scorecard feature compiled for fast lookup."""

    def __init__(self, name: str, d: Mapping[str, Any]):
        self.name = name
        self.dtype = d["dtype"]
        self.points = np.asarray(d["points"], dtype=float)
        self.unseen = float(d["unseen_points"])
        self.n_regular = len(self.points) - 2
        self.special_codes = list(d.get("special_codes", []))
        if self.dtype == NUMERICAL:
            self.splits = np.asarray(d["splits"], dtype=float)
            self.split_list = [float(s) for s in d["splits"]]
            self.special_set = {float(c) for c in self.special_codes}
            if len(self.splits) + 1 != self.n_regular:
                raise DataError(f"Scorecard feature '{name}': splits and points disagree.")
        elif self.dtype == CATEGORICAL:
            # keys as category_key spells them, so a scorecard written with '31.0' still
            # matches 31 (the first group naming a key keeps it)
            self.lookup: dict[str, int] = {}
            for i, g in enumerate(d["groups"]):
                for c in g:
                    self.lookup.setdefault(category_key(c), i)
            self.special_set = {category_key(c) for c in self.special_codes}
            if len(d["groups"]) != self.n_regular:
                raise DataError(f"Scorecard feature '{name}': groups and points disagree.")
        else:
            raise DataError(f"Scorecard feature '{name}' has unknown dtype {self.dtype!r}.")
        self.best = float(self.points.max())
        #: Points by bin index (:meth:`bin_index`): the regular bins, Special, Missing, Unseen.
        self.bin_points = np.r_[self.points, self.unseen]

    # batch -------------------------------------------------------------------------------
    def bin_index(self, s: pd.Series, text: str = "raise") -> np.ndarray:
        """The bin of every value, the one lookup of a scorecard's bins.

        ``0 .. n_regular - 1`` are the regular bins, then ``n_regular`` Special,
        ``n_regular + 1`` Missing and ``n_regular + 2`` Unseen: a category never seen in
        development, and with ``text="unseen"`` text in a numerical column (which otherwise
        raises a DataError naming the column, as scoring does).
        """
        if self.dtype == NUMERICAL:
            if text == "unseen":
                x, invalid = to_numbers(s)  # as the scorer reads numbers, text kept apart
            else:
                x, invalid = _numeric(s, self.name), None
            idx = _bin_of(x, self.splits)
            if self.special_set:
                idx[np.isin(x, list(self.special_set))] = self.n_regular
            idx[np.isnan(x)] = self.n_regular + 1
            if invalid is not None:
                idx[invalid] = self.n_regular + 2
            return idx
        # factorize once, then look up each distinct value (few) instead of every row
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        table = [self.category_bin(category_key(u)) for u in uniques] + [self.n_regular + 1]
        return np.array(table, dtype=np.int64)[codes]

    def batch(self, s: pd.Series) -> np.ndarray:
        """Points of every value."""
        return self.bin_points[self.bin_index(s)]

    @property
    def missing(self) -> float:
        return float(self.points[self.n_regular + 1])

    def category_bin(self, key: str | None) -> int:
        """Bin index (:meth:`bin_index`) of a category given as its
        :func:`~riskresearch.woe.category_key`."""
        if key is None:
            return self.n_regular + 1
        i = self.lookup.get(key)
        if i is not None:
            return i
        if key in self.special_set:
            return self.n_regular
        return self.n_regular + 2

    def one_category(self, key: str | None) -> float:
        """Points of a category given as its :func:`~riskresearch.woe.category_key`."""
        return float(self.bin_points[self.category_bin(key)])

    # one value ----------------------------------------------------------------------------
    def one(self, v: Any) -> float:
        if is_missing(v):
            return self.points[self.n_regular + 1]
        if self.dtype == NUMERICAL:
            x = to_number(v)  # text that reads as a number is that number, as in batch
            if x is None:
                raise DataError(
                    f"Feature '{self.name}' is numerical; got {v!r}. Pass a number or None."
                )
            if math.isnan(x):  # e.g. the text 'nan'
                return self.points[self.n_regular + 1]
            if math.isinf(x):
                raise DataError(f"Feature '{self.name}' is {x}. Pass a finite number or None.")
            if x in self.special_set:
                return self.points[self.n_regular]
            return self.points[bisect.bisect_right(self.split_list, x)]
        return self.one_category(category_key(v))

    # SQL ----------------------------------------------------------------------------------
    def sql(self) -> str:
        col = '"' + self.name.replace('"', '""') + '"'
        p = [_num(v, f"A point of feature '{self.name}'") for v in self.points]
        if self.dtype == NUMERICAL:
            parts = [f"WHEN {col} IS NULL THEN {p[self.n_regular + 1]}"]
            x = f"CAST({col} AS DOUBLE)"
            parts.append(f"WHEN isnan({x}) THEN {p[self.n_regular + 1]}")
            if self.special_set:
                codes = ", ".join(_num(c) for c in sorted(self.special_set))
                parts.append(f"WHEN {x} IN ({codes}) THEN {p[self.n_regular]}")
            for i, s in enumerate(self.split_list):
                parts.append(f"WHEN {x} < {_num(s)} THEN {p[i]}")
            parts.append(f"ELSE {p[self.n_regular - 1]}")
        else:
            # the category_key of the value: NULL when missing (NULL, or NaN of a DOUBLE
            # column), else its text with a zero fraction dropped ('31.0' is '31', '-0' is '0')
            text = f"regexp_replace(CAST({col} AS VARCHAR), {_str(WHOLE_TEXT_SQL)}, '\\1')"
            key = (
                f"(CASE WHEN typeof({col}) IN ('DOUBLE', 'FLOAT') AND "
                f"isnan(TRY_CAST({col} AS DOUBLE)) THEN NULL "
                f"ELSE regexp_replace({text}, '^-0$', '0') END)"
            )
            # the key leads the first WHEN, so DuckDB computes it once, not once per group
            parts = [f"WHEN {key} IS NULL THEN {p[self.n_regular + 1]}"]
            groups: dict[int, list[str]] = {}
            for c, i in self.lookup.items():
                groups.setdefault(i, []).append(c)
            for i in sorted(groups):
                # DuckDB writes a BOOLEAN as 'true'/'false', Python as 'True'/'False'
                cats = ", ".join(_str(c) for c in _with_sql_spellings(groups[i]))
                parts.append(f"WHEN {key} IN ({cats}) THEN {p[i]}")
            if self.special_set:
                codes = ", ".join(_str(c) for c in sorted(self.special_set))
                parts.append(f"WHEN {key} IN ({codes}) THEN {p[self.n_regular]}")
            parts.append(f"ELSE {_num(self.unseen)}")
        return "(CASE " + " ".join(parts) + " END)"


def _with_sql_spellings(categories: list[str]) -> list[str]:
    extra = [c.lower() for c in categories if c in ("True", "False")]
    return [*categories, *(c for c in extra if c not in categories)]


def _bin_of(x: np.ndarray, splits: np.ndarray) -> np.ndarray:
    """Index of the interval [s_i, s_i+1) holding each value (NaN gives 0; callers fix it).

    For the few splits of a scorecard, one vectorised comparison per split beats a binary
    search per value (no branch misprediction): about 2x faster than ``np.searchsorted``.
    """
    if len(splits) > 32:
        return np.searchsorted(splits, x, side="right")
    idx = np.zeros(x.shape, dtype=np.uint8)
    for split in splits:
        np.add(idx, x >= split, out=idx, casting="unsafe")
    return idx


def _num(x: float, where: str = "A number of the scorecard's SQL") -> str:
    """A SQL number literal, at the artifacts' fixed precision (:mod:`riskresearch.textfmt`)."""
    return number_text(float(x), where)


def _str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _numeric(s: pd.Series, name: str) -> np.ndarray:
    x, bad = to_numbers(s)  # the float64 fast path: no copy
    if bad.any():
        raise DataError(
            f"Column '{name}' is numerical but holds text in {int(bad.sum())} row(s) "
            f"(first: {s[bad].iloc[0]!r} at row {s.index[bad][0]!r}). Convert it to numbers "
            "(NaN for missing)."
        )
    inf = np.isinf(x)
    if inf.any():
        raise DataError(
            f"Column '{name}' holds +/-inf in {int(inf.sum())} row(s) (first at row "
            f"{s.index[inf][0]!r}). Replace them with NaN (scored as Missing) or a finite value."
        )
    return x


class _Card:
    def __init__(self, d: Mapping[str, Any]):
        if d.get("format") != SCORECARD_FORMAT:
            raise DataError(
                f"Not a riskresearch scorecard (format {d.get('format')!r}, expected "
                f"'{SCORECARD_FORMAT}')."
            )
        sc = d["scaling"]
        self.offset, self.factor = float(sc["offset"]), float(sc["factor"])
        self.features = [ScoredFeature(n, f) for n, f in d["features"].items()]


class Scorer:
    """Score applications with an exported scorecard (single or segmented).

    Parameters
    ----------
    model : dict, str or Path
        ``Scorecard.to_dict()`` / ``SegmentedScorecard.to_dict()`` output, JSON text, or the
        path of a JSON file.

    Attributes
    ----------
    columns : list of str
        Every column scoring reads (segment columns, then features).
    categorical : list of str
        The categorical features (compared as text, see
        :func:`riskresearch.woe.category_key`).
    numerical_special_codes : dict of str to set of float
        The special codes of every numerical feature (of every segment; empty sets included).

    Examples
    --------
    >>> scorer = Scorer("scorecards/consumer/1.0.0/scorecard.json")   # doctest: +SKIP
    >>> scorer.score(applications)                                   # doctest: +SKIP
    >>> scorer.score_one({"platform_credit_score": 700, ...})        # doctest: +SKIP
    """

    def __init__(self, model: Mapping[str, Any] | str | Path):
        if isinstance(model, Path) or (
            isinstance(model, str) and not model.lstrip().startswith("{")
        ):
            path = Path(model)
            if not path.is_file():
                raise DataError(f"The scorecard file '{path}' does not exist.")
            model = path.read_text()
        if isinstance(model, str):
            try:
                model = json.loads(model)
            except json.JSONDecodeError as exc:
                raise DataError(f"The scorecard JSON is not valid: {exc}.") from None
        self.model = model
        if model.get("format") == SEGMENTED_FORMAT:
            self.segments = [
                {"name": s["name"], "when": s["when"], "card": _Card(s["scorecard"])}
                for s in model["segments"]
            ]
        else:
            self.segments = [{"name": None, "when": {}, "card": _Card(model)}]
        cols: list[str] = []
        for s in self.segments:
            cols += [c for c in s["when"] if c not in cols]
            cols += [f.name for f in s["card"].features if f.name not in cols]
        self.columns = cols
        # every feature once, in scorecard order (the order ties of reason codes follow)
        self._names = list(dict.fromkeys(f.name for s in self.segments for f in s["card"].features))
        self.numerical_special_codes: dict[str, set[float]] = {}
        for s in self.segments:
            for f in s["card"].features:
                if f.dtype == NUMERICAL:
                    self.numerical_special_codes.setdefault(f.name, set()).update(f.special_set)
        self.categorical = list(
            dict.fromkeys(
                f.name for s in self.segments for f in s["card"].features if f.dtype == CATEGORICAL
            )
        )

    @staticmethod
    def assign_segments(frame: pd.DataFrame, segments: list[dict]) -> pd.Series:
        """Name of the first segment each row matches (NA when none)."""
        out = pd.Series(pd.NA, index=frame.index, dtype="object")
        free = np.ones(len(frame), dtype=bool)
        for seg in segments:
            for col in seg["when"]:
                if col not in frame.columns:
                    raise DataError(
                        f"Segment '{seg['name']}' is defined on column '{col}', which the input "
                        "lacks. Add it."
                    )
            match = filter_mask(frame, seg["when"])
            take = match & free
            out[take] = seg["name"]
            free &= ~take
        return out

    def _rows(self, frame: pd.DataFrame):
        if len(self.segments) == 1:
            yield self.segments[0], np.ones(len(frame), dtype=bool)
            return
        seg = self.assign_segments(frame, self.segments)
        if seg.isna().any():
            first = seg.index[seg.isna()][0]
            raise DataError(
                f"{int(seg.isna().sum())} row(s) match no segment of the scorecard (first: "
                f"row {first!r}). Check the segment columns."
            )
        for s in self.segments:
            yield s, (seg == s["name"]).to_numpy()

    def _points(self, frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
        """Feature names and points, one array row per feature (NaN where a segment lacks it)."""
        names = list(dict.fromkeys(f.name for s in self.segments for f in s["card"].features))
        points = np.full((len(names), len(frame)), np.nan)
        for s, rows in self._rows(frame):
            every = rows.all()
            sub = frame if every else frame[rows]
            rows = slice(None) if every else rows  # a slice: no boolean-mask copy per feature
            for f in s["card"].features:
                points[names.index(f.name), rows] = f.batch(sub[f.name])
        return names, points

    def feature_points(self, X) -> pd.DataFrame:
        """Points of every feature for every row (NaN where a segment lacks the feature)."""
        frame = as_frame(X, "Scorer")
        check_columns(frame, self.columns, "Scorer")
        names, points = self._points(frame)
        return pd.DataFrame(points.T, index=frame.index, columns=names)

    def score(self, X) -> pd.Series:
        """Score of every row: the sum of its features' points (features in scorecard order)."""
        frame = as_frame(X, "Scorer")
        check_columns(frame, self.columns, "Scorer")
        out = np.full(len(frame), np.nan)
        for s, rows in self._rows(frame):
            sub = frame[rows] if not rows.all() else frame
            total = np.zeros(int(rows.sum()))
            for f in s["card"].features:
                total = total + f.batch(sub[f.name])
            out[rows] = total
        return pd.Series(out, index=frame.index, name="score")

    def pd_(self, X) -> pd.Series:
        """Probability of bad implied by the score (each segment's own scale)."""
        frame = as_frame(X, "Scorer")
        score = self.score(frame).to_numpy()
        return pd.Series(self.pd_from_score(score, frame), index=frame.index, name="pd")

    def pd_from_score(self, score, X=None) -> np.ndarray:
        """Probability of bad implied by scores already computed.

        With ``X`` (the scored rows) each row uses its segment's scale; without it every
        segment must share one scale (e.g. a score histogram pooled over segments).
        """
        score = np.asarray(score, dtype=float)
        if X is None:
            scales = {(s["card"].offset, s["card"].factor) for s in self.segments}
            if len(scales) > 1:
                raise DataError(
                    "The scorecard's segments have different scales, so a score alone has no "
                    "single PD. Pass the scored rows as X."
                )
            offset, factor = scales.pop()
            return score_to_pd(score, offset, factor)
        out = np.full(score.size, np.nan)
        for s, rows in self._rows(as_frame(X, "Scorer")):
            card = s["card"]
            out[rows] = score_to_pd(score[rows], card.offset, card.factor)
        return out

    def score_one(self, application: Mapping[str, Any]) -> float:
        """Score of a single application given as a mapping of column -> value."""
        missing = [c for c in self.columns if c not in application]
        if missing:
            raise DataError(
                f"The application lacks {', '.join(repr(c) for c in missing)}. Add them (None "
                "scores as Missing)."
            )
        card = self.segments[0]["card"]
        if len(self.segments) > 1:
            for s in self.segments:
                if all(application[c] == v for c, v in s["when"].items()):
                    card = s["card"]
                    break
            else:
                raise DataError("The application matches no segment of the scorecard.")
        total = 0.0
        for f in card.features:
            total = total + f.one(application[f.name])
        return float(total)

    def reason_codes(self, X, n: int = 4) -> pd.DataFrame:
        """Top-``n`` features costing each row the most points relative to their best bin.

        Ties go to the feature listed first in the scorecard; a row losing no points on a
        feature gets no reason for it (``reason_i`` missing, ``points_lost_i`` 0).
        """
        frame = as_frame(X, "Scorer")
        check_columns(frame, self.columns, "Scorer")
        names, lost = self._points(frame)  # one array row per feature: fast column-wise argmax
        for s, rows in self._rows(frame):  # best bin within the row's own segment's card
            rows = slice(None) if rows.all() else rows
            for f in s["card"].features:
                j = names.index(f.name)
                lost[j, rows] = f.best - lost[j, rows]
        lost[np.isnan(lost)] = -np.inf
        out = {}
        text = pd.array(names, dtype="str")
        for i, (j, worst, keep) in enumerate(_top_losses(lost, min(n, len(names)))):
            out[f"reason_{i + 1}"] = text.take(np.where(keep, j, -1), allow_fill=True)
            out[f"points_lost_{i + 1}"] = np.where(keep, worst, 0.0)
        return pd.DataFrame(out, index=frame.index)

    def explain(self, X, n_reasons: int = 4) -> ScoreDetails:
        """Score, PD and reason codes of every row, never raising on bad values.

        Unlike :meth:`score`, an absent feature column leaves its rows unscored (NaN; the
        other features still give reason codes), a row matching no segment is unscored, and
        text or +/-inf in a numerical feature scores as Missing and is reported in
        ``problems``. Scores, PDs and reasons are otherwise those of :meth:`score`,
        :meth:`pd_` and :meth:`reason_codes`. The decision engine scores with it.
        """
        frame = X if isinstance(X, pd.DataFrame) else as_frame(X, "Scorer")  # may be empty
        n = len(frame)
        score, pdv = np.full(n, np.nan), np.full(n, np.nan)
        names = self._names
        lost = np.full((len(names), n), -np.inf)  # one array row per feature
        problems: list[tuple[str, np.ndarray]] = []
        unmatched = None
        if len(self.segments) == 1:
            parts = [(self.segments[0], np.ones(n, dtype=bool))]
        elif any(k not in frame.columns for s in self.segments for k in s["when"]):
            parts = []
        else:
            seg = self.assign_segments(frame, self.segments)
            unmatched = seg.isna().to_numpy()
            parts = [(s, (seg == s["name"]).fillna(False).to_numpy()) for s in self.segments]
        for s, rows in parts:
            if not rows.any():
                continue
            card = s["card"]
            sub = frame[rows] if not rows.all() else frame
            total = np.zeros(int(rows.sum()))
            scored = True
            for f in card.features:
                if f.name not in frame.columns:
                    scored = False
                    continue
                values = sub[f.name]
                if f.dtype == NUMERICAL:  # text and +/-inf score as Missing, reported
                    x, bad = to_numbers(values)
                    inf = np.isinf(x)
                    if inf.any():
                        x = np.where(inf, np.nan, x)
                    for mask, kind in ((bad, "invalid_value"), (inf, "out_of_range")):
                        if mask.any():
                            whole = np.zeros(n, dtype=bool)
                            whole[np.flatnonzero(rows)[mask]] = True
                            problems.append((f"{kind}:{f.name}", whole))
                    values = pd.Series(x, copy=False)
                pts = f.batch(values)
                total = total + pts
                lost[names.index(f.name), rows] = f.best - pts
            if scored:
                score[rows] = total
                pdv[rows] = score_to_pd(total, card.offset, card.factor)
        k = min(n_reasons, len(names))
        text = np.asarray(names, dtype=object)
        reasons = [np.where(keep, text[j], None) for j, _, keep in _top_losses(lost, k)]
        reasons += [np.full(n, None, dtype=object) for _ in range(n_reasons - k)]
        return ScoreDetails(score, pdv, reasons, unmatched, problems)

    def explain_one(self, application: Mapping[str, Any], n_reasons: int = 4) -> ScoreDetails:
        """:meth:`explain` for one application given as a mapping of column -> value (pure
        Python, no pandas): the same values as a one-row :meth:`explain`."""
        app = application
        card, unmatched = self.segments[0]["card"], False
        if len(self.segments) > 1:
            card = None
            if all(k in app for s in self.segments for k in s["when"]):
                for s in self.segments:
                    if all(app[k] == v for k, v in s["when"].items()):
                        card = s["card"]
                        break
                unmatched = card is None
        score = pdv = math.nan
        lost: dict[str, float] = {}
        problems: list[str] = []
        if card is not None:
            total, scored = 0.0, True
            for f in card.features:
                if f.name not in app:
                    scored = False
                    continue
                v = app[f.name]
                if f.dtype == NUMERICAL:  # as the batch: text and +/-inf score as Missing
                    v, problem = _number(v)
                    if problem is not None:
                        problems.append(f"{problem}:{f.name}")
                pts = float(f.one(v))
                total += pts
                lost[f.name] = f.best - pts
            if scored:
                score, pdv = total, score_to_pd(total, card.offset, card.factor)
        # a stable sort in scorecard order: ties as in the batch
        top = sorted((name for name in self._names if name in lost), key=lambda m: -lost[m])
        reasons = [
            top[i] if i < len(top) and lost[top[i]] > 1e-9 else None for i in range(n_reasons)
        ]
        return ScoreDetails(score, pdv, reasons, unmatched, problems)

    def to_sql(self) -> str:
        """One SQL expression for the score; features are summed in scorecard order."""
        exprs = []
        for s in self.segments:
            total = " + ".join(f.sql() for f in s["card"].features)
            if s["name"] is None:
                return total
            cond = (
                " AND ".join(f'"{c}" = {_sql_literal(v)}' for c, v in s["when"].items()) or "TRUE"
            )
            exprs.append(f"WHEN {cond} THEN {total}")
        return "(CASE " + " ".join(exprs) + " END)"


def _top_losses(lost: np.ndarray, k: int):
    """The ``k`` largest losses of every column of ``lost`` (one array row per feature,
    changed in place), largest first, ties to the first feature: ``(feature index, loss,
    whether it costs points)`` per rank."""
    every = np.arange(lost.shape[1])
    for _ in range(k):
        j = lost.argmax(axis=0)  # the first of equal losses: scorecard order
        worst = lost[j, every]
        yield j, worst, worst > 1e-9
        lost[j, every] = -np.inf


def _sql_literal(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return _num(v)
    return _str(v)


def read_applications(
    path: str | os.PathLike,
    text_columns: list[str] | tuple[str, ...] = (),
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file of applications.

    Parameters
    ----------
    path : path-like
        A ``.csv`` or ``.parquet`` file.
    text_columns : list of str
        Columns read from a CSV as text (:attr:`Scorer.categorical`, or
        :attr:`riskresearch.decision.DecisionEngine.text_columns`), so a blank cell cannot
        turn ``31`` into ``31.0`` and ``'007'`` stays ``'007'``. Absent columns are ignored;
        Parquet keeps its types (the scorer normalises categories itself).
    encoding : str, optional
        Text encoding of a CSV (default UTF-8, with or without BOM; e.g. ``"gb18030"``).
    """
    src = input_file(
        path, "input file", "a CSV or Parquet file", " (--dask reads a folder of Parquet files)"
    )
    present = set(read_header(src, encoding, "input file"))
    text = [c for c in text_columns if c in present]
    return read_table(src, encoding=encoding, text_columns=text, what="input file")


def from_optbinning(scorecard, pdo: float, base_score: float, base_odds: float) -> dict[str, Any]:
    """Export a fitted ``optbinning.scorecard.Scorecard`` to the riskresearch JSON format.

    The points come from optbinning's own ``table(style="detailed")``, so :class:`Scorer`
    reproduces ``scorecard.score`` exactly on every category and value optbinning saw in
    training. optbinning gives unseen categories a WoE of 0; they get the points of a WoE-0 bin
    here too.

    Parameters
    ----------
    scorecard : optbinning.scorecard.Scorecard
        Fitted, with ``rounding=False`` or ``True``.
    pdo, base_score, base_odds : float
        The scaling it was fitted with (optbinning keeps them in ``scaling_method_params``).
    """
    table = scorecard.table(style="detailed")
    process = scorecard.binning_process_
    offset, factor = scaling(pdo, base_score, base_odds)
    features: dict[str, Any] = {}
    for name, rows in table.groupby("Variable", sort=False):
        rows = rows.sort_values("Bin id")
        optb = process.get_binned_variable(name)
        points = [float(p) for p in rows["Points"]]
        woe = rows["WoE"].to_numpy(dtype=float)
        zero = np.flatnonzero(np.isclose(woe, 0.0))
        coef = float(rows["Coefficient"].iloc[0])
        d: dict[str, Any] = {"dtype": optb.dtype, "points": points}
        if optb.dtype == NUMERICAL:
            d["splits"] = [float(s) for s in optb.splits]
        else:
            d["groups"] = [[str(c) for c in g] for g in optb.splits]
        d["special_codes"] = list(optb.special_codes or [])
        # points of a WoE-0 bin: shift + 0; the shift is the same for every bin of a feature
        d["unseen_points"] = (
            points[int(zero[0])] if zero.size else float(points[0] + factor * coef * woe[0])
        )
        d["coefficient"] = coef
        features[str(name)] = d
    return {
        "format": SCORECARD_FORMAT,
        "scaling": {
            "pdo": pdo,
            "base_score": base_score,
            "base_odds": base_odds,
            "offset": offset,
            "factor": factor,
            "rounding": bool(scorecard.rounding),
        },
        "intercept": float(scorecard.estimator_.intercept_[0]),
        "features": features,
        "source": "optbinning",
    }
