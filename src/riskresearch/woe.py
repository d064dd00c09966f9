"""Bins as data: split points or category groups with their good/bad counts, and the input
checks shared by fitting and scoring.

numpy and pandas only: the JSON scorer imports this module, so scoring needs neither
scikit-learn nor optbinning. WoE = ln(%good / %bad): positive means lower risk. ``y == 1`` is bad.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.errors import DataError

NUMERICAL, CATEGORICAL = "numerical", "categorical"
SMOOTHING = 0.5  # added to empty good/bad cells so that WoE stays finite


# ------------------------------------------------------------------------------------------
# bins as data
# ------------------------------------------------------------------------------------------
@dataclass
class FeatureBins:
    """The bins of one feature and their statistics.

    Regular bins come first (``len(splits) + 1`` intervals, or one per category group), then
    the *Special* bin, then the *Missing* bin. ``good`` and ``bad`` are weighted counts.

    A modeler may assign missing values (``missing_bin``) or special codes (``special_bin``)
    to a regular bin: those values then fall in that bin (its counts and WoE), and the empty
    Missing or Special bin carries that bin's WoE, so every scorer of the points follows.
    ``reason`` is the modeler's reason for an override (``source == "override"``). ``turn``
    (``"peak"`` or ``"valley"``) and ``turn_p_value`` say that the ``"auto_unimodal"`` trend
    bent the bins, and on what evidence (:func:`riskresearch.binsolver.turn_p_value`).
    """

    name: str
    dtype: str
    splits: list[float] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    special_codes: list = field(default_factory=list)
    good: list[float] = field(default_factory=list)
    bad: list[float] = field(default_factory=list)
    source: str = "optimal"
    monotonic_trend: str | None = None
    unseen: str = "missing"
    reason: str | None = None
    missing_bin: int | None = None
    special_bin: int | None = None
    turn: str | None = None
    turn_p_value: float | None = None

    @property
    def n_regular(self) -> int:
        return len(self.splits) + 1 if self.dtype == NUMERICAL else len(self.groups)

    @property
    def special_index(self) -> int:
        return self.n_regular

    @property
    def missing_index(self) -> int:
        return self.n_regular + 1

    def labels(self) -> list[str]:
        """Readable label of every bin, in bin order."""
        if self.dtype == NUMERICAL:
            edges = [-math.inf, *self.splits, math.inf]
            regular = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(edges)]
            regular[0] = regular[0].replace("[", "(", 1)
        else:
            regular = [", ".join(map(str, g)) for g in self.groups]
        return [*regular, "Special", "Missing"]

    def woe(self) -> np.ndarray:
        """WoE of every bin; empty bins (no observations at all) get 0."""
        good, bad = np.asarray(self.good, float), np.asarray(self.bad, float)
        total_good, total_bad = good.sum(), bad.sum()
        empty = (good + bad) == 0
        smooth = np.where((good == 0) | (bad == 0), SMOOTHING, 0.0)
        woe = np.log(((good + smooth) / total_good) / ((bad + smooth) / total_bad))
        woe = np.where(empty, 0.0, woe)
        for own, joined in self._joined():
            woe[own] = woe[joined]
        return woe

    def unseen_woe(self) -> float:
        """WoE given to a category never seen in training."""
        woe = self.woe()
        if self.unseen == "neutral":
            return 0.0
        if self.unseen == "worst":
            occupied = (np.asarray(self.good) + np.asarray(self.bad)) > 0
            return float(woe[occupied].min())
        return float(woe[self.missing_index])

    def table(self) -> pd.DataFrame:
        """Binning table: count, goods, bads, event rate, WoE and IV per bin, plus a total."""
        good, bad = np.asarray(self.good, float), np.asarray(self.bad, float)
        count = good + bad
        woe = self.woe()
        share_good = good / good.sum()
        share_bad = bad / bad.sum()
        iv = (share_good - share_bad) * woe
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(count > 0, bad / count, np.nan)
        tab = pd.DataFrame(
            {
                "bin": self.labels(),
                "count": count,
                "count_share": count / count.sum(),
                "good": good,
                "bad": bad,
                "event_rate": rate,
                "woe": woe,
                "iv": iv,
            }
        )
        total = pd.DataFrame(
            {
                "bin": ["Total"],
                "count": [count.sum()],
                "count_share": [1.0],
                "good": [good.sum()],
                "bad": [bad.sum()],
                "event_rate": [bad.sum() / count.sum()],
                "woe": [np.nan],
                "iv": [iv.sum()],
            }
        )
        tab.insert(0, "feature", self.name)
        total.insert(0, "feature", self.name)
        return pd.concat([tab, total], ignore_index=True)

    def iv(self) -> float:
        tab = self.table()
        return float(tab["iv"].iloc[-1])

    def bin_index(self, values: pd.Series) -> np.ndarray:
        """Bin index of every value (validated beforehand by :func:`_column_values`)."""
        n = len(values)
        out = np.full(n, self.missing_index, dtype=np.int64)
        if self.dtype == NUMERICAL:
            x = values.to_numpy(dtype=float, na_value=np.nan)
            present = ~np.isnan(x)
            special = present & np.isin(x, np.asarray(self.special_codes, dtype=float))
            regular = present & ~special
            out[regular] = np.searchsorted(np.asarray(self.splits, float), x[regular], side="right")
            out[special] = self.special_index
            return self._assigned(out)
        keys = category_keys(values)  # once per distinct value, not per row
        present = keys.notna().to_numpy()
        rows, distinct = pd.factorize(keys, use_na_sentinel=True)
        lookup: dict[str | None, int] = {}
        for i, g in enumerate(self.groups):
            for c in g:
                lookup.setdefault(category_key(c), i)
        specials = {category_key(c) for c in self.special_codes}
        per_category = np.array(  # the last entry is for missing values (factorize's -1)
            [*(lookup.get(v, -2 if v in specials else -1) for v in distinct), -1], dtype=np.int64
        )
        codes = per_category[rows]
        out[present & (codes >= 0)] = codes[present & (codes >= 0)]
        out[present & (codes == -2)] = self.special_index
        out[present & (codes == -1)] = -1  # unseen category
        return self._assigned(out)

    def _assigned(self, idx: np.ndarray) -> np.ndarray:
        """Move missing values and special codes into the regular bins they are assigned to."""
        for own, joined in self._joined():
            idx[idx == own] = joined
        return idx

    def _joined(self) -> list[tuple[int, int]]:
        """(Special or Missing bin, the regular bin it is assigned to) of every assignment."""
        pairs = ((self.special_index, self.special_bin), (self.missing_index, self.missing_bin))
        return [(own, joined) for own, joined in pairs if joined is not None]

    def transform(self, values: pd.Series) -> np.ndarray:
        idx = self.bin_index(values)
        woe = self.woe()
        result = woe[np.maximum(idx, 0)]
        if (idx == -1).any():
            result[idx == -1] = self.unseen_woe()
        return result

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"dtype": self.dtype}
        if self.dtype == NUMERICAL:
            d["splits"] = [float(s) for s in self.splits]
        else:
            d["groups"] = [[str(c) for c in g] for g in self.groups]
        d.update(special_codes=list(self.special_codes), source=self.source)
        if self.reason is not None:
            d["reason"] = self.reason
        for key in ("missing_bin", "special_bin", "turn", "turn_p_value"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        d.update(
            monotonic_trend=self.monotonic_trend,
            unseen=self.unseen,
            bins=[
                {"label": lab, "good": float(g), "bad": float(b), "woe": float(w)}
                for lab, g, b, w in zip(self.labels(), self.good, self.bad, self.woe())
            ],
        )
        return d

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> FeatureBins:
        try:
            bins = d["bins"]
            fb = cls(
                name=name,
                dtype=d["dtype"],
                splits=[float(s) for s in d.get("splits", [])],
                groups=[list(map(str, g)) for g in d.get("groups", [])],
                special_codes=list(d.get("special_codes", [])),
                good=[float(b["good"]) for b in bins],
                bad=[float(b["bad"]) for b in bins],
                source=d.get("source", "optimal"),
                monotonic_trend=d.get("monotonic_trend"),
                unseen=d.get("unseen", "missing"),
                reason=d.get("reason"),
                missing_bin=d.get("missing_bin"),
                special_bin=d.get("special_bin"),
                turn=d.get("turn"),
                turn_p_value=d.get("turn_p_value"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"The binning of feature '{name}' is malformed ({exc!r} is wrong or missing). "
                "Export it again with WoeBinner.to_json."
            ) from None
        if len(fb.good) != fb.n_regular + 2:
            raise DataError(
                f"The binning of feature '{name}' has {len(fb.good)} bins but its splits/groups "
                f"define {fb.n_regular + 2}. Export it again with WoeBinner.to_json."
            )
        for key in ("missing_bin", "special_bin"):
            value = getattr(fb, key)
            if value is not None and not (
                isinstance(value, int) and not isinstance(value, bool) and 0 <= value < fb.n_regular
            ):
                raise DataError(
                    f"The binning of feature '{name}' has {key} {value!r}, not a regular bin "
                    f"(0 to {fb.n_regular - 1}). Export it again with WoeBinner.to_json."
                )
        return fb


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:.6g}"


# ------------------------------------------------------------------------------------------
# values as fitting and scoring read them: one rule for both
# ------------------------------------------------------------------------------------------
#: A whole number written with a zero fraction ("31.0", "-2.00"): group 1 is the number.
_WHOLE_TEXT = re.compile(r"(-?[0-9]+)\.0+")
#: The same pattern for DuckDB's ``regexp_replace`` (:meth:`riskresearch.scoring.Scorer.to_sql`).
WHOLE_TEXT_SQL = r"^(-?[0-9]+)\.0+$"


def is_missing(value: Any) -> bool:
    """None, NaN of any float type, pandas NA/NaT: everything that scores as Missing."""
    if value is None:
        return True
    if isinstance(value, float):  # plain values first: this runs for every single value
        return value != value
    if isinstance(value, str | int):  # bool is an int
        return False
    return np.ndim(value) == 0 and bool(pd.isna(value))


def category_key(value: Any) -> str | None:
    """The text a categorical value is compared as, when bins are fitted and when scored.

    Missing values (None, NaN, ``pd.NA``) give None. Any other value is compared as its text
    (``str``; booleans are ``'True'`` / ``'False'``), with one normalisation: a whole number
    written with a zero fraction loses it, and ``-0`` is ``0``. So ``31``, ``31.0``, ``'31'``
    and ``'31.0'`` are all ``'31'``: a category keeps its key when its column arrives as
    floats (an integer column with one blank CSV cell or one Parquet NULL, a DuckDB DOUBLE) or
    as text. Other text is kept as given (``'007'`` stays ``'007'``; no trimming).

    Floats print as Python's ``repr``, which DuckDB's ``CAST(x AS VARCHAR)`` of a DOUBLE
    matches (``0.5``, ``1e+16``), so the SQL expression applies the same rule to the cast
    text (:data:`WHOLE_TEXT_SQL`).

    Examples
    --------
    >>> [category_key(v) for v in (31, 31.0, "31", "31.0", "007", None, float("nan"))]
    ['31', '31', '31', '31', '007', None, None]
    """
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    text = str(value)
    whole = _WHOLE_TEXT.fullmatch(text)
    if whole is not None:
        text = whole.group(1)
    return "0" if text == "-0" else text


def category_keys(values: pd.Series) -> pd.Series:
    """:func:`category_key` of every value (object dtype, None for missing), computed once
    per distinct value, not per row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = np.array([*(category_key(u) for u in uniques), None], dtype=object)
    return pd.Series(keys[codes], index=values.index, dtype=object)


def category_codes(categories: list) -> dict[str, int]:
    """Position of every category of a fitted model's list, keyed by :func:`category_key`
    (a model written with ``'31.0'`` still reads 31; the first spelling of a key keeps it)."""
    out: dict[str, int] = {}
    for i, c in enumerate(categories):
        out.setdefault(category_key(c), i)
    return out


def to_number(value: Any) -> float | None:
    """One value of a numerical feature as float (NaN when missing), or None when it is not
    a number. Text that Python's ``float`` reads is that number (``' 31.5'``, ``'1e3'``;
    ``'nan'`` is missing); +/-inf is returned as is (callers refuse it)."""
    if is_missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A numerical feature's column as float64 (NaN when missing) and the mask of values that
    are not numbers: row by row what :func:`to_number` gives (booleans are 0 / 1).

    +/-inf is kept in the values (callers refuse it). The float64 column is returned without
    a copy.
    """
    n = len(values)
    if values.dtype == np.float64:
        return values.to_numpy(), np.zeros(n, dtype=bool)
    if values.dtype == bool or str(values.dtype) == "boolean":
        x = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return x, np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan), np.zeros(n, dtype=bool)
    converted = pd.to_numeric(values, errors="coerce")
    x = np.array(converted.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    bad = np.array(converted.isna() & values.notna(), dtype=bool)
    if bad.any():  # what pandas did not parse, Python's float may ('nan', '1_000'): as one value
        codes, uniques = pd.factorize(values[bad], use_na_sentinel=True)
        parsed = [to_number(u) for u in uniques]
        number = np.array([math.nan if v is None else v for v in parsed] + [math.nan])
        text = np.array([v is None for v in parsed] + [False])
        rows = np.flatnonzero(bad)
        x[rows], bad[rows] = number[codes], text[codes]
    return x, bad


# ------------------------------------------------------------------------------------------
# input validation shared by binning and scoring
# ------------------------------------------------------------------------------------------
def as_frame(X, owner: str) -> pd.DataFrame:
    """Accept a DataFrame or a 2-D array (columns named x0, x1, ...); reject empty input."""
    if isinstance(X, pd.DataFrame):
        frame = X
        if any(not isinstance(c, str) for c in frame.columns):
            frame = frame.rename(columns=str)
            if frame.columns.duplicated().any():
                raise DataError(
                    f"{owner}: column names must be unique once written as text. Got "
                    f"{list(X.columns)!r}; rename the columns."
                )
    else:
        if X is None:
            raise DataError(f"{owner} expects a 2-D table of features. Got None.")
        arr = np.asarray(X) if hasattr(X, "dtype") else np.asarray(X, dtype=object)
        if arr.ndim != 2:
            raise DataError(
                f"{owner} expects a 2-D table of features. Got {arr.ndim} dimension(s). "
                "Reshape your data: X.reshape(-1, 1) for a single feature."
            )
        if np.iscomplexobj(arr):
            raise DataError(
                f"{owner} got complex data. Complex data not supported; pass real-valued features."
            )
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        if arr.dtype == object:
            frame = frame.infer_objects()
    if len(frame) == 0:
        raise DataError(f"{owner} got an empty table (0 rows). Pass at least one row.")
    if frame.shape[1] == 0:
        raise DataError(
            f"{owner} got 0 feature(s) (shape=({len(frame)}, 0)) while a minimum of 1 is "
            "required. Pass at least one feature column."
        )
    dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if dupes:
        raise DataError(f"{owner}: column(s) {dupes} appear more than once. Keep one of each.")
    for name in frame.columns:
        if frame[name].dtype.kind == "c":
            raise DataError(
                f"{owner}: column '{name}' holds complex data. Complex data not supported; pass "
                "real-valued features."
            )
    return frame


def check_columns(frame: pd.DataFrame, needed: list[str], owner: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{owner}: column(s) {', '.join(repr(c) for c in missing)} missing from the input. "
            "Add them (NaN is allowed and scores as Missing)."
        )


def column_values(frame: pd.DataFrame, fb: FeatureBins, owner: str) -> pd.Series:
    """Validate one column for a numerical or categorical feature."""
    s = frame[fb.name]
    if fb.dtype == CATEGORICAL:
        return s
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("Float64")
    if not pd.api.types.is_numeric_dtype(s):
        converted, bad = to_numbers(s)  # text that reads as a number is that number
        if bad.any():
            first = s[bad].iloc[0]
            raise DataError(
                f"{owner}: column '{fb.name}' is numerical but holds text in {int(bad.sum())} "
                f"row(s) (first: {first!r} at row {s.index[bad][0]!r}). Convert it to numbers "
                "(use NaN for missing)."
            )
        s = pd.Series(converted, index=s.index, name=s.name)
    x = s.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(x)
    if inf.any():
        raise DataError(
            f"{owner}: column '{fb.name}' holds +/-inf in {int(inf.sum())} row(s) (first at row "
            f"{s.index[inf][0]!r}). Replace them with NaN (scored as Missing) or a finite value."
        )
    return s


def check_target(
    y, n: int, owner: str, sample_weight=None, pos_label=None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a binary target and optional weights: ``(y, w)`` with ``y`` coded 1 for the
    positive (bad) class and 0 for the other (see :func:`binary_target`)."""
    y01, w, _ = binary_target(y, n, owner, sample_weight, pos_label)
    return y01, w


def positive_index(classes, pos_label=None) -> int:
    """Position in ``classes`` of the positive (bad) class: 1 (scikit-learn's convention)
    unless ``pos_label`` names the other one. ``predict_proba``'s columns and ``predict``'s
    labels follow ``classes``."""
    return 1 if pos_label is None else int(list(classes).index(pos_label))


def binary_target(
    y, n: int, owner: str, sample_weight=None, pos_label=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a binary target with any two labels and optional weights.

    scikit-learn's convention: the labels sorted are ``classes``; the positive class (bad,
    fraud) is ``pos_label`` when given, else ``classes[1]`` (1 of 0/1, True of booleans, 1 of
    -1/1; text labels such as ``'bad'`` / ``'good'`` need ``pos_label``). Weights go through
    scikit-learn's ``_check_sample_weight`` (one finite, non-negative weight per row, not all
    zero).

    Returns
    -------
    y : ndarray of int64
        1 for the positive class, 0 for the other.
    w : ndarray of float64
        The weights (ones when None).
    classes : ndarray
        The two labels, sorted.
    """
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import _check_sample_weight

    if y is None:
        raise DataError(
            f"{owner} requires y to be passed, but the target y is None. Pass the binary "
            "target (1 = bad)."
        )
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning

        warnings.warn(
            f"A column-vector y was passed when a 1d array was expected ({owner}); read "
            "as one column. Pass y as a 1-D array or Series (y.ravel()).",
            DataConversionWarning,
            stacklevel=3,
        )
        y_arr = y_arr.ravel()
    if y_arr.ndim != 1:
        raise DataError(
            f"{owner}: the target must be one column; got an array of shape {y_arr.shape}. "
            "Pass a 1-D array or Series."
        )
    if len(y_arr) != n:
        raise DataError(
            f"{owner}: the target has {len(y_arr)} values but X has {n} rows. Pass one target "
            "value per row."
        )
    if pd.isna(pd.Series(y_arr, dtype=object)).any():
        raise DataError(f"{owner}: the target has missing values. Drop those rows or label them.")
    try:
        classes = np.unique(y_arr)
        kind = type_of_target(y_arr)
    except (TypeError, ValueError):  # labels of mixed types cannot be sorted
        shown = sorted({str(v) for v in y_arr})[:5]
        raise DataError(
            f"{owner}: the target mixes label types ({shown}). Pass labels of one type (e.g. "
            "0/1 or 'good'/'bad')."
        ) from None
    if kind == "continuous" or len(classes) > 2:
        shown = [str(c) for c in classes[:5]]
        raise DataError(
            f"{owner}: the target must be binary (two labels, the bad one 1 or pos_label). "
            f"Unknown label type: {kind}, {len(classes)} labels {shown}. Only binary "
            "classification is supported: recode the target to two labels."
        )
    if pos_label is not None and pos_label not in classes.tolist():
        raise DataError(
            f"{owner}: pos_label {pos_label!r} is not a label of the target "
            f"{[str(c) for c in classes]}. Pass one of them."
        )
    positive = pos_label if pos_label is not None else classes[-1]
    y01 = (y_arr == positive).astype(np.int64)
    try:
        w = _check_sample_weight(
            sample_weight, np.empty((n, 0)), dtype=np.float64, ensure_non_negative=True
        )
    except ValueError as exc:
        raise DataError(
            f"{owner}: {exc} Pass one finite, non-negative weight per row with a positive sum."
        ) from None
    weighted = np.unique(y01[w > 0])
    if len(weighted) < 2:
        only = positive if weighted[0] == 1 else next(c for c in classes if c != positive)
        raise DataError(
            f"{owner}: the target has only one class ({category_key(only)}) among rows with a "
            "positive weight. Fit needs both goods and bads."
        )
    return y01, np.asarray(w, dtype=np.float64), classes
