"""Login sessions in a real browser: a refresh, a new tab and a deep link stay logged in; idle expiry, a logout
in another tab and a revocation behind the app's back all show the login form at the next click."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.services.seed import DEMO_PASSWORD
from studio.ui.app import SESSION_ENDED
from tests.e2e.conftest import ROOT, studio_server, wait_idle

pytestmark = pytest.mark.browser

COOKIE = "studio_session"
IDLE_SECONDS = 6


@pytest.fixture
def studio(server: str, server_data: Path) -> tuple[str, Path]:
    """The shared server, and its data directory for changes behind the app's back."""
    return server, server_data


@pytest.fixture(scope="module")
def idle_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every role's idle timeout is IDLE_SECONDS (a role left out of the setting gets the shortest)."""
    data = tmp_path_factory.mktemp("sessions-idle-e2e")
    with studio_server(data, STUDIO_SESSION_IDLE_MINUTES=f'{{"staff": {IDLE_SECONDS / 60}}}') as url:
        yield url


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def _login(page, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    _wait_logged_in(page)
    # The cookie is written by the run after the login.
    page.wait_for_function(f"document.cookie.includes('{COOKIE}=')", timeout=30_000)


def _wait_logged_in(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="退出登录").wait_for(timeout=30_000)
    wait_idle(page)


def _wait_login_form(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("button", name="退出登录").count() == 0


def _session_cookie(context):  # type: ignore[no-untyped-def]
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def test_refresh_new_tab_and_deep_link_stay_logged_in(context, studio):
    url, _ = studio
    page = context.new_page()
    _login(page, url, "reviewer")
    cookie = _session_cookie(context)
    assert cookie is not None and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    page.reload()
    _wait_logged_in(page)
    page.get_by_role("heading", name="审核").wait_for(timeout=30_000)
    tab = context.new_page()  # same browser: same cookie
    tab.goto(f"{url}/audit")  # a deep link to a page of the role
    _wait_logged_in(tab)
    tab.get_by_role("heading", name="审计日志").wait_for(timeout=30_000)


def test_logout_in_one_tab_logs_the_other_out_at_its_next_click(context, studio):
    url, _ = studio
    first = context.new_page()
    _login(first, url, "editor")
    second = context.new_page()
    second.goto(url)
    _wait_logged_in(second)
    first.get_by_role("button", name="退出登录").click()
    _wait_login_form(first)
    first.wait_for_function(f"!document.cookie.includes('{COOKIE}=')", timeout=30_000)
    second.get_by_role("link", name="合规规则").click()  # the other tab's next click
    _wait_login_form(second)
    second.get_by_text(SESSION_ENDED).wait_for(timeout=30_000)
    assert _session_cookie(context) is None
    second.reload()  # and a refresh does not bring the session back
    _wait_login_form(second)


def test_a_session_revoked_behind_the_apps_back_is_refused(context, studio):
    url, data = studio
    page = context.new_page()
    _login(page, url, "localiser")
    env = {
        **os.environ,
        "STUDIO_DATA_DIR": str(data),
        "STUDIO_DATABASE_URL": f"sqlite:///{data / 'studio.db'}",
    }
    revoke = (
        "from sqlmodel import select\n"
        "from studio.db.engine import session_scope\n"
        "from studio.db.models import User\n"
        "from studio.services.sessions import revoke_all_for_user\n"
        "with session_scope() as s:\n"
        "    user = s.exec(select(User).where(User.username == 'localiser')).one()\n"
        "    assert revoke_all_for_user(s, user.id, 'test') >= 1\n"
        "    s.commit()\n"
    )
    subprocess.run([sys.executable, "-c", revoke], env=env, check=True, cwd=ROOT)
    page.get_by_role("link", name="内容日历").click()
    _wait_login_form(page)
    # A new tab with the (now refused) cookie gets the login form too, and the stale cookie is deleted.
    tab = context.new_page()
    tab.goto(url)
    _wait_login_form(tab)
    tab.wait_for_function(f"!document.cookie.includes('{COOKIE}=')", timeout=30_000)


def test_idle_past_the_timeout_shows_the_login_form(context, idle_studio):
    page = context.new_page()
    _login(page, idle_studio, "staff")
    page.reload()  # still in within the timeout (a fresh connection, resumed from the cookie)
    _wait_logged_in(page)
    time.sleep(IDLE_SECONDS + 2)  # waiting out the timeout, not measuring anything
    page.get_by_role("link", name="账户与安全").click()
    _wait_login_form(page)
    page.get_by_text(SESSION_ENDED).wait_for(timeout=30_000)
