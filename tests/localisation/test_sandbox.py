"""Branch input is data, never template code; HQ template errors name their line."""

from __future__ import annotations

import pytest

from studio.errors import ValidationError
from studio.localisation.render import render, variables_of
from studio.localisation.slots import STANDARD_SLOTS, SlotSpec, SlotType, resolve_slots, validate_values

PAYLOADS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ self.__init__.__globals__ }}",
    "{% for x in range(10**9) %}x{% endfor %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ config }}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "{# comment #}",
]

SPECS = [STANDARD_SLOTS["branch_name"], STANDARD_SLOTS["city"]]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_slot_values_with_template_code_are_refused_with_a_message(payload):
    with pytest.raises(ValidationError) as error:
        validate_values(SPECS, {"branch_name": payload[:30], "city": "赣州"})
    assert "模板语法" in error.value.message_zh or "最多" in error.value.message_zh


def test_slot_values_render_as_plain_text_even_if_they_look_like_code():
    # Even if validation were bypassed, a value is inserted as text, never evaluated.
    assert render("网点：{{ branch_name }}", {"branch_name": "{{ 7*7 }}"}) == "网点：{{ 7*7 }}"


@pytest.mark.parametrize("body, message", [
    ("{{ ''.__class__.__mro__ }}", "不安全"),
    ("{{ cycler.__init__.__globals__ }}", "不安全"),
    ("{% for i in range(100000) %}x{% endfor %}", "循环次数"),
    ("{% for i in range(200) %}{% for j in range(200) %}{{ 'x' * 10 }}{% endfor %}{% endfor %}", "超过"),
    ("{{ 'a' * 100000000 }}", ""),
])
def test_hostile_template_bodies_do_not_execute(body, message):
    with pytest.raises(ValidationError) as error:
        render(body, {})
    assert message in error.value.message_zh


def test_syntax_error_names_the_line():
    with pytest.raises(ValidationError) as error:
        variables_of("第一行\n第二行 {{ city \n第三行")
    assert "第 2 行" in error.value.message_zh or "第 3 行" in error.value.message_zh


def test_undeclared_slot_is_refused_and_standard_slots_resolve():
    with pytest.raises(ValidationError, match="undeclared"):
        resolve_slots({"secret"}, [])
    slots = resolve_slots({"city"}, [SlotSpec(name="product_name", label="产品名称")])
    assert {s.name for s in slots} == {"city", "product_name"}


def test_typed_slot_validation():
    specs = [
        SlotSpec(name="n", label="数量", type=SlotType.NUMBER),
        SlotSpec(name="d", label="日期", type=SlotType.DATE),
        SlotSpec(name="c", label="选项", type=SlotType.CHOICE, choices=("甲", "乙")),
        SlotSpec(name="t", label="短文本", max_length=3),
    ]
    assert validate_values(specs, {"n": "12", "d": "2026-12-01", "c": "甲", "t": "abc"})["n"] == "12"
    with pytest.raises(ValidationError) as error:
        validate_values(specs, {"n": "x", "d": "tomorrow", "c": "丙", "t": "abcd", "zzz": "1"})
    for part in ("必须是数字", "必须是日期", "只能从给定选项", "最多 3 字", "未知插槽"):
        assert part in error.value.message_zh
