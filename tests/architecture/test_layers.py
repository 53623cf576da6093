"""Layers point one way and no modules import each other in a circle, lazy imports included.

domain ← compliance/occasions/localisation/planning/exports ← db ← workflow ← materials ← services ← ui ← pages/cli
(`tests/architecture/imports.py` holds the exact map). There is no list of allowed exceptions.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.architecture import imports
from tests.architecture.imports import (
    Edge,
    cycles,
    edges_of,
    import_graph,
    layer_of,
    module_graph,
    modules,
    package_graph,
    upward,
)


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_graph()


def _lines(found: list[Edge]) -> str:
    return "\n".join(sorted({str(e) for e in found}))


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer_of(name)  # raises naming the module


def test_no_import_reaches_up_a_layer(edges: list[Edge]) -> None:
    assert not upward(edges), "imports that climb a layer:\n" + _lines(upward(edges))


def test_no_module_cycle(edges: list[Edge]) -> None:
    assert not cycles(module_graph(edges)), cycles(module_graph(edges))


def test_no_package_cycle(edges: list[Edge]) -> None:
    assert not cycles(package_graph(edges)), cycles(package_graph(edges))


def test_the_graph_sees_what_it_checks(edges: list[Edge]) -> None:
    """Guards the checker: known edges are found, function-level ones marked as such."""
    pairs = {(e.source, e.target, e.in_function) for e in edges}
    assert ("studio.services.planning", "studio.planning.planner", False) in pairs
    assert ("studio.services.month_view", "studio.services.calendar", False) in pairs  # `from pkg import mod`
    assert any(e.in_function and e.source.startswith("studio.commands.") for e in edges)


# -- the checks fail on the shapes they exist for (written to a scratch package, never into studio/) --


def _scratch(tmp_path: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[Edge]:
    for name, source in files.items():
        path = tmp_path / "studio" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.setattr(imports, "ROOT", tmp_path)
    monkeypatch.setattr(imports, "PACKAGE", tmp_path / "studio")
    return import_graph()


def test_a_lazy_upward_import_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = _scratch(
        tmp_path,
        {
            "__init__.py": "",
            "materials/__init__.py": "",
            "materials/loader.py": """
            def load():
                from studio.services.templates import TemplateDraft
                return TemplateDraft
            """,
            "services/__init__.py": "",
            "services/templates.py": "TemplateDraft = object\n",
        },
        monkeypatch,
    )
    (edge,) = upward(found)
    assert (edge.source, edge.target, edge.in_function) == (
        "studio.materials.loader",
        "studio.services.templates",
        True,
    )


def test_a_lazy_cycle_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = _scratch(
        tmp_path,
        {
            "__init__.py": "",
            "services/__init__.py": "",
            "services/planning.py": """
            from studio.services import occasion_calendar
            """,
            "services/occasion_calendar.py": """
            def overview():
                from studio.services.planning import hot_topics
            """,
        },
        monkeypatch,
    )
    assert not upward(found)
    assert cycles(module_graph(found)) == [["studio.services.occasion_calendar", "studio.services.planning"]]


def test_type_checking_imports_are_not_dependencies(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from studio.services import y\n",
        encoding="utf-8",
    )
    assert edges_of("studio.domain.x", path, {"studio.services.y"}) == []
