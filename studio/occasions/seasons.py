"""Seasons (kind "season"): the four seasons by solar term, 三伏 and 数九.

Each is a span listed once on its first day with `end` set:
- 春季/夏季/秋季/冬季 start on 立春/立夏/立秋/立冬 (the traditional 节气 seasons, not the meteorological
  入春 of the weather service, which depends on local temperatures);
- 初伏 = 3rd 庚 day from 夏至 (夏至 itself counts), 中伏 = 4th, 末伏 = 1st 庚 day from 立秋; each 伏 runs
  to the day before the next, 末伏 lasts 10 days, so 中伏 lasts 10 or 20 days;
- 一九 … 九九: nine 9-day periods, 一九 starting on 冬至.
"""

from __future__ import annotations

import datetime as dt

from studio.domain.enums import OccasionKind
from studio.occasions import lunar
from studio.occasions.model import Occasion

_DAY = dt.timedelta(days=1)
_SEASON_STARTS = (("春季", "立春"), ("夏季", "立夏"), ("秋季", "立秋"), ("冬季", "立冬"))
_NINES = ("一九", "二九", "三九", "四九", "五九", "六九", "七九", "八九", "九九")


def four_seasons(year: int) -> list[Occasion]:
    starts = [lunar.solar_term_date(year, term) for _, term in _SEASON_STARTS]
    ends = [later - _DAY for later in starts[1:]] + [lunar.solar_term_date(year + 1, "立春") - _DAY]
    return [
        Occasion(
            date=start, end=end, name=name, kind=OccasionKind.SEASON, note=f"{term}起为{name}（节气四季）"
        )
        for (name, term), start, end in zip(_SEASON_STARTS, starts, ends, strict=True)
    ]


def _first_geng_day(on_or_after: dt.date) -> dt.date:
    day = on_or_after
    while lunar.day_stem(day) != "庚":  # stems repeat every 10 days, so at most 9 steps
        day += _DAY
    return day


def dog_days(year: int) -> list[Occasion]:
    """三伏: 初伏, 中伏, 末伏."""
    first_geng = _first_geng_day(lunar.solar_term_date(year, "夏至"))
    chu = first_geng + dt.timedelta(days=20)
    zhong = chu + dt.timedelta(days=10)
    mo = _first_geng_day(lunar.solar_term_date(year, "立秋"))
    return [
        Occasion(
            date=chu, end=zhong - _DAY, name="初伏", kind=OccasionKind.SEASON, note="夏至后第三个庚日入伏"
        ),
        Occasion(date=zhong, end=mo - _DAY, name="中伏", kind=OccasionKind.SEASON, note="夏至后第四个庚日"),
        Occasion(
            date=mo,
            end=mo + dt.timedelta(days=9),
            name="末伏",
            kind=OccasionKind.SEASON,
            note="立秋后第一个庚日",
        ),
    ]


def nines_of_winter(year: int) -> list[Occasion]:
    """数九: the start of each 九 in `year` — from the previous winter (二九 … 九九 in Jan–Mar) and
    from this winter (一九, sometimes 二九, in December)."""
    items: list[Occasion] = []
    for winter_solstice in (lunar.solar_term_date(year - 1, "冬至"), lunar.solar_term_date(year, "冬至")):
        for index, name in enumerate(_NINES):
            start = winter_solstice + dt.timedelta(days=9 * index)
            if start.year == year:
                note = "冬至起数九" if index == 0 else None
                items.append(
                    Occasion(
                        date=start,
                        end=start + dt.timedelta(days=8),
                        name=name,
                        kind=OccasionKind.SEASON,
                        note=note,
                    )
                )
    return items


def season_occasions(year: int) -> list[Occasion]:
    return four_seasons(year) + dog_days(year) + nines_of_winter(year)
