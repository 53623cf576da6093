"""Recognisers for personal information: candidate pattern → checksum/structure → context words → why."""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.compliance.pii.checksums import luhn_valid, resident_id_valid, uscc_valid

# `\b` does not separate CJK characters from digits (手机13800138000): use explicit look-arounds.
# Each pattern starts with a character class and checks the character before it with a two-character
# look-behind (`(?<![0-9a-z].)` right after the first character is `(?<![0-9a-z])` right before it):
# `re` can then skip in C to the positions where that class occurs instead of trying every position.
_DIGIT_RUN = re.compile(r"[0-9](?<![0-9a-z].)(?:[ \-]?[0-9]){10,18}(?:[ \-]?x)?(?![0-9a-z])", re.IGNORECASE)
_USCC = re.compile(
    r"[0-9a-hj-np-rtuwxy](?<![0-9a-z].)[0-9a-hj-np-rtuwxy][0-9]{6}[0-9a-hj-np-rtuwxy]{10}(?![0-9a-z])",
    re.IGNORECASE,
)
_GROUPS = re.compile(r"[0-9x]+", re.IGNORECASE)
_GROUP_SEPARATORS = re.compile(r"[ \-]")
_EMAIL = re.compile(
    r"(?<![a-z0-9._%+-])[a-z0-9._%+-]{1,64}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.IGNORECASE
)
_MOBILE = re.compile(r"(?:86)?1[3-9][0-9]{9}")
_CONTEXT_WINDOW = 12


@dataclass(frozen=True, slots=True)
class PiiMatch:
    recogniser: str
    start: int
    end: int
    why: str


def find_numbers(text: str) -> list[PiiMatch]:
    """Resident IDs, bank cards, mobile numbers and all-digit USCCs among the digit runs of `text`."""
    found: list[PiiMatch] = []
    for match in _DIGIT_RUN.finditer(text):
        found.extend(_classify_run(match.group(), match.start()))
    return found


def find_uscc(text: str) -> list[PiiMatch]:
    return [
        PiiMatch("uscc", m.start(), m.end(), "18位统一社会信用代码，校验位符合 GB 32100 (MOD 31)")
        for m in _USCC.finditer(text)
        if not m.group().isdigit() and uscc_valid(m.group())
    ]


def find_emails(text: str) -> list[PiiMatch]:
    return [
        PiiMatch("email", m.start(), m.end(), "电子邮箱地址格式（local@domain.tld）")
        for m in _EMAIL.finditer(text)
    ]


def _classify_run(run: str, offset: int) -> list[PiiMatch]:
    """Try the whole run, then runs of adjacent digit groups (a phone number followed by a year …)."""
    groups = [m.span() for m in _GROUPS.finditer(run)]
    candidates = sorted(
        ((groups[i][0], groups[j - 1][1]) for i in range(len(groups)) for j in range(i + 1, len(groups) + 1)),
        key=lambda span: span[0] - span[1],  # longest first
    )
    taken: list[PiiMatch] = []
    for start, end in candidates:
        if any(start < t.end - offset and t.start - offset < end for t in taken):
            continue
        value = _GROUP_SEPARATORS.sub("", run[start:end])
        kind_why = _identify(value)
        if kind_why:
            taken.append(PiiMatch(kind_why[0], offset + start, offset + end, kind_why[1]))
    return taken


def _identify(value: str) -> tuple[str, str] | None:
    if len(value) == 18 and resident_id_valid(value):
        return "resident_id", "18位居民身份证号码：出生日期有效，校验位符合 GB 11643 MOD 11-2"
    if not value.isdigit():
        return None
    if 16 <= len(value) <= 19 and luhn_valid(value):
        prefix = "，62 开头为银联卡号段" if value.startswith("62") else ""
        return "bank_card", f"{len(value)}位数字且通过 Luhn 校验，符合银行卡号特征{prefix}"
    if len(value) == 18 and uscc_valid(value):
        return "uscc", "18位统一社会信用代码，校验位符合 GB 32100 (MOD 31)"
    if len(value) in (11, 13) and _MOBILE.fullmatch(value):
        return "mobile", "11位手机号码，号段 1[3-9] 开头"
    return None


def context_word(text: str, start: int, end: int, words: tuple[str, ...]) -> str | None:
    around = text[max(0, start - _CONTEXT_WINDOW) : end + _CONTEXT_WINDOW]
    return next((w for w in words if w in around), None)
