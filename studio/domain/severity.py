"""Severity order of compliance findings, and the highest severity a list of findings reaches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from studio.domain.enums import Severity

RANK = {Severity.INFO.value: 1, Severity.REVIEW.value: 2, Severity.BLOCK.value: 3}


def max_severity_of(findings: Iterable[dict[str, Any]] | None) -> str:
    """"" for no findings, else the highest of info < review < block (stored so queues filter in SQL)."""
    return max((str(f.get("severity", "")) for f in findings or ()), key=lambda s: RANK.get(s, 0), default="")


def at_least(floor: str) -> list[str]:
    """The severities at or above `floor`, for an SQL `IN` filter."""
    return [s for s, rank in RANK.items() if rank >= RANK[floor]]
