"""The one font posters are set in: the bundled Noto Sans CJK SC subset (fonts/README.md), loaded from the
package with importlib.resources, never from the system. Layout is Pillow's BASIC engine on every machine
(no raqm, no bidi reordering), so the same text gives the same pixels wherever the studio runs."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from io import BytesIO
from pathlib import Path

from PIL import ImageFont

FONT_FILE = "NotoSansSC-Subset.otf"
_PROBE_SIZE = 32
_NOT_IN_FONT = "\ue000"  # a private-use code point the subset has no glyph for: it draws .notdef


def _source() -> str | BytesIO:
    """The font file's path when the package is on disk (FreeType reads it as needed), else its bytes."""
    ref = resources.files("studio.posters").joinpath("fonts", FONT_FILE)
    return str(ref) if isinstance(ref, Path) else BytesIO(ref.read_bytes())


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The font at `size` pixels (cached: opening the 3 MB CFF font takes milliseconds)."""
    return ImageFont.truetype(_source(), size, layout_engine=ImageFont.Layout.BASIC)


def _signature(char: str) -> tuple[tuple[int, int], bytes, float]:
    probe = font(_PROBE_SIZE)
    mask = probe.getmask(char)
    return mask.size, bytes(mask), probe.getlength(char)


@lru_cache(maxsize=1)
def _notdef() -> tuple[tuple[int, int], bytes, float]:
    return _signature(_NOT_IN_FONT)


@lru_cache(maxsize=65536)
def has_glyph(char: str) -> bool:
    """Whether the font draws `char` as itself: Pillow draws a missing character as .notdef, so a character
    whose mask and advance equal .notdef's is missing (control characters, emoji, bidi marks, rare hanzi)."""
    return _signature(char) != _notdef()


def missing_glyphs(text: str) -> str:
    """The characters of `text` the font lacks, each once, in order of first appearance (newlines are line
    breaks, not characters)."""
    seen: dict[str, None] = {}
    for char in text:
        if char != "\n" and char not in seen and not has_glyph(char):
            seen[char] = None
    return "".join(seen)


def describe(chars: str) -> str:
    """Characters for a message: printable ones as themselves with their code point, others by code point
    alone (an invisible bidi mark or a control character would otherwise show as nothing)."""
    return "、".join(
        f"“{c}” (U+{ord(c):04X})" if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}" for c in chars
    )
