"""A plain, non-editable install from a wheel, used far from the checkout.

The wheel is built from the checkout and installed without dependencies into a fresh virtual
environment in a temporary folder; the dependencies come from the test interpreter's
site-packages through a ``.pth`` line (that line does not run the editable install's own
``.pth``, so ``riskresearch`` can only come from the wheel), and nbconvert's templates (data
files of its install) are linked in. No Jupyter kernel is registered in the new
environment: the release must run its notebooks on its own interpreter. Then, as a new user would:
``riskresearch init``, a CSV, a config of the two required keys, ``release``, ``verify``,
``score``, all from the project folder. The release must name no path of the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(args, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900
    )
    if check and res.returncode != 0:
        raise AssertionError(f"{args} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv with the wheel of the checkout installed (not editable)."""
    base = tmp_path_factory.mktemp("install")
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT], cwd=base)
    (wheel,) = dist.glob("riskresearch-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    site = Path(
        _run(
            [
                venv / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            cwd=base,
        ).stdout.strip()
    )
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # nbconvert's templates are data files of its install (share/jupyter), not importable
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True)
    (share / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin" / "python",
            "install",
            "-q",
            "--no-deps",
            wheel,
        ],
        cwd=base,
    )
    return venv / "bin"


def _loans(n: int = 2500, seed: int = 3) -> pd.DataFrame:
    """A small credit table as a team would export it: no date, no id, a Yes/No target."""
    rng = np.random.default_rng(seed)
    balance = rng.gamma(2.0, 500.0, n).round(2)
    income = rng.lognormal(8.0, 0.5, n).round(0)
    student = rng.choice(["Yes", "No"], n, p=[0.3, 0.7])
    logit = -3.0 + 0.002 * balance - 0.00005 * income + 0.5 * (student == "Yes")
    default = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    df = pd.DataFrame(
        {
            "balance": balance,
            "income": income,
            "student": student,
            "region": rng.choice(list("ABCD"), n),
            "default": default,
        }
    )
    df.loc[rng.choice(n, 40, replace=False), "income"] = np.nan
    return df


def test_wheel_install_runs_init_release_verify_and_score_outside_the_checkout(installed, tmp_path):
    python = installed / "python"
    where = _run(
        [python, "-c", "import riskresearch; print(riskresearch.__file__)"], cwd=tmp_path
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parent), where  # the wheel, not the checkout
    assert not Path(where).is_relative_to(ROOT)
    version = _run([installed / "riskresearch", "--version"], cwd=tmp_path).stdout
    assert version.startswith("riskresearch ")

    project = tmp_path / "credit"
    _run([installed / "riskresearch", "init", project], cwd=tmp_path)
    assert (project / "model.yaml").is_file() and (project / "data" / "README.md").is_file()
    assert not (project / "data" / "leasing.duckdb").exists()  # no simulator without --example
    _loans().to_csv(project / "data" / "loans.csv", index=False)
    (project / "loans.yaml").write_text(
        "model: loans\ndata:\n  table: data/loans.csv\n  target: default\n  bad_value: 'Yes'\n"
    )

    built = _run(
        [installed / "riskresearch", "release", "loans.yaml", "--version", "1.0.0"], cwd=project
    )
    release = project / "loans" / "1.0.0"
    assert (release / "report.html").is_file()
    # the parts a plain table cannot feed are skipped with their reason, not failed
    assert "skipped   Anti-fraud model" in built.stdout
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["parts"]["fraud"]["included"] is False
    assert manifest["parts"]["scorecard"]["included"] is True
    assert manifest["config"]["data"]["table"] == "../../data/loans.csv"
    checkout = str(ROOT)
    for path in release.rglob("*"):
        if path.is_file():
            assert checkout not in path.read_text(errors="replace"), path

    verified = _run([installed / "riskresearch", "verify", release], cwd=tmp_path)
    assert "all artifacts match" in verified.stdout
    new = _loans(200, seed=9).drop(columns="default")
    new.to_csv(tmp_path / "new.csv", index=False)
    _run(
        [installed / "riskresearch", "score", release, tmp_path / "new.csv", tmp_path / "s.csv"],
        cwd=tmp_path,
    )
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == 200
    assert "row" in scores.columns and scores["row"].tolist() == list(range(200))
    assert scores["score"].notna().all()
