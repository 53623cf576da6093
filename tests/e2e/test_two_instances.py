"""Two real `streamlit run` processes on one PostgreSQL database: a change made on one instance (or by any
other process) is in force on the other at its next interaction, whatever the other has cached.

Instance B is warmed first (its page caches, compiled ruleset and occasion cache hold the old state);
then the change is made on instance A in a browser (a hot topic) or through the service layer from this
process, behind the app's back (a ruleset edit, an approval policy, a withdrawal); then one click on B.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from studio.db import engine as engine_module
from studio.db.models import CalendarSlot, User
from studio.domain.clock import today_cn
from studio.domain.enums import Channel, ProductType
from studio.domain.views import Actor
from studio.services import calendar, reviews, rules
from studio.services.auth import actor_for
from studio.services.seed import DEMO_PASSWORD
from studio.services.templates import LibraryFilter, list_library
from studio.settings import get_settings
from tests.conftest import POSTGRES_URL, _drop_postgres, _fresh_postgres
from tests.e2e.conftest import ROOT, streamlit_server, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
NEW_TERM = "集群专用词"
TRY_TEXT = f"本行推出{NEW_TERM}活动"


@dataclass(frozen=True)
class Cluster:
    a: str
    b: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One seeded PostgreSQL database and data directory (audit key, anchors, feed), two app processes;
    this process uses the same database and data directory for its service-layer changes."""
    if not POSTGRES_URL:
        pytest.skip("STUDIO_TEST_POSTGRES_URL not set: the two-instance test needs PostgreSQL")
    url, _ = _fresh_postgres(POSTGRES_URL)
    data = tmp_path_factory.mktemp("cluster-data")
    env = {**os.environ, "STUDIO_DATABASE_URL": url, "STUDIO_DATA_DIR": str(data)}
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = uuid.uuid4().hex  # as deploy/cluster.py: one secret for all
    patch = pytest.MonkeyPatch()
    try:
        for step in (["db", "upgrade"], ["seed", "--demo"]):
            subprocess.run([sys.executable, "-m", "studio.cli", *step], env=env, check=True, cwd=ROOT)
        patch.setenv("STUDIO_DATABASE_URL", url)
        patch.setenv("STUDIO_DATA_DIR", str(data))
        get_settings.cache_clear()
        engine_module.engine_for.cache_clear()
        with streamlit_server(env) as a, streamlit_server(env) as b:
            yield Cluster(a, b)
    finally:
        patch.undo()
        get_settings.cache_clear()
        engine_module.engine_for.cache_clear()
        _drop_postgres(POSTGRES_URL, url)


def _actor(session: Session, username: str) -> Actor:
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def _session() -> Session:
    return Session(engine_module.default_engine(), expire_on_commit=False)


def _login(page, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=30_000)
    wait_idle(page)


def _open(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).wait_for(timeout=30_000)
    wait_idle(page)


def _metric(page, label: str) -> int:  # type: ignore[no-untyped-def]
    box = page.locator("[data-testid='stMetric']", has_text=label).first
    return int(box.locator("[data-testid='stMetricValue']").inner_text().strip())


def _keyword_rule(session: Session) -> str:
    """A keyword rule that applies to the 试一试 tab's defaults (general product, moments)."""
    for doc in rules.rule_docs(session):
        if doc.terms and ProductType.GENERAL in doc.products and Channel.MOMENTS in doc.channels:
            return doc.code
    raise AssertionError("no keyword rule applies to general content on moments")


def _add_term(code: str | None, term: str) -> str:
    with _session() as session:
        code = code or _keyword_rule(session)
        rules.update_rule(
            session, _actor(session, "admin"), code, terms=[*rules.rule_terms(session, code), term]
        )
    return code


def test_ruleset_edit_elsewhere_is_in_force_at_bs_next_check(cluster, page):  # type: ignore[no-untyped-def]
    code = _add_term(None, "集群预热词")  # a stored version, so B compiles and keeps one
    _login(page, cluster.b, "admin")
    _open(page, "合规规则")
    box = page.get_by_label("输入一段文案，立即检查")
    box.fill(TRY_TEXT)
    box.press("Control+Enter")
    page.get_by_text("未发现合规问题。").wait_for(timeout=30_000)  # B compiled the current ruleset

    _add_term(code, NEW_TERM)

    box.fill(TRY_TEXT + "。")  # the next interaction on B
    box.press("Control+Enter")
    page.locator("[data-testid='stMarkdownContainer']:visible", has_text=code).first.wait_for(timeout=30_000)
    assert page.get_by_text("未发现合规问题。").count() == 0


def test_policy_set_elsewhere_shows_on_b(cluster, page):  # type: ignore[no-untyped-def]
    with _session() as session:
        admin = _actor(session, "admin")
        already = reviews.policies(session, admin)
        template = next(
            t
            for t in list_library(session, admin, LibraryFilter(), approved_only=True).rows
            if t.id not in already
        )
    _login(page, cluster.b, "admin")
    _open(page, "合规规则")
    page.get_by_role("tab", name="自动通过策略").click()
    wait_idle(page)
    enabled = page.locator("[data-testid='stMarkdownContainer']", has_text="已开启")
    assert all(template.title not in text for text in enabled.all_inner_texts())

    with _session() as session:
        reviews.set_policy(session, _actor(session, "admin"), template.id, True)

    page.get_by_label("搜索已通过的模板（标题、正文、编号）").fill(template.title)
    page.get_by_label("搜索已通过的模板（标题、正文、编号）").press("Enter")
    wait_idle(page)
    enabled.filter(has_text=template.title).first.wait_for(timeout=30_000)


def _view(page, which: str) -> None:  # type: ignore[no-untyped-def]
    """Switch 节日日历 to the year or month view and wait until that run has finished drawing."""
    page.get_by_test_id("stRadioGroup").get_by_text(which, exact=True).click()
    month = page.get_by_role("spinbutton", name="月")
    expect(month).to_be_disabled() if which == "年" else expect(month).to_be_enabled()
    wait_idle(page)


def test_hot_topic_added_on_a_counts_on_b(cluster, browser):  # type: ignore[no-untyped-def]
    on_a, on_b = (browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}) for _ in "ab")
    try:
        page_a, page_b = on_a.new_page(), on_b.new_page()
        _login(page_b, cluster.b, "editor")
        _open(page_b, "节日日历")
        _view(page_b, "年")  # B caches the year's overview
        before = _metric(page_b, "时机")

        _login(page_a, cluster.a, "editor")
        _open(page_a, "节日日历")
        page_a.get_by_label("热点名称").fill("集群热点")
        page_a.get_by_role("button", name="添加热点").click()
        page_a.get_by_text("已添加热点：集群热点").wait_for(timeout=30_000)

        _view(page_b, "月")  # the next interactions on B
        _view(page_b, "年")
        assert _metric(page_b, "时机") == before + 1
    finally:
        on_a.close()
        on_b.close()


def test_withdrawal_elsewhere_leaves_bs_todays_content(cluster, page):  # type: ignore[no-untyped-def]
    with _session() as session:
        staff = _actor(session, "staff")
        posts = calendar.todays_content(session, staff, today_cn())
        assert posts, "the demo places content on today"
        post = posts[0]
        slot = session.get(CalendarSlot, post.slot_id)
        assert slot is not None
        variant_id = slot.variant_id
    _login(page, cluster.b, "staff")
    page.get_by_role("heading", name="今日内容").wait_for(timeout=30_000)
    page.get_by_text(post.title).first.wait_for(timeout=30_000)
    shown = page.get_by_text(post.title).count()

    with _session() as session:
        reviews.withdraw(session, _actor(session, "reviewer"), variant_id, "集群测试撤回")

    _open(page, "账户与安全")  # the next interaction on B: away and back
    _open(page, "今日内容")
    assert page.get_by_text(post.title).count() < shown


def test_instances_share_one_audit_chain(cluster):  # type: ignore[no-untyped-def]
    """Both processes and this one appended to one chain with one key: it verifies end to end."""
    env = {**os.environ, "STUDIO_DATABASE_URL": get_settings().effective_database_url}
    env["STUDIO_DATA_DIR"] = str(Path(os.environ["STUDIO_DATA_DIR"]))
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
