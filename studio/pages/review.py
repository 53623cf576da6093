"""审核: the reviewer's queue with filters, diff against the approved parent, batch approval, threads."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import Channel, Decision, ProductType, Severity, Verdict
from studio.domain.views import SeenVersion
from studio.services import reviews
from studio.services.orgs import visible_orgs
from studio.settings import get_settings
from studio.ui.components import diff_view, findings_list, highlighted, md, verdict_badge
from studio.ui.context import action, db, require_actor

actor = require_actor()
st.title("审核")


# Decisions are taken in button callbacks, which run before the rerun reloads the queue: they carry the
# version that was on screen when the button was drawn, so an item edited meanwhile is never approved.
def _request_decision(subject_type: str, subject_id: int, seen: dict, decision: str, title: str) -> None:
    st.session_state["review_pending"] = {
        "subject_type": subject_type, "subject_id": subject_id, "seen": seen, "decision": decision,
        "title": title, "comment": st.session_state.get(f"comment-{subject_type}-{subject_id}", "")}


def _request_batch(shown: list[tuple[str, int, dict, str]]) -> None:
    st.session_state["review_batch"] = [entry for entry in shown
                                        if st.session_state.get(f"pick-{entry[0]}-{entry[1]}")]


if pending := st.session_state.pop("review_pending", None):
    decision = Decision(pending["decision"])
    with action(), db() as session:
        state = reviews.decide(session, actor, pending["subject_type"], pending["subject_id"], decision,
                               pending["comment"], seen=SeenVersion.model_validate(pending["seen"]))
        note = "（第一位审批人，等待第二位审核员）" if state == "submitted" else ""
        st.session_state["review_flash"] = f"已{decision.label}：{md(pending['title'])}{note}"
if (batch := st.session_state.pop("review_batch", None)) is not None:
    with action(), db() as session:
        done, problems = reviews.batch_approve(
            session, actor, [(t, i, SeenVersion.model_validate(seen)) for t, i, seen, _ in batch])
        for problem in problems:
            st.warning(md(problem))
        st.session_state["review_flash"] = f"已批量处理 {done} 条。"
if flash := st.session_state.pop("review_flash", None):
    st.success(flash)

with db() as session:
    orgs = visible_orgs(session, actor)
c = st.columns(4)
org_labels = {0: "全部机构", **{o.id: o.name for o in orgs}}
org_id = c[0].selectbox("机构", list(org_labels), format_func=lambda i: org_labels[i], key="f-org")
product = c[1].selectbox("产品类型", ["", *ProductType], format_func=lambda v: v.label if v else "全部",
                         key="f-product")
severity = c[2].selectbox("最低风险级别", ["", *Severity], format_func=lambda v: v.label if v else "全部",
                          key="f-severity")
min_age = c[3].number_input("等待超过（小时）", min_value=0, value=0, step=1, key="f-age")

with action(), db() as session:
    queue = reviews.queue(session, actor, org_id=org_id or None, product_type=product or None,
                          min_severity=severity or None, min_age_hours=float(min_age) if min_age else None)
    sla = get_settings().review_sla_hours
    overdue = sum(1 for i in queue if i.overdue)
    st.caption(f"待审核 {len(queue)} 条 · 超过 {sla} 小时时限 {overdue} 条")
    if not queue:
        st.info("审核队列为空。")

    clean = [i for i in queue if i.verdict == Verdict.PASS.value]
    if clean:
        with st.form("batch"):
            st.markdown("**批量通过无合规提示的内容**")
            for i in clean:
                st.checkbox(f"{md(i.title)} · {md(i.org_name)}", key=f"pick-{i.subject_type}-{i.subject_id}")
            st.form_submit_button("批量通过所选", on_click=_request_batch, args=(
                [(i.subject_type, i.subject_id, i.seen.model_dump(), i.title) for i in clean],))

    for item in queue:
        key = f"{item.subject_type}-{item.subject_id}"
        kind = "总行模板" if item.subject_type == "template_version" else "本地化内容"
        late = " · ⏰超时" if item.overdue else ""
        label = (f"{kind} · {md(item.title)} · {md(item.org_name)} · {Channel(item.channel).label} · "
                 f"{ProductType(item.product_type).label} · 合规：{Verdict(item.verdict).label}"
                 f" · 等待 {item.age_hours:.0f} 小时{late}")
        with st.expander(label):
            st.caption(f"提交人：{md(item.submitted_by_name)}"
                       + (f" · 需双人审批（已 {item.approvals}/{item.required_approvals}："
                          f"{'、'.join(md(n) for n in item.approved_by) or '无'}）" if item.required_approvals > 1 else ""))
            left, right = st.columns(2)
            with left:
                st.markdown("**内容（标出合规命中）**")
                highlighted(item.text, item.findings)
                verdict_badge(item.verdict)
                findings_list(item.findings)
            with right:
                st.markdown("**与已审核版本的差异**" if item.parent_text is not None else "**首次提交**")
                if item.parent_text is not None:
                    diff_view(item.parent_text, item.text)
                for entry in reviews.thread(session, actor, item.subject_type, item.subject_id):
                    st.caption(f"{entry['at']} {md(entry['who'])} {entry['what']}：{md(entry['text'])}")
            comment = st.text_area("审核意见（驳回或退回时必填）", key=f"comment-{key}")
            b = st.columns(4)
            buttons = ((Decision.APPROVE, "通过"), (Decision.REQUEST_CHANGES, "退回修改"), (Decision.REJECT, "驳回"))
            for column, (decision, label) in zip(b, buttons, strict=False):
                column.button(label, key=f"{decision.value}-{key}",
                              type="primary" if decision is Decision.APPROVE else "secondary",
                              on_click=_request_decision, args=(item.subject_type, item.subject_id,
                                                                item.seen.model_dump(), decision.value, item.title))
            if b[3].button("仅评论", key=f"note-{key}"):
                with action():
                    reviews.add_comment(session, actor, item.subject_type, item.subject_id, comment)
                    st.session_state["review_flash"] = "评论已添加。"
                    st.rerun()

with st.expander("撤回已通过的内容"):
    st.caption("撤回后，该内容立即从所有日历和今日内容中移除，操作记入审计日志。")
    with action(), db() as session:
        from studio.domain.enums import ReviewState
        from studio.services.variants import list_variants

        live = list_variants(session, actor, state=ReviewState.APPROVED)
        if not live:
            st.info("暂无已通过的本地化内容。")
        else:
            labels = {v.id: f"#{v.id} {v.title} · {v.org_name}" for v in live}
            variant_id = st.selectbox("内容", list(labels), format_func=lambda i: labels[i], key="withdraw-pick")
            reason = st.text_input("撤回原因", key="withdraw-reason")
            if st.button("撤回", key="withdraw-go"):
                with action():
                    reviews.withdraw(session, actor, variant_id, reason)
                    st.session_state["review_flash"] = f"已撤回：{md(labels[variant_id])}"
                    st.rerun()
