"""Retrain: a challenger release from a champion's config on (new) data.

The feedback loop's step that builds a release, so it sits above the release builder
(:mod:`riskresearch.release`); the comparison with the champion and the promotion record live
in :mod:`riskresearch.monitoring`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from riskresearch.atomic import input_file
from riskresearch.manifest import ReleaseFolder, sha256_file
from riskresearch.release import build_release, release_config

__all__ = ["retrain"]


def retrain(
    release: str | os.PathLike,
    version: str,
    table: str | os.PathLike | None = None,
    root: str | os.PathLike | None = None,
    progress=None,
):
    """Build a challenger release from a champion's config on (new) data.

    Parameters
    ----------
    release : path-like
        The champion release folder (verified first; never written to).
    version : str
        The challenger's version (a new folder beside the champion; numbered versions are
        immutable).
    table : path-like, optional
        The modeling table that now includes the matured new cohorts (default: the
        champion's ``data.table``, as it is now). The out-of-time split of the config (e.g.
        the latest 4 mature months) then holds the newest cohorts, on which notebook 10
        compares champion and challenger.
    root : path-like, optional
        Folder of the model folders (default: the champion's grandparent, e.g. scorecards/).

    Returns
    -------
    riskresearch.release.Release
    """
    rf = ReleaseFolder.open(release, needs=("scorecard",), purpose="retrain")
    folder = rf.folder.resolve()
    manifest = rf.manifest
    config = release_config(folder, manifest)  # paths absolute: the build runs elsewhere
    if table is not None:
        path = input_file(table, "--table", "the new modeling table (a CSV or Parquet file)")
        config["data"]["table"] = str(path.resolve())
    config.setdefault("monitoring", {})["champion"] = str(folder)
    new_table = Path(config["data"]["table"])
    same = new_table.is_file() and sha256_file(new_table) == manifest["data"]["sha256"]
    root = Path(root) if root is not None else folder.parent.parent
    # the challenger's config sits, while it builds, beside the releases (in the champion's
    # project): its manifest then stores the project's paths relative, like the champion's
    fd, name = tempfile.mkstemp(prefix=f".challenger-{version}-", suffix=".yaml", dir=root)
    cfg_path = Path(name)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(yaml.safe_dump(config, sort_keys=False))
        built = build_release(cfg_path, version=version, root=root, progress=progress)
    finally:
        cfg_path.unlink(missing_ok=True)
    built.metrics["same_data_as_champion"] = same
    return built
