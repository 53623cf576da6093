"""Render text with finding spans marked, for the UI. Every piece of user text is HTML-escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable

from studio.compliance.types import Finding


def highlight_html(text: str, findings: Iterable[Finding]) -> str:
    """`text` as HTML with each finding span wrapped in `<mark class="sev-…" title="CODE">`.

    Overlapping spans are split at every boundary; a piece covered by several findings gets the most
    severe class and all their codes in `title`. Missing-element findings (no span) are not marked.
    Line breaks are kept as `\\n`; render inside an element with `white-space: pre-wrap`.
    """
    spans = [
        (f.start, f.end, f)
        for f in findings
        if f.start is not None and f.end is not None and 0 <= f.start < f.end <= len(text)
    ]
    if not spans:
        return html.escape(text)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    parts: list[str] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[left:right])
        covering = [f for s, e, f in spans if s <= left and right <= e]
        if not covering:
            parts.append(piece)
            continue
        worst = max(covering, key=lambda f: f.severity.rank).severity
        codes = " ".join(dict.fromkeys(f.code for f in covering))
        parts.append(f'<mark class="sev-{worst.value}" title="{html.escape(codes)}">{piece}</mark>')
    return "".join(parts)
