"""今日内容 shows each post's images rendered for the logged-in staff member, with a download button each;
a 九宫格 post is a 3-column grid; a poster that fails shows a message on that post only."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from studio.domain.clock import today_cn
from studio.domain.views import DailyPost
from studio.errors import ValidationError
from studio.services import calendar, posters
from studio.ui.staff_images import file_name
from tests.ui.conftest import login
from tests.workflow.test_flow import _approved_variant


def _png(folder: Path, colour: str, size: tuple[int, int] = (60, 90)) -> posters.PosterImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    path = folder / f"{sha}.png"
    path.write_bytes(data)
    return posters.PosterImage(
        sha256=sha, width=size[0], height=size[1], qr=None, media_type="image/png", path=str(path)
    )


def _placed(world, count: int = 1) -> list[int]:  # type: ignore[no-untyped-def]
    loc = world.actor("loc_a")
    ids = []
    for i in range(count):
        variant = _approved_variant(world)
        calendar.place(
            world.session,
            loc,
            org_id=loc.org_id,
            day=today_cn(),
            variant_id=variant.id,
            time_of_day=f"0{8 + i}:30",
        )
        ids.append(variant.id)
    return ids


def _fake(monkeypatch, answers):  # type: ignore[no-untyped-def]
    """post_images answering per variant id; records who asked for which staff member."""
    calls = []

    def post_images(session, actor, variant_id, *, staff_id=None):  # type: ignore[no-untyped-def]
        calls.append((actor.user_id, variant_id, staff_id))
        answer = answers[variant_id]
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(posters, "post_images", post_images)
    return calls


def _imgs(at):  # type: ignore[no-untyped-def]
    return at.get("image")


def test_poster_post_shows_image_and_download_for_the_staff_member(app_world, monkeypatch, tmp_path):
    (variant_id,) = _placed(app_world)
    image = _png(tmp_path, "#c00000")
    calls = _fake(monkeypatch, {variant_id: [image]})
    at = login("staff_a")
    at.switch_page("studio/pages/today.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    staff = app_world.actor("staff_a")
    assert set(calls) == {(staff.user_id, variant_id, staff.user_id)}  # rendered for them, by them
    assert len(_imgs(at)) == 1
    downloads = at.get("download_button")
    assert len(downloads) == 1
    assert downloads[0].proto.label == "下载图片"
    assert at.code[0].value  # the text is still there to copy


def test_nine_images_show_as_a_grid_with_a_download_each(app_world, monkeypatch, tmp_path):
    (variant_id,) = _placed(app_world)
    images = [_png(tmp_path, f"#{i:02x}{i:02x}{i:02x}") for i in range(9)]
    _fake(monkeypatch, {variant_id: images})
    at = login("staff_a")
    at.switch_page("studio/pages/today.py").run()
    assert not at.exception, at.exception
    assert len(_imgs(at)) == 9
    assert len(at.get("download_button")) == 9
    assert len(at.columns) >= 9  # three rows of three
    assert any("共 9 张图片" in c.value for c in at.caption)


def test_a_failing_poster_shows_a_message_on_that_post_only(app_world, monkeypatch, tmp_path):
    broken, fine, crashing = _placed(app_world, 3)
    _fake(
        monkeypatch,
        {
            broken: ValidationError("layer title does not fit", "图层“title”的文字放不下。"),
            fine: [_png(tmp_path, "#00aa00")],
            crashing: RuntimeError("disk on fire"),
        },
    )
    at = login("staff_a")
    at.switch_page("studio/pages/today.py").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("图片生成失败" in e and "title" in e for e in errors)
    assert any("图片暂时无法生成" in e for e in errors)
    assert "disk on fire" not in " ".join(errors)  # no internals shown
    assert len(_imgs(at)) == 1 and len(at.get("download_button")) == 1
    assert len(at.code) == 3  # every post's text still shows
    assert any(b.label == "标记为已发布" for b in at.button)


def test_text_only_posts_are_unchanged(app_world, monkeypatch):
    (variant_id,) = _placed(app_world)
    _fake(monkeypatch, {variant_id: []})
    at = login("staff_a")
    at.switch_page("studio/pages/today.py").run()
    assert not at.exception, at.exception
    assert not _imgs(at) and not at.get("download_button") and not at.error
    assert len(at.code) == 1


def _post(code: str = "poster-festival-spring") -> DailyPost:
    return DailyPost(
        slot_id=1,
        day=date(2027, 2, 6),
        time_of_day="08:30",
        channel="poster",
        title="新春",
        text="新春纳福",
        occasion="春节",
        content_type="culture",
        posted=False,
        variant_id=3,
        template_code=code,
    )


@pytest.mark.parametrize(
    ("index", "count", "media_type", "expected"),
    [
        (0, 1, "image/png", "poster-festival-spring-20270206.png"),
        (2, 9, "image/jpeg", "poster-festival-spring-20270206-3.jpg"),
        (0, 2, "image/webp", "poster-festival-spring-20270206-1.webp"),
    ],
)
def test_download_names_are_template_code_and_date(index, count, media_type, expected):
    assert file_name(_post(), index, count, media_type) == expected


def test_today_content_names_the_template_and_variant(app_world):
    (variant_id,) = _placed(app_world)
    (post,) = calendar.todays_content(app_world.session, app_world.actor("staff_a"), today_cn())
    assert post.variant_id == variant_id and post.template_code


def test_a_real_poster_is_rendered_for_the_staff_member(app_world):
    """No fake: the poster service draws the staff render (name, QR of their link) for the page."""
    from studio.db.models import User
    from tests.posters.conftest import make_poster_world
    from tests.posters.helpers import LINK

    pw = make_poster_world(app_world)
    staff = app_world.session.get(User, app_world.actor("staff_a").user_id)
    staff.contact_link, staff.job_title = LINK, "客户经理"
    app_world.session.add(staff)
    app_world.session.commit()
    loc = app_world.actor("loc_a")
    calendar.place(app_world.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=pw.variant.id)
    at = login("staff_a")
    at.switch_page("studio/pages/today.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(_imgs(at)) == 1 and len(at.get("download_button")) == 1
    (image,) = posters.post_images(
        app_world.session, app_world.actor("staff_a"), pw.variant.id, staff_id=staff.id
    )
    assert image.qr == LINK  # the staff render carries their e-card link
    branch = posters.variant_poster(app_world.session, loc, pw.variant.id)
    assert branch is not None and branch.sha256 != image.sha256
