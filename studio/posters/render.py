"""Posters drawn with Pillow: the base (background, text layers, branch overlays) once per variant, and
per staff member their name, title and the QR code of their contact link on top of that base.

Output is a plain RGB PNG without metadata (no time, no ICC profile, no EXIF) at a fixed compression level,
so the same inputs always give the same bytes and the same sha256: the hash approval binds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageDraw, UnidentifiedImageError

from studio.errors import ValidationError
from studio.posters.fonts import font
from studio.posters.layout import Align, OverlayField, OverlayLayer, PosterLayout, TextLayer
from studio.posters.qr import QrTooDense, qr_image
from studio.posters.text_fit import Fitted, Lettered, fit, fit_or_cut, stroke
from studio.posters.texts import overlay_text

_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
_ASCENT = 0.88  # the baseline's place in the em box of Noto Sans CJK (880 of 1000 units above it)
_COMPRESS_LEVEL = 6


@dataclass(frozen=True)
class RenderedPoster:
    png: bytes
    width: int
    height: int
    sha256: str
    qr: str | None  # the exact text in the QR code, None when the poster has none


@dataclass(frozen=True)
class StaffFields:
    name: str
    title: str | None
    link: str | None


def _fits(layout: PosterLayout, texts: Mapping[str, str], fields: Mapping[OverlayField, str]):
    """(layer, fitted) for every text layer and every branch overlay with a value, in layer order."""
    for layer in layout.layers:
        if isinstance(layer, TextLayer):
            if layer.name not in texts:
                raise ValidationError(f"no text for layer {layer.name!r}", f"图层“{layer.name}”缺少文字。")
            yield layer, fit(texts[layer.name], layer)
        elif isinstance(layer, OverlayLayer) and not layer.field.per_staff:
            text = overlay_text(layer, fields)
            if text:
                yield layer, fit(text, layer)


def check_fit(layout: PosterLayout, texts: Mapping[str, str], fields: Mapping[OverlayField, str]) -> None:
    """Refuses (naming the layer) text that does not fit or has characters the font lacks; draws nothing."""
    for _ in _fits(layout, texts, fields):
        pass


def _canvas(data: bytes, layout: PosterLayout, what: str) -> Image.Image:
    """The image as RGB (transparency flattened onto white), refused unless it is exactly the layout's size.
    The size is read from the header, before any pixel is decoded."""
    try:
        image = Image.open(BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError(
            f"the {what} is not a PNG, JPEG or WebP image", "海报底图不是有效的图片。"
        ) from None
    if image.format not in _FORMATS:
        raise ValidationError(f"the {what} is not a PNG, JPEG or WebP image", "海报底图不是有效的图片。")
    if image.size != (layout.width, layout.height):
        w, h = image.size
        raise ValidationError(
            f"the {what} is {w}x{h} but the layout is {layout.width}x{layout.height}",
            f"海报底图尺寸为 {w}x{h}，与版式的 {layout.width}x{layout.height} 不一致。",
        )
    try:
        rgba = image.convert("RGBA")
    except (OSError, ValueError):
        raise ValidationError(f"the {what} cannot be decoded", "海报底图无法解码。") from None
    canvas = Image.new("RGB", image.size, "#FFFFFF")
    canvas.paste(rgba, (0, 0), rgba)
    return canvas


def _line_x(layer: Lettered, width: float, margin: int) -> int:
    if layer.align == Align.CENTER:
        return round((layer.box.w - width) / 2)
    if layer.align == Align.RIGHT:
        return round(layer.box.w - margin - width)
    return margin


def draw_text(canvas: Image.Image, layer: Lettered, fitted: Fitted) -> None:
    """The lines in the layer's colour, the block centred vertically in the box, clipped to the box."""
    box, face = layer.box, font(fitted.size)
    margin = stroke(layer, fitted.size)
    mask = Image.new("L", (box.w, box.h), 0)
    draw = ImageDraw.Draw(mask)
    top = (box.h - fitted.height) // 2
    for index, line in enumerate(fitted.lines):
        baseline = top + index * fitted.line_height + round(fitted.size * _ASCENT)
        x = _line_x(layer, face.getlength(line), margin)
        draw.text((x, baseline), line, font=face, fill=255, anchor="ls", stroke_width=margin, stroke_fill=255)
    canvas.paste(Image.new("RGB", mask.size, layer.color), (box.x, box.y), mask)


def _encode(canvas: Image.Image, qr: str | None) -> RenderedPoster:
    canvas.info.clear()  # nothing from the source file (ICC profile, EXIF, text chunks) is written
    buffer = BytesIO()
    canvas.save(buffer, "PNG", optimize=False, compress_level=_COMPRESS_LEVEL)
    png = buffer.getvalue()
    return RenderedPoster(png, canvas.width, canvas.height, hashlib.sha256(png).hexdigest(), qr)


def render_base(
    layout: PosterLayout, background: bytes, texts: Mapping[str, str], fields: Mapping[OverlayField, str]
) -> RenderedPoster:
    """Background, text layers and branch overlays; staff overlays and the QR box are left as background."""
    fitted = list(_fits(layout, texts, fields))  # every layer checked before anything is decoded
    canvas = _canvas(background, layout, "background")
    for layer, set_text in fitted:
        draw_text(canvas, layer, set_text)
    return _encode(canvas, None)


def _staff_value(layer: OverlayLayer, staff: StaffFields) -> str:
    value = staff.name if layer.field == OverlayField.STAFF_NAME else staff.title
    return f"{layer.prefix}{value.strip()}" if value and value.strip() else ""


def render_for_staff(layout: PosterLayout, base_png: bytes, staff: StaffFields) -> RenderedPoster:
    """The base with the staff member's name and title (shrunk, or cut with "…", never refused) and the QR
    code of their link; `qr` is the link when it was drawn (a link too long for the box is left out)."""
    canvas = _canvas(base_png, layout, "base poster")
    for layer in layout.layers:
        if isinstance(layer, OverlayLayer) and layer.field.per_staff:
            text = _staff_value(layer, staff)
            if text:
                draw_text(canvas, layer, fit_or_cut(text, layer))
    qr_layer, link = layout.qr_layer, (staff.link or "").strip()
    drawn: str | None = None
    if qr_layer is not None and link:
        try:
            canvas.paste(qr_image(qr_layer, link), (qr_layer.box.x, qr_layer.box.y))
            drawn = link
        except QrTooDense:
            drawn = None
    return _encode(canvas, drawn)
