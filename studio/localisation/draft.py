"""What an editor (or a library file) submits for a template, and the checks every save and the library
gate share: tags normalised to codes, code format, slots resolved, text rendered with sample values."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType
from studio.errors import ValidationError
from studio.localisation import render as jinja
from studio.localisation.slots import SlotSpec, resolve_slots, sample_values

MAX_TITLE = 100
MAX_BODY = jinja.MAX_BODY  # the renderer's own limit, checked here first for a friendlier message
# Template codes name files on export and appear in URLs: lowercase letters, digits and '-' only.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


class TemplateDraft(BaseModel):
    """What an editor submits; tags are codes or Chinese labels, checked in `validate_draft()`."""

    model_config = ConfigDict(frozen=True)

    title: str
    body: str
    occasion_kind: str = OccasionKind.EVERYDAY.value
    occasion: str | None = None
    content_type: str = ContentType.KNOWLEDGE.value
    persona: str = Persona.EXPERT.value
    channel: str = Channel.MOMENTS.value
    product_type: str = ProductType.GENERAL.value
    region: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    slots: list[dict[str, Any]] = Field(default_factory=list)
    code: str | None = None
    images: list[str] = Field(default_factory=list)  # 九宫格: library image sha256s, in order


def validate_draft(draft: TemplateDraft) -> tuple[TemplateDraft, list[SlotSpec], str]:
    """Normalise tags to codes, resolve slots, render with samples; raise ValidationError on any problem."""
    title = draft.title.strip()
    _check_sizes(title, draft.body)
    tags = _tag_codes(draft)
    _check_code_and_dates(draft)
    try:
        declared = [SlotSpec.model_validate(s) for s in draft.slots]
    except Exception as error:
        raise ValidationError(f"invalid slot declaration: {error}", "插槽定义不合法。") from None
    slots = resolve_slots(jinja.variables_of(draft.body), declared)
    sample = jinja.render(draft.body, sample_values(slots))
    channel = Channel(tags["channel"])
    if len(sample) > channel.max_length:
        raise ValidationError(
            f"text longer than {channel.max_length} characters for {channel.value}",
            f"{channel.label}内容最多 {channel.max_length} 字（当前约 {len(sample)} 字）。",
        )
    clean = draft.model_copy(
        update={
            **tags,
            "title": title,
            "occasion": (draft.occasion or None),
            "region": (draft.region or None),
        }
    )
    return clean, slots, sample


def _check_sizes(title: str, body: str) -> None:
    if not title:
        raise ValidationError("title is empty", "标题不能为空。")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"title longer than {MAX_TITLE}", f"标题最多 {MAX_TITLE} 字。")
    if not body.strip():
        raise ValidationError("body is empty", "正文不能为空。")
    if len(body) > MAX_BODY:
        raise ValidationError(f"body longer than {MAX_BODY}", f"正文最多 {MAX_BODY} 字。")


def _tag_codes(draft: TemplateDraft) -> dict[str, str]:
    """Each tag (Chinese label or code) as its code; an unknown one, or a kind no template may carry, raises."""
    tags: dict[str, str] = {}
    for field, enum in (
        ("occasion_kind", OccasionKind),
        ("content_type", ContentType),
        ("persona", Persona),
        ("channel", Channel),
        ("product_type", ProductType),
    ):
        try:
            tags[field] = enum.parse(getattr(draft, field)).value
        except ValueError:
            raise ValidationError(
                f"unknown {field} {getattr(draft, field)!r}",
                f"未知的标签“{getattr(draft, field)}”（{_FIELD_ZH[field]}）。",
            ) from None
    if not OccasionKind(tags["occasion_kind"]).taggable:
        raise ValidationError(
            f"occasion_kind {tags['occasion_kind']!r} is calendar context, not a template tag",
            f"“{OccasionKind(tags['occasion_kind']).label}”不能作为模板场景。",
        )
    return tags


def _check_code_and_dates(draft: TemplateDraft) -> None:
    if draft.code is not None and not CODE_PATTERN.match(draft.code):
        raise ValidationError(
            f"template code {draft.code!r} must be 2-80 characters of a-z, 0-9 and '-'",
            "模板编号只能由 2-80 位小写字母、数字和“-”组成。",
        )
    if draft.valid_from and draft.valid_to and draft.valid_to < draft.valid_from:
        raise ValidationError("valid_to before valid_from", "有效期结束日期早于开始日期。")


_FIELD_ZH = {
    "occasion_kind": "场景",
    "content_type": "内容类型",
    "persona": "人设",
    "channel": "渠道",
    "product_type": "产品类型",
}
