"""`studio library stats`: how the library covers occasion kinds × content types, channels, personas and
product types, so an editor sees the empty cells before a calendar needs them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType
from studio.materials.loader import LibraryEntry

_AXES: dict[str, type[Any]] = {
    "occasion_kind": OccasionKind,
    "content_type": ContentType,
    "persona": Persona,
    "channel": Channel,
    "product_type": ProductType,
}


def _tags(axis: str) -> list[str]:
    """The values a template may carry on `axis` (a make-up workday is an occasion, never a tag)."""
    return [m.value for m in _AXES[axis] if getattr(m, "taggable", True)]


@dataclass
class Coverage:
    total: int = 0
    matrix: dict[str, dict[str, int]] = field(default_factory=dict)  # occasion_kind -> content_type -> n
    by: dict[str, dict[str, int]] = field(default_factory=dict)  # axis -> value -> n

    @property
    def empty_cells(self) -> list[tuple[str, str]]:
        return [(kind, ctype) for kind, row in self.matrix.items() for ctype, n in row.items() if n == 0]

    def missing(self, axis: str) -> list[str]:
        return [value for value, n in self.by[axis].items() if n == 0]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "occasion_kind_x_content_type": self.matrix,
            **{axis: counts for axis, counts in self.by.items()},
            "empty_cells": [list(cell) for cell in self.empty_cells],
        }


def _tag(entry: LibraryEntry, axis: str) -> str | None:
    raw = entry.data.get(axis)
    if not isinstance(raw, str):
        return None
    try:
        return str(_AXES[axis].parse(raw).value)
    except ValueError:
        return None


def coverage(entries: Iterable[LibraryEntry]) -> Coverage:
    """Counts per tag; every enum value is present (zero when nothing has it)."""
    result = Coverage()
    cells: Counter[tuple[str, str]] = Counter()
    counters: dict[str, Counter[str]] = {axis: Counter() for axis in _AXES}
    for entry in entries:
        result.total += 1
        for axis in _AXES:
            value = _tag(entry, axis)
            if value is not None:
                counters[axis][value] += 1
        kind, ctype = _tag(entry, "occasion_kind"), _tag(entry, "content_type")
        if kind and ctype:
            cells[(kind, ctype)] += 1
    result.matrix = {k: {c.value: cells[(k, c.value)] for c in ContentType} for k in _tags("occasion_kind")}
    result.by = {axis: {m: counters[axis][m] for m in _tags(axis)} for axis in _AXES}
    return result


def render_text(cov: Coverage) -> str:
    """Plain-text tables (codes as headers: CJK labels do not align in a terminal)."""
    lines: list[str] = [f"templates: {cov.total}", "", "occasion_kind x content_type"]
    ctypes = [c.value for c in ContentType]
    width = max(len(k) for k in _tags("occasion_kind")) + 2
    cols = [max(len(c), 4) + 2 for c in ctypes]
    lines.append(
        "".ljust(width) + "".join(c.rjust(w) for c, w in zip(ctypes, cols, strict=True)) + "total".rjust(7)
    )
    for kind, row in cov.matrix.items():
        cells = "".join((str(row[c]) if row[c] else "-").rjust(w) for c, w in zip(ctypes, cols, strict=True))
        lines.append(kind.ljust(width) + cells + str(sum(row.values())).rjust(7))
    for axis in ("channel", "persona", "product_type"):
        lines += ["", axis]
        counts = cov.by[axis]
        name_width = max(len(v) for v in counts) + 2
        lines += [f"{value.ljust(name_width)}{n:>5}" for value, n in counts.items()]
    empty = cov.empty_cells
    lines += [
        "",
        f"empty cells: {len(empty)}" + (": " + ", ".join(f"{k}/{c}" for k, c in empty) if empty else ""),
    ]
    return "\n".join(lines)
