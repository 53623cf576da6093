"""Nothing in the repository reads or cites files outside it: a clone on its own is complete."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "venv", "data", "calendars", "build", "dist", "__pycache__", ".pytest_cache",
             ".ruff_cache", ".mypy_cache", "node_modules"}  # fmt: skip
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".json", ".txt", ".cfg", ".ini", ".mako", ".sh"}
# Written in pieces so this file does not match itself.
OUTSIDE = ("../" + "shared", "shared/" + "reference", "design" + ".md")


def _text_files() -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(REPO_ROOT):  # does not follow the studio/library link
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = Path(directory, name)
            if path.suffix in TEXT_SUFFIXES or name in {"Makefile", "run"}:
                found.append(path)
    return found


def test_no_file_points_outside_the_repository() -> None:
    files = _text_files()
    assert REPO_ROOT / "README.md" in files and REPO_ROOT / "tests" / "occasions" / "conftest.py" in files
    offenders = [
        f"{path.relative_to(REPO_ROOT)}: {needle}"
        for path in files
        for needle in OUTSIDE
        if needle in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []


def test_docs_named_in_the_readme_exist() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/architecture.md", "docs/security.md", "docs/rules.md", "docs/calendar-json.md"):
        assert doc in readme, doc
        assert (REPO_ROOT / doc).is_file(), doc
