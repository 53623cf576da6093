"""Regex rules (numbers, comparisons, endorsements) run only when one of their trigger terms occurs."""

from __future__ import annotations

from collections.abc import Iterator

from studio.compliance.rules.base import Hit, cued, sentence_bounds
from studio.compliance.ruleset import CompiledRule, Ruleset
from studio.compliance.scan import Scan

# A pattern is searched near each occurrence of a trigger term, not over the whole text.
LOOK_BEHIND = 12
LOOK_AHEAD = 48


def collect(ruleset: Ruleset, found: Scan, active: frozenset[int], out: list[Hit]) -> None:
    if not found.triggers:
        return
    text = found.norm.text
    rules_by_index = ruleset.rules
    for index, spans in _windows(found, active).items():
        rule = rules_by_index[index]
        merged = _merge(spans) if len(spans) > 1 else spans
        for start, end, matched in _matches(rule, text, merged):
            if not _excused(rule, text, start, end):
                out.append(Hit(index, start, end, rule.severity, f"匹配规则模式：“{matched}”"))


def _windows(found: Scan, active: frozenset[int]) -> dict[int, list[tuple[int, int]]]:
    """For each active rule, the text windows around its trigger terms."""
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
    return windows


def _matches(rule: CompiledRule, text: str, merged: list[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
    """Non-empty matches of the rule's patterns inside the windows, each span once."""
    seen: set[tuple[int, int]] | None = None  # created at the first match: most windows have none
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
                yield start, end, match.group()


def _excused(rule: CompiledRule, text: str, start: int, end: int) -> bool:
    """The match is excused by a word in its sentence, a word before it, or a cue nearby."""
    if rule.unless_sentence or rule.unless_sentence_re is not None:
        left, right = sentence_bounds(text, start, end)
        sentence = text[left:right]
        if any(w in sentence for w in rule.unless_sentence):
            return True
        if rule.unless_sentence_re is not None and rule.unless_sentence_re.search(sentence):
            return True
    if rule.unless_before and any(0 <= text.find(w, 0, start) for w in rule.unless_before):
        return True
    return bool(rule.cues) and cued(text, start, end, rule.cues, rule.cue_any) is not None


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping trigger windows merged, so a match is not found twice."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
