"""Small rendering helpers shared by pages. User text is escaped before any HTML is built."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from studio.domain.enums import Severity, Verdict

_SEVERITY_ICON = {
    "block": ":red[:material/block:]",
    "review": ":orange[:material/warning:]",
    "info": ":blue[:material/info:]",
}
_HIGHLIGHT_CSS = (
    "<style>.studio-text{white-space:pre-wrap;line-height:1.8;border:1px solid #ddd;border-radius:6px;"
    "padding:.6rem .8rem}.studio-text mark.sev-block{background:#ffc9c9}.studio-text mark.sev-review"
    "{background:#ffec99}.studio-text mark.sev-info{background:#d0ebff}</style>"
)


# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them stops
# every syntax-level construct (links, images, HTML, emphasis, code, math, `:color[...]` directives).
# Streamlit also rewrites *text nodes*, after escapes are resolved: GFM literal autolinks (`https://`,
# `www.`, e-mail), `:material_icon:`/`:streamlit:` and emoji shortcodes. An invisible WORD JOINER
# after `:` and `@`, and before a `www.`, breaks those patterns without changing what people read.
_WORD_JOINER = "\u2060"
_MARKDOWN_ACTIVE = re.compile(r"www(?=\.)|[!-/:-@\[-`{-~]", re.IGNORECASE)


def _inert(match: re.Match[str]) -> str:
    char = match.group()
    if len(char) > 1:  # `www.`: a literal autolink needs a start, space or punctuation right before it
        return _WORD_JOINER + char
    return "\\" + char + (_WORD_JOINER if char in ":@" else "")


def md(text: object) -> str:
    """User text made inert inside Streamlit markdown: shown as typed, never as links, images, HTML,
    emphasis, math, colours or icons. Use it for every user-writable value that reaches a markdown
    sink (st.markdown/caption/write, alerts, toasts, and the labels of widgets, expanders and tabs)."""
    return _MARKDOWN_ACTIVE.sub(_inert, str(text))


def verdict_badge(verdict: str) -> None:
    v = Verdict(verdict)
    if v is Verdict.BLOCK:
        st.error(f"合规检查：{v.label}")
    elif v is Verdict.REVIEW:
        st.warning(f"合规检查：{v.label}")
    else:
        st.success(f"合规检查：{v.label}")


def findings_list(findings: list[dict[str, Any]]) -> None:
    if not findings:
        st.caption("未发现合规问题。")
        return
    for f in findings:
        icon = _SEVERITY_ICON.get(f["severity"], "")
        where = f"“{md(f['text'])}”" if f.get("text") else "（缺少必要内容）"
        if f.get("image"):  # a finding in the text of a post's image (studio/services/post_images.py)
            where = f"图{int(f['image'])}中 {where}"
        with st.container(border=True):
            st.markdown(f"{icon} **{f['code']}** {Severity(f['severity']).label} · {where}")
            st.text(f"{f['message']}\n依据：{f['source']}\n建议：{f['suggestion']}")


def highlighted(text: str, findings: list[dict[str, Any]]) -> None:
    """The text with finding spans marked; every character of it is HTML-escaped first."""
    from studio.compliance import Finding
    from studio.compliance.highlight import highlight_html

    # Findings in a post's images index the image's text, not this one: the images show them (boxes).
    markup = highlight_html(text, [Finding.model_validate(f) for f in findings if not f.get("image")])
    # st.html, not st.markdown: escaped text must not be read as markdown (links, images) either.
    st.html(_HIGHLIGHT_CSS + f'<div class="studio-text">{markup}</div>')


_DIFF_CSS = (
    "<style>.studio-diff{white-space:pre-wrap;line-height:1.8;border:1px solid #ddd;border-radius:6px;"
    "padding:.6rem .8rem}.studio-diff ins{background:#d3f9d8;text-decoration:none}"
    ".studio-diff del{background:#ffe3e3}</style>"
)


def diff_view(parent: str, text: str) -> None:
    """Changed spans against the approved parent: insertions green, deletions struck red (escaped)."""
    from studio.localisation.diff import diff_html

    st.html(_DIFF_CSS + f'<div class="studio-diff">{diff_html(parent, text)}</div>')
