"""Draw the poster backgrounds of the library: our own artwork, made of gradients and simple shapes.

Run `python library/posters/draw_backgrounds.py` to (re)write every PNG under library/posters/backgrounds/.
Drawing is deterministic (fixed seeds, no timestamps in the PNG), so the committed files are exactly what
this script writes; tests/materials/test_poster_backgrounds.py checks that.

Every background keeps the same calm areas for text: the upper middle (title and copy, x 120-960, y 180-1180)
carries only the gradient, motifs sit at the edges, in the top strip and in the band above the bottom
panel, and a light rounded panel (y 1480-1880) holds the branch, staff and QR layers. No background has text.
"""

from __future__ import annotations

import io
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1080, 1920
PANEL = (40, 1480, 1040, 1880)  # the light card at the bottom: branch, address, staff, QR
SQUARE = 1080  # the square format (朋友圈 九宫格): copy in y 90-700, the card in y 760-1040
SQUARE_PANEL = (40, 760, 1040, 1040)
COLOURS = 64  # palette size of the written PNG: flat artwork needs no more, and the files stay small
GRADIENT_STEPS = 40
OUT_DIR = Path(__file__).resolve().parent / "backgrounds"

RGB = tuple[int, int, int]
Draw = ImageDraw.ImageDraw
Painter = Callable[[Draw], None]


def rgb(hex_colour: str) -> RGB:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


# ---------------------------------------------------------------- primitives


def gradient(draw: Draw, top: str, bottom: str, height: int = HEIGHT) -> None:
    """A vertical gradient in GRADIENT_STEPS flat bands: smooth to the eye, and it leaves most of the
    palette to the motifs, so quantizing keeps their colours exact."""
    a, b = rgb(top), rgb(bottom)
    for y in range(height):
        t = round(y / (height - 1) * (GRADIENT_STEPS - 1)) / (GRADIENT_STEPS - 1)
        colour = tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))
        draw.line([(0, y), (WIDTH, y)], fill=colour)


def circle(draw: Draw, cx: float, cy: float, r: float, fill: str, outline: str | None = None) -> None:
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill, outline=outline, width=6 if outline else 0)


def star(draw: Draw, cx: float, cy: float, r: float, fill: str, turn: float = 0.0) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.42
        angle = -math.pi / 2 + turn + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=fill)


def lantern(draw: Draw, cx: float, top: float, size: float, body: str, gold: str) -> None:
    """A string, a cap, a round body with ribs, a foot and a tassel."""
    draw.line([(cx, 0), (cx, top)], fill=gold, width=4)
    draw.rectangle([cx - size * 0.35, top, cx + size * 0.35, top + size * 0.18], fill=gold)
    body_top = top + size * 0.15
    draw.ellipse([cx - size, body_top, cx + size, body_top + size * 1.6], fill=body)
    for k in (-0.5, 0.0, 0.5):
        draw.arc(
            [cx - size * abs(k) - 2, body_top, cx + size * abs(k) + 2, body_top + size * 1.6],
            start=0,
            end=360,
            fill=gold,
            width=3,
        )
    foot = body_top + size * 1.55
    draw.rectangle([cx - size * 0.35, foot, cx + size * 0.35, foot + size * 0.18], fill=gold)
    for dx in (-size * 0.15, 0.0, size * 0.15):
        draw.line([(cx + dx, foot + size * 0.18), (cx + dx, foot + size * 0.75)], fill=gold, width=4)


def mountains(draw: Draw, base: float, peaks: list[tuple[float, float]], fill: str) -> None:
    """A ridge through (x, y) peaks, filled down to `base`."""
    points = [(0.0, base), *peaks, (float(WIDTH), base)]
    draw.polygon(points, fill=fill)


def karst(draw: Draw, base: float, hills: list[tuple[float, float, float]], fill: str) -> None:
    """Tall rounded hills (x centre, half width, height), as in a Guilin landscape."""
    for cx, half, height in hills:
        draw.ellipse([cx - half, base - height, cx + half, base + height * 0.6], fill=fill)
    draw.rectangle([0, base, WIDTH, base + 400], fill=fill)


def waves(
    draw: Draw,
    y: float,
    amplitude: float,
    length: float,
    fill: str,
    phase: float = 0.0,
    bottom: float = PANEL[3],
) -> None:
    """A sine-edged band from `y` down to `bottom` (the panel's lower edge)."""
    points = [
        (float(x), y + amplitude * math.sin(phase + 2 * math.pi * x / length))
        for x in range(0, WIDTH + 1, 12)
    ]
    draw.polygon([(0.0, bottom), *points, (float(WIDTH), bottom)], fill=fill)


def cloud(draw: Draw, cx: float, cy: float, s: float, fill: str) -> None:
    for dx, dy, r in ((-0.9, 0.1, 0.45), (-0.35, -0.2, 0.6), (0.3, -0.1, 0.55), (0.85, 0.15, 0.4)):
        circle(draw, cx + dx * s, cy + dy * s, r * s, fill)
    draw.rounded_rectangle([cx - 1.3 * s, cy, cx + 1.25 * s, cy + 0.5 * s], radius=s * 0.25, fill=fill)


def sun(draw: Draw, cx: float, cy: float, r: float, fill: str, rays: int = 12) -> None:
    for i in range(rays):
        a = 2 * math.pi * i / rays
        inner, outer = r * 1.25, r * 1.6
        draw.line(
            [
                (cx + inner * math.cos(a), cy + inner * math.sin(a)),
                (cx + outer * math.cos(a), cy + outer * math.sin(a)),
            ],
            fill=fill,
            width=max(4, round(r / 10)),
        )
    circle(draw, cx, cy, r, fill)


def leaf(draw: Draw, cx: float, cy: float, length: float, angle: float, fill: str) -> None:
    """A pointed leaf: two arcs meeting at both tips, rotated by `angle` (radians)."""
    points = []
    for i in range(21):
        t = i / 20
        points.append((length * (t - 0.5), length * 0.28 * math.sin(math.pi * t)))
    points += [(x, -y) for x, y in reversed(points)]
    ca, sa = math.cos(angle), math.sin(angle)
    draw.polygon([(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points], fill=fill)


def snowflake(draw: Draw, cx: float, cy: float, r: float, fill: str) -> None:
    width = max(3, round(r / 9))
    for i in range(6):
        a = math.pi / 3 * i
        ex, ey = cx + r * math.cos(a), cy + r * math.sin(a)
        draw.line([(cx, cy), (ex, ey)], fill=fill, width=width)
        mx, my = cx + r * 0.6 * math.cos(a), cy + r * 0.6 * math.sin(a)
        for side in (-1, 1):
            b = a + side * math.pi / 4
            draw.line(
                [(mx, my), (mx + r * 0.3 * math.cos(b), my + r * 0.3 * math.sin(b))], fill=fill, width=width
            )


def coin(draw: Draw, cx: float, cy: float, r: float, fill: str, rim: str) -> None:
    """A round coin with a square hole, drawn as rings (no lettering)."""
    circle(draw, cx, cy, r, rim)
    circle(draw, cx, cy, r * 0.86, fill)
    h = r * 0.28
    draw.rectangle([cx - h, cy - h, cx + h, cy + h], fill=rim)


def shield(draw: Draw, cx: float, cy: float, w: float, fill: str, inner: str) -> None:
    def outline(scale: float) -> list[tuple[float, float]]:
        s = w * scale
        return [
            (cx - s / 2, cy - s * 0.55),
            (cx, cy - s * 0.72),
            (cx + s / 2, cy - s * 0.55),
            (cx + s / 2, cy + s * 0.05),
            (cx, cy + s * 0.7),
            (cx - s / 2, cy + s * 0.05),
        ]

    draw.polygon(outline(1.0), fill=fill)
    draw.polygon(outline(0.8), fill=inner)
    tick = [(cx - w * 0.18, cy), (cx - w * 0.04, cy + w * 0.15), (cx + w * 0.2, cy - w * 0.15)]
    draw.line(tick, fill=fill, width=max(6, round(w / 14)), joint="curve")


def flame(draw: Draw, cx: float, base: float, h: float, outer: str, inner: str) -> None:
    for colour, scale in ((outer, 1.0), (inner, 0.55)):
        w, top = h * 0.32 * scale, base - h * scale
        draw.polygon(
            [
                (cx, top),
                (cx + w, base - h * scale * 0.35),
                (cx + w * 0.7, base),
                (cx - w * 0.7, base),
                (cx - w, base - h * scale * 0.35),
            ],
            fill=colour,
        )
        circle(draw, cx, base - w * 0.6, w * 0.95, colour)


def scatter(seed: int, count: int, area: tuple[int, int, int, int]) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    x0, y0, x1, y1 = area
    return [(rng.randint(x0, x1), rng.randint(y0, y1)) for _ in range(count)]


def edges(seed: int, count: int) -> list[tuple[int, int]]:
    """Points in the side margins and the top strip, never over the copy area."""
    left = scatter(seed, count // 3, (10, 60, 110, 1420))
    right = scatter(seed + 1, count // 3, (970, 60, 1070, 1420))
    top = scatter(seed + 2, count - 2 * (count // 3), (140, 20, 940, 150))
    return left + right + top


# ---------------------------------------------------------------- festivals


def red_lanterns(draw: Draw) -> None:
    gradient(draw, "#B3121F", "#E0452B")
    for x, top, size in ((70, 120, 52), (180, 40, 40), (1010, 120, 52), (900, 40, 40)):
        lantern(draw, x, top, size, "#E8302A", "#F6C65B")
    cloud(draw, 200, 1330, 90, "#F28A5B")
    cloud(draw, 860, 1380, 110, "#F28A5B")
    mountains(draw, 1480, [(0, 1420), (300, 1360), (620, 1430), (900, 1350), (1080, 1410)], "#9E1020")


def red_fireworks(draw: Draw) -> None:
    gradient(draw, "#5E0B15", "#B3121F")
    for i, (x, y) in enumerate(edges(11, 12)):
        r = 30 + (i * 7) % 40
        for k in range(12):
            a = 2 * math.pi * k / 12
            draw.line(
                [(x, y), (x + r * math.cos(a), y + r * math.sin(a))],
                fill="#F6C65B" if i % 2 else "#FF8A65",
                width=4,
            )
    for x, y in scatter(12, 40, (0, 1250, 1080, 1470)):
        circle(draw, x, y, 4, "#F6C65B")
    draw.rectangle([0, 1440, WIDTH, 1480], fill="#8C0E1A")


def yuanxiao_night(draw: Draw) -> None:
    gradient(draw, "#1B1F4B", "#3A2C6B")
    circle(draw, 900, 150, 80, "#FFE9A8")
    for x, top, size in ((70, 200, 46), (1010, 260, 46), (150, 60, 34), (940, 20, 30)):
        lantern(draw, x, top, size, "#E53935", "#F6C65B")
    for i, x in enumerate(range(120, 1000, 130)):
        circle(draw, x, 1380 + (i % 2) * 30, 36, "#FFF4E0")
    draw.rectangle([0, 1440, WIDTH, 1480], fill="#2A2358")


def zongzi_green(draw: Draw) -> None:
    gradient(draw, "#1E6B4F", "#4CA36E")
    for i, (x, y) in enumerate(edges(21, 12)):
        leaf(draw, x, y, 90, 0.6 + i, "#2E8B57" if i % 2 else "#7CC47F")
    waves(draw, 1330, 24, 360, "#2F7FA8")
    waves(draw, 1390, 20, 300, "#1F5F86", phase=1.5)
    for x in (260, 820):
        draw.polygon([(x - 140, 1360), (x + 140, 1360), (x + 100, 1410), (x - 100, 1410)], fill="#B5532C")
        draw.line([(x - 150, 1350), (x - 120, 1330)], fill="#B5532C", width=10)


def qixi_stars(draw: Draw) -> None:
    gradient(draw, "#241748", "#7B3F8F")
    for i, (x, y) in enumerate(edges(31, 30)):
        star(draw, x, y, 8 + (i % 4) * 4, "#FFE9F2")
    draw.arc([80, 1220, 1000, 1700], start=190, end=350, fill="#F7B7D3", width=18)
    draw.arc([100, 1250, 980, 1700], start=195, end=345, fill="#C77DB5", width=10)
    star(draw, 170, 1340, 26, "#FFF5B8")
    star(draw, 910, 1340, 26, "#FFF5B8")


def moon_night(draw: Draw) -> None:
    gradient(draw, "#0E2447", "#2E5A88")
    circle(draw, 840, 150, 120, "#FFE9A8")
    circle(draw, 800, 130, 22, "#F4D98A")
    for x, y in edges(41, 18):
        circle(draw, x, y, 3, "#FFFFFF")
    cloud(draw, 170, 140, 60, "#3B6A99")
    mountains(draw, 1480, [(0, 1320), (220, 1260), (480, 1370), (760, 1250), (1080, 1340)], "#173A63")
    waves(draw, 1420, 10, 200, "#0F2A4C")


def chongyang_gold(draw: Draw) -> None:
    gradient(draw, "#B8621B", "#F0A83C")
    mountains(draw, 1480, [(0, 1290), (260, 1210), (520, 1320), (800, 1225), (1080, 1300)], "#8E4A17")
    mountains(draw, 1480, [(0, 1380), (350, 1320), (700, 1400), (1080, 1340)], "#6F3A12")
    for i, (x, y) in enumerate(edges(51, 9)):
        for k in range(10):
            a = 2 * math.pi * k / 10
            circle(draw, x + 22 * math.cos(a), y + 22 * math.sin(a), 12, "#FFD54F" if i % 2 else "#FFF3C4")
        circle(draw, x, y, 12, "#E65100")


def national_red(draw: Draw) -> None:
    gradient(draw, "#C62828", "#E53935")
    for i, (x, y) in enumerate(edges(81, 15)):
        star(draw, x, y, 10 + (i % 3) * 6, "#FFD54F", turn=i * 0.3)
    for i in range(5):
        draw.arc(
            [-300 + i * 40, 1180 + i * 30, 1380 - i * 40, 1800], start=200, end=340, fill="#FFB300", width=8
        )
    for x in range(0, WIDTH, 90):
        draw.rectangle([x, 1400, x + 50, 1440], fill="#B71C1C")
    draw.rectangle([0, 1440, WIDTH, 1480], fill="#B71C1C")


def laba_warm(draw: Draw) -> None:
    gradient(draw, "#7A3E1D", "#C8763A")
    for x in (270, 810):
        draw.chord([x - 170, 1240, x + 170, 1440], start=0, end=180, fill="#F3E0C2")
        draw.rectangle([x - 60, 1436, x + 60, 1462], fill="#F3E0C2")
        for dx in (-60, 0, 60):
            draw.arc([x + dx - 20, 1250, x + dx + 20, 1330], start=90, end=270, fill="#F8E6CF", width=6)
    for i, (x, y) in enumerate(edges(61, 24)):
        circle(draw, x, y, 8 + i % 3 * 3, ("#E9B872", "#9B2D20", "#F5E6C8")[i % 3])


def harvest_field(draw: Draw) -> None:
    gradient(draw, "#F6C453", "#F9E3A3")
    sun(draw, 880, 160, 70, "#F57F17")
    for i in range(6):
        y = 1240 + i * 40
        draw.polygon(
            [(0, y), (WIDTH, y - 60), (WIDTH, y - 30), (0, y + 30)], fill=("#D99A2B", "#C2841F")[i % 2]
        )
    for x in range(60, 1080, 90):
        draw.line([(x, 1290), (x + 10, 1220)], fill="#A66A12", width=6)
        leaf(draw, x + 10, 1212, 44, -1.2, "#E0A526")


# ---------------------------------------------------------------- solar terms


def spring_leaves(draw: Draw) -> None:
    gradient(draw, "#DFF3D8", "#9ED59A")
    for i, (x, y) in enumerate(edges(71, 18)):
        leaf(draw, x, y, 70 + (i % 3) * 20, 0.3 + i * 0.7, ("#5DAE5B", "#8BC98A", "#3F8E4B")[i % 3])
    mountains(draw, 1480, [(0, 1330), (300, 1270), (640, 1360), (900, 1290), (1080, 1330)], "#6DBB6A")
    mountains(draw, 1480, [(0, 1420), (420, 1380), (760, 1430), (1080, 1390)], "#4E9B52")


def spring_rain(draw: Draw) -> None:
    gradient(draw, "#CFE3E6", "#8FBFB8")
    cloud(draw, 200, 120, 80, "#FFFFFF")
    cloud(draw, 880, 90, 70, "#EEF6F6")
    for x, y in edges(81, 45):
        draw.line([(x, y), (x - 8, y + 34)], fill="#6FA3A8", width=4)
    waves(draw, 1350, 14, 280, "#74B49B")
    waves(draw, 1410, 12, 240, "#4E9A83", phase=2.0)


def summer_sun(draw: Draw) -> None:
    gradient(draw, "#4FC3F7", "#FFF3B0")
    sun(draw, 900, 170, 80, "#FFB300")
    cloud(draw, 170, 140, 60, "#FFFFFF")
    waves(draw, 1320, 22, 320, "#29B6F6")
    waves(draw, 1390, 18, 260, "#0288D1", phase=1.0)


def summer_lotus(draw: Draw) -> None:
    gradient(draw, "#E0F5EC", "#A8DCC6")
    for x, y, r in ((110, 1340, 120), (980, 1330, 130), (540, 1420, 110), (90, 130, 70), (1000, 110, 80)):
        circle(draw, x, y, r, "#3C9D6B")
        draw.pieslice([x - r, y - r, x + r, y + r], start=250, end=290, fill="#A8DCC6")
    for x, y in ((330, 1300), (770, 1340)):
        for k in range(6):
            leaf(draw, x, y - 40, 90, -math.pi / 2 + (k - 2.5) * 0.35, "#F48FB1" if k % 2 else "#F8BBD0")


def autumn_maple(draw: Draw) -> None:
    gradient(draw, "#FBE3C2", "#F2A65A")
    for i, (x, y) in enumerate(edges(91, 18)):
        for k in range(5):
            leaf(draw, x, y, 46, i + k * 2 * math.pi / 5, ("#D84315", "#EF6C00", "#C62828")[i % 3])
    mountains(draw, 1480, [(0, 1300), (320, 1240), (650, 1330), (920, 1260), (1080, 1300)], "#D9822B")
    mountains(draw, 1480, [(0, 1410), (380, 1370), (760, 1420), (1080, 1380)], "#B25E1E")


def autumn_dew(draw: Draw) -> None:
    gradient(draw, "#E3EEF5", "#B7CCE0")
    for i, (x, y) in enumerate(edges(101, 15)):
        circle(draw, x, y, 10 + i % 3 * 5, "#FFFFFF")
    for x in range(40, 1080, 70):
        draw.line([(x, 1480), (x + 30, 1240 + (x * 7) % 90)], fill="#8AA7C4", width=6)
        circle(draw, x + 30, 1240 + (x * 7) % 90, 9, "#FFFFFF")
    draw.rectangle([0, 1440, WIDTH, 1480], fill="#8AA7C4")


def winter_snow(draw: Draw) -> None:
    gradient(draw, "#DCEBF7", "#9CC3E6")
    for i, (x, y) in enumerate(edges(111, 21)):
        snowflake(draw, x, y, 22 + (i % 3) * 10, "#FFFFFF")
    mountains(draw, 1480, [(0, 1300), (260, 1200), (560, 1330), (820, 1220), (1080, 1310)], "#7FA9D1")
    mountains(draw, 1480, [(0, 1390), (340, 1350), (700, 1410), (1080, 1360)], "#FFFFFF")


def winter_plum(draw: Draw) -> None:
    gradient(draw, "#F4F1EC", "#D9DEE6")
    draw.line([(0, 160), (120, 120), (200, 40), (260, 0)], fill="#5D4037", width=14)
    draw.line([(120, 120), (60, 300), (90, 420)], fill="#5D4037", width=10)
    draw.line([(1080, 1250), (960, 1300), (880, 1420)], fill="#5D4037", width=14)
    for x, y in (
        (200, 40),
        (120, 120),
        (60, 300),
        (90, 420),
        (180, 90),
        (960, 1300),
        (880, 1420),
        (1020, 1270),
    ):
        for k in range(5):
            a = 2 * math.pi * k / 5
            circle(draw, x + 14 * math.cos(a), y + 14 * math.sin(a), 11, "#D81B60")
        circle(draw, x, y, 6, "#FFD54F")
    for x, y in scatter(112, 30, (0, 1300, 1080, 1470)):
        circle(draw, x, y, 5, "#FFFFFF")


# ---------------------------------------------------------------- anti-fraud


def shield_blue(draw: Draw) -> None:
    gradient(draw, "#0D3B8C", "#1E88E5")
    shield(draw, 540, 1345, 220, "#FF9800", "#0D3B8C")
    for i in range(4):
        y = 1270 + i * 36
        draw.line([(60, y), (360, y)], fill="#42A5F5", width=6)
        draw.line([(720, y), (1020, y)], fill="#42A5F5", width=6)
    for x, y in edges(121, 12):
        draw.rectangle([x - 6, y - 6, x + 6, y + 6], fill="#64B5F6")


def alert_orange(draw: Draw) -> None:
    gradient(draw, "#FF8F00", "#FFB74D")
    draw.polygon([(540, 1180), (690, 1440), (390, 1440)], fill="#1A237E")
    draw.polygon([(540, 1230), (645, 1415), (435, 1415)], fill="#FFD54F")
    draw.rectangle([530, 1290, 550, 1370], fill="#1A237E")
    circle(draw, 540, 1392, 12, "#1A237E")
    for side in (1, -1):
        for k in range(3):
            x = 540 + side * (240 + k * 60)
            draw.arc(
                [x - 40, 1270, x + 40, 1400],
                start=-60 if side > 0 else 120,
                end=60 if side > 0 else 240,
                fill="#1A237E",
                width=8,
            )
    draw.rectangle([0, 0, WIDTH, 24], fill="#1A237E")


def lock_navy(draw: Draw) -> None:
    gradient(draw, "#0B1F3A", "#123E6B")
    draw.arc([450, 1190, 630, 1370], start=180, end=360, fill="#FF9800", width=26)
    draw.line([(463, 1250), (463, 1290)], fill="#FF9800", width=26)
    draw.line([(617, 1250), (617, 1290)], fill="#FF9800", width=26)
    draw.rounded_rectangle([420, 1280, 660, 1450], radius=24, fill="#FF9800")
    circle(draw, 540, 1350, 22, "#0B1F3A")
    draw.rectangle([532, 1360, 548, 1410], fill="#0B1F3A")
    for x, y in edges(131, 18):
        draw.line([(x, y), (x + 40, y)], fill="#1F5C99", width=4)
        circle(draw, x + 44, y, 6, "#4FC3F7")


def phone_guard(draw: Draw) -> None:
    gradient(draw, "#1565C0", "#42A5F5")
    for cx in (230, 850):
        draw.rounded_rectangle([cx - 90, 1180, cx + 90, 1460], radius=26, fill="#0D47A1")
        draw.rounded_rectangle([cx - 75, 1210, cx + 75, 1420], radius=10, fill="#BBDEFB")
        circle(draw, cx, 1440, 9, "#BBDEFB")
    shield(draw, 540, 1320, 170, "#FF7043", "#1565C0")
    for x, y in edges(141, 9):
        circle(draw, x, y, 10, "#90CAF9")


# ---------------------------------------------------------------- products


def teal_coins(draw: Draw) -> None:
    gradient(draw, "#00695C", "#26A69A")
    for i, x in enumerate((150, 300, 780, 930)):
        for k in range(3 + i % 2 * 2):
            draw.ellipse(
                [x - 70, 1420 - k * 28, x + 70, 1460 - k * 28], fill="#FFC107", outline="#FF8F00", width=4
            )
    coin(draw, 540, 1330, 95, "#FFD54F", "#FFA000")
    for x, y in edges(151, 9):
        circle(draw, x, y, 12, "#4DB6AC")


def navy_growth(draw: Draw) -> None:
    gradient(draw, "#0D2B52", "#1B4F8A")
    for i, h in enumerate((80, 130, 110, 180, 160, 240)):
        x = 140 + i * 140
        draw.rectangle([x, 1450 - h, x + 80, 1450], fill="#26C6DA" if i % 2 else "#4DD0E1")
    draw.line([(140, 1330), (420, 1280), (600, 1300), (900, 1180)], fill="#FFCA28", width=10, joint="curve")
    draw.polygon([(900, 1160), (930, 1190), (880, 1200)], fill="#FFCA28")
    for x, y in edges(161, 12):
        circle(draw, x, y, 5, "#4DD0E1")


def teal_umbrella(draw: Draw) -> None:
    gradient(draw, "#004D61", "#21868F")
    draw.pieslice([340, 1200, 740, 1520], start=180, end=360, fill="#FFB74D")
    for k in range(4):
        x = 340 + k * 100
        draw.chord([x, 1330, x + 100, 1390], start=0, end=180, fill="#21868F")
    draw.line([(540, 1360), (540, 1440)], fill="#FFE0B2", width=12)
    draw.arc([540, 1410, 600, 1460], start=0, end=180, fill="#FFE0B2", width=12)
    for x, y in edges(171, 30):
        draw.line([(x, y), (x - 6, y + 26)], fill="#4DB6AC", width=4)


def navy_card(draw: Draw) -> None:
    gradient(draw, "#1A237E", "#3949AB")
    for i, (x, y) in enumerate(((180, 1250), (620, 1290))):
        draw.rounded_rectangle([x, y, x + 300, y + 180], radius=22, fill=("#26A69A", "#FFB300")[i])
        draw.rectangle([x, y + 36, x + 300, y + 70], fill="#263238")
        draw.rounded_rectangle([x + 24, y + 96, x + 74, y + 134], radius=6, fill="#FFE082")
    for x, y in edges(181, 12):
        circle(draw, x, y, 7, "#7986CB")


def mobile_teal(draw: Draw) -> None:
    gradient(draw, "#006064", "#00ACC1")
    draw.rounded_rectangle([400, 1190, 680, 1475], radius=36, fill="#263238")
    draw.rounded_rectangle([420, 1222, 660, 1445], radius=14, fill="#E0F7FA")
    for k in range(3):
        for j in range(3):
            draw.rounded_rectangle(
                [445 + j * 75, 1240 + k * 66, 505 + j * 75, 1288 + k * 66],
                radius=10,
                fill=("#26A69A", "#FFB300", "#42A5F5")[(j + k) % 3],
            )
    for r in (140, 200, 260):
        draw.arc(
            [540 - r - 200, 1300 - r, 540 + r - 200, 1300 + r], start=200, end=250, fill="#80DEEA", width=8
        )
        draw.arc(
            [540 - r + 200, 1300 - r, 540 + r + 200, 1300 + r], start=290, end=340, fill="#80DEEA", width=8
        )


def pension_sunset(draw: Draw) -> None:
    gradient(draw, "#2E5E4E", "#E3A857")
    sun(draw, 540, 1380, 110, "#FFD180", rays=16)
    mountains(draw, 1480, [(0, 1360), (260, 1310), (540, 1400), (820, 1300), (1080, 1350)], "#3E6B4F")
    for i, (x, y) in enumerate(edges(191, 12)):
        leaf(draw, x, y, 60, 0.4 + i, "#A5D6A7")


# ---------------------------------------------------------------- regions


def guangxi_karst(draw: Draw) -> None:
    gradient(draw, "#BFE6D6", "#7CC8A8")
    karst(
        draw,
        1330,
        [(90, 80, 150), (250, 90, 110), (420, 70, 80), (700, 80, 95), (860, 90, 145), (1010, 70, 120)],
        "#3E9B73",
    )
    waves(draw, 1360, 10, 240, "#4FA3C7")
    for x, y in scatter(201, 12, (100, 1380, 980, 1460)):
        draw.line([(x - 30, y), (x + 30, y)], fill="#E0F2F1", width=4)
    cloud(draw, 170, 120, 56, "#FFFFFF")
    circle(draw, 900, 130, 60, "#FFD54F")


def yunnan_water(draw: Draw) -> None:
    gradient(draw, "#81D4FA", "#E1F5FE")
    sun(draw, 900, 160, 70, "#FFCA28")
    for i, (x, y) in enumerate(edges(211, 24)):
        draw.polygon([(x, y - 26), (x + 14, y + 4), (x - 14, y + 4)], fill="#29B6F6")
        circle(draw, x, y + 6, 14, "#29B6F6" if i % 2 else "#4FC3F7")
    waves(draw, 1330, 26, 300, "#4FC3F7")
    waves(draw, 1400, 20, 260, "#0288D1", phase=2.0)
    for x in (200, 880):
        for k in range(8):
            leaf(draw, x, 1290, 80, k * math.pi / 4, "#F06292" if k % 2 else "#FFB300")


def fujian_sea(draw: Draw) -> None:
    gradient(draw, "#B3E5FC", "#4FC3F7")
    sun(draw, 160, 170, 60, "#FFB74D")
    draw.rectangle([930, 1220, 990, 1330], fill="#FFFFFF")
    draw.rectangle([930, 1260, 990, 1290], fill="#E53935")
    draw.polygon([(920, 1220), (1000, 1220), (960, 1185)], fill="#E53935")
    for i in range(3):
        waves(draw, 1310 + i * 50, 16, 220 + i * 40, ("#29B6F6", "#0288D1", "#01579B")[i], phase=i)
    draw.polygon([(220, 1300), (380, 1300), (350, 1340), (250, 1340)], fill="#6D4C41")
    draw.polygon([(300, 1180), (300, 1295), (380, 1295)], fill="#FFFFFF")


def grassland(draw: Draw) -> None:
    gradient(draw, "#64B5F6", "#E3F2FD", height=1300)
    draw.rectangle([0, 1250, WIDTH, PANEL[3]], fill="#7CB342")
    mountains(draw, 1300, [(0, 1230), (300, 1180), (640, 1240), (1080, 1190)], "#8BC34A")
    for x, s in ((250, 1.0), (760, 1.2), (930, 0.8)):
        draw.rectangle([x - 70 * s, 1360 - 60 * s, x + 70 * s, 1360], fill="#FFFFFF")
        draw.chord(
            [x - 80 * s, 1300 - 110 * s, x + 80 * s, 1300 - 10 * s], start=180, end=360, fill="#FFFFFF"
        )
        draw.rectangle([x - 70 * s, 1305 - 60 * s, x + 70 * s, 1310 - 50 * s], fill="#1E88E5")
        draw.rectangle([x - 16 * s, 1360 - 45 * s, x + 16 * s, 1360], fill="#E53935")
    cloud(draw, 200, 140, 70, "#FFFFFF")
    cloud(draw, 860, 190, 60, "#FFFFFF")


def guizhou_terraces(draw: Draw) -> None:
    gradient(draw, "#CDE8C5", "#8CC084")
    mountains(draw, 1480, [(0, 1230), (300, 1190), (620, 1250), (880, 1185), (1080, 1220)], "#6FA867")
    for i in range(7):
        y = 1220 + i * 38
        draw.arc(
            [-400, y - 120, 1480, y + 60], start=180, end=360, fill=("#F2E6A7", "#A3CF7D")[i % 2], width=14
        )
    cloud(draw, 180, 110, 60, "#FFFFFF")
    for x, y in scatter(221, 8, (140, 30, 940, 150)):
        circle(draw, x, y, 6, "#FFFFFF")


def torch_night(draw: Draw) -> None:
    gradient(draw, "#1A0E2E", "#4A1942")
    for x in (130, 330, 750, 950):
        draw.rectangle([x - 10, 1330, x + 10, 1470], fill="#6D4C41")
        flame(draw, x, 1330, 130, "#FF7043", "#FFD54F")
    for x, y in edges(231, 30):
        circle(draw, x, y, 4, "#FFB74D")
    mountains(draw, 1480, [(0, 1440), (540, 1400), (1080, 1440)], "#2A1230")


def hainan_coconut(draw: Draw) -> None:
    gradient(draw, "#80DEEA", "#FFF8E1")
    sun(draw, 880, 170, 70, "#FFB300")
    for x, lean in ((150, 40), (960, -40)):
        draw.line([(x, 1470), (x + lean, 1240)], fill="#795548", width=20)
        for k in range(6):
            a = math.pi + k * math.pi / 5
            leaf(draw, x + lean + math.cos(a) * 60, 1240 + math.sin(a) * 25, 120, a, "#2E7D32")
    waves(draw, 1380, 14, 260, "#26C6DA")
    waves(draw, 1430, 10, 220, "#00838F", phase=1.0)


# ---------------------------------------------------------------- square (1080 x 1080)


def heart(draw: Draw, cx: float, cy: float, r: float, fill: str) -> None:
    circle(draw, cx - r * 0.5, cy, r * 0.55, fill)
    circle(draw, cx + r * 0.5, cy, r * 0.55, fill)
    draw.polygon(
        [(cx - r * 1.02, cy + r * 0.15), (cx + r * 1.02, cy + r * 0.15), (cx, cy + r * 1.2)], fill=fill
    )


def square_edges(seed: int, count: int) -> list[tuple[int, int]]:
    """Points in the side margins and the top strip of the square format."""
    left = scatter(seed, count // 3, (10, 40, 100, 720))
    right = scatter(seed + 1, count // 3, (980, 40, 1070, 720))
    top = scatter(seed + 2, count - 2 * (count // 3), (140, 14, 940, 70))
    return left + right + top


def square_carnations(draw: Draw) -> None:
    gradient(draw, "#FCE4EC", "#F8BBD0", height=SQUARE)
    for i, (x, y) in enumerate(square_edges(241, 15)):
        heart(draw, x, y, 14 + (i % 3) * 6, ("#EC407A", "#F48FB1", "#D81B60")[i % 3])
    for x in (60, 1020):
        draw.line([(x, 760), (x, 620)], fill="#66BB6A", width=8)
        leaf(draw, x + 18, 690, 50, -0.8, "#66BB6A")
        for k in range(8):
            a = 2 * math.pi * k / 8
            circle(draw, x + 22 * math.cos(a), 600 + 22 * math.sin(a), 16, "#E91E63")
        circle(draw, x, 600, 14, "#F8BBD0")


def square_guard(draw: Draw) -> None:
    gradient(draw, "#0D3B8C", "#1976D2", height=SQUARE)
    shield(draw, 70, 110, 90, "#FF9800", "#0D3B8C")
    shield(draw, 1010, 110, 90, "#FF9800", "#0D3B8C")
    for x, y in scatter(251, 14, (10, 230, 100, 740)) + scatter(252, 14, (980, 230, 1070, 740)):
        draw.rectangle([x - 5, y - 5, x + 5, y + 5], fill="#64B5F6")
    draw.rectangle([0, 730, WIDTH, 745], fill="#FF9800")


def square_wheat(draw: Draw) -> None:
    gradient(draw, "#F1F8E9", "#DCEDC8", height=SQUARE)
    sun(draw, 1000, 70, 40, "#FFB300")
    for x in (40, 80, 1000, 1040):
        draw.line([(x, 760), (x, 420)], fill="#9CCC65", width=6)
        for k in range(6):
            leaf(draw, x - 10, 440 + k * 34, 34, -1.0, "#C0CA33")
            leaf(draw, x + 10, 440 + k * 34, 34, 1.0 + math.pi, "#C0CA33")
    waves(draw, 735, 8, 180, "#AED581", bottom=SQUARE_PANEL[3])


# ---------------------------------------------------------------- catalogue and output


@dataclass(frozen=True)
class Background:
    name: str
    painter: Painter
    panel: str  # the bottom card's colour
    height: int = HEIGHT  # HEIGHT (portrait poster) or SQUARE

    @property
    def card(self) -> tuple[int, int, int, int]:
        return PANEL if self.height == HEIGHT else SQUARE_PANEL


BACKGROUNDS: tuple[Background, ...] = (
    Background("festival-red-lanterns", red_lanterns, "#FFF6E5"),
    Background("festival-red-fireworks", red_fireworks, "#FFF6E5"),
    Background("festival-yuanxiao-night", yuanxiao_night, "#FFF8EC"),
    Background("festival-zongzi-green", zongzi_green, "#F3FBF2"),
    Background("festival-qixi-stars", qixi_stars, "#FDF3FA"),
    Background("festival-moon-night", moon_night, "#F3F7FC"),
    Background("festival-chongyang-gold", chongyang_gold, "#FFF8EC"),
    Background("festival-national-red", national_red, "#FFF6E5"),
    Background("festival-laba-warm", laba_warm, "#FFF8EC"),
    Background("festival-harvest-field", harvest_field, "#FFFDF5"),
    Background("solar-spring-leaves", spring_leaves, "#FFFFFF"),
    Background("solar-spring-rain", spring_rain, "#FFFFFF"),
    Background("solar-summer-sun", summer_sun, "#FFFFFF"),
    Background("solar-summer-lotus", summer_lotus, "#FFFFFF"),
    Background("solar-autumn-maple", autumn_maple, "#FFFDF8"),
    Background("solar-autumn-dew", autumn_dew, "#FFFFFF"),
    Background("solar-winter-snow", winter_snow, "#FFFFFF"),
    Background("solar-winter-plum", winter_plum, "#FFFFFF"),
    Background("antifraud-shield-blue", shield_blue, "#FFFFFF"),
    Background("antifraud-alert-orange", alert_orange, "#FFFFFF"),
    Background("antifraud-lock-navy", lock_navy, "#F5F8FC"),
    Background("antifraud-phone-guard", phone_guard, "#FFFFFF"),
    Background("product-teal-coins", teal_coins, "#FFFFFF"),
    Background("product-navy-growth", navy_growth, "#F5F8FC"),
    Background("product-teal-umbrella", teal_umbrella, "#FFFFFF"),
    Background("product-navy-card", navy_card, "#F5F7FF"),
    Background("product-mobile-teal", mobile_teal, "#FFFFFF"),
    Background("product-pension-sunset", pension_sunset, "#FFFDF5"),
    Background("region-guangxi-karst", guangxi_karst, "#FFFFFF"),
    Background("region-yunnan-water", yunnan_water, "#FFFFFF"),
    Background("region-fujian-sea", fujian_sea, "#FFFFFF"),
    Background("region-neimenggu-grassland", grassland, "#FFFFFF"),
    Background("region-guizhou-terraces", guizhou_terraces, "#FFFFFF"),
    Background("region-torch-night", torch_night, "#FFF8EC"),
    Background("region-hainan-coconut", hainan_coconut, "#FFFFFF"),
    Background("square-festival-carnations", square_carnations, "#FFFFFF", SQUARE),
    Background("square-antifraud-guard", square_guard, "#FFFFFF", SQUARE),
    Background("square-solar-wheat", square_wheat, "#FFFFFF", SQUARE),
)
BY_NAME = {b.name: b for b in BACKGROUNDS}


def draw(name: str) -> Image.Image:
    """The background `name` as a palette image (at most COLOURS colours)."""
    spec = BY_NAME[name]
    image = Image.new("RGB", (WIDTH, spec.height), "#FFFFFF")
    canvas = ImageDraw.Draw(image)
    spec.painter(canvas)
    canvas.rounded_rectangle(spec.card, radius=36, fill=spec.panel)
    return image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def png_bytes(name: str) -> bytes:
    buffer = io.BytesIO()
    draw(name).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main(out_dir: Path = OUT_DIR) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for spec in BACKGROUNDS:
        data = png_bytes(spec.name)
        (out_dir / f"{spec.name}.png").write_bytes(data)
        total += len(data)
        print(f"{spec.name}.png {len(data) // 1024} KB")
    print(f"{len(BACKGROUNDS)} backgrounds, {total // 1024} KB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR))
