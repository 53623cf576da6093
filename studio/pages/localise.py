"""本地化: pick an approved template, fill its slots, preview, submit; follow review threads."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import Channel, ReviewState
from studio.services import reviews
from studio.services.templates import get_version, list_templates
from studio.services.variants import (
    list_variants,
    localisation_form,
    localise,
    render_variant,
    update_variant,
)
from studio.ui.components import findings_list, md, verdict_badge
from studio.ui.context import action, db, require_actor

actor = require_actor()
st.title("本地化")
st.caption(f"为 {md(actor.org_name)} 改编总行模板：只能填写插槽和可编辑段落，其余文字由总行锁定。")

with db() as session:
    templates = list_templates(session, actor, approved_only=True)
    mine = list_variants(session, actor)


def _slot_inputs(slots: list[dict], values: dict, locked: set[str], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for slot in slots:
        name = slot["name"]
        # Slot labels and help come from the template (HQ-written); widget labels render markdown.
        label = md(slot["label"]) + ("" if slot.get("required", True) else "（选填）")
        value = str(values.get(name, slot.get("default", "")) or "")
        key = f"{prefix}-{name}"
        if name in locked:
            st.text_input(f"{label}（上级机构统一设置）", value=value, disabled=True, key=key)
            out[name] = value
        elif slot.get("type") == "choice":
            choices = list(slot.get("choices") or [])
            out[name] = st.selectbox(label, choices, index=choices.index(value) if value in choices else 0, key=key)
        elif slot.get("editable_region"):
            out[name] = st.text_area(f"{label}（可编辑段落，最多 {slot.get('max_length')} 字）", value=value, key=key)
        else:
            out[name] = st.text_input(label, value=value, key=key)
    return out


new_tab, mine_tab = st.tabs(["新建本地化", "我的内容"])
with new_tab:
    if not templates:
        st.info("暂无已审核通过的模板。")
    else:
        by_id = {t.version_id: t for t in templates}
        version_id = st.selectbox(
            "选择模板", list(by_id), format_func=lambda i: f"{by_id[i].title}（{Channel(by_id[i].channel).label}）")
        template = by_id[version_id]
        with action(), db() as session:
            form = localisation_form(session, actor, version_id)
        if form["parent_org"]:
            st.info(f"已继承 {md(form['parent_org'])} 的本地化内容，可在其基础上继续修改。")
        st.caption("模板正文（【】内为需要填写的插槽）：")
        st.text(form["outline"])
        with st.form(f"localise-{version_id}"):
            values = _slot_inputs(template.slots, form["inherited"], form["locked"], f"slot-{version_id}")
            c = st.columns(2)
            preview = c[0].form_submit_button("预览")
            submit = c[1].form_submit_button("提交审核", type="primary")
        if preview:
            with action(), db() as session:
                _, text = render_variant(get_version(session, version_id), values)
                st.subheader("预览")
                st.code(text, language=None, wrap_lines=True)
        if submit:
            with action(), db() as session:
                view = localise(session, actor, version_id, values)
                auto = "（已按自动通过策略通过）" if view.state == ReviewState.APPROVED else ""
                st.success(f"已提交审核（编号 {view.id}）{auto}。")
                verdict_badge(view.verdict)
                findings_list(view.findings)

with mine_tab:
    if not mine:
        st.info("还没有本地化内容。")
    for v in mine:
        with st.expander(f"#{v.id} {md(v.title)} · {md(v.org_name)} · {ReviewState(v.state).label}"):
            st.code(v.text, language=None, wrap_lines=True)
            verdict_badge(v.verdict)
            findings_list(v.findings)
            if v.last_comment:
                st.warning(f"审核意见：{md(v.last_comment)}")
            with action(), db() as session:
                for entry in reviews.thread(session, actor, "variant", v.id):
                    st.caption(f"{entry['at']} {md(entry['who'])} {entry['what']}：{md(entry['text'])}")
            if v.state in (ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED, ReviewState.DRAFT,
                           ReviewState.APPROVED) and v.org_id == actor.org_id:
                with st.form(f"edit-variant-{v.id}"):
                    with db() as session:
                        version = get_version(session, v.template_version_id)
                    edited = _slot_inputs(version.slots, v.slot_values, set(), f"v{v.id}")
                    hint = "修改后生成新版本，原版本在新版本通过前继续使用" if v.state == ReviewState.APPROVED else ""
                    if st.form_submit_button("修改并重新提交", help=hint or None):
                        with action(), db() as session:
                            update_variant(session, actor, v.id, edited, expected_lock_version=v.lock_version)
                            st.success("已重新提交审核。")
            if v.state == ReviewState.APPROVED and v.org_id == actor.org_id:
                reason = st.text_input("撤回原因（撤回后立即从日历中移除）", key=f"withdraw-{v.id}")
                if st.button("撤回此内容", key=f"withdraw-btn-{v.id}"):
                    with action(), db() as session:
                        reviews.withdraw(session, actor, v.id, reason)
                        st.rerun()
