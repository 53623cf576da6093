"""The highest severity a list of findings reaches, and severities at or above a floor (ranks live on
`Severity.rank`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from studio.domain.enums import Severity


def rank_of(severity: str) -> int:
    """`Severity.rank` of a stored severity code; 0 for none or an unknown code."""
    return Severity(severity).rank if severity in Severity._value2member_map_ else 0


def max_severity_of(findings: Iterable[dict[str, Any]] | None) -> str:
    """ "" for no findings, else the highest of info < review < block (stored so queues filter in SQL)."""
    return max((str(f.get("severity", "")) for f in findings or ()), key=rank_of, default="")


def at_least(floor: str) -> list[str]:
    """The severities at or above `floor`, for an SQL `IN` filter."""
    return [s.value for s in Severity if s.rank >= Severity(floor).rank]
