"""What a release records about the code that built it: the project's commit and the
package versions.

Used by :mod:`riskresearch.release` (the manifest) and :mod:`riskresearch.report` (the
reproducibility section) alike, so neither imports the other for it.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "code_version", "package_versions", "run_git"]

#: Packages whose exact versions a release's manifest records.
PACKAGES = (
    "riskresearch",
    "numpy",
    "pandas",
    "scikit-learn",
    "optbinning",
    "ortools",
    "lightgbm",
    "duckdb",
    "pyarrow",
    "papermill",
    "nbconvert",
    "pydantic",
)


def run_git(cwd: Path, *args: str) -> str | None:
    """The output of ``git *args`` in ``cwd``, or None when git is missing or fails."""
    try:
        res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def code_version(folder: Path) -> dict[str, Any]:
    """Commit and dirty flag of the git repository holding ``folder`` (the config's project),
    or nulls outside a repository."""
    commit = run_git(folder, "rev-parse", "HEAD")
    status = run_git(folder, "status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions() -> dict[str, str | None]:
    """The installed version of each of :data:`PACKAGES` (None when it is not installed)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
