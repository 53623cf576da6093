"""Value objects of the occasions package: what a dated thing to post about looks like."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from studio.occasions.provinces import normalize_province

OccasionKind = Literal[
    "festival",  # traditional and public festivals (春节, 国庆节, 母亲节 …)
    "solar_term",  # the 24 solar terms (立春 … 大寒), 清明 included
    "holiday",  # a statutory day off (one item per day)
    "workday",  # a make-up working day (调休上班)
    "finance_day",  # days and months a bank campaigns on (3·15, 金融知识普及月 …)
    "regional",  # a province's own festival (壮族三月三, 泼水节 …)
    "hot_topic",  # current events entered by HQ
    "marketing_day",  # commercial days (520, 双11 …)
    "season",  # 四季 by solar terms, 三伏, 数九
]
OCCASION_KINDS: tuple[str, ...] = get_args(OccasionKind)


class Occasion(BaseModel):
    """One occasion. `end` is set for a span (a season, a campaign month, a hot topic); the span is
    listed once, on its first day, never repeated on each day."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    name: str
    kind: OccasionKind
    region: str | None = None  # a name from PROVINCES; None = nationwide
    source: str | None = None  # who defines or announces the date
    note: str | None = None
    end: dt.date | None = None  # last day, inclusive

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Occasion:
        if self.end is not None and self.end < self.date:
            raise ValueError(f"end {self.end} is before date {self.date}")
        return self

    @property
    def last_day(self) -> dt.date:
        return self.end or self.date

    def sort_key(self) -> tuple[dt.date, str, str, str]:
        return (self.date, self.kind, self.name, self.region or "")


class HotTopic(BaseModel):
    """A current event HQ wants branches to post about (stored in the database, passed in by the
    caller). It becomes one `hot_topic` occasion on `start`, with `end` as its expiry."""

    model_config = ConfigDict(frozen=True)

    name: str
    start: dt.date
    end: dt.date
    region: str | None = None  # a province (full names are shortened); None = nationwide

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str | None) -> str | None:
        return None if region is None else normalize_province(region)

    @model_validator(mode="after")
    def _end_not_before_start(self) -> HotTopic:
        if self.end < self.start:
            raise ValueError(f"hot topic {self.name!r} ends before it starts")
        return self

    def to_occasion(self) -> Occasion:
        return Occasion(date=self.start, end=self.end, name=self.name, kind="hot_topic", region=self.region)


class OccasionYear(BaseModel):
    """The occasions of one Gregorian year (or date range) plus what could not be known, e.g.
    "2027 statutory holidays not yet announced". Notes are facts about gaps, never guesses."""

    model_config = ConfigDict(frozen=True)

    items: list[Occasion]
    notes: list[str] = []
