"""The static staff feed through the services, on SQLite and PostgreSQL: written on publish, rewritten on
withdrawal and expiry, links rotated (the old folder gone at once), HQ only, failures leave no stale page."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from studio.db.models import AuditEvent, FeedLink, TemplateVersion, Variant
from studio.domain.clock import today_cn
from studio.domain.enums import Decision
from studio.errors import PermissionDenied
from studio.services import calendar, feed, planning, reviews
from studio.settings import get_settings
from tests.conftest import decide_now
from tests.planning.test_exports import _approved


@pytest.fixture
def feed_dir(tmp_path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "feed"
    monkeypatch.setenv("STUDIO_FEED_DIR", str(root))
    get_settings.cache_clear()
    return root


def _live(world, title: str, **extra):  # type: ignore[no-untyped-def]
    variant = _approved(world, title, **extra)
    decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)
    return variant


def _published(world, *placed: tuple[date, int]) -> None:  # type: ignore[no-untyped-def]
    """Place the variants on their days for JX-A and publish every month they fall in."""
    loc = world.actor("loc_a")
    for day, variant_id in placed:
        calendar.place(world.session, loc, org_id=loc.org_id, day=day, variant_id=variant_id)
    for month in sorted({f"{day:%Y-%m}" for day, _ in placed}):
        planning.publish_month(world.session, loc, loc.org_id, month)


def _token(world, code: str = "JX-A") -> str:  # type: ignore[no-untyped-def]
    org_id = world.actor("loc_a" if code == "JX-A" else "loc_b").org_id
    world.session.expire_all()
    link = world.session.exec(select(FeedLink).where(FeedLink.org_id == org_id)).one()
    return link.token


def _shown(feed_dir: Path, token: str) -> list[int]:
    data = json.loads((feed_dir / token / "feed.json").read_text(encoding="utf-8"))
    return [e["variant_id"] for e in data["entries"]]


def test_publishing_writes_the_branch_feed(world, feed_dir):
    today = today_cn()
    a, b = _live(world, "防诈骗提醒"), _live(world, "手机银行小技巧")
    _published(world, (today, a.id), (today + timedelta(days=1), b.id))
    token = _token(world)
    assert len(token) >= 32 and sorted(p.name for p in (feed_dir / token).iterdir()) == [
        "feed.json",
        "index.html",
    ]
    assert _shown(feed_dir, token) == [a.id, b.id]
    page = (feed_dir / token / "index.html").read_text(encoding="utf-8")
    assert "防诈骗提醒" in page and "手机银行小技巧" in page and "复制文案" in page
    # Nothing half-written is left behind, and the root lists nothing.
    assert not [p for p in feed_dir.iterdir() if p.name.startswith(".")]
    assert (feed_dir / "index.html").read_text(encoding="utf-8").count("<") < 5
    # The feed service is the only writer: the link's creation is audited without the token itself.
    events = world.session.exec(select(AuditEvent).where(AuditEvent.action == "feed.create")).all()
    assert len(events) == 1 and token not in json.dumps(events[0].details)


def test_a_withdrawal_rewrites_the_feeds_that_showed_it(world, feed_dir):
    today = today_cn()
    a, b = _live(world, "防诈骗提醒"), _live(world, "手机银行小技巧")
    _published(world, (today, a.id), (today + timedelta(days=1), b.id))
    token = _token(world)
    reviews.withdraw(world.session, world.actor("reviewer"), b.id, "活动取消")
    assert _shown(feed_dir, token) == [a.id]
    assert "手机银行小技巧" not in (feed_dir / token / "index.html").read_text(encoding="utf-8")


def test_an_expiry_rewrites_the_feeds_that_showed_it(world, feed_dir):
    today = today_cn()
    a = _live(world, "防诈骗提醒")
    b = _live(world, "限时活动", valid_to=today + timedelta(days=5))
    _published(world, (today, a.id), (today + timedelta(days=1), b.id))
    token = _token(world)
    assert _shown(feed_dir, token) == [a.id, b.id]
    # The validity was shortened behind the page (as an edit would); the daily expiry run takes it down.
    version = world.session.get(TemplateVersion, world.session.get(Variant, b.id).template_version_id)
    version.valid_to = today - timedelta(days=1)
    world.session.add(version)
    world.session.commit()
    assert reviews.expire_due(world.session, world.actor("editor"), today) >= 1
    assert _shown(feed_dir, token) == [a.id]


def test_rotation_kills_the_old_path_at_once(world, feed_dir):
    today = today_cn()
    a = _live(world, "防诈骗提醒")
    _published(world, (today, a.id))
    old = _token(world)
    editor, org_id = world.actor("editor"), world.actor("loc_a").org_id
    assert feed.feed_link(world.session, editor, org_id).path == f"{old}/"

    link = feed.rotate_link(world.session, editor, org_id)
    new = _token(world)
    assert new != old and link.path == f"{new}/"
    assert not (feed_dir / old).exists()
    assert _shown(feed_dir, new) == [a.id]
    event = world.session.exec(select(AuditEvent).where(AuditEvent.action == "feed.rotate")).one()
    assert event.details["link"] == feed.fingerprint(new) and event.details["previous"] == feed.fingerprint(
        old
    )
    assert old not in json.dumps(event.details) and new not in json.dumps(event.details)
    # Regenerating afterwards (a withdrawal) never brings the old folder back.
    reviews.withdraw(world.session, world.actor("reviewer"), a.id, "活动取消")
    assert not (feed_dir / old).exists() and _shown(feed_dir, new) == []


def test_a_branch_without_a_link_gets_its_first_by_rotation(world, feed_dir):
    editor, org_id = world.actor("editor"), world.actor("loc_b").org_id
    assert feed.feed_link(world.session, editor, org_id).path is None
    link = feed.rotate_link(world.session, editor, org_id)
    assert link.path and (feed_dir / link.path / "index.html").is_file()
    assert "暂无已发布的内容" in (feed_dir / link.path / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("username", ["loc_a", "staff_a", "reviewer", "jx_reviewer"])
def test_only_hq_editors_and_admins_see_and_rotate_links(world, feed_dir, username):
    actor, org_id = world.actor(username), world.actor("loc_a").org_id
    with pytest.raises(PermissionDenied):
        feed.feed_link(world.session, actor, org_id)
    with pytest.raises(PermissionDenied):
        feed.rotate_link(world.session, actor, org_id)
    with pytest.raises(PermissionDenied):
        feed.build_feeds(world.session, actor)
    assert feed.feed_link(world.session, world.actor("admin"), org_id).org_code == "JX-A"


def test_staff_cannot_trigger_a_rewrite(world, feed_dir):
    with pytest.raises(PermissionDenied):
        feed.refresh_feeds(world.session, world.actor("staff_a"), org_ids=[world.actor("staff_a").org_id])


def test_build_rewrites_every_linked_feed_and_moves_the_window(world, feed_dir):
    today = today_cn()
    a = _live(world, "防诈骗提醒")
    _published(world, (today, a.id))
    token = _token(world)
    result = feed.build_feeds(world.session, world.actor("editor"), today=today + timedelta(days=1))
    assert result.written == 1 and result.failed == ()
    data = json.loads((feed_dir / token / "feed.json").read_text(encoding="utf-8"))
    assert data["from"] == (today + timedelta(days=1)).isoformat() and data["entries"] == []


def test_a_failed_write_takes_the_stale_page_away(world, feed_dir, monkeypatch):
    """Better no page than one still showing withdrawn content."""
    today = today_cn()
    a = _live(world, "防诈骗提醒")
    _published(world, (today, a.id))
    token = _token(world)

    def disk_full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("studio.services.feed.write_feed", disk_full)
    reviews.withdraw(world.session, world.actor("reviewer"), a.id, "活动取消")  # the withdrawal still stands
    assert world.session.get(Variant, a.id).state == "withdrawn"
    assert not (feed_dir / token).exists()


def test_a_build_that_read_a_token_before_a_rotation_does_not_revive_it(world, feed_dir, monkeypatch):
    today = today_cn()
    a = _live(world, "防诈骗提醒")
    _published(world, (today, a.id))
    old, editor = _token(world), world.actor("editor")
    org_id = world.actor("loc_a").org_id
    feed.rotate_link(world.session, editor, org_id)  # the old folder is gone
    # The build read the token before the rotation committed (its own reads all return the old one).
    monkeypatch.setattr(feed, "_tokens", lambda session, org_ids: {org_id: old})
    feed.build_feeds(world.session, editor, "JX-A")
    assert not (feed_dir / old).exists()
    assert (feed_dir / _token(world) / "index.html").is_file()
