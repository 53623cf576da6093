"""The poster part of a review item: the rendered poster beside the per-layer diff of its texts."""

from __future__ import annotations

import streamlit as st

from studio.services.poster_review import PosterReview
from studio.ui.components import diff_view, md


def poster_panel(review: PosterReview) -> None:
    """Image left (as rendered, without any staff overlay), each layer's text change right."""
    st.markdown("**海报（按本机构渲染，不含员工姓名与二维码）**")
    left, right = st.columns([2, 3])
    with left:
        if review.image is not None:
            st.image(review.image.path, width="stretch", alt="海报预览")
            st.caption(f"{review.image.width}×{review.image.height} · sha256 {review.image.sha256[:12]}…")
        else:
            st.error(f"海报无法生成：{md(review.image_error or '未知原因')}")
    with right:
        _layers(review)


def _layers(review: PosterReview) -> None:
    if review.texts_error:
        st.error(f"图层文字无法生成：{md(review.texts_error)}")
        return
    heading = f"与{review.compared_with}的逐图层差异" if review.compared_with else "各图层文字（首次提交）"
    st.markdown(f"**{heading}**")
    changed = sum(layer.changed for layer in review.layers)
    if review.compared_with:
        st.caption(f"共 {len(review.layers)} 个图层，{changed} 个有改动")
    for layer in review.layers:
        mark = "（有改动）" if layer.changed else ""
        st.caption(f"{md(layer.label)} · {md(layer.name)}{mark}")
        # Escaped HTML: insertions green, deletions struck red; unchanged or first texts plain.
        diff_view(layer.before if layer.before is not None else layer.after, layer.after)
