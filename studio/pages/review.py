"""审核: the reviewer's queue; approve, request changes or reject with a reason."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import Channel, Decision, ProductType, Verdict
from studio.services import reviews
from studio.ui.components import findings_list, highlighted, verdict_badge
from studio.ui.context import action, db, require_actor

actor = require_actor()
st.title("审核")

with action(), db() as session:
    queue = reviews.queue(session, actor)
    st.caption(f"待审核 {len(queue)} 条")
    if not queue:
        st.info("审核队列为空。")
    for item in queue:
        key = f"{item.subject_type}-{item.subject_id}"
        kind = "总行模板" if item.subject_type == "template_version" else "本地化内容"
        label = (f"{kind} · {item.title} · {item.org_name} · {Channel(item.channel).label} · "
                 f"{ProductType(item.product_type).label} · 合规：{Verdict(item.verdict).label}")
        with st.expander(label):
            st.caption(f"提交人：{item.submitted_by_name}")
            highlighted(item.text, item.findings)
            verdict_badge(item.verdict)
            findings_list(item.findings)
            comment = st.text_area("审核意见（驳回或退回时必填）", key=f"comment-{key}")
            c = st.columns(3)
            if c[0].button("通过", key=f"approve-{key}", type="primary"):
                decision = Decision.APPROVE
            elif c[1].button("退回修改", key=f"changes-{key}"):
                decision = Decision.REQUEST_CHANGES
            elif c[2].button("驳回", key=f"reject-{key}"):
                decision = Decision.REJECT
            else:
                decision = None
            if decision is not None:
                with action():
                    reviews.decide(session, actor, item.subject_type, item.subject_id, decision, comment)
                    st.session_state["review_flash"] = f"已{decision.label}：{item.title}"
                    st.rerun()

if flash := st.session_state.pop("review_flash", None):
    st.success(flash)
