"""Library images: only real PNG/JPEG/WebP get in, bombs and oversize files are refused early, EXIF is stripped."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, ImageFile

from studio.errors import ImageRefused, ValidationError
from studio.materials.images import inspect_image, sanitise

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}


def encoded(
    fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", color: object = None, **save: object
) -> bytes:
    out = io.BytesIO()
    fill = color if color is not None else ("white" if mode != "1" else 1)
    Image.new(mode, size, fill).save(out, format=fmt, **save)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "media_type", "ext"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_png_jpeg_webp_accepted(fmt: str, media_type: str, ext: str) -> None:
    data = encoded(fmt)
    facts = inspect_image(data, **LIMITS)
    assert (facts.media_type, facts.ext, facts.width, facts.height, facts.bytes) == (
        media_type,
        ext,
        64,
        48,
        len(data),
    )


def test_content_decides_not_the_name() -> None:
    # inspect_image never sees a file name: a PNG "named .svg" is still the PNG its bytes are.
    assert inspect_image(encoded("PNG"), **LIMITS).media_type == "image/png"


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _png_then_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return encoded("PNG") + archive.getvalue()


def _jpeg_then_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return encoded("JPEG") + archive.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SVG, id="svg"),
        pytest.param(encoded("GIF", mode="P"), id="gif"),
        pytest.param(encoded("BMP"), id="bmp"),
        pytest.param(encoded("TIFF"), id="tiff"),
        pytest.param("春节快乐，存款利率 3%".encode(), id="text"),
        pytest.param(b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", id="html"),
        pytest.param(encoded("PNG")[:60], id="truncated-png"),
        pytest.param(encoded("PNG")[:33] + b"\x00garbage" * 20, id="png-header-garbage"),
        pytest.param(encoded("JPEG")[:-40], id="truncated-jpeg"),
        pytest.param(encoded("WEBP")[:-10], id="truncated-webp"),
        pytest.param(_png_then_zip(), id="png-zip-polyglot"),
        pytest.param(_jpeg_then_zip(), id="jpeg-zip-polyglot"),
        pytest.param(b"PK\x03\x04" + encoded("PNG"), id="zip-first"),
        pytest.param(b"", id="empty"),
    ],
)
def test_anything_else_refused_with_a_clear_message(data: bytes) -> None:
    with pytest.raises(ImageRefused) as refused:
        inspect_image(data, **LIMITS)
    assert isinstance(refused.value, ValidationError)  # the CLI and pages already show these
    assert str(refused.value).startswith("image refused:")
    assert refused.value.message_zh.startswith("图片未接受：")
    with pytest.raises(ImageRefused):
        sanitise(data, **LIMITS)


def test_svg_named_png_refused() -> None:
    # the name plays no part; the SVG markup is refused by content
    with pytest.raises(ImageRefused, match="only PNG, JPEG and WebP"):
        inspect_image(SVG, **LIMITS)


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_to_decode(self: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)


def test_oversize_bytes_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encoded("PNG", size=(400, 400))
    _no_decoding(monkeypatch)
    with pytest.raises(ImageRefused, match="larger than"):
        inspect_image(data, max_bytes=len(data) - 1, max_pixels=40_000_000)


@pytest.mark.parametrize(
    "size", [(20_000, 20_000), (8_000, 8_000)], ids=["beyond-pillow-limit", "beyond-ours"]
)
def test_decompression_bomb_refused_from_the_header(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    bomb = encoded("PNG", size=size, mode="1", optimize=True)
    assert len(bomb) < 200_000  # tiny on disk, 64-400 megapixels when decoded
    _no_decoding(monkeypatch)
    with pytest.raises(ImageRefused, match="million pixels"):
        inspect_image(bomb, **LIMITS)
    with pytest.raises(ImageRefused, match="million pixels"):
        sanitise(bomb, **LIMITS)


def test_pixel_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_ASSET_MAX_PIXELS", "1000")
    with pytest.raises(ImageRefused, match="0.001 million pixels"):
        inspect_image(encoded("PNG", size=(40, 40)))
    assert inspect_image(encoded("PNG", size=(20, 20))).width == 20


def _jpeg_with_gps_and_rotation() -> bytes:
    exif = Image.Exif()
    exif[0x0110] = "Secret Phone Model"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 20.0)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 29.0)
    out = io.BytesIO()
    Image.new("RGB", (80, 40), "red").save(out, format="JPEG", exif=exif, icc_profile=b"\x00" * 128)
    return out.getvalue()


def test_exif_with_gps_gone_after_sanitise_and_orientation_applied() -> None:
    original = _jpeg_with_gps_and_rotation()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)  # the attack is real: GPS is in the upload
    clean = sanitise(original, **LIMITS)
    assert b"Secret Phone Model" not in clean
    with Image.open(io.BytesIO(clean)) as after:
        assert not after.getexif()
        assert "exif" not in after.info and "icc_profile" not in after.info
        assert after.size == (40, 80)  # turned upright, so no orientation tag is needed
    assert inspect_image(clean, **LIMITS).media_type == "image/jpeg"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_metadata_chunks_gone_in_png_and_webp(fmt: str) -> None:
    exif = Image.Exif()
    exif[0x0110] = "Secret Phone Model"
    save: dict[str, object] = {"exif": exif}
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", "Secret Phone Model")
        save["pnginfo"] = info
    original = encoded(fmt, mode="RGBA", color=(200, 30, 30, 128), **save)
    assert b"Secret Phone Model" in original
    clean = sanitise(original, **LIMITS)
    assert b"Secret Phone Model" not in clean
    with Image.open(io.BytesIO(clean)) as after:
        assert not after.getexif()
        assert after.mode == "RGBA"  # transparency survives
        assert after.getpixel((0, 0))[3] == 128  # type: ignore[index]
    assert sanitise(original, **LIMITS) == clean  # deterministic: the same upload is the same file


@pytest.mark.parametrize("data", [_png_then_zip(), _jpeg_then_zip()], ids=["png", "jpeg"])
def test_polyglot_named_as_hidden_data(data: bytes) -> None:
    with pytest.raises(ImageRefused, match="data after the end of the image"):
        inspect_image(data, **LIMITS)
