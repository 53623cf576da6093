"""素材库: browse, filter and search templates, preview with sample values; HQ editors create and edit
with the compliance check running as they type."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType, ReviewState, Verdict
from studio.materials.search import SEASONS, search, season_of
from studio.services.templates import TemplateDraft, create_template, list_templates, update_template
from studio.ui.components import findings_list, highlighted, md, verdict_badge
from studio.ui.context import action, db, require_actor
from studio.workflow.permissions import can

actor = require_actor()
st.title("素材库")
if flash := st.session_state.pop("templates_flash", None):
    st.success(flash)

with db() as session:
    templates = list_templates(session, actor)


def _all(values: list) -> list:
    return ["全部", *values]


def _fmt(value) -> str:  # type: ignore[no-untyped-def]
    return getattr(value, "label", value)


with st.expander("筛选与搜索", expanded=True):
    row = st.columns(4)
    kind = row[0].selectbox("场景", _all(list(OccasionKind)), format_func=_fmt)
    occasion = row[1].selectbox("时机", _all(sorted({t.occasion for t in templates if t.occasion})))
    season = row[2].selectbox("季节", _all(list(SEASONS)))
    region = row[3].selectbox("地区", _all(sorted({t.region for t in templates if t.region})))
    row = st.columns(4)
    ctype = row[0].selectbox("内容类型", _all(list(ContentType)), format_func=_fmt)
    persona = row[1].selectbox("人设", _all(list(Persona)), format_func=_fmt)
    channel = row[2].selectbox("渠道", _all(list(Channel)), format_func=_fmt)
    product = row[3].selectbox("产品类型", _all(list(ProductType)), format_func=_fmt)
    query = st.text_input("全文搜索（如：冬至 团圆、防诈骗、理财 风险）")


def _keep(t) -> bool:  # type: ignore[no-untyped-def]
    return ((kind == "全部" or t.occasion_kind == kind) and (occasion == "全部" or t.occasion == occasion)
            and (season == "全部" or season_of(t.occasion) == season) and (region == "全部" or t.region == region)
            and (ctype == "全部" or t.content_type == ctype) and (persona == "全部" or t.persona == persona)
            and (channel == "全部" or t.channel == channel) and (product == "全部" or t.product_type == product))


shown = search([t for t in templates if _keep(t)], query)
st.caption(f"共 {len(shown)} 条模板（全部 {len(templates)} 条）")
if shown:
    st.dataframe(
        pd.DataFrame([{
            "编号": t.code, "标题": t.title, "场景": OccasionKind(t.occasion_kind).label, "时机": t.occasion or "",
            "地区": t.region or "全国", "内容类型": ContentType(t.content_type).label, "人设": Persona(t.persona).label,
            "渠道": Channel(t.channel).label, "产品": ProductType(t.product_type).label, "版本": t.version_no,
            "状态": ReviewState(t.state).label, "合规": Verdict(t.verdict).label,
        } for t in shown]),
        hide_index=True, use_container_width=True,
    )
    by_code = {t.code: t for t in shown}
    picked = st.selectbox("预览模板", list(by_code), format_func=lambda c: f"{by_code[c].title}（{c}）")
    current = by_code[picked]
    with st.container(border=True):
        from studio.services.reviews import template_sample_text
        from studio.services.templates import get_version

        with action(), db() as session:
            st.caption("以示例插槽值预览：")
            st.code(template_sample_text(get_version(session, current.version_id)), language=None, wrap_lines=True)
        verdict_badge(current.verdict)
        findings_list(current.findings)


def _editor(prefix: str, current=None) -> tuple[TemplateDraft, bool] | None:  # type: ignore[no-untyped-def]
    """Body outside a form: every edit reruns the page, so the check runs as the editor types."""
    title = st.text_input("标题", value=current.title if current else "", key=f"{prefix}-title")
    body = st.text_area("正文（可用 {{ branch_name }}、{{ city }}、{{ staff_name }} 等插槽）", height=200,
                        value=current.body if current else "", key=f"{prefix}-body")
    c = st.columns(4)
    o_kind = c[0].selectbox("场景", list(OccasionKind), format_func=lambda v: v.label, key=f"{prefix}-kind",
                            index=list(OccasionKind).index(OccasionKind(current.occasion_kind)) if current else 9)
    occasion_v = c[1].text_input("时机（如 春节、冬至）", value=(current.occasion or "") if current else "",
                                 key=f"{prefix}-occasion")
    region_v = c[2].text_input("适用地区（省份，可空）", value=(current.region or "") if current else "",
                               key=f"{prefix}-region")
    persona_v = c[3].selectbox("人设", list(Persona), format_func=lambda v: v.label, key=f"{prefix}-persona",
                               index=list(Persona).index(Persona(current.persona)) if current else 1)
    c = st.columns(3)
    ctype_v = c[0].selectbox("内容类型", list(ContentType), format_func=lambda v: v.label, key=f"{prefix}-ctype",
                             index=list(ContentType).index(ContentType(current.content_type)) if current else 1)
    channel_v = c[1].selectbox("渠道", list(Channel), format_func=lambda v: v.label, key=f"{prefix}-channel",
                               index=list(Channel).index(Channel(current.channel)) if current else 0)
    product_v = c[2].selectbox("产品类型", list(ProductType), format_func=lambda v: v.label, key=f"{prefix}-product",
                               index=list(ProductType).index(ProductType(current.product_type)) if current else 6)
    if body.strip():
        from studio.services.rules import check

        with db() as session:
            live = check(session, body, product_v, channel_v)
        st.caption("实时合规检查（按正文原文标出命中位置）")
        highlighted(body, [f.model_dump(mode="json") for f in live.findings])
        verdict_badge(live.verdict.value)
        findings_list([f.model_dump(mode="json") for f in live.findings])
    submit = st.checkbox("保存后直接提交审核", value=True, key=f"{prefix}-submit")
    if not st.button("保存", type="primary", key=f"{prefix}-save"):
        return None
    draft = TemplateDraft(title=title, body=body, occasion_kind=o_kind, occasion=occasion_v or None,
                          content_type=ctype_v, persona=persona_v, channel=channel_v, product_type=product_v,
                          region=region_v or None, slots=current.slots if current else [])
    return draft, submit


if can(actor, "template.edit"):
    new_tab, edit_tab = st.tabs(["新建模板", "编辑模板"])
    with new_tab:
        result = _editor("new")
        if result:
            with action(), db() as session:
                view = create_template(session, actor, result[0], submit=result[1])
                st.success(f"已保存模板 {md(view.code)}（第 {view.version_no} 版，{ReviewState(view.state).label}）。")
                verdict_badge(view.verdict)
                findings_list(view.findings)
    with edit_tab:
        if templates:
            all_codes = {t.code: t for t in templates}
            code = st.selectbox("选择要编辑的模板", list(all_codes),
                                format_func=lambda c: f"{all_codes[c].title}（{c}）")
            current = all_codes[code]
            st.caption(f"当前第 {current.version_no} 版 · {ReviewState(current.state).label}；"
                       "保存后生成新版本，已通过的旧版本在新版本通过前继续使用。")
            result = _editor(f"edit-{current.id}", current)
            if result:
                with action(), db() as session:
                    view = update_template(session, actor, current.id, result[0],
                                           expected_lock_version=current.lock_version, submit=result[1])
                    st.session_state["templates_flash"] = f"已保存为第 {view.version_no} 版，需重新审核。"
                    st.rerun()
