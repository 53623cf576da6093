"""本地化: pick an approved template, fill its slots, preview, submit for review."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import Channel, ReviewState
from studio.services import reviews
from studio.services.templates import get_version, list_templates
from studio.services.variants import list_variants, localise, render_variant, update_variant
from studio.ui.components import findings_list, verdict_badge
from studio.ui.context import action, db, require_actor

actor = require_actor()
st.title("本地化")
st.caption(f"为 {actor.org_name} 改编总行模板：只需填写插槽，其余文字由总行锁定。")

with db() as session:
    templates = list_templates(session, actor, approved_only=True)
    mine = list_variants(session, actor)

new_tab, mine_tab = st.tabs(["新建本地化", "我的内容"])
with new_tab:
    if not templates:
        st.info("暂无已审核通过的模板。")
    else:
        by_id = {t.version_id: t for t in templates}
        version_id = st.selectbox("选择模板", list(by_id), format_func=lambda i: f"{by_id[i].title}（{Channel(by_id[i].channel).label}）")
        template = by_id[version_id]
        st.text(template.body)
        with st.form(f"localise-{version_id}"):
            values = {}
            for slot in template.slots:
                label = slot["label"] + ("" if slot.get("required", True) else "（选填）")
                if slot.get("type") == "choice":
                    values[slot["name"]] = st.selectbox(label, slot.get("choices") or [], key=f"slot-{slot['name']}")
                else:
                    values[slot["name"]] = st.text_input(label, max_chars=int(slot.get("max_length", 40)) * 2,
                                                         key=f"slot-{slot['name']}")
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
                st.success(f"已提交审核（编号 {view.id}）。")
                verdict_badge(view.verdict)
                findings_list(view.findings)

with mine_tab:
    if not mine:
        st.info("还没有本地化内容。")
    for v in mine:
        with st.expander(f"#{v.id} {v.title} · {v.org_name} · {ReviewState(v.state).label}"):
            st.code(v.text, language=None, wrap_lines=True)
            verdict_badge(v.verdict)
            findings_list(v.findings)
            if v.last_comment:
                st.warning(f"审核意见：{v.last_comment}")
            with db() as session:
                for h in reviews.history(session, actor, "variant", v.id):
                    st.caption(f"{h['at']} {h['reviewer']} {h['decision']}：{h['comment']}")
            if v.state in (ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED, ReviewState.DRAFT,
                           ReviewState.APPROVED):
                with st.form(f"edit-variant-{v.id}"):
                    edited = {name: st.text_input(name, value=str(value), key=f"v{v.id}-{name}")
                              for name, value in v.slot_values.items()}
                    if st.form_submit_button("修改并重新提交"):
                        with action(), db() as session:
                            update_variant(session, actor, v.id, edited, expected_lock_version=v.lock_version)
                            st.success("已重新提交审核。")
