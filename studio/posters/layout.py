"""What a poster template is: a background image and layers placed on it (pure data, validated here).

Text layers carry template text (Jinja2 with the template's slots, rendered in the sandbox like a text
post); overlay layers are filled by the studio from the branch's localisation (branch name, address,
opening hours) or from the staff member a poster is rendered for (name, job title); a QR layer encodes the
staff member's contact link. All layer texts together are what the compliance engine checks.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_SIDE = 4096  # the largest poster side we render
MIN_QR_SIDE = 120  # below this, a phone camera struggles to read a printed or on-screen code
_COLOUR = r"^#[0-9A-Fa-f]{6}$"
_NAME = r"^[a-z][a-z0-9_]{0,39}$"


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class OverlayField(StrEnum):
    """What the studio writes into an overlay layer; `staff_*` only when rendering for one staff member."""

    BANK_NAME = "bank_name"
    BRANCH_NAME = "branch_name"
    BRANCH_ADDRESS = "branch_address"
    SERVICE_HOURS = "service_hours"
    STAFF_NAME = "staff_name"
    STAFF_TITLE = "staff_title"

    @property
    def per_staff(self) -> bool:
        return self in (OverlayField.STAFF_NAME, OverlayField.STAFF_TITLE)

    @property
    def label(self) -> str:
        return _FIELD_LABELS[self]


_FIELD_LABELS = {
    OverlayField.BANK_NAME: "机构名称",
    OverlayField.BRANCH_NAME: "网点名称",
    OverlayField.BRANCH_ADDRESS: "网点地址",
    OverlayField.SERVICE_HOURS: "营业时间",
    OverlayField.STAFF_NAME: "员工姓名",
    OverlayField.STAFF_TITLE: "员工职务",
}


class Box(BaseModel):
    """A rectangle in poster pixels: left, top, width, height."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(gt=0)
    h: int = Field(gt=0)

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h


class _Layer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    box: Box


class _Lettered(_Layer):
    """Shared by text and overlay layers: how the text is set inside the box."""

    # [smallest, largest] font size in pixels: text starts at the largest and shrinks until it fits.
    font_size: tuple[int, int] = (24, 48)
    color: str = Field(default="#222222", pattern=_COLOUR)
    align: Align = Align.LEFT
    max_lines: int = Field(default=1, ge=1, le=12)
    bold: bool = False
    line_spacing: float = Field(default=1.3, ge=1.0, le=3.0)

    @model_validator(mode="after")
    def _sizes(self) -> _Lettered:
        low, high = self.font_size
        if not 10 <= low <= high <= 400:
            raise ValueError("font_size must be [min, max] with 10 <= min <= max <= 400")
        return self


class TextLayer(_Lettered):
    kind: Literal["text"] = "text"
    # Template text: plain words and {{ slot }} placeholders, rendered with the variant's slot values.
    text: str = Field(min_length=1, max_length=600)


class OverlayLayer(_Lettered):
    kind: Literal["overlay"] = "overlay"
    field: OverlayField
    prefix: str = Field(default="", max_length=20)  # e.g. "地址：" written before the value


class QrLayer(_Layer):
    kind: Literal["qr"] = "qr"
    color: str = Field(default="#000000", pattern=_COLOUR)
    background: str = Field(default="#FFFFFF", pattern=_COLOUR)

    @model_validator(mode="after")
    def _square(self) -> QrLayer:
        if self.box.w != self.box.h:
            raise ValueError("a QR layer's box must be square (w == h)")
        if self.box.w < MIN_QR_SIDE:
            raise ValueError(f"a QR layer must be at least {MIN_QR_SIDE} pixels wide to scan")
        return self


Layer = Annotated[TextLayer | OverlayLayer | QrLayer, Field(discriminator="kind")]


class PosterLayout(BaseModel):
    """`background` is an asset's sha256 in the database; library files name a file instead (resolved on
    import). Width and height are the background's, so every box is checked against the real canvas."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    background: str = Field(min_length=1, max_length=200)
    width: int = Field(gt=0, le=MAX_SIDE)
    height: int = Field(gt=0, le=MAX_SIDE)
    layers: tuple[Layer, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> PosterLayout:
        seen: set[str] = set()
        for layer in self.layers:
            if layer.name in seen:
                raise ValueError(f"layer name {layer.name!r} used twice")
            seen.add(layer.name)
            if layer.box.right > self.width or layer.box.bottom > self.height:
                raise ValueError(
                    f"layer {layer.name!r} box lies outside the {self.width}x{self.height} canvas"
                )
        if sum(isinstance(layer, QrLayer) for layer in self.layers) > 1:
            raise ValueError("a poster has at most one QR layer")
        if not any(isinstance(layer, TextLayer) for layer in self.layers):
            raise ValueError("a poster needs at least one text layer")
        return self

    @property
    def text_layers(self) -> tuple[TextLayer, ...]:
        return tuple(layer for layer in self.layers if isinstance(layer, TextLayer))

    @property
    def qr_layer(self) -> QrLayer | None:
        return next((layer for layer in self.layers if isinstance(layer, QrLayer)), None)

    def body(self) -> str:
        """The template body a poster stands for: its text layers' texts, one per line block, in order.
        This is what slots are found in, what localisation renders and what compliance checks."""
        return "\n".join(layer.text.strip() for layer in self.text_layers)


def is_sha256(value: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{64}", value) is not None
