"""Statutory days off and make-up working days (调休) from library/occasions/holidays.yaml.

Items: one per day — "<节日> 放假" (kind holiday) for each day off, "<节日> 调休上班" (kind workday)
for each make-up working day — named as the State Council notice names the holiday (清明节, 国庆节、中秋节).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from studio.domain.enums import OccasionKind
from studio.occasions.catalog import DATA_DIR
from studio.occasions.model import Occasion


class HolidayPeriod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    start: dt.date
    end: dt.date
    workdays: tuple[dt.date, ...] = ()

    def days_off(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class AnnouncedYear(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    periods: tuple[HolidayPeriod, ...]


class HolidayData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    years: dict[int, AnnouncedYear]

    def occasions(self, year: int) -> list[Occasion]:
        """Days off and make-up workdays dated in `year`. The notice of year+1 is read too, since a
        元旦 period or its make-up day can start in late December."""
        items: list[Occasion] = []
        for notice_year in (year, year + 1):
            announced = self.years.get(notice_year)
            if announced is None:
                continue
            for period in announced.periods:
                note = f"{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d} 放假"
                items += [
                    Occasion(
                        date=day,
                        name=f"{period.name} 放假",
                        kind=OccasionKind.HOLIDAY,
                        source=announced.source,
                        note=note,
                    )
                    for day in period.days_off()
                    if day.year == year
                ]
                items += [
                    Occasion(
                        date=day,
                        name=f"{period.name} 调休上班",
                        kind=OccasionKind.WORKDAY,
                        source=announced.source,
                    )
                    for day in period.workdays
                    if day.year == year
                ]
        return items

    def notes(self, year: int) -> list[str]:
        if year in self.years:
            return []
        first, last = min(self.years), max(self.years)
        if year > last:
            return [f"{year} statutory holidays not yet announced"]
        return [f"{year} statutory holidays not in the data (covered: {first}-{last})"]


@lru_cache(maxsize=4)
def load_holidays(path: Path = DATA_DIR / "holidays.yaml") -> HolidayData:
    with path.open(encoding="utf-8") as handle:
        return HolidayData.model_validate(yaml.safe_load(handle))
