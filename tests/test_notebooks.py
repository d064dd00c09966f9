"""Static checks of the notebooks: thin, parameterized, stripped, runnable by the release."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from riskresearch import release
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Notebooks beside the release sequence: tools a modeler opens (nbval runs them too); they
#: take the release's parameters but out_dir, and write nothing on their own.
TOOLS = ("review_bins.ipynb",)
RELEASE = [p for p in NOTEBOOKS if p.name not in TOOLS]
MARK = "# NBVAL_CHECK_OUTPUT"


def test_release_sequence_is_every_numbered_notebook_in_order():
    assert [p.name for p in RELEASE] == list(release.NOTEBOOKS)
    assert all(re.match(r"\d\d_[a-z_]+\.ipynb$", p.name) for p in RELEASE)
    assert sorted(p.name for p in NOTEBOOKS if p not in RELEASE) == sorted(TOOLS)
    assert not any(re.match(r"\d\d_", name) for name in TOOLS)


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


@pytest.fixture(params=RELEASE, ids=lambda p: p.name)
def release_notebook(request):
    return nbformat.read(request.param, as_version=4)


def test_exactly_one_parameters_cell_of_literals(notebook):
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    names = []
    for stmt in tree.body:
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
        assert isinstance(stmt.targets[0], ast.Name)
        ast.literal_eval(stmt.value)  # raises on anything but a literal
        names.append(stmt.targets[0].id)
    if "out_dir" in names:
        assert tuple(names) == release.NOTEBOOK_PARAMETERS
    else:  # a tool: the release's parameters but out_dir, in their order
        assert tuple(names) == tuple(p for p in release.NOTEBOOK_PARAMETERS if p != "out_dir")


def test_release_notebooks_take_out_dir(release_notebook):
    (cell,) = [c for c in release_notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert "out_dir = " in cell.source


def test_no_definitions_and_no_absolute_paths(notebook):
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defs = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not defs, cell.source
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not re.match(r"^(/|[A-Za-z]:\\)", node.value), node.value


def test_outputs_stripped_except_checked_cells(notebook):
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if MARK in cell.source:
            assert cell.source.startswith(MARK)
            assert cell.outputs, "a checked cell must keep the output nbval compares"
        else:
            assert cell.outputs == [] and cell.execution_count is None, cell.source


def test_kernel_is_the_registered_one(notebook):
    assert notebook.metadata["kernelspec"]["name"] == release.KERNEL
    makefile = (ROOT / "Makefile").read_text()
    assert f"--name {release.KERNEL}" in makefile


def test_structure_title_imports_parameters_config(notebook):
    cells = notebook.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert cells[1].source.startswith(("import ", "from "))
    assert "parameters" in cells[2].metadata.get("tags", [])
    assert cells[3].source.startswith("cfg = ")


def test_release_notebooks_end_writing_artifacts(release_notebook):
    # the last cell writes artifacts through the library
    assert "write_" in release_notebook.cells[-1].source


def test_tool_notebooks_write_nothing():
    for name in TOOLS:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "write_" not in code and ".save(" not in code, name
