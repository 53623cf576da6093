"""Findings as HTML marks over the original text; every character of user text is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

_RANK = {"block": 3, "review": 2, "info": 1}


def _span(finding: Any) -> tuple[int | None, int | None, str, str]:
    get = finding.get if isinstance(finding, Mapping) else lambda k: getattr(finding, k)
    severity = get("severity")
    return get("start"), get("end"), str(getattr(severity, "value", severity)), str(get("code"))


def highlight_html(text: str, findings: Iterable[Any]) -> str:
    """Each character takes the most severe finding covering it; runs of equal marks are merged."""
    marks: list[tuple[int, str] | None] = [None] * len(text)
    for finding in findings:
        start, end, severity, code = _span(finding)
        if start is None or end is None:
            continue
        for i in range(max(start, 0), min(end, len(text))):
            current = marks[i]
            if current is None or _RANK.get(severity, 0) > current[0]:
                marks[i] = (_RANK.get(severity, 0), f'<mark class="sev-{severity}" title="{html.escape(code)}">')
    out: list[str] = []
    open_tag: str | None = None
    for ch, mark in zip(text, marks, strict=True):
        tag = mark[1] if mark else None
        if tag != open_tag:
            if open_tag:
                out.append("</mark>")
            if tag:
                out.append(tag)
            open_tag = tag
        out.append(html.escape(ch))
    if open_tag:
        out.append("</mark>")
    return "".join(out)
