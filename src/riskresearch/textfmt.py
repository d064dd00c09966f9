"""Fixed, documented precision for the numbers of our own text model artifacts.

A release must rebuild to the same bytes on another machine. The same fit on another CPU gives
floats that differ in their last bits (numpy's SIMD ``log``/``exp``, BLAS summation order), and
Python's shortest repr (up to 17 significant digits) shows those bits in the text. Every writer
of a JSON, CSV or SQL model artifact (``binning.json``, ``scorecard.json``, ``points.csv``,
``scorecard.sql``, ``gbm.json``, ``fraud.json``, ``collection_score.json``, ``behavior.json``,
``behavior.sql``, ``strategy.json``, ``fraud_rings.csv``, ``partners.json``, ``partners.csv``,
``monitoring_baseline.json``) therefore writes numbers through this module:

- A float is rounded to :data:`SIGNIFICANT_DIGITS` = 12 significant digits (round half to
  even on its exact binary value, as ``format(x, ".12g")``) and written as the shortest text
  that reads back to the rounded float (Python's ``repr``): ``487.1228762045055`` ->
  ``487.122876205``, ``29.0`` -> ``29.0``, ``1e-15`` -> ``1e-15``. Rounding twice gives the
  same text as rounding once, so an artifact read and written again does not change.
- Integers (``int``, numpy integers) are written as they are; booleans stay booleans.
- ``-0.0`` is written as ``0.0``.
- NaN and +/-inf: JSON has no such numbers, so a JSON writer refuses them with a
  :class:`~riskresearch.errors.DataError` naming the key (``nonfinite="error"``, the default:
  a NaN in a scorecard would score every row NaN) or writes ``null`` (``nonfinite="null"``,
  for documents where a rate can be undefined: ``strategy.json``, ``partners.json``,
  ``monitoring_baseline.json``). In CSV, NaN is an empty field and +/-inf are ``inf`` /
  ``-inf`` (pandas reads both back). A SQL literal refuses them.

Why 12 digits: a point, WoE, offset or factor is then within 5e-13 of its unrounded value
(relative), so a score summed over 20 features of up to 100 points each moves by less than
1e-9 and a PD (derivative at most 1/(4 factor) = 0.009 per point) by less than 1e-11, while a
difference of a few ulps (relative 1e-16 to 1e-14) between two CPUs changes the 12-digit text
only when the value lies that close to a rounding boundary (roughly one value in 10^4). Such a
value can still flip, which is why a rebuild is compared with a tolerance
(:func:`riskresearch.compare.compare_artifacts`). ``partners.csv`` is a ranked report table that
nothing scores from; it keeps the 6 significant digits it was always written with.

LightGBM model text (``gbm.txt``, ``fraud.txt``) is written by LightGBM and is left as is.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskresearch.errors import ConfigError, DataError

#: Significant digits of every float in a JSON, CSV or SQL model artifact.
SIGNIFICANT_DIGITS = 12
#: Significant digits of ``partners.csv``, a ranked report table nothing scores from.
PARTNERS_CSV_DIGITS = 6

Nonfinite = Literal["error", "null"]


def round_float(x: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits; ``-0.0`` becomes ``0.0``.

    Non-finite values are returned as they are (the writers decide what to do with them).

    Examples
    --------
    >>> round_float(487.1228762045055)
    487.122876205
    >>> round_float(-0.0)
    0.0
    """
    x = float(x)
    if x == 0.0:
        return 0.0
    if not math.isfinite(x):
        return x
    return float(format(x, f".{digits}g"))


def json_number(v: Any) -> float | None:
    """``v`` as a JSON-ready float: None for None, NaN / NA and +/-inf (JSON has none of them).

    Examples
    --------
    >>> json_number(np.float32(0.5)), json_number(float("nan")), json_number(None)
    (0.5, None, None)
    """
    if v is None or pd.isna(v):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def number_text(x: float | int, where: str = "a number", digits: int = SIGNIFICANT_DIGITS) -> str:
    """The text of one number in a model artifact (e.g. a SQL literal).

    Integers are written as they are, floats rounded (:func:`round_float`) and written as the
    shortest text that reads back to the rounded value.

    Parameters
    ----------
    x : float or int
    where : str
        What the number is, for the error message (e.g. ``"the points of feature 'age'"``).
    digits : int, default :data:`SIGNIFICANT_DIGITS`

    Raises
    ------
    DataError
        When ``x`` is NaN or +/-inf.
    """
    if isinstance(x, bool | np.bool_):
        raise DataError(f"{where} is the boolean {x!r}, not a number. Write it as a number.")
    if isinstance(x, int | np.integer):
        return str(int(x))
    v = float(x)
    if not math.isfinite(v):
        raise DataError(
            f"{where} is {v!r}; a model artifact holds finite numbers only. Fix the model "
            "before writing it."
        )
    return repr(round_float(v, digits))


def plain(
    obj: Any,
    *,
    nonfinite: Nonfinite = "error",
    digits: int = SIGNIFICANT_DIGITS,
    _where: str = "",
) -> Any:
    """A JSON-ready copy of ``obj`` with every float rounded (:func:`round_float`).

    Dicts, lists, tuples and numpy arrays are copied recursively (tuples and arrays become
    lists); numpy integers become ``int``, numpy booleans ``bool``, numpy floats rounded
    ``float``; strings, ``None`` and other objects are kept.

    Parameters
    ----------
    obj : object
    nonfinite : {"error", "null"}, default "error"
        What a NaN or +/-inf float becomes: a :class:`~riskresearch.errors.DataError` naming
        its key, or ``None``.
    digits : int, default :data:`SIGNIFICANT_DIGITS`
    """
    if nonfinite not in ("error", "null"):
        raise ConfigError(
            f"The 'nonfinite' parameter of plain must be 'error' or 'null'. Got {nonfinite!r} "
            "instead."
        )
    return _plain(obj, nonfinite, digits, _where)


def _plain(obj: Any, nonfinite: str, digits: int, where: str) -> Any:
    if isinstance(obj, Mapping):
        return {
            _key(k): _plain(v, nonfinite, digits, f"{where}.{k}" if where else str(k))
            for k, v in obj.items()
        }
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, list | tuple):
        return [_plain(v, nonfinite, digits, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        if math.isfinite(v):
            return round_float(v, digits)
        if nonfinite == "null":
            return None
        raise DataError(
            f"The value at '{where or '(top level)'}' is {v!r}; JSON has no such number. Fix "
            "the model before writing it."
        )
    return obj


def _key(k: Any) -> Any:
    """A dict key json can write (numpy scalars become Python ones; floats are rounded)."""
    if isinstance(k, bool | np.bool_):
        return bool(k)
    if isinstance(k, int | np.integer):
        return int(k)
    if isinstance(k, float | np.floating):
        return round_float(k)
    return k


def json_text(
    obj: Any,
    *,
    indent: int = 1,
    sort_keys: bool = False,
    nonfinite: Nonfinite = "error",
    default: Callable[[Any], Any] | None = None,
) -> str:
    """JSON text of ``obj`` with every float rounded (:func:`plain`); no trailing newline.

    Parameters
    ----------
    obj : object
    indent : int, default 1
    sort_keys : bool, default False
    nonfinite : {"error", "null"}, default "error"
        See :func:`plain`.
    default : callable, optional
        ``json.dumps``' fallback for objects it cannot write (e.g. ``str``).

    Examples
    --------
    >>> json_text({"woe": 0.11259645397208944, "n": 3, "z": -0.0}, indent=None)
    '{"woe": 0.112596453972, "n": 3, "z": 0.0}'
    """
    return json.dumps(
        plain(obj, nonfinite=nonfinite),
        indent=indent,
        sort_keys=sort_keys,
        allow_nan=False,
        default=default,
    )


def write_json(
    path: str | os.PathLike,
    obj: Any,
    *,
    indent: int = 1,
    sort_keys: bool = False,
    nonfinite: Nonfinite = "error",
    default: Callable[[Any], Any] | None = None,
) -> Path:
    """Write :func:`json_text` of ``obj`` and a final newline to ``path``; return the path."""
    text = json_text(obj, indent=indent, sort_keys=sort_keys, nonfinite=nonfinite, default=default)
    path = Path(path)
    path.write_text(text + "\n", encoding="utf-8", newline="")
    return path


def csv_text(frame: pd.DataFrame, *, digits: int = SIGNIFICANT_DIGITS) -> str:
    """CSV text of ``frame`` (no index, ``\\n`` line ends) with every float rounded.

    Floats in float columns and in object columns are written as :func:`number_text`; NaN
    (and None, pandas NA) as an empty field; +/-inf as ``inf`` / ``-inf``; integers, booleans
    and text as pandas writes them.
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_float_dtype(s.dtype) or s.dtype == object:
            out[col] = s.map(lambda v: _cell(v, digits), na_action=None).astype(object)
    return out.to_csv(index=False, lineterminator="\n")


def _cell(v: Any, digits: int) -> Any:
    if isinstance(v, bool | np.bool_) or not isinstance(v, float | np.floating):
        return v
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(round_float(v, digits))


def write_csv(
    frame: pd.DataFrame, path: str | os.PathLike, *, digits: int = SIGNIFICANT_DIGITS
) -> Path:
    """Write :func:`csv_text` of ``frame`` to ``path``; return the path."""
    path = Path(path)
    path.write_text(csv_text(frame, digits=digits), encoding="utf-8", newline="")
    return path
