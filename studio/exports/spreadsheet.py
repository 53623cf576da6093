"""Spreadsheet safety: a cell a user typed must never run as a formula in Excel, WPS or LibreOffice.

Two attacks, two controls:
- formula injection: a text cell whose first *visible* character starts a formula (`= + - @`, their
  fullwidth and small forms) gets an apostrophe in front. "Visible" matters: spreadsheets and import
  options trim leading spaces, and zero-width/formatting characters hide a formula from a reviewer.
- row injection: a bare CR is a record separator to Excel but not a quoted field to Python's csv module
  with an LF line terminator, so `欢迎\\r=cmd|...` used to start a new row with a live formula. Every text
  field is now quoted, and line breaks inside a cell are normalised to LF.
Numbers, dates and None are not text and pass through unchanged (a stored -5 stays a number).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TypeVar

_T = TypeVar("_T")

# OWASP's CSV-injection list plus the fullwidth (FF1D..) and small (FE66..) forms some apps fold to ASCII.
_FORMULA_CHARS = frozenset("=+-@＝＋－＠﹦﹢﹣﹫")
# Characters that look like nothing: skipped when deciding what a cell "starts with".
_BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
_BLANK_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, braille blank
_LINE_BREAKS = re.compile(r"\r\n?")
# XML 1.0 forbids these; openpyxl refuses the whole workbook if one appears in a cell.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _blank(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_EXTRA or unicodedata.category(ch) in _BLANK_CATEGORIES


def _needs_escape(text: str) -> bool:
    if text[:1] in ("\t", "\r", "\n"):
        return True
    for ch in text:
        if not _blank(ch):
            return ch in _FORMULA_CHARS
    return False


def escape_cell(value: _T) -> _T | str:
    """Prefix a text cell that would start a formula with an apostrophe; numbers and dates pass through."""
    if isinstance(value, str) and _needs_escape(value):
        return "'" + value
    return value


def csv_cell(value: _T) -> _T | str:
    """A CSV field: line breaks normalised to LF (a bare CR must never end a record), then escaped."""
    if isinstance(value, str):
        return escape_cell(_LINE_BREAKS.sub("\n", value))
    return escape_cell(value)


def xlsx_cell(value: _T) -> _T | str:
    """An XLSX cell value: characters XML cannot carry removed, then escaped (openpyxl writes any text
    starting with '=' as a formula, so the escape also keeps it a string)."""
    if isinstance(value, str):
        return escape_cell(_XLSX_ILLEGAL.sub("", value))
    return escape_cell(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 CSV (CRLF records) with every text field quoted, so no character inside a field can end
    the record or the field in any reader."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    # A BOM so Excel opens UTF-8 Chinese correctly.
    return "\ufeff" + out.getvalue()
