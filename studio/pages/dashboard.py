"""看板: adoption by bank and branch, content mix, review backlog and age, gaps by occasion.

Figures are database aggregates, cached on the data version: a rerun with nothing new reads nothing.
The branch table is paged (a network has thousands of branches) and reruns on its own (st.fragment).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from studio.db.engine import session_scope
from studio.domain.clock import today_cn
from studio.domain.month import Month
from studio.domain.views import Actor
from studio.services.dashboard import AdoptionPage, Dashboard, adoption_page, dashboard
from studio.services.data_version import data_version
from studio.ui.context import action, db, require_actor
from studio.ui.format import HQ_LIBRARY_ZH, age_bucket, labelled

PAGE_SIZE = 50

actor = require_actor()
st.title("看板")
today = today_cn()
month = st.text_input("月份（YYYY-MM）", value=str(Month.of(today)))
actor_json = actor.model_dump_json()


@st.cache_data(max_entries=16, show_spinner=False)
def _figures(version: int, actor_json: str, month: str, today: date) -> Dashboard:
    with session_scope() as session:
        return dashboard(session, Actor.model_validate_json(actor_json), month, today)


@st.cache_data(max_entries=64, show_spinner=False)
def _branches(
    version: int, actor_json: str, month: str, today: date, page: int, bank: str, lowest_first: bool
) -> AdoptionPage:
    with session_scope() as session:
        return adoption_page(
            session,
            Actor.model_validate_json(actor_json),
            month,
            today,
            page=page,
            page_size=PAGE_SIZE,
            bank=bank,
            ascending_share=lowest_first,
        )


def _share(posted: int, due: int) -> float:
    return round(posted / due * 100, 1) if due else 0.0


def _turn(key: str, step: int) -> None:
    st.session_state[key] = max(0, st.session_state.get(key, 0) + step)


@st.fragment
def _branch_table(version: int, banks: list[str]) -> None:
    f = st.columns([2, 1])
    bank = f[0].selectbox("分行", ["全部", *banks])
    lowest_first = f[1].toggle("采用率低的在前")
    key = (bank, lowest_first)
    if st.session_state.get("dashboard_branch_filter") != key:
        st.session_state["dashboard_branch_filter"], st.session_state["dashboard_page"] = key, 0
    page_no = st.session_state.get("dashboard_page", 0)
    with action():
        page = _branches(
            version, actor_json, month, today, page_no, "" if bank == "全部" else bank, lowest_first
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "分行": r.bank,
                        "网点": r.branch,
                        "应发布": r.slots,
                        "已发布": r.posted,
                        "采用率": _share(r.posted, r.slots),
                    }
                    for r in page.rows
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        pages = max(1, -(-page.total // PAGE_SIZE))
        n = st.columns([1, 2, 1])
        # Callbacks move the page before the (fragment) rerun draws it.
        n[0].button("上一页", disabled=page_no == 0, on_click=_turn, args=("dashboard_page", -1))
        n[1].caption(f"共 {page.total} 个网点 · 第 {page_no + 1} / {pages} 页")
        n[2].button("下一页", disabled=page_no + 1 >= pages, on_click=_turn, args=("dashboard_page", 1))


with action():
    with db() as session:
        version = data_version(session)
    data = _figures(version, actor_json, month, today)
    m = st.columns(3)
    m[0].metric("应发布条数（截至今日）", data.due)
    m[1].metric("已发布", data.posted)
    m[2].metric("采用率", f"{(data.posted / data.due if data.due else 0):.0%}")

    st.subheader("各分行采用率")
    if data.by_bank:
        frame = pd.DataFrame(
            [
                {
                    "分行": r.bank,
                    "网点数": r.branches,
                    "应发布": r.slots,
                    "已发布": r.posted,
                    "采用率": _share(r.posted, r.slots),
                }
                for r in data.by_bank
            ]
        )
        st.bar_chart(frame.set_index("分行")["采用率"], y_label="采用率 %")
        st.dataframe(frame, hide_index=True, width="stretch")
        st.subheader("各网点采用率")
        _branch_table(version, [r.bank for r in data.by_bank])
    c = st.columns(2)
    with c[0]:
        st.subheader("内容结构")
        if data.mix:
            st.bar_chart(pd.Series(labelled(data.mix), name="条数"))
        else:
            st.info("本月暂无排期。")
    with c[1]:
        st.subheader("审核积压")
        st.bar_chart(
            pd.Series(
                {age_bucket(b.min_hours, b.max_hours): b.count for b in data.backlog_by_age}, name="待审核"
            )
        )
        if data.backlog_by_org:
            st.caption("待审核最多的机构")
            names = [o.org_name or HQ_LIBRARY_ZH for o in data.backlog_by_org]
            waiting = [o.waiting for o in data.backlog_by_org]
            st.dataframe(pd.Series(waiting, index=names, name="待审核条数"), width="stretch")
    st.subheader("时机缺口（没有排期内容的网点数）")
    if data.occasion_gaps:
        st.bar_chart(pd.Series(data.occasion_gaps, name="网点数"))
    else:
        st.success("本月所有节日节气都有内容。")
