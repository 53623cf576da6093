"""PII recognisers: checksums, candidate patterns next to CJK text, context words, explanations."""

from __future__ import annotations

import pytest

from studio.compliance import check_text
from studio.compliance.pii.checksums import (
    luhn_check_digit,
    luhn_valid,
    resident_id_check_char,
    resident_id_valid,
    uscc_check_char,
    uscc_valid,
)

VALID_ID = "11010519491231002X"  # the worked example of GB 11643-1999
VALID_CARD = "6222021234567890128"
VALID_USCC = "91350100M000100Y43"


def codes(text: str, **kwargs: str) -> list[str]:
    return [f.code for f in check_text(text, **kwargs).findings]  # type: ignore[arg-type]


def test_resident_id_checksum() -> None:
    assert resident_id_valid(VALID_ID)
    assert resident_id_valid(VALID_ID.lower())
    assert resident_id_check_char("11010519491231002") == "X"
    for wrong in "0123456789":
        assert not resident_id_valid(VALID_ID[:17] + wrong)
    bad_date = "11010519491331002"  # month 13
    assert not resident_id_valid(bad_date + resident_id_check_char(bad_date))
    assert not resident_id_valid("1101051949123100")


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid(VALID_CARD)
    assert not luhn_valid("4111111111111112")
    assert luhn_valid("621700123456789" + luhn_check_digit("621700123456789"))
    assert not luhn_valid("62220212345678901a")


def test_uscc_checksum() -> None:
    assert uscc_valid(VALID_USCC)
    assert uscc_check_char(VALID_USCC[:17]) == VALID_USCC[17]
    assert not uscc_valid(VALID_USCC[:17] + "0")
    assert not uscc_valid("91350100M000100I43")  # I is not in the GB 32100 alphabet


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f"身份证{VALID_ID}", "PII001"),
        ("手机13800138000", "PII002"),  # no \b between CJK and digits
        ("联系：138 0013 8000。", "PII002"),
        ("电话+86 13800138000", "PII002"),
        ("手机号：１３８００１３８０００", "PII002"),
        ("电话：一三八〇〇一三八〇〇〇", "PII002"),
        (f"卡号{VALID_CARD}转账", "PII003"),
        ("卡号 6222 0212 3456 7890 128", "PII003"),
        (f"代码{VALID_USCC}", "PII004"),
        ("邮箱 li.si@example.cn", "PII005"),
        ("电话13800138000 2024年", "PII002"),
    ],
)
def test_recognisers_fire(text: str, code: str) -> None:
    result = check_text(text)
    found = [f for f in result.findings if f.code == code]
    assert found, f"{code} missed in {text!r}: {[f.code for f in result.findings]}"
    finding = found[0]
    assert finding.severity.value == "block"
    assert text[finding.start : finding.end] == finding.text
    assert finding.why


@pytest.mark.parametrize(
    "text",
    [
        "客服热线95588",
        "订单号110105194912310021",  # 18 digits, wrong ID check digit, not Luhn, not USCC
        "卡号6222021234567890120",  # fails Luhn
        "编号123456789012",  # 12 digits: no mobile inside a longer run
        "号码12800138000",  # 12x is not a mobile prefix
        "400-820-8888",
        "客服邮箱：service@example.com",
        "2024年10月1日至2024年10月7日",
    ],
)
def test_recognisers_stay_quiet(text: str) -> None:
    assert not [c for c in codes(text) if c.startswith("PII")]


def test_why_names_checksum_and_context() -> None:
    why = {f.code: f.why for f in check_text(f"身份证号{VALID_ID}，卡号{VALID_CARD}").findings}
    assert "GB 11643" in why["PII001"] and "身份证" in why["PII001"]
    assert "Luhn" in why["PII003"] and "卡号" in why["PII003"]
