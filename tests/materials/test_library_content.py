"""The HQ template library itself: size, coverage, occasions, and every template passing compliance."""

from __future__ import annotations

import re

import pytest

from studio.compliance import check_text
from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType, Verdict
from studio.materials.loader import load_library
from studio.materials.stats import coverage
from studio.materials.validate import check_library
from studio.services.templates import validate_draft

from .conftest import LIBRARY_DIR

_ENTRIES, _ = load_library(LIBRARY_DIR)
_BY_CODE = {str(e.data.get("code")): e for e in _ENTRIES}

SOLAR_TERMS = (
    "立春 雨水 惊蛰 春分 清明 谷雨 立夏 小满 芒种 夏至 小暑 大暑 "
    "立秋 处暑 白露 秋分 寒露 霜降 立冬 小雪 大雪 冬至 小寒 大寒"
).split()
MAJOR_FESTIVALS = (
    "春节 除夕 元宵节 端午节 七夕 中秋节 重阳节 腊八 元旦 妇女节 劳动节 儿童节 国庆节 母亲节 父亲节 教师节"
).split()
FINANCE_DAYS = (
    "3·15 国际消费者权益日",
    "金融知识普及月",
    "全国防范非法集资宣传月",
    "国家网络安全宣传周",
    "存款保险条例施行日",
    "《反洗钱法》施行日",
    "全民国家安全教育日",
)
REGIONAL = ("壮族三月三", "泼水节", "妈祖诞辰", "火把节", "那达慕")
# Bank-internal marketing days that the occasions catalog does not (and should not) carry.
BANK_DEFINED_OCCASIONS = {"开门红", "网点周年"}

REQUIRED_WARNINGS: dict[str, tuple[str, ...]] = {
    "wealth": ("理财非存款、产品有风险、投资须谨慎",),
    "fund": ("基金有风险，投资需谨慎", "过往业绩不代表未来表现"),
    "insurance": ("保险产品不是存款", "由保险公司承保"),
    "loan": ("年化利率", "理性借贷"),
    "credit_card": ("理性借贷",),
}
FORBIDDEN = (
    "保本",
    "稳赚",
    "零风险",
    "无风险",
    "最佳",
    "第一名",
    "国家级",
    "限时",
    "仅剩",
    "最后一天",
    "专家推荐",
    "最终解释权",
    "秒批",
    "无门槛",
    "不查征信",
)
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{15,}")


def _rendered(code: str) -> tuple[str, str, str]:
    draft, _slots, text = validate_draft(_BY_CODE[code].draft())
    return draft.product_type, draft.channel, text


def test_library_has_at_least_150_templates(library_entries):
    assert len(library_entries) >= 150


def test_codes_are_unique(library_entries):
    codes = [e.data["code"] for e in library_entries]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("code", sorted(_BY_CODE))
def test_template_passes_compliance(code):
    product, channel, text = _rendered(code)
    result = check_text(text, product=ProductType(product), channel=Channel(channel))
    assert result.verdict is Verdict.PASS, [(f.code, f.text, f.message) for f in result.findings]


@pytest.mark.parametrize("code", sorted(_BY_CODE))
def test_template_carries_its_risk_warning_and_no_forbidden_claim(code):
    product, _channel, text = _rendered(code)
    for phrase in REQUIRED_WARNINGS.get(product, ()):
        assert phrase in text, f"{code}: {product} copy must say {phrase!r}"
    if product == "wealth" and "业绩比较基准" in text and "（年化）" in text:
        assert "业绩比较基准不代表实际收益" in text and "过往业绩不代表未来表现" in text
    claims = text.replace("非保本", "")
    for word in FORBIDDEN:
        assert word not in claims, f"{code}: contains {word!r}"
    assert not _MOBILE.search(text), f"{code}: contains a mobile number"
    assert not _LONG_DIGITS.search(text), f"{code}: contains a card or ID-like number"


def test_library_check_is_clean_on_the_real_library():
    report = check_library(LIBRARY_DIR)
    assert report.ok, "\n".join(str(p) for p in report.problems)
    assert len(report.entries) >= 150


def test_coverage_matrix_has_no_empty_cell(library_entries):
    cov = coverage(library_entries)
    assert cov.total == len(library_entries)
    assert not cov.empty_cells, cov.empty_cells
    assert set(cov.matrix) == {k.value for k in OccasionKind if k.taggable}
    assert all(set(row) == {c.value for c in ContentType} for row in cov.matrix.values())


@pytest.mark.parametrize(
    "axis, enum",
    [
        ("channel", Channel),
        ("persona", Persona),
        ("product_type", ProductType),
        ("occasion_kind", OccasionKind),
        ("content_type", ContentType),
    ],
)
def test_every_tag_value_is_used(library_entries, axis, enum):
    cov = coverage(library_entries)
    assert set(cov.by[axis]) == {m.value for m in enum if getattr(m, "taggable", True)}
    assert not cov.missing(axis), f"no template with {axis} {cov.missing(axis)}"


def test_mix_favours_useful_content_over_selling(library_entries):
    cov = coverage(library_entries)
    assert cov.by["content_type"]["product"] * 4 < cov.total


def _occasions(entries, kind: str) -> set[str]:
    return {e.data.get("occasion") for e in entries if e.data.get("occasion_kind") == kind}


def test_all_24_solar_terms_are_covered(library_entries):
    assert set(SOLAR_TERMS) <= _occasions(library_entries, "solar_term")


def test_major_festivals_finance_days_and_regional_festivals_are_covered(library_entries):
    assert set(MAJOR_FESTIVALS) <= _occasions(library_entries, "festival")
    assert set(FINANCE_DAYS) <= _occasions(library_entries, "finance_day")
    assert set(REGIONAL) <= _occasions(library_entries, "regional")


def test_occasion_names_match_the_occasions_module(library_entries):
    """A template reaches a calendar by its occasion name, so it must be spelled as the module spells it."""
    from studio.occasions.catalog import load_catalog
    from studio.occasions.holidays import load_holidays

    known: dict[str, set[str]] = {"solar_term": set(SOLAR_TERMS)}
    for entry in load_catalog():
        known.setdefault(str(entry.kind), set()).add(entry.name)
    known["season"] = {
        "春季",
        "夏季",
        "秋季",
        "冬季",
        "初伏",
        "中伏",
        "末伏",
        "一九",
        "二九",
        "三九",
        "四九",
        "五九",
        "六九",
        "七九",
        "八九",
        "九九",
    }
    holidays = load_holidays()
    known["holiday"] = {
        o.name for year in (2025, 2026) for o in holidays.occasions(year) if o.kind == "holiday"
    }
    known["marketing_day"] = known.get("marketing_day", set()) | BANK_DEFINED_OCCASIONS
    unknown = [
        (e.where, e.data["occasion_kind"], e.data.get("occasion"))
        for e in library_entries
        if e.data.get("occasion")
        and e.data["occasion_kind"] in known
        and e.data["occasion"] not in known[e.data["occasion_kind"]]
    ]
    assert not unknown, unknown


def test_hot_topics_have_a_validity_window(library_entries):
    hot = [e for e in library_entries if e.data["occasion_kind"] == "hot_topic"]
    assert hot
    for entry in hot:
        assert entry.data.get("valid_from") and entry.data.get("valid_to"), entry.where
        assert entry.data["valid_from"] < entry.data["valid_to"]


def test_regional_templates_name_their_province(library_entries):
    for entry in library_entries:
        if entry.data["occasion_kind"] == "regional":
            assert entry.data.get("region"), entry.where
        else:
            assert not entry.data.get("region"), entry.where


def test_group_playbook_pieces_exist(library_entries):
    titles = " ".join(e.data["title"] for e in library_entries)
    for piece in ("24小时", "48小时", "72小时", "群公告", "欢迎语"):
        assert piece in titles


def test_welcome_messages_fit_and_no_staff_phone(library_entries):
    for entry in library_entries:
        _draft, _slots, text = validate_draft(entry.draft())
        assert len(text) <= Channel(entry.data["channel"]).max_length
        assert "手机号：" not in text and "电话：" not in text, entry.where
