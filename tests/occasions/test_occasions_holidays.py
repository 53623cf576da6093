"""Statutory days off and 调休 workdays: the YAML data against the State Council notices
(as transcribed by chinesecalendar) and the reference file; runtime never imports chinesecalendar."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from chinese_calendar import constants

from studio.occasions import occasions_for_year
from studio.occasions.holidays import load_holidays


def _days(year: int, kind: str) -> dict[dt.date, str]:
    return {o.date: o.name for o in occasions_for_year(year).items if o.kind == kind}


def _span(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def test_2025_as_announced() -> None:
    # 国务院办公厅关于2025年部分节假日安排的通知 (first year with 除夕 as a statutory day off).
    expected_off = (
        _span("2025-01-01", "2025-01-01")
        + _span("2025-01-28", "2025-02-04")
        + _span("2025-04-04", "2025-04-06")
        + _span("2025-05-01", "2025-05-05")
        + _span("2025-05-31", "2025-06-02")
        + _span("2025-10-01", "2025-10-08")
    )
    off = _days(2025, "holiday")
    assert sorted(off) == expected_off
    assert off[dt.date(2025, 1, 28)] == "春节 放假"
    assert off[dt.date(2025, 4, 4)] == "清明节 放假"
    assert off[dt.date(2025, 10, 6)] == "国庆节、中秋节 放假"
    work = _days(2025, "workday")
    assert work == {
        dt.date(2025, 1, 26): "春节 调休上班",
        dt.date(2025, 2, 8): "春节 调休上班",
        dt.date(2025, 4, 27): "劳动节 调休上班",
        dt.date(2025, 9, 28): "国庆节、中秋节 调休上班",
        dt.date(2025, 10, 11): "国庆节、中秋节 调休上班",
    }


def test_2026_as_announced() -> None:
    expected_off = (
        _span("2026-01-01", "2026-01-03")
        + _span("2026-02-15", "2026-02-23")
        + _span("2026-04-04", "2026-04-06")
        + _span("2026-05-01", "2026-05-05")
        + _span("2026-06-19", "2026-06-21")
        + _span("2026-09-25", "2026-09-27")
        + _span("2026-10-01", "2026-10-07")
    )
    assert sorted(_days(2026, "holiday")) == expected_off
    assert sorted(_days(2026, "workday")) == [
        dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
        dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10),
    ]  # fmt: skip


@pytest.mark.parametrize("year", [2025, 2026])
def test_matches_chinesecalendar_exactly(year: int) -> None:
    assert set(_days(year, "holiday")) == {d for d in constants.holidays if d.year == year}
    assert set(_days(year, "workday")) == {d for d in constants.workdays if d.year == year}


@pytest.mark.parametrize("year", ["2024", "2025", "2026"])
def test_matches_reference(calendar_reference: dict[str, Any], year: str) -> None:
    statutory = calendar_reference["statutory"][year]
    expected_off = {day for first, last, _ in statutory["holidays"].values() for day in _span(first, last)}
    assert set(_days(int(year), "holiday")) == expected_off
    expected_work = {dt.date.fromisoformat(entry.split()[0]) for entry in statutory["workdays"]}
    assert set(_days(int(year), "workday")) == expected_work


def test_every_year_agrees_with_chinesecalendar() -> None:
    data = load_holidays()
    assert set(range(2004, 2027)) <= set(data.years)
    for year in range(2004, 2027):  # the years chinesecalendar 1.11 covers
        items = data.occasions(year)
        off = {o.date for o in items if o.kind == "holiday"}
        # The YAML adds the weekend days inside a period, which chinesecalendar sometimes leaves out.
        assert {d for d in constants.holidays if d.year == year} <= off, year
        assert all(chinese_calendar.is_holiday(d) for d in off), year
        work = {o.date for o in items if o.kind == "workday"}
        assert work == {d for d in constants.workdays if d.year == year}, year


def test_new_year_period_starting_in_december_belongs_to_the_next_notice() -> None:
    # 2019 元旦: 2018-12-30 to 2019-01-01, make-up workday 2018-12-29, announced in the 2019 notice.
    off_2018 = _days(2018, "holiday")
    assert off_2018[dt.date(2018, 12, 30)] == "元旦 放假"
    assert _days(2018, "workday")[dt.date(2018, 12, 29)] == "元旦 调休上班"
    assert dt.date(2019, 1, 1) in _days(2019, "holiday")


def test_unannounced_year_gives_a_note_and_no_holidays() -> None:
    year = occasions_for_year(2027)
    assert "2027 statutory holidays not yet announced" in year.notes
    assert not [o for o in year.items if o.kind in {"holiday", "workday"}]
    assert "2003 statutory holidays not in the data (covered: 2004-2026)" in occasions_for_year(2003).notes
    assert not [n for n in occasions_for_year(2026).notes if "statutory" in n]


def test_runtime_does_not_use_chinesecalendar() -> None:
    code = (
        "import sys; from studio.occasions import occasions_for_year; occasions_for_year(2025);"
        "assert 'chinese_calendar' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_holiday_items_cite_the_notice() -> None:
    items = [o for o in occasions_for_year(2025).items if o.kind in {"holiday", "workday"}]
    assert {o.source for o in items} == {"国务院办公厅关于2025年部分节假日安排的通知"}
