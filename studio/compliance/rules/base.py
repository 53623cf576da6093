"""What every rule family produces (`Hit`) and the context helpers they share."""

from __future__ import annotations

from typing import NamedTuple

from studio.compliance.normalise import CLAUSE_BOUNDARIES, SENTENCE_BOUNDARIES
from studio.compliance.ruleset import CueMatcher, CuePrefilter
from studio.domain.enums import Severity


class Hit(NamedTuple):
    """A rule hit before it becomes a `Finding`. Spans index the normalised text unless `original`.

    A named tuple, not a (frozen) dataclass: one is built per raw hit on the hot path, and a tuple is
    several times cheaper to create.
    """

    rule: int
    start: int | None
    end: int | None
    severity: Severity
    why: str
    original: bool = False


def crosses_boundary(text: str, start: int, end: int, scope: str) -> bool:
    if end <= start:
        return False
    boundaries = CLAUSE_BOUNDARIES if scope == "clause" else SENTENCE_BOUNDARIES
    segment = text[start:end]
    return any(ch in segment for ch in boundaries)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(ch, 0, start) for ch in SENTENCE_BOUNDARIES) + 1
    rights = [i for i in (text.find(ch, end) for ch in SENTENCE_BOUNDARIES) if i >= 0]
    return left, min(rights) if rights else len(text)


def cued(
    text: str, start: int, end: int, cues: tuple[CueMatcher, ...], prefilter: CuePrefilter | None = None
) -> str | None:
    """The cue word showing the hit is negated or warned against (非保本, 警惕“稳赚不赔”), if any.

    A before-cue may overlap the start of the hit (不保证 + 保证收益); it must end no more than
    `window` characters before the hit, within the same clause (or sentence, per the cue list).
    `prefilter` (the rule's `cue_any`) only saves time: no cue word anywhere in reach means no cue.
    """
    if prefilter is not None:
        search, back, forward = prefilter
        if search(text, start - back if start > back else 0, end + forward) is None:
            return None
    for cue in cues:
        found = _cue_before(text, start, end, cue) if cue.before else _cue_after(text, start, end, cue)
        if found is not None:
            return found
    return None


def _cue_before(text: str, start: int, end: int, cue: CueMatcher) -> str | None:
    lo = max(0, start - cue.window - cue.longest)
    for match in cue.regex.finditer(text, lo, min(end, start + cue.longest)):
        m_start, m_end = match.span()
        if m_start < start and start - m_end <= cue.window and m_end <= end:
            # crosses_boundary(text, m_end, start, cue.scope), as one regex call
            if m_end >= start or cue.boundary.search(text, m_end, start) is None:  # type: ignore[union-attr]
                return match.group()
    return None


def _cue_after(text: str, start: int, end: int, cue: CueMatcher) -> str | None:
    hi = end + cue.window + cue.longest
    for match in cue.regex.finditer(text, max(start + 1, end - cue.longest), hi):
        m_start, m_end = match.span()
        if m_end > end and m_start - end <= cue.window:
            if m_start <= end or cue.boundary.search(text, end, m_start) is None:  # type: ignore[union-attr]
                return match.group()
    return None
