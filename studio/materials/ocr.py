"""Text in images from outside (an agency poster, a photo of a flyer): what it says and where.

The engine is RapidOCR (`rapidocr_onnxruntime`: PP-OCRv4 detection and recognition models run by ONNX Runtime).
Its models ship inside the wheel; the engine is built from those files only, so nothing is ever downloaded.
One engine per process, built on first use (behind a lock: Streamlit runs scripts in threads).

Bytes pass `studio.materials.images.inspect_image` first (type sniffed, size and pixel limits), then Pillow
decodes them (EXIF orientation applied, so boxes are in the pixels a viewer sees) for the engine.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict

from studio.materials.images import inspect_image

if TYPE_CHECKING:
    import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels, x1/y1 exclusive

# The models the wheel carries (rapidocr_onnxruntime/config.yaml names the same files).
MODEL_FILES = (
    "ch_PP-OCRv4_det_infer.onnx",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "ch_PP-OCRv4_rec_infer.onnx",
)
_DIST = "rapidocr-onnxruntime"


class OcrLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    box: Box
    score: float

    @property
    def vertical(self) -> bool:
        """A column of text (h > 1.5 w): its characters run top to bottom."""
        x0, y0, x1, y1 = self.box
        return (y1 - y0) > (x1 - x0) * 1.5


class OcrResult(BaseModel):
    """`text` is the lines joined by "\\n", in reading order; what `Asset.ocr` stores (model_dump)."""

    model_config = ConfigDict(frozen=True)

    engine: str
    text: str
    lines: tuple[OcrLine, ...] = ()


_engine: Any = None
_engine_lock = threading.Lock()


def engine_version() -> str:
    try:
        version = metadata.version(_DIST)
    except metadata.PackageNotFoundError:  # pragma: no cover - the dependency is declared
        version = "unknown"
    return f"rapidocr-onnxruntime {version} (PP-OCRv4)"


def model_dir() -> Path:
    import rapidocr_onnxruntime  # type: ignore[import-untyped]

    return Path(rapidocr_onnxruntime.__file__).resolve().parent / "models"


def build_engine() -> Any:
    """A new engine from the packaged model files, each named explicitly (never a download)."""
    from rapidocr_onnxruntime import RapidOCR

    models = model_dir()
    missing = [name for name in MODEL_FILES if not (models / name).is_file()]
    if missing:
        raise RuntimeError(f"OCR model files missing from the {_DIST} wheel: {', '.join(missing)}")
    det, cls, rec = (str(models / name) for name in MODEL_FILES)
    return RapidOCR(det_model_path=det, cls_model_path=cls, rec_model_path=rec)


def engine() -> Any:
    """The process-wide engine, built once (thread-safe)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = build_engine()
    return _engine


def _pixels(data: bytes) -> np.ndarray:
    """Decoded, upright, flattened on white, as the BGR array the engine expects."""
    import numpy as np

    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        rgb = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


def _line(raw: Any, width: int, height: int) -> OcrLine | None:
    points, text, score = raw[0], str(raw[1]).strip(), float(raw[2])
    if not text:
        return None
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    x0, y0 = max(0, int(min(xs))), max(0, int(min(ys)))
    x1, y1 = min(width, int(round(max(xs)))), min(height, int(round(max(ys))))
    if x1 <= x0 or y1 <= y0:
        return None
    return OcrLine(text=text, box=(x0, y0, x1, y1), score=round(score, 4))


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom, then left to right within a row (lines whose vertical centres are within half the
    shorter one's height of the row's first line)."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.box[1] + item.box[3], item.box[0])):
        centre, height = (line.box[1] + line.box[3]) / 2, line.box[3] - line.box[1]
        if rows:
            first = rows[-1][0]
            first_centre = (first.box[1] + first.box[3]) / 2
            if abs(centre - first_centre) <= min(height, first.box[3] - first.box[1]) / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.box[0])]


def recognise(data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None) -> OcrResult:
    """The text in an image, line by line with boxes; `ImageRefused` for what is not an acceptable image."""
    inspect_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    pixels = _pixels(data)
    height, width = pixels.shape[:2]
    found, _ = engine()(pixels)
    lines = [line for raw in found or () if (line := _line(raw, width, height)) is not None]
    ordered = reading_order(lines)
    return OcrResult(
        engine=engine_version(), text="\n".join(line.text for line in ordered), lines=tuple(ordered)
    )


def _weight(char: str) -> float:
    """A character's share of a line's extent: full width for CJK, half for Latin letters and digits."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5


def _sub_box(line: OcrLine, first: int, last: int) -> Box:
    """The part of the line's box holding characters [first, last), estimated from character widths."""
    weights = [_weight(c) for c in line.text]
    total = sum(weights) or 1.0
    before, inside = sum(weights[:first]), sum(weights[first:last])
    x0, y0, x1, y1 = line.box
    if line.vertical:
        span = y1 - y0
        top = y0 + int(span * before / total)
        return x0, top, x1, max(top + 1, y0 + int(round(span * (before + inside) / total)))
    span = x1 - x0
    left = x0 + int(span * before / total)
    return left, y0, max(left + 1, x0 + int(round(span * (before + inside) / total))), y1


def span_box(lines: tuple[OcrLine, ...] | list[OcrLine], start: int | None, end: int | None) -> Box | None:
    """Where characters [start, end) of the result's `text` are: the union of their estimated boxes on each
    line they cover; None for no span, or one that covers only line breaks or lies outside the text."""
    if start is None or end is None or end <= start:
        return None
    boxes: list[Box] = []
    offset = 0
    for line in lines:
        first, last = max(start, offset) - offset, min(end, offset + len(line.text)) - offset
        if first < last:
            boxes.append(_sub_box(line, first, last))
        offset += len(line.text) + 1  # the "\n" between lines
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
