"""PII recognisers (resident ID, mobile, bank card, USCC, e-mail): pattern + checksum + context words."""

from __future__ import annotations

from studio.compliance.normalise import digit_view
from studio.compliance.pii.recognisers import PiiMatch, context_word, find_emails, find_numbers, find_uscc
from studio.compliance.rules.base import Hit
from studio.compliance.ruleset import CompiledRule, Ruleset
from studio.compliance.scan import Scan

__all__ = ["collect"]


def collect(ruleset: Ruleset, found: Scan, indices: tuple[int, ...], out: list[Hit]) -> None:
    """`indices`: the scope's active PII rules."""
    rules: dict[str | None, CompiledRule] = {
        ruleset.rules[i].spec.recogniser: ruleset.rules[i] for i in indices
    }
    text = found.norm.text
    matches: list[PiiMatch] = []
    if found.pii_digits:
        matches += find_numbers(text)
        matches += find_uscc(text)
    if found.pii_spelled:  # 一三八〇〇一三八〇〇〇: same length, so spans carry over
        spelled = find_numbers(digit_view(text))
        matches += [m for m in spelled if not any(m.start < o.end and o.start < m.end for o in matches)]
    if found.pii_email:
        matches += find_emails(text)
    for match in matches:
        rule = rules.get(match.recogniser)
        if rule is None:
            continue
        value = text[match.start : match.end]
        if match.recogniser == "email" and value.split("@")[0].lower() in rule.spec.allow:
            continue  # an institution's service mailbox, not a person's
        why = match.why
        word = context_word(text, match.start, match.end, rule.context)
        if word:
            why += f"；上下文出现“{word}”"
        out.append(Hit(rule.index, match.start, match.end, rule.severity, why))
