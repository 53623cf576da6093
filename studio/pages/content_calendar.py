"""内容日历: place approved content on days of a month for an org; see the month at a glance."""

from __future__ import annotations

import calendar as monthcal
from datetime import date

import pandas as pd
import streamlit as st

from studio.domain.clock import today_cn
from studio.domain.enums import Channel
from studio.services import calendar
from studio.services.orgs import visible_orgs
from studio.ui.context import action, db, require_actor
from studio.workflow.permissions import can

actor = require_actor()
st.title("内容日历")

with db() as session:
    orgs = visible_orgs(session, actor)
if not orgs:
    st.stop()
by_id = {o.id: o for o in orgs}
today = today_cn()
c = st.columns(3)
org_id = c[0].selectbox("机构", list(by_id), format_func=lambda i: by_id[i].name)
year = c[1].number_input("年", min_value=2020, max_value=2099, value=today.year, step=1)
month = c[2].number_input("月", min_value=1, max_value=12, value=today.month, step=1)

with action(), db() as session:
    slots = calendar.month_slots(session, actor, org_id, int(year), int(month))
    days = monthcal.monthrange(int(year), int(month))[1]
    per_day = {d: [s for s in slots if s.day.day == d] for d in range(1, days + 1)}
    st.dataframe(pd.DataFrame([{
        "日期": f"{int(month)}月{d}日", "星期": "一二三四五六日"[date(int(year), int(month), d).weekday()],
        "条数": len(items), "内容": "；".join(f"{s.time_of_day or ''} {s.title}" for s in items),
    } for d, items in per_day.items()]), hide_index=True, use_container_width=True, height=400)

    if can(actor, "calendar.edit"):
        st.subheader("排入内容")
        options = calendar.approved_variants_for(session, actor, org_id)
        if not options:
            st.info("该机构暂无已审核通过的内容。")
        else:
            labels = {vid: f"{title}（{owner}）" for vid, title, owner in options}
            with st.form("place"):
                variant_id = st.selectbox("内容", list(labels), format_func=lambda i: labels[i])
                day = st.date_input("日期", value=max(today, date(int(year), int(month), 1)))
                time_of_day = st.text_input("时间（HH:MM，可空）", value="08:30")
                placed = st.form_submit_button("排入", type="primary")
            if placed:
                with action():
                    p = calendar.place(session, actor, org_id=org_id, day=day, variant_id=variant_id,
                                       time_of_day=time_of_day or None)
                    st.success(f"已排入 {p.day:%m月%d日} {Channel(p.channel).label}：{p.title}")
        removable = [s for s in slots if s.org_id == org_id]
        if removable:
            with st.expander("移除排期"):
                slot_labels = {s.id: f"{s.day:%m-%d} {s.time_of_day or ''} {s.title}" for s in removable}
                slot_id = st.selectbox("排期", list(slot_labels), format_func=lambda i: slot_labels[i])
                if st.button("移除"):
                    with action():
                        calendar.remove(session, actor, slot_id)
                        st.rerun()
