"""Engine behaviour: near-misses, context, products, channels, versions, limits, import weight."""

from __future__ import annotations

import subprocess
import sys

import pytest

from studio.compliance import (
    MAX_TEXT_CHARS,
    TextTooLong,
    build_ruleset,
    check_text,
    default_ruleset,
    load_lexicons,
    ruleset_version,
)
from studio.domain.enums import Channel, ProductType, Severity, Verdict

NEAR_MISSES = [
    "本产品为非保本浮动收益型理财产品",
    "最近天气不错",
    "最终结果以系统为准",
    "今日最低气温3℃，最高气温12℃",
    "存款保险最高偿付限额50万元",
    "第一次办理",
    "第一季度业绩发布",
    "开学第一天",
    "保险责任以合同为准",
    "请阅读保险条款",
    "零钱也能理财",
    "零存整取，积少成多",
    "手机银行服务稳定",
    "国家网络安全宣传周",
    "国家法定节假日期间网点营业时间调整",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
@pytest.mark.parametrize("product", [ProductType.GENERAL, ProductType.DEPOSIT, ProductType.INSURANCE])
def test_near_misses_stay_clean(text: str, product: ProductType) -> None:
    if product is ProductType.INSURANCE and "零存整取" in text:
        pytest.skip("in insurance copy 零存整取 does describe insurance as a deposit (INS001)")
    located = [f for f in check_text(text, product=product).findings if f.start is not None]
    assert not located, [(f.code, f.text) for f in located]


def test_negated_term_is_cleared_but_the_plain_term_fires() -> None:
    assert "INV001" not in {f.code for f in check_text("非保本").findings}
    assert "INV001" in {f.code for f in check_text("保本").findings}
    assert "INV003" not in {f.code for f in check_text("警惕“稳赚不赔”的宣传").findings}
    assert "INV003" in {f.code for f in check_text("“稳赚不赔”的宣传").findings}


def test_cue_does_not_cross_a_clause_boundary() -> None:
    assert "INV001" in {f.code for f in check_text("谨防诈骗，保本理财就选我们").findings}


def test_product_scoping() -> None:
    assert "INV001" not in {f.code for f in check_text("保本保息", product=ProductType.DEPOSIT).findings}
    assert "INV001" in {f.code for f in check_text("保本保息", product=ProductType.WEALTH).findings}
    # weak insurance-only terms: 存款 is fine in a deposit post, not in an insurance one
    assert "INS001" not in {f.code for f in check_text("存钱选定期", product="deposit").findings}
    assert "INS001" in {f.code for f in check_text("存钱选它", product="insurance").findings}


def test_channel_scoping() -> None:
    text = "开户请回复身份证号码"
    assert "PII007" in {f.code for f in check_text(text, channel=Channel.GROUP).findings}
    assert "PII007" not in {f.code for f in check_text(text, channel=Channel.PRIVATE).findings}


def test_channel_length_finding_spans_the_overflow() -> None:
    text = "好" * 310
    finding = next(f for f in check_text(text, channel="poster").findings if f.code == "CHN001")
    assert (finding.start, finding.end) == (300, 310)
    assert check_text(text, channel="moments").verdict is Verdict.PASS


def test_missing_elements_have_no_span() -> None:
    result = check_text("新品理财上市", product="wealth")
    missing = next(f for f in result.findings if f.code == "DIS001")
    assert (missing.start, missing.end, missing.text) == (None, None, "")
    payload = result.to_json_dict()
    assert {"start": None, "end": None, "text": ""}.items() <= payload["findings"][-1].items()  # type: ignore[index]


def test_loan_rate_requires_apr() -> None:
    codes = {f.code for f in check_text("日息万分之三", product="loan").findings}
    assert {"DIS003", "DIS004"} <= codes
    codes = {
        f.code
        for f in check_text("年化利率（单利）10.95%，日利率万分之三。请理性借贷。", product="loan").findings
    }
    assert not codes & {"DIS003", "DIS004"}


def test_verdict_and_severity() -> None:
    assert check_text("限时优惠").verdict is Verdict.REVIEW
    assert check_text("办卡免费").verdict is Verdict.PASS  # info only
    assert check_text("办卡免费").findings[0].severity is Severity.INFO
    assert check_text("保本").verdict is Verdict.BLOCK


def test_product_and_channel_accept_codes_and_labels() -> None:
    assert check_text("新品上市", product="理财").findings[0].code == "DIS001"
    with pytest.raises(ValueError, match="unknown ProductType"):
        check_text("x", product="stocks")


def test_clean_text_and_empty_text_pass() -> None:
    for text in ("", "祝您新春快乐，阖家幸福！"):
        result = check_text(text)
        assert result.verdict is Verdict.PASS and result.findings == ()
        assert result.ruleset == ruleset_version()


def test_findings_are_in_text_order_and_missing_last() -> None:
    result = check_text("最佳理财，保本保息，限时抢购", product="wealth")
    starts = [f.start for f in result.findings if f.start is not None]
    assert starts == sorted(starts)
    assert result.findings[-1].start is None


def test_too_long_text_is_refused() -> None:
    with pytest.raises(TextTooLong) as error:
        check_text("好" * (MAX_TEXT_CHARS + 1))
    assert "maximum" in error.value.message_en and error.value.message_zh


def test_ruleset_version_is_a_content_hash() -> None:
    data = load_lexicons()
    assert build_ruleset(data).version == default_ruleset().version == ruleset_version()
    edited = load_lexicons()
    adv = next(r for r in edited["rules"] if r["code"] == "ADV001")
    adv["terms"].append("宇宙第一好")
    custom = build_ruleset(edited)
    assert custom.version != default_ruleset().version
    assert check_text("宇宙第一好银行", ruleset=custom).verdict is Verdict.BLOCK
    assert check_text("宇宙第一好银行", ruleset=custom).ruleset == custom.version
    assert "宇宙第一好" not in {f.text for f in check_text("宇宙第一好银行").findings}


def test_severity_is_data() -> None:
    edited = load_lexicons()
    for rule in edited["rules"]:
        if rule["code"] == "ADV008":
            rule["severity"] = "block"
    assert check_text("限时优惠", ruleset=build_ruleset(edited)).verdict is Verdict.BLOCK


def test_import_is_light() -> None:
    code = (
        "import sys, studio.compliance as c; c.check_text('保本');"
        "print(sorted(m for m in ('streamlit', 'sqlalchemy', 'sqlmodel', 'jieba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_trusted_constructors_equal_validated_models() -> None:
    from studio.compliance.types import CheckResult, Finding, trusted_finding, trusted_result

    values = dict(
        code="INV001",
        slug="guaranteed-principal",
        severity=Severity.BLOCK,
        start=0,
        end=2,
        text="保本",
        message="m",
        source="s",
        suggestion="f",
        why="w",
    )
    fast, checked = trusted_finding(**values), Finding(**values)
    assert fast == checked and fast.model_dump() == checked.model_dump()
    result = trusted_result(Verdict.BLOCK, "v1", (fast,))
    assert result == CheckResult(verdict=Verdict.BLOCK, ruleset="v1", findings=(checked,))
    assert result.to_json_dict()["findings"][0]["text"] == "保本"  # type: ignore[index]
