"""Date rules of the occasion catalogs (library/occasions/*.yaml) and their evaluation for a year.

A rule says how a day is defined — Gregorian date, lunar date, n-th weekday, solar term, a whole month,
or announced each year by some authority — so the data states its own definition and can be reviewed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from studio.domain.month import Month
from studio.occasions import lunar

Span = tuple[dt.date, dt.date | None]  # first day, last day (None for a single day)


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GregorianRule(_Rule):
    type: Literal["gregorian"]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    days: int = Field(default=1, ge=1)  # length of the span, e.g. 泼水节 3 days

    def spans(self, year: int) -> list[Span]:
        if self.day > Month(year, self.month).last.day:
            return []
        start = dt.date(year, self.month, self.day)
        return [(start, start + dt.timedelta(days=self.days - 1) if self.days > 1 else None)]


class LunarRule(_Rule):
    type: Literal["lunar"]
    month: int = Field(ge=1, le=12)  # the ordinary (non-leap) month
    day: int = Field(ge=1, le=30)

    def spans(self, year: int) -> list[Span]:
        # Lunar year N runs from Jan/Feb of N into Jan/Feb of N+1, so a Gregorian year holds days of
        # two lunar years: 腊八 can fall in January (of the previous lunar year) and again in December.
        found = (lunar.lunar_to_date(lunar_year, self.month, self.day) for lunar_year in (year - 1, year))
        return [(day, None) for day in found if day is not None and day.year == year]


class LunarNewYearEveRule(_Rule):
    """除夕: the last day of the lunar year (腊月廿九 when 腊月 has 29 days)."""

    type: Literal["lunar_new_year_eve"]

    def spans(self, year: int) -> list[Span]:
        found = (lunar.lunar_new_year_eve(lunar_year) for lunar_year in (year - 1, year))
        return [(day, None) for day in found if day.year == year]


class NthWeekdayRule(_Rule):
    """E.g. 母亲节 = 2nd Sunday of May. weekday: 1 = Monday … 7 = Sunday (ISO)."""

    type: Literal["nth_weekday"]
    month: int = Field(ge=1, le=12)
    weekday: int = Field(ge=1, le=7)
    n: int = Field(ge=1, le=5)

    def spans(self, year: int) -> list[Span]:
        first = dt.date(year, self.month, 1)
        day = first + dt.timedelta(days=(self.weekday - first.isoweekday()) % 7 + 7 * (self.n - 1))
        return [(day, None)] if day.month == self.month else []


class SolarTermRule(_Rule):
    """A day defined by a solar term, e.g. 中国农民丰收节 = 秋分."""

    type: Literal["solar_term"]
    term: str

    def spans(self, year: int) -> list[Span]:
        return [(lunar.solar_term_date(year, self.term), None)]


class MonthRule(_Rule):
    """A month-long campaign (宣传月): listed once on the 1st with the month's last day as `end`."""

    type: Literal["month"]
    month: int = Field(ge=1, le=12)

    def spans(self, year: int) -> list[Span]:
        month = Month(year, self.month)
        return [(month.first, month.last)]


class AnnouncedRule(_Rule):
    """No fixed rule: the date is announced each year (or differs by locality). Only the years in
    `dates` are known; for any other year the occasion is left out and a note says so."""

    type: Literal["announced"]
    dates: dict[int, tuple[dt.date, dt.date]] = {}  # year -> (first day, last day)

    def spans(self, year: int) -> list[Span]:
        if year not in self.dates:
            return []
        start, end = self.dates[year]
        return [(start, end if end != start else None)]


DateRule = Annotated[
    GregorianRule
    | LunarRule
    | LunarNewYearEveRule
    | NthWeekdayRule
    | SolarTermRule
    | MonthRule
    | AnnouncedRule,
    Field(discriminator="type"),
]
