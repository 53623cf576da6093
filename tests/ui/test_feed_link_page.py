"""内容日历: HQ sees a branch's staff feed link and rotates it; a branch localiser is offered neither."""

from __future__ import annotations

from sqlmodel import select

from studio.db.models import FeedLink
from studio.settings import get_settings
from tests.ui.conftest import by_label, login


def _tokens(world) -> list[str]:  # type: ignore[no-untyped-def]
    world.session.expire_all()
    return [link.token for link in world.session.exec(select(FeedLink))]


def test_hq_creates_then_rotates_a_link(app_world, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_FEED_DIR", str(tmp_path / "feed"))
    get_settings.cache_clear()
    at = login("editor")
    at.switch_page("studio/pages/content_calendar.py").run()
    assert not at.exception, at.exception
    assert "员工内容页链接" in [e.label for e in at.expander]
    by_label(at.button, "生成链接").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (first,) = _tokens(app_world)
    assert (tmp_path / "feed" / first / "index.html").is_file()
    assert any(c.value == f"{first}/" for c in at.code)

    assert by_label(at.button, "更换链接").disabled  # not before the confirmation
    by_label(at.checkbox, "我已知晓").check().run()
    by_label(at.button, "更换链接").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (second,) = _tokens(app_world)
    assert second != first and not (tmp_path / "feed" / first).exists()
    assert any("旧链接已失效" in s.value for s in at.success)


def test_a_branch_localiser_sees_no_link(app_world):
    at = login("loc_a")
    at.switch_page("studio/pages/content_calendar.py").run()
    assert not at.exception, at.exception
    assert "员工内容页链接" not in [e.label for e in at.expander]
