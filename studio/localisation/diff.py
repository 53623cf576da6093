"""What a branch changed: character-level diff of a variant against its approved parent text."""

from __future__ import annotations

import html
from difflib import SequenceMatcher


def diff_segments(parent: str, text: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in equal / insert / delete, enough to render both sides."""
    segments: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, parent, text, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", text[b0:b1]))
            continue
        if a1 > a0:
            segments.append(("delete", parent[a0:a1]))
        if b1 > b0:
            segments.append(("insert", text[b0:b1]))
    return segments


def diff_html(parent: str, text: str) -> str:
    """Escaped HTML: insertions in <ins>, deletions in <del>."""
    out = []
    for op, chunk in diff_segments(parent, text):
        escaped = html.escape(chunk)
        out.append(escaped if op == "equal" else f"<{op[:3]}>{escaped}</{op[:3]}>")
    return "".join(out)


def changed_ratio(parent: str, text: str) -> float:
    return 1.0 - SequenceMatcher(None, parent, text, autojunk=False).ratio()
