"""审计日志: browse, filter and export the append-only, hash-chained log; verify it."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import select

from studio.db.models import AuditEvent
from studio.ui.components import md
from studio.ui.context import action, db, require_actor
from studio.workflow import audit
from studio.workflow.permissions import require

actor = require_actor()
st.title("审计日志")

with action(), db() as session:
    require(actor, "audit.read")
    report = audit.verify(session)
    if report.ok:
        st.success(f"哈希链完整：共 {report.checked} 条事件，{report.checkpoints} 个签名检查点一致。")
    elif report.broken_seq is None:
        st.error(f"审计检查点文件校验失败：{report.reason}")
    else:
        st.error(f"哈希链在第 {report.broken_seq} 条事件处断裂：{md(report.reason)}")
    c = st.columns(2)
    action_filter = c[0].text_input("按动作筛选（如 review、login、calendar）")
    actor_filter = c[1].text_input("按操作人筛选")
    rows = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1000)).all()  # type: ignore[attr-defined]
    shown = [e for e in rows if (not action_filter or action_filter in e.action)
             and (not actor_filter or actor_filter in e.actor)]
    st.dataframe(pd.DataFrame([{
        "序号": e.seq, "时间": e.at.isoformat(timespec="seconds"), "操作人": e.actor, "动作": e.action,
        "对象": e.subject, "哈希": e.hash[:12],
    } for e in shown]), hide_index=True, use_container_width=True)
    if st.button("生成导出文件"):
        st.session_state["audit_csv"] = audit.export_csv(session, actor, action_filter=action_filter)
    if csv_text := st.session_state.get("audit_csv"):
        st.download_button("下载 CSV", csv_text.encode("utf-8"), file_name="audit-log.csv", mime="text/csv")
