"""Gregorian rules (母亲节, 父亲节, 感恩节 …), seasons (四季, 三伏, 数九) and the data files."""

from __future__ import annotations

import datetime as dt

import pytest

from studio.domain.enums import OccasionKind
from studio.occasions import PROVINCES, occasions_for_year
from studio.occasions.catalog import load_catalog
from studio.occasions.lunar import day_stem, solar_term_date
from studio.occasions.rules import AnnouncedRule


def _dates(year: int, name: str) -> list[dt.date]:
    return [o.date for o in occasions_for_year(year).items if o.name == name]


@pytest.mark.parametrize(
    ("name", "dates"),
    [
        ("母亲节", ["2023-05-14", "2024-05-12", "2025-05-11", "2026-05-10", "2027-05-09"]),
        ("父亲节", ["2023-06-18", "2024-06-16", "2025-06-15", "2026-06-21", "2027-06-20"]),
        ("感恩节", ["2023-11-23", "2024-11-28", "2025-11-27", "2026-11-26", "2027-11-25"]),
    ],
)
def test_nth_weekday_days(name: str, dates: list[str]) -> None:
    for expected in map(dt.date.fromisoformat, dates):
        assert _dates(expected.year, name) == [expected]


def test_nth_weekday_rules_over_the_whole_range() -> None:
    rules = {e.name: e.rule for e in load_catalog() if e.name in {"母亲节", "父亲节", "感恩节"}}
    for year in range(1901, 2100):
        ((mother, _),) = rules["母亲节"].spans(year)
        ((father, _),) = rules["父亲节"].spans(year)
        ((thanks, _),) = rules["感恩节"].spans(year)
        assert mother.month == 5 and mother.isoweekday() == 7 and 8 <= mother.day <= 14
        assert father.month == 6 and father.isoweekday() == 7 and 15 <= father.day <= 21
        assert thanks.month == 11 and thanks.isoweekday() == 4 and 22 <= thanks.day <= 28


def test_fixed_gregorian_days() -> None:
    items = {(o.date, o.name) for o in occasions_for_year(2026).items}
    for month, day, name in [
        (1, 1, "元旦"),
        (3, 8, "妇女节"),
        (5, 20, "520"),
        (10, 1, "国庆节"),
        (11, 11, "双11"),
    ]:
        assert (dt.date(2026, month, day), name) in items
    assert (dt.date(2026, 9, 23), "中国农民丰收节") in items  # 秋分 2026
    assert _dates(1960, "教师节") == []  # established 1985


def test_four_seasons_start_on_the_solar_terms() -> None:
    seasons = {
        o.name: o for o in occasions_for_year(2026).items if o.name in {"春季", "夏季", "秋季", "冬季"}
    }
    assert seasons["春季"].date == solar_term_date(2026, "立春") == dt.date(2026, 2, 4)
    assert seasons["春季"].end == dt.date(2026, 5, 4)
    assert seasons["冬季"].date == dt.date(2026, 11, 7)
    assert seasons["冬季"].end == solar_term_date(2027, "立春") - dt.timedelta(days=1)
    assert all(o.kind == "season" for o in seasons.values())


@pytest.mark.parametrize(
    ("year", "chu", "zhong", "mo"),
    [
        (2023, "2023-07-11", "2023-07-21", "2023-08-10"),
        (2024, "2024-07-15", "2024-07-25", "2024-08-14"),
        (2025, "2025-07-20", "2025-07-30", "2025-08-09"),
    ],
)
def test_dog_days(year: int, chu: str, zhong: str, mo: str) -> None:
    fu = {o.name: o for o in occasions_for_year(year).items if o.name in {"初伏", "中伏", "末伏"}}
    assert [fu[n].date.isoformat() for n in ("初伏", "中伏", "末伏")] == [chu, zhong, mo]
    assert all(day_stem(o.date) == "庚" for o in fu.values())
    assert (fu["初伏"].end - fu["初伏"].date).days == 9 and (fu["末伏"].end - fu["末伏"].date).days == 9
    assert (fu["中伏"].end - fu["中伏"].date).days + 1 in (10, 20)


def test_nines_of_winter() -> None:
    nines = [(o.name, o.date) for o in occasions_for_year(2025).items if o.name.endswith("九")]
    # Winter 2024–25 (冬至 2024-12-21): 三九 … 九九 start in 2025; winter 2025–26 (冬至 2025-12-21): 一九, 二九.
    assert nines[0] == ("三九", dt.date(2025, 1, 8))
    assert nines[-3:] == [
        ("九九", dt.date(2025, 3, 3)),
        ("一九", dt.date(2025, 12, 21)),
        ("二九", dt.date(2025, 12, 30)),
    ]
    assert len(nines) == 9
    assert dt.date(2025, 12, 21) == solar_term_date(2025, "冬至")


def test_catalog_data_is_well_formed() -> None:
    entries = load_catalog()
    assert len({(e.name, e.kind) for e in entries}) == len(entries)
    for entry in entries:
        assert OccasionKind(entry.kind).dated
        assert all(region in PROVINCES for region in entry.regions)
        if entry.kind in {"finance_day", "regional"}:
            assert entry.source, f"{entry.name} must cite its source"
        if entry.kind == "regional":
            assert entry.regions, entry.name
        if isinstance(entry.rule, AnnouncedRule):
            assert all(start.year == year and end >= start for year, (start, end) in entry.rule.dates.items())


def test_every_item_of_every_year_is_valid_and_sorted() -> None:
    for year in (1901, 2000, 2024, 2099):
        items = occasions_for_year(year).items
        assert items == sorted(items, key=lambda o: (o.date, o.kind, o.name, o.region or ""))
        assert all(o.date.year == year for o in items)
        assert len(set(items)) == len(items)
