"""Read library/templates/*.yaml into drafts, remembering where each entry starts (file:line)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from studio.services.templates import TemplateDraft

ENTRY_KEYS = {"code", "title", "occasion_kind", "occasion", "content_type", "persona", "channel",
              "product_type", "region", "valid_from", "valid_to", "slots", "body"}
REQUIRED_KEYS = {"code", "title", "occasion_kind", "content_type", "persona", "channel", "product_type", "body"}


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    line: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def draft(self) -> TemplateDraft:
        fields = {k: v for k, v in self.data.items() if k in ENTRY_KEYS}
        return TemplateDraft.model_validate(fields)


@dataclass(frozen=True)
class LoadProblem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping as `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def template_files(library_dir: Path) -> list[Path]:
    return sorted((library_dir / "templates").glob("**/*.yaml"))


def load_file(path: Path) -> tuple[list[LibraryEntry], list[LoadProblem]]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (SafeLoader)
    except UnicodeDecodeError:
        return [], [LoadProblem(path, 1, "file is not UTF-8")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return [], [LoadProblem(path, (mark.line + 1) if mark else 1, f"invalid YAML: {error}")]
    if not isinstance(document, dict) or not isinstance(document.get("templates"), list):
        return [], [LoadProblem(path, 1, "expected a mapping with a 'templates' list")]
    entries: list[LibraryEntry] = []
    problems: list[LoadProblem] = []
    for item in document["templates"]:
        if not isinstance(item, dict):
            problems.append(LoadProblem(path, 1, "each template must be a mapping"))
            continue
        line = int(item.pop("__line__", 1))
        for slot in item.get("slots") or []:
            if isinstance(slot, dict):
                slot.pop("__line__", None)
        entries.append(LibraryEntry(path, line, item))
    return entries, problems


def load_library(library_dir: Path) -> tuple[list[LibraryEntry], list[LoadProblem]]:
    entries: list[LibraryEntry] = []
    problems: list[LoadProblem] = []
    for path in template_files(library_dir):
        found, issues = load_file(path)
        entries.extend(found)
        problems.extend(issues)
    return entries, problems
