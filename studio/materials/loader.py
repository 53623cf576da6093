"""Read library/templates/*.yaml and library/posters/*.yaml into entries that remember the line of every
key (file:line field), nested ones included (`poster.layers[2].box`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from studio.localisation.draft import TemplateDraft

# The fields of a library entry, in the order the exporter writes them.
ENTRY_ORDER = (
    "code",
    "title",
    "occasion_kind",
    "occasion",
    "content_type",
    "persona",
    "channel",
    "product_type",
    "region",
    "valid_from",
    "valid_to",
    "slots",
    "images",
    "body",
    "poster",
)
POSTERS_DIR = "posters"  # poster templates and the image files library entries name live here
ENTRY_KEYS = frozenset(ENTRY_ORDER)
REQUIRED_KEYS = {
    "code",
    "title",
    "occasion_kind",
    "content_type",
    "persona",
    "channel",
    "product_type",
    "body",
}


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it (what a terminal user typed)."""
    cwd = Path.cwd()
    return str(path.relative_to(cwd)) if path.is_absolute() and path.is_relative_to(cwd) else str(path)


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed, so no message can span or forge report lines."""
    return " ".join(text.split())


@dataclass(frozen=True)
class LoadProblem:
    """One problem: `file:line field: message`, the field being a key path such as `slots[0].name`."""

    path: Path
    line: int
    message: str
    field: str | None = None

    def render(self, path: str | None = None) -> str:
        where = f"{path if path is not None else self.path}:{self.line}" + (
            f" {self.field}" if self.field else ""
        )
        return one_line(f"{where}: {self.message}")

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    line: int
    data: dict[str, Any]
    # Line of each key path: "title", "slots", "slots[0]", "slots[0].name".
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{display_path(self.path)}:{self.line}"

    def line_of(self, key: str | None) -> int:
        """The line of `key`, else of its nearest parent (`slots[0].x` → `slots[0]` → `slots`), else the entry."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0] if "." in key else key.partition("[")[0] if "[" in key else ""
        return self.line

    def problem(self, key: str | None, message: str) -> LoadProblem:
        return LoadProblem(self.path, self.line_of(key), message, key)

    @property
    def is_poster(self) -> bool:
        return "poster" in self.data

    def draft(self) -> TemplateDraft:
        fields = {k: v for k, v in self.data.items() if k in ENTRY_KEYS}
        return TemplateDraft.model_validate(fields)


class _Map(dict[Any, Any]):  # keys are YAML scalars: str, and int for a key like 2026
    """A mapping that knows its own line and the line of each of its keys."""

    line: int = 1
    key_lines: dict[str, int]


class _Seq(list[Any]):
    """A sequence that knows the line of each of its items."""

    item_lines: list[int]


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, key: str, first_line: int, mark: yaml.Mark) -> None:
        super().__init__(
            None, None, f"duplicate key (first on line {first_line}); the last would silently win", mark
        )
        self.key = key


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records lines and refuses what a reviewer of the file could misread:
    duplicate keys (the last one silently wins) and aliases (text defined elsewhere, or expanded many
    times over)."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in library files", event.start_mark
            )
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    key_lines: dict[str, int] = {}
    for key_node, _value in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        if key in key_lines:
            raise _DuplicateKey(key, key_lines[key], key_node.start_mark)
        key_lines[key] = key_node.start_mark.line + 1
    mapping = _Map(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = key_lines
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    sequence = _Seq(loader.construct_sequence(node, deep=True))
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _key_lines(prefix: str, value: Any, lines: dict[str, int]) -> None:
    """The line of every key path below `prefix`: `slots[0].name`, `poster.layers[2].box.x`."""
    if isinstance(value, _Map):
        for key, line in value.key_lines.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            lines[path] = line
            _key_lines(path, value.get(key), lines)
    elif isinstance(value, _Seq):
        for index, (item, line) in enumerate(zip(value, value.item_lines, strict=True)):
            lines[f"{prefix}[{index}]"] = line
            _key_lines(f"{prefix}[{index}]", item, lines)


def _entry(path: Path, item: _Map) -> LibraryEntry:
    lines: dict[str, int] = {}
    _key_lines("", item, lines)
    return LibraryEntry(path, item.line, _plain(item), lines)


def _yaml_problem(path: Path, error: yaml.YAMLError) -> LoadProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    detail = f"{problem} ({context})" if problem and context else problem or context or type(error).__name__
    key = error.key if isinstance(error, _DuplicateKey) else None
    return LoadProblem(path, (mark.line + 1) if mark else 1, f"invalid YAML: {detail}", key)


def template_files(library_dir: Path) -> list[Path]:
    """Text templates (templates/) and poster templates (posters/), in that order."""
    return [
        path
        for folder in ("templates", POSTERS_DIR)
        for path in sorted(p for p in (library_dir / folder).glob("**/*.yaml") if p.is_file())
    ]


def in_posters_dir(library_dir: Path, path: Path) -> bool:
    return path.resolve().is_relative_to((library_dir / POSTERS_DIR).resolve())


def load_file(path: Path) -> tuple[list[LibraryEntry], list[LoadProblem]]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (SafeLoader)
    except UnicodeDecodeError:
        return [], [LoadProblem(path, 1, "file is not UTF-8")]
    except OSError as error:
        return [], [LoadProblem(path, 1, f"cannot read file: {error.strerror or error}")]
    except yaml.YAMLError as error:
        return [], [_yaml_problem(path, error)]
    except RecursionError:
        return [], [LoadProblem(path, 1, "invalid YAML: nested too deeply")]
    if not isinstance(document, dict) or not isinstance(document.get("templates"), _Seq):
        return [], [LoadProblem(path, 1, "expected a mapping with a 'templates' list", "templates")]
    items: _Seq = document["templates"]
    entries: list[LibraryEntry] = []
    problems: list[LoadProblem] = []
    for index, (item, line) in enumerate(zip(items, items.item_lines, strict=True)):
        if not isinstance(item, _Map):
            problems.append(LoadProblem(path, line, "each template must be a mapping", f"templates[{index}]"))
            continue
        entries.append(_entry(path, item))
    return entries, problems


def load_library(library_dir: Path) -> tuple[list[LibraryEntry], list[LoadProblem]]:
    entries: list[LibraryEntry] = []
    problems: list[LoadProblem] = []
    for path in template_files(library_dir):
        found, issues = load_file(path)
        entries.extend(found)
        problems.extend(issues)
    return entries, problems
