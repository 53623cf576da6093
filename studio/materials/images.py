"""Library images: what an upload really is, and a clean copy of it (pure: bytes in, bytes out).

The type is sniffed from the content (magic bytes, the file's own structure, and Pillow's identification must
agree); only PNG, JPEG and WebP are accepted. Size is checked before decoding, the pixel count from the header
before the pixels are read. `sanitise()` re-encodes the pixels into a fresh image, so EXIF (GPS, device), XMP,
ICC and text chunks, and anything appended to the file, are gone; the EXIF orientation is applied first.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from studio.errors import ImageRefused
from studio.settings import get_settings


@dataclass(frozen=True)
class ImageFacts:
    media_type: str  # "image/png", "image/jpeg", "image/webp"
    ext: str  # "png", "jpg", "webp"
    pil_format: str  # "PNG", "JPEG", "WEBP"
    width: int
    height: int
    bytes: int


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_KINDS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
}


def _refuse_unknown() -> ImageRefused:
    return ImageRefused(
        "only PNG, JPEG and WebP images are accepted (the content decides, not the file name)",
        "仅支持 PNG、JPEG、WebP 图片（按文件内容判断，与文件名无关）。",
    )


def _damaged() -> ImageRefused:
    return ImageRefused("the file is truncated or damaged", "文件不完整或已损坏。")


def _not_alone() -> ImageRefused:
    return ImageRefused(
        "the file is truncated, or holds data after the end of the image (another file hidden in it?)",
        "文件不完整，或图片结尾之后还夹带了其他数据。",
    )


def _png_well_formed(data: bytes) -> bool:
    """Chunks walk from the signature to IEND, which ends the file: nothing hidden behind it."""
    pos = len(_PNG_MAGIC)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return False
        if kind == b"IEND":
            if end != len(data):
                raise _not_alone()
            return True
        pos = end
    return False


def _sniff(data: bytes) -> str:
    """The Pillow format the bytes claim to be, or refusal; the structure must leave no room for a second file."""
    if data.startswith(_PNG_MAGIC):
        if not _png_well_formed(data):
            raise _damaged()
        return "PNG"
    if data[:3] == b"\xff\xd8\xff":
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9") or b"PK\x05\x06" in data[-65_600:]:
            raise _not_alone()
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        (size,) = struct.unpack("<I", data[4:8])
        if size + 8 != len(data):
            raise _not_alone()
        return "WEBP"
    raise _refuse_unknown()


def _open(data: bytes, pil_format: str, max_pixels: int) -> Image.Image:
    """Open (header only) and check what Pillow sees against the sniffed type and the pixel limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[pil_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (OSError, ValueError, SyntaxError, struct.error):
        raise _damaged() from None
    if image.format != pil_format:
        raise _refuse_unknown()
    width, height = image.size
    if width < 1 or height < 1:
        raise _damaged()
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    if getattr(image, "n_frames", 1) > 1:
        raise ImageRefused("animated images are not accepted", "不支持动图。")
    return image


def _too_many_pixels(max_pixels: int) -> ImageRefused:
    mp = max_pixels / 1_000_000
    return ImageRefused(f"the image has more than {mp:g} million pixels", f"图片像素超过 {mp:g} 百万。")


def _decoded(data: bytes, max_bytes: int, max_pixels: int) -> tuple[Image.Image, ImageFacts]:
    if not data:
        raise ImageRefused("the file is empty", "文件为空。")
    if len(data) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        raise ImageRefused(f"the file is larger than {mb:g} MB", f"文件超过 {mb:g} MB。")
    pil_format = _sniff(data)
    image = _open(data, pil_format, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (OSError, ValueError, SyntaxError, struct.error, Image.DecompressionBombWarning):
        raise _damaged() from None
    media_type, ext = _KINDS[pil_format]
    facts = ImageFacts(media_type, ext, pil_format, image.width, image.height, len(data))
    return image, facts


def _limits(max_bytes: int | None, max_pixels: int | None) -> tuple[int, int]:
    if max_bytes is not None and max_pixels is not None:
        return max_bytes, max_pixels
    settings = get_settings()
    return (
        settings.asset_max_bytes if max_bytes is None else max_bytes,
        settings.asset_max_pixels if max_pixels is None else max_pixels,
    )


def inspect_image(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None) -> ImageFacts:
    """What the upload is (type, size in pixels and bytes), or ImageRefused: decodes it fully within the limits
    (STUDIO_ASSET_MAX_BYTES and STUDIO_ASSET_MAX_PIXELS unless given)."""
    return _decoded(data, *_limits(max_bytes, max_pixels))[1]


def _fresh_copy(image: Image.Image) -> Image.Image:
    """The pixels alone in a new image: no info dict, so no EXIF, XMP, ICC or text chunk can travel on."""
    upright = ImageOps.exif_transpose(image)
    wanted = "RGBA" if upright.mode in ("RGBA", "LA", "PA", "P") and _has_alpha(upright) else "RGB"
    if upright.mode == "L":
        wanted = "L"
    pixels = upright.convert(wanted)
    return Image.frombytes(wanted, pixels.size, pixels.tobytes())


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def sanitise(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None) -> bytes:
    """The upload re-encoded in its own format from its pixels only (orientation applied), or ImageRefused."""
    image, facts = _decoded(data, *_limits(max_bytes, max_pixels))
    clean = _fresh_copy(image)
    if facts.pil_format == "JPEG" and clean.mode == "RGBA":
        clean = clean.convert("RGB")
    out = io.BytesIO()
    if facts.pil_format == "JPEG":
        clean.save(out, format="JPEG", quality=90)
    elif facts.pil_format == "WEBP":
        clean.save(out, format="WEBP", quality=90)
    else:
        clean.save(out, format="PNG")
    return out.getvalue()
