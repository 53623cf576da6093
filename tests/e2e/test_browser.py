"""Playwright in headless Debian Chromium against `streamlit run`."""

from __future__ import annotations

import pytest

from studio.services.seed import DEMO_PASSWORD
from studio.ui.app import _PAGES
from tests.e2e.conftest import PLANTED_MARKUP, PLANTED_PHRASE, PLANTED_TITLE, wait_idle

pytestmark = pytest.mark.browser


def _login(page, server, username):  # type: ignore[no-untyped-def]
    page.goto(server)
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=30_000)
    wait_idle(page)


def test_staff_logs_in_and_sees_todays_content(page, server):
    _login(page, server, "staff")
    page.get_by_role("heading", name="今日内容").wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_text("章贡支行").first.wait_for(timeout=30_000)
    # Seeded content is placed today; its text is in a copyable code block.
    assert page.locator("[data-testid='stCode']").count() >= 1
    page.screenshot(path=str(server_artifacts() / "staff-today.png"), full_page=True)


@pytest.mark.parametrize("username", ["nobody", "staff"])
def test_wrong_password_shows_the_same_chinese_message(page, server, username):
    # An unknown user and a real user with a wrong password get the same words: no account probing.
    page.goto(server)
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误").wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_role("button", name="退出登录").count() == 0


@pytest.mark.parametrize("url_path", [spec[3] for spec in _PAGES.values()])
def test_unauthenticated_deep_link_shows_only_login(page, server, url_path):
    page.goto(f"{server}/{url_path}")
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    wait_idle(page)
    for _, title, _, _ in _PAGES.values():
        assert page.get_by_role("heading", name=title).count() == 0


def server_artifacts():  # type: ignore[no-untyped-def]
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / "data" / "e2e"
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_deep_link_opens_after_login_when_the_role_has_the_page(page, server):
    page.goto(f"{server}/calendar")
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill("localiser")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="内容日历").wait_for(timeout=30_000)


def test_reviewer_sees_highlighted_findings_escaped(page, server):
    _login(page, server, "reviewer")
    page.get_by_role("heading", name="审核").wait_for(timeout=30_000)
    page.get_by_text(PLANTED_TITLE).first.click(timeout=30_000)  # its entry in the list of this page
    wait_idle(page)
    text = page.locator(".studio-text").filter(has_text=PLANTED_PHRASE)
    text.wait_for(timeout=30_000)
    # Escaped: the planted tags are shown as literal characters and never became elements.
    assert PLANTED_MARKUP in text.inner_text()
    assert text.locator("script").count() == 0 and text.locator("b").count() == 0
    assert page.title() != "pwned"
    # Highlighted: the finding's span is wrapped in a severity mark naming the rule.
    mark = text.locator("mark", has_text=PLANTED_PHRASE)
    assert mark.count() == 1
    assert (mark.get_attribute("class") or "").startswith("sev-") and mark.get_attribute("title")
