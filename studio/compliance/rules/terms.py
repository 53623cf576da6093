"""Lexicon terms found by the automaton, filtered by allow-phrases, cues, nearby words and product."""

from __future__ import annotations

from studio.compliance.rules.base import Hit, cued
from studio.compliance.ruleset import Ruleset
from studio.compliance.scan import Scan


def collect(ruleset: Ruleset, found: Scan, out: list[Hit]) -> None:
    """Term hits of the scope's automaton (it holds only terms that apply to the product and channel)."""
    text = found.norm.text
    protected: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for a, b, keys in found.allows:  # allow-phrases seen (最高气温, 第一季度): the terms they protect
        for key in keys:
            protected.setdefault(key, []).append((a, b))
    rules = ruleset.rules
    changed = found.norm.changed
    for start, end, refs in found.terms:
        for ref in refs:
            if protected:
                spans = protected.get((ref.rule, ref.term))
                if spans and any(a <= start and end <= b for a, b in spans):
                    continue
            rule = rules[ref.rule]
            if rule.cues and cued(text, start, end, rule.cues):
                continue
            why = f"命中词条“{ref.label}”"
            if ref.near_window:
                around = text[max(0, start - ref.near_window) : end + ref.near_window]
                if ref.near_any:
                    near = next((w for w in ref.near_any if w in around), None)
                    if near is None:
                        continue
                    why += f"，附近出现“{near}”"
                if ref.near_none and any(w in around for w in ref.near_none):
                    continue
            if changed and found.norm.original[slice(*found.norm.span(start, end))] != ref.term:
                why += "（原文经全半角/繁简/大小写/分隔符规范化后匹配）"
            out.append(Hit(ref.rule, start, end, ref.severity or rule.severity, why))
