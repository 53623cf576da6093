"""E-cards and partners in a real browser: the QR codes show, and what a phone would scan from the screen is the
link the page states (Playwright in headless Debian Chromium; OpenCV reads the screenshot)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_idle
from tests.e2e.test_browser import _login
from tests.qr_decode import decode_qr

pytestmark = pytest.mark.browser


def _images(page):  # type: ignore[no-untyped-def]
    images = page.locator("[data-testid='stImage'] img")
    images.first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stImage'] img\")].every(i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )
    return images


def test_staff_see_their_partners_qr_codes_and_scan_them_off_the_screen(page, server):
    _login(page, server, "staff")
    page.goto(f"{server}/partners")
    page.get_by_role("heading", name="关键人").wait_for(timeout=30_000)
    wait_idle(page)
    images = _images(page)
    links = page.locator("[data-testid='stCode'] code").all_inner_texts()
    assert images.count() == len(links) >= 2  # the demo staff member owns partners, each with a code
    scanned = [decode_qr(images.nth(i).screenshot()) for i in range(images.count())]
    assert scanned == [link.strip() for link in links]
    assert all("customer_channel=p_" in link for link in scanned)
    assert page.get_by_role("button", name="下载二维码").count() == images.count()


def test_the_e_card_qr_code_shows_on_the_account_page(page, server):
    _login(page, server, "staff_gx")
    page.goto(f"{server}/password")
    page.get_by_role("heading", name="名片").wait_for(timeout=30_000)
    wait_idle(page)
    link = page.get_by_label("联系链接").input_value()
    assert link.startswith("https://work.weixin.qq.com/ca/")
    assert decode_qr(_images(page).first.screenshot()) == link
    assert page.get_by_role("button", name="下载名片二维码").count() == 1
