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
        window = (start - LOOK_BEHIND if start > LOOK_BEHIND else 0, end + LOOK_AHEAD)
        for index in rules:
            if index in active:
                spans = windows.get(index)
                if spans is None:
                    windows[index] = [window]
                else:
                    spans.append(window)
    rules_by_index = ruleset.rules
    for index, spans in windows.items():
        rule = rules_by_index[index]
        seen: set[tuple[int, int]] | None = None  # created at the first match: most windows have none
        merged = _merge(spans) if len(spans) > 1 else spans
        for pattern in rule.patterns:
            finditer = pattern.finditer
            for lo, hi in merged:
                for match in finditer(text, lo, hi):
                    start, end = span = match.span()
                    if start == end:
                        continue
                    if seen is None:
                        seen = {span}
                    elif span in seen:
                        continue
                    else:
                        seen.add(span)
                    if rule.unless_sentence or rule.unless_sentence_re is not None:
                        left, right = sentence_bounds(text, start, end)
                        sentence = text[left:right]
                        if any(w in sentence for w in rule.unless_sentence):
                            continue
                        if rule.unless_sentence_re is not None and rule.unless_sentence_re.search(sentence):
                            continue
                    if rule.unless_before and any(0 <= text.find(w, 0, start) for w in rule.unless_before):
                        continue
                    if rule.cues and cued(text, start, end, rule.cues, rule.cue_any):
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
