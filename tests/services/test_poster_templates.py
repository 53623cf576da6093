"""Poster templates in the template and variant services: the background is a library image, the render's
hash is part of the digest (template version and variant), and a text that no longer fits is refused
with the layer named and nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from studio.db.models import TemplateVersion, Variant
from studio.domain.digest import content_digest
from studio.domain.enums import Decision
from studio.errors import ValidationError
from studio.localisation.draft import TemplateDraft
from studio.materials import asset_store
from studio.services.assets import assets_dir, upload_asset
from studio.services.reviews import digest_of
from studio.services.templates import create_template, update_template
from studio.services.variants import localise, preview_poster, update_variant
from tests.conftest import World, decide_now
from tests.materials.poster_fixtures import png


def layout(background: str, *, title: str = "{{ branch_name }}恭祝新春快乐") -> dict[str, Any]:
    return {
        "background": background,
        "width": 1080,
        "height": 1920,
        "layers": [
            {
                "name": "title",
                "kind": "text",
                "text": title,
                "box": {"x": 60, "y": 200, "w": 600, "h": 300},
                "font_size": [48, 96],
                "max_lines": 2,
            },
            {
                "name": "address",
                "kind": "overlay",
                "field": "branch_address",
                "prefix": "地址：",
                "box": {"x": 60, "y": 1500, "w": 640, "h": 60},
                "font_size": [20, 32],
            },
            {"name": "qr", "kind": "qr", "box": {"x": 760, "y": 1560, "w": 240, "h": 240}},
        ],
    }


def draft(background: str, **changes: Any) -> TemplateDraft:
    return TemplateDraft(
        title="春节海报",
        occasion_kind="festival",
        occasion="春节",
        content_type="culture",
        persona="perks",
        channel="poster",
        product_type="general",
        poster=layout(background, **changes),
    )


@pytest.fixture
def background(world: World) -> str:
    view = upload_asset(world.session, world.actor("editor"), png(), title="春节背景", kind="background")
    return view.sha256


def _stored(sha256: str) -> bytes:
    return asset_store.path_for(assets_dir(), sha256, "png").read_bytes()


def test_a_poster_template_binds_its_render(world: World, background: str) -> None:
    view = create_template(world.session, world.actor("editor"), draft(background))
    version = world.session.get(TemplateVersion, view.version_id)
    assert version is not None and version.rendered_sha256
    assert version.poster["background"] == background  # type: ignore[index]
    assert asset_store.address(_stored(version.rendered_sha256)) == version.rendered_sha256
    assert version.body == "{{ branch_name }}恭祝新春快乐"
    assert {s["name"] for s in version.slots} == {"branch_name", "branch_address"}
    expected = content_digest(
        title=version.title,
        text=version.body,
        channel="poster",
        product_type="general",
        slots=version.slots,
        images=[version.rendered_sha256],
    )
    assert version.content_digest == expected == digest_of(version, version)
    assert view.rendered_sha256 == version.rendered_sha256 and view.poster == version.poster


def test_a_new_background_changes_the_digest(world: World, background: str) -> None:
    editor = world.actor("editor")
    first = create_template(world.session, editor, draft(background))
    other = upload_asset(world.session, editor, png("#102030"), title="夜景", kind="background").sha256
    second = update_template(world.session, editor, first.id, draft(other), expected_lock_version=1)
    one = world.session.get(TemplateVersion, first.version_id)
    two = world.session.get(TemplateVersion, second.version_id)
    assert one and two and one.body == two.body
    assert one.rendered_sha256 != two.rendered_sha256 and one.content_digest != two.content_digest


@pytest.mark.parametrize(
    ("picked", "message"),
    [
        ("backgrounds/spring.png", "not a library image"),
        ("0" * 64, "no library image"),
    ],
)
def test_the_background_must_be_a_library_image(world: World, picked: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        create_template(world.session, world.actor("editor"), draft(picked))


def test_a_background_of_another_size_is_refused(world: World) -> None:
    editor = world.actor("editor")
    small = upload_asset(world.session, editor, png(size=(1080, 1080)), title="方图", kind="background")
    with pytest.raises(ValidationError, match="1080x1080, the layout says 1080x1920"):
        create_template(world.session, editor, draft(small.sha256))


def test_a_layout_outside_the_canvas_names_the_layer(world: World, background: str) -> None:
    broken = draft(background).poster
    assert broken is not None
    broken["layers"][0]["box"]["w"] = 2000
    with pytest.raises(ValidationError, match=r"poster.layers\[0\].box: layer 'title' box lies outside"):
        create_template(
            world.session, world.actor("editor"), draft(background).model_copy(update={"poster": broken})
        )


def _approved(world: World, background: str) -> int:
    view = create_template(world.session, world.actor("editor"), draft(background))
    decide_now(world.session, world.actor("reviewer"), "template_version", view.version_id, Decision.APPROVE)
    return view.version_id


VALUES = {"branch_name": "南康支行营业部", "branch_address": "南康区蓉江路1号"}


def test_a_poster_variant_gets_its_own_render_bound_in_its_digest(world: World, background: str) -> None:
    version_id = _approved(world, background)
    loc = world.actor("loc_a")
    view = localise(world.session, loc, version_id, VALUES)
    variant = world.session.get(Variant, view.id)
    version = world.session.get(TemplateVersion, version_id)
    assert variant and version and variant.rendered_sha256 and version.rendered_sha256
    assert variant.rendered_sha256 != version.rendered_sha256  # the branch's words, not the samples
    assert variant.text == "南康支行营业部恭祝新春快乐\n地址：南康区蓉江路1号"
    assert view.rendered_sha256 == variant.rendered_sha256
    assert asset_store.address(_stored(variant.rendered_sha256)) == variant.rendered_sha256
    expected = content_digest(
        title=variant.title,
        text=variant.text,
        channel="poster",
        product_type="general",
        images=[variant.rendered_sha256],
    )
    assert variant.content_digest == expected == digest_of(variant, version)
    tampered = variant.model_copy(update={"rendered_sha256": "f" * 64})
    assert digest_of(tampered, version) != variant.content_digest
    preview = preview_poster(world.session, loc, version_id, VALUES)
    assert preview is not None and preview.sha256 == variant.rendered_sha256
    assert preview.png.startswith(b"\x89PNG")


def test_a_text_that_no_longer_fits_is_refused_and_nothing_saved(world: World, background: str) -> None:
    version_id = _approved(world, background)
    loc = world.actor("loc_a")
    view = localise(world.session, loc, version_id, VALUES)
    too_long = {**VALUES, "branch_name": "很长很长的网点名称" * 3}
    with pytest.raises(ValidationError) as refused:
        update_variant(world.session, loc, view.id, too_long, expected_lock_version=view.lock_version)
    assert "title" in refused.value.message_en and "title" in refused.value.message_zh
    world.session.rollback()
    assert world.session.exec(select(func.count()).select_from(Variant)).one() == 1
    with pytest.raises(ValidationError, match="title"):
        localise(world.session, world.actor("loc_b"), version_id, too_long)
    assert world.session.exec(select(func.count()).select_from(Variant)).one() == 1
