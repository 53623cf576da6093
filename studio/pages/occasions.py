"""节日日历: a province's festivals, solar terms, finance days, regional days and hot topics with their
approved content; gaps stand out. HQ editors maintain hot topics here."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from studio.db.engine import session_scope
from studio.domain.clock import today_cn
from studio.domain.month import Month
from studio.domain.views import Actor
from studio.occasions import PROVINCES
from studio.occasions.notes import note_zh
from studio.services.data_version import data_version
from studio.services.occasion_calendar import (
    OccasionOverview,
    add_hot_topic,
    list_hot_topics,
    overview,
    remove_hot_topic,
)
from studio.services.orgs import get_org
from studio.ui.components import md
from studio.ui.context import action, db, require_actor
from studio.workflow.permissions import can

actor = require_actor()
st.title("节日日历")
today = today_cn()
with db() as session:
    own_province = get_org(session, actor, actor.org_id).province

c = st.columns(4)
options = ["全国", *PROVINCES]
province = c[0].selectbox(
    "省份", options, index=options.index(own_province) if own_province in options else 0
)
view = c[1].radio("视图", ["月", "年"], horizontal=True)
year = int(c[2].number_input("年", min_value=1901, max_value=2099, value=today.year, step=1))
month = int(
    c[3].number_input("月", min_value=1, max_value=12, value=today.month, step=1, disabled=view == "年")
)
start, end = (
    (date(year, 1, 1), date(year, 12, 31))
    if view == "年"
    else (Month(year, month).first, Month(year, month).last)
)


@st.cache_data(max_entries=32, show_spinner=False)
def _overview(
    version: int, actor_json: str, start: date, end: date, province: str | None
) -> OccasionOverview:
    """Keyed on the data version: approved content or hot topics changing moves it."""
    with session_scope() as session:
        return overview(session, Actor.model_validate_json(actor_json), start, end, province)


with action(), db() as session:
    data = _overview(
        data_version(session), actor.model_dump_json(), start, end, None if province == "全国" else province
    )
    if data.notes:
        with st.expander(f"说明（{len(data.notes)} 条）：部分日期需每年公布或由总行录入"):
            for note in data.notes:
                st.caption(md(note_zh(note)))
    gaps = [r.gap for r in data.rows if r.gap]
    m = st.columns(3)
    m[0].metric("时机", len(data.rows))
    m[1].metric("有已审核内容", sum(1 for r in data.rows if r.approved))
    m[2].metric("缺口", len(gaps))
    if view == "年":
        per_month = pd.DataFrame(
            [{"月": f"{r.date.month}月", "时机": 1, "缺口": 1 if r.gap else 0} for r in data.rows]
        )
        if not per_month.empty:
            st.bar_chart(per_month.groupby("月", sort=False)[["时机", "缺口"]].sum())
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "日期": r.date.isoformat(),
                    "名称": r.name,
                    "类别": r.kind_label,
                    "地区": r.region or "",
                    "已审核内容": r.approved,
                    "其中朋友圈": r.approved_moments,
                    "缺口": ("⚠️ " + r.gap) if r.gap else "",
                }
                for r in data.rows
            ]
        ),
        hide_index=True,
        use_container_width=True,
        height=460,
    )

    if can(actor, "hot_topic.edit"):
        st.subheader("热点")
        st.caption("热点在有效期内才会进入排期；到期后，关联内容自动过期。")
        with st.form("hot-topic"):
            h = st.columns(4)
            name = h[0].text_input("热点名称")
            first = h[1].date_input("开始", value=today)
            last = h[2].date_input("结束", value=today + timedelta(days=7))
            region = h[3].selectbox("地区", ["全国", *PROVINCES])
            if st.form_submit_button("添加热点", type="primary"):
                with action():
                    add_hot_topic(
                        session,
                        actor,
                        name=name,
                        start=first,
                        end=last,
                        region=None if region == "全国" else region,
                    )
                    st.success(f"已添加热点：{md(name.strip())}")
        for topic_id, topic_name, first, last, topic_region in list_hot_topics(
            session, actor, ended_after=today - timedelta(days=90)
        ):
            row = st.columns([4, 1])
            row[0].markdown(f"{md(topic_name)} · {first:%m-%d} 至 {last:%m-%d} · {topic_region or '全国'}")
            if row[1].button("删除", key=f"del-topic-{topic_id}"):
                with action():
                    remove_hot_topic(session, actor, topic_id)
                    st.rerun()
