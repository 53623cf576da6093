"""内容日历: the month per org (occasions, slots, caps, mix, gaps); propose, adjust, publish."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from studio.domain.clock import today_cn
from studio.domain.enums import Channel
from studio.domain.views import Actor
from studio.services import calendar, feed, planning
from studio.services.month_view import month_view
from studio.services.orgs import get_org, search_orgs, to_view
from studio.settings import get_settings
from studio.ui.components import md
from studio.ui.context import action, db, require_actor
from studio.ui.format import beijing, labelled
from studio.workflow.permissions import at_head_office, can


def _feed_link_section(session: Session, actor: Actor, org_id: int) -> None:
    """HQ: the branch's static staff page link (no login needed to open it), and rotating it."""
    with st.expander("员工内容页链接"):
        link = feed.feed_link(session, actor, org_id)
        st.caption(
            "员工用手机打开此链接即可查看今明两天的内容并一键复制，无需登录；请只在本机构内部分发。"
            "发布日历、撤回或到期下线内容时自动更新。更换链接后，旧链接立即失效。"
        )
        if link.path is None:
            st.info("该机构还没有员工内容页：发布日历时自动生成，也可以现在生成。")
        else:
            st.code(link.url or link.path, language=None)
            if link.created_at:
                st.caption(f"当前链接生成于 {beijing(link.created_at)}（北京时间）")
        sure = st.checkbox("我已知晓：更换后旧链接立即失效", key="feed-sure") if link.path else True
        if st.button("更换链接" if link.path else "生成链接", disabled=not sure, key="feed-rotate"):
            with action():
                feed.rotate_link(session, actor, org_id)
                st.session_state["calendar_flash"] = "已生成新的员工内容页链接，旧链接已失效。"
                st.rerun()


actor = require_actor()
st.title("内容日历")
if flash := st.session_state.pop("calendar_flash", None):
    st.success(flash)

# A network has thousands of orgs: the picker searches (name or code) and lists a bounded handful.
c = st.columns([2, 2, 1, 1])
needle = c[0].text_input("搜索机构（名称或代码）", placeholder="如 章贡 或 JX-A")
with db() as session:
    orgs = search_orgs(session, actor, needle, limit=50)
    if not needle.strip() and not any(o.id == actor.org_id for o in orgs):
        orgs = [to_view(get_org(session, actor, actor.org_id)), *orgs]
if not orgs:
    st.info("没有匹配的机构。")
    st.stop()
by_id = {o.id: o for o in orgs}
today = today_cn()
default_org = next((i for i, o in enumerate(orgs) if o.id == actor.org_id), 0)
org_id = c[1].selectbox("机构", list(by_id), index=default_org, format_func=lambda i: by_id[i].name)
year = int(c[2].number_input("年", min_value=2020, max_value=2099, value=today.year, step=1))
month_no = int(c[3].number_input("月", min_value=1, max_value=12, value=today.month, step=1))
month = f"{year:04d}-{month_no:02d}"

with action(), db() as session:
    view = month_view(session, actor, org_id, month)
    status = f"已发布第 {view.published_version} 版" if view.published_version else "未发布"
    m = st.columns(4)
    m[0].metric("本月朋友圈", f"{view.moments_total} / {view.moments_cap}")
    m[1].metric("排期条数", len(view.slots))
    m[2].metric("空白天数", sum(1 for d in view.days if d.gap))
    m[3].metric("发布状态", status)
    if view.occasion_gaps:
        st.warning("以下时机尚无排期内容：" + "、".join(md(o) for o in view.occasion_gaps))

    st.caption(
        "月历：每格显示时机、朋友圈条数/上限和排期标题；:orange[:material/warning:] 表示当天还没有内容。"
    )
    first_weekday = view.days[0].day.weekday()
    cells = [None] * first_weekday + list(view.days)
    header = st.columns(7)
    for i, name in enumerate("一二三四五六日"):
        header[i].markdown(f"**周{name}**")
    for week in range(0, len(cells), 7):
        columns = st.columns(7)
        for column, d in zip(columns, cells[week : week + 7], strict=False):
            if d is None:
                continue
            with column.container(border=True):
                mark = ":orange[:material/warning:] " if d.gap else ""
                st.markdown(
                    f"**{mark}{d.day.day}日**"
                    + (f" · {'、'.join(md(o) for o in d.occasions)}" if d.occasions else "")
                )
                st.caption(f"朋友圈 {d.moments}/{view.daily_cap} · 社群 {d.group}")
                for title in d.titles[:3]:
                    st.caption(f"· {md(title[:14])}")
    with st.expander("明细表"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "日期": f"{d.day:%m-%d}",
                        "星期": "一二三四五六日"[d.day.weekday()],
                        "时机": "、".join(d.occasions),
                        "朋友圈": f"{d.moments}/{view.daily_cap}",
                        "社群": d.group,
                        "其他": d.other,
                        "内容": "；".join(d.titles),
                        "缺口": "⚠️ 空白" if d.gap else "",
                    }
                    for d in view.days
                ]
            ),
            hide_index=True,
            use_container_width=True,
        )
    if view.mix:
        st.caption("内容结构")
        st.bar_chart(pd.Series(labelled(view.mix), name="条数"))

    if can(actor, "feed.manage") and at_head_office(actor):
        _feed_link_section(session, actor, org_id)

    if can(actor, "calendar.edit"):
        b = st.columns(2)
        if b[0].button("按规则生成本月建议排期", help="只用已审核通过的内容；保留已标记发布的排期"):
            with action():
                plan = planning.build_month(session, actor, org_id, month)
                st.session_state["calendar_flash"] = (
                    f"已生成 {len(plan.entries)} 条排期，缺口 {len(plan.gaps)} 处。"
                    + " ".join(md(w) for w in plan.warnings)
                )
                st.rerun()
        if b[1].button("发布本月日历", type="primary"):
            with action():
                version = planning.publish_month(
                    session, actor, org_id, month, out_dir=get_settings().calendars_dir
                )
                st.session_state["calendar_flash"] = (
                    f"已发布第 {version} 版，并生成 JSON/ICS/Excel/CSV/HTML 文件。"
                )
                st.rerun()

        st.subheader("手动排入")
        title_query = st.text_input("搜索内容标题", help="最多列出最新的 100 条")
        options = calendar.approved_variants_for(session, actor, org_id, title_query, limit=100)
        if not options:
            st.info("没有匹配的已审核通过内容。" if title_query.strip() else "该机构暂无已审核通过的内容。")
        else:
            labels = {o.id: f"{o.title}（{o.org_name}）" for o in options}
            with st.form("place"):
                variant_id = st.selectbox("内容", list(labels), format_func=lambda i: labels[i])
                day = st.date_input("日期", value=max(today, date(year, month_no, 1)))
                time_of_day = st.text_input("时间（HH:MM，可空）", value="08:30")
                placed = st.form_submit_button("排入", type="primary")
            if placed:
                with action():
                    p = calendar.place(
                        session,
                        actor,
                        org_id=org_id,
                        day=day,
                        variant_id=variant_id,
                        time_of_day=time_of_day or None,
                    )
                    st.success(f"已排入 {p.day:%m月%d日} {Channel(p.channel).label}：{md(p.title)}")
        own = [s for s in view.slots if s.org_id == org_id]
        posted = calendar.posted_slot_ids(session, actor, org_id, [s.id for s in own])
        removable = [s for s in own if s.id not in posted]
        if own:
            with st.expander("移除排期"):
                if posted:
                    st.caption(f"{len(posted)} 条排期已有员工标记为已发布，属于历史记录，不能移除。")
                if removable:
                    slot_labels = {s.id: f"{s.day:%m-%d} {s.time_of_day or ''} {s.title}" for s in removable}
                    slot_id = st.selectbox("排期", list(slot_labels), format_func=lambda i: slot_labels[i])
                    if st.button("移除"):
                        with action():
                            calendar.remove(session, actor, slot_id)
                            st.rerun()
