"""The template editor's 配图 (九宫格): pick library images in order, see them as a 3×3 grid."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import AssetKind, Channel
from studio.domain.views import Actor, AssetView
from studio.services.assets import list_assets
from studio.services.post_images import images_of, max_images
from studio.ui.context import action, db

CHOICES = 100  # the newest library images offered (the picker searches their titles as you type)


def _options(actor: Actor, version_id: int | None) -> tuple[dict[str, AssetView], list[str]]:
    options: dict[str, AssetView] = {}
    current: list[str] = []
    with action(), db() as session:
        for asset in list_assets(session, actor, limit=CHOICES).items:
            if asset.kind is not AssetKind.RENDER:
                options[asset.sha256] = asset
        if version_id:
            current = [image.sha256 for image in images_of(session, actor, "template_version", version_id)]
    return options, current


def pick_post_images(actor: Actor, prefix: str, channel: Channel, version_id: int | None = None) -> list[str]:
    """The sha256s of the images picked for the post, in the order picked; [] where the channel takes none."""
    limit = max_images(channel)
    if limit == 0:
        return []
    options, current = _options(actor, version_id)
    if not options:
        st.caption("配图：图片素材库中暂无图片，可在上方“图片素材”中上传。")
        return []
    picked: list[str] = st.multiselect(
        f"配图（按选择顺序排列；{channel.label}最多 {limit} 张；图中文字会一并做合规检查）",
        list(options),
        default=[sha for sha in current if sha in options][:limit],
        format_func=lambda sha: f"{options[sha].title}（{options[sha].kind.label}）",
        max_selections=limit,
        key=f"{prefix}-images",
    )
    if picked:
        columns = st.columns(3)
        for index, sha in enumerate(picked):
            with columns[index % 3]:
                st.image(options[sha].path, caption=f"图{index + 1} · {options[sha].title}", width="stretch")
    return picked
