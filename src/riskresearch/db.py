"""DuckDB connections: the one way the package opens a warehouse file.

Below the feature layer and the simulator alike: :mod:`riskresearch.features` queries a
warehouse through :func:`connect`, and :mod:`riskresearch.synth` writes one with it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from riskresearch.errors import BuildError, ConfigError

__all__ = ["DUCKDB_MAGIC", "connect", "out_of_memory", "warehouse_path"]

#: What a DuckDB database file holds after its 8-byte checksum.
DUCKDB_MAGIC = b"DUCK"


def connect(
    db, read_only: bool = True, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that prints no progress bar (the library never prints).

    In a Jupyter kernel DuckDB already has the bar off and refuses to change the setting, so
    the refusal is ignored there. ``memory_limit`` (e.g. ``"2GB"``) caps DuckDB's memory; work
    beyond it spills to a temporary folder next to the database. DuckDB's default is 80% of
    the machine's memory. A read-only ``db`` is checked by :func:`warehouse_path` first.
    """
    if memory_limit is not None and not re.fullmatch(
        r"\d+(\.\d+)?\s*(B|[KMGT]i?B)", str(memory_limit), flags=re.I
    ):
        raise ConfigError(
            "The 'memory_limit' parameter must be a size such as '2GB' or '512MB'. "
            f"Got {memory_limit!r} instead."
        )
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
    return con


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
