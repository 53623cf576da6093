"""图片素材 on 素材库: HQ editors upload backgrounds, theme skins and images from outside (外部图片: their text is
recognised and checked, findings boxed on the image); a small gallery of the latest ones."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import AssetKind, ContentType, OccasionKind, ProductType
from studio.domain.views import Actor, AssetView
from studio.services.assets import AssetTags, list_assets, upload_asset
from studio.services.post_images import asset_check
from studio.ui.checked_image import show_image_check
from studio.ui.components import md
from studio.ui.context import action, db
from studio.workflow.permissions import at_head_office, can

GALLERY = 8
_UPLOADABLE = [k for k in AssetKind if k is not AssetKind.RENDER]  # renders are the studio's own output


def _upload_form(actor: Actor) -> None:
    with st.form("asset-upload", clear_on_submit=True):
        file = st.file_uploader("图片（PNG、JPEG、WebP）", type=["png", "jpg", "jpeg", "webp"])
        title = st.text_input("图片标题", max_chars=100)
        kind = st.selectbox("图片用途", _UPLOADABLE, format_func=lambda k: k.label)
        left, right = st.columns(2)
        taggable = [k for k in OccasionKind if k.taggable]
        occasion_kind = left.selectbox("图片场景", taggable, format_func=lambda k: k.label)
        occasion = right.text_input("图片节日/节气（可选）", max_chars=60)
        content_type = left.selectbox("图片内容类型", list(ContentType), format_func=lambda k: k.label)
        product_type = right.selectbox("图片产品类型", list(ProductType), format_func=lambda k: k.label)
        region = left.text_input("图片地区（可选）", max_chars=20)
        if not st.form_submit_button("上传"):
            return
    if file is None:
        st.error("请选择图片文件。")
        return
    tags = AssetTags(
        occasion_kind=occasion_kind.value,
        occasion=occasion or None,
        content_type=content_type.value,
        product_type=product_type.value,
        region=region or None,
    )
    with action(), db() as session:
        view = upload_asset(session, actor, file.getvalue(), title=title, kind=kind.value, tags=tags)
        st.success(f"已上传图片素材：{md(view.title)}（{view.width}×{view.height}，编号 {view.id}）。")
        show_image_check(asset_check(session, actor, view.id))  # recognised text, verdict, boxes


def _gallery(items: list[AssetView]) -> None:
    if not items:
        st.caption("暂无图片素材。")
        return
    columns = st.columns(4)
    for i, asset in enumerate(items):
        with columns[i % 4]:
            st.image(asset.path, caption=f"{asset.title} · {asset.kind.label}", width="stretch")


def _recognised(actor: Actor, items: list[AssetView]) -> None:
    """The recognised text and verdict of one of the gallery's images from outside, boxes drawn."""
    photos = {a.id: a for a in items if a.kind is AssetKind.PHOTO}
    if not photos:
        return
    picked = st.selectbox(
        "查看外部图片的文字识别与合规结果",
        [0, *photos],
        format_func=lambda i: photos[i].title if i else "（不查看）",
        key="asset-ocr-pick",
    )
    if picked:
        with action(), db() as session:
            show_image_check(asset_check(session, actor, picked))


def asset_panel(actor: Actor) -> None:
    """The expander on 素材库: upload for HQ editors at head office, the latest images for everyone."""
    with st.expander("图片素材（海报背景、主题皮肤）"):
        if can(actor, "template.edit") and at_head_office(actor):
            _upload_form(actor)
        with action(), db() as session:
            page = list_assets(session, actor, limit=GALLERY)
            _gallery(page.items)
            _recognised(actor, page.items)
            if page.total > len(page.items):
                st.caption(f"共 {page.total} 张，显示最新 {len(page.items)} 张。")
