"""Typed slots a template declares; branch input is validated against them and stays data."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from studio.errors import ValidationError


class SlotType(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    NUMBER = "number"
    IMAGE = "image"


class SlotSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str
    type: SlotType = SlotType.TEXT
    max_length: int = 40
    choices: tuple[str, ...] = ()
    sample: str = ""
    required: bool = True
    help: str = ""
    # An editable region: free text HQ pre-wrote (`default`) that a branch may rewrite within max_length.
    editable_region: bool = False
    default: str = ""
    # Who fills it: a bank-level slot set by a bank's variant is inherited, locked, by its branches.
    level: Literal["bank", "branch"] = "branch"


# Slots every template may use without declaring them: what a branch localises most often.
STANDARD_SLOTS: dict[str, SlotSpec] = {
    spec.name: spec
    for spec in (
        SlotSpec(name="bank_name", label="机构名称", sample="赣州农商银行", max_length=30, level="bank"),
        SlotSpec(name="branch_name", label="网点名称", sample="章贡支行", max_length=30),
        SlotSpec(name="city", label="城市", sample="赣州", max_length=20),
        SlotSpec(name="staff_name", label="客户经理姓名", sample="小李", max_length=12),
        SlotSpec(name="local_greeting", label="方言问候", sample="老表们好", max_length=30, required=False),
        SlotSpec(name="local_specialty", label="本地特产", sample="脐橙", max_length=20, required=False),
        SlotSpec(
            name="local_custom", label="本地习俗", sample="客家人冬至吃酿豆腐", max_length=60, required=False
        ),
        SlotSpec(
            name="local_offer", label="本地活动", sample="网点开放日送春联", max_length=60, required=False
        ),
        SlotSpec(
            name="branch_address", label="网点地址", sample="章贡区文清路88号", max_length=60, required=False
        ),
        SlotSpec(
            name="service_hours",
            label="营业时间",
            sample="周一至周日 9:00-17:00",
            max_length=40,
            required=False,
        ),
        SlotSpec(
            name="event_date",
            label="活动日期",
            type=SlotType.DATE,
            sample="2026-12-01",
            max_length=10,
            required=False,
        ),
    )
}

_TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#|%\}|\}\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def resolve_slots(variables: set[str], declared: list[SlotSpec]) -> list[SlotSpec]:
    """The slot list of a template: declared specs plus standard ones for every variable it uses."""
    by_name = {spec.name: spec for spec in declared}
    unknown = sorted(v for v in variables if v not in by_name and v not in STANDARD_SLOTS)
    if unknown:
        names = "、".join(unknown)
        raise ValidationError(f"undeclared slots: {', '.join(unknown)}", f"模板使用了未声明的插槽：{names}")
    for name in sorted(variables):
        if name not in by_name:
            by_name[name] = STANDARD_SLOTS[name]
    return [
        by_name[name] for name in sorted(by_name) if name in variables or name in {s.name for s in declared}
    ]


def validate_values(specs: list[SlotSpec], values: dict[str, Any]) -> dict[str, str]:
    """Clean slot values or raise one ValidationError listing every problem (Chinese and English)."""
    clean: dict[str, str] = {}
    known = {spec.name for spec in specs}
    problems = [(f"未知插槽“{name}”", f"unknown slot {name!r}") for name in values if name not in known]
    for spec in specs:
        raw = values.get(spec.name)
        value = "" if raw is None else str(raw).strip()
        problem = _value_problem(spec, value)
        if problem is not None:
            problems.append(problem)
            if value:
                continue
        clean[spec.name] = value
    if problems:
        raise ValidationError("; ".join(en for _, en in problems), "；".join(zh for zh, _ in problems))
    return clean


def _value_problem(spec: SlotSpec, value: str) -> tuple[str, str] | None:
    """What is wrong with one stripped slot value, in Chinese and English, or None."""
    label, name = spec.label, spec.name
    if not value:
        return (f"“{label}”必填", f"slot {name} is required") if spec.required else None
    if _TEMPLATE_SYNTAX.search(value):
        return f"“{label}”不能包含模板语法（如 {{{{ }}}}、{{% %}}）", f"slot {name} contains template syntax"
    if _CONTROL.search(value):
        return f"“{label}”包含不可见控制字符", f"slot {name} contains control characters"
    if len(value) > spec.max_length:
        return (
            f"“{label}”最多 {spec.max_length} 字（当前 {len(value)} 字）",
            f"slot {name} longer than {spec.max_length}",
        )
    if spec.type is SlotType.CHOICE and value not in spec.choices:
        return f"“{label}”只能从给定选项中选择", f"slot {name} not one of the choices"
    if spec.type is SlotType.NUMBER and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return f"“{label}”必须是数字", f"slot {name} is not a number"
    if spec.type is SlotType.DATE and not _is_iso_date(value):
        return f"“{label}”必须是日期（YYYY-MM-DD）", f"slot {name} is not a date"
    return None


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def sample_values(specs: list[SlotSpec]) -> dict[str, str]:
    return {spec.name: spec.default or spec.sample or spec.label for spec in specs}


def only_plain_slots_changed(specs: list[SlotSpec], values: dict[str, str]) -> bool:
    """True when every editable region still holds HQ's text: the variant differs only in slot values."""
    return all(values.get(spec.name, "") == spec.default for spec in specs if spec.editable_region)
