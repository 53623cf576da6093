"""The template editor for 渠道 海报 (background from 图片素材, layers, rendered preview) and the localise
page's poster preview, in AppTest against the real router."""

from __future__ import annotations

from sqlmodel import select

from studio.db.models import Template, TemplateVersion
from studio.domain.enums import Decision
from studio.services.assets import upload_asset
from studio.services.templates import create_template
from tests.conftest import World, decide_now
from tests.materials.poster_fixtures import png
from tests.services.test_poster_templates import draft
from tests.ui.conftest import login


def _background(world: World) -> str:
    return upload_asset(
        world.session, world.actor("editor"), png(), title="春节背景", kind="background"
    ).sha256


def test_editor_creates_a_poster_template_from_an_uploaded_background(app_world: World) -> None:
    sha = _background(app_world)
    at = login("editor")
    at.switch_page("studio/pages/templates.py").run()
    at.selectbox(key="new-channel").select_index(4).run()  # 海报
    assert not at.exception, at.exception
    at.text_input(key="new-title").input("新春海报").run()
    assert at.checkbox(key="new-use-poster").value
    assert at.selectbox(key="new-background").value == sha
    previews = [i for i in at.get("image") if "海报预览" in str(i.proto)]
    assert previews, "no rendered preview"
    at.button(key="new-save").click().run()
    assert not at.exception, at.exception
    app_world.session.expire_all()
    version = app_world.session.exec(select(TemplateVersion).where(TemplateVersion.title == "新春海报")).one()
    assert version.channel == "poster" and version.poster and version.poster["background"] == sha
    assert version.rendered_sha256 and "{{ branch_name }}" in version.body
    assert app_world.session.exec(select(Template)).one()


def test_editor_opens_a_poster_and_names_the_layer_a_new_background_breaks(app_world: World) -> None:
    sha = _background(app_world)
    editor = app_world.actor("editor")
    view = create_template(app_world.session, editor, draft(sha))
    square = upload_asset(app_world.session, editor, png(size=(1080, 1080)), title="方图", kind="background")
    at = login("editor")
    at.switch_page("studio/pages/templates.py").run()
    at.tabs[1].text_input(key="edit-search").input(view.code).run()
    assert not at.exception, at.exception
    prefix = f"edit-{view.id}"
    assert at.checkbox(key=f"{prefix}-use-poster").value
    assert at.selectbox(key=f"{prefix}-background").value == sha
    assert [i for i in at.get("image") if "海报预览" in str(i.proto)]
    at.selectbox(key=f"{prefix}-background").set_value(square.sha256).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("海报无法生成" in e and "address" in e and "1080x1080" in e for e in errors), errors


def test_localise_page_shows_the_branch_poster(app_world: World) -> None:
    sha = _background(app_world)
    view = create_template(app_world.session, app_world.actor("editor"), draft(sha))
    decide_now(
        app_world.session, app_world.actor("reviewer"), "template_version", view.version_id, Decision.APPROVE
    )
    at = login("loc_a")
    at.switch_page("studio/pages/localise.py").run()
    assert not at.exception, at.exception
    assert [i for i in at.get("image") if "海报预览" in str(i.proto)], "no poster preview beside the form"
    too_long = "很长很长的网点名称" * 3
    at.text_input(key=f"slot-{view.version_id}-branch_name").input(too_long)
    next(b for b in at.button if b.label == "预览").click().run()
    assert any("title" in e.value for e in at.error), [e.value for e in at.error]
