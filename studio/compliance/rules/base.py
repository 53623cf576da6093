"""What every rule family produces (`Hit`) and the context helpers they share."""

from __future__ import annotations

from dataclasses import dataclass

from studio.compliance.normalise import CLAUSE_BOUNDARIES, SENTENCE_BOUNDARIES
from studio.compliance.schema import Cue
from studio.domain.enums import Severity


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule hit before it becomes a `Finding`. Spans index the normalised text unless `original`."""

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
    text: str,
    start: int,
    end: int,
    rule_cues: tuple[tuple[str, Cue], ...],
    cue_hits: list[tuple[int, int, tuple[str, ...]]],
) -> str | None:
    """The cue word that shows the hit is warned against or negated (非保本, 警惕“稳赚不赔”), if any."""
    for cue_start, cue_end, names in cue_hits:
        for name, cue in rule_cues:
            if name not in names:
                continue
            if cue.side == "before":
                if cue_start < start and start - cue_end <= cue.window and cue_end <= end:
                    if not crosses_boundary(text, cue_end, start, cue.scope):
                        return text[cue_start:cue_end]
            elif cue_end > end and cue_start >= start and cue_start - end <= cue.window:
                if not crosses_boundary(text, end, cue_start, cue.scope):
                    return text[cue_start:cue_end]
    return None
