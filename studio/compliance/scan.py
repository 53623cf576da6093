"""One automaton pass over the text; normalise first only when the text needs it.

Clean text (the common case) costs a few character-class regex searches (ASCII separators inside
Chinese text, digit runs) and one automaton pass over the original string: no copy, no span mapping.
With the Rust matcher the automaton also reports the characters that call for normalising and pairs
of Chinese digits (see `Scope.markers`), so clean text needs no further pass for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.compliance.normalise import (
    CHINESE_DIGIT_RUN,
    Normalised,
    digits_gate,
    needs_normalising,
    normalise,
    separator_gate,
)
from studio.compliance.ruleset import Scope, TermRef


@dataclass(slots=True)
class Scan:
    norm: Normalised
    terms: list[tuple[int, int, tuple[TermRef, ...]]]
    allows: list[tuple[int, int, frozenset[tuple[int, str]]]]
    triggers: list[tuple[int, int, tuple[int, ...]]]
    pii_digits: bool
    pii_email: bool
    pii_spelled: bool  # seven Chinese digits in a row (一三八〇〇一三八〇〇〇)


def scan(scope: Scope, text: str) -> Scan:
    find = scope.matcher.find_matches_as_indexes
    if separator_gate(text):  # 保 本, 保*本: scan the normal form
        norm = normalise(text)
        found = _split(scope, find(norm.text, True))
    elif scope.markers:
        found = _split(scope, find(text, True))
        if found[3] and needs_normalising(text):  # a character normalising may change: 穩賺, ＡＢＣ, 保🔥本
            norm = normalise(text)
            if norm.changed:
                found = _split(scope, find(norm.text, True))
        else:
            norm = Normalised(text, text)
    elif needs_normalising(text):
        norm = normalise(text)
        found = _split(scope, find(norm.text, True))
    else:
        norm = Normalised(text, text)
        found = _split(scope, find(text, True))
    terms, allows, triggers, _, pairs = found
    scanned = norm.text
    if scope.markers:
        # a run of seven Chinese digits contains a pair, which the automaton reported
        spelled = pairs and CHINESE_DIGIT_RUN.search(scanned) is not None
    else:
        spelled = CHINESE_DIGIT_RUN.search(scanned) is not None
    return Scan(norm, terms, allows, triggers, digits_gate(scanned), "@" in scanned, spelled)


_Split = tuple[
    list[tuple[int, int, tuple[TermRef, ...]]],
    list[tuple[int, int, frozenset[tuple[int, str]]]],
    list[tuple[int, int, tuple[int, ...]]],
    bool,  # a gate marker was reported
    bool,  # a Chinese-digit pair was reported
]


def _split(scope: Scope, matches: list[tuple[int, int, int]]) -> _Split:
    """The automaton's reports by role; marker keys (see `Scope.markers`) only set the two flags."""
    terms: list[tuple[int, int, tuple[TermRef, ...]]] = []
    allows: list[tuple[int, int, frozenset[tuple[int, str]]]] = []
    triggers: list[tuple[int, int, tuple[int, ...]]] = []
    gate = pairs = False
    if matches:
        entries = scope.entries
        lexical = len(entries)
        for index, start, end in matches:
            if index >= lexical:  # a marker key
                if index >= scope.pairs_from:
                    pairs = True
                else:
                    gate = True
                continue
            found_terms, found_allows, found_triggers = entries[index]
            if found_terms:
                terms.append((start, end, found_terms))
            if found_allows:
                allows.append((start, end, found_allows))
            if found_triggers:
                triggers.append((start, end, found_triggers))
    return terms, allows, triggers, gate, pairs
