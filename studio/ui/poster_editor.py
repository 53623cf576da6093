"""The poster part of the template editor (渠道 海报): a background from 图片素材, the layers as a table,
and the poster rendered with sample values; a text that does not fit is named by its layer."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from studio.domain.enums import AssetKind
from studio.domain.views import Actor, AssetView
from studio.errors import StudioError
from studio.localisation.draft import TemplateDraft
from studio.posters.layout import Align, OverlayField
from studio.services.assets import list_assets
from studio.services.poster_templates import preview_draft
from studio.ui.components import md
from studio.ui.context import db

KINDS = {"text": "文字", "overlay": "信息", "qr": "二维码"}
COLUMNS = {
    "name": "名称",
    "kind": "类型",
    "content": "文字 / 字段",
    "x": "x",
    "y": "y",
    "w": "宽",
    "h": "高",
    "min": "最小字号",
    "max": "最大字号",
    "color": "颜色",
    "align": "对齐",
    "lines": "最多行数",
    "bold": "加粗",
}
_FIELDS = {f.label: f.value for f in OverlayField}
_ALIGN = {"左": "left", "中": "center", "右": "right"}


def default_layers(width: int, height: int) -> list[dict[str, Any]]:
    """A starting layout for a new poster: a title, the branch name, the staff name and a QR code."""
    side = max(120, min(width, height) // 5)
    margin = width // 18
    return [
        {
            "name": "title",
            "kind": "text",
            "text": "{{ branch_name }}祝您节日快乐",
            "box": {"x": margin, "y": height // 10, "w": width - 2 * margin, "h": height // 6},
            "font_size": [36, 96],
            "max_lines": 2,
            "align": "center",
            "bold": True,
            "color": "#B22222",
        },
        {
            "name": "branch",
            "kind": "overlay",
            "field": "branch_name",
            "box": {"x": margin, "y": height - side - margin, "w": width - side - 3 * margin, "h": side // 3},
            "font_size": [20, 40],
        },
        {
            "name": "staff",
            "kind": "overlay",
            "field": "staff_name",
            "box": {
                "x": margin,
                "y": height - side * 2 // 3 - margin,
                "w": width - side - 3 * margin,
                "h": side // 3,
            },
            "font_size": [20, 40],
        },
        {
            "name": "qr",
            "kind": "qr",
            "box": {"x": width - side - margin, "y": height - side - margin, "w": side, "h": side},
        },
    ]


def _row(layer: dict[str, Any]) -> dict[str, Any]:
    box, sizes = layer["box"], layer.get("font_size") or [24, 48]
    field = layer.get("field")
    content = layer.get("text") or (OverlayField(field).label if field else "")
    return {
        "name": layer["name"],
        "kind": KINDS[layer["kind"]],
        "content": content,
        **{key: int(box[key]) for key in ("x", "y", "w", "h")},
        "min": int(sizes[0]),
        "max": int(sizes[1]),
        "color": layer.get("color", "#222222"),
        "align": {v: k for k, v in _ALIGN.items()}[layer.get("align", "left")],
        "lines": int(layer.get("max_lines", 1)),
        "bold": bool(layer.get("bold", False)),
    }


def _layer(row: dict[str, Any]) -> dict[str, Any]:
    """A table row as a layout layer; what cannot be one is left for the layout's own check to name."""
    kind = {v: k for k, v in KINDS.items()}.get(str(row.get("kind")), str(row.get("kind")))
    box = {key: _int(row.get(key)) for key in ("x", "y", "w", "h")}
    layer: dict[str, Any] = {"name": str(row.get("name") or "").strip(), "kind": kind, "box": box}
    if kind == "qr":
        return layer
    content = str(row.get("content") or "")
    layer.update(
        {
            "font_size": [_int(row.get("min")), _int(row.get("max"))],
            "color": str(row.get("color") or "#222222"),
            "align": _ALIGN.get(str(row.get("align")), Align.LEFT.value),
            "max_lines": _int(row.get("lines")) or 1,
            "bold": bool(row.get("bold")),
        }
    )
    if kind == "overlay":
        layer["field"] = _FIELDS.get(content, content)
    else:
        layer["text"] = content
    return layer


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _backgrounds(actor: Actor) -> list[AssetView]:
    with db() as session:
        return list_assets(session, actor, kind=AssetKind.BACKGROUND.value, limit=100).items


def _pick_background(actor: Actor, prefix: str, current: dict[str, Any] | None) -> AssetView | None:
    items = _backgrounds(actor)
    if not items:
        st.info("图片素材中还没有海报背景：请先在上方“图片素材”中上传（用途选“海报背景”）。")
        return None
    shas = [a.sha256 for a in items]
    index = shas.index(current["background"]) if current and current.get("background") in shas else 0
    by_sha = {a.sha256: a for a in items}
    picked = st.selectbox(
        "海报背景（图片素材）",
        shas,
        index=index,
        format_func=lambda s: f"{by_sha[s].title}（{by_sha[s].width}×{by_sha[s].height}）",
        key=f"{prefix}-background",
    )
    return by_sha[picked]


def poster_layout(actor: Actor, prefix: str, current: dict[str, Any] | None) -> dict[str, Any] | None:
    """The layout the editor builds (background = the picked asset's sha256), or None without one."""
    st.caption("海报模板的正文由文字图层生成；文字图层可用 {{ branch_name }} 等插槽。")
    background = _pick_background(actor, prefix, current)
    if background is None:
        return None
    layers = current["layers"] if current else default_layers(background.width, background.height)
    table = st.data_editor(
        pd.DataFrame([_row(layer) for layer in layers], columns=list(COLUMNS)),
        column_config=_column_config(),
        num_rows="dynamic",
        hide_index=True,
        key=f"{prefix}-layers",
        use_container_width=True,
    )
    rows = [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]
    rows = [row for row in rows if str(row.get("name") or "").strip()]
    return {
        "background": background.sha256,
        "width": background.width,
        "height": background.height,
        "layers": [_layer(row) for row in rows],
    }


def _column_config() -> dict[str, Any]:
    config: dict[str, Any] = {
        key: st.column_config.NumberColumn(label, min_value=0, step=1)
        for key, label in COLUMNS.items()
        if key in ("x", "y", "w", "h", "min", "max", "lines")
    }
    config["name"] = st.column_config.TextColumn(COLUMNS["name"], required=True)
    config["kind"] = st.column_config.SelectboxColumn(
        COLUMNS["kind"], options=list(KINDS.values()), required=True
    )
    config["content"] = st.column_config.TextColumn(
        COLUMNS["content"], help="文字图层：文字；信息图层：" + "、".join(_FIELDS)
    )
    config["color"] = st.column_config.TextColumn(COLUMNS["color"], help="如 #B22222")
    config["align"] = st.column_config.SelectboxColumn(COLUMNS["align"], options=list(_ALIGN))
    config["bold"] = st.column_config.CheckboxColumn(COLUMNS["bold"])
    return config


def poster_preview(actor: Actor, draft: TemplateDraft) -> bool:
    """The poster rendered with sample values, or the reason it cannot be (naming the layer); True if shown."""
    try:
        with db() as session:
            image = preview_draft(session, actor, draft)
    except StudioError as error:
        st.error(f"海报无法生成：{md(error.message_zh)}")
        return False
    if image is None:
        return False
    st.image(image.png, caption=f"海报预览（示例插槽值，{image.width}×{image.height}）", width=360)
    return True


def branch_poster_preview(actor: Actor, version_id: int, values: dict[str, str]) -> None:
    """本地化: the branch's poster with the values in the form (not saved), or why it cannot be made."""
    from studio.services.variants import preview_poster

    try:
        with db() as session:
            image = preview_poster(session, actor, version_id, values)
    except StudioError as error:
        st.error(f"海报无法生成：{md(error.message_zh)}")
        return
    if image is not None:
        st.image(image.png, caption="海报预览（本网点插槽值，提交后需审核）", width="stretch")
