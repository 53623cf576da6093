"""素材库 图片素材: HQ editors get the upload form, reviewers only the gallery; the gallery shows stored images."""

from __future__ import annotations

import io

from PIL import Image

from studio.services.assets import upload_asset
from tests.ui.conftest import login


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, format="PNG")
    return out.getvalue()


def test_editor_sees_upload_form_and_gallery(app_world):
    upload_asset(app_world.session, app_world.actor("editor"), _png(), title="立春背景", kind="background")
    at = login("editor")
    at.switch_page("studio/pages/templates.py").run()
    assert not at.exception, at.exception
    assert "图片素材（海报背景、主题皮肤）" in [e.label for e in at.expander]
    assert "上传" in [b.label for b in at.button]
    images = at.get("image")
    assert images and "立春背景" in str(images[0].proto)


def test_reviewer_sees_gallery_without_upload(app_world):
    upload_asset(app_world.session, app_world.actor("editor"), _png(), title="立春背景", kind="background")
    at = login("reviewer")
    at.switch_page("studio/pages/templates.py").run()
    assert not at.exception, at.exception
    assert "上传" not in [b.label for b in at.button]
    assert at.get("image")
