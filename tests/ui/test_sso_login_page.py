"""The login page with and without single sign-on configured, and the identity `st.user` hands the router."""

from __future__ import annotations

import time

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from studio.db.models import AuditEvent
from studio.settings import get_settings
from studio.ui.sso import SSO_BUTTON
from tests.conftest import PASSWORD
from tests.ui.conftest import ROOT, by_label

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "studio",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def _app(identity: dict[str, object] | None = None, *, sso: bool = True) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    if sso:
        at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False} if identity is None else {"is_logged_in": True, **identity}
    return at.run()


def _identity(username: str, **extra: object) -> dict[str, object]:
    return {
        "iss": "http://idp",
        "sub": f"sub-{username}",
        "iat": int(time.time()),
        "preferred_username": username,
        **extra,
    }


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def _events(world, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    world.session.expire_all()
    return list(world.session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_without_auth_settings_only_the_password_form_shows(app_world):
    at = _app(sso=False)
    assert not at.exception and SSO_BUTTON not in _buttons(at) and "登录" in _buttons(at)


def test_with_auth_settings_the_sso_button_and_the_password_form_show(app_world):
    at = _app()
    assert not at.exception and SSO_BUTTON in _buttons(at) and "登录" in _buttons(at)
    by_label(at.text_input, "用户名").input("editor")
    by_label(at.text_input, "密码").input(PASSWORD)
    by_label(at.button, "登录").click().run()
    assert at.session_state["actor"]["username"] == "editor"


def test_an_identity_from_the_provider_logs_in_the_mapped_user(app_world):
    at = _app(_identity("loc_a"))
    assert not at.exception
    assert at.session_state["actor"]["username"] == "loc_a"
    assert "退出登录" in _buttons(at) and SSO_BUTTON not in _buttons(at)
    assert [e.details["method"] for e in _events(app_world, "login")] == ["oidc"]


def test_a_refused_identity_is_told_why_once_per_identity_and_stays_out(app_world):
    at = _app(_identity("zhang.san"))
    assert not at.exception and "actor" not in at.session_state
    assert any("未开通" in e.value and "zhang\\.san" in e.value for e in at.error)  # escaped markdown
    at.run()  # any further click in the session: the same words, not another audit event
    assert any("未开通" in e.value for e in at.error) and "actor" not in at.session_state
    assert len(_events(app_world, "login.sso_unknown")) == 1


def test_a_stale_identity_cookie_is_ignored_quietly(app_world):
    at = _app(_identity("loc_a", iat=int(time.time()) - 3600))
    assert not at.exception and "actor" not in at.session_state and not at.error
    assert SSO_BUTTON in _buttons(at)
    assert not _events(app_world, "login") and not _events(app_world, "login.sso_unknown")


def test_password_login_off_leaves_only_the_sso_button(app_world, monkeypatch):
    monkeypatch.setenv("STUDIO_PASSWORD_LOGIN", "false")
    get_settings.cache_clear()
    at = _app()
    assert not at.exception and _buttons(at) == [SSO_BUTTON] and not at.text_input
    at = _app(sso=False)  # nothing configured at all: says so rather than showing an empty page
    assert not at.exception and any("密码登录已关闭" in e.value for e in at.error)
    get_settings.cache_clear()
