"""Atomic output: write to a temporary path beside the target, move into place when complete."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from riskresearch.errors import BuildError, ConfigError, DataError

#: errno of a write that failed for lack of room: a full disk, a quota, a file-size limit
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _no_space_errno(exc: BaseException) -> int | None:
    if isinstance(exc, OSError):
        return exc.errno if exc.errno in NO_SPACE else None
    if type(exc).__module__.lstrip("_").startswith("duckdb"):
        # DuckDB's IOException (or a failed commit) keeps only the system's text
        text = str(exc)
        return next((code for code in NO_SPACE if os.strerror(code) in text), None)
    return None


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` is a write failing for lack of room: an OSError with an errno of
    :data:`NO_SPACE`, or a DuckDB error carrying one."""
    return _no_space_errno(exc) is not None


def no_space(target: str | os.PathLike, exc: BaseException | None = None) -> BuildError:
    """The one line for :func:`is_disk_full`, naming the file or folder being written."""
    code = None if exc is None else _no_space_errno(exc)
    # a quota or a file-size limit (ulimit -f) says so
    why = f" ({os.strerror(code)})" if code not in (None, errno.ENOSPC) else ""
    return BuildError(
        f"No space left on device while writing '{target}'{why}. Free space or write elsewhere."
    )


def input_file(path: str | os.PathLike, what: str, give: str, folder_hint: str = "") -> Path:
    """``path`` as an existing file; a one-line ConfigError when it is missing or a folder.

    Parameters
    ----------
    path : path-like
    what : str
        What the file is, e.g. ``"input file"``; named in the message.
    give : str
        What to give instead, e.g. ``"a CSV or Parquet file"``.
    folder_hint : str
        Appended when ``path`` is a folder, e.g. what reads a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"The {what} '{path}' is a folder, not a file. Give {give}{folder_hint}.")
    if not path.is_file():
        raise ConfigError(f"The {what} '{path}' does not exist. Give {give}.")
    return path


def refuse_overwriting_input(
    src: str | os.PathLike, out: str | os.PathLike, inputs: Iterable[Path] | None = None
) -> None:
    """Raise ConfigError when writing ``out`` would replace the input ``src``.

    The same file is found through any spelling, symlink or hard link (``os.path.samefile``).
    ``inputs`` are the input's files when ``out`` is a folder replaced as a whole (Dask
    writes one): an input file inside it is refused too. Call it before reading anything.
    """
    out = Path(out)
    if not out.exists():
        return  # nothing there yet, so nothing of the input can be replaced
    folder = out.resolve() if inputs is not None and out.is_dir() else None
    for f in [Path(src), *(inputs or [])]:
        if not f.exists():
            continue
        if os.path.samefile(f, out):
            raise ConfigError(
                f"The output '{out}' is the input '{src}': writing it would destroy the input. "
                "Give another output path."
            )
        if folder is not None and f.resolve().is_relative_to(folder):
            raise ConfigError(
                f"The output folder '{out}' holds the input file '{f}': writing the output "
                "replaces that folder and would delete the input. Give another output folder."
            )


def writable_folder(target: str | os.PathLike, what: str = "output") -> Path:
    """Check that ``target`` can be written as a file; create its folder if missing.

    Raises
    ------
    ConfigError
        When the target is a folder or its folder cannot be created or written.
    """
    target = Path(target)
    if target.is_dir():
        raise ConfigError(
            f"The {what} path '{target}' is a folder. Give a file path inside it, "
            f"e.g. '{target / 'file'}'."
        )
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"Cannot write the {what} '{target}': {exc.strerror or exc}. Choose a writable path."
        ) from None
    return folder


@contextmanager
def atomic_output(target: str | os.PathLike, what: str = "output") -> Iterator[Path]:
    """Yield a fresh temporary path next to ``target``; replace ``target`` with it on success.

    On any error (or interrupt) the temporary file and DuckDB's ``.wal`` beside it are removed
    and ``target`` is left as it was. The yielded path does not exist yet, so tools that insist
    on creating their file (DuckDB) can use it.

    Raises
    ------
    BuildError
        When the disk fills up (or a quota or file-size limit is hit): one line naming
        ``target`` instead of the writer's own error.
    """
    target = Path(target)
    folder = writable_folder(target, what)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, target)
    except Exception as exc:
        if is_disk_full(exc):
            raise no_space(target, exc) from None
        raise
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)


def read_json(path: str | os.PathLike, missing: str) -> Any:
    """The JSON document in ``path``; a missing file raises DataError(``missing``), a broken
    one names the file (release artifacts may come from someone else)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(missing)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"'{path}' is not valid JSON ({exc}). Rebuild or restore it.") from None


def merge_metrics(out_dir: str | os.PathLike, key: str, value: Any, default=None) -> Path:
    """Set ``key`` of ``out_dir/metrics.json`` to ``value``, keeping the other notebooks' keys.

    ``default`` is ``json.dumps``' fallback for values it cannot write (e.g. numpy scalars).
    """
    path = Path(out_dir) / "metrics.json"
    everything = json.loads(path.read_text()) if path.is_file() else {}
    everything[key] = value
    path.write_text(json.dumps(everything, indent=1, sort_keys=True, default=default) + "\n")
    return path
