"""Reproducible scorecard releases: papermill runs the notebooks, the library writes artifacts.

``build_release(config)`` executes the numbered notebooks of ``notebooks/`` in order with
papermill, each writing its artifacts through library calls into a temporary folder, writes
``report.html``, the model documentation built from those artifacts and the config's data
(:mod:`riskresearch.report`; the executed notebooks stay in ``notebooks/``), writes
``manifest.json`` (config, data fingerprint, code and package versions, seed, the sha256 of
every artifact, the release fingerprint, metrics) and moves the folder into
``scorecards/<model>/<version>/`` at the end. A failed or killed build
leaves no release; an existing numbered version is never overwritten (``dev`` may be replaced).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from riskresearch import pipeline
from riskresearch.atomic import is_disk_full, no_space
from riskresearch.compare import compare_artifacts
from riskresearch.config import ModelConfig, config_from_dict, load_config, read_yaml
from riskresearch.db import MEMORY_LIMIT_ENV, SPILL_DIR_ENV, check_memory_limit
from riskresearch.errors import BuildError, ConfigError, DataError
from riskresearch.features import build_modeling_table
from riskresearch.gbm import GbmScorer
from riskresearch.manifest import (
    FORMAT,
    ReleaseFolder,
    Verification,
    release_fingerprint,
    sha256_file,
)
from riskresearch.parts import MODEL_ARTIFACTS, PARTS, plan, table_columns
from riskresearch.provenance import code_version, package_versions, run_git
from riskresearch.reject_sample import no_declines
from riskresearch.report import write_report
from riskresearch.resources import ResourceMeter, StepUsage
from riskresearch.scoring import Scorer
from riskresearch.synth import SimulationConfig, build_warehouse

#: The release sequence, one notebook per part (:mod:`riskresearch.parts`).
NOTEBOOKS = tuple(p.notebook for p in PARTS)


def notebook_dir() -> Path:
    """The folder of the release notebooks shipped inside the package (the repository's
    top-level ``notebooks/``, linked into the package so it stays their one source)."""
    folder = Path(str(resources.files("riskresearch") / "notebooks"))
    if not (folder / NOTEBOOKS[0]).is_file():
        raise BuildError(
            f"The release notebooks are missing from the installed package ('{folder}'). "
            "Reinstall riskresearch."
        )
    return folder


def release_notebooks(cfg: ModelConfig, columns: list[str] | None = None) -> list[str]:
    """The notebooks a config's release runs, in order (:func:`riskresearch.parts.plan`)."""
    return [p.part.notebook for p in plan(cfg, columns) if p.included]


def model_artifacts(cfg: ModelConfig, columns: list[str] | None = None) -> list[str]:
    """The model artifacts a config's release must hold."""
    return [a for p in plan(cfg, columns) if p.included for a in p.part.artifacts]


#: The Jupyter kernel the notebooks name, for JupyterLab (``make lab`` registers it); a release
#: runs them on its own interpreter whatever kernels are registered (kernel_manager_class).
KERNEL = "riskresearch"
#: The parameters every notebook declares (its `parameters` cell) and the release passes.
NOTEBOOK_PARAMETERS = ("config_path", "out_dir", "sample_applications", "seed")
DEV = "dev"
Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------------------------------
# notebooks' entry point
# ------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def project_dir(folder: str | os.PathLike) -> Path:
    """The project a folder belongs to: the top folder of its git repository, else the folder
    itself. Notebooks show paths relative to it; the manifest records its git commit."""
    folder = Path(folder).resolve()
    top = run_git(folder, "rev-parse", "--show-toplevel")
    return Path(top) if top else folder


def display_path(path: str | os.PathLike | None, cfg: ModelConfig | None = None) -> str | None:
    """``path`` as a notebook shows it: relative to the config's project folder when inside
    it, so an executed notebook in a release does not carry the build machine's folders."""
    if path is None:
        return None
    path = Path(path)
    if cfg is None:
        return str(path)
    try:
        return path.resolve().relative_to(project_dir(cfg.base)).as_posix()
    except ValueError:
        return str(path)


def notebook_config(
    config_path: str | Path,
    sample_applications: int = 0,
    seed: int = 20240101,
    sample_dir: str | Path | None = None,
) -> ModelConfig:
    """The config a notebook runs with.

    With ``sample_applications > 0`` (the notebooks' interactive default) the data is a small
    simulated platform built once under ``sample_dir`` (default ``data/sample/`` of the
    config's project), so a notebook runs top to bottom in seconds on a fresh checkout; the
    release passes 0 and the config's own table is used.
    """
    config_path = Path(config_path)
    if sample_applications <= 0:
        return load_config(config_path)

    base = config_path.resolve().parent
    folder = Path(sample_dir) if sample_dir else project_dir(base) / "data" / "sample"
    # keyed by the simulator's and the feature SQL's source: a sample built by older code
    # (other columns) is never reused
    folder = folder / f"n{sample_applications}-s{seed}-{_data_code_version()}"
    db, table = folder / "leasing.duckdb", folder / "modeling_table.parquet"
    if not table.is_file():
        build_warehouse(SimulationConfig(n_applications=sample_applications, seed=seed), db)
        build_modeling_table(db, table)
    raw = read_yaml(config_path)
    raw.setdefault("data", {})
    raw["data"]["table"] = str(table)
    for key in ("oracle", "warehouse"):
        if key in raw["data"]:
            raw["data"][key] = str(db)
    cfg = config_from_dict(raw, source=str(config_path), base=base)
    cfg._source = config_path.resolve()
    return cfg


@functools.lru_cache(maxsize=1)
def _data_code_version() -> str:
    """A short hash of the code that makes the simulated data (simulator and feature SQL)."""
    root = Path(__file__).parent
    files = sorted([*(root / "synth").glob("*.py"), *(root / "sql").glob("*.sql")])
    files.append(root / "features.py")
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:8]


def kernel_manager_class():
    """The Jupyter kernel manager the release's notebooks run on: a kernel of this very
    interpreter (the one riskresearch is installed in, whatever kernels are registered),
    talking over local IPC sockets rather than TCP."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonKernel(AsyncKernelManager):
        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            self.transport = "ipc"

        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python (riskresearch)",
                language="python",
            )

    return ThisPythonKernel


CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def refresh_checked_outputs(paths=None, timeout: int = 600) -> None:
    """Run notebooks with their default parameters and store only the checked outputs.

    Every code cell loses its outputs except those starting with ``# NBVAL_CHECK_OUTPUT``,
    whose output is what ``pytest --nbval-lax`` compares. Run after changing a notebook or the
    code behind a checked cell (``make notebooks``), then review and commit the diff.
    """
    import nbformat
    from nbclient import NotebookClient

    for path in paths or [notebook_dir() / n for n in NOTEBOOKS]:
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            kernel_manager_class=kernel_manager_class(),
            timeout=timeout,
            resources={"metadata": {"path": path.parent}},
        ).execute()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if not cell.source.startswith(CHECK_MARK):
                cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        nb.metadata.pop("widgets", None)
        text = nbformat.writes(nb) + "\n"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)


# ------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------
@dataclass
class Release:
    """A built release folder and the headline facts of its manifest."""

    path: Path
    version: str
    sha256: str
    metrics: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    usage: list[StepUsage] = field(default_factory=list)


def _check_version(version: str) -> None:
    if not version or any(c in version for c in "/\\") or version.startswith("."):
        raise ConfigError(
            f"The release version must be a plain name such as '1.0.0' or 'dev'. Got "
            f"{version!r} instead."
        )


def preflight(cfg: ModelConfig) -> list[str]:
    """Check the config against its table before any notebook runs; return the columns.

    Every column the config names must be in the table's header; the kept rows' target must
    be 0/1 or two labels; the split must leave development and test rows; configured reject
    inference needs declined rows. Raises a one-line ConfigError or DataError.
    """

    columns = table_columns(cfg.data.table, cfg.data.encoding)
    pipeline.check_table_columns(cfg, columns)
    needed = [c for cols in pipeline.named_columns(cfg).values() for c in cols]
    needed = [c for c in dict.fromkeys(needed) if c in columns]
    pipeline.split_rows(pipeline.load_table(cfg, columns=needed), cfg)
    if cfg.reject_inference.method != "none":
        if reason := no_declines(cfg):
            raise ConfigError(
                f"reject_inference.method is {cfg.reject_inference.method!r} but {reason}. "
                "Set reject_inference.method: none or fix reject_inference.declined_filter."
            )
    return columns


def build_release(
    config_path: str | Path,
    version: str = DEV,
    root: str | Path | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
    memory_limit: str | None = None,
) -> Release:
    """Build ``<root>/<model>/<version>/`` from a config by running the notebooks.

    Parameters
    ----------
    config_path : path-like
        ``scorecards/<model>.yaml``; its relative paths resolve against its folder.
    version : str, default "dev"
        Release version. Numbered versions are immutable; ``dev`` is replaced on every build.
    root : path-like, optional
        Folder holding the releases (default: the config's folder).
    progress : callable, optional
        ``progress(step, done, total)`` after each notebook.
    log : callable, optional
        ``log(line)`` for each part skipped, with the reason, before the first notebook.
    memory_limit : str, optional
        Cap on DuckDB's memory in every notebook (e.g. ``"1GB"``): its queries spill to a
        temporary folder beyond it (removed after the build). pandas, NumPy and LightGBM are
        not capped. Recorded in the manifest's ``build``. Default: DuckDB's own (80% of RAM
        per connection).

    Raises
    ------
    ConfigError
        Bad config or version, a column the table lacks, or the version exists already.
    DataError
        The table cannot be read, or its target or split does not work.
    BuildError
        A notebook failed: names the notebook, the cell and the error. Nothing is left.
    """
    import papermill

    _check_version(version)
    check_memory_limit(memory_limit, "--memory-limit")
    config_path = Path(config_path).resolve()
    cfg = load_config(config_path)
    root = Path(root) if root is not None else config_path.parent
    model_dir = root / cfg.model
    target = model_dir / version
    if model_dir.is_dir():  # whatever happens next, a killed build's leftovers go first
        _remove_stale_builds(model_dir)
    columns = preflight(cfg)
    planned = plan(cfg, columns)
    skipped = {p.part.name: p.reason for p in planned if not p.included}
    if log:
        for p in planned:
            if not p.included:
                log(f"skipped   {p.part.title} ({p.part.notebook}): {p.reason}")
    if target.exists() and version != DEV:
        raise ConfigError(
            f"Release '{target}' exists and numbered versions are immutable. Choose a new "
            "--version (or build 'dev', which may be replaced)."
        )
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{version}-{os.getpid()}-", dir=model_dir))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a release is readable like any folder
    notebooks = [p.part.notebook for p in planned if p.included]
    source = notebook_dir()
    total = len(notebooks) + 1
    meter = ResourceMeter()
    restore = _duckdb_limit(None)  # nothing to undo yet
    try:
        restore = _duckdb_limit(memory_limit)
        (tmp / "notebooks").mkdir()
        for i, name in enumerate(notebooks, start=1):
            if progress:
                progress(name, i - 1, total)
            hooks = (  # progress from inside the notebook, cell by cell
                {"on_cell_start": _cell_progress(progress, name, i - 1, total, source)}
                if progress
                else {}
            )
            try:
                # run in the build folder with relative paths: the executed notebooks (and
                # the report) carry no path of the build machine or of the temporary folder
                with meter.step(name):
                    papermill.execute_notebook(
                        str(source / name),
                        str(tmp / "notebooks" / name),
                        parameters={
                            "config_path": os.path.relpath(config_path, tmp),
                            "out_dir": ".",
                            "sample_applications": 0,
                        },
                        kernel_name=KERNEL,
                        kernel_manager_class=kernel_manager_class(),
                        progress_bar=False,
                        cwd=str(tmp),
                        **hooks,
                    )
            except papermill.PapermillExecutionError as exc:
                line = (exc.evalue or "").strip().splitlines() or [""]
                oom = exc.ename == "OutOfMemoryException"  # DuckDB's: its first line says it
                detail = line[0 if oom else -1].rstrip(".")
                hint = ""
                if oom and memory_limit is not None:
                    hint = f" DuckDB needed more than --memory-limit {memory_limit}: raise it."
                raise BuildError(
                    f"Notebook {name} failed in cell {exc.exec_count}: {exc.ename}: "
                    f"{detail}. Nothing was released.{hint}"
                ) from None
            _relative_papermill_paths(tmp / "notebooks" / name)
        if progress:
            progress("report", len(notebooks), total)
        with meter.step("report"):
            write_report(tmp, cfg, version, planned)
        manifest = _manifest(tmp, cfg, planned, version, target)
        manifest["build"] = {**meter.summary(), "memory_limit": memory_limit}
        _write_json(tmp / "manifest.json", manifest)
        _move_into_place(tmp, target, replace=version == DEV)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(exc):  # papermill or the report: one line naming the release
            raise no_space(target, exc) from None
        raise
    finally:
        restore()
    if progress:
        progress("done", total, total)
    sha = sha256_file(target / "manifest.json")
    return Release(target, version, sha, manifest["metrics"], skipped, meter.steps)


def _duckdb_limit(memory_limit: str | None) -> Callable[[], None]:
    """Cap DuckDB in the notebooks' kernels (they inherit this environment) and in this
    process, spilling to a new temporary folder; returns what undoes it."""
    if memory_limit is None:
        return lambda: None
    saved = {k: os.environ.get(k) for k in (MEMORY_LIMIT_ENV, SPILL_DIR_ENV)}
    spill = tempfile.mkdtemp(prefix="riskresearch-duckdb-")
    os.environ[MEMORY_LIMIT_ENV] = str(memory_limit)
    os.environ[SPILL_DIR_ENV] = spill

    def restore() -> None:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(spill, ignore_errors=True)

    return restore


def _cell_progress(progress: Progress, name: str, done: int, total: int, source: Path):
    """An nbclient ``on_cell_start`` hook reporting ``progress`` from inside a notebook:
    ``03_scorecard.ipynb 5/17 dev = development.develop(...`` as each code cell starts
    (papermill's injected parameters cell counts)."""
    nb = json.loads((source / name).read_text(encoding="utf-8"))
    n_code = 1 + sum(c["cell_type"] == "code" for c in nb["cells"])
    started = itertools.count(1)

    def hook(cell, cell_index: int) -> None:
        if cell.cell_type != "code" or not cell.source.strip():
            return
        line = cell.source.strip().splitlines()[0]
        line = line if len(line) <= 48 else line[:45] + "..."
        progress(f"{name} {next(started)}/{n_code} {line}", done, total)

    return hook


def _relative_papermill_paths(path: Path) -> None:
    """papermill records the absolute input and output paths; keep only the names (the
    notebook of the installed package, and its place in the release folder), and warning
    lines name the package's folder as ``riskresearch``."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    package = str(Path(__file__).resolve().parent)  # in warning lines the kernel printed
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and package in out.get("text", ""):
                out["text"] = out["text"].replace(package, "riskresearch")
    meta = nb.metadata.get("papermill", {})
    meta["input_path"] = f"riskresearch/notebooks/{path.name}"
    meta["output_path"] = f"notebooks/{path.name}"
    nbformat.write(nb, path)


def _remove_stale_builds(model_dir: Path) -> None:
    """Remove the temporary folders of killed builds (``.build-<version>-<pid>-*``) and of
    interrupted dev swaps (``.old-<version>-<pid>``) whose process is gone; a build still
    running in another process keeps its folder."""
    for stale in [*model_dir.glob(".build-*"), *model_dir.glob(".old-*")]:
        parts = stale.name.split("-")  # mkdtemp's random suffix has no '-'
        pid_text = parts[-2] if stale.name.startswith(".build-") else parts[-1]
        pid = int(pid_text) if len(parts) >= 3 and pid_text.isdigit() else None
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")


def _move_into_place(tmp: Path, target: Path, replace: bool) -> None:
    """Publish the built folder. A numbered version is created only if absent: renaming onto
    a folder that another build published meanwhile fails, and this build is dropped."""
    if replace and target.exists():  # dev: swap, then drop the old one
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
        return
    try:
        target.mkdir()  # claims the name: only one build can create it
    except FileExistsError:
        raise ConfigError(
            f"Release '{target}' was published by another build meanwhile; numbered versions "
            "are immutable. Choose a new --version."
        ) from None
    try:
        os.replace(tmp, target)  # rename(2) replaces the empty folder just claimed
    except OSError:
        target.rmdir()
        raise


def _relative_to(path: Path, folder: Path, project: Path) -> str:
    """``path`` relative to ``folder`` when it lies inside ``project`` (a committed release
    names no machine's folders), else absolute."""
    path = Path(path).resolve()
    if path.is_relative_to(project):
        return Path(os.path.relpath(path, folder)).as_posix()
    return str(path)


def _kind(rel: str) -> str:
    if rel in MODEL_ARTIFACTS:
        return "model"
    if rel.startswith("notebooks/") or rel == "report.html":
        return "report"
    return "table"


def _artifacts(folder: Path) -> dict[str, dict[str, Any]]:
    """sha256, size and kind of every file under ``folder`` (the manifest's ``artifacts``)."""
    artifacts = {}
    own = folder / "manifest.json"
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p != own):
        rel = path.relative_to(folder).as_posix()
        artifacts[rel] = {
            "sha256": sha256_file(path),
            "bytes": path.stat().st_size,
            "kind": _kind(rel),
        }
    return artifacts


def seal(folder: str | Path, cfg: ModelConfig, version: str | None = None) -> Path:
    """Write ``manifest.json`` for a folder of artifacts written through the library.

    Without papermill (a script, a test, a benchmark that calls ``write_scorecard``,
    ``write_fraud``, ``write_strategy`` ... itself), this gives the folder what
    :func:`verify_release`, :func:`load_scorer` and the decision engine check: the config and
    the sha256 of every file. It is no release (no data fingerprint, code version, notebooks).
    """
    folder = Path(folder)
    artifacts = _artifacts(folder)
    manifest = {
        "format": FORMAT,
        "model": cfg.model,
        "version": version,
        "config": cfg.model_dump(mode="json"),
        "artifacts": artifacts,
        # a part is in the folder when every one of its model artifacts was written
        "parts": {
            p.name: (
                {"included": True, "reason": None}
                if all(a in artifacts for a in p.artifacts)
                else {"included": False, "reason": "not written"}
            )
            for p in PARTS
        },
    }
    _write_json(folder / "manifest.json", manifest)
    return folder / "manifest.json"


#: Config keys holding paths: the manifest stores them relative to the release folder.
_PATH_KEYS = (
    ("data", "table"),
    ("data", "warehouse"),
    ("data", "oracle"),
    ("strategy", "previous_release"),
    ("monitoring", "champion"),
)


def _manifest(
    folder: Path, cfg: ModelConfig, planned: list, version: str, target: Path
) -> dict[str, Any]:
    artifacts = _artifacts(folder)
    needed = [a for p in planned if p.included for a in p.part.artifacts]
    missing = [a for a in needed if a not in artifacts]
    if missing:
        raise BuildError(
            f"The notebooks did not write {missing}. The last cell of each notebook must write "
            "its artifacts through the library."
        )
    project = project_dir(cfg.base)
    config = cfg.model_dump(mode="json")
    for section, key in _PATH_KEYS:
        if config[section].get(key):
            config[section][key] = _relative_to(config[section][key], target, project)
    data = {
        "table": config["data"]["table"],
        "sha256": sha256_file(cfg.data.table),
        "bytes": cfg.data.table.stat().st_size,
    }
    if cfg.data.warehouse is not None and cfg.data.warehouse != cfg.data.table:
        data["warehouse"] = {
            "path": config["data"]["warehouse"],
            "sha256": sha256_file(cfg.data.warehouse),
        }
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    config_file = cfg.source

    return {
        "format": FORMAT,
        "model": cfg.model,
        "version": version,
        "config": config,
        "paths": "data and release paths in config are relative to this release folder",
        "config_file": (
            config_file.relative_to(project).as_posix()
            if config_file is not None and config_file.is_relative_to(project)
            else (config_file.name if config_file is not None else None)
        ),
        "data": data,
        "seed": cfg.seed,
        "code": {"riskresearch": package_versions()["riskresearch"], **code_version(cfg.base)},
        "python": platform.python_version(),
        "packages": package_versions(),
        "parts": {p.part.name: {"included": p.included, "reason": p.reason} for p in planned},
        "notebooks": [p.part.notebook for p in planned if p.included],
        "artifacts": artifacts,
        "fingerprint": release_fingerprint(
            {n: a["sha256"] for n, a in artifacts.items() if a["kind"] == "model"}
        ),
        "metrics": metrics,
    }


# ------------------------------------------------------------------------------------------
# verify and load
# ------------------------------------------------------------------------------------------
def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The validated ``manifest.json`` of a release folder (no hashes checked)."""
    return ReleaseFolder(folder).manifest


def verify_release(folder: str | Path) -> Verification:
    """Check every artifact's sha256 against the manifest; list changed, missing, extra files
    and the model artifacts of included parts that the manifest does not list."""
    return ReleaseFolder(folder).verify()


def release_config(folder: str | Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config a release was built with, its paths made absolute (they are stored relative
    to the release folder, or to the repository for format 1), ready to build again."""
    folder = Path(folder).resolve()
    manifest = manifest if manifest is not None else read_manifest(folder)
    config = json.loads(json.dumps(manifest["config"]))
    anchor = folder if manifest["format"] == FORMAT else project_dir(folder)
    for section, key in _PATH_KEYS:
        value = (config.get(section) or {}).get(key)
        if value:
            config[section][key] = str((anchor / value).resolve())
    return config


@dataclass
class Rebuild:
    """The model artifacts of a release compared with a rebuild from its manifest.

    Attributes
    ----------
    artifacts : list of riskresearch.compare.ArtifactComparison
        One per model artifact of either version: ``identical`` (same bytes), ``equal within
        tolerance`` (numbers, and the scores of a fixed sample, within 1e-9) or ``differs``.
    """

    artifacts: list

    @property
    def identical(self) -> bool:
        """Every model artifact byte-identical."""
        return all(a.status == "identical" for a in self.artifacts)

    @property
    def ok(self) -> bool:
        """No real difference (byte-identical or equal within tolerance)."""
        return all(a.ok for a in self.artifacts)


#: Rows of the release's table the rebuilt and original models score in the comparison.
REBUILD_SAMPLE = 2000


def rebuild_and_compare(folder: str | Path, progress: Progress | None = None) -> Rebuild:
    """Rebuild a release from its manifest's config in a temporary folder and compare its
    model artifacts with the release's (:func:`riskresearch.compare.compare_artifacts`, on
    the first :data:`REBUILD_SAMPLE` rows of its table)."""

    folder = Path(folder)
    manifest = read_manifest(folder)
    config = release_config(folder, manifest)
    table = Path(config["data"]["table"])
    if not table.is_file() or sha256_file(table) != manifest["data"]["sha256"]:
        raise DataError(
            f"The release's data '{table}' is missing or changed since the build (sha256 "
            "differs): a rebuild could not be compared. Restore the data first."
        )
    with tempfile.TemporaryDirectory(prefix="rebuild-") as tmp:
        cfg_path = Path(tmp) / f"{manifest['model']}.yaml"
        cfg_path.write_text(yaml.safe_dump(config, sort_keys=False))
        rebuilt = build_release(
            cfg_path, version="rebuild", root=Path(tmp) / "out", progress=progress
        )
        new = read_manifest(rebuilt.path)["artifacts"]
        names = [n for n in MODEL_ARTIFACTS if n in manifest["artifacts"] or n in new]

        sample = pipeline.load_table(load_config(cfg_path)).head(REBUILD_SAMPLE)
        return Rebuild(compare_artifacts(folder, rebuilt.path, names, sample))


def load_gbm(folder: str | Path):
    """The :class:`~riskresearch.gbm.GbmScorer` of a release (LightGBM model text), after
    verifying its hashes."""

    rf = ReleaseFolder.open(folder, needs=("gbm",), purpose="load the GBM")
    return GbmScorer(rf.read_text("gbm.txt"), rf.read_text("gbm.json"))


def load_scorer(folder: str | Path):
    """The :class:`~riskresearch.scoring.Scorer` of a release, after verifying its hashes."""

    return Scorer(
        ReleaseFolder.open(folder, needs=("scorecard",), purpose="score").path("scorecard.json")
    )
