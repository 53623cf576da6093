"""Router: the login gate and a navigation built from the user's role (docs/architecture.md, Pitfalls).

Only pages listed for the role exist in this session's navigation, so a deep link to any other page
falls back to the default page; an unauthenticated session has only the login page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from studio.domain.enums import Role
from studio.domain.views import Actor
from studio.settings import get_settings
from studio.ui import session_cookie, sso
from studio.ui.components import md
from studio.ui.context import ACTOR_KEY, TOKEN_KEY, action, current_actor, current_token, db

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
    "partners": ("partners.py", "关键人", ":material/handshake:", "partners"),
    "password": ("password.py", "账户与安全", ":material/key:", "password"),
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
    Role.BRANCH_LOCALISER: ("localise", "calendar", "occasions", "today", "partners", "jobs", "password"),
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
    Role.STAFF: ("today", "partners", "password"),
    Role.ADMIN: ("rules", "audit", "dashboard", "templates", "partners", "jobs", "password"),
}

# Session flag: the logged-in admin still uses the public demo password (checked once per session).
DEMO_PASSWORD_FLAG = "demo_password_in_use"
DEMO_PASSWORD_BANNER = "管理员仍在使用公开的演示密码，请立即修改。"
# What the next run does with the browser's cookie: "store" this session's token, or "forget" it.
COOKIE_ACTION = "session_cookie"
# A token the server refused, so a stale cookie is not looked up again on every run of the login page.
REFUSED_TOKEN = "refused_session_token"
LOGIN_NOTICE = "login_notice"
SESSION_ENDED = "登录已失效（已退出、超时或被结束），请重新登录。"


def _login() -> None:
    st.title("内容合规工作室")
    st.caption("私域营销内容 · 规划与合规审核")
    if notice := st.session_state.pop(LOGIN_NOTICE, None):
        st.info(notice)
    single_sign_on = sso.configured()
    if single_sign_on:
        sso.login_options()
    if not get_settings().password_login:
        if not single_sign_on:
            st.error("密码登录已关闭，且未配置单位统一身份登录，请联系系统管理员。")
        return
    with st.form("login"):
        username = st.text_input("用户名")
        password = st.text_input("密码", type="password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        from studio.services.auth import authenticate
        from studio.services.sessions import start_session

        with action(), db() as session:
            actor = authenticate(session, username, password, client=_client_id())
            token = start_session(session, actor, method="password", client=_client_label())
            st.session_state[ACTOR_KEY] = actor.model_dump(mode="json")
            st.session_state[TOKEN_KEY] = token
            st.session_state[COOKIE_ACTION] = "store"
            st.rerun()


def _client_id() -> str:
    """Who is knocking, for the per-client login throttle: the connection's IP address. Streamlit reports
    None for localhost (and in tests), which then counts as one client, "local"."""
    return getattr(st.context, "ip_address", None) or "local"


def _client_label() -> str:
    """What 我的会话 shows to tell sessions apart: the address and the browser's user agent."""
    agent = st.context.headers.get("User-Agent") or ""
    return f"{getattr(st.context, 'ip_address', None) or '本机'} · {agent}"


def _gate(url: str):
    def gate() -> None:
        _login()

    gate.__name__ = f"login_{url}"  # Streamlit tells pages apart by their function's name
    return gate


def _logout() -> None:
    actor = current_actor()
    if actor is not None:
        from studio.services.sessions import end

        with db() as session:
            end(session, actor, current_token())
    refused = current_token()
    st.session_state.clear()
    st.session_state[REFUSED_TOKEN] = refused
    st.session_state[COOKIE_ACTION] = "forget"
    if sso.identity_logged_in():
        sso.sign_out()  # also drops Streamlit's identity cookie, or the next run would sign in again
    st.rerun()


def _resume() -> Actor | None:
    """Every run: this tab's token, or the browser's cookie on a new connection, checked against the database
    (one indexed query), so a logout elsewhere, an expiry, a revocation or a deactivation applies now and a
    role or org change shows in this run. Nothing is looked up for a browser without a token."""
    token = current_token() or session_cookie.read()
    if token is None or token == st.session_state.get(REFUSED_TOKEN):
        return None
    from studio.services.sessions import resume

    with db() as session:
        actor = resume(session, token)
    if actor is None:
        if ACTOR_KEY in st.session_state:
            st.session_state[LOGIN_NOTICE] = SESSION_ENDED
        for key in (ACTOR_KEY, TOKEN_KEY, DEMO_PASSWORD_FLAG):
            st.session_state.pop(key, None)
        st.session_state[REFUSED_TOKEN] = token
        st.session_state[COOKIE_ACTION] = "forget"
        return None
    st.session_state[ACTOR_KEY] = actor.model_dump(mode="json")
    st.session_state[TOKEN_KEY] = token
    return actor


def _single_sign_on() -> Actor | None:
    """After the identity provider sent the user back: the mapped studio user, with a login session like a
    password login's (the identity opens one session: services.sso refuses it once it has)."""
    actor = sso.sign_in(_client_id())
    if actor is not None:
        from studio.services.sessions import start_session

        with db() as session:
            token = start_session(session, actor, method="oidc", client=_client_label())
        st.session_state[ACTOR_KEY] = actor.model_dump(mode="json")
        st.session_state[TOKEN_KEY] = token
        st.session_state[COOKIE_ACTION] = "store"
    return actor


def _sync_cookie() -> None:
    """Write or delete the browser's cookie once, in the run after the login or logout that asked for it."""
    match st.session_state.pop(COOKIE_ACTION, None):
        case "store" if (token := current_token()) is not None:
            session_cookie.store(token)
        case "forget":
            session_cookie.forget()


def run() -> None:
    st.set_page_config(page_title="内容合规工作室", page_icon=":material/verified_user:", layout="wide")
    actor = _resume() or _single_sign_on()
    _sync_cookie()
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
        st.warning(DEMO_PASSWORD_BANNER + "（侧边栏 → 账户与安全）", icon=":material/lock_open:")
    with st.sidebar:
        st.markdown(f"**{md(actor.display_name)}**")
        st.caption(f"{actor.role.label} · {md(actor.org_name)}")
        if st.button("退出登录", key="logout"):
            _logout()
    st.navigation(pages).run()
