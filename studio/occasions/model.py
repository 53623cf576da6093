"""Value objects of the occasions package: what a dated thing to post about looks like."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from studio.domain.enums import OccasionKind
from studio.occasions.provinces import normalize_province


def dated_kind(kind: OccasionKind) -> OccasionKind:
    """Occasions on the calendar have a dated kind (not the dateless template tags product, everyday)."""
    if not kind.dated:
        raise ValueError(f"{kind.value!r} is not a kind of dated occasion")
    return kind


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

    _dated_kind = field_validator("kind")(dated_kind)

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


class HotTopicSpan(BaseModel):
    """The dates of a hot topic (a current event HQ wants branches to post about), as the occasions
    calendar takes it: the database row is `studio.db.models.HotTopic`, the caller passes its span in.
    It becomes one `hot_topic` occasion on `start`, with `end` as its expiry."""

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
    def _end_not_before_start(self) -> HotTopicSpan:
        if self.end < self.start:
            raise ValueError(f"hot topic {self.name!r} ends before it starts")
        return self

    def to_occasion(self) -> Occasion:
        return Occasion(
            date=self.start, end=self.end, name=self.name, kind=OccasionKind.HOT_TOPIC, region=self.region
        )


class OccasionYear(BaseModel):
    """The occasions of one Gregorian year (or date range) plus what could not be known, e.g.
    "2027 statutory holidays not yet announced". Notes are facts about gaps, never guesses."""

    model_config = ConfigDict(frozen=True)

    items: list[Occasion]
    notes: list[str] = []
