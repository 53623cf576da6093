"""素材库: browse, filter and search templates (a page at a time, in the database), preview the one opened;
HQ editors create and edit with the compliance check running as they type."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType, ReviewState, Verdict
from studio.domain.views import Actor
from studio.materials.search import SEASONS
from studio.services.data_version import data_version
from studio.services.templates import (
    LibraryFilter,
    LibraryOptions,
    LibraryPage,
    TemplateDraft,
    create_template,
    get_template,
    library_options,
    list_library,
    update_template,
)
from studio.ui.assets import asset_panel
from studio.ui.components import findings_list, highlighted, md, verdict_badge
from studio.ui.context import action, db, require_actor
from studio.ui.post_images import pick_post_images
from studio.ui.poster_editor import poster_layout, poster_preview
from studio.workflow.permissions import can

actor = require_actor()
st.title("素材库")
if flash := st.session_state.pop("templates_flash", None):
    st.success(flash)


# Cached per data version (the audit head: any committed change moves it), actor and question, so a rerun
# that changes nothing reads one number from the database. Values are pydantic, never ORM rows.
@st.cache_data(max_entries=512, show_spinner=False)
def _library_page(
    version: int, actor_json: str, filters_json: str, page: int, approved_only: bool = False
) -> LibraryPage:
    with db() as session:
        return list_library(
            session,
            Actor.model_validate_json(actor_json),
            LibraryFilter.model_validate_json(filters_json),
            approved_only=approved_only,
            page=page,
        )


@st.cache_data(max_entries=64, show_spinner=False)
def _options(version: int, actor_json: str) -> LibraryOptions:
    with db() as session:
        return library_options(session, Actor.model_validate_json(actor_json))


def _version() -> int:
    with db() as session:
        return data_version(session)


def _all(values: list) -> list:
    return ["全部", *values]


def _fmt(value) -> str:
    return getattr(value, "label", value)


_TAGS = [k for k in OccasionKind if k.taggable]  # the kinds a template may be tagged with


def _pick(value):
    return None if value == "全部" else str(getattr(value, "value", value))


def _filters(options: LibraryOptions) -> LibraryFilter:
    with st.expander("筛选与搜索", expanded=True):
        row = st.columns(4)
        kind = row[0].selectbox("场景", _all(_TAGS), format_func=_fmt)
        occasion = row[1].selectbox("时机", _all(options.occasions))
        season = row[2].selectbox("季节", _all(list(SEASONS)))
        region = row[3].selectbox("地区", _all(options.regions))
        row = st.columns(4)
        ctype = row[0].selectbox("内容类型", _all(list(ContentType)), format_func=_fmt)
        persona = row[1].selectbox("人设", _all(list(Persona)), format_func=_fmt)
        channel = row[2].selectbox("渠道", _all(list(Channel)), format_func=_fmt)
        product = row[3].selectbox("产品类型", _all(list(ProductType)), format_func=_fmt)
        query = st.text_input("全文搜索（如：冬至 团圆、防诈骗、理财 风险）")
    return LibraryFilter(
        occasion_kind=_pick(kind),
        occasion=_pick(occasion),
        season=_pick(season),
        region=_pick(region),
        content_type=_pick(ctype),
        persona=_pick(persona),
        channel=_pick(channel),
        product_type=_pick(product),
        query=query.strip() or None,
    )


def _table(listing: LibraryPage) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "编号": t.code,
                    "标题": t.title,
                    "场景": OccasionKind(t.occasion_kind).label,
                    "时机": t.occasion or "",
                    "地区": t.region or "全国",
                    "内容类型": ContentType(t.content_type).label,
                    "人设": Persona(t.persona).label,
                    "渠道": Channel(t.channel).label,
                    "产品": ProductType(t.product_type).label,
                    "版本": t.version_no,
                    "状态": ReviewState(t.state).label,
                    "合规": Verdict(t.verdict).label,
                }
                for t in listing.rows
            ]
        ),
        hide_index=True,
        use_container_width=True,
    )


@st.fragment
def _library() -> None:
    """Filters, one page of the list and the preview: changing any of them reruns only this part."""
    version, who = _version(), actor.model_dump_json()
    filters = _filters(_options(version, who))
    key = filters.model_dump_json()
    # A new question starts on its first page.
    if st.session_state.get("library_filters") != key:
        st.session_state["library_filters"] = key
        st.session_state["library_page"] = 1
    page_no = int(st.session_state.get("library_page", 1))
    listing = _library_page(version, who, key, page_no - 1)
    st.session_state["library_page"] = listing.page + 1  # clamped when the list shrank under it
    st.caption(f"共 {listing.total} 条模板 · 第 {listing.page + 1} / {listing.pages} 页")
    if not listing.rows:
        return
    _table(listing)
    if listing.pages > 1:
        st.number_input("页码", min_value=1, max_value=listing.pages, step=1, key="library_page")
    by_id = {t.version_id: t for t in listing.rows}
    picked = st.selectbox(
        "预览模板", list(by_id), format_func=lambda i: f"{by_id[i].title}（{by_id[i].code}）"
    )
    with st.container(border=True), action(), db() as session:
        # Text, sample render and findings load for the one template opened, never for the list.
        from studio.services.reviews import template_sample_text
        from studio.services.templates import get_version

        current = get_template(session, actor, picked)
        st.caption("以示例插槽值预览：")
        st.code(template_sample_text(get_version(session, actor, picked)), language=None, wrap_lines=True)
        verdict_badge(current.verdict)
        findings_list(current.findings)


_library()
asset_panel(actor)


def _editor(prefix: str, current=None) -> tuple[TemplateDraft, bool] | None:
    """Body outside a form: every edit reruns the page, so the check runs as the editor types."""
    title = st.text_input("标题", value=current.title if current else "", key=f"{prefix}-title")
    body = st.text_area(
        "正文（可用 {{ branch_name }}、{{ city }}、{{ staff_name }} 等插槽）",
        height=200,
        value=current.body if current else "",
        key=f"{prefix}-body",
    )
    scene = _scene_inputs(prefix, current)
    kinds = _type_inputs(prefix, current)
    draft = TemplateDraft(
        title=title,
        body=body,
        **scene,
        **kinds,
        slots=current.slots if current else [],
    )
    poster = _poster_part(prefix, current, draft) if kinds["channel"] == Channel.POSTER else None
    if poster is None and body.strip():
        _live_check(body, kinds["product_type"], kinds["channel"])
    images = pick_post_images(actor, prefix, kinds["channel"], current.version_id if current else None)
    submit = st.checkbox("保存后直接提交审核", value=True, key=f"{prefix}-submit")
    if not st.button("保存", type="primary", key=f"{prefix}-save"):
        return None
    return draft.model_copy(update={"poster": poster, "images": images}), submit


def _poster_part(prefix: str, current, draft: TemplateDraft) -> dict[str, Any] | None:
    """渠道 海报: the layout (background from 图片素材, layers as a table) and its rendered preview."""
    with_layout = st.checkbox(
        "使用海报版式（背景 + 图层）",
        value=current is None or current.poster is not None,
        key=f"{prefix}-use-poster",
    )
    if not with_layout:
        return None
    layout = poster_layout(actor, prefix, current.poster if current else None)
    if layout is not None:
        preview = draft.model_copy(update={"poster": layout, "title": draft.title.strip() or "海报预览"})
        poster_preview(actor, preview)
    return layout


def _scene_inputs(prefix: str, current) -> dict[str, Any]:
    """Where and for whom: occasion kind, occasion, region and persona (one row of four)."""
    c = st.columns(4)
    o_kind = c[0].selectbox(
        "场景",
        _TAGS,
        format_func=lambda v: v.label,
        key=f"{prefix}-kind",
        index=_TAGS.index(OccasionKind(current.occasion_kind) if current else OccasionKind.EVERYDAY),
    )
    occasion_v = c[1].text_input(
        "时机（如 春节、冬至）", value=(current.occasion or "") if current else "", key=f"{prefix}-occasion"
    )
    region_v = c[2].text_input(
        "适用地区（省份，可空）", value=(current.region or "") if current else "", key=f"{prefix}-region"
    )
    persona_v = c[3].selectbox(
        "人设",
        list(Persona),
        format_func=lambda v: v.label,
        key=f"{prefix}-persona",
        index=list(Persona).index(Persona(current.persona)) if current else 1,
    )
    return {
        "occasion_kind": o_kind,
        "occasion": occasion_v or None,
        "region": region_v or None,
        "persona": persona_v,
    }


def _type_inputs(prefix: str, current) -> dict[str, Any]:
    """What and where it goes: content type, channel and product type (one row of three)."""
    tags = st.columns(3)
    ctype_v = tags[0].selectbox(
        "内容类型",
        list(ContentType),
        format_func=lambda v: v.label,
        key=f"{prefix}-ctype",
        index=list(ContentType).index(ContentType(current.content_type)) if current else 1,
    )
    channel_v = tags[1].selectbox(
        "渠道",
        list(Channel),
        format_func=lambda v: v.label,
        key=f"{prefix}-channel",
        index=list(Channel).index(Channel(current.channel)) if current else 0,
    )
    product_v = tags[2].selectbox(
        "产品类型",
        list(ProductType),
        format_func=lambda v: v.label,
        key=f"{prefix}-product",
        index=list(ProductType).index(ProductType(current.product_type)) if current else 6,
    )
    return {"content_type": ctype_v, "channel": channel_v, "product_type": product_v}


def _live_check(body: str, product: ProductType, channel: Channel) -> None:
    """The compliance check of the body as typed, with the hits marked in the original text."""
    from studio.services.rules import check

    with db() as session:
        live = check(session, body, product, channel)
    st.caption("实时合规检查（按正文原文标出命中位置）")
    highlighted(body, [f.model_dump(mode="json") for f in live.findings])
    verdict_badge(live.verdict.value)
    findings_list([f.model_dump(mode="json") for f in live.findings])


@st.fragment
def _editors() -> None:
    """Create and edit; typing reruns this part only (the live check), not the library above."""
    new_tab, edit_tab = st.tabs(["新建模板", "编辑模板"])
    with new_tab:
        result = _editor("new")
        if result:
            with action(), db() as session:
                view = create_template(session, actor, result[0], submit=result[1])
                st.success(
                    f"已保存模板 {md(view.code)}（第 {view.version_no} 版，{ReviewState(view.state).label}）。"
                )
                verdict_badge(view.verdict)
                findings_list(view.findings)
    with edit_tab:
        # A searchable, paged picker: the library may hold 20,000 templates.
        query = st.text_input("搜索要编辑的模板（标题、正文、编号）", key="edit-search")
        listing = _library_page(
            _version(),
            actor.model_dump_json(),
            LibraryFilter(query=query.strip() or None).model_dump_json(),
            0,
        )
        if not listing.rows:
            st.info("没有找到模板。")
            return
        if listing.total > len(listing.rows):
            st.caption(f"共 {listing.total} 条，显示最相关的 {len(listing.rows)} 条；请输入关键词缩小范围。")
        by_id = {t.version_id: t for t in listing.rows}
        picked = st.selectbox(
            "选择要编辑的模板", list(by_id), format_func=lambda i: f"{by_id[i].title}（{by_id[i].code}）"
        )
        with db() as session:
            current = get_template(session, actor, picked)
        st.caption(
            f"当前第 {current.version_no} 版 · {ReviewState(current.state).label}；"
            "保存后生成新版本，已通过的旧版本在新版本通过前继续使用。"
        )
        result = _editor(f"edit-{current.id}", current)
        if result:
            with action(), db() as session:
                view = update_template(
                    session,
                    actor,
                    current.id,
                    result[0],
                    expected_lock_version=current.lock_version,
                    submit=result[1],
                )
                st.session_state["templates_flash"] = f"已保存为第 {view.version_no} 版，需重新审核。"
                st.rerun(scope="app")


if can(actor, "template.edit"):
    _editors()
