"""QR codes for poster QR layers, made with segno and drawn with Pillow: whole-pixel modules (a code
scaled by a fraction blurs its edges), the standard four-module quiet zone, centred in the layer's box on
the layer's background colour."""

from __future__ import annotations

import io

import segno
from PIL import Image

from studio.errors import ValidationError
from studio.posters.layout import QrLayer

QUIET_ZONE = 4  # modules of background around the code, as ISO/IEC 18004 asks
MIN_MODULE = 2  # pixels per module below which a code is refused rather than drawn unreadable
_PREFERRED_MODULE = 4  # with at least this many pixels per module, use level H (30 % may be damaged)


class QrTooDense(ValidationError):
    def __init__(self, layer: str, length: int) -> None:
        super().__init__(
            f"a link of {length} characters is too long for the QR layer {layer!r}: shorten the link",
            f"链接（{length} 个字符）过长，无法在图层“{layer}”中生成可扫描的二维码，请缩短链接。",
        )
        self.layer = layer


def _modules(content: str, error: str) -> list[list[bool]]:
    code = segno.make(content, error=error, micro=False, boost_error=False)
    return [[bool(module) for module in row] for row in code.matrix_iter(scale=1, border=QUIET_ZONE)]


def _choose(content: str, side: int) -> list[list[bool]]:
    """Level H when its modules are still large, else M; refused when even M would be too small."""
    for error, least in (("h", _PREFERRED_MODULE), ("m", MIN_MODULE)):
        try:
            matrix = _modules(content, error)
        except segno.DataOverflowError:
            continue
        if side // len(matrix) >= least:
            return matrix
    raise ValueError("too dense")


def qr_image(layer: QrLayer, content: str) -> Image.Image:
    """An RGB image the size of the layer's box with the QR code of `content` centred in it."""
    if not content:
        raise ValidationError("a QR code needs content", "二维码内容不能为空。")
    side = layer.box.w
    try:
        matrix = _choose(content, side)
    except ValueError:
        raise QrTooDense(layer.name, len(content)) from None
    count = len(matrix)
    scale = side // count
    mask = Image.frombytes("L", (count, count), bytes(255 if m else 0 for row in matrix for m in row))
    mask = mask.resize((count * scale, count * scale), Image.Resampling.NEAREST)
    out = Image.new("RGB", (side, side), layer.background)
    offset = (side - count * scale) // 2
    out.paste(Image.new("RGB", mask.size, layer.color), (offset, offset), mask)
    return out


def qr_png(text: str, *, scale: int = 8, border: int = QUIET_ZONE) -> bytes:
    """A QR code of `text` as PNG bytes (partner and e-card codes): always a full QR symbol (never Micro
    QR), error correction M; `scale` pixels per module, `border` modules of quiet zone."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
