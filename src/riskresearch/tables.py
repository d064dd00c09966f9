"""One reader for the tables users give: CSV or Parquet, by suffix.

CSV is read as UTF-8 by default (a byte-order mark, as Excel writes, is dropped); tables
exported from Chinese Excel are often GBK / GB18030: pass ``encoding="gb18030"`` (a superset
of GBK), ``data.encoding`` in a config or ``--encoding`` on the command line. A file that does
not decode is one line naming the file, the byte offset of the first bad byte and the option
to set. Parquet carries its own types and text encoding.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from riskresearch.errors import ConfigError, DataError

#: How a CSV is decoded when no encoding is given: UTF-8, with or without a byte-order mark.
DEFAULT_ENCODING = "utf-8-sig"
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def check_encoding(encoding: str | None, key: str = "encoding") -> str:
    """The codec name to read CSV with; a name Python does not know is a one-line error."""
    if encoding is None:
        return DEFAULT_ENCODING
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"The {key} {encoding!r} is not a text encoding Python knows. Use e.g. 'utf-8' or "
            "'gb18030'."
        ) from None
    return encoding


def suffix_kind(path: str | os.PathLike) -> str | None:
    """``"csv"``, ``"parquet"`` or None (any other suffix), by the file's suffix: the one place
    that knows which files are tables."""
    return SUFFIXES.get(Path(path).suffix.lower())


def kind(path: str | os.PathLike, what: str = "table") -> str:
    """``"csv"`` or ``"parquet"`` by the file's suffix (one-line error otherwise)."""
    path = Path(path)
    found = suffix_kind(path)
    if found is None:
        got = path.suffix or path.name
        raise ConfigError(f"The {what} '{path}' must be a .csv or .parquet file. Got '{got}'.")
    return found


def read_table(
    path: str | os.PathLike,
    columns: list[str] | None = None,
    encoding: str | None = None,
    text_columns: Iterable[str] = (),
    what: str = "table",
) -> pd.DataFrame:
    """Read a CSV or Parquet table.

    Parameters
    ----------
    path : path-like
    columns : list of str, optional
        Read only these columns.
    encoding : str, optional
        Text encoding of a CSV (default UTF-8 with or without BOM).
    text_columns : iterable of str
        CSV columns read as text (categories: a blank cell then cannot turn ``31`` into
        ``31.0``); columns the file lacks are ignored.
    what : str
        What the file is, for error messages.

    Raises
    ------
    DataError
        The file cannot be read or decoded: one line naming it (and, for a decoding error,
        the byte offset and the encoding to try).
    """
    path = Path(path)
    how, enc = kind(path, what), check_encoding(encoding)
    try:
        if how == "parquet":
            frame = pd.read_parquet(path, columns=columns)
            # the file's decoded buffers go back to the system: Arrow's allocator would keep
            # them for reuse that pandas and numpy never make (0.7 GB of a 1M-row table)
            pa.default_memory_pool().release_unused()
            return frame
        text = {c: "string" for c in text_columns}
        return pd.read_csv(path, usecols=columns, encoding=enc, dtype=text or None)
    except UnicodeDecodeError:
        raise decode_error(path, enc, what) from None
    except (OSError, ValueError) as exc:
        raise DataError(f"Cannot read the {what} '{path}': {_first_line(exc)}.") from None


def read_header(
    path: str | os.PathLike, encoding: str | None = None, what: str = "table"
) -> list[str]:
    """The column names of a CSV or Parquet table, read from its header only."""
    path = Path(path)
    how, enc = kind(path, what), check_encoding(encoding)
    try:
        if how == "csv":
            return list(pd.read_csv(path, nrows=0, encoding=enc).columns)
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    except UnicodeDecodeError:
        raise decode_error(path, enc, what) from None
    except (OSError, ValueError) as exc:
        raise DataError(
            f"Cannot read the header of the {what} '{path}': {_first_line(exc)}. Give a CSV or "
            "Parquet file."
        ) from None


def first_bad_byte(path: str | os.PathLike, encoding: str) -> int | None:
    """Offset of the first byte of ``path`` that ``encoding`` cannot decode, or None (read in
    chunks: the whole file is never held in memory)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            # bytes of an unfinished character the decoder holds back from the last chunk
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
    return None


def decode_error(path: Path, encoding: str, what: str = "table") -> DataError:
    """The one-line error for a CSV that does not decode with ``encoding``."""
    at = first_bad_byte(path, encoding)
    where = f" at byte {at:,}" if at is not None else ""
    name = "UTF-8" if encoding.replace("-", "").lower().startswith("utf8") else encoding
    hint = (
        "--encoding gb18030 (data.encoding: gb18030 in a config) if it came from Chinese Excel"
        if name == "UTF-8"
        else "the encoding the file was written with (--encoding / data.encoding)"
    )
    return DataError(f"The {what} '{path}' is not {name} text{where}. Give {hint}.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__).rstrip(".")


def filter_mask(df: pd.DataFrame, where: dict[str, Any]) -> np.ndarray:
    """Rows where every column of ``where`` equals its value (missing values never match).

    The one row filter: ``data.filter``, the declined filter and every part's row selection
    use it.
    """
    mask = np.ones(len(df), dtype=bool)
    for col, value in where.items():
        mask &= (df[col] == value).fillna(False).to_numpy(dtype=bool)
    return mask
