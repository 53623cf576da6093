"""The import graph of the `studio` package, read with `ast` (nothing is imported), and its layers.

Every `import` counts, also one inside a function: a lazy import hides a dependency from the reader but
not from the design. Imports under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "studio"

# Lower layers never import higher ones; packages of one layer may import each other, without a cycle.
# A newcomer reads a post's way up: vocabulary → rules about text and dates → tables → permissions and
# audit → planner and library files → use cases → screens and commands.
LAYERS: dict[str, int] = {
    "studio": 0,  # the package's own __init__
    "studio.errors": 0,
    "studio.settings": 0,
    "studio.domain": 0,
    "studio.compliance": 1,
    "studio.occasions": 1,
    "studio.localisation": 1,
    # The template draft checks poster layouts (studio.posters renders text with studio.localisation):
    # its own node, so localisation -> posters -> localisation is no package cycle.
    "studio.localisation.draft": 1,
    "studio.posters": 1,  # pure: layouts, fitting and Pillow drawing; renders layer text with localisation
    "studio.exports": 1,
    "studio.materials.search": 1,  # jieba tokens and the full-text index DDL: used by the tables below
    "studio.db": 2,
    "studio.workflow": 3,
    "studio.planning": 1,  # pure: the planner takes candidates and occasions as values
    "studio.materials": 4,
    "studio.services": 5,
    "studio.ui": 6,
    "studio.pages": 7,
    "studio.commands": 7,
    "studio.db.migrations": 7,  # run by alembic from `studio db upgrade`: an entry point, not a library
    "studio.cli": 8,
}


@dataclass(frozen=True)
class Edge:
    source: str  # module that imports
    target: str  # module imported
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = "inside a function" if self.in_function else "at module level"
        return f"{self.source} → {self.target} (line {self.line}, {where})"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> tuple[str, int]:
    """The most specific LAYERS entry that contains `module`."""
    name = module
    while name:
        if name in LAYERS:
            return name, LAYERS[name]
        name = name.rpartition(".")[0]
    raise KeyError(f"{module} belongs to no layer: add its package to LAYERS")


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, source: str, known: set[str], is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "studio"]
    base = node.module or ""
    if node.level:  # relative: from the importing package upwards
        anchor = source.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    if base.split(".")[0] != "studio":
        return []
    # `from studio.services import calendar` imports the module studio.services.calendar.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def edges_of(module: str, path: Path, known: set[str]) -> list[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Edge] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for other in child.orelse:
                    visit(other, in_function)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _targets(child, module, known, path.name == "__init__.py"):
                    if target != module:
                        found.append(Edge(module, target, child.lineno, in_function))
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, inner)

    visit(tree, False)
    return found


def import_graph() -> list[Edge]:
    found = modules()
    known = set(found)
    return [edge for name, path in found.items() for edge in edges_of(name, path, known)]


def upward(edges: list[Edge]) -> list[Edge]:
    """Edges from a lower layer to a higher one."""
    return [e for e in edges if layer_of(e.source)[1] < layer_of(e.target)[1]]


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node, each sorted: nodes that reach each other.
    Quadratic, which is nothing for a few hundred modules and easier to trust than Tarjan."""
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    reach = {n: _reachable(graph, n) for n in nodes}
    found = {
        tuple(sorted(m for m in nodes if m in reach[n] and n in reach[m])) for n in nodes if n in reach[n]
    }
    return sorted(list(c) for c in found if len(c) > 1)


def module_graph(edges: list[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    return graph


def package_graph(edges: list[Edge]) -> dict[str, set[str]]:
    """Edges between the LAYERS entries (packages), a package's own modules left out."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        source, target = layer_of(e.source)[0], layer_of(e.target)[0]
        if source != target:
            graph.setdefault(source, set()).add(target)
    return graph
