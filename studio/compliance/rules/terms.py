"""Lexicon terms found by the automaton, filtered by allow-phrases, cues, nearby words and product."""

from __future__ import annotations

from studio.compliance.rules.base import Hit, cued
from studio.compliance.ruleset import Ruleset
from studio.compliance.scan import Scan

_NORMALISED = "（原文经全半角/繁简/大小写/分隔符规范化后匹配）"


def collect(ruleset: Ruleset, found: Scan, out: list[Hit]) -> None:
    """Term hits of the scope's automaton (it holds only terms that apply to the product and channel).

    Everything per term that does not depend on the text (its rule's cues, severity, the "why" lead) is
    precomputed on its `TermRef`: this loop runs once per raw hit.
    """
    norm = found.norm
    text = norm.text
    protected: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for a, b, keys in found.allows:  # allow-phrases seen (最高气温, 第一季度): the terms they protect
        for key in keys:
            protected.setdefault(key, []).append((a, b))
    changed = norm.changed
    original = norm.original
    append = out.append
    for start, end, refs in found.terms:
        for ref in refs:
            if protected:
                spans = protected.get(ref.key)
                if spans is not None:
                    inside = False
                    for a, b in spans:
                        if a <= start and end <= b:
                            inside = True
                            break
                    if inside:
                        continue
            if ref.cues:
                search, back, forward = ref.cue_any  # type: ignore[misc]
                # no cue word within reach (one regex call) is the common case: skip `cued` then
                if search(text, start - back if start > back else 0, end + forward) is not None and cued(
                        text, start, end, ref.cues):
                    continue
            why = ref.why
            window = ref.near_window
            if window:
                around = text[max(0, start - window) : end + window]
                if ref.near_any:
                    near = next((w for w in ref.near_any if w in around), None)
                    if near is None:
                        continue
                    why += f"，附近出现“{near}”"
                if ref.near_none and any(w in around for w in ref.near_none):
                    continue
            if changed and original[slice(*norm.span(start, end))] != ref.term:
                why += _NORMALISED
            append(Hit(ref.rule, start, end, ref.hit_severity, why))
