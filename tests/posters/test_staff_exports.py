"""Real posters (no fakes) reaching staff: the calendar export and the staff feed carry the branch render,
byte for byte, and a bank-level poster placed on a branch's calendar exports for the branch's localiser."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from studio.db.models import FeedLink, Variant
from studio.domain.clock import today_cn
from studio.services import calendar, planning, posters
from studio.settings import get_settings
from tests.posters.conftest import PosterWorld, make_poster_world


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _place(pw: PosterWorld, variant_id: int) -> str:
    """Placed today on JX-A's calendar and published (an export writes the published month)."""
    loc = pw.world.actor("loc_a")
    calendar.place(
        pw.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=variant_id, time_of_day="08:30"
    )
    month = f"{today_cn():%Y-%m}"
    planning.publish_month(pw.session, loc, loc.org_id, month)
    return month


def test_export_carries_the_branch_render(posters_world, tmp_path):
    pw = posters_world
    month = _place(pw, pw.variant.id or 0)
    loc = pw.world.actor("loc_a")
    list(planning.export_month(pw.session, loc, "JX-A", month, tmp_path, ("json", "html")))
    data = json.loads((tmp_path / "JX-A" / f"{month}.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in data["entries"] if e["variant_id"] == pw.variant.id]
    (image,) = entry["images"]
    branch = posters.variant_poster(pw.session, loc, pw.variant.id or 0)
    assert branch is not None and image["sha256"] == branch.sha256  # no staff overlay in a shared file
    file = tmp_path / "JX-A" / image["url"]
    assert _sha(file) == image["sha256"]
    with Image.open(file) as png:
        assert png.size == (image["width"], image["height"]) == (branch.width, branch.height)
    assert f'<img src="{image["url"]}"' in (tmp_path / "JX-A" / f"{month}.html").read_text(encoding="utf-8")


def test_staff_feed_shows_the_branch_render(posters_world, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_FEED_DIR", str(tmp_path / "feed"))
    get_settings.cache_clear()
    pw = posters_world
    _place(pw, pw.variant.id or 0)
    loc = pw.world.actor("loc_a")
    token = pw.session.exec(select(FeedLink.token).where(FeedLink.org_id == loc.org_id)).one()
    folder = tmp_path / "feed" / token
    data = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
    (image,) = next(e["images"] for e in data["entries"] if e["variant_id"] == pw.variant.id)
    assert _sha(folder / image["url"]) == image["sha256"]
    assert f'src="{image["url"]}"' in (folder / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("who", ["loc_a", "staff_a"])
def test_a_bank_poster_on_the_branch_calendar_renders_for_the_branch(posters_world, tmp_path, who):
    """The bank (JX) localised the poster; its branch JX-A places it. The branch's localiser exports the
    month and its staff see it: both reach the parent's approved variant, as the calendar does."""
    pw = posters_world
    bank = pw.session.exec(select(Variant).where(Variant.id == pw.variant.id)).one()
    jx = pw.world.actor("jx_reviewer").org_id  # the bank's org
    bank.org_id = jx
    pw.session.add(bank)
    pw.session.commit()
    month = _place(pw, bank.id or 0)
    actor = pw.world.actor(who)
    if who == "loc_a":
        list(planning.export_month(pw.session, actor, "JX-A", month, tmp_path, ("json",)))
        data = json.loads((tmp_path / "JX-A" / f"{month}.json").read_text(encoding="utf-8"))
        assert next(e["images"] for e in data["entries"] if e["variant_id"] == bank.id)
    else:
        images = posters.post_images(pw.session, actor, bank.id or 0, staff_id=actor.user_id)
        assert len(images) == 1 and Path(images[0].path).is_file()


def test_another_branch_cannot_render_the_poster(posters_world):
    from studio.errors import NotFound, PermissionDenied

    pw = posters_world
    with pytest.raises((NotFound, PermissionDenied)):
        posters.post_images(pw.session, pw.world.actor("loc_gx"), pw.variant.id or 0)
    assert make_poster_world  # the fixture's builder, for tests that need a second poster
