"""No function in `studio/` is longer than 50 lines (migrations excepted): long ones get split."""

from __future__ import annotations

import ast
from pathlib import Path

import studio

MAX_LINES = 50
ROOT = Path(studio.__file__).parent


def _long_functions(root: Path, limit: int) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    found.append(
                        f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({length} lines)"
                    )
    return found


def test_no_function_over_fifty_lines() -> None:
    assert _long_functions(ROOT, MAX_LINES) == []


def test_the_scan_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "long.py").write_text(f"def too_long():\n{body}\n", encoding="utf-8")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "v1.py").write_text(f"def upgrade():\n{body}\n", encoding="utf-8")
    assert _long_functions(tmp_path, MAX_LINES) == [
        f"{tmp_path.name}/long.py:1 too_long ({MAX_LINES + 1} lines)"
    ]
