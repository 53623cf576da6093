"""看板: adoption by bank and branch, content mix, review backlog and age, gaps by occasion."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studio.domain.clock import today_cn
from studio.services.dashboard import dashboard
from studio.ui.context import action, db, require_actor

actor = require_actor()
st.title("看板")
today = today_cn()
month = st.text_input("月份（YYYY-MM）", value=f"{today:%Y-%m}")

with action(), db() as session:
    data = dashboard(session, actor, month, today)
    total_slots = sum(r.slots for r in data.adoption)
    total_posted = sum(r.posted for r in data.adoption)
    m = st.columns(3)
    m[0].metric("应发布条数（截至今日）", total_slots)
    m[1].metric("已发布", total_posted)
    m[2].metric("采用率", f"{(total_posted / total_slots if total_slots else 0):.0%}")

    st.subheader("各网点采用率")
    if data.adoption:
        frame = pd.DataFrame([{"分行": r.bank, "网点": r.branch, "应发布": r.slots, "已发布": r.posted,
                               "采用率": round(r.share * 100, 1)} for r in data.adoption])
        st.bar_chart(frame.set_index("网点")["采用率"], y_label="采用率 %")
        by_bank = frame.groupby("分行")[["应发布", "已发布"]].sum()
        by_bank["采用率"] = (by_bank["已发布"] / by_bank["应发布"].where(by_bank["应发布"] > 0) * 100).round(1)
        st.dataframe(by_bank, use_container_width=True)
        st.dataframe(frame, hide_index=True, use_container_width=True)
    c = st.columns(2)
    with c[0]:
        st.subheader("内容结构")
        if data.mix:
            st.bar_chart(pd.Series(data.mix, name="条数"))
        else:
            st.info("本月暂无排期。")
    with c[1]:
        st.subheader("审核积压")
        st.bar_chart(pd.Series(data.backlog_by_age, name="待审核"))
        if data.backlog_by_org:
            st.dataframe(pd.Series(data.backlog_by_org, name="待审核条数"), use_container_width=True)
    st.subheader("时机缺口（没有排期内容的网点数）")
    if data.occasion_gaps:
        st.bar_chart(pd.Series(data.occasion_gaps, name="网点数"))
    else:
        st.success("本月所有节日节气都有内容。")
