"""Compare the model artifacts of two releases with a tolerance (``verify --rebuild``).

A release rebuilt on another CPU may differ from the original in the last digits of some
floats even though every number is written at a fixed precision (:mod:`riskresearch.textfmt`):
a value lying at a rounding boundary can still flip, and LightGBM writes its model text itself.
:func:`compare_artifacts` tells such differences from real ones, file by file:

- ``identical``: the same bytes;
- ``equal within tolerance``: the same structure and text except numbers, every number within
  the tolerance (relative, or absolute below 1), and, for a model that scores rows, the scores
  of both versions on a fixed sample within the tolerance too;
- ``differs``: anything else, with the first differing key, line or row.

Each model is loaded with the loader the rest of the package uses (:class:`~riskresearch.
scoring.Scorer`, :class:`~riskresearch.gbm.GbmScorer`, :class:`~riskresearch.fraud.
FraudScorer`); nothing here scores on its own.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.errors import ConfigError, DataError
from riskresearch.fraud import FraudScorer
from riskresearch.fraud.features import FRAUD_FORMAT
from riskresearch.gbm import GBM_FORMAT, GbmScorer
from riskresearch.manifest import check_name
from riskresearch.monitoring.baseline import BASELINE_FORMAT, Baseline
from riskresearch.scoring import SCORECARD_FORMAT, SEGMENTED_FORMAT, Scorer

IDENTICAL = "identical"
EQUAL = "equal within tolerance"
DIFFERS = "differs"
#: Default tolerance: relative for numbers above 1 in size, absolute below.
TOLERANCE = 1e-9
#: A category no model has seen, put in every categorical column of the probe rows.
UNSEEN = "\x00unseen"
#: LightGBM model-text keys derived from the text itself (byte sizes of the trees).
_LIGHTGBM_DERIVED = ("tree_sizes",)
_NUMBER = re.compile(r"(?<![\w.])([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])")


@dataclass(frozen=True)
class ArtifactComparison:
    """How one artifact of a rebuilt release compares with the original.

    Attributes
    ----------
    name : str
        The artifact's name in the release folder, e.g. ``"scorecard.json"``.
    status : {"identical", "equal within tolerance", "differs"}
    reason : str
        Empty for ``identical``; for ``equal within tolerance`` how close the numbers and
        scores are; for ``differs`` the first difference (key, line, column or row).
    """

    name: str
    status: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True unless the artifact really differs."""
        return self.status != DIFFERS

    def describe(self) -> str:
        """One line for a report, e.g. ``"gbm.txt: equal within tolerance (...)"``."""
        return f"{self.name}: {self.status}" + (f" ({self.reason})" if self.reason else "")


def compare_artifacts(
    old_folder: str | os.PathLike,
    new_folder: str | os.PathLike,
    names: Iterable[str],
    sample: pd.DataFrame | None = None,
    *,
    tolerance: float = TOLERANCE,
) -> list[ArtifactComparison]:
    """Compare the artifacts ``names`` of two release folders, one result per name.

    Parameters
    ----------
    old_folder, new_folder : path-like
        The original release and the rebuilt one.
    names : iterable of str
        Artifact names relative to the folders (e.g. ``release.MODEL_ARTIFACTS``); every name
        is expected in both folders, a file missing from either differs.
    sample : pandas.DataFrame, optional
        A fixed set of rows (e.g. the first 2,000 of the release's modeling table) that the
        models scoring rows are scored on: ``scorecard.json``, ``behavior.json``,
        ``collection_score.json`` (any JSON scorecard, single or segmented), ``gbm.txt`` with
        ``gbm.json`` and ``fraud.txt`` with ``fraud.json``; a model whose columns the sample
        does not all hold is not scored on it. Every such model is also scored on probe rows
        built from the original version itself (a value inside every bin or between every pair
        of tree thresholds of every feature, every category, an unseen category, missing), so
        a model whose columns the sample lacks, or a comparison without a sample, still
        scores.
    tolerance : float, default 1e-9
        Two numbers agree when ``|a - b| <= tolerance * max(1, |a|, |b|)`` (or both are NaN);
        the same rule holds for scores, PDs and fraud scores.

    Returns
    -------
    list of ArtifactComparison
        In the order of ``names``. ``status`` is ``"identical"`` (same bytes), ``"equal within
        tolerance"`` (structure and text equal except numbers, all numbers and the scores on
        the sample within ``tolerance``) or ``"differs"``; ``reason`` says why
        (:meth:`ArtifactComparison.describe` gives one line per artifact).

    Raises
    ------
    ConfigError
        A folder does not exist, a name is not a plain relative path inside the folders, the
        sample is not a DataFrame or the tolerance is not a positive number.
    DataError
        The original version of a model cannot score the sample (the sample is unusable).

    Notes
    -----
    How each kind of file is compared:

    - JSON: parsed; the same keys in the same order, the same list lengths, equal text,
      booleans and nulls, numbers within the tolerance. A difference names its key path
      (``features.age.points[2]``).
    - CSV: the same header and number of rows; each cell's text equal except the numbers in
      it, which must agree. A difference names the line and column.
    - LightGBM model text (``*.txt`` starting with ``tree``): the same lines and keys (so the
      same trees, split features, decision types and children); thresholds, leaf values and
      every other number within the tolerance (``tree_sizes``, the byte size of each tree's
      text, is not compared). A difference names the tree and the key.
    - Any other text (SQL): token by token, numbers within the tolerance; a difference quotes
      the text before it.

    Examples
    --------
    >>> results = compare_artifacts("scorecards/consumer/1.1.0", rebuilt,
    ...                             release.MODEL_ARTIFACTS, sample)      # doctest: +SKIP
    >>> for r in results:                                                 # doctest: +SKIP
    ...     print(r.describe())
    scorecard.json: identical
    scorecard.json: equal within tolerance (numbers agree to 4.2e-12; score and pd on 2,010 ...
    gbm.txt: differs (Tree=7, threshold: 0.20085000000000003 vs 0.70085)
    """
    old, new = Path(old_folder), Path(new_folder)
    for folder in (old, new):
        if not folder.is_dir():
            raise ConfigError(
                f"compare_artifacts: '{folder}' is not a folder. Give the two release folders."
            )
    if sample is not None and not isinstance(sample, pd.DataFrame):
        raise ConfigError(
            "The 'sample' parameter of compare_artifacts must be a pandas DataFrame or None. "
            f"Got {type(sample).__name__} instead."
        )
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not math.isfinite(tolerance)
        or tolerance <= 0
    ):
        raise ConfigError(
            "The 'tolerance' parameter of compare_artifacts must be a positive number. Got "
            f"{tolerance!r} instead."
        )
    if isinstance(names, str):
        names = [names]
    names = list(names)
    for name in names:
        _check_name(name)
    return [_compare(old, new, name, sample, float(tolerance)) for name in names]


def _check_name(name: Any) -> None:
    why = check_name(name)
    if why:
        raise ConfigError(
            f"compare_artifacts: the artifact name {name!r} is refused: {why}. Give names such "
            "as 'scorecard.json' (plain relative names inside the release folders)."
        )


# ------------------------------------------------------------------------------------------
# one artifact
# ------------------------------------------------------------------------------------------
class _Closeness:
    """The largest scaled difference ``|a - b| / max(1, |a|, |b|)`` seen so far."""

    def __init__(self, tol: float):
        self.tol = tol
        self.worst = 0.0

    def close(self, a: float, b: float) -> bool:
        if a == b or (math.isnan(a) and math.isnan(b)):
            return True
        if not (math.isfinite(a) and math.isfinite(b)):
            return False
        d = abs(a - b) / max(1.0, abs(a), abs(b))
        if d > self.tol:
            return False
        self.worst = max(self.worst, d)
        return True


def _compare(
    old: Path, new: Path, name: str, sample: pd.DataFrame | None, tol: float
) -> ArtifactComparison:
    a_path, b_path = old / name, new / name
    a_ok, b_ok = a_path.is_file(), b_path.is_file()
    if not (a_ok and b_ok):
        where = (
            "missing from both releases"
            if not (a_ok or b_ok)
            else "missing from the rebuilt release"
            if a_ok
            else "missing from the original release"
        )
        return ArtifactComparison(name, DIFFERS, where)
    a_bytes, b_bytes = a_path.read_bytes(), b_path.read_bytes()
    if a_bytes == b_bytes:
        return ArtifactComparison(name, IDENTICAL)
    try:
        a_text, b_text = a_bytes.decode("utf-8"), b_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return ArtifactComparison(name, DIFFERS, "the bytes differ (not text)")
    numbers = _Closeness(tol)
    if name.endswith(".json"):
        diff = _json_file_diff(a_text, b_text, numbers, (old, new))
    elif name.endswith(".csv"):
        diff = _csv_diff(a_text, b_text, numbers)
    elif name.endswith(".txt") and _is_lightgbm(a_text) and _is_lightgbm(b_text):
        diff = _lightgbm_diff(a_text, b_text, numbers)
    else:
        diff = _text_diff(a_text, b_text, numbers)
    if diff is not None:
        return ArtifactComparison(name, DIFFERS, diff)
    reason = f"numbers agree to {numbers.worst:.1e}"
    kind = _model_kind(old, name)
    if kind is not None:
        agree, scores = _scores(old, new, name, kind, sample, tol)
        if not agree:
            return ArtifactComparison(name, DIFFERS, scores)
        reason += f"; {scores}"
    return ArtifactComparison(name, EQUAL, reason)


# ------------------------------------------------------------------------------------------
# structure and numbers
# ------------------------------------------------------------------------------------------
def _json_file_diff(
    a_text: str, b_text: str, numbers: _Closeness, folders: tuple[Path, Path]
) -> str | None:
    docs = []
    for text, which in ((a_text, "original"), (b_text, "rebuilt")):
        try:
            docs.append(json.loads(text))
        except json.JSONDecodeError as exc:
            return f"the {which} file is not valid JSON ({exc})"
    if all(_own_scorecard_hash(doc, folder) for doc, folder in zip(docs, folders)):
        # a hash of the release's own scorecard.json, which is compared on its own: it differs
        # whenever a number of the scorecard does, within the tolerance or not
        docs = [{k: v for k, v in doc.items() if k != "scorecard_sha256"} for doc in docs]
    return _json_diff(docs[0], docs[1], "", numbers)


def _own_scorecard_hash(doc: Any, folder: Path) -> bool:
    """Whether ``doc`` is a monitoring baseline whose ``scorecard_sha256`` is that of the
    ``scorecard.json`` beside it (checked by the baseline's own loader)."""

    if not isinstance(doc, dict) or doc.get("format") != BASELINE_FORMAT:
        return False
    try:
        Baseline(doc, json.loads((folder / "scorecard.json").read_text()))
    except (DataError, OSError, ValueError, KeyError, TypeError):
        return False
    return True


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _json_diff(a: Any, b: Any, path: str, numbers: _Closeness) -> str | None:
    where = path or "(top level)"
    if _is_number(a) and _is_number(b):
        return None if numbers.close(float(a), float(b)) else f"{where}: {a!r} vs {b!r}"
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            only_a = [k for k in a if k not in b]
            only_b = [k for k in b if k not in a]
            if only_a:
                return f"{where}: key {only_a[0]!r} only in the original"
            if only_b:
                return f"{where}: key {only_b[0]!r} only in the rebuilt"
            return f"{where}: the keys are in another order"
        for k in a:
            diff = _json_diff(a[k], b[k], f"{path}.{k}" if path else str(k), numbers)
            if diff is not None:
                return diff
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            diff = _json_diff(x, y, f"{path}[{i}]", numbers)
            if diff is not None:
                return diff
        return None
    if type(a) is not type(b) or a != b:
        return f"{where}: {_short(a)} vs {_short(b)}"
    return None


def _short(x: Any, width: int = 40) -> str:
    text = json.dumps(x) if not isinstance(x, str) else repr(x)
    return text if len(text) <= width else text[: width - 3] + "..."


def _split_numbers(text: str) -> list[str]:
    """Text and numbers alternating: ``[text, number, text, ..., text]``."""
    return _NUMBER.split(text)


def _tokens_diff(a: str, b: str, numbers: _Closeness) -> tuple[int, str] | None:
    """First difference of two texts compared token by token: (offset in ``a``, what)."""
    ta, tb = _split_numbers(a), _split_numbers(b)
    offset = 0
    for i, (x, y) in enumerate(zip(ta, tb)):
        if i % 2 == 0:
            if x != y:
                common = _common_prefix(x, y)
                return offset + common, f"{_short(x[common:], 24)} vs {_short(y[common:], 24)}"
        elif not numbers.close(float(x), float(y)):
            return offset, f"{x} vs {y}"
        offset += len(x)
    if len(ta) != len(tb):
        return offset, "one text is longer"
    return None


def _common_prefix(x: str, y: str) -> int:
    return next((k for k, (c, d) in enumerate(zip(x, y)) if c != d), min(len(x), len(y)))


def _text_diff(a: str, b: str, numbers: _Closeness) -> str | None:
    a_lines, b_lines = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(a_lines, b_lines)):
        found = _tokens_diff(x, y, numbers)
        if found is not None:
            at, what = found
            before = x[max(0, at - 40) : at]
            return f"line {i + 1}, after '...{before}': {what}"
    if len(a_lines) != len(b_lines):
        return f"{len(a_lines)} lines vs {len(b_lines)}"
    return None


def _csv_diff(a: str, b: str, numbers: _Closeness) -> str | None:
    a_rows = list(csv.reader(io.StringIO(a)))
    b_rows = list(csv.reader(io.StringIO(b)))
    if not a_rows or not b_rows or a_rows[0] != b_rows[0]:
        head = [r[0] if r else [] for r in (a_rows, b_rows)]
        return f"the header differs: {_short(head[0], 60)} vs {_short(head[1], 60)}"
    header = a_rows[0]
    for i, (ra, rb) in enumerate(zip(a_rows[1:], b_rows[1:]), start=2):
        if len(ra) != len(rb):
            return f"line {i}: {len(ra)} fields vs {len(rb)}"
        for j, (x, y) in enumerate(zip(ra, rb)):
            found = _tokens_diff(x, y, numbers)
            if found is not None:
                col = header[j] if j < len(header) else f"#{j + 1}"
                return f"line {i}, column '{col}': {found[1]}"
    if len(a_rows) != len(b_rows):
        return f"{len(a_rows) - 1} rows vs {len(b_rows) - 1}"
    return None


def _is_lightgbm(text: str) -> bool:
    return text.startswith("tree\n") or text.startswith("tree\r\n")


def _lightgbm_diff(a: str, b: str, numbers: _Closeness) -> str | None:
    a_lines, b_lines = a.splitlines(), b.splitlines()
    section = "header"
    for i, (x, y) in enumerate(zip(a_lines, b_lines)):
        if x.startswith("Tree="):
            section = x
        elif x.endswith(":") and "=" not in x:
            section = x[:-1]
        key = x.split("=", 1)[0] if "=" in x else ""
        if key in _LIGHTGBM_DERIVED and y.split("=", 1)[0] == key:
            continue
        found = _tokens_diff(x, y, numbers)
        if found is not None:
            where = f"{section}, {key}" if key else f"{section}, line {i + 1}"
            return f"{where}: {found[1]}"
    if len(a_lines) != len(b_lines):
        return f"{len(a_lines)} lines vs {len(b_lines)}"
    return None


# ------------------------------------------------------------------------------------------
# scores on the sample
# ------------------------------------------------------------------------------------------
@dataclass
class _Model:
    """A model loaded with the package's own scorer: its columns, probe rows, predictions."""

    columns: list[str]
    probe: Callable[[], pd.DataFrame]
    predict: Callable[[pd.DataFrame], dict[str, np.ndarray]]


def _lightgbm_formats() -> tuple[str, str]:

    return GBM_FORMAT, FRAUD_FORMAT


def _model_kind(folder: Path, name: str) -> str | None:
    """``"scorecard"``, the GBM or fraud format, or None for an artifact that scores nothing.

    A JSON scorecard scores rows; a LightGBM model is the pair ``<stem>.txt`` + ``<stem>.json``
    and either file of the pair scores rows.
    """
    stem, _, suffix = name.rpartition(".")
    if suffix not in ("json", "txt") or not (folder / f"{stem}.json").is_file():
        return None
    try:
        fmt = json.loads((folder / f"{stem}.json").read_text()).get("format")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return None
    if fmt in (SCORECARD_FORMAT, SEGMENTED_FORMAT):
        return "scorecard" if suffix == "json" else None
    if fmt in _lightgbm_formats() and (folder / f"{stem}.txt").is_file():
        return fmt
    return None


def _load(folder: Path, name: str, kind: str) -> _Model:
    stem = name.rpartition(".")[0]
    if kind == "scorecard":
        model = json.loads((folder / name).read_text())
        scorer = Scorer(model)
        return _Model(
            list(scorer.columns),
            lambda: _scorecard_probe(model),
            lambda rows: {
                "score": scorer.score(rows).to_numpy(),
                "pd": scorer.pd_(rows).to_numpy(),
            },
        )
    text = (folder / f"{stem}.txt").read_text()
    meta = json.loads((folder / f"{stem}.json").read_text())
    if kind == _lightgbm_formats()[0]:
        gbm = GbmScorer(text, meta)

        def predict(rows: pd.DataFrame) -> dict[str, np.ndarray]:
            return {"pd": gbm.pd_(rows).to_numpy()}

    else:
        fraud = FraudScorer(text, meta)

        def predict(rows: pd.DataFrame) -> dict[str, np.ndarray]:
            return {"fraud_score": fraud.fraud_score(rows).to_numpy()}

    features = [str(f) for f in meta["features"]]
    categories = dict(meta.get("categories") or {})
    return _Model(features, lambda: _lightgbm_probe(text, features, categories), predict)


def _scores(
    old: Path, new: Path, name: str, kind: str, sample: pd.DataFrame | None, tol: float
) -> tuple[bool, str]:
    """Score both versions on the sample and the probe rows: (agree, what to report)."""
    loaded = []
    for folder, which in ((old, "original"), (new, "rebuilt")):
        try:
            loaded.append(_load(folder, name, kind))
        except Exception as exc:  # any loader error (LightGBM's own too) is a finding
            return False, f"the {which} version cannot be loaded ({exc})"
    before, after = loaded
    parts = []
    lacking = [c for c in before.columns if sample is not None and c not in sample.columns]
    if sample is not None and len(sample) and not lacking:
        parts.append(("sample row", sample))
    parts.append(("probe row", before.probe()))
    worst, n = 0.0, 0
    for label, rows in parts:
        try:
            want = before.predict(rows)
        except DataError as exc:
            raise DataError(
                f"compare_artifacts: the original {name} cannot score the {label}s: {exc}"
            ) from None
        try:
            got = after.predict(rows)
        except DataError as exc:
            return False, f"the rebuilt version cannot score the {label}s ({exc})"
        for key, a in want.items():
            ok, scaled = _close_arrays(a, got[key], tol)
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                at = rows.index[i]
                at = at.item() if isinstance(at, np.generic) else at
                return False, (
                    f"{key} differs on {int((~ok).sum()):,} of {len(a):,} {label}s (first: "
                    f"{label} {at!r}: {a[i]:.10g} vs {got[key][i]:.10g})"
                )
            worst = max(worst, scaled)
        n += len(rows)
    what = " and ".join(want)
    if sample is None:
        rows_text = f"{n:,} probe rows"
    elif lacking:
        rows_text = f"{n:,} probe rows (the sample lacks '{lacking[0]}')"
    else:
        rows_text = f"{n:,} sample and probe rows"
    return True, f"{what} on {rows_text} agree to {worst:.1e}"


def _close_arrays(a, b, tol: float) -> tuple[np.ndarray, float]:
    """Element-wise agreement (both NaN agrees) and the largest scaled difference."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    same = (a == b) | both_nan
    ok = same | (scaled <= tol)
    finite = ok & ~same
    return ok, float(scaled[finite].max()) if finite.any() else 0.0


def _interior(edges: list[float]) -> list[float]:
    """One value inside every interval the sorted ``edges`` cut the line into."""
    if not edges:
        return [0.0]
    lo, hi = edges[0], edges[-1]
    mids = [(x + y) / 2 for x, y in itertools.pairwise(edges)]
    return [lo - max(1.0, abs(lo)), *mids, hi + max(1.0, abs(hi))]


def _cycle(values: dict[str, list]) -> pd.DataFrame:
    """Rows taking the i-th value of every column (shorter lists start over)."""
    n = max((len(v) for v in values.values()), default=0)
    return pd.DataFrame(
        {
            k: pd.Series([v[i % len(v)] for i in range(n)], dtype=_dtype(v))
            for k, v in values.items()
        }
    )


def _dtype(values: list) -> str:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return "float64" if numeric else "object"


def _scorecard_probe(model: dict[str, Any]) -> pd.DataFrame:
    """A value inside every bin of every feature, its special codes, an unseen category and
    missing; for a segmented scorecard, such rows for every segment."""
    if model.get("format") == SEGMENTED_FORMAT:
        cards = [(s["when"], s["scorecard"]) for s in model["segments"]]
    else:
        cards = [({}, model)]
    frames = []
    for when, card in cards:
        values: dict[str, list] = {}
        for feature, spec in card["features"].items():
            specials = list(spec.get("special_codes") or [])
            if spec["dtype"] == "numerical":
                edges = sorted(float(s) for s in spec["splits"])
                values[feature] = [*_interior(edges), *(float(c) for c in specials), math.nan]
            else:
                firsts = [str(g[0]) for g in spec["groups"] if g]
                values[feature] = [*firsts, *(str(c) for c in specials), UNSEEN, None]
        frame = _cycle(values)
        for col, value in when.items():
            frame[col] = value
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _lightgbm_probe(text: str, features: list[str], categories: dict) -> pd.DataFrame:
    """Values between every pair of thresholds of every numerical feature of the model text,
    every category of the categorical ones, and missing."""
    thresholds: dict[int, set[float]] = {}
    tree: dict[str, list[str]] = {}

    def close_tree() -> None:
        if "split_feature" in tree and "threshold" in tree:
            kinds = tree.get("decision_type", ["0"] * len(tree["split_feature"]))
            for f, t, k in zip(tree["split_feature"], tree["threshold"], kinds):
                if not int(k) & 1:  # bit 0 set: a categorical split
                    thresholds.setdefault(int(f), set()).add(float(t))
        tree.clear()

    for line in text.splitlines():
        if line.startswith("Tree=") or line == "end of trees":
            close_tree()
        key, _, value = line.partition("=")
        if key in ("split_feature", "threshold", "decision_type"):
            tree[key] = value.split()
    close_tree()
    values: dict[str, list] = {}
    for j, f in enumerate(features):
        if f in categories:
            values[f] = [*(str(c) for c in categories[f]), UNSEEN, None]
        else:
            values[f] = [*_interior(sorted(thresholds.get(j, ()))), math.nan]
    return _cycle(values)
