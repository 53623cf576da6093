"""Public entry points: all occasions of a year, or of a date range for the planner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from studio.domain.enums import OccasionKind
from studio.errors import ValidationError
from studio.occasions import lunar
from studio.occasions.catalog import load_catalog
from studio.occasions.holidays import load_holidays
from studio.occasions.model import HotTopicSpan, Occasion, OccasionYear
from studio.occasions.provinces import normalize_province
from studio.occasions.seasons import season_occasions

MIN_YEAR, MAX_YEAR = 1901, 2099  # the range lunar-python and the reference libraries agree on


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            f"year must be between {MIN_YEAR} and {MAX_YEAR}, got {year}",
            f"年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间，收到 {year}。",
        )


def _province(province: str | None) -> str | None:
    return None if province is None else normalize_province(province)


def _topic_applies(topic: HotTopicSpan, province: str | None) -> bool:
    return topic.region is None or province is None or topic.region == province


def _computed(year: int, province: str | None) -> tuple[list[Occasion], list[str]]:
    """Everything except hot topics that starts in `year`."""
    items = [
        Occasion(date=day, name=name, kind=OccasionKind.SOLAR_TERM) for day, name in lunar.solar_terms(year)
    ]
    items += season_occasions(year)
    holidays = load_holidays()
    items += holidays.occasions(year)
    notes = holidays.notes(year)
    for entry in load_catalog():
        if entry.applies_to(province):
            found, entry_notes = entry.occasions(year, province)
            items += found
            notes += entry_notes
    return items, notes


def occasions_for_year(
    year: int, province: str | None = None, hot_topics: Iterable[HotTopicSpan] = ()
) -> OccasionYear:
    """Occasions that start in the Gregorian `year`, sorted by date, kind, name.

    With `province`, nationwide occasions plus that province's regional ones (and hot topics with no
    region or that region); without, every region's, each carrying its `region`. A span (season,
    campaign month, hot topic) is one item on its first day with `end`. Raises ValidationError for a
    year outside 1901–2099 or an unknown province.
    """
    _check_year(year)
    province = _province(province)
    items, notes = _computed(year, province)
    items += [t.to_occasion() for t in hot_topics if t.start.year == year and _topic_applies(t, province)]
    return OccasionYear(items=sorted(items, key=Occasion.sort_key), notes=notes)


def occasions_between(
    start: dt.date, end: dt.date, province: str | None = None, hot_topics: Iterable[HotTopicSpan] = ()
) -> OccasionYear:
    """Occasions active on any day from `start` to `end` inclusive, for the planner: a single-day
    occasion in the range, or a span that overlaps it (so 冬季 or a hot topic that began before
    `start` is still included). Notes cover each year the range touches."""
    if end < start:
        raise ValidationError(f"end {end} is before start {start}", f"结束日期 {end} 早于开始日期 {start}。")
    _check_year(start.year)
    _check_year(end.year)
    province = _province(province)
    items: list[Occasion] = []
    notes: list[str] = []
    # A span starting in the previous year (冬季, 数九, a campaign) can still be running at `start`.
    for year in range(max(start.year - 1, MIN_YEAR), end.year + 1):
        found, year_notes = _computed(year, province)
        items += found
        if year >= start.year:
            notes += year_notes
    items += [t.to_occasion() for t in hot_topics if _topic_applies(t, province)]
    active = [o for o in items if o.date <= end and o.last_day >= start]
    return OccasionYear(items=sorted(set(active), key=Occasion.sort_key), notes=notes)
