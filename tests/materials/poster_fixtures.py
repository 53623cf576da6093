"""A tiny library of poster templates with generated backgrounds, for tests that must not depend on the
shipped library (its content is written by others)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

WIDTH, HEIGHT = 1080, 1920


def png(colour: str = "#F5E6C8", size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 90):  # a few shapes, so the image is not one flat fill
        image.paste("#B22222", (x, 0, x + 30, 30))
    image.save(out, format="PNG")
    return out.getvalue()


TITLE_LAYER = (
    '{name: title, kind: text, text: "{{ branch_name }}恭祝新春快乐", '
    "box: {x: 60, y: 200, w: 960, h: 300}, font_size: [48, 96], max_lines: 2, color: '#B22222', "
    "align: center, bold: true}"
)
BODY_LAYER = (
    '{name: body, kind: text, text: "阖家团圆，万事如意", box: {x: 60, y: 600, w: 960, h: 200}, '
    "font_size: [32, 60], max_lines: 2}"
)
BRANCH_LAYER = "{name: branch, kind: overlay, field: branch_name, box: {x: 60, y: 1500, w: 600, h: 80}, font_size: [24, 40]}"
STAFF_LAYER = "{name: staff, kind: overlay, field: staff_name, box: {x: 60, y: 1600, w: 600, h: 80}, font_size: [24, 40]}"
QR_LAYER = "{name: qr, kind: qr, box: {x: 760, y: 1560, w: 240, h: 240}}"


def poster_entry(
    code: str = "poster-spring",
    *,
    background: str = "backgrounds/spring.png",
    layers: tuple[str, ...] = (TITLE_LAYER, BODY_LAYER, BRANCH_LAYER, STAFF_LAYER, QR_LAYER),
    width: int = WIDTH,
    height: int = HEIGHT,
    product_type: str = "general",
    extra: str = "",
) -> str:
    layer_lines = "".join(f"        - {layer}\n" for layer in layers)
    head = {
        "code": code,
        "title": f"春节海报 {code}",
        "occasion_kind": "festival",
        "occasion": "春节",
        "content_type": "culture",
        "persona": "perks",
        "channel": "poster",
        "product_type": product_type,
    }
    lines = "".join(("  - " if i == 0 else "    ") + f"{k}: {v}\n" for i, (k, v) in enumerate(head.items()))
    return (
        lines
        + extra
        + f"    poster:\n      background: {background}\n      width: {width}\n      height: {height}\n"
        + "      layers:\n"
        + layer_lines
    )


def write_library(root: Path, entries: list[str], *, files: dict[str, bytes] | None = None) -> Path:
    """`root/posters/posters.yaml` holding the entries, and image files below `root/posters/`."""
    posters = root / "posters"
    (posters / "backgrounds").mkdir(parents=True, exist_ok=True)
    for name, data in (files if files is not None else {"backgrounds/spring.png": png()}).items():
        (posters / name).parent.mkdir(parents=True, exist_ok=True)
        (posters / name).write_bytes(data)
    (posters / "posters.yaml").write_text("templates:\n" + "".join(entries), encoding="utf-8")
    return root
