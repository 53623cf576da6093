"""Single sign-on in headless Chromium: `streamlit run` configured for a local OIDC provider on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from studio.db.models import AuditEvent, User
from studio.ui.sso import SSO_BUTTON
from tests.e2e.conftest import _free_port, seeded_env, streamlit_server, wait_idle
from tests.e2e.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

pytestmark = pytest.mark.browser

REFUSED = "未开通内容合规工作室账号"


@dataclass
class SsoStudio:
    url: str
    provider: Provider
    database: Path

    def events(self, action: str) -> list[AuditEvent]:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with Session(engine) as session:
                query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
                return list(session.exec(query))
        finally:
            engine.dispose()

    def user_count(self) -> int:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with Session(engine) as session:
                return session.exec(select(func.count()).select_from(User)).one()
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoStudio]:
    data = tmp_path_factory.mktemp("sso-data")
    env = seeded_env(data)
    port = _free_port()
    with running_provider() as provider:
        config = data / "secrets.toml"
        config.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        with streamlit_server(env, "--secrets.files", str(config), port=port) as url:
            yield SsoStudio(url, provider, data / "studio.db")


def _click_sso(page, sso: SsoStudio, identity: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    sso.provider.identity = identity
    page.goto(sso.url)
    page.get_by_role("button", name=SSO_BUTTON).click(timeout=30_000)


def test_a_known_identity_comes_back_as_the_mapped_studio_user(page, sso):
    logins = len(sso.events("login"))
    _click_sso(page, sso, {"sub": "idp-0042", "preferred_username": "reviewer", "name": "王审核"})
    page.get_by_role("button", name="退出登录").wait_for(timeout=30_000)
    page.get_by_role("heading", name="审核").wait_for(timeout=30_000)  # the reviewer's first page
    wait_idle(page)
    assert sso.provider.issued[-1]["preferred_username"] == "reviewer"  # it really went through the provider
    event = sso.events("login")[logins]
    assert event.actor == "reviewer" and event.details["method"] == "oidc"
    assert event.details["issuer"] == sso.provider.issuer

    # Logging out drops Streamlit's identity cookie too: opening the studio again asks for a login.
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name=SSO_BUTTON).wait_for(timeout=30_000)
    page.goto(sso.url)
    page.get_by_role("button", name=SSO_BUTTON).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("button", name="退出登录").count() == 0
    assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]


def test_an_unknown_identity_gets_the_chinese_message_and_no_session(page, sso):
    users, refusals = sso.user_count(), len(sso.events("login.sso_unknown"))
    _click_sso(page, sso, {"sub": "idp-9999", "preferred_username": "zhang.san", "name": "张三"})
    page.get_by_text(REFUSED).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_text("zhang.san").count() >= 1
    assert page.get_by_role("button", name="退出登录").count() == 0
    page.get_by_role("button", name=SSO_BUTTON).wait_for()  # still on the login page, password form too
    assert page.get_by_label("用户名").count() == 1
    event = sso.events("login.sso_unknown")[refusals]
    assert event.subject == "sso:zhang.san" and event.details["reason"] == "unknown"
    assert sso.user_count() == users  # no account made from the identity
    # A deep link in the same browser is no way in either.
    page.goto(f"{sso.url}/review")
    page.get_by_role("button", name=SSO_BUTTON).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("button", name="退出登录").count() == 0


def test_without_auth_settings_the_login_page_has_only_the_password_form(page, server):
    page.goto(server)
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("button", name=SSO_BUTTON).count() == 0
