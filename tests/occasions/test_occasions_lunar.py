"""Solar terms and lunar festivals agree with independent implementations and the reference file."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from chinese_calendar import get_solar_terms
from conftest import REFERENCE_NAMES
from lunardate import LunarDate

from studio.occasions import occasions_for_year
from studio.occasions.catalog import load_catalog
from studio.occasions.lunar import solar_terms

YEARS = range(2024, 2031)
LUNAR_FESTIVALS = {
    "春节": (1, 1), "元宵节": (1, 15), "龙抬头": (2, 2), "端午节": (5, 5), "七夕": (7, 7),
    "中元节": (7, 15), "中秋节": (8, 15), "重阳节": (9, 9), "腊八": (12, 8),
    "北方小年": (12, 23), "南方小年": (12, 24),
}  # fmt: skip


def _lunardate_expected(year: int) -> dict[str, list[dt.date]]:
    """Every Gregorian date in `year` of each lunar festival, computed with lunardate."""
    expected: dict[str, list[dt.date]] = {}
    for lunar_year in (year - 1, year):
        for name, (month, day) in LUNAR_FESTIVALS.items():
            expected.setdefault(name, []).append(LunarDate(lunar_year, month, day).toSolarDate())
        expected.setdefault("除夕", []).append(
            LunarDate(lunar_year + 1, 1, 1).toSolarDate() - dt.timedelta(days=1)
        )
    return {name: sorted(d for d in days if d.year == year) for name, days in expected.items()}


def _festival_dates(year: int) -> dict[str, list[dt.date]]:
    found: dict[str, list[dt.date]] = {}
    for item in occasions_for_year(year).items:
        if item.kind == "festival" and item.name in {*LUNAR_FESTIVALS, "除夕"}:
            found.setdefault(item.name, []).append(item.date)
    return found


@pytest.mark.parametrize("year", YEARS)
def test_lunar_festivals_agree_with_lunardate(year: int) -> None:
    expected = {name: days for name, days in _lunardate_expected(year).items() if days}
    assert _festival_dates(year) == expected


# The two libraries differ where a new moon falls within minutes of Beijing midnight (八月初一 1978,
# 九月初一 2057); the studio follows lunar-python. Anything else that differs is a bug.
KNOWN_DISAGREEMENTS = {(1978, "中秋节"), (2057, "重阳节")}


def test_lunar_rules_agree_with_lunardate_over_the_whole_range() -> None:
    entries = {e.name: e for e in load_catalog() if e.name in {*LUNAR_FESTIVALS, "除夕"}}
    differing = set()
    for year in range(1902, 2099):  # lunardate's tables start with lunar year 1900
        expected = _lunardate_expected(year)
        for name, entry in entries.items():
            if [start for start, _ in entry.rule.spans(year)] != expected[name]:
                differing.add((year, name))
    assert differing == KNOWN_DISAGREEMENTS


@pytest.mark.parametrize("year", ["2024", "2025", "2026"])
def test_lunar_festivals_match_reference(calendar_reference: dict[str, Any], year: str) -> None:
    found = _festival_dates(int(year))
    for ref_name, days in calendar_reference["lunar_festivals"][year].items():
        name = REFERENCE_NAMES.get(ref_name, ref_name)
        assert [d.isoformat() for d in found[name]] == days, name


def test_new_year_eve_is_the_29th_when_the_last_month_is_short() -> None:
    eves = [o.date for o in occasions_for_year(2025).items if o.name == "除夕"]
    assert eves == [dt.date(2025, 1, 28)]
    assert LunarDate.fromSolarDate(2025, 1, 28) == LunarDate(2024, 12, 29)
    assert dt.date(2025, 1, 29) in [o.date for o in occasions_for_year(2025).items if o.name == "春节"]


def test_laba_can_occur_twice_in_one_year() -> None:
    labas = [o.date for o in occasions_for_year(2022).items if o.name == "腊八"]
    assert labas == [dt.date(2022, 1, 10), dt.date(2022, 12, 30)]


@pytest.mark.parametrize("year", YEARS)
def test_solar_terms_agree_with_chinesecalendar_formula(year: int) -> None:
    # chinesecalendar computes terms with the 寿星 formula, independently of lunar-python's ephemeris.
    expected = [(day, name) for day, name in get_solar_terms(dt.date(year, 1, 1), dt.date(year, 12, 31))]
    assert list(solar_terms(year)) == sorted(expected)


@pytest.mark.parametrize("year", ["2024", "2025", "2026"])
def test_solar_terms_match_reference(calendar_reference: dict[str, Any], year: str) -> None:
    found = {name: day.isoformat() for day, name in solar_terms(int(year))}
    assert found == calendar_reference["solar_terms"][year]


# Sun's apparent ecliptic longitude of each term; 春分 = 0°, then every 15°.
_TERM_ORDER = "春分 清明 谷雨 立夏 小满 芒种 夏至 小暑 大暑 立秋 处暑 白露 秋分 寒露 霜降 立冬 小雪 大雪 冬至 小寒 大寒 立春 雨水 惊蛰"
TERM_LONGITUDE = {name: 15 * index for index, name in enumerate(_TERM_ORDER.split())}


def _sun_longitude(moment_utc: dt.datetime) -> float:
    """Apparent solar longitude in degrees (Meeus, Astronomical Algorithms ch. 25, low accuracy:
    about 0.01°, i.e. about 15 minutes of time)."""
    jd = (moment_utc - dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC)).total_seconds() / 86400 + 2451545.0
    t = (jd - 2451545.0) / 36525
    mean_longitude = 280.46646 + 36000.76983 * t + 0.0003032 * t * t
    anomaly = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t)
    centre = (
        (1.914602 - 0.004817 * t - 0.000014 * t * t) * math.sin(anomaly)
        + (0.019993 - 0.000101 * t) * math.sin(2 * anomaly)
        + 0.000289 * math.sin(3 * anomaly)
    )
    omega = math.radians(125.04 - 1934.136 * t)
    return (mean_longitude + centre - 0.00569 - 0.00478 * math.sin(omega)) % 360


@pytest.mark.parametrize("year", YEARS)
def test_solar_terms_fall_on_the_beijing_day_the_sun_reaches_their_longitude(year: int) -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    slack = dt.timedelta(minutes=30)  # covers the low-accuracy formula and ΔT
    for day, name in solar_terms(year):
        start = dt.datetime(day.year, day.month, day.day, tzinfo=beijing) - slack
        end = start + dt.timedelta(days=1) + 2 * slack
        before = (TERM_LONGITUDE[name] - _sun_longitude(start)) % 360
        after = (_sun_longitude(end) - TERM_LONGITUDE[name]) % 360
        assert 0 < before < 2 and 0 <= after < 2, (day, name)


def test_qingming_is_listed_once_as_a_solar_term() -> None:
    items = occasions_for_year(2026).items
    assert [(o.kind, o.date) for o in items if o.name == "清明"] == [("solar_term", dt.date(2026, 4, 5))]
    assert {o.name for o in items if o.kind == "holiday" and o.date.month == 4} == {"清明节 放假"}
