"""The package's import structure: no cycle, no forbidden import, no private name borrowed.

Every module under ``src/riskresearch`` is parsed with :mod:`ast` (nothing is imported) and
every import of a ``riskresearch`` module, at module level or inside a function, becomes an
edge of the import graph. The rule table is the one in ``docs/architecture.md`` (the test reads
it from there, so the picture and the guard cannot drift apart).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src" / "riskresearch"
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = "riskresearch"


# ------------------------------------------------------------------------------------------
# the graph
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edge:
    source: str  # importing module
    target: str  # imported module
    name: str | None  # the name taken from it (``from target import name``), if any
    line: int
    in_function: bool

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def module_files() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's ``__init__``)."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = module_files()


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _in_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return True
    return False


def edges_of(module: str) -> tuple[list[Edge], list[tuple[str, str, int]]]:
    """The module's imports of package modules, and its ``alias._name`` attribute uses of an
    imported package module (``(target, name, line)``)."""
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    edges: list[Edge] = []
    aliases: dict[str, str] = {}  # local name -> imported package module
    for node in ast.walk(tree):
        inner = _in_function(node, parents)
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == PACKAGE or a.name.startswith(PACKAGE + "."):
                    edges.append(Edge(module, a.name, None, node.lineno, inner))
                    if a.asname:
                        aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, is_package, node)
            if not (target == PACKAGE or target.startswith(PACKAGE + ".")):
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in MODULES:  # ``from package import module``
                    edges.append(Edge(module, sub, None, node.lineno, inner))
                    aliases[a.asname or a.name] = sub
                else:
                    edges.append(Edge(module, target, a.name, node.lineno, inner))
    attributes = [
        (aliases[node.value.id], node.attr, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    return edges, attributes


GRAPH = {m: edges_of(m) for m in MODULES}
EDGES = [e for m in MODULES for e in GRAPH[m][0]]


# ------------------------------------------------------------------------------------------
# the rule table of docs/architecture.md
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    layer: int
    name: str
    modules: tuple[str, ...]
    may_import: tuple[str, ...]


def _names(cell: str) -> tuple[str, ...]:
    return tuple(re.findall(r"`([^`]+)`", cell))


def read_parts(text: str) -> dict[str, Part]:
    """The rows of the table under ``## Parts and allowed imports``."""
    section = text.split("## Parts and allowed imports", 1)[1].split("\n## ", 1)[0]
    parts = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].isdigit():
            continue
        layer, name, modules, may = cells
        parts[name] = Part(int(layer), name, _names(modules), _names(may))
    return parts


PARTS = read_parts(DOC.read_text(encoding="utf-8"))


def part_of(module: str) -> Part:
    """The part whose listed module is the longest prefix of ``module``."""
    best, length = None, -1
    for part in PARTS.values():
        for listed in part.modules:
            if listed == PACKAGE:  # the package's own __init__, not everything below it
                hit, full = module == PACKAGE, PACKAGE
            else:
                full = f"{PACKAGE}.{listed}"
                hit = module == full or module.startswith(full + ".")
            if hit and len(full) > length:
                best, length = part, len(full)
    if best is None:
        raise AssertionError(
            f"{module} is in no part of docs/architecture.md: add it to the table."
        )
    return best


# ------------------------------------------------------------------------------------------
# the table itself
# ------------------------------------------------------------------------------------------
def test_the_table_is_read_and_covers_every_module():
    assert {"foundation", "core", "pipeline", "simulator", "evaluation", "cli"} <= set(PARTS)
    for module in MODULES:
        part_of(module)  # raises naming the module


def test_a_part_imports_only_earlier_layers_or_its_own():
    for part in PARTS.values():
        for other in part.may_import:
            assert other in PARTS, f"{part.name} may import unknown part {other!r}"
            assert PARTS[other].layer <= part.layer, (
                f"{part.name} (layer {part.layer}) may not import {other} "
                f"(layer {PARTS[other].layer}): lower layers never import higher ones"
            )


def test_models_never_see_the_simulator_or_the_oracle():
    """The oracle is evaluation; modeling code (every layer below evaluation) may list
    neither the simulator nor evaluation, and nothing lists the command line."""
    assert "oracle" in PARTS["evaluation"].modules
    evaluation = PARTS["evaluation"].layer
    for part in PARTS.values():
        assert "cli" not in part.may_import, f"{part.name} may not import the command line"
        if part.layer < evaluation:
            assert {"simulator", "evaluation"}.isdisjoint(part.may_import), part.name


# ------------------------------------------------------------------------------------------
# the code against the table
# ------------------------------------------------------------------------------------------
def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in EDGES:
        if e.target in MODULES and e.target != e.source:
            graph[e.source].add(e.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (each a cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    """Function-level imports count too: a cycle they hide is still a cycle."""
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_the_cycle_this_structure_removed():
    """development -> reject_inference -> gbm -> development, as before #22 (held together
    by function-level imports), next to an acyclic part."""
    graph = {
        "development": {"reject_inference", "scorecard"},
        "reject_inference": {"gbm", "scorecard"},
        "gbm": {"development"},
        "scorecard": {"woe"},
        "woe": set(),
    }
    assert cycles(graph) == [["development", "gbm", "reject_inference"]]


def test_no_forbidden_import():
    wrong = []
    for e in EDGES:
        if e.target not in MODULES and f"{e.target}" != PACKAGE:
            continue
        source, target = part_of(e.source), part_of(e.target)
        if target.name == "cli" and source.name != "cli":
            wrong.append(f"{e.where()} imports the command line ({e.target})")
        elif source is not target and target.name not in source.may_import:
            wrong.append(
                f"{e.where()} ({source.name}) imports {e.target} ({target.name}): not in "
                f"the allowed imports of {source.name}"
            )
    assert not wrong, "\n".join(wrong)


def _private_module(module: str) -> str | None:
    """The package a private module (``pkg._common``) belongs to, or None."""
    head, _, last = module.rpartition(".")
    return head if last.startswith("_") and not last.startswith("__") else None


def test_no_module_borrows_another_modules_private_name():
    """``from x import _name`` and ``x._name`` across modules are refused; a private module
    (``arrears._common``) is imported only inside its own package."""
    wrong = []
    for e in EDGES:
        if e.target == e.source:
            continue
        if e.name and e.name.startswith("_") and not e.name.startswith("__"):
            wrong.append(f"{e.where()} imports {e.target}.{e.name}")
        owner = _private_module(e.target)
        if owner and not (e.source == owner or e.source.startswith(owner + ".")):
            wrong.append(f"{e.where()} imports the private module {e.target}")
    for module, (_, attributes) in GRAPH.items():
        for target, name, line in attributes:
            if target != module:
                wrong.append(f"{module}:{line} uses {target}.{name}")
    assert not wrong, "\n".join(wrong)


#: The only modules that import package modules inside functions, and why (the table of
#: ``docs/architecture.md`` says the same). Everywhere else imports sit at the top of the module.
FUNCTION_LEVEL_ALLOWED = {
    "riskresearch.cli": "start-up: a command imports only what it runs",
    "riskresearch.bineditor.editor": "ipywidgets loads only when the widget is shown",
}


def test_function_level_imports_only_where_they_pay():
    inner = sorted(
        {e.where() for e in EDGES if e.in_function and e.source not in FUNCTION_LEVEL_ALLOWED}
    )
    assert not inner, "import these at the top of the module:\n" + "\n".join(inner)


def _top_level_names(module: str) -> set[str]:
    """Names a module binds at its top level (definitions, assignments, imports), also inside
    top-level ``if`` / ``try`` blocks."""
    path, _ = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    todo.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return names


def test_every_imported_name_exists_where_it_is_imported_from():
    """A name moved to another module leaves no import of it behind (``from x import y``
    with no ``y`` in ``x``): the guard for moves like this structure's."""
    known = {m: _top_level_names(m) for m in MODULES}
    missing = [
        f"{e.where()} imports {e.name} from {e.target}"
        for e in EDGES
        if e.name and e.name != "*" and e.target in MODULES and e.name not in known[e.target]
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("riskresearch.synth.warehouse", "riskresearch.features"),
        ("riskresearch.development", "riskresearch.oracle"),
        ("riskresearch.gbm", "riskresearch.development"),
    ],
)
def test_the_guard_catches_what_it_is_for(source, target):
    """The rules refuse the imports this structure removed (the simulator on the feature
    layer, modeling reading the oracle, the estimator climbing to its pipeline)."""
    s, t = part_of(source), part_of(target)
    assert s is not t and t.name not in s.may_import
