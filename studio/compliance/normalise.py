"""Normalise text for matching while keeping a map back to the original characters.

Two steps, both chosen so a finding can always be mapped back to the ORIGINAL text:

1. `fold`: one-to-one character replacements (full-width letters/digits/symbols → ASCII, traditional →
   simplified Chinese from OpenCC's character table, A-Z → a-z, circled digits → digits). Same length,
   so offsets do not move. Full-width Chinese punctuation (，。！) is deliberately left alone: it is a
   clause boundary, and folding `，` to `,` (what NFKC does) buys nothing.
2. `drop`: zero-width characters anywhere, and runs of separators (spaces, `*`, `.`, emoji …) *between
   two Chinese characters* (保 本, 保*本, 保.本, 保🔥本). Dropping only between word characters keeps
   `3.5%` and line breaks intact. Each dropped run is recorded so spans map back.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from pathlib import Path

ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"
# Separators as they look AFTER folding (so full-width ＊ is already *).
SEPARATORS = " \t\u00a0\u3000*.·•‧∙⋅・﹒_~|/\\^+=#`'\"-…‥⋯\ufe0f"
EMOJI_RANGES: tuple[tuple[int, int], ...] = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF))
# Only separators between two Chinese characters are dropped: ASCII words, e-mail addresses, URLs and
# decimals (3.5%) keep their dots and spaces.
_WORD_CLASS = "\u3400-\u4dbf\u4e00-\u9fff"
_EMOJI_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in EMOJI_RANGES)
# Runs of separator characters; whether a run is dropped depends on its neighbours (checked in Python:
# a look-behind/alternation regex is several times slower on long texts).
_SEPARATOR_RUN = re.compile(f"[{re.escape(SEPARATORS)}{ZERO_WIDTH}{_EMOJI_CLASS}]+")
_ZERO_WIDTH_CHAR = re.compile(f"[{ZERO_WIDTH}]")
# Clause and sentence boundaries used by context windows (full-width and ASCII forms).
CLAUSE_BOUNDARIES = "。！？；，,!?;\n"
SENTENCE_BOUNDARIES = "。！？；!?;\n"

_CIRCLED = {"⓪": "0", **{chr(0x2460 + i): str(i + 1) for i in range(9)}}
_CIRCLED.update({chr(0x2776 + i): str(i + 1) for i in range(9)})  # ❶-❾
_CIRCLED.update({chr(0x2780 + i): str(i + 1) for i in range(9)})  # ➀-➈
# Full-width characters worth folding: letters, digits and the symbols used in terms or as separators.
_FULL_WIDTH = "０１２３４５６７８９＊．％＠－＿～｜＋＃／＝＾＇＂｀" + "".join(
    chr(c) for c in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
)
CHINESE_DIGITS = {
    "〇": "0",
    "零": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_DIGIT_TABLE = {ord(k): v for k, v in CHINESE_DIGITS.items()}  # str.translate's form, built once


def _opencc_dir() -> Path | None:
    try:
        import opencc  # opencc-python-reimplemented ships OpenCC's dictionary text files
    except ImportError:  # pragma: no cover - dependency declared in pyproject
        return None
    return Path(opencc.__file__).resolve().parent / "dictionary"


@lru_cache(maxsize=1)
def traditional_map() -> dict[str, str]:
    """Single traditional (and TW/HK variant) character → single simplified character.

    Only one-to-one BMP entries are kept: a one-character map keeps offsets 1:1, and astral characters
    would make the regex character class below fall back to a slow linear scan.
    """
    directory = _opencc_dir()
    if directory is None:
        return {}

    def read(name: str) -> dict[str, str]:
        path = directory / name
        pairs: dict[str, str] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                value = values.split(" ")[0] if values else ""
                if len(key) == 1 and len(value) == 1 and ord(key) < 0x10000 and ord(value) < 0x10000:
                    pairs[key] = value
        return pairs

    to_simplified = read("TSCharacters.txt")
    table = {k: v for k, v in to_simplified.items() if k != v}
    for name in ("TWVariantsRev.txt", "HKVariantsRev.txt"):  # regional variant → standard traditional
        for key, value in read(name).items():
            target = to_simplified.get(value, value)
            if key != target and key not in table and key not in to_simplified.values():
                table[key] = target
    return table


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Every one-to-one replacement `fold` applies (character → character)."""
    table = dict(traditional_map())
    for ch in _FULL_WIDTH:
        table[ch] = chr(ord(ch) - 0xFEE0).lower()
    table["\u3000"] = " "
    for code in range(ord("A"), ord("Z") + 1):
        table[chr(code)] = chr(code + 32)
    table.update(_CIRCLED)
    return table


@lru_cache(maxsize=1)
def _fold_re() -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(sorted(fold_table()))) + "]")


def _gate_singles() -> list[str]:
    chars = [c for c in fold_table() if not c.isascii()]
    chars += [c for c in ZERO_WIDTH + SEPARATORS if not c.isascii()]
    return sorted(set(chars))


@lru_cache(maxsize=1)
def gate_re() -> re.Pattern[str]:
    """Any non-ASCII character that normalising could change or drop: folded characters (traditional,
    full-width, circled digits), zero-width characters, non-ASCII separators and emoji. ASCII separators
    are found by `text_gates`."""
    return re.compile("[" + re.escape("".join(_gate_singles())) + _EMOJI_CLASS + "]")


@lru_cache(maxsize=1)
def gate_chars() -> tuple[str, ...]:
    """Every character `gate_re` matches, one by one (for an automaton that reports them in its pass)."""
    emoji = (chr(code) for first, last in EMOJI_RANGES for code in range(first, last + 1))
    return tuple(sorted(set(_gate_singles()).union(emoji)))


# Seven Chinese digits in a row: a phone or ID number spelled out (一三八〇〇一三八〇〇〇).
CHINESE_DIGIT_CHARS = "〇零一幺二两三四五六七八九"
CHINESE_DIGIT_RUN = re.compile(f"[{CHINESE_DIGIT_CHARS}][{CHINESE_DIGIT_CHARS}]{{6}}")
# Any two of them in a row: a text without one cannot hold such a run.
CHINESE_DIGIT_PAIRS = tuple(a + b for a in CHINESE_DIGIT_CHARS for b in CHINESE_DIGIT_CHARS)


def _byte_classes() -> bytes:
    """UTF-8 byte → class letter: digit 0, ASCII separator s, '@', continuation byte c, lead byte of a
    U+3000–U+9FFF character L, anything else '.'. `bytes.translate` applies it at memory speed."""
    table = bytearray(b"." * 256)
    for byte in b"0123456789":
        table[byte] = ord("0")
    for ch in SEPARATORS:
        if ch.isascii():
            table[ord(ch)] = ord("s")
    table[ord("@")] = ord("@")
    for byte in range(0x80, 0xC0):
        table[byte] = ord("c")
    for byte in range(0xE3, 0xEA):
        table[byte] = ord("L")
    return bytes(table)


_BYTE_CLASSES = _byte_classes()
_DIGIT_RUN_BYTES = re.compile(rb"0(?:s?0){5}")  # six digits, single separators allowed between groups
_SEP_THEN_WORD_BYTES = re.compile(rb"s+L")  # ASCII separators, then a CJK character


def byte_gates(text: str) -> tuple[bool, bool, bool]:
    """(ASCII separator inside Chinese text, run of ≥ 6 digits, '@' present) in three C-speed steps.

    Cheaper than reporting every digit and separator from the automaton (each report costs a Python
    loop iteration). The separator test may say yes for a full-width punctuation mark followed by a
    space; that only costs a normalisation pass that changes nothing.
    """
    classes = text.encode("utf-8", "surrogatepass").translate(_BYTE_CLASSES)
    # bytes.find is memchr-fast; a regex only runs where the cheap test already matched.
    separator = False
    index = classes.find(b"cs")
    while index >= 0:
        if _SEP_THEN_WORD_BYTES.match(classes, index + 1):
            separator = True
            break
        index = classes.find(b"cs", index + 2)
    index = classes.find(b"000")
    digits = index >= 0 and _DIGIT_RUN_BYTES.search(classes, max(0, index - 6)) is not None
    return separator, digits, b"@" in classes


_ASCII_SEPARATORS = re.escape("".join(ch for ch in SEPARATORS if ch.isascii()))
# Written so each regex starts with a character class: `re` then skips to candidate positions in C.
_SEPARATORS_THEN_WORD = re.compile(f"[{_ASCII_SEPARATORS}][{_ASCII_SEPARATORS}]*[\u3000-\u9fff]")
_THREE_DIGITS = re.compile("[0-9][0-9][0-9]")
_DIGIT_RUN = re.compile(f"[0-9](?:[{_ASCII_SEPARATORS}]?[0-9]){{5}}")


def separator_gate(text: str) -> bool:
    """`text_gates(text)[0]`: an ASCII separator run between a non-ASCII character and a CJK one."""
    for match in _SEPARATORS_THEN_WORD.finditer(text):
        start = match.start()
        if start and text[start - 1] >= "\x80":
            return True
    return False


def digits_gate(text: str) -> bool:
    """`text_gates(text)[1]`: six ASCII digits, single ASCII separators allowed between them."""
    three = _THREE_DIGITS.search(text)
    if three is None:
        return False
    first = three.start()
    return _DIGIT_RUN.search(text, first - 6 if first > 6 else 0) is not None


def text_gates(text: str) -> tuple[bool, bool, bool]:
    """`byte_gates(text)`, computed with three character-class regex searches on the string itself.

    Same answers (tests compare the two on generated text): a UTF-8 continuation byte before an ASCII
    separator is a non-ASCII character; a lead byte E3–E9 is a character U+3000–U+9FFF; the digit-run
    search starts six characters before the first three digits in a row, as `byte_gates` starts six
    bytes before them (a run that starts earlier and reaches them is all ASCII there, so bytes and
    characters coincide).
    """
    return separator_gate(text), digits_gate(text), "@" in text


_GATE: tuple[re.Pattern[str], dict[str, str]] | None = None


def needs_normalising(text: str) -> bool:
    """Would `normalise` change `text` because of a non-ASCII character? (One regex pass, no copy.)"""
    global _GATE
    if _GATE is None:
        _GATE = (gate_re(), fold_table())
    regex, table = _GATE
    for match in regex.finditer(text):
        ch = match.group()
        if ch in table or ch in ZERO_WIDTH or separator_inside_word(text, match.start()):
            return True
    return False


def separator_inside_word(text: str, index: int) -> bool:
    """Is the separator at `index` preceded by a Chinese character and followed by one (or a separator)?"""
    if index == 0 or index + 1 >= len(text) or not is_word_char(text[index - 1]):
        return False
    following = text[index + 1]
    return is_word_char(following) or is_separator(following)


def fold(text: str) -> str:
    """Apply the one-to-one character table. `len(fold(t)) == len(t)` always."""
    table = fold_table()
    return _fold_re().sub(lambda m: table[m.group()], text)


def is_word_char(ch: str) -> bool:
    """A character between which separators are dropped (a Chinese character)."""
    return ("\u4e00" <= ch <= "\u9fff") or ("\u3400" <= ch <= "\u4dbf")


def is_separator(ch: str) -> bool:
    if ch in SEPARATORS or ch in ZERO_WIDTH:
        return True
    code = ord(ch)
    return any(a <= code <= b for a, b in EMOJI_RANGES)


class Normalised:
    """Normalised text plus the runs dropped from it, so spans map back to the original.

    A plain slotted class, not a dataclass: one is created per check on the hot path.
    """

    __slots__ = ("original", "text", "run_positions", "run_cumulative")

    def __init__(
        self,
        original: str,
        text: str,
        run_positions: tuple[int, ...] = (),
        run_cumulative: tuple[int, ...] = (),
    ) -> None:
        self.original = original
        self.text = text
        # For each dropped run: its position in `text` and the total count dropped up to and including it.
        self.run_positions = run_positions
        self.run_cumulative = run_cumulative

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def to_original(self, index: int) -> int:
        """Original index of the normalised character at `index`."""
        k = bisect.bisect_right(self.run_positions, index)
        return index + (self.run_cumulative[k - 1] if k else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering normalised [start, end); inner dropped runs are included."""
        if end <= start:
            position = self.to_original(start)
            return position, position
        return self.to_original(start), self.to_original(end - 1) + 1


def normalise(text: str) -> Normalised:
    """Fold characters one-to-one, then drop zero-width characters and separators inside words."""
    folded = fold(text)
    pieces: list[str] = []
    positions: list[int] = []
    cumulative: list[int] = []
    last = removed = kept = 0
    length = len(folded)
    for match in _SEPARATOR_RUN.finditer(folded):
        start, end = match.span()
        # inside = both neighbours are Chinese characters (is_word_char, inlined: this loop is hot)
        inside = False
        if start > 0 and end < length:
            before, after = folded[start - 1], folded[end]
            inside = (("\u4e00" <= before <= "\u9fff") or ("\u3400" <= before <= "\u4dbf")) and (
                ("\u4e00" <= after <= "\u9fff") or ("\u3400" <= after <= "\u4dbf")
            )
        if not inside:
            run = match.group()
            if _ZERO_WIDTH_CHAR.search(run) is None:
                continue
            # outside a word only the zero-width characters go; drop them one by one
            for offset, ch in enumerate(run):
                if ch in ZERO_WIDTH:
                    pieces.append(folded[last : start + offset])
                    kept += start + offset - last
                    removed += 1
                    positions.append(kept)
                    cumulative.append(removed)
                    last = start + offset + 1
            continue
        pieces.append(folded[last:start])
        kept += start - last
        removed += end - start
        positions.append(kept)
        cumulative.append(removed)
        last = end
    if not positions:
        return Normalised(text, folded)
    pieces.append(folded[last:])
    return Normalised(text, "".join(pieces), tuple(positions), tuple(cumulative))


def normalise_key(term: str) -> str:
    """The form a lexicon term must have to match normalised text."""
    return normalise(term.strip()).text


def digit_view(text: str) -> str:
    """`text` with Chinese digit characters turned into ASCII digits (one-to-one, same length)."""
    return text.translate(_DIGIT_TABLE)
