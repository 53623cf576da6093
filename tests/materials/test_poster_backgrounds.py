"""The poster backgrounds are ours: drawn by library/posters/draw_backgrounds.py, byte for byte.

The script is the source of the PNGs; the committed files must be exactly what it writes (so nobody swaps
in artwork of unknown origin), small enough to ship, and each one must be used by a poster template.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import re
import sys
from types import ModuleType

import pytest
from PIL import Image

from .conftest import LIBRARY_DIR

POSTERS_DIR = LIBRARY_DIR / "posters"
BACKGROUNDS_DIR = POSTERS_DIR / "backgrounds"
MAX_FILE = 120 * 1024
MAX_TOTAL = 4 * 1024 * 1024


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("draw_backgrounds", POSTERS_DIR / "draw_backgrounds.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


DRAW = _script()
COMMITTED = sorted(BACKGROUNDS_DIR.glob("*.png"))


def _referenced() -> set[str]:
    """Background file names named by the poster entries (`background: backgrounds/<name>.png`)."""
    names: set[str] = set()
    for path in POSTERS_DIR.glob("*.yaml"):
        names |= set(
            re.findall(r"background: backgrounds/([a-z0-9-]+\.png)", path.read_text(encoding="utf-8"))
        )
    return names


def test_at_least_20_backgrounds_and_the_script_knows_exactly_the_committed_ones() -> None:
    names = {spec.name for spec in DRAW.BACKGROUNDS}
    assert len(names) == len(DRAW.BACKGROUNDS) >= 20
    assert {p.stem for p in COMMITTED} == names


@pytest.mark.parametrize("name", ["festival-red-lanterns", "solar-winter-snow", "region-hainan-coconut"])
def test_the_script_redraws_a_committed_background_byte_for_byte(name: str) -> None:
    committed = (BACKGROUNDS_DIR / f"{name}.png").read_bytes()
    assert hashlib.sha256(DRAW.png_bytes(name)).hexdigest() == hashlib.sha256(committed).hexdigest()


def test_a_changed_drawing_would_not_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack the check: a background drawn differently gives other bytes."""
    spec = DRAW.BY_NAME["festival-red-lanterns"]
    monkeypatch.setitem(DRAW.BY_NAME, spec.name, DRAW.Background(spec.name, spec.painter, "#000000"))
    committed = (BACKGROUNDS_DIR / f"{spec.name}.png").read_bytes()
    assert DRAW.png_bytes(spec.name) != committed


def test_backgrounds_are_small_portrait_palette_pngs() -> None:
    total = 0
    for path in COMMITTED:
        data = path.read_bytes()
        total += len(data)
        assert len(data) <= MAX_FILE, path.name
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.size in ((1080, 1920), (1080, 1080)), path.name
            assert len(image.getcolors(256) or ()) <= 64, path.name
    assert total <= MAX_TOTAL


def test_every_committed_background_is_used_and_every_used_one_exists() -> None:
    used = _referenced()
    assert {p.name for p in COMMITTED} == used


def test_the_copy_area_is_calm() -> None:
    """Text goes in the upper middle: there every background is a plain gradient (few colours per row);
    motifs keep to the edges, the top strip and the band above the card."""
    for path in COMMITTED:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
        copy_rows = range(420, 1050, 30) if rgb.height == 1920 else range(260, 700, 20)
        for y in copy_rows:
            row = rgb.crop((130, y, 950, y + 1))
            assert len(row.getcolors(1000) or ()) <= 3, f"{path.name}: busy at y={y}"
