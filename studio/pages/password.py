"""修改密码: every logged-in user changes their own password (old password, new one twice)."""

from __future__ import annotations

import streamlit as st

from studio.services import users
from studio.ui.app import DEMO_PASSWORD_FLAG
from studio.ui.context import action, db, require_actor

actor = require_actor()
st.title("修改密码")
if flash := st.session_state.pop("password_flash", None):
    st.success(flash)
st.caption(
    f"新密码至少 {users.MIN_LENGTH} 个字符，并包含小写字母、大写字母、数字、符号中的至少 {users.MIN_CLASSES} 类。"
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
            users.change_own_password(session, actor, old, new)
            st.session_state[DEMO_PASSWORD_FLAG] = False
            st.session_state["password_flash"] = "密码已修改，下次登录请使用新密码。"
            st.rerun()
