"""``riskresearch init``: a project folder a risk team can commit and build releases from.

The folder gets a commented example config (``model.yaml``: two keys to fill), a ``data/``
folder for the team's own table, a README of the loop (edit the config, build a release,
read the report, override bins, build again) and a ``.gitignore``. Nothing in it needs the
simulator; ``example=True`` adds the simulated platform (a DuckDB warehouse and its modeling
table) and ``example.yaml``, the full consumer config, for a tour of every part.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from riskresearch.errors import ConfigError
from riskresearch.features import build_modeling_table
from riskresearch.synth import SimulationConfig, build_warehouse

#: Files of a new project: path in the project -> template in riskresearch/templates/.
FILES = {
    "model.yaml": "model.yaml",
    "README.md": "README.md",
    ".gitignore": "gitignore",
    "data/README.md": "data_README.md",
}
#: Extra files of ``--example``.
EXAMPLE_FILES = ("example.yaml", "data/leasing.duckdb", "data/modeling_table.parquet")
#: Applications simulated for the example (a release of them builds in about a minute).
EXAMPLE_APPLICATIONS = 20_000


def _template(name: str) -> str:
    return (resources.files("riskresearch") / "templates" / name).read_text()


def example_config() -> str:
    """The consumer config of the repository, its data paths made relative to a project
    folder whose ``data/`` holds the simulated platform."""
    text = _template("consumer.yaml")
    first = text.splitlines()[0]
    text = text.replace(
        first, "# The consumer scorecard of riskresearch's simulated leasing platform (data/)."
    )
    return text.replace("../data/", "data/").replace(
        "# Paths are relative to this file's folder.",
        "# Paths are relative to this file's folder. Build it with:\n"
        "#   riskresearch release example.yaml --version 1.0.0",
    )


def init_project(
    folder: str | os.PathLike,
    example: bool = False,
    seed: int = 20240101,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Create a project folder; return the files written.

    Parameters
    ----------
    folder : path-like
        The project folder (created if missing; an existing one keeps its other files).
    example : bool, default False
        Also simulate the leasing platform into ``data/`` and write ``example.yaml``.
    seed : int
        Seed of the simulation (``example``).
    progress : callable, optional
        ``progress(step, done, total)`` while the example data is simulated.

    Raises
    ------
    ConfigError
        The folder is a file, or a file this would write exists already (never overwritten).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"'{folder}' is a file. Give the folder to create the project in.")
    names = [*FILES, *(EXAMPLE_FILES if example else ())]
    taken = [n for n in names if (folder / n).exists()]
    if taken:
        raise ConfigError(
            f"'{folder}' already has {', '.join(taken)}; riskresearch init never overwrites. "
            "Choose a new folder or move them away."
        )
    folder.mkdir(parents=True, exist_ok=True)
    # everything is written into a staging folder first and moved in only when complete
    stage = Path(tempfile.mkdtemp(prefix=".riskresearch-init-", dir=folder))
    try:
        for name, template in FILES.items():
            path = stage / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_template(template))
        if example:
            sim = SimulationConfig(n_applications=EXAMPLE_APPLICATIONS, seed=seed)
            build_warehouse(sim, stage / "data" / "leasing.duckdb", progress=progress)
            build_modeling_table(
                stage / "data" / "leasing.duckdb", stage / "data" / "modeling_table.parquet"
            )
            (stage / "example.yaml").write_text(example_config())
        written = []
        for name in names:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / name, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(stage, ignore_errors=True)
