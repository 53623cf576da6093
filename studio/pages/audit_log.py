"""审计日志: browse the append-only, hash-chained log and verify it."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import select

from studio.db.models import AuditEvent
from studio.ui.context import action, db, require_actor
from studio.workflow import audit
from studio.workflow.permissions import require

actor = require_actor()
st.title("审计日志")

with action(), db() as session:
    require(actor, "audit.read")
    report = audit.verify(session)
    if report.ok:
        st.success(f"哈希链完整：共 {report.checked} 条事件。")
    else:
        st.error(f"哈希链在第 {report.broken_seq} 条事件处断裂。")
    action_filter = st.text_input("按动作筛选（如 review、login）")
    rows = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(500)).all()  # type: ignore[attr-defined]
    st.dataframe(pd.DataFrame([{
        "序号": e.seq, "时间": e.at.isoformat(timespec="seconds"), "操作人": e.actor, "动作": e.action,
        "对象": e.subject, "哈希": e.hash[:12],
    } for e in rows if not action_filter or action_filter in e.action]), hide_index=True, use_container_width=True)
