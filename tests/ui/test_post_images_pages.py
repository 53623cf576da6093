"""AppTest: HQ uploads an 外部图片 and sees its recognised text and verdict; the template editor offers 配图;
the reviewer sees a post's images with the findings boxed."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from studio.domain.enums import AssetKind, ProductType
from studio.services.assets import upload_asset
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import World
from tests.materials.ocr_images import BANNED, GREETING, poster, recognise_once
from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts


@pytest.fixture(autouse=True)
def _ocr_once_per_image(monkeypatch: pytest.MonkeyPatch) -> None:
    recognise_once(monkeypatch)


BANNED_PNG = poster((BANNED, (40, 40)), size=(520, 160))
CLEAN_PNG = poster((GREETING, (40, 40)), size=(520, 160))


def _all_text(at: AppTest) -> str:
    return "\n".join([_texts(at), *(str(t.value) for t in at.text)])


def test_editor_uploads_an_outside_image_and_sees_its_text_and_verdict(app_world: World) -> None:
    at = login("editor")
    at.switch_page("studio/pages/templates.py").run()
    assert not at.exception, at.exception
    at.file_uploader[0].upload("flyer.png", BANNED_PNG, "image/png")
    by_label(at.text_input, "图片标题").input("中介海报")
    by_label(at.selectbox, "图片用途").set_value(AssetKind.PHOTO)
    by_label(at.selectbox, "图片产品类型").set_value(ProductType.WEALTH)  # a deposit may say 保本
    by_label(at.button, "上传").click().run()
    assert not at.exception, at.exception
    shown = _all_text(at)
    assert "已上传图片素材：中介海报" in shown
    assert "保本保息稳赚不赔" in shown  # the recognised text
    assert "合规检查：阻断" in shown and "INV001" in shown
    assert any("中介海报" in str(image.proto) for image in at.get("image"))


def test_reviewer_sees_the_post_images_with_boxes(app_world: World) -> None:
    w = app_world
    editor = w.actor("editor")
    shas = [
        upload_asset(w.session, editor, data, title=title, kind="photo").sha256
        for data, title in ((CLEAN_PNG, "问候图"), (BANNED_PNG, "中介海报"))
    ]
    draft = TemplateDraft(title="春日九宫格", body="春日出游，{{ branch_name }}陪您一起看花。", images=shas)
    view = create_template(w.session, editor, draft)
    assert view.verdict == "block"
    at = login("reviewer")
    assert not at.exception, at.exception
    shown = _all_text(at)
    assert "配图（2 张" in shown and "1 张图片有合规命中" in shown
    captions = " ".join(str(image.proto) for image in at.get("image"))
    assert "图1 · 问候图" in captions and "图2 · 中介海报" in captions
    assert "图2中" in shown  # the finding says which image


def test_template_editor_offers_post_images(app_world: World) -> None:
    upload_asset(app_world.session, app_world.actor("editor"), CLEAN_PNG, title="问候图", kind="photo")
    at = login("editor")
    at.switch_page("studio/pages/templates.py").run()
    assert not at.exception, at.exception
    picker = by_label(at.multiselect, "配图")
    assert picker.options == ["问候图（外部图片）"]
