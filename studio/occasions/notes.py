"""Chinese wording of the (English, CLI-facing) notes, for the UI."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^(\d{4}) statutory holidays not yet announced$"),
        r"\1年法定节假日安排尚未公布，放假与调休未列入。",
    ),
    (
        re.compile(r"^(\d{4}) statutory holidays not in the data \(covered: (\d{4})-(\d{4})\)$"),
        r"\1年法定节假日不在数据范围内（已收录 \2–\3 年）。",
    ),
    (
        re.compile(
            r"^(.+?): no date recorded for (\d{4}) \(announced yearly or set locally\); "
            r"HQ can enter it as a hot topic$"
        ),
        r"\1：\2年日期未收录（每年公布或由各地确定），总行可作为热点录入。",
    ),
)


def note_zh(note: str) -> str:
    for pattern, replacement in _PATTERNS:
        if pattern.match(note):
            return pattern.sub(replacement, note)
    return note
