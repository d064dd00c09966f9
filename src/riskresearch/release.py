"""Reproducible scorecard releases: papermill runs the notebooks, the library writes artifacts.

``build_release(config)`` executes the numbered notebooks of ``notebooks/`` in order with
papermill, each writing its artifacts through library calls into a temporary folder, renders
``report.html`` from the executed notebooks with nbconvert, writes ``manifest.json`` (config,
data fingerprint, code and package versions, seed, the sha256 of every artifact, metrics) and
moves the folder into ``scorecards/<model>/<version>/`` at the end. A failed or killed build
leaves no release; an existing numbered version is never overwritten (``dev`` may be replaced).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from riskresearch.atomic import is_disk_full, no_space, read_json
from riskresearch.config import ModelConfig, config_from_dict, load_config
from riskresearch.errors import BuildError, ConfigError, DataError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
#: The release sequence; later issues append their notebooks.
NOTEBOOKS = (
    "01_data.ipynb",
    "02_binning.ipynb",
    "03_scorecard.ipynb",
    "04_gbm.ipynb",
    "05_fraud.ipynb",
    "06_arrears.ipynb",
    "07_behavior.ipynb",
    "08_strategy.ipynb",
    "09_partners.ipynb",
    "10_monitoring.ipynb",
)
#: Artifacts that must be byte-identical for the same config, data and package versions.
MODEL_ARTIFACTS = (
    "binning.json",
    "scorecard.json",
    "points.csv",
    "scorecard.sql",
    "gbm.txt",
    "gbm.json",
    "fraud.txt",
    "fraud.json",
    "collection_score.json",
    "behavior.json",
    "behavior.sql",
    "strategy.json",
    "fraud_rings.csv",
    "partners.json",
    "partners.csv",
    "monitoring_baseline.json",
)
#: Notebooks a config can switch off, with the model artifacts they write.
OPTIONAL = {
    "04_gbm.ipynb": (lambda cfg: cfg.gbm.enabled, ("gbm.txt", "gbm.json")),
    "05_fraud.ipynb": (
        lambda cfg: cfg.fraud.enabled and cfg.data.warehouse is not None,
        ("fraud.txt", "fraud.json"),
    ),
    "06_arrears.ipynb": (
        lambda cfg: cfg.arrears.enabled and cfg.data.warehouse is not None,
        ("collection_score.json",),
    ),
    "07_behavior.ipynb": (
        lambda cfg: cfg.behavior.enabled and cfg.data.warehouse is not None,
        ("behavior.json", "behavior.sql"),
    ),
    "08_strategy.ipynb": (lambda cfg: cfg.strategy.enabled, ("strategy.json", "fraud_rings.csv")),
    "09_partners.ipynb": (
        lambda cfg: cfg.partners.enabled and cfg.data.warehouse is not None,
        ("partners.json", "partners.csv"),
    ),
    "10_monitoring.ipynb": (lambda cfg: cfg.monitoring.enabled, ("monitoring_baseline.json",)),
}


def release_notebooks(cfg: ModelConfig) -> list[str]:
    """The notebooks a config's release runs, in order."""
    return [n for n in NOTEBOOKS if n not in OPTIONAL or OPTIONAL[n][0](cfg)]


def model_artifacts(cfg: ModelConfig) -> list[str]:
    """The model artifacts a config's release must hold."""
    skipped = {a for n, (on, arts) in OPTIONAL.items() if not on(cfg) for a in arts}
    return [a for a in MODEL_ARTIFACTS if a not in skipped]


KERNEL = "riskresearch"
#: The parameters every notebook declares (its `parameters` cell) and the release passes.
NOTEBOOK_PARAMETERS = ("config_path", "out_dir", "sample_applications", "seed")
DEV = "dev"
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

Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------------------------------
# notebooks' entry point
# ------------------------------------------------------------------------------------------
def display_path(path: str | os.PathLike | None) -> str | None:
    """``path`` as a notebook shows it: relative to the project folder when inside it, so an
    executed notebook in a release does not carry the build machine's folders."""
    if path is None:
        return None
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
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
    simulated platform built once under ``sample_dir`` (default ``data/sample/``), so a notebook
    runs top to bottom in seconds on a fresh checkout; the release passes 0 and the config's own
    table is used.
    """
    if sample_applications <= 0:
        return load_config(config_path, base=ROOT)
    from riskresearch.features import build_modeling_table
    from riskresearch.synth import SimulationConfig, build_warehouse

    folder = Path(sample_dir) if sample_dir else ROOT / "data" / "sample"
    folder = folder / f"n{sample_applications}-s{seed}"
    db, table = folder / "leasing.duckdb", folder / "modeling_table.parquet"
    if not table.is_file():
        build_warehouse(SimulationConfig(n_applications=sample_applications, seed=seed), db)
        build_modeling_table(db, table)
    raw = yaml.safe_load(Path(config_path).read_text())
    raw.setdefault("data", {})
    raw["data"]["table"] = str(table)
    if "oracle" in raw["data"]:
        raw["data"]["oracle"] = str(db)
    if "warehouse" in raw["data"]:
        raw["data"]["warehouse"] = str(db)
    return config_from_dict(raw, source=str(config_path))


CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def refresh_checked_outputs(paths=None, kernel_name: str = KERNEL, timeout: int = 600) -> None:
    """Run notebooks with their default parameters and store only the checked outputs.

    Every code cell loses its outputs except those starting with ``# NBVAL_CHECK_OUTPUT``,
    whose output is what ``pytest --nbval-lax`` compares. Run after changing a notebook or the
    code behind a checked cell (``make notebooks``), then review and commit the diff.
    """
    import nbformat
    from nbclient import NotebookClient

    for path in paths or [NOTEBOOK_DIR / n for n in NOTEBOOKS]:
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            kernel_name=kernel_name,
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


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git() -> dict[str, Any]:
    def run(*args: str) -> str | None:
        try:
            res = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _packages() -> dict[str, str | None]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _check_version(version: str) -> None:
    if not version or any(c in version for c in "/\\") or version.startswith("."):
        raise ConfigError(
            f"The release version must be a plain name such as '1.0.0' or 'dev'. Got "
            f"{version!r} instead."
        )


def build_release(
    config_path: str | Path,
    version: str = DEV,
    root: str | Path | None = None,
    progress: Progress | None = None,
    kernel_name: str = KERNEL,
) -> Release:
    """Build ``<root>/<model>/<version>/`` from a config by running the notebooks.

    Parameters
    ----------
    config_path : path-like
        ``scorecards/<model>.yaml``.
    version : str, default "dev"
        Release version. Numbered versions are immutable; ``dev`` is replaced on every build.
    root : path-like, optional
        Folder holding the releases (default: the config's folder).
    progress : callable, optional
        ``progress(step, done, total)`` after each notebook.
    kernel_name : str
        Jupyter kernel papermill starts.

    Raises
    ------
    ConfigError
        Bad config or version, or the version exists already.
    BuildError
        A notebook failed: names the notebook, the cell and the error. Nothing is left.
    """
    import papermill

    _check_version(version)
    config_path = Path(config_path).resolve()
    cfg = load_config(config_path, base=ROOT)
    root = Path(root) if root is not None else config_path.parent
    model_dir = root / cfg.model
    target = model_dir / version
    if target.exists() and version != DEV:
        raise ConfigError(
            f"Release '{target}' exists and numbered versions are immutable. Choose a new "
            "--version (or build 'dev', which may be replaced)."
        )
    model_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{version}-{os.getpid()}-", dir=model_dir))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a release is readable like any folder
    notebooks = release_notebooks(cfg)
    total = len(notebooks) + 1
    try:
        (tmp / "notebooks").mkdir()
        for i, name in enumerate(notebooks, start=1):
            if progress:
                progress(name, i - 1, total)
            try:
                # run in the build folder with relative paths: the executed notebooks (and
                # the report) carry no path of the build machine or of the temporary folder
                papermill.execute_notebook(
                    str(NOTEBOOK_DIR / name),
                    str(tmp / "notebooks" / name),
                    parameters={
                        "config_path": os.path.relpath(config_path, tmp),
                        "out_dir": ".",
                        "sample_applications": 0,
                    },
                    kernel_name=kernel_name,
                    progress_bar=False,
                    cwd=str(tmp),
                )
            except papermill.PapermillExecutionError as exc:
                line = (exc.evalue or "").strip().splitlines()
                raise BuildError(
                    f"Notebook {name} failed in cell {exc.exec_count}: {exc.ename}: "
                    f"{line[-1] if line else ''}. Nothing was released."
                ) from None
            _relative_papermill_paths(tmp / "notebooks" / name)
        if progress:
            progress("report", len(notebooks), total)
        _render_report(tmp, cfg, version)
        manifest = _manifest(tmp, cfg, config_path, version)
        _write_json(tmp / "manifest.json", manifest)
        _move_into_place(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(exc):  # papermill or the report: one line naming the release
            raise no_space(target, exc) from None
        raise
    if progress:
        progress("done", total, total)
    return Release(target, version, sha256_file(target / "manifest.json"), manifest["metrics"])


def _relative_papermill_paths(path: Path) -> None:
    """papermill records the absolute input and output paths; keep them relative (to the
    project and to the release folder)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("papermill", {})
    meta["input_path"] = display_path(NOTEBOOK_DIR / path.name)
    meta["output_path"] = f"notebooks/{path.name}"
    nbformat.write(nb, path)


def _remove_stale_builds(model_dir: Path) -> None:
    """Remove temporary folders of killed builds (their process is gone); a build still
    running in another process keeps its folder."""
    for stale in model_dir.glob(".build-*"):
        parts = stale.name.split("-")
        pid = int(parts[-2]) if len(parts) >= 4 and parts[-2].isdigit() else None
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


def _move_into_place(tmp: Path, target: Path) -> None:
    if target.exists():  # only dev gets here: swap, then drop the old one
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def _render_report(folder: Path, cfg: ModelConfig, version: str) -> None:
    """One HTML document from the executed notebooks: inputs hidden, outputs and plots shown."""
    import nbformat
    from nbconvert import HTMLExporter

    merged = None
    for name in release_notebooks(cfg):
        nb = nbformat.read(folder / "notebooks" / name, as_version=4)
        cells = [
            c
            for c in nb.cells
            if "parameters" not in c.metadata.get("tags", [])
            and "injected-parameters" not in c.metadata.get("tags", [])
        ]
        if merged is None:
            merged = nb
            merged.cells = cells
        else:
            merged.cells.extend(cells)
    merged.metadata["title"] = f"{cfg.model} scorecard {version}"
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(merged)
    (folder / "report.html").write_text(body)


def _portable(path: str | Path) -> str:
    """A path inside the project as relative to it (so a committed release names no machine's
    folders); any other path as given, absolute."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


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


def seal(folder: str | Path, cfg: ModelConfig) -> Path:
    """Write ``manifest.json`` for a folder of artifacts written through the library.

    Without papermill (a script, a test, a benchmark that calls ``write_scorecard``,
    ``write_fraud``, ``write_strategy`` ... itself), this gives the folder what
    :func:`verify_release`, :func:`load_scorer` and the decision engine check: the config and
    the sha256 of every file. It is no release (no data fingerprint, code version, notebooks).
    """
    folder = Path(folder)
    manifest = {
        "format": "riskresearch.release/1",
        "model": cfg.model,
        "config": cfg.model_dump(mode="json"),
        "artifacts": _artifacts(folder),
    }
    _write_json(folder / "manifest.json", manifest)
    return folder / "manifest.json"


def _manifest(folder: Path, cfg: ModelConfig, config_path: Path, version: str) -> dict[str, Any]:
    artifacts = _artifacts(folder)
    missing = [a for a in model_artifacts(cfg) if a not in artifacts]
    if missing:
        raise BuildError(
            f"The notebooks did not write {missing}. The last cell of each notebook must write "
            "its artifacts through the library."
        )
    config = cfg.model_dump(mode="json")
    for key in ("table", "oracle", "warehouse"):
        if config["data"].get(key):
            config["data"][key] = _portable(config["data"][key])
    data = {
        "table": _portable(cfg.data.table),
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
    return {
        "format": "riskresearch.release/1",
        "model": cfg.model,
        "version": version,
        "config": config,
        "config_file": _portable(config_path),
        "data": data,
        "seed": cfg.seed,
        "code": {"riskresearch": _packages()["riskresearch"], **_git()},
        "python": platform.python_version(),
        "packages": _packages(),
        "notebooks": release_notebooks(cfg),
        "artifacts": artifacts,
        "metrics": metrics,
    }


# ------------------------------------------------------------------------------------------
# verify and load
# ------------------------------------------------------------------------------------------
@dataclass
class Verification:
    """Outcome of checking a release folder against its manifest."""

    folder: Path
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra)

    def describe(self) -> str:
        if self.ok:
            return f"{self.folder}: all artifacts match the manifest"
        parts = [
            f"{k}: {', '.join(v)}"
            for k, v in (
                ("changed", self.changed),
                ("missing", self.missing),
                ("extra", self.extra),
            )
            if v
        ]
        return f"{self.folder} does not match its manifest ({'; '.join(parts)})"


def read_manifest(folder: str | Path) -> dict[str, Any]:
    folder = Path(folder)
    manifest = read_json(
        folder / "manifest.json",
        f"'{folder}' is not a release: it has no manifest.json. Give a folder such as "
        "scorecards/consumer/1.0.0.",
    )
    if manifest.get("format") != "riskresearch.release/1" or "artifacts" not in manifest:
        raise DataError(f"The manifest of '{folder}' is not a riskresearch release manifest.")
    return manifest


def verify_release(folder: str | Path) -> Verification:
    """Check every artifact's sha256 against the manifest; list changed, missing, extra files."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    result = Verification(folder)
    listed = manifest["artifacts"]
    for rel, info in listed.items():
        path = folder / rel
        if not path.is_file():
            result.missing.append(rel)
        elif sha256_file(path) != info["sha256"]:
            result.changed.append(rel)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != "manifest.json" and rel not in listed:
            result.extra.append(rel)
    return result


def rebuild_and_compare(folder: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Rebuild a release from its manifest's config in a temporary folder and compare the
    model artifacts' hashes. Returns ``{"identical": bool, "artifacts": {name: (old, new)}}``.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    table = _resolve(manifest["data"]["table"])
    if not table.is_file() or sha256_file(table) != manifest["data"]["sha256"]:
        raise DataError(
            f"The release's data '{table}' is missing or changed since the build (sha256 "
            "differs): a rebuild could not be compared. Restore the data first."
        )
    with tempfile.TemporaryDirectory(prefix="rebuild-") as tmp:
        cfg_path = Path(tmp) / f"{manifest['model']}.yaml"
        cfg_path.write_text(yaml.safe_dump(manifest["config"], sort_keys=False))
        rebuilt = build_release(
            cfg_path, version="rebuild", root=Path(tmp) / "out", progress=progress
        )
        new = read_manifest(rebuilt.path)["artifacts"]
    compared = {
        name: (manifest["artifacts"].get(name, {}).get("sha256"), new.get(name, {}).get("sha256"))
        for name in MODEL_ARTIFACTS
        if name in manifest["artifacts"] or name in new
    }
    return {"identical": all(a == b and a for a, b in compared.values()), "artifacts": compared}


def load_gbm(folder: str | Path):
    """The :class:`~riskresearch.gbm.GbmScorer` of a release (LightGBM model text), after
    verifying its hashes."""
    from riskresearch.gbm import GbmScorer

    check = verify_release(folder)
    if not check.ok:
        raise DataError(f"Refusing to load: {check.describe()}. Rebuild or restore the release.")
    folder = Path(folder)
    if not (folder / "gbm.txt").is_file():
        raise DataError(f"The release '{folder}' has no GBM (gbm.enabled was false).")
    return GbmScorer((folder / "gbm.txt").read_text(), (folder / "gbm.json").read_text())


def load_scorer(folder: str | Path):
    """The :class:`~riskresearch.scoring.Scorer` of a release, after verifying its hashes."""
    from riskresearch.scoring import Scorer

    check = verify_release(folder)
    if not check.ok:
        raise DataError(f"Refusing to score: {check.describe()}. Rebuild or restore the release.")
    return Scorer(Path(folder) / "scorecard.json")
