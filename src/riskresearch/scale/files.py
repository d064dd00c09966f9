"""Parquet in and out for Dask jobs: checks before any work, atomic folders of parts."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from riskresearch.atomic import is_disk_full, no_space
from riskresearch.errors import ConfigError, DataError
from riskresearch.woe import check_columns

#: Largest input partition (uncompressed): a bigger file is split at its row groups, so the
#: memory of one task stays bounded (about 250k rows of a scorecard's columns).
DEFAULT_BLOCKSIZE = "32MiB"


def read_parquet(path: str | os.PathLike, columns: list[str] | None = None, blocksize=None):
    """A ``dask.dataframe`` over a Parquet file, folder of files or glob, with one error line
    when it cannot be read."""
    import dask.dataframe as dd

    src = Path(path)
    if not (src.exists() or any(ch in str(path) for ch in "*?[")):
        raise ConfigError(
            f"The input '{path}' does not exist. Give a Parquet file, a folder of Parquet files "
            "or a glob."
        )
    if src.is_file() and src.suffix.lower() not in (".parquet", ".pq"):
        raise ConfigError(
            f"Dask scoring reads Parquet; '{src.name}' is not a .parquet file. Convert it "
            "(pandas: read_csv(...).to_parquet(...)) or drop --dask."
        )
    try:
        return dd.read_parquet(
            str(path),
            columns=columns,
            blocksize=blocksize or DEFAULT_BLOCKSIZE,
        )
    except (OSError, ValueError) as exc:
        raise DataError(f"Cannot read '{path}' as Parquet: {str(exc).splitlines()[0]}") from None


def parquet_files(src: str | os.PathLike) -> list[Path]:
    """The local Parquet files behind a file, folder or glob (empty for remote URLs)."""
    text = str(src)
    if "://" in text:
        return []
    if any(ch in text for ch in "*?["):
        return sorted(Path(f) for f in glob.glob(text, recursive=True) if Path(f).is_file())
    path = Path(src)
    if path.is_dir():
        return sorted(
            f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in (".parquet", ".pq")
        )
    return [path] if path.is_file() else []


def check_parquet_io(
    src: str | os.PathLike,
    out: str | os.PathLike,
    needed: list[str],
    owner: str,
    blocksize=None,
):
    """Check a Dask job's input and output before any cluster work; return the input frame.

    Every local Parquet file's footer is read (not its rows): a file that lacks a needed
    column fails here with the pandas path's one-line error and the file's name, instead of a
    ``KeyError`` deep in a Dask task.

    Raises
    ------
    ConfigError
        Missing input, not Parquet, or an output that is a file or a foreign folder.
    DataError
        A needed column missing from the input or from one of its files.
    """
    import pyarrow.parquet as pq

    _check_output_folder(Path(out))
    ddf = read_parquet(src, blocksize=blocksize)
    check_columns(ddf._meta, needed, owner)
    for f in parquet_files(src):
        try:
            names = pq.read_schema(f).names
        except (OSError, ValueError) as exc:
            raise DataError(f"Cannot read '{f}' as Parquet: {str(exc).splitlines()[0]}") from None
        check_columns(pd.DataFrame(columns=names), needed, f"{owner} (file '{f}')")
    return ddf


def _rows_written(folder: Path) -> int:
    """Rows in the Parquet parts of ``folder``, from their footers."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(f).num_rows for f in sorted(folder.glob("*.parquet")))


def _compute(dask_client, *things):
    import dask

    if dask_client is not None:
        return dask_client.compute(list(things), sync=True)
    return dask.compute(*things)


def _check_output_folder(out: Path) -> None:
    if out.is_file():
        raise ConfigError(
            f"The output '{out}' is a file; Dask writes a folder of Parquet parts. Give a folder "
            "path, e.g. 'scores/'."
        )
    if out.is_dir():
        foreign = [p.name for p in out.iterdir() if not p.name.endswith(".parquet")]
        if foreign:
            raise ConfigError(
                f"The output folder '{out}' holds files other than Parquet parts "
                f"({', '.join(sorted(foreign)[:3])}). Give an empty or new folder."
            )


def _replace_folder(tmp: Path, out: Path) -> None:
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.replace(out, old / "x")
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def write_parts(result, out: Path, dask_client=None) -> int:
    """Compute ``result`` into the Parquet folder ``out`` and return its rows.

    Parts are named ``part.00000.parquet`` ... in partition order, written into a temporary
    folder beside ``out`` and moved into place when complete: a failed run leaves nothing
    behind and never harms an existing ``out``.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        write = result.to_parquet(
            str(tmp),
            write_index=False,
            name_function=lambda i: f"part.{i:05d}.parquet",
            compute=False,
        )
        _compute(dask_client, write)
        n_rows = _rows_written(tmp)
        _replace_folder(tmp, out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(exc):  # raised in a worker, re-raised here: name the folder
            raise no_space(out, exc) from None
        raise
    return n_rows
