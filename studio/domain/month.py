"""A calendar month ("YYYY-MM"): the one place that month text is parsed and a month's days are listed."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from studio.errors import ValidationError

# Four-digit year, one- or two-digit month: "2026-11" and "2026-1" both mean November… and January.
_MONTH_TEXT = re.compile(r"(\d{4})-(\d{1,2})")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    number: int

    def __post_init__(self) -> None:
        if not (1 <= self.year <= 9999 and 1 <= self.number <= 12):
            raise ValidationError(f"no such month {self.year}-{self.number}", "月份格式应为 YYYY-MM。")

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "YYYY-MM" (surrounding spaces allowed); a clear ValidationError for anything else."""
        found = _MONTH_TEXT.fullmatch(text.strip()) if isinstance(text, str) else None
        if found is None or not 1 <= int(found[2]) <= 12:
            raise ValidationError(f"month must be YYYY-MM, got {text!r}", "月份格式应为 YYYY-MM。")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.number, calendar.monthrange(self.year, self.number)[1])

    def days(self) -> list[date]:
        first = self.first
        return [first + timedelta(days=i) for i in range(self.last.day)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day.year, day.month) == (self.year, self.number)
