"""services/posters.py: variant and template posters, staff renders and their cache, who may see what."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import select

from studio.db.models import User, Variant
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.services import posters
from tests.posters.conftest import PosterWorld
from tests.posters.helpers import HEIGHT, LINK, WIDTH, decode_qr, pixels


def _set_contact(
    pw: PosterWorld, username: str, *, title: str | None = "理财经理", link: str | None = LINK
) -> User:
    user = pw.user(username)
    user.display_name, user.job_title, user.contact_link = "张小红", title, link
    pw.session.add(user)
    pw.session.commit()
    return user


def _bytes(image: posters.PosterImage) -> bytes:
    data = Path(image.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == image.sha256
    return data


def test_variant_base_and_staff_render(posters_world: PosterWorld) -> None:
    pw = posters_world
    staff = _set_contact(pw, "staff_a")
    actor = pw.world.actor("staff_a")
    base = posters.variant_poster(pw.session, actor, pw.variant.id or 0)
    assert base is not None and (base.width, base.height, base.qr, base.media_type) == (
        WIDTH,
        HEIGHT,
        None,
        "image/png",
    )
    assert decode_qr(_bytes(base)) == ""
    mine = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    assert mine is not None and mine.qr == LINK
    assert decode_qr(_bytes(mine)) == LINK
    assert (pixels(_bytes(mine)) != pixels(_bytes(base))).any()
    assert "renders" in mine.path and "assets" in base.path


def test_the_cache_key_follows_the_staff_member(posters_world: PosterWorld) -> None:
    pw = posters_world
    staff = _set_contact(pw, "staff_a")
    actor = pw.world.actor("loc_a")
    first = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    again = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    assert first == again
    keys = list((posters.renders_dir() / "keys").rglob("*.json"))
    _set_contact(pw, "staff_a", link=LINK + "x")
    changed = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    assert (
        changed is not None and changed.qr == LINK + "x" and changed.sha256 != (first.sha256 if first else "")
    )
    assert decode_qr(_bytes(changed)) == LINK + "x"
    _set_contact(pw, "staff_a", title="大堂经理", link=LINK + "x")
    retitled = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    assert retitled is not None and retitled.sha256 != changed.sha256
    assert len(list((posters.renders_dir() / "keys").rglob("*.json"))) == len(keys) + 2


def test_a_cache_hit_draws_nothing(posters_world: PosterWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    pw = posters_world
    staff = _set_contact(pw, "staff_a")
    actor = pw.world.actor("staff_a")
    first = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)

    def refuse(*_args: object) -> None:
        raise AssertionError("drawn again")

    monkeypatch.setattr(posters, "render_for_staff", refuse)
    monkeypatch.setattr(posters, "render_base", refuse)
    assert posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id) == first


def test_a_broken_index_entry_is_redrawn(posters_world: PosterWorld) -> None:
    pw = posters_world
    staff = _set_contact(pw, "staff_a")
    actor = pw.world.actor("staff_a")
    first = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    assert first is not None
    for entry in (posters.renders_dir() / "keys").rglob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    Path(first.path).unlink()
    again = posters.variant_poster(pw.session, actor, pw.variant.id or 0, staff_id=staff.id)
    assert again == first and Path(first.path).is_file()


def test_the_stored_approved_render_is_served(posters_world: PosterWorld) -> None:
    """A variant whose row names its approved render gets exactly that file, not a new drawing."""
    pw = posters_world
    from studio.materials import asset_store
    from studio.services.assets import assets_dir

    sha, _ = asset_store.store(assets_dir(), Path(__file__).read_bytes(), "png")  # any bytes stand in
    variant = pw.session.get(Variant, pw.variant.id)
    assert variant is not None
    variant.rendered_sha256 = sha
    pw.session.commit()
    got = posters.variant_poster(pw.session, pw.world.actor("loc_a"), variant.id or 0)
    assert got is not None and got.sha256 == sha


def test_staff_render_only_for_themselves(posters_world: PosterWorld) -> None:
    pw = posters_world
    other = pw.user("loc_a")
    with pytest.raises(PermissionDenied):
        posters.variant_poster(pw.session, pw.world.actor("staff_a"), pw.variant.id or 0, staff_id=other.id)


def test_scope(posters_world: PosterWorld) -> None:
    pw = posters_world
    vid = pw.variant.id or 0
    with pytest.raises(NotFound):  # staff of another branch: not placed for them
        posters.variant_poster(pw.session, pw.world.actor("staff_b"), vid)
    with pytest.raises(PermissionDenied):  # a localiser of another branch
        posters.variant_poster(pw.session, pw.world.actor("loc_b"), vid)
    with pytest.raises(ValidationError):  # a staff member of another branch on JX-A's poster
        posters.variant_poster(pw.session, pw.world.actor("reviewer"), vid, staff_id=pw.user("staff_b").id)
    with pytest.raises(NotFound):
        posters.variant_poster(pw.session, pw.world.actor("reviewer"), vid, staff_id=10**6)
    variant = pw.session.get(Variant, vid)
    assert variant is not None
    variant.state = "submitted"
    pw.session.commit()
    with pytest.raises(NotFound):  # staff see approved content only
        posters.variant_poster(pw.session, pw.world.actor("staff_a"), vid)
    assert posters.variant_poster(pw.session, pw.world.actor("reviewer"), vid) is not None


def test_post_images_poster_first_then_the_versions_images(posters_world: PosterWorld) -> None:
    pw = posters_world
    from studio.services.assets import upload_asset
    from tests.posters.helpers import background

    extra = upload_asset(
        pw.session, pw.world.actor("editor"), background(300, 300), title="九宫格", kind="background"
    )
    pw.version.images = [extra.sha256]
    pw.session.add(pw.version)
    pw.session.commit()
    staff = _set_contact(pw, "staff_a")
    images = posters.post_images(pw.session, pw.world.actor("staff_a"), pw.variant.id or 0, staff_id=staff.id)
    assert [i.qr for i in images] == [LINK, None]
    assert images[1].sha256 == extra.sha256 and (images[1].width, images[1].height) == (300, 300)
    assert Path(images[1].path).is_file()


def test_template_preview(posters_world: PosterWorld) -> None:
    pw = posters_world
    image = posters.render_version_base(pw.session, pw.world.actor("reviewer"), pw.version.id or 0)
    assert image is not None and image.qr is None
    assert Path(image.path).is_file() and (image.width, image.height) == (WIDTH, HEIGHT)
    assert image == posters.render_version_base(pw.session, pw.world.actor("editor"), pw.version.id or 0)
    with pytest.raises(PermissionDenied):
        posters.render_version_base(pw.session, pw.world.actor("staff_a"), pw.version.id or 0)


def test_text_variants_have_no_poster(posters_world: PosterWorld) -> None:
    pw = posters_world
    pw.version.poster = None
    pw.session.add(pw.version)
    pw.session.commit()
    assert posters.variant_poster(pw.session, pw.world.actor("loc_a"), pw.variant.id or 0) is None
    assert posters.post_images(pw.session, pw.world.actor("loc_a"), pw.variant.id or 0) == []
    assert posters.render_version_base(pw.session, pw.world.actor("editor"), pw.version.id or 0) is None


def test_org_poster_uses_the_approved_variant_or_the_samples(posters_world: PosterWorld) -> None:
    pw = posters_world
    hq = pw.world.actor("editor")
    jx_a, gx_a = pw.world.actor("loc_a").org_id, pw.world.actor("loc_gx").org_id
    mine = posters.org_poster(pw.session, hq, pw.template.id or 0, jx_a)
    assert mine is not None and mine.variant_id == pw.variant.id
    assert "章贡支行" in mine.text and "地址：章贡区文清路88号" in mine.text
    other = posters.org_poster(pw.session, hq, pw.template.id or 0, gx_a)
    assert other is not None and other.variant_id is None
    assert "秀峰支行提醒您" in other.text and "95588" in other.text and "章贡" not in other.text
    staff = _set_contact(pw, "staff_a")
    carded = posters.org_poster(pw.session, hq, pw.template.id or 0, jx_a, staff_id=staff.id)
    assert carded is not None and carded.image.qr == LINK and "张小红" in carded.text
    with pytest.raises(ValidationError):
        posters.org_poster(pw.session, hq, pw.template.id or 0, gx_a, staff_id=staff.id)


def test_list_poster_templates(posters_world: PosterWorld) -> None:
    pw = posters_world
    rows = posters.list_poster_templates(pw.session, pw.world.actor("editor"))
    assert [r.code for r in rows] == ["p-antifraud"]
    assert [(x.name, x.kind) for x in rows[0].layers][:3] == [
        ("title", "text"),
        ("body", "text"),
        ("address", "overlay"),
    ]
    assert rows[0].layers[-1].kind == "qr"
    assert json.loads(rows[0].model_dump_json())["title"] == "反诈提醒海报"
    user = pw.session.exec(select(User).where(User.username == "staff_a")).one()
    assert user is not None
