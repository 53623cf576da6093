"""Province filter, hot topics, date ranges and input validation of the public API."""

from __future__ import annotations

import datetime as dt

import pytest

from studio.errors import StudioError, ValidationError
from studio.occasions import PROVINCES, HotTopicSpan, occasions_between, occasions_for_year


def test_provinces_are_the_34_short_names() -> None:
    assert len(PROVINCES) == len(set(PROVINCES)) == 34
    assert {"北京", "广西", "内蒙古", "西藏", "新疆", "宁夏", "香港", "澳门", "台湾"} <= set(PROVINCES)


def test_province_filter_keeps_national_and_own_regional_occasions() -> None:
    guangxi = occasions_for_year(2026, province="广西").items
    regional = {(o.name, o.region) for o in guangxi if o.region}
    assert regional == {("壮族三月三", "广西")}
    (sanyuesan,) = [o for o in guangxi if o.name == "壮族三月三"]
    assert sanyuesan.date == dt.date(2026, 4, 19) and sanyuesan.kind == "regional"  # 农历三月初三
    assert {"春节", "清明", "金融知识普及月"} <= {o.name for o in guangxi}
    assert any("侗年 (广西)" in note for note in occasions_for_year(2026, province="广西").notes)


def test_without_province_every_region_is_listed_with_its_region() -> None:
    items = occasions_for_year(2026).items
    torch = sorted(o.region for o in items if o.name == "火把节")
    assert torch == sorted(["四川", "云南", "贵州"])
    assert all(o.region for o in items if o.kind == "regional")
    water = next(o for o in items if o.name == "泼水节")
    assert (water.date, water.end, water.region) == (dt.date(2026, 4, 13), dt.date(2026, 4, 15), "云南")


def test_full_province_names_are_accepted() -> None:
    assert occasions_for_year(2026, province="广西壮族自治区") == occasions_for_year(2026, province="广西")
    assert occasions_for_year(2026, province="广东省") == occasions_for_year(2026, province="广东")


def test_announced_regional_festivals_give_notes_not_dates() -> None:
    year = occasions_for_year(2026, province="内蒙古")
    assert not [o for o in year.items if o.name == "那达慕"]
    assert any(note.startswith("那达慕 (内蒙古)") for note in year.notes)
    assert not any("开斋节" in note for note in year.notes)


@pytest.mark.parametrize("province", ["火星", "", "Guangxi"])
def test_unknown_province_is_rejected(province: str) -> None:
    with pytest.raises(ValidationError) as error:
        occasions_for_year(2026, province=province)
    assert isinstance(error.value, StudioError) and "unknown province" in error.value.message_en


@pytest.mark.parametrize("year", [1900, 2100, 0])
def test_year_out_of_range_is_rejected(year: int) -> None:
    with pytest.raises(ValidationError, match="between 1901 and 2099"):
        occasions_for_year(year)


def test_hot_topic_is_listed_once_at_its_start_with_end() -> None:
    topics = [
        HotTopicSpan(name="防汛救灾", start=dt.date(2026, 7, 10), end=dt.date(2026, 7, 20), region="广西"),
        HotTopicSpan(name="冬奥会", start=dt.date(2026, 2, 6), end=dt.date(2026, 2, 22)),
        HotTopicSpan(name="台风", start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 3), region="广东省"),
    ]
    items = [
        o for o in occasions_for_year(2026, province="广西", hot_topics=topics).items if o.kind == "hot_topic"
    ]
    assert [(o.name, o.date, o.end, o.region) for o in items] == [
        ("冬奥会", dt.date(2026, 2, 6), dt.date(2026, 2, 22), None),
        ("防汛救灾", dt.date(2026, 7, 10), dt.date(2026, 7, 20), "广西"),
    ]
    everywhere = [o for o in occasions_for_year(2026, hot_topics=topics).items if o.kind == "hot_topic"]
    assert {o.region for o in everywhere} == {None, "广西", "广东"}


def test_hot_topic_validation() -> None:
    with pytest.raises(ValueError):
        HotTopicSpan(name="x", start=dt.date(2026, 2, 2), end=dt.date(2026, 2, 1))
    with pytest.raises(ValidationError):
        HotTopicSpan(name="x", start=dt.date(2026, 2, 2), end=dt.date(2026, 2, 3), region="火星")


def test_between_includes_spans_that_started_before_the_range() -> None:
    topic = HotTopicSpan(name="年终理财", start=dt.date(2025, 12, 20), end=dt.date(2026, 1, 10))
    month = occasions_between(dt.date(2026, 1, 1), dt.date(2026, 1, 31), hot_topics=[topic])
    names = [o.name for o in month.items]
    assert {"冬季", "二九", "年终理财", "元旦", "小寒", "腊八"} <= set(names)
    assert "一九" not in names and "春季" not in names  # 一九 ended 2025-12-29; 春季 starts 2026-02-04
    assert all(o.last_day >= dt.date(2026, 1, 1) and o.date <= dt.date(2026, 1, 31) for o in month.items)
    assert not [n for n in month.notes if "2025" in n]


def test_between_across_years_collects_notes_of_each_year() -> None:
    span = occasions_between(dt.date(2026, 12, 1), dt.date(2027, 1, 31))
    assert "2027 statutory holidays not yet announced" in span.notes
    assert [o.date for o in span.items] == sorted(o.date for o in span.items)
    with pytest.raises(ValidationError):
        occasions_between(dt.date(2026, 2, 1), dt.date(2026, 1, 1))


def test_notes_have_chinese_wording_for_the_ui():
    from studio.occasions import occasions_for_year
    from studio.occasions.notes import note_zh

    year = occasions_for_year(2035)
    zh = [note_zh(n) for n in year.notes]
    assert zh and all(not n.isascii() for n in zh)
    assert "2035年法定节假日" in zh[0]
    assert any("总行可作为热点录入" in n for n in zh)
