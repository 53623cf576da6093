"""An image with its compliance findings drawn on it: red rectangles labelled with the rule code."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from studio.domain.views import Actor
from studio.services.data_version import data_version
from studio.services.post_images import CheckedImage, images_of
from studio.ui.components import findings_list, verdict_badge
from studio.ui.context import action, db

_FONT = Path(__file__).resolve().parents[1] / "posters" / "fonts" / "NotoSansSC-Subset.otf"
RED = (220, 20, 60)
SHOWN = 1600  # longest side of the image drawn for the page, in pixels


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(_FONT), size)
    except OSError:  # pragma: no cover - the font ships with the package
        return ImageFont.load_default()


def draw_boxes(image_bytes: bytes, findings: list[dict[str, Any]]) -> bytes:
    """A PNG of the image with a red rectangle and the rule code at each finding's box (findings without a
    box are left off: they have no place on the image)."""
    with Image.open(io.BytesIO(image_bytes)) as opened:
        image = opened.convert("RGB")
    scale = min(1.0, SHOWN / max(image.size))  # a 40-megapixel photo is shown, and encoded, smaller
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    draw = ImageDraw.Draw(image)
    width = max(2, round(min(image.size) / 200))
    font = _font(max(12, round(min(image.size) / 30)))
    for finding in findings:
        box = finding.get("box")
        if not box or len(box) != 4:
            continue
        x0, y0, x1, y1 = (round(int(v) * scale) for v in box)
        draw.rectangle((x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)), outline=RED, width=width)
        label = str(finding.get("code", ""))
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        ty = y0 - (bottom - top) - 2 * width if y0 - (bottom - top) - 2 * width >= 0 else y1 + width
        draw.rectangle((x0, ty, x0 + right - left + 2 * width, ty + bottom - top + 2 * width), fill=RED)
        draw.text((x0 + width - left, ty + width - top), label, font=font, fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def show_checked_image(
    image_bytes: bytes, findings_with_boxes: list[dict[str, Any]], caption: str = ""
) -> None:
    """The image with its findings drawn on it (st.image), caption as plain text."""
    st.image(draw_boxes(image_bytes, findings_with_boxes), caption=caption or None, width="stretch")


def show_image_check(image: CheckedImage) -> None:
    """One library image on its own: drawn findings, recognised text, verdict and findings list."""
    show_checked_image(Path(image.path).read_bytes(), image.findings, caption=image.title)
    st.markdown("**识别出的文字**")
    st.text(image.ocr_text or "（未识别到文字）")
    if image.verdict is not None:
        verdict_badge(image.verdict.value)
    findings_list(image.findings)


@st.cache_data(max_entries=256, show_spinner=False)
def _drawn(path: str, findings_json: str) -> bytes:
    """The drawn PNG of a stored image (content-addressed: the path names its bytes) and its findings."""
    return draw_boxes(Path(path).read_bytes(), json.loads(findings_json))


@st.cache_data(max_entries=256, show_spinner=False)
def _images(version: int, actor_json: str, subject_type: str, subject_id: int) -> list[CheckedImage]:
    # `version` (the audit head) keys the cache: a rerun with nothing changed reads nothing else.
    with db() as session:
        return images_of(session, Actor.model_validate_json(actor_json), subject_type, subject_id)


def _grid(images: list[CheckedImage]) -> None:
    columns = st.columns(3)
    for index, image in enumerate(images):
        with columns[index % 3]:
            try:
                drawn = _drawn(image.path, json.dumps(image.findings, ensure_ascii=False, sort_keys=True))
            except OSError:
                st.warning(f"图{image.number}：图片文件缺失。")
                continue
            caption = f"图{image.number} · {image.title}"
            st.image(drawn, caption=caption, width="stretch")
            with st.expander(f"图{image.number} 识别出的文字"):
                st.text(image.ocr_text or "（未识别到文字）")


def post_images_panel(actor: Actor, subject_type: str, subject_id: int) -> None:
    """The post's images (九宫格, 3 a row), each with its findings boxed: for the review page."""
    images: list[CheckedImage] = []
    with action():
        with db() as session:
            version = data_version(session)
        images = _images(version, actor.model_dump_json(), subject_type, subject_id)
    if not images:
        return
    flagged = sum(1 for image in images if image.findings)
    st.markdown(f"**配图（{len(images)} 张；图中文字已识别并参与合规检查）**")
    if flagged:
        st.caption(f"{flagged} 张图片有合规命中，已用红框标出。")
    _grid(images)
