"""DuckDB connections: the one way the package opens a warehouse file.

Below the feature layer and the simulator alike: :mod:`riskresearch.features` queries a
warehouse through :func:`connect`, and :mod:`riskresearch.synth` writes one with it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from riskresearch.errors import BuildError, ConfigError

__all__ = [
    "DUCKDB_MAGIC",
    "MEMORY_LIMIT_ENV",
    "SPILL_DIR_ENV",
    "check_memory_limit",
    "connect",
    "fetch_batches",
    "out_of_memory",
    "stack_frames",
    "warehouse_path",
]

#: What a DuckDB database file holds after its 8-byte checksum.
DUCKDB_MAGIC = b"DUCK"


#: Environment variables a release build sets for its notebooks' kernels (``riskresearch
#: release --memory-limit``): every :func:`connect` without its own ``memory_limit`` caps
#: DuckDB at the first and spills to the folder named by the second.
MEMORY_LIMIT_ENV = "RISKRESEARCH_DUCKDB_MEMORY_LIMIT"
SPILL_DIR_ENV = "RISKRESEARCH_DUCKDB_TEMP"


def check_memory_limit(memory_limit, name: str = "memory_limit") -> str | None:
    """``memory_limit`` if it is a size DuckDB reads (``'2GB'``, ``'512MB'``, ``'1.5GiB'``).

    Raises
    ------
    ConfigError
        Anything else, naming ``name``.
    """
    if memory_limit is not None and not re.fullmatch(
        r"\d+(\.\d+)?\s*(B|[KMGT]i?B)", str(memory_limit), flags=re.I
    ):
        raise ConfigError(
            f"The '{name}' parameter must be a size such as '2GB' or '512MB'. "
            f"Got {memory_limit!r} instead."
        )
    return memory_limit


def connect(
    db, read_only: bool = True, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that prints no progress bar (the library never prints).

    In a Jupyter kernel DuckDB already has the bar off and refuses to change the setting, so
    the refusal is ignored there. ``memory_limit`` (e.g. ``"2GB"``) caps DuckDB's memory; work
    beyond it spills to a temporary folder next to the database. DuckDB's default is 80% of
    the machine's memory. Without ``memory_limit``, the environment's
    :data:`MEMORY_LIMIT_ENV` (set by a release build for its notebooks) applies, spilling to
    :data:`SPILL_DIR_ENV`'s folder. A read-only ``db`` is checked by :func:`warehouse_path`
    first.
    """
    name, spill = "memory_limit", None
    if memory_limit is None and os.environ.get(MEMORY_LIMIT_ENV):
        name, memory_limit = MEMORY_LIMIT_ENV, os.environ[MEMORY_LIMIT_ENV]
        spill = os.environ.get(SPILL_DIR_ENV) or None
    check_memory_limit(memory_limit, name)
    if read_only:  # an existing warehouse: a folder or a file of another kind is one line
        db = warehouse_path(db, "connect")
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as exc:  # e.g. locked by a writer, or written by a newer DuckDB
        reason = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(".")
        raise ConfigError(
            f"Cannot open the DuckDB database '{db}' ({reason}). Close the program writing it, "
            f"or give a database this DuckDB ({duckdb.__version__}) can read."
        ) from None
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if spill is not None:  # a read-only warehouse's own folder may not be writable
        con.execute("SET temp_directory = ?", [spill])
    return con


def fetch_batches(con: duckdb.DuckDBPyConnection, sql: str, batches: list[dict]) -> pd.DataFrame:
    """One DataFrame from a query run once per parameter set, its results stacked in order.

    The same rows as ``pd.concat`` of the results, in at most about the memory of the stacked
    table: each batch holds only its own rows in DuckDB, and :func:`stack_frames` moves them
    into the table batch by batch.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    sql : str
        The query; every batch runs it with its own parameters.
    batches : list of dict
        The parameters of each batch, in the order the rows are wanted.

    Returns
    -------
    pandas.DataFrame
        With a fresh RangeIndex; the first batch's (empty) result when every batch is empty.
    """
    return stack_results(iter_batches(con, sql, batches))


def stack_results(results) -> pd.DataFrame:
    """:func:`stack_frames` of the non-empty tables of ``results`` (an iterable, consumed
    one table at a time; a list is emptied as it is, so that its tables are not held twice),
    or the first table when all are empty."""
    if isinstance(results, list):
        results = _drained(results)
    pieces, empty = [], None
    for piece in results:
        if len(piece):
            pieces.append(piece)
        elif empty is None:
            empty = piece
    return stack_frames(pieces) if pieces else empty


def _drained(items: list):
    """The items of a list, first to last, each let go by the list as it is handed out."""
    items.reverse()
    while items:
        yield items.pop()


def iter_batches(con: duckdb.DuckDBPyConnection, sql: str, batches: list[dict]):
    """The results of a query run once per parameter set, one DataFrame at a time (empty ones
    included): for a caller that keeps only part of each (:func:`fetch_batches` keeps all)."""
    for params in batches:
        yield con.sql(sql, params=params).df()


def stack_frames(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(pieces, ignore_index=True)`` of tables with the same columns, emptying
    ``pieces`` as it goes so that the rows are held about once, not twice.

    Columns of one NumPy dtype (the same in every piece) are copied into one preallocated 2-D
    block per dtype, piece by piece, each piece dropped once copied; any other column is
    concatenated by pandas.

    Parameters
    ----------
    pieces : list of pandas.DataFrame
        Same columns in the same order; the list is empty afterwards.

    Returns
    -------
    pandas.DataFrame
    """
    if len(pieces) == 1:
        return pieces.pop().reset_index(drop=True)
    columns = list(pieces[0].columns)
    n = sum(len(p) for p in pieces)
    blocks: dict[np.dtype, list[str]] = {}
    other: dict[str, list[pd.Series]] = {}
    for c in columns:
        dtype = pieces[0][c].dtype
        if isinstance(dtype, np.dtype) and all(p[c].dtype == dtype for p in pieces):
            blocks.setdefault(dtype, []).append(c)
        else:
            other[c] = []
    # np.empty reserves the pages without touching them: the block fills as the pieces go
    values = {dtype: np.empty((len(cols), n), dtype=dtype) for dtype, cols in blocks.items()}
    start = 0
    pieces.reverse()
    while pieces:
        piece = pieces.pop()
        stop = start + len(piece)
        for dtype, cols in blocks.items():
            for j, c in enumerate(cols):
                values[dtype][j, start:stop] = piece[c].to_numpy()
        for c, parts in other.items():
            parts.append(piece[c])
        start = stop
        del piece
    frames = [
        pd.DataFrame(values.pop(dtype).T, columns=cols, copy=False)
        for dtype, cols in blocks.items()
    ]
    frames += [pd.concat(parts, ignore_index=True).to_frame(c) for c, parts in other.items()]
    # with copy-on-write neither the concat nor the column order copies a block
    return pd.concat(frames, axis=1)[columns]


def out_of_memory(what: str, memory_limit: str | None) -> BuildError:
    """One line for DuckDB running out of memory under a cap (its own message spans ten)."""
    return BuildError(
        f"{what} ran out of DuckDB memory under memory_limit {memory_limit!r}. Raise it (the "
        "modeling table of 10M applications needs about 2GB; riskresearch data build "
        "--memory-limit) or leave it unset."
    )


def warehouse_path(db, owner: str) -> Path:
    """The path of an existing DuckDB warehouse file.

    Raises
    ------
    ConfigError
        One line when ``db`` is missing, a folder or a file that is not a DuckDB database.
    """
    if not isinstance(db, str | os.PathLike):
        raise ConfigError(
            f"{owner} expects the path of a DuckDB warehouse. Got {type(db).__name__} instead."
        )
    path = Path(db)
    if path.is_dir():
        raise ConfigError(
            f"The warehouse '{path}' is a folder, not a DuckDB file. Give the database file "
            "itself, e.g. data/leasing.duckdb."
        )
    if not path.is_file():
        raise ConfigError(
            f"The warehouse file '{path}' does not exist. Build it with 'riskresearch data build' "
            "or give the path of your own DuckDB file."
        )
    try:
        with path.open("rb") as f:
            header = f.read(len(DUCKDB_MAGIC) + 8)
    except OSError as exc:
        raise ConfigError(f"Cannot read the warehouse '{path}': {exc.strerror or exc}.") from None
    # checked before DuckDB opens it: DuckDB tries to install its sqlite extension (online)
    # for a SQLite file and fails with a multi-line error for anything else
    if header[8:] != DUCKDB_MAGIC:
        raise ConfigError(
            f"'{path}' is not a DuckDB database (it lacks DuckDB's file header). Give a "
            "warehouse built by 'riskresearch data build' or your own DuckDB file."
        )
    return path
