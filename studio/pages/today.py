"""今日内容: staff see today's and tomorrow's approved posts for their branch, copy and mark as posted."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import streamlit as st

from studio.domain.clock import today_cn
from studio.domain.enums import Channel, ContentType
from studio.services import calendar, posters
from studio.ui.components import md
from studio.ui.context import action, db, require_actor
from studio.ui.staff_images import post_images

actor = require_actor()
st.title("今日内容")
st.caption(f"{md(actor.org_name)} · 点击文字框右上角图标即可复制")

today = today_cn()
with action(), db() as session:
    for label, day in (("今天", today), ("明天", today + timedelta(days=1))):
        posts = calendar.todays_content(session, actor, day)
        st.subheader(f"{label} {day:%m月%d日}")
        if not posts:
            st.info("暂无已排期的内容。")
        for post in posts:
            with st.container(border=True):
                when = post.time_of_day or "全天"
                why = f" · 时机：{md(post.occasion)}" if post.occasion else ""
                st.markdown(f"**{md(post.title)}**")
                st.caption(
                    f"{when} · {Channel(post.channel).label} · {ContentType(post.content_type).label}{why}"
                )
                # Rendered for this staff member: their name, title and e-card QR code.
                post_images(
                    post,
                    partial(posters.post_images, session, actor, post.variant_id, staff_id=actor.user_id),
                )
                st.code(post.text, language=None, wrap_lines=True)
                if post.posted:
                    st.success("已发布")
                elif day == today and st.button("标记为已发布", key=f"posted-{post.slot_id}"):
                    calendar.mark_posted(session, actor, post.slot_id)
                    st.rerun()
