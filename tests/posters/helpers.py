"""Layouts and backgrounds for poster tests, made here (no library file needed)."""

from __future__ import annotations

from io import BytesIO

import cv2
import numpy as np
from PIL import Image

from studio.posters.layout import Align, Box, OverlayField, OverlayLayer, PosterLayout, QrLayer, TextLayer

WIDTH, HEIGHT = 750, 1334
LINK = "https://work.weixin.qq.com/ca/cawcde7f3a9b2c"


def layout(background: str = "bg", *, qr: bool = True) -> PosterLayout:
    layers: list[TextLayer | OverlayLayer | QrLayer] = [
        TextLayer(
            name="title",
            box=Box(x=50, y=120, w=650, h=220),
            text="{{ branch_name }}提醒您：守好钱袋子",
            font_size=(40, 80),
            max_lines=2,
            bold=True,
            align=Align.CENTER,
            color="#B01010",
        ),
        TextLayer(
            name="body",
            box=Box(x=50, y=400, w=650, h=300),
            text="不听、不信、不转账。咨询请拨打 {{ hotline }}。",
            font_size=(24, 40),
            max_lines=6,
        ),
        OverlayLayer(
            name="address",
            box=Box(x=50, y=760, w=650, h=50),
            field=OverlayField.BRANCH_ADDRESS,
            prefix="地址：",
        ),
        OverlayLayer(
            name="hours",
            box=Box(x=50, y=820, w=650, h=50),
            field=OverlayField.SERVICE_HOURS,
            prefix="营业时间：",
        ),
        OverlayLayer(
            name="staff",
            box=Box(x=50, y=1000, w=400, h=60),
            field=OverlayField.STAFF_NAME,
            font_size=(20, 44),
        ),
        OverlayLayer(
            name="job", box=Box(x=50, y=1070, w=400, h=50), field=OverlayField.STAFF_TITLE, font_size=(16, 32)
        ),
    ]
    if qr:
        layers.append(QrLayer(name="qr", box=Box(x=480, y=1000, w=220, h=220)))
    return PosterLayout(background=background, width=WIDTH, height=HEIGHT, layers=tuple(layers))


def background(width: int = WIDTH, height: int = HEIGHT, fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", (width, height), "#FFF4E0")
    buffer = BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(png)).convert("RGB"))


def decode_qr(png: bytes) -> str:
    image = cv2.cvtColor(pixels(png), cv2.COLOR_RGB2BGR)
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return str(text)
