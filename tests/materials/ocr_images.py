"""Images with known text at known places, drawn with the bundled font (shared by the OCR tests)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from studio.materials import ocr
from studio.materials.ocr import OcrResult
from studio.services import assets, post_images

FONT = Path(__file__).resolve().parents[2] / "studio" / "posters" / "fonts" / "NotoSansSC-Subset.otf"
BANNED = "保本保息 稳赚不赔"
BANNED_AT = (150, 300)
GREETING = "欢迎来到锦程银行"
GREETING_AT = (100, 100)
SIZE = 44

Box = tuple[int, int, int, int]


def font(size: int = SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def drawn_box(text: str, at: tuple[int, int], size: int = SIZE) -> Box:
    """Where Pillow draws `text` at `at` (the ink's bounding box)."""
    left, top, right, bottom = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(at, text, font=font(size))
    return int(left), int(top), int(right), int(bottom)


def poster(
    *texts: tuple[str, tuple[int, int]], size: tuple[int, int] = (900, 600), fmt: str = "PNG"
) -> bytes:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for text, at in texts:
        draw.text(at, text, font=font(), fill="black")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def contains(outer: Box, inner: Box, slack: int = 10) -> bool:
    """`inner` lies within `outer` give or take `slack` pixels (the engine pads its line boxes a little)."""
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


_RECOGNISED: dict[str, OcrResult] = {}


def recognise_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real OCR in the services, but each distinct image read once per test run (OCR is ~0.5 s an image)."""

    def remembered(data: bytes, **limits: int | None) -> OcrResult:
        key = hashlib.sha256(data).hexdigest()
        if key not in _RECOGNISED:
            _RECOGNISED[key] = ocr.recognise(data, **limits)
        return _RECOGNISED[key]

    monkeypatch.setattr(assets, "recognise", remembered)
    monkeypatch.setattr(post_images, "recognise", remembered)
