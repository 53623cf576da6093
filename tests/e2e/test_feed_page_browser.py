"""The static staff page in Chromium, served over loopback HTTP as a web server would: the pinned script
runs under the page's CSP, shows today and tomorrow (Beijing time), copies a post, and planted markup
stays text."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from studio.domain.clock import today_cn
from studio.domain.enums import Channel, ContentType
from studio.planning.feed_page import FeedDocument, FeedEntry, write_feed

TOKEN = "b" * 32
PLANTED = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def _entry(offset: int, title: str) -> FeedEntry:
    return FeedEntry(
        day=today_cn() + timedelta(days=offset),
        time_of_day="08:30",
        channel=Channel.MOMENTS,
        content_type=ContentType.KNOWLEDGE,
        title=title,
        text=f"{title}：{PLANTED}\n第二行",
        occasion="冬至" if offset == 0 else None,
        variant_id=offset + 10,
    )


@pytest.fixture
def served(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    doc = FeedDocument(
        org_code="JX-A",
        org_name="章贡支行",
        generated_at=datetime.now(UTC),
        first=today_cn() - timedelta(days=1),
        days=4,
        versions={},
        entries=tuple(
            _entry(o, t)
            for o, t in ((-1, "昨天的内容"), (0, "今天的内容"), (1, "明天的内容"), (2, "后天的内容"))
        ),
    )
    write_feed(doc, tmp_path, TOKEN, create=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{TOKEN}/"
    httpd.shutdown()


def test_today_and_tomorrow_shown_and_copied(browser, served):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, timezone_id="America/New_York"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(served)
    visible = page.locator("section[data-day]:visible")
    assert visible.count() == 2  # the script ran: the CSP hash admitted it
    assert [visible.nth(i).locator(".when").inner_text() for i in range(2)] == ["今天", "明天"]
    assert "今天的内容" in visible.nth(0).inner_text() and "为什么今天发：冬至" in visible.nth(0).inner_text()
    assert page.title() != "pwned" and page.locator("article img").count() == 0
    button = visible.nth(0).locator("button[data-copy]")
    button.click()
    assert button.inner_text() == "已复制"
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"今天的内容：{PLANTED}\n第二行"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
