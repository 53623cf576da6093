"""Regex rules (numbers, comparisons, endorsements) run only when one of their trigger terms occurs."""

from __future__ import annotations

from studio.compliance.rules.base import Hit, cued, sentence_bounds
from studio.compliance.ruleset import Ruleset
from studio.compliance.scan import Scan


def collect(ruleset: Ruleset, found: Scan, active: frozenset[int], out: list[Hit]) -> None:
    if not found.triggered:
        return
    text = found.norm.text
    for index in sorted(found.triggered & active):
        rule = ruleset.rules[index]
        for pattern in rule.patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if start == end:
                    continue
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
