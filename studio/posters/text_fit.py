"""Setting a layer's text in its box: CJK line breaking, shrinking within the layer's size range, refusal.

Lines break between any two CJK characters, but a run of printable ASCII (a word, a number, a phone
number, a URL) stays whole unless it alone is wider than the box. Closing punctuation never starts a line
and opening punctuation never ends one (禁则): the character before the break moves down with it. A line box
is one em high (CJK glyphs and Latin descenders stay inside it); lines are `line_spacing` em apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from studio.errors import ValidationError
from studio.posters.fonts import describe, font, missing_glyphs
from studio.posters.layout import OverlayLayer, TextLayer

# 行首禁则: never at the start of a line.
NO_LINE_START = frozenset("，。、；：？！）」』”’》〉】〕〗］｝〙〞…—·％‰℃,.;:?!)]}%、～")
# 行尾禁则: never at the end of a line.
NO_LINE_END = frozenset("（「『“‘《〈【〔〖［｛〘〝([{￥$¥")
ELLIPSIS = "…"
_TOKEN = re.compile(r"[\x21-\x7e]+|\n|.", re.DOTALL)

Lettered = TextLayer | OverlayLayer


class PosterTextDoesNotFit(ValidationError):
    """A layer's text does not fit its box even at the smallest size allowed."""

    def __init__(self, layer: str, min_size: int, max_lines: int) -> None:
        super().__init__(
            f"the text of layer {layer!r} does not fit its box even at the smallest font size {min_size} "
            f"(at most {max_lines} lines); shorten the text",
            f"图层“{layer}”的文字在最小字号 {min_size} 下仍放不下（最多 {max_lines} 行），请精简文字。",
        )
        self.layer = layer


class PosterGlyphsMissing(ValidationError):
    def __init__(self, layer: str, chars: str) -> None:
        shown = describe(chars)
        super().__init__(
            f"the text of layer {layer!r} has characters the poster font cannot draw: {shown}",
            f"图层“{layer}”的文字含有海报字体无法显示的字符：{shown}，请删除或替换。",
        )
        self.layer = layer
        self.chars = chars


@dataclass(frozen=True)
class Fitted:
    """A layer's text as set: font size in pixels, the lines, the distance between baselines."""

    size: int
    lines: tuple[str, ...]
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * (len(self.lines) - 1) + self.size if self.lines else 0


def clean(text: str) -> str:
    """Line ends to "\\n", tabs to spaces, trailing blanks of each line dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "\n".join(line.rstrip(" ") for line in text.split("\n")).strip("\n")


def stroke(layer: Lettered, size: int) -> int:
    """Bold is a stroke around the regular glyphs: about 1/36 em, at least one pixel."""
    return max(1, round(size / 36)) if layer.bold else 0


@lru_cache(maxsize=65536)
def _advance(size: int, token: str) -> float:
    return font(size).getlength(token)


def tokens_of(paragraph: str) -> list[str]:
    return _TOKEN.findall(paragraph)


def _split_long(tokens: list[str], size: int, width: float) -> list[str]:
    """A token wider than the whole line (a very long ASCII run) is broken into characters."""
    out: list[str] = []
    for token in tokens:
        out.extend(list(token) if len(token) > 1 and _advance(size, token) > width else [token])
    return out


def _break_at(tokens: list[str], start: int, end: int) -> int:
    """Move the break at `end` back so no line starts with closing or ends with opening punctuation."""
    k = end
    while k - 1 > start and (tokens[k][0] in NO_LINE_START or tokens[k - 1][-1] in NO_LINE_END):
        k -= 1
    return k


def wrap_paragraph(paragraph: str, size: int, width: float) -> list[str]:
    """One paragraph (no newline) as lines no wider than `width` where the font allows."""
    tokens = _split_long(tokens_of(paragraph), size, width)
    lines: list[str] = []
    start, used, i = 0, 0.0, 0
    while i < len(tokens):
        advance = _advance(size, tokens[i])
        if used + advance <= width or i == start:
            used += advance
            i += 1
            continue
        i = _break_at(tokens, start, i)
        lines.append("".join(tokens[start:i]).rstrip(" "))
        while i < len(tokens) and tokens[i] == " ":  # a space at a break is not carried down
            i += 1
        start, used = i, 0.0
    if start < len(tokens) or not lines:
        lines.append("".join(tokens[start:]).rstrip(" "))
    return lines


def wrap(text: str, size: int, width: float) -> list[str]:
    """Explicit newlines are kept; each paragraph is wrapped on its own."""
    return [line for paragraph in clean(text).split("\n") for line in wrap_paragraph(paragraph, size, width)]


def _set_at(text: str, layer: Lettered, size: int) -> Fitted | None:
    """The text set at `size`, or None when it overflows the box or the line limit."""
    width = layer.box.w - 2 * stroke(layer, size)
    lines = wrap(text, size, width)
    set_text = Fitted(size, tuple(lines), max(size, round(size * layer.line_spacing)))
    if len(lines) > layer.max_lines or set_text.height + 2 * stroke(layer, size) > layer.box.h:
        return None
    if any(font(size).getlength(line) > width for line in lines):
        return None
    return set_text


def fit(text: str, layer: Lettered) -> Fitted:
    """The largest size in the layer's range at which the text fits (binary search: a smaller size never
    needs more room); refuses characters the font lacks and text that does not fit at the smallest size."""
    text = clean(text)
    missing = missing_glyphs(text)
    if missing:
        raise PosterGlyphsMissing(layer.name, missing)
    low, high = layer.font_size
    best = _set_at(text, layer, low)
    if best is None:
        raise PosterTextDoesNotFit(layer.name, low, layer.max_lines)
    while low < high:
        middle = (low + high + 1) // 2
        attempt = _set_at(text, layer, middle)
        if attempt is None:
            high = middle - 1
        else:
            low, best = middle, attempt
    return best


def fit_or_cut(text: str, layer: Lettered) -> Fitted:
    """Like `fit`, but never refuses (a staff member's name on their own page): characters the font lacks
    are dropped, and text still too long at the smallest size is cut with "…"."""
    missing = set(missing_glyphs(text))
    text = "".join(c for c in clean(text) if c not in missing)
    try:
        return fit(text, layer)
    except PosterTextDoesNotFit:
        pass
    size = layer.font_size[0]
    width = layer.box.w - 2 * stroke(layer, size)
    line_height = max(size, round(size * layer.line_spacing))
    room = max(1, min(layer.max_lines, (layer.box.h - size) // line_height + 1))
    lines = wrap(text, size, width)
    if len(lines) <= room:  # no line too many: a glyph wider than the box, drawn clipped
        return Fitted(size, tuple(lines), line_height)
    last = lines[room - 1]
    while last and font(size).getlength(last + ELLIPSIS) > width:
        last = last[:-1]
    return Fitted(size, (*lines[: room - 1], last.rstrip(" ") + ELLIPSIS), line_height)
