"""Set-up files agree with each other: pyproject.toml, environment.yml, .ci/run, README."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from tests.conftest import ROOT

# conda-forge names of PyPI packages whose names differ there
CONDA_NAMES = {"duckdb": "python-duckdb"}
# packages conda-forge does not have: environment.yml's `pip: [-e .]` installs them with the
# package's own requirements
PIP_ONLY = {"noto-cjk-sans-otc"}


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = {}
    for spec in [*meta["dependencies"], *meta["optional-dependencies"]["dev"]]:
        req = Requirement(spec)
        if req.name in PIP_ONLY:
            continue
        name = CONDA_NAMES.get(req.name, req.name)
        reqs[name] = str(req.specifier)
        # extras of dask pull in distributed; conda lists it by name
        if req.name == "dask" and "distributed" in req.extras:
            reqs["distributed"] = str(req.specifier)
    return reqs


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict) or dep == "pip":
            continue
        m = re.match(r"([A-Za-z0-9_.\-]+)(.*)", dep)
        reqs[m.group(1)] = m.group(2)
    return reqs


def test_environment_yml_matches_pyproject():
    conda = _conda_requirements()
    python = conda.pop("python")
    assert python == ">=3.11"
    assert conda == _pyproject_requirements()


def test_environment_yml_installs_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-e ."]


def test_ci_runs_only_make_test():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    commands = [line for line in lines if not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", quick, flags=re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["make release", "make test"]


def test_requires_python_311():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11"


def test_docs_config_page_lists_every_key_of_the_schema():
    """docs/config.md is generated from the config schema; regenerate it after changing a key:
    python -c "from riskresearch.config import config_reference as r; print(r(), end='')" >
    docs/config.md"""
    from riskresearch.config import config_reference

    assert (ROOT / "docs" / "config.md").read_text() == config_reference()


def test_readme_links_resolve():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert links, "the README links its docs pages"
    assert [link for link in links if not (ROOT / link).exists()] == []
