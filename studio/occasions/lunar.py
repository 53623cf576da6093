"""Thin wrapper over lunar-python: lunar dates, solar terms (Beijing time) and day stems as `date`s."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from lunar_python import Lunar, LunarYear, Solar

# lunar-python keys the terms that spill into the neighbouring year by pinyin.
_PINYIN_TERMS = {
    "DA_XUE": "大雪",
    "DONG_ZHI": "冬至",
    "XIAO_HAN": "小寒",
    "DA_HAN": "大寒",
    "LI_CHUN": "立春",
    "YU_SHUI": "雨水",
    "JING_ZHE": "惊蛰",
}


def _to_date(solar: Solar) -> dt.date:
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=512)
def _months(lunar_year: int) -> dict[int, tuple[dt.date, int]]:
    """First day and length of each month of a lunar year; leap months are keyed negative, as in
    lunar-python. One LunarYear computation per year (it is the slow part)."""
    months: dict[int, tuple[dt.date, int]] = {}
    for month in LunarYear.fromYear(lunar_year).getMonths():
        if month.getYear() == lunar_year:
            first = _to_date(Solar.fromJulianDay(month.getFirstJulianDay()))
            months[month.getMonth()] = (first, month.getDayCount())
    return months


def lunar_to_date(lunar_year: int, month: int, day: int) -> dt.date | None:
    """Gregorian date of a day of an ordinary (non-leap) lunar month; None if that month has no such
    day (a short month has no 三十)."""
    first, length = _months(lunar_year)[month]
    return first + dt.timedelta(days=day - 1) if day <= length else None


def lunar_new_year_eve(lunar_year: int) -> dt.date:
    """除夕: the last day of the lunar year, which is 廿九 when 腊月 is a short month."""
    months = _months(lunar_year)
    first, length = months.get(-12, months[12])  # a leap 腊月 (none in 1901–2099) would end the year
    return first + dt.timedelta(days=length - 1)


@lru_cache(maxsize=256)
def solar_terms(year: int) -> tuple[tuple[dt.date, str], ...]:
    """The 24 solar terms whose Beijing-time date falls in the Gregorian `year`, in date order."""
    found: dict[str, dt.date] = {}
    for lunar_year in (year - 1, year, year + 1):
        for key, solar in Lunar.fromYmd(lunar_year, 1, 1).getJieQiTable().items():
            when = _to_date(solar)
            if when.year == year:
                found[_PINYIN_TERMS.get(key, key)] = when
    return tuple(sorted((when, name) for name, when in found.items()))


def solar_term_date(year: int, name: str) -> dt.date:
    return next(when for when, term in solar_terms(year) if term == name)


def day_stem(day: dt.date) -> str:
    """Heavenly stem (天干) of the day, e.g. "庚"."""
    return str(Solar.fromYmd(day.year, day.month, day.day).getLunar().getDayGan())
