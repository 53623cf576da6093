"""What an editor (or a library file) submits for a template, and the checks every save and the library
gate share: tags normalised to codes, code format, slots resolved, text rendered with sample values."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType
from studio.errors import ValidationError
from studio.localisation import render as jinja
from studio.localisation.slots import SlotSpec, resolve_slots, sample_values
from studio.posters.layout import OverlayLayer, PosterLayout
from studio.posters.texts import branch_fields, compliance_text, layer_texts

MAX_TITLE = 100
MAX_BODY = jinja.MAX_BODY  # the renderer's own limit, checked here first for a friendlier message
# Template codes name files on export and appear in URLs: lowercase letters, digits and '-' only.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
MAX_IMAGES = 9  # 九宫格


class TemplateDraft(BaseModel):
    """What an editor submits; tags are codes or Chinese labels, checked in `validate_draft()`."""

    model_config = ConfigDict(frozen=True)

    title: str
    body: str = ""  # a poster's body is derived from its text layers (PosterLayout.body())
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
    # A poster template's layout (PosterLayout as a mapping): background is a library file name in library
    # files and an asset sha256 in the database.
    poster: dict[str, Any] | None = None
    # Images that go out with the post (九宫格, 1-9): library file names, or asset sha256s in the database.
    images: list[str] = Field(default_factory=list)


def validate_draft(draft: TemplateDraft) -> tuple[TemplateDraft, list[SlotSpec], str]:
    """Normalise tags to codes, resolve slots, render with samples; raise ValidationError on any problem.

    For a poster the body is its text layers' texts, its slots also those its branch overlays need, and the
    sample text (length, compliance) every layer's text rendered with sample values (`poster_text`)."""
    title = draft.title.strip()
    layout = parse_layout(draft.poster) if draft.poster is not None else None
    body = layout.body() if layout else draft.body
    _check_sizes(title, body)
    tags = _tag_codes(draft)
    _check_code_and_dates(draft)
    _check_images(draft.images)
    if layout and tags["channel"] != Channel.POSTER.value:
        raise ValidationError("channel must be poster for a poster layout", "海报模板的渠道必须是“海报”。")
    try:
        declared = [SlotSpec.model_validate(s) for s in draft.slots]
    except Exception as error:
        raise ValidationError(f"invalid slot declaration: {error}", "插槽定义不合法。") from None
    slots = resolve_slots(used_variables(body, layout), declared)
    values = sample_values(slots)
    sample = poster_text(layout, values) if layout else jinja.render(body, values)
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
            "body": body,
            "occasion": (draft.occasion or None),
            "region": (draft.region or None),
            "poster": layout.model_dump(mode="json") if layout else None,
            "images": list(draft.images),
        }
    )
    return clean, slots, sample


def parse_layout(raw: Any) -> PosterLayout:
    """The layout, or one ValidationError naming the first bad field (`poster.layers[2].box.w: …`)."""
    errors = layout_errors(raw)
    if errors:
        key, message = errors[0]
        raise ValidationError(f"{key}: {message}", f"海报版式不合法（{key}）：{message}")
    return PosterLayout.model_validate(raw)


def layout_errors(raw: Any) -> list[tuple[str, str]]:
    """Every problem of a layout as (key path below `poster`, message); a problem the layout states about
    a named layer (a duplicate name, a box off the canvas) is placed at that layer."""
    if not isinstance(raw, dict):
        return [("poster", "must be a mapping with background, width, height and layers")]
    try:
        PosterLayout.model_validate(raw)
    except pydantic.ValidationError as error:
        return [_layout_error(raw, item) for item in error.errors(include_url=False)]
    return []


def _layout_error(raw: dict[str, Any], item: Any) -> tuple[str, str]:
    key = "poster"
    loc = list(item["loc"])
    for index, part in enumerate(loc):
        if index == 2 and loc[0] == "layers" and part in ("text", "overlay", "qr"):
            continue  # the discriminator's tag, not a key of the file
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    message = str(item["msg"]).removeprefix("Value error, ")
    named = re.search(r"layer (?:name )?'([a-z0-9_]+)'", message)
    layers = raw.get("layers")
    if key == "poster" and named and isinstance(layers, list):
        names = [layer.get("name") if isinstance(layer, dict) else None for layer in layers]
        if named[1] in names:  # the last layer of that name: the duplicate, or the one off the canvas
            last = len(names) - 1 - names[::-1].index(named[1])
            key = f"poster.layers[{last}]" + (".box" if "box" in message else ".name")
    return key, message[:1].lower() + message[1:]


def used_variables(body: str, layout: PosterLayout | None) -> set[str]:
    """The slots a template uses: its body's variables and, for a poster, the branch overlays' fields
    (bank_name, branch_name, branch_address, service_hours: standard slots the branch fills in)."""
    found = jinja.variables_of(body)
    if layout is not None:
        found |= {
            layer.field.value
            for layer in layout.layers
            if isinstance(layer, OverlayLayer) and not layer.field.per_staff
        }
    return found


def poster_text(layout: PosterLayout, values: dict[str, str]) -> str:
    """What the compliance engine checks for a poster: every layer's text with these slot values."""
    return compliance_text(layout, layer_texts(layout, values), branch_fields(values))


def _check_images(images: list[str]) -> None:
    if len(images) > MAX_IMAGES:
        raise ValidationError(
            f"images: at most {MAX_IMAGES} images (九宫格), not {len(images)}",
            f"图片最多 {MAX_IMAGES} 张（九宫格），当前 {len(images)} 张。",
        )
    if any(not isinstance(image, str) or not image.strip() for image in images):
        raise ValidationError("images: every image must be named", "图片列表中有空项。")


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
