"""One automaton pass over the text; a second pass over the normalised text only when a gate says so."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.compliance.normalise import Normalised, is_separator, is_word_char, normalise
from studio.compliance.ruleset import (
    GATE_AT,
    GATE_DIGIT,
    GATE_FOLD,
    GATE_SEP,
    Entry,
    Ruleset,
    TermRef,
)

# A run of this many digits (single space/hyphen between groups allowed) may be an ID, card or phone.
_PII_DIGIT_RUN = 6


@dataclass(slots=True)
class Scan:
    norm: Normalised
    terms: list[tuple[int, int, tuple[TermRef, ...]]] = field(default_factory=list)
    allows: list[tuple[int, int, frozenset[tuple[int, str]]]] = field(default_factory=list)
    cues: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    triggered: set[int] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    pii_digits: bool = False
    pii_email: bool = False
    pii_chinese_digits: bool = False


def scan(ruleset: Ruleset, text: str) -> Scan:
    found = _pass(ruleset, text, first=True)
    if found is None:  # the text needs folding or has separators inside words: scan its normal form
        normalised = normalise(text)
        found = _pass(ruleset, normalised.text, first=False, norm=normalised)
    assert found is not None
    return found


def _pass(ruleset: Ruleset, text: str, *, first: bool, norm: Normalised | None = None) -> Scan | None:
    result = Scan(norm if norm is not None else Normalised(text, text))
    terms, allows, cues = result.terms, result.allows, result.cues
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
            elif gate == GATE_FOLD:
                if first:
                    return None
            elif gate == GATE_SEP:
                if first and _inside_word(text, end):
                    return None
            elif gate == GATE_AT:
                result.pii_email = True
            else:
                result.pii_chinese_digits = True
            continue
        start = end + 1 - entry[1]
        if entry[2]:
            terms.append((start, end + 1, entry[2]))
        if entry[3]:
            allows.append((start, end + 1, entry[3]))
        if entry[4]:
            cues.append((start, end + 1, entry[4]))
        if entry[5]:
            result.triggered.update(entry[5])
        if entry[6]:
            result.present.add(entry[6])
    return result


def _inside_word(text: str, index: int) -> bool:
    """Is the separator at `index` preceded by a Chinese character and followed by one (or more separators)?"""
    if index == 0 or index + 1 >= len(text) or not is_word_char(text[index - 1]):
        return False
    following = text[index + 1]
    return is_word_char(following) or is_separator(following)
