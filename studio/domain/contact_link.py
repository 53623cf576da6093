"""A staff member's contact link (e.g. a WeCom 获客链接 https://work.weixin.qq.com/ca/cawcde…) and job title.

Pure: the allow-list of hosts comes in as a value (STUDIO_CONTACT_LINK_HOSTS). The link ends up in a QR code on
posters that customers scan, so it is held to a narrow shape rather than "whatever urlsplit accepts":
https only; printable ASCII from RFC 3986's character set (so no whitespace, control, zero-width or
homoglyph characters, and no backslash that browsers would read as a slash); no userinfo (the `user@` trick),
no port other than 443, no fragment; the host exactly an allow-listed host or a subdomain of one, every label
plain `[a-z0-9-]` (no punycode `xn--` label, no percent-escape, no trailing dot, no IP address). The result is
normalised: scheme and host in lower case, the default port dropped.

Partners' tracked links add one query parameter to the owner's link (`with_channel`): WeCom's acquisition
links count a `customer_channel=<string>` (at most 64 bytes) and report it as the contact's `state`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from studio.errors import ValidationError

MAX_LINK_LENGTH = 500
MAX_TITLE_LENGTH = 12
MAX_CHANNEL_BYTES = 64  # WeCom truncates a longer customer_channel

# RFC 3986 unreserved + reserved + "%": the only characters a link may hold ("#" is refused separately).
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=%#]*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Characters a job title cannot hold: markup and template syntax (it is printed on posters and pages).
_TITLE_FORBIDDEN = set("<>{}[]`\\|*#_~$^@")


def _refuse(reason_en: str, reason_zh: str) -> ValidationError:
    return ValidationError(f"contact link refused: {reason_en}", f"联系链接未接受：{reason_zh}")


def valid_host(host: str) -> bool:
    """A lower-case ASCII DNS name of at least two labels, none of them punycode (for the allow-list too)."""
    return bool(_HOST.fullmatch(host)) and not any(label.startswith("xn--") for label in host.split("."))


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """The host is an allowed host or a subdomain of one (`a.work.weixin.qq.com`, never `work.weixin.qq.com.x`)."""
    return valid_host(host) and any(host == base or host.endswith("." + base) for base in allowed)


def _check_characters(link: str) -> None:
    if not link:
        raise _refuse("the link is empty", "链接为空。")
    if len(link) > MAX_LINK_LENGTH:
        raise _refuse(f"longer than {MAX_LINK_LENGTH} characters", f"链接超过 {MAX_LINK_LENGTH} 个字符。")
    for char in link:
        category = unicodedata.category(char)
        if char.isspace() or category[0] in "CZ":
            raise _refuse(
                f"it contains whitespace or an invisible character (U+{ord(char):04X})",
                "链接中含有空格、换行或不可见字符。",
            )
    if not link.isascii():
        raise _refuse(
            "it contains non-ASCII characters (look-alike letters are refused; percent-encode the rest)",
            "链接中含有非英文字符（可能是形近字伪装的网址）。",
        )
    if not _URL_CHARS.fullmatch(link):
        bad = next(c for c in link if not _URL_CHARS.fullmatch(c))
        raise _refuse(f"the character {bad!r} is not allowed in a link", f"链接中含有不允许的字符“{bad}”。")


def _host_and_port(netloc: str, allowed: Iterable[str]) -> str:
    if "@" in netloc:
        raise _refuse("a user name before the host ('user@host') is not allowed", "链接的网址中不得含有“@”。")
    bracketed = netloc.startswith("[")  # an IPv6 literal: never an allowed host, whatever its port
    host, colon, port = (netloc, "", "") if bracketed else netloc.partition(":")
    if colon and port != "443":
        raise _refuse("only the standard HTTPS port (443) is allowed", "链接不得指定非标准端口。")
    host = host.lower()
    allowed = list(allowed)
    if not host_allowed(host, allowed):
        shown = "、".join(allowed) or "（未配置）"
        raise _refuse(
            f"the host {host!r} is not one of the allowed hosts ({', '.join(allowed) or 'none configured'})",
            f"网址“{host}”不在允许的范围内，仅接受：{shown}。",
        )
    return host


def normalise_link(raw: str, allowed_hosts: Iterable[str]) -> str:
    """The link as stored, or ValidationError with a reason in English and Chinese. Surrounding whitespace
    (a pasted line break) is dropped; whitespace inside is refused."""
    link = raw.strip()
    _check_characters(link)
    parts = urlsplit(link)
    if parts.scheme.lower() != "https" or not link[len(parts.scheme) :].startswith("://"):
        raise _refuse("only https:// links are accepted", "仅接受以 https:// 开头的链接。")
    if "#" in link:
        raise _refuse("a fragment ('#…') is not allowed", "链接中不得含有“#”。")
    host = _host_and_port(parts.netloc, allowed_hosts)
    return urlunsplit(("https", host, parts.path, parts.query, ""))


def link_host(link: str | None) -> str | None:
    return urlsplit(link).hostname if link else None


def channel_value(code: str) -> str:
    """What a partner's tracked link carries: `p_<code>`."""
    return f"p_{code}"


def with_channel(link: str, param: str, value: str) -> str:
    """The link with `param=value` at the end of its query. Other parameters are kept exactly as written (their
    order and encoding); an existing `param` is replaced, since WeCom reports one channel per contact."""
    if len(value.encode()) > MAX_CHANNEL_BYTES:
        raise ValueError(f"channel value longer than {MAX_CHANNEL_BYTES} bytes")
    parts = urlsplit(link)
    kept = [pair for pair in parts.query.split("&") if pair and unquote_plus(pair.partition("=")[0]) != param]
    query = "&".join([*kept, f"{quote(param, safe='')}={quote(value, safe='')}"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def clean_job_title(raw: str | None) -> str | None:
    """The job title as stored (None when empty): one line of plain text, at most 12 characters."""
    if raw is None or not raw.strip():
        return None
    title = unicodedata.normalize("NFC", raw.strip())
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            f"the job title must have at most {MAX_TITLE_LENGTH} characters",
            f"职务最多 {MAX_TITLE_LENGTH} 个字。",
        )
    for char in title:
        if (
            unicodedata.category(char)[0] == "C"
            or (char.isspace() and char != " ")
            or char in _TITLE_FORBIDDEN
        ):
            raise ValidationError(
                "the job title must be plain text on one line (no markup, symbols or control characters)",
                "职务只能是一行纯文字，不能含有换行、符号或格式标记。",
            )
    return title
