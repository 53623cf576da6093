"""Router: the login gate and a navigation built from the user's role (docs/architecture.md, Pitfalls).

Only pages listed for the role exist in this session's navigation, so a deep link to any other page
falls back to the default page; an unauthenticated session has only the login page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from studio.domain.enums import Role
from studio.ui.components import md
from studio.ui.context import ACTOR_KEY, action, current_actor, db

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"

# (file, title, icon, url path); order is the sidebar order.
_PAGES = {
    "templates": ("templates.py", "素材库", ":material/library_books:", "templates"),
    "localise": ("localise.py", "本地化", ":material/edit_note:", "localise"),
    "review": ("review.py", "审核", ":material/fact_check:", "review"),
    "calendar": ("content_calendar.py", "内容日历", ":material/calendar_month:", "calendar"),
    "today": ("today.py", "今日内容", ":material/campaign:", "today"),
    "audit": ("audit_log.py", "审计日志", ":material/policy:", "audit"),
    "dashboard": ("dashboard.py", "看板", ":material/monitoring:", "dashboard"),
    "occasions": ("occasions.py", "节日日历", ":material/event:", "occasions"),
    "rules": ("rules.py", "合规规则", ":material/gavel:", "rules"),
    "jobs": ("jobs.py", "后台任务", ":material/pending_actions:", "jobs"),
    "password": ("password.py", "修改密码", ":material/key:", "password"),
}

ROLE_PAGES: dict[Role, tuple[str, ...]] = {
    Role.HQ_EDITOR: (
        "templates",
        "occasions",
        "localise",
        "calendar",
        "rules",
        "dashboard",
        "jobs",
        "password",
    ),
    Role.BRANCH_LOCALISER: ("localise", "calendar", "occasions", "today", "jobs", "password"),
    Role.REVIEWER: (
        "review",
        "templates",
        "rules",
        "occasions",
        "calendar",
        "dashboard",
        "audit",
        "jobs",
        "password",
    ),
    Role.STAFF: ("today", "password"),
    Role.ADMIN: ("rules", "audit", "dashboard", "templates", "jobs", "password"),
}

# Session flag: the logged-in admin still uses the public demo password (checked once per session).
DEMO_PASSWORD_FLAG = "demo_password_in_use"
DEMO_PASSWORD_BANNER = "管理员仍在使用公开的演示密码，请立即修改。"


def _login() -> None:
    st.title("内容合规工作室")
    st.caption("私域营销内容 · 规划与合规审核")
    with st.form("login"):
        username = st.text_input("用户名")
        password = st.text_input("密码", type="password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        from studio.services.auth import authenticate

        with action(), db() as session:
            actor = authenticate(session, username, password, client=_client_id())
            st.session_state[ACTOR_KEY] = actor.model_dump(mode="json")
            st.rerun()


def _client_id() -> str:
    """Who is knocking, for the per-client login throttle: the connection's IP address. Streamlit reports
    None for localhost (and in tests), which then counts as one client, "local"."""
    return getattr(st.context, "ip_address", None) or "local"


def _gate(url: str):
    def gate() -> None:
        _login()

    gate.__name__ = f"login_{url}"  # Streamlit tells pages apart by their function's name
    return gate


def _logout() -> None:
    actor = current_actor()
    if actor is not None:
        from studio.services.auth import logout

        with db() as session:
            logout(session, actor)
    st.session_state.clear()
    st.rerun()


def run() -> None:
    st.set_page_config(page_title="内容合规工作室", page_icon=":material/verified_user:", layout="wide")
    actor = current_actor()
    if actor is None:
        # Every page URL exists only as the login form, so a deep link asks for a login (in Chinese)
        # and, once logged in, opens that page if the user's role has it.
        gates = [st.Page(_login, title="登录", icon=":material/login:", url_path="login", default=True)]
        gates += [st.Page(_gate(url), title="登录", url_path=url) for _, _, _, url in _PAGES.values()]
        st.navigation(gates, position="hidden").run()
        return
    pages = []
    for index, key in enumerate(ROLE_PAGES[actor.role]):
        file, title, icon, url = _PAGES[key]
        pages.append(st.Page(str(PAGES_DIR / file), title=title, icon=icon, url_path=url, default=index == 0))
    if DEMO_PASSWORD_FLAG not in st.session_state:
        from studio.services.users import has_demo_password

        with db() as session:
            st.session_state[DEMO_PASSWORD_FLAG] = has_demo_password(session, actor)
    if st.session_state[DEMO_PASSWORD_FLAG]:
        st.warning(DEMO_PASSWORD_BANNER + "（侧边栏 → 修改密码）", icon=":material/lock_open:")
    with st.sidebar:
        st.markdown(f"**{md(actor.display_name)}**")
        st.caption(f"{actor.role.label} · {md(actor.org_name)}")
        if st.button("退出登录", key="logout"):
            _logout()
    st.navigation(pages).run()
