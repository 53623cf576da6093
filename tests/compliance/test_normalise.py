"""Normalisation keeps a map to the original: every span points at the characters the user wrote."""

from __future__ import annotations

import random

import pytest

from studio.compliance import check_text
from studio.compliance.normalise import fold, normalise


def test_fold_is_one_to_one() -> None:
    text = "保本理財，ＡＢＣ１２３％，①②③，USDT，最終解釋權"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "保本理财，abc123%，123，usdt，最终解释权"


def test_fold_keeps_chinese_punctuation() -> None:
    assert fold("你好，世界！") == "你好，世界！"  # NFKC would turn ， into ,


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("保 本", "保本"),
        ("保*本", "保本"),
        ("保.本", "保本"),
        ("保·本", "保本"),
        ("保\u200b本", "保本"),
        ("保🔥本", "保本"),
        ("保\u3000本", "保本"),
        ("保 * 本", "保本"),
        ("收益3.5%", "收益3.5%"),  # separators next to digits stay
        ("a.b@example.com", "a.b@example.com"),
        ("第一行\n第二行", "第一行\n第二行"),  # line breaks are boundaries, not separators
    ],
)
def test_normalise_drops_separators_inside_words_only(text: str, expected: str) -> None:
    assert normalise(text).text == expected


def test_span_maps_back_to_original() -> None:
    n = normalise("\u200b保 * 本理财")
    assert n.text == "保本理财"
    assert n.span(0, 2) == (1, 6)
    assert n.original[slice(*n.span(0, 2))] == "保 * 本"
    assert n.span(2, 4) == (6, 8)


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("这款保 本理财", "INV001", "保 本理财"),
        ("这款保*本理财", "INV001", "保*本理财"),
        ("购买穩賺不賠", "INV003", "穩賺不賠"),
        ("资金１００％安全", "ADV003", "１００％安全"),
        ("最\u200b佳方案", "ADV001", "最\u200b佳"),
        ("理财No.1哦", "ADV001", "No.1"),
        ("USDT理财", "UNL001", "USDT"),
        ("最終解釋權歸本行所有", "ADV007", "最終解釋權歸本行"),
        ("零🔥风🔥险", "INV002", "零🔥风🔥险"),
    ],
)
def test_finding_span_points_at_original_characters(text: str, code: str, expected: str) -> None:
    findings = [f for f in check_text(text, product="wealth").findings if f.code == code]
    assert findings, f"{code} not found in {text!r}"
    finding = findings[0]
    assert finding.text == expected
    assert text[finding.start : finding.end] == expected


def test_random_evasion_spans_are_exact() -> None:
    rng = random.Random(7)
    separators = [" ", "*", ".", "·", "\u200b", "🔥", "\u3000", " * "]
    prefixes = ["", "今天推荐：", "第一季度，", "ABC "]
    for _ in range(200):
        term = rng.choice(["保本", "稳赚不赔", "零风险", "最佳", "央行指定"])
        spaced = "".join(
            ch + (rng.choice(separators) if i < len(term) - 1 and rng.random() < 0.6 else "")
            for i, ch in enumerate(term)
        )
        text = rng.choice(prefixes) + spaced + "，欢迎咨询。"
        result = check_text(text, product="wealth")
        located = [f for f in result.findings if f.start is not None]
        assert located, text
        for finding in located:
            assert text[finding.start : finding.end] == finding.text
        hit = next(f for f in located if f.code in {"INV001", "INV003", "INV002", "ADV001", "ADV006"})
        assert hit.text[0] == term[0] and hit.text[-1] == term[-1], (text, hit.text)
