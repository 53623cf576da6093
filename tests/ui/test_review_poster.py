"""Review of a poster: the rendered poster next to the text and findings, and the per-layer diff of texts."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from studio.db.models import TemplateVersion
from studio.domain.enums import Decision
from studio.errors import PermissionDenied, ValidationError
from studio.services import posters, variants
from studio.services.poster_review import poster_review
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now
from tests.ui.conftest import by_label, login

LAYOUT = {
    "background": "b" * 64,
    "width": 1080,
    "height": 1920,
    "layers": [
        {"name": "title", "kind": "text", "text": "冬至到了", "box": {"x": 90, "y": 200, "w": 900, "h": 200}},
        {
            "name": "greeting",
            "kind": "text",
            "text": "{{ city }}的朋友们，{{ branch_name }}祝您阖家团圆！",
            "box": {"x": 90, "y": 500, "w": 900, "h": 300},
            "max_lines": 3,
        },
        {
            "name": "branch",
            "kind": "overlay",
            "field": "branch_name",
            "box": {"x": 90, "y": 900, "w": 900, "h": 80},
        },
        {
            "name": "staff",
            "kind": "overlay",
            "field": "staff_name",
            "box": {"x": 90, "y": 1000, "w": 500, "h": 80},
        },
        {"name": "qr", "kind": "qr", "box": {"x": 800, "y": 1600, "w": 220, "h": 220}},
    ],
}
DRAFT = TemplateDraft(
    title="冬至海报",
    body="冬至到了\n{{ city }}的朋友们，{{ branch_name }}祝您阖家团圆！",
    occasion_kind="solar_term",
    occasion="冬至",
    content_type="culture",
    channel="moments",
)


def _png(folder: Path) -> posters.PosterImage:
    buffer = io.BytesIO()
    Image.new("RGB", (54, 96), "#b3261e").save(buffer, "PNG")
    data = buffer.getvalue()
    path = folder / "poster.png"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    return posters.PosterImage(
        sha256=sha, width=54, height=96, qr=None, media_type="image/png", path=str(path)
    )


def _background(world) -> str:  # type: ignore[no-untyped-def]
    """A real 1080x1920 background in the library: localising a poster draws the branch's base on it."""
    from studio.services.assets import upload_asset

    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1920), "#fdf6e3").save(buffer, "PNG")
    asset = upload_asset(
        world.session, world.actor("editor"), buffer.getvalue(), title="底图", kind="background"
    )
    return asset.sha256


def _poster_variant(world) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A submitted branch variant of an approved template version that carries a poster layout."""
    template = create_template(world.session, world.actor("editor"), DRAFT)
    decide_now(
        world.session, world.actor("reviewer"), "template_version", template.version_id, Decision.APPROVE
    )
    version = world.session.get(TemplateVersion, template.version_id)
    version.poster = dict(LAYOUT, background=_background(world))
    world.session.add(version)
    world.session.commit()
    variant = variants.localise(
        world.session,
        world.actor("loc_a"),
        template.version_id,
        {"city": "吉安", "branch_name": "章贡支行营业部"},
    )
    return template.version_id, variant.id


@pytest.fixture
def rendered(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    image = _png(tmp_path)
    calls = []

    def variant_poster(session, actor, variant_id, *, staff_id=None):  # type: ignore[no-untyped-def]
        calls.append(("variant", variant_id, staff_id))
        return image

    def render_version_base(session, actor, version_id):  # type: ignore[no-untyped-def]
        calls.append(("version", version_id, None))
        return image

    monkeypatch.setattr(posters, "variant_poster", variant_poster)
    monkeypatch.setattr(posters, "render_version_base", render_version_base)
    return calls


def test_review_page_shows_the_rendered_poster_and_the_layer_diff(app_world, rendered):
    _, variant_id = _poster_variant(app_world)
    at = login("reviewer")
    by_label(at.radio, "打开").set_value(f"variant-{variant_id}").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("image")) == 1  # the poster, rendered for the branch
    assert ("variant", variant_id, None) in rendered  # no staff overlay for the reviewer
    captions = " ".join(c.value for c in at.caption)
    assert "有改动" in captions and "网点名称" in captions
    diffs = [h.proto.body for h in at.get("html") if "studio-diff" in h.proto.body]
    assert any("<ins>" in d and "营业部" in d for d in diffs)
    assert any("冬至到了" in d for d in diffs)  # the unchanged title layer
    assert not any("staff" in c.value.split(" · ")[-1] for c in at.caption if "·" in c.value)
    assert "与总行模板示例文字的逐图层差异" in " ".join(m.value for m in at.markdown)


def test_a_poster_that_cannot_be_rendered_still_shows_texts_and_decisions(app_world, monkeypatch):
    _, variant_id = _poster_variant(app_world)

    def broken(session, actor, variant_id, *, staff_id=None):  # type: ignore[no-untyped-def]
        raise ValidationError("background gone", "海报背景图片已不存在。")

    monkeypatch.setattr(posters, "variant_poster", broken)
    at = login("reviewer")
    by_label(at.radio, "打开").set_value(f"variant-{variant_id}").run()
    assert not at.exception, at.exception
    assert any("海报无法生成" in e.value and "背景图片已不存在" in e.value for e in at.error)
    assert any(b.label == "通过" for b in at.button)
    assert any("studio-diff" in h.proto.body for h in at.get("html"))


def test_poster_review_service(app_world, rendered):
    w = app_world
    version_id, variant_id = _poster_variant(w)
    reviewer = w.actor("reviewer")
    review = poster_review(w.session, reviewer, "variant", variant_id)
    assert review is not None and review.image is not None
    layers = {layer.name: layer for layer in review.layers}
    assert list(layers) == ["title", "greeting", "branch"]  # no staff overlay, no QR
    assert not layers["title"].changed and layers["greeting"].changed
    assert layers["greeting"].after == "吉安的朋友们，章贡支行营业部祝您阖家团圆！"
    assert layers["branch"].after == "章贡支行营业部"
    with pytest.raises(PermissionDenied):
        poster_review(w.session, w.actor("staff_a"), "variant", variant_id)


def test_text_items_have_no_poster_part(app_world, rendered):
    w = app_world
    template = create_template(w.session, w.actor("editor"), DRAFT.model_copy(update={"title": "纯文字"}))
    assert poster_review(w.session, w.actor("reviewer"), "template_version", template.version_id) is None
    assert rendered == []


def test_a_new_poster_version_is_compared_with_the_approved_one(app_world, rendered):
    w = app_world
    version_id, _ = _poster_variant(w)
    version = w.session.get(TemplateVersion, version_id)
    from studio.services.templates import update_template

    approved = version.poster
    changed = dict(approved, layers=[dict(approved["layers"][0], text="冬至大如年"), *approved["layers"][1:]])
    from studio.db.models import Template

    template = w.session.get(Template, version.template_id)
    new = update_template(
        w.session,
        w.actor("editor"),
        version.template_id,
        DRAFT.model_copy(update={"body": DRAFT.body.replace("冬至到了", "冬至大如年")}),
        expected_lock_version=template.lock_version,
    )
    row = w.session.get(TemplateVersion, new.version_id)
    row.poster = changed
    w.session.add(row)
    w.session.commit()
    review = poster_review(w.session, w.actor("reviewer"), "template_version", new.version_id)
    assert review is not None and review.compared_with == "上一审核通过版本"
    title = review.layers[0]
    assert (title.before, title.after, title.changed) == ("冬至到了", "冬至大如年", True)
    assert ("version", new.version_id, None) in rendered


def test_review_of_a_real_poster_variant(app_world):
    """No fake: the poster service draws the branch render the reviewer sees."""
    from studio.db.models import utcnow
    from tests.posters.conftest import make_poster_world

    pw = make_poster_world(app_world)
    variant = pw.variant
    variant.state, variant.submitted_at = "submitted", utcnow()
    variant.submitted_by = app_world.actor("loc_a").user_id
    app_world.session.add(variant)
    app_world.session.commit()
    at = login("reviewer")
    by_label(at.radio, "打开").set_value(f"variant-{variant.id}").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("image")) == 1
    review = poster_review(app_world.session, app_world.actor("reviewer"), "variant", variant.id)
    assert review is not None and review.image is not None and Path(review.image.path).is_file()
    layers = {layer.name: layer for layer in review.layers}
    assert layers["body"].changed and "0797-8888888" in layers["body"].after  # the branch's hotline
    assert layers["address"].after == "地址：章贡区文清路88号"
    diffs = [h.proto.body for h in at.get("html") if "studio-diff" in h.proto.body]
    assert any(
        "咨询请拨打" in d and "<ins>" in d and "<del>" in d for d in diffs
    )  # HQ's 95588 → the branch's
    assert any("地址：章贡区文清路88号" in d for d in diffs)
