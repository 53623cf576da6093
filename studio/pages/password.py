"""账户与安全 (url path `password`): every logged-in user keeps their e-card (名片: contact link, job title and
its QR code), changes their own password (old password, new one twice) and sees and ends their own login
sessions (我的会话)."""

from __future__ import annotations

import streamlit as st

from studio.services import contacts, sessions, users
from studio.settings import get_settings
from studio.ui.app import DEMO_PASSWORD_FLAG
from studio.ui.components import md
from studio.ui.context import action, current_token, db, require_actor
from studio.ui.format import beijing

METHODS = {"password": "密码登录", "oidc": "单点登录"}

actor = require_actor()
st.title("账户与安全")
if flash := st.session_state.pop("password_flash", None):
    st.success(flash)

st.subheader("名片")
st.caption(
    "海报上的职务和二维码来自这里：联系链接请填写企业微信「联系我」或获客链接（以 https:// 开头，允许的网址："
    f"{md('、'.join(get_settings().contact_link_hosts))}）；职务最多 12 个字，须通过合规检查。"
)
with db() as session:
    card = contacts.contact_of(session, actor, actor.user_id)
    card_qr = contacts.contact_qr_png(session, actor, actor.user_id)
with st.form("contact_card"):
    link = st.text_input(
        "联系链接", value=card.contact_link or "", placeholder="https://work.weixin.qq.com/ca/…"
    )
    title = st.text_input("职务", value=card.job_title or "", placeholder="如：客户经理")
    saved = st.form_submit_button("保存名片")
if saved:
    with action(), db() as session:
        contacts.set_contact(session, actor, actor.user_id, link, title)
        st.session_state["password_flash"] = "名片已保存。"
        st.rerun()
if card_qr is None:
    st.info("尚未设置联系链接，保存后即可生成名片二维码。")
else:
    st.image(card_qr, caption="名片二维码：客户扫码即可添加您", width=200)
    st.download_button(
        "下载名片二维码", data=card_qr, file_name="名片二维码.png", mime="image/png", key="card_qr_download"
    )

st.subheader("修改密码")
st.caption(
    f"新密码至少 {users.MIN_LENGTH} 个字符，并包含小写字母、大写字母、数字、符号中的至少 {users.MIN_CLASSES} 类。"
    "修改后，您在其他浏览器或设备上的会话将全部结束。"
)
with st.form("password", clear_on_submit=True):
    old = st.text_input("旧密码", type="password")
    new = st.text_input("新密码", type="password")
    again = st.text_input("再次输入新密码", type="password")
    submitted = st.form_submit_button("确认修改", type="primary")
if submitted:
    if new != again:
        st.error("两次输入的新密码不一致。")
    else:
        with action(), db() as session:
            users.change_own_password(session, actor, old, new, current_token=current_token())
            st.session_state[DEMO_PASSWORD_FLAG] = False
            st.session_state["password_flash"] = "密码已修改，下次登录请使用新密码。"
            st.rerun()

st.subheader("我的会话")
st.caption("您当前登录的浏览器和设备。不认识的会话请立即结束并修改密码。")
with db() as session:
    mine = sessions.list_mine(session, actor, current_token())
for item in mine:
    with st.container(border=True):
        left, right = st.columns([5, 1], vertical_alignment="center")
        label = "本会话" if item.current else f"会话 {item.id}"
        left.markdown(f"**{label}** · {md(METHODS.get(item.method, item.method))}")
        left.text(item.client or "（未知客户端）")  # what the browser sent: shown as text
        left.caption(
            f"登录于 {beijing(item.created_at)} · 最近活动 {beijing(item.last_seen_at)} · "
            f"最迟 {beijing(item.expires_at)} 结束"
        )
        if not item.current and right.button("结束", key=f"end_session_{item.id}"):
            with action(), db() as session:
                sessions.revoke_mine(session, actor, item.id)
                st.session_state["password_flash"] = "该会话已结束。"
                st.rerun()
others = sum(not item.current for item in mine)
if others and st.button(f"结束其他全部会话（{others} 个）", key="end_other_sessions"):
    with action(), db() as session:
        ended = sessions.revoke_others(session, actor, current_token())
        st.session_state["password_flash"] = f"已结束 {ended} 个其他会话。"
        st.rerun()
