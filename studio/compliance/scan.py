"""One automaton pass over the text; normalise first only when the text needs it.

Clean text (the common case) costs one regex search for non-ASCII oddities, a byte-class pass for
digits and separators, and one automaton pass over the original string: no copy, no span mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from ahocorasick import Automaton

from studio.compliance.normalise import (
    CHINESE_DIGIT_RUN,
    Normalised,
    byte_gates,
    needs_normalising,
    normalise,
)
from studio.compliance.ruleset import Entry, TermRef


@dataclass(slots=True)
class Scan:
    norm: Normalised
    terms: list[tuple[int, int, tuple[TermRef, ...]]]
    allows: list[tuple[int, int, frozenset[tuple[int, str]]]]
    triggers: list[tuple[int, int, tuple[int, ...]]]
    pii_digits: bool
    pii_email: bool
    pii_spelled: bool  # seven Chinese digits in a row (一三八〇〇一三八〇〇〇)


def scan(automaton: Automaton, text: str) -> Scan:
    separator_inside, digits, at = byte_gates(text)
    if separator_inside or needs_normalising(text):  # 保 本, 保*本, 穩賺, ＡＢＣ: scan the normal form
        norm = normalise(text)
        if norm.changed:
            _, digits, at = byte_gates(norm.text)
    else:
        norm = Normalised(text, text)
    terms: list[tuple[int, int, tuple[TermRef, ...]]] = []
    allows: list[tuple[int, int, frozenset[tuple[int, str]]]] = []
    triggers: list[tuple[int, int, tuple[int, ...]]] = []
    spelled = CHINESE_DIGIT_RUN.search(norm.text) is not None
    entry: Entry
    for end, entry in automaton.iter(norm.text):
        start = end + 1 - entry[0]
        if entry[1]:
            terms.append((start, end + 1, entry[1]))
        if entry[2]:
            allows.append((start, end + 1, entry[2]))
        if entry[3]:
            triggers.append((start, end + 1, entry[3]))
    return Scan(norm, terms, allows, triggers, digits, at, spelled)
