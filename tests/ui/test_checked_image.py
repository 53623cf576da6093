"""Boxes drawn on a checked image: red rectangles at the findings' places, labelled with the rule code."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from studio.ui.checked_image import RED, draw_boxes


def _white(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format="PNG")
    return out.getvalue()


def _pixels(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_a_box_is_drawn_in_red_with_its_code_above() -> None:
    drawn = _pixels(draw_boxes(_white(), [{"code": "INV001", "box": [100, 120, 300, 180]}]))
    assert drawn.getpixel((100, 150)) == RED and drawn.getpixel((299, 150)) == RED  # left and right edges
    assert drawn.getpixel((200, 150)) == (255, 255, 255)  # inside stays as it was
    label = [drawn.getpixel((x, y)) for x in range(100, 160) for y in range(95, 119)]
    assert RED in label and (255, 255, 255) in label  # a red tag with white letters


def test_findings_without_a_place_draw_nothing_and_odd_boxes_do_not_break_it() -> None:
    original = _pixels(_white())
    assert list(_pixels(draw_boxes(_white(), [{"code": "DIS001", "box": None}])).getdata()) == list(
        original.getdata()
    )
    odd: list[dict[str, Any]] = [
        {"code": "X", "box": [-50, -50, 10, 10]},
        {"code": "Y", "box": [390, 290, 900, 900]},
        {"box": [1, 2]},
    ]
    assert _pixels(draw_boxes(_white(), odd)).size == (400, 300)


def test_a_large_image_is_drawn_smaller_with_its_boxes_scaled() -> None:
    drawn = _pixels(draw_boxes(_white((3200, 2000)), [{"code": "INV001", "box": [1000, 1000, 2000, 1400]}]))
    assert drawn.size == (1600, 1000)
    assert drawn.getpixel((500, 600)) == RED and drawn.getpixel((750, 600)) == (255, 255, 255)
