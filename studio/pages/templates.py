"""素材库: HQ editors list, create and edit templates; others browse."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType, ReviewState, Verdict
from studio.services.templates import TemplateDraft, create_template, list_templates, update_template
from studio.ui.components import findings_list, verdict_badge
from studio.ui.context import action, db, require_actor
from studio.workflow.permissions import can

actor = require_actor()
st.title("素材库")

with db() as session:
    templates = list_templates(session, actor)

cols = st.columns(5)
kind = cols[0].selectbox("场景", ["全部", *OccasionKind], format_func=lambda v: v if v == "全部" else v.label)
ctype = cols[1].selectbox("内容类型", ["全部", *ContentType], format_func=lambda v: v if v == "全部" else v.label)
channel = cols[2].selectbox("渠道", ["全部", *Channel], format_func=lambda v: v if v == "全部" else v.label)
product = cols[3].selectbox("产品类型", ["全部", *ProductType], format_func=lambda v: v if v == "全部" else v.label)
search = cols[4].text_input("搜索标题或正文")

shown = [
    t for t in templates
    if (kind == "全部" or t.occasion_kind == kind) and (ctype == "全部" or t.content_type == ctype)
    and (channel == "全部" or t.channel == channel) and (product == "全部" or t.product_type == product)
    and (not search or search in t.title or search in t.body)
]
st.caption(f"共 {len(shown)} 条模板")
if shown:
    st.dataframe(
        pd.DataFrame([{
            "编号": t.code, "标题": t.title, "场景": OccasionKind(t.occasion_kind).label, "时机": t.occasion or "",
            "内容类型": ContentType(t.content_type).label, "渠道": Channel(t.channel).label,
            "产品": ProductType(t.product_type).label, "版本": t.version_no,
            "状态": ReviewState(t.state).label, "合规": Verdict(t.verdict).label,
        } for t in shown]),
        hide_index=True, use_container_width=True,
    )


def _form(prefix: str, current=None) -> tuple[TemplateDraft, bool] | None:  # type: ignore[no-untyped-def]
    with st.form(f"{prefix}-form"):
        title = st.text_input("标题", value=current.title if current else "", key=f"{prefix}-title")
        body = st.text_area("正文（可用 {{ branch_name }}、{{ city }}、{{ staff_name }} 等插槽）", height=220,
                            value=current.body if current else "", key=f"{prefix}-body")
        c = st.columns(3)
        o_kind = c[0].selectbox("场景", list(OccasionKind), format_func=lambda v: v.label, key=f"{prefix}-kind",
                                index=list(OccasionKind).index(OccasionKind(current.occasion_kind)) if current else 0)
        occasion = c[1].text_input("时机（如 春节、冬至）", value=(current.occasion or "") if current else "",
                                   key=f"{prefix}-occasion")
        region = c[2].text_input("适用地区（省份，可空）", value=(current.region or "") if current else "",
                                 key=f"{prefix}-region")
        c = st.columns(4)
        ctype_v = c[0].selectbox("内容类型", list(ContentType), format_func=lambda v: v.label, key=f"{prefix}-ctype",
                                 index=list(ContentType).index(ContentType(current.content_type)) if current else 1)
        persona = c[1].selectbox("人设", list(Persona), format_func=lambda v: v.label, key=f"{prefix}-persona",
                                 index=list(Persona).index(Persona(current.persona)) if current else 1)
        channel_v = c[2].selectbox("渠道", list(Channel), format_func=lambda v: v.label, key=f"{prefix}-channel",
                                   index=list(Channel).index(Channel(current.channel)) if current else 0)
        product_v = c[3].selectbox("产品类型", list(ProductType), format_func=lambda v: v.label,
                                   key=f"{prefix}-product",
                                   index=list(ProductType).index(ProductType(current.product_type)) if current else 6)
        submit = st.checkbox("保存后直接提交审核", value=True, key=f"{prefix}-submit")
        saved = st.form_submit_button("保存", type="primary")
    if not saved:
        return None
    draft = TemplateDraft(title=title, body=body, occasion_kind=o_kind, occasion=occasion or None,
                          content_type=ctype_v, persona=persona, channel=channel_v, product_type=product_v,
                          region=region or None, slots=current.slots if current else [])
    return draft, submit


if can(actor, "template.edit"):
    new_tab, edit_tab = st.tabs(["新建模板", "编辑模板"])
    with new_tab:
        result = _form("new")
        if result:
            with action(), db() as session:
                view = create_template(session, actor, result[0], submit=result[1])
                st.success(f"已保存模板 {view.code}（第 {view.version_no} 版，{ReviewState(view.state).label}）。")
                verdict_badge(view.verdict)
                findings_list(view.findings)
    with edit_tab:
        if templates:
            by_code = {t.code: t for t in templates}
            code = st.selectbox("选择模板", list(by_code), format_func=lambda c: f"{by_code[c].title}（{c}）")
            current = by_code[code]
            st.caption(f"当前第 {current.version_no} 版 · {ReviewState(current.state).label}")
            verdict_badge(current.verdict)
            findings_list(current.findings)
            result = _form(f"edit-{current.id}", current)
            if result:
                with action(), db() as session:
                    view = update_template(session, actor, current.id, result[0],
                                           expected_lock_version=current.lock_version, submit=result[1])
                    st.success(f"已保存为第 {view.version_no} 版，需重新审核。")
                    verdict_badge(view.verdict)
                    findings_list(view.findings)
else:
    for t in shown[:50]:
        with st.expander(f"{t.title} · {ReviewState(t.state).label}"):
            st.text(t.body)
            findings_list(t.findings)
