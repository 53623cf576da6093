"""A post's images on 今日内容: rendered for the logged-in staff member (their name, title and e-card QR),
each as a plain <img> (long-press saves it on a phone) with a 下载图片 button; 九宫格 posts as a 3-column grid.
A poster that cannot be rendered shows a Chinese message on that post only: the page keeps working."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from studio.domain.views import DailyPost
from studio.errors import StudioError
from studio.services import posters
from studio.ui.components import md

log = logging.getLogger(__name__)
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
GRID = 3


def file_name(post: DailyPost, index: int, count: int, media_type: str) -> str:
    """<template code>-<yyyymmdd>.png; numbered when the post has several images."""
    stem = f"{post.template_code or 'post'}-{post.day:%Y%m%d}"
    number = f"-{index + 1}" if count > 1 else ""
    return f"{stem}{number}.{_EXT.get(media_type, 'png')}"


def _images(
    post: DailyPost, load: Callable[[], list[posters.PosterImage]]
) -> list[posters.PosterImage] | None:
    """The post's images, or None (after showing why) when they cannot be made."""
    try:
        return load()
    except StudioError as error:
        st.error(f"图片生成失败：{md(error.message_zh)}")
    except Exception:  # the page must keep working whatever one poster does
        log.exception("images of slot %s not rendered", post.slot_id)
        st.error("图片暂时无法生成，请稍后刷新重试；文案仍可复制使用。")
    return None


def _one(post: DailyPost, image: posters.PosterImage, index: int, count: int) -> None:
    try:
        data = Path(image.path).read_bytes()
    except OSError:
        log.exception("image file %s of slot %s unreadable", image.path, post.slot_id)
        st.error("图片文件暂时无法读取，请稍后刷新重试。")
        return
    st.image(data, width="stretch", alt=f"{post.title} 图{index + 1}")
    st.download_button(
        "下载图片",
        data=data,
        file_name=file_name(post, index, count, image.media_type),
        mime=image.media_type,
        key=f"download-{post.slot_id}-{index}",
        on_click="ignore",
        icon=":material/download:",
    )


def post_images(post: DailyPost, load: Callable[[], list[posters.PosterImage]]) -> None:
    """Show the post's images as `load` gives them (rendered for the staff member); nothing for a text-only
    post."""
    images = _images(post, load)
    if not images:
        return
    if len(images) == 1:
        _one(post, images[0], 0, 1)
        return
    st.caption(f"共 {len(images)} 张图片，长按图片可保存到手机")
    for row in range(0, len(images), GRID):
        columns = st.columns(GRID)
        for offset, image in enumerate(images[row : row + GRID]):
            with columns[offset]:
                _one(post, image, row + offset, len(images))
