"""Small rendering helpers shared by pages. User text is escaped before any HTML is built."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from studio.domain.enums import Severity, Verdict

_SEVERITY_ICON = {"block": ":red[:material/block:]", "review": ":orange[:material/warning:]",
                  "info": ":blue[:material/info:]"}
_HIGHLIGHT_CSS = (
    "<style>.studio-text{white-space:pre-wrap;line-height:1.8;border:1px solid #ddd;border-radius:6px;"
    "padding:.6rem .8rem}.studio-text mark.sev-block{background:#ffc9c9}.studio-text mark.sev-review"
    "{background:#ffec99}.studio-text mark.sev-info{background:#d0ebff}</style>"
)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str) -> str:
    """User text made inert inside Streamlit markdown (no links, images, emphasis or icon codes)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


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
        with st.container(border=True):
            st.markdown(f"{icon} **{f['code']}** {Severity(f['severity']).label} · {where}")
            st.text(f"{f['message']}\n依据：{f['source']}\n建议：{f['suggestion']}")


def highlighted(text: str, findings: list[dict[str, Any]]) -> None:
    """The text with finding spans marked; every character of it is HTML-escaped first."""
    from studio.compliance import Finding
    from studio.compliance.highlight import highlight_html

    markup = highlight_html(text, [Finding.model_validate(f) for f in findings])
    # st.html, not st.markdown: escaped text must not be read as markdown (links, images) either.
    st.html(_HIGHLIGHT_CSS + f'<div class="studio-text">{markup}</div>')


_DIFF_CSS = ("<style>.studio-diff{white-space:pre-wrap;line-height:1.8;border:1px solid #ddd;border-radius:6px;"
             "padding:.6rem .8rem}.studio-diff ins{background:#d3f9d8;text-decoration:none}"
             ".studio-diff del{background:#ffe3e3}</style>")


def diff_view(parent: str, text: str) -> None:
    """Changed spans against the approved parent: insertions green, deletions struck red (escaped)."""
    from studio.localisation.diff import diff_html

    st.html(_DIFF_CSS + f'<div class="studio-diff">{diff_html(parent, text)}</div>')
