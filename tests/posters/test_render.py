"""Rendering posters (studio/posters/render.py, qr.py, texts.py): deterministic bytes, QR that decodes back
to the exact link, staff overlays, refusals that name the layer."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from studio.errors import ValidationError
from studio.posters.layout import Box, OverlayField, PosterLayout, QrLayer
from studio.posters.qr import QrTooDense, qr_image
from studio.posters.render import RenderedPoster, StaffFields, check_fit, render_base, render_for_staff
from studio.posters.texts import branch_fields, compliance_text, layer_texts
from tests.posters.helpers import HEIGHT, LINK, WIDTH, background, decode_qr, layout, pixels

VALUES = {
    "branch_name": "章贡支行",
    "hotline": "0797-8888888",
    "branch_address": "章贡区文清路88号",
    "service_hours": "周一至周日 9:00-17:00",
}


def _base(values: dict[str, str] | None = None) -> tuple[PosterLayout, RenderedPoster]:
    lay = layout()
    values = VALUES if values is None else values
    return lay, render_base(lay, background(), layer_texts(lay, values), branch_fields(values))


def _crop(png: bytes, box: Box) -> np.ndarray:
    return pixels(png)[box.y : box.bottom, box.x : box.right]


def _layer_box(name: str) -> Box:
    return next(layer.box for layer in layout().layers if layer.name == name)


def test_texts_and_compliance_text() -> None:
    lay = layout()
    texts = layer_texts(lay, VALUES)
    assert texts == {
        "title": "章贡支行提醒您：守好钱袋子",
        "body": "不听、不信、不转账。咨询请拨打 0797-8888888。",
    }
    fields = branch_fields({**VALUES, "bank_name": "  ", "other": "x"})
    assert fields == {
        OverlayField.BRANCH_NAME: "章贡支行",
        OverlayField.BRANCH_ADDRESS: "章贡区文清路88号",
        OverlayField.SERVICE_HOURS: "周一至周日 9:00-17:00",
    }
    assert compliance_text(lay, texts, fields).split("\n") == [
        "章贡支行提醒您：守好钱袋子",
        "不听、不信、不转账。咨询请拨打 0797-8888888。",
        "地址：章贡区文清路88号",
        "营业时间：周一至周日 9:00-17:00",
    ]
    assert "营业时间" not in compliance_text(lay, texts, {})


def test_slot_values_render_in_the_sandbox() -> None:
    with pytest.raises(ValidationError):
        layer_texts(layout(), {"branch_name": "x"})  # hotline missing: refused, not rendered as blank


def test_same_input_same_bytes_and_the_text_is_drawn() -> None:
    lay, first = _base()
    _, second = _base()
    assert first.png == second.png and first.sha256 == second.sha256
    assert (first.width, first.height, first.qr) == (WIDTH, HEIGHT, None)
    image = Image.open(BytesIO(first.png))
    assert image.format == "PNG" and image.mode == "RGB"
    assert not {"icc_profile", "exif", "dpi"} & set(image.info)
    title = _crop(first.png, _layer_box("title"))
    assert (title != np.array([0xFF, 0xF4, 0xE0])).any(axis=2).sum() > 1000
    _, other = _base({**VALUES, "branch_name": "秀峰支行"})
    assert other.sha256 != first.sha256


def test_a_jpeg_background_is_accepted() -> None:
    lay = layout()
    result = render_base(lay, background(fmt="JPEG"), layer_texts(lay, VALUES), {})
    assert (result.width, result.height) == (WIDTH, HEIGHT)


@pytest.mark.parametrize(
    "data", [background(WIDTH + 1, HEIGHT), background(HEIGHT, WIDTH), b"not an image", b""]
)
def test_a_background_of_another_size_or_no_image_is_refused(data: bytes) -> None:
    lay = layout()
    with pytest.raises(ValidationError) as refused:
        render_base(lay, data, layer_texts(lay, VALUES), {})
    assert "background" in refused.value.message_en and "底图" in refused.value.message_zh


def test_overflow_refused_before_drawing_naming_the_layer() -> None:
    lay = layout()
    texts = {**layer_texts(lay, VALUES), "body": "很长的正文" * 200}
    with pytest.raises(ValidationError) as refused:
        check_fit(lay, texts, {})
    assert "'body'" in refused.value.message_en and "图层“body”" in refused.value.message_zh
    with pytest.raises(ValidationError):
        render_base(lay, background(), texts, {})
    with pytest.raises(ValidationError) as glyphs:
        check_fit(lay, layer_texts(lay, VALUES), {OverlayField.BRANCH_ADDRESS: "文清路🏦"})
    assert "'address'" in glyphs.value.message_en and "U+1F3E6" in glyphs.value.message_en


def test_staff_render_carries_the_qr_of_the_exact_link_and_the_name() -> None:
    lay, base = _base()
    assert decode_qr(base.png) == ""
    staff = render_for_staff(lay, base.png, StaffFields("张三", "理财经理", LINK))
    assert staff.qr == LINK
    assert decode_qr(staff.png) == LINK
    crop = BytesIO()
    Image.open(BytesIO(staff.png)).crop((480, 1000, 700, 1220)).save(crop, "PNG")
    assert decode_qr(crop.getvalue()) == LINK
    for name in ("staff", "job", "qr"):
        box = _layer_box(name)
        assert (_crop(base.png, box) != _crop(staff.png, box)).any(), name
    for name in ("title", "body", "address"):  # the base is untouched elsewhere
        box = _layer_box(name)
        assert (_crop(base.png, box) == _crop(staff.png, box)).all(), name
    again = render_for_staff(lay, base.png, StaffFields("张三", "理财经理", LINK))
    assert again.sha256 == staff.sha256
    other = render_for_staff(lay, base.png, StaffFields("李四", "理财经理", LINK))
    assert other.sha256 != staff.sha256


def test_no_link_or_no_qr_layer_leaves_the_box_as_background() -> None:
    lay, base = _base()
    staff = render_for_staff(lay, base.png, StaffFields("张三", None, None))
    assert staff.qr is None
    box = _layer_box("qr")
    assert (_crop(base.png, box) == _crop(staff.png, box)).all()
    plain = layout(qr=False)
    base2 = render_base(plain, background(), layer_texts(plain, VALUES), {})
    assert render_for_staff(plain, base2.png, StaffFields("张三", None, LINK)).qr is None


@pytest.mark.parametrize(
    "name",
    ["欧阳" * 200, "\x00\x1b[2J张三\u202e", "😀" * 30, "", "   ", "Zhang San " * 50, "张\n三\n丰\n四\n五"],
)
def test_hostile_staff_names_never_break_the_staff_render(name: str) -> None:
    lay, base = _base()
    staff = render_for_staff(lay, base.png, StaffFields(name, name, LINK))
    assert decode_qr(staff.png) == LINK


@pytest.mark.parametrize("link", [LINK, "https://例子.cn/名片?id=1&x=é", "W" * 20])
def test_qr_codes_decode_back_exactly(link: str) -> None:
    layer = QrLayer(name="qr", box=Box(x=0, y=0, w=200, h=200))
    image = qr_image(layer, link)
    assert image.size == (200, 200)
    buffer = BytesIO()
    image.save(buffer, "PNG")
    assert decode_qr(buffer.getvalue()) == link


def test_a_link_too_long_for_the_box_is_refused_or_left_out() -> None:
    layer = QrLayer(name="qr", box=Box(x=0, y=0, w=120, h=120))
    with pytest.raises(QrTooDense) as refused:
        qr_image(layer, "https://example.com/" + "a" * 900)
    assert refused.value.layer == "qr" and "图层“qr”" in refused.value.message_zh
    lay, base = _base()
    assert render_for_staff(lay, base.png, StaffFields("张三", None, "https://x.cn/" + "a" * 3000)).qr is None


def test_a_base_of_another_size_is_refused_for_staff() -> None:
    with pytest.raises(ValidationError):
        render_for_staff(layout(), background(10, 10), StaffFields("张三", None, LINK))


def test_threads_draw_the_same_bytes() -> None:
    """Streamlit serves sessions from threads that share the cached fonts: renders stay identical."""
    from concurrent.futures import ThreadPoolExecutor

    lay = layout()
    texts = layer_texts(lay, VALUES)
    expected = render_base(lay, background(), texts, branch_fields(VALUES)).sha256
    values = [{**VALUES, "branch_name": name} for name in ("章贡支行", "秀峰支行", "南康支行")] * 4

    def draw(values: dict[str, str]) -> tuple[str, str]:
        result = render_base(lay, background(), layer_texts(lay, values), branch_fields(values))
        return values["branch_name"], result.sha256

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(draw, values))
    by_name: dict[str, set[str]] = {}
    for name, sha in results:
        by_name.setdefault(name, set()).add(sha)
    assert all(len(shas) == 1 for shas in by_name.values())
    assert by_name["章贡支行"] == {expected}


def test_a_truncated_background_is_refused_not_crashed() -> None:
    lay = layout()
    data = background()
    with pytest.raises(ValidationError) as refused:
        render_base(lay, data[: len(data) // 2], layer_texts(lay, VALUES), {})
    assert "底图" in refused.value.message_zh
