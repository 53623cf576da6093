"""One automaton pass over the text; normalise first only when the text needs it.

Clean text (the common case) costs one regex search for non-ASCII oddities plus one automaton pass
over the original string; no copy, and spans need no mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.compliance.normalise import (
    Normalised,
    needs_normalising,
    normalise,
    separator_inside_word,
)
from studio.compliance.ruleset import GATE_AT, GATE_DIGIT, GATE_SEP, Entry, Ruleset, TermRef

# A run of this many digits (single space/hyphen between groups allowed) may be an ID, card or phone.
_PII_DIGIT_RUN = 6


@dataclass(slots=True)
class Scan:
    norm: Normalised
    terms: list[tuple[int, int, tuple[TermRef, ...]]] = field(default_factory=list)
    allows: list[tuple[int, int, frozenset[tuple[int, str]]]] = field(default_factory=list)
    triggered: set[int] = field(default_factory=set)
    pii_digits: bool = False
    pii_email: bool = False


def scan(ruleset: Ruleset, text: str) -> Scan:
    found = None if needs_normalising(text) else _pass(ruleset, text, Normalised(text, text), first=True)
    if found is None:  # folded characters, or separators inside words (保 本, 保*本): scan the normal form
        normalised = normalise(text)
        found = _pass(ruleset, normalised.text, normalised, first=False)
        assert found is not None
    return found


def _pass(ruleset: Ruleset, text: str, norm: Normalised, *, first: bool) -> Scan | None:
    """Collect hits; on the first pass, give up (None) at an ASCII separator inside a word."""
    result = Scan(norm)
    terms, allows = result.terms, result.allows
    last_digit = -10
    run = 0
    entry: Entry
    for end, entry in ruleset.automaton.iter(text):
        gate = entry[0]
        if gate:
            if gate == GATE_DIGIT:
                if end == last_digit + 1 or (end == last_digit + 2 and text[end - 1] in " -"):
                    run += 1
                    if run >= _PII_DIGIT_RUN:
                        result.pii_digits = True
                else:
                    run = 1
                last_digit = end
            elif gate == GATE_SEP:
                if first and separator_inside_word(text, end):
                    return None
            elif gate == GATE_AT:
                result.pii_email = True
            continue
        start = end + 1 - entry[1]
        if entry[2]:
            terms.append((start, end + 1, entry[2]))
        if entry[3]:
            allows.append((start, end + 1, entry[3]))
        if entry[4]:
            result.triggered.update(entry[4])
    return result
