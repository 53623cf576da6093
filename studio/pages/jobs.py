"""后台任务: start the long jobs the role may start, follow their progress, see results and errors, retry.
(A branch's staff feed link is rotated on 内容日历.) The work is in studio/services/jobs.py and the services
that register each kind."""

from __future__ import annotations

import streamlit as st

from studio.domain.clock import today_cn
from studio.domain.enums import JobState
from studio.domain.month import Month
from studio.domain.views import Actor, JobView
from studio.planning.exporters import FORMATS
from studio.services import feed, jobs, library_import, library_recheck, planning  # noqa: F401 (kinds)
from studio.ui.components import md
from studio.ui.context import action, db, require_actor
from studio.workflow.permissions import at_head_office, can

actor = require_actor()
st.title("后台任务")
st.caption("耗时较长的操作在后台运行，可离开本页，稍后回来查看进度与结果。")


# Whether the list refreshes itself: only while one of its jobs is queued or running, so an open page with
# only ended jobs costs no query every few seconds.
_POLLING = "jobs_polling"


def _submit(kind: str, args: dict[str, object]) -> None:
    with action(), db() as session:
        job = jobs.submit(session, actor, kind, args)
        st.session_state[_POLLING] = True
        st.toast(f"任务 #{job.id} 已提交（{job.state.label}）")


def _start(actor: Actor) -> None:
    network = at_head_office(actor)
    month = st.text_input("月份（YYYY-MM）", value=str(Month.of(today_cn())), key="job_month")
    cols = st.columns(2)
    if can(actor, "calendar.export"):
        fmt = cols[0].selectbox("导出格式", FORMATS, key="job_format")
        if cols[0].button("导出全部支行日历", key="job_export"):
            _submit("calendar.export_all", {"month": month, "format": fmt})
    if can(actor, "calendar.edit") and cols[1].button("发布全部支行当月日历", key="job_publish"):
        _submit("calendar.publish_all", {"month": month})
    if can(actor, "feed.manage") and cols[1].button("重建全部员工内容页", key="job_feed"):
        _submit("feed.build", {})
    if network and can(actor, "rules.edit") and cols[1].button("按新规则复查素材库", key="job_recheck"):
        _submit("library.recheck", {})
    if network and can(actor, "template.edit") and cols[1].button("导入素材库文件", key="job_import"):
        _submit("library.import", {})


def _show(job: JobView) -> None:
    title = f"#{job.id} {job.kind_label} · {job.state.label} · {md(job.requested_by)}"
    with st.container(border=True):
        st.markdown(f"**{title}**")
        st.caption(
            f"参数：{md(job.args)} · 尝试 {job.attempts}/{job.max_attempts} · 提交于 {job.created_at:%Y-%m-%d %H:%M}"
        )
        if job.progress_total:
            st.progress(
                min(1.0, job.progress_done / job.progress_total),
                text=f"{job.progress_done}/{job.progress_total}",
            )
        if job.result:
            st.json(job.result, expanded=False)
        if job.error_zh:
            show = st.error if job.state is JobState.FAILED else st.warning
            show(md(job.error_zh + ("" if job.state is JobState.FAILED else "（已重试）")))
        if job.state is JobState.FAILED and st.button("重试", key=f"retry_{job.id}"):
            with action(), db() as session:
                jobs.retry(session, actor, job.id)
                st.rerun()


def _list() -> None:
    with action(), db() as session:
        mine = jobs.list_jobs(session, actor)
    if not mine:
        st.info("暂无任务。")
    for job in mine:
        _show(job)
    live = any(job.state.active for job in mine)
    if live != st.session_state.get(_POLLING, True):
        st.session_state[_POLLING] = live
        st.rerun()  # the whole page: the list is drawn again with or without its timer


if can(actor, "job.use"):
    with st.expander("启动任务", expanded=True):
        _start(actor)
    st.subheader("全部任务" if actor.role.value == "admin" else "我的任务")
    st.fragment(_list, run_every="3s" if st.session_state.get(_POLLING, True) else None)()
else:
    st.info("您的角色无需使用后台任务。")
