"""The engine's fast paths give the same answers as the straightforward code they replace."""

from __future__ import annotations

import random

import pytest

from studio.compliance import check_text, default_ruleset
from studio.compliance import matcher as matcher_module
from studio.compliance.normalise import byte_gates, text_gates
from studio.compliance.ruleset import Ruleset
from studio.domain.enums import Channel, ProductType

# Characters that exercise every branch of the gates: digits, ASCII separators, '@', CJK (U+3000–U+9FFF),
# other non-ASCII (Latin-1, full-width, emoji, a lone surrogate), Chinese punctuation.
_ALPHABET = (
    list("0123456789" * 3)
    + list(" \t*._~|/\\^+=#`'\"-@")
    + list("保本收益中文一二〇")
    + [
        "é",
        "Ａ",
        "１",
        "🔥",
        "\u200b",
        "\ud800",
        "，",
        "。",
        "\u3000",
        "\u9fff",
        "\ua000",
        "\u2fff",
        "a",
        "Z",
        ":",
    ]
)


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_text_gates_equal_byte_gates() -> None:
    texts = _random_texts(20_000, 1) + [
        "1 2 3 4 5 6",
        "1 2 3 4 5 6 789",
        "é 1 2 3 4 5 6 789",
        "中文 1-2-3-4-5-678",
        "12-34-56",
        "1234 56",
        "保 本",
        "é*.中",
        "a 中",
        " 中",
        "中 ",
        "保本😀 本",
        "\ud800 中",
        "电话 138 0013 8000",
        "a@b.cn",
    ]
    for text in texts:
        assert text_gates(text) == byte_gates(text), text


def _match_lists(keys: list[str], texts: list[str]) -> tuple[list[object], list[object]]:
    fast = matcher_module.build_matcher(keys)
    slow = matcher_module.build_matcher(keys, accelerated=False)
    return (
        [fast.find_matches_as_indexes(t, True) for t in texts],
        [slow.find_matches_as_indexes(t, True) for t in texts],
    )


def test_matcher_backends_report_the_same_matches_in_the_same_order() -> None:
    keys = ["保本", "保本保息", "本保", "本", "保", "保证收益", "证收", "收益", "Ab", "aB", "🔥保", "保🔥"]
    rng = random.Random(2)
    texts = [
        "".join(rng.choice("保本息证收益aAbB🔥 ") for _ in range(rng.randint(0, 30))) for _ in range(3000)
    ]
    fast, slow = _match_lists(keys, texts)
    assert fast == slow


def test_matcher_without_keys_finds_nothing() -> None:
    for accelerated in (None, False):
        assert (
            matcher_module.build_matcher([], accelerated=accelerated).find_matches_as_indexes("保本", True)
            == []
        )


def test_engine_output_is_the_same_with_either_matcher(monkeypatch: pytest.MonkeyPatch) -> None:
    if not matcher_module.accelerated():
        pytest.skip("ahocorasick_rs not installed: only the pyahocorasick matcher exists")
    texts = [
        "保本保息，稳赚不赔！非保本浮动收益型理财产品，业绩比较基准2.8%-3.5%（年化）。",
        "保 本 保 息，穩賺不賠，ＡＢＣ，手机13800138000，最高气温26℃，第一次来网点。",
        "这款保险就像存款一样，到期连本带息都能拿回。收益率4.8%，收益比定期存款高多了。",
        "央行指定合作银行，存款更放心。警惕“高息揽储”“保本高收益”等非法集资宣传。",
    ]
    rng = random.Random(3)
    texts += ["".join(rng.choice(texts)[rng.randint(0, 10) :] for _ in range(3)) for _ in range(50)]
    cases = [(t, p, c) for t in texts for p in ProductType for c in (Channel.MOMENTS, next(iter(Channel)))]
    data = default_ruleset().data
    rs_fast = Ruleset(data, "x")
    fast = [check_text(t, product=p, channel=c, ruleset=rs_fast) for t, p, c in cases]
    assert rs_fast.scope(ProductType.GENERAL, Channel.MOMENTS).markers
    monkeypatch.setattr(matcher_module, "_ENABLED", False)
    rs_slow = Ruleset(data, "x")
    assert not rs_slow.scope(ProductType.GENERAL, Channel.MOMENTS).markers
    slow = [check_text(t, product=p, channel=c, ruleset=rs_slow) for t, p, c in cases]
    assert [(r.to_json_dict(), [f.why for f in r.findings]) for r in fast] == [
        (r.to_json_dict(), [f.why for f in r.findings]) for r in slow
    ]
    assert any(result.findings for result in fast)


def test_pii_patterns_equal_their_look_behind_first_forms() -> None:
    import re

    from studio.compliance.pii import recognisers

    reference = {
        recognisers._DIGIT_RUN: re.compile(
            r"(?<![0-9a-z])[0-9](?:[ \-]?[0-9]){10,18}(?:[ \-]?x)?(?![0-9a-z])", re.IGNORECASE
        ),
        recognisers._USCC: re.compile(
            r"(?<![0-9a-z])[0-9a-hj-np-rtuwxy]{2}[0-9]{6}[0-9a-hj-np-rtuwxy]{10}(?![0-9a-z])", re.IGNORECASE
        ),
    }
    rng = random.Random(4)
    alphabet = list("0123456789" * 4) + list("abxyzXIOK -\n手机号码") + ["\u212a", "\u017f", "İ"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(20_000)]
    texts += ["手机13800138000", "a13800138000", "\n13800138000", "91350100M000100Y43", "x91350100M000100Y43"]
    for fast, slow in reference.items():
        for text in texts:
            assert [m.span() for m in fast.finditer(text)] == [m.span() for m in slow.finditer(text)], text
