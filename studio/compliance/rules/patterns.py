"""Regex rules (numbers, comparisons, endorsements) run only when one of their trigger terms occurs."""

from __future__ import annotations

from studio.compliance.rules.base import Hit, cued, sentence_bounds
from studio.compliance.ruleset import Ruleset
from studio.compliance.scan import Scan

# A pattern is searched near each occurrence of a trigger term, not over the whole text.
LOOK_BEHIND = 12
LOOK_AHEAD = 48


def collect(ruleset: Ruleset, found: Scan, active: frozenset[int], out: list[Hit]) -> None:
    if not found.triggers:
        return
    text = found.norm.text
    windows: dict[int, list[tuple[int, int]]] = {}
    for start, end, rules in found.triggers:
        for index in rules:
            if index in active:
                windows.setdefault(index, []).append((max(0, start - LOOK_BEHIND), end + LOOK_AHEAD))
    for index, spans in windows.items():
        rule = ruleset.rules[index]
        seen: set[tuple[int, int]] = set()
        merged = _merge(spans) if len(spans) > 1 else spans
        for pattern, (lo, hi) in ((p, w) for p in rule.patterns for w in merged):
            for match in pattern.finditer(text, lo, hi):
                start, end = match.span()
                if start == end or (start, end) in seen:
                    continue
                seen.add((start, end))
                if rule.unless_sentence or rule.unless_sentence_re is not None:
                    left, right = sentence_bounds(text, start, end)
                    sentence = text[left:right]
                    if any(w in sentence for w in rule.unless_sentence):
                        continue
                    if rule.unless_sentence_re is not None and rule.unless_sentence_re.search(sentence):
                        continue
                if rule.unless_before and any(0 <= text.find(w, 0, start) for w in rule.unless_before):
                    continue
                if rule.cues and cued(text, start, end, rule.cues):
                    continue
                out.append(Hit(index, start, end, rule.severity, f"匹配规则模式：“{match.group()}”"))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping trigger windows merged, so a match is not found twice."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
