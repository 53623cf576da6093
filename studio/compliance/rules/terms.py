"""Lexicon terms found by the automaton, filtered by allow-phrases, cues, nearby words and product."""

from __future__ import annotations

from studio.compliance.rules.base import Hit, cued
from studio.compliance.ruleset import Ruleset, TermRef
from studio.compliance.scan import Scan

_NORMALISED = "（原文经全半角/繁简/大小写/分隔符规范化后匹配）"


def collect(ruleset: Ruleset, found: Scan, out: list[Hit]) -> None:
    """Term hits of the scope's automaton (it holds only terms that apply to the product and channel).

    Everything per term that does not depend on the text (its rule's cues, severity, the "why" lead) is
    precomputed on its `TermRef`: this loop runs once per raw hit.
    """
    norm = found.norm
    text = norm.text
    protected = _protected(found)
    changed = norm.changed
    original = norm.original
    append = out.append
    for start, end, refs in found.terms:
        for ref in refs:
            if protected and _inside(protected.get(ref.key), start, end):
                continue
            if ref.cues:
                search, back, forward = ref.cue_any  # type: ignore[misc]
                # no cue word within reach (one regex call) is the common case: skip `cued` then
                if search(text, start - back if start > back else 0, end + forward) is not None and cued(
                    text, start, end, ref.cues
                ):
                    continue
            why = ref.why
            if ref.near_window:
                near_why = _near(ref, text, start, end)
                if near_why is None:
                    continue
                why = near_why
            if changed and original[slice(*norm.span(start, end))] != ref.term:
                why += _NORMALISED
            append(Hit(ref.rule, start, end, ref.hit_severity, why))


def _protected(found: Scan) -> dict[tuple[int, str], list[tuple[int, int]]]:
    """The allow-phrases seen (最高气温, 第一季度), as the spans of the term keys they protect."""
    protected: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for a, b, keys in found.allows:
        for key in keys:
            protected.setdefault(key, []).append((a, b))
    return protected


def _inside(spans: list[tuple[int, int]] | None, start: int, end: int) -> bool:
    return spans is not None and any(a <= start and end <= b for a, b in spans)


def _near(ref: TermRef, text: str, start: int, end: int) -> str | None:
    """The hit's "why" when the words required near it are there and the excluded ones are not, else None."""
    window = ref.near_window
    around = text[max(0, start - window) : end + window]
    why = ref.why
    if ref.near_any:
        near = next((w for w in ref.near_any if w in around), None)
        if near is None:
            return None
        why += f"，附近出现“{near}”"
    if ref.near_none and any(w in around for w in ref.near_none):
        return None
    return why
