"""OCR of images from outside: the engine comes from the wheel (no network), finds a banned phrase drawn
into an image and places the finding on it; hostile bytes never reach the engine.

OCR is slow-ish (~0.5 s an image): the engine is process-wide and the results are module fixtures.
"""

from __future__ import annotations

import io
import socket
from typing import Any

import pytest
from PIL import Image

from studio.domain.enums import Verdict
from studio.errors import ImageRefused
from studio.materials import ocr
from studio.materials.image_check import ImageCheck, check_image
from studio.materials.ocr import OcrLine, OcrResult, reading_order, recognise, span_box
from tests.materials.ocr_images import (
    BANNED,
    BANNED_AT,
    GREETING,
    GREETING_AT,
    contains,
    drawn_box,
    iou,
    poster,
)


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the OCR engine tried to open a network connection")


@pytest.fixture(scope="module")
def banned_check() -> ImageCheck:
    return check_image(poster((GREETING, GREETING_AT), (BANNED, BANNED_AT)), product="wealth")


@pytest.fixture(scope="module")
def clean_offline() -> OcrResult:
    """A clean image recognised by an engine built from scratch while every socket is refused."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "socket", _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        patch.setattr(socket, "getaddrinfo", _no_network)
        patch.setattr(ocr, "_engine", None)
        result = recognise(poster((GREETING, GREETING_AT)))
        assert ocr._engine is not None  # built here, under the refusal
    return result


def test_models_ship_in_the_wheel() -> None:
    assert all((ocr.model_dir() / name).stat().st_size > 100_000 for name in ocr.MODEL_FILES)


def test_engine_builds_and_reads_without_network(clean_offline: OcrResult) -> None:
    assert clean_offline.text == GREETING
    assert clean_offline.engine.startswith("rapidocr-onnxruntime ")
    (line,) = clean_offline.lines
    assert iou(line.box, drawn_box(GREETING, GREETING_AT)) > 0.5
    assert 0.5 < line.score <= 1


def test_clean_image_passes(clean_offline: OcrResult) -> None:
    from studio.materials.image_check import check_recognised

    checked = check_recognised(clean_offline, product="wealth")
    # Only the missing risk disclosure of a wealth post: no placed finding.
    assert all(f.start is None for f in checked.result.findings)
    assert check_recognised(clean_offline).result.verdict is Verdict.PASS


def test_banned_phrase_is_found_and_boxed_where_it_is_drawn(banned_check: ImageCheck) -> None:
    assert banned_check.result.verdict is Verdict.BLOCK
    assert banned_check.ocr.text.split("\n")[0] == GREETING  # reading order: the greeting is above
    phrase = drawn_box(BANNED, BANNED_AT)
    placed = [(f, box) for f, box in zip(banned_check.result.findings, banned_check.boxes, strict=True)]
    by_text = {f.text: box for f, box in placed if box is not None}
    assert {"保本保息", "稳赚不赔"} <= set(by_text)
    for text, box in by_text.items():
        assert contains(phrase, box), (text, box, phrase)
    # Each sub-phrase's box lies over the characters themselves, not just somewhere on the line.
    assert iou(by_text["保本保息"], drawn_box("保本保息", BANNED_AT)) > 0.3
    right = (
        drawn_box(BANNED, BANNED_AT)[2]
        - drawn_box("稳赚不赔", BANNED_AT)[2]
        + drawn_box("稳赚不赔", BANNED_AT)[0]
    )
    assert iou(by_text["稳赚不赔"], (right, phrase[1], phrase[2], phrase[3])) > 0.3
    missing = [box for f, box in placed if f.start is None]
    assert missing == [None] * len(missing)  # DIS001 (no disclosure) has no place


def test_json_of_an_image_check(banned_check: ImageCheck) -> None:
    payload = banned_check.to_json_dict()
    assert payload["ocr_text"] == banned_check.ocr.text
    for finding in payload["findings"]:
        if finding["start"] is not None:
            assert payload["ocr_text"][finding["start"] : finding["end"]] == finding["text"]
            assert [type(v) for v in finding["box"]] == [int] * 4
        else:
            assert finding["box"] is None


# --- hostile bytes: refused before the engine runs ---------------------------------------------------


@pytest.fixture
def engine_never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "engine", _no_network)


@pytest.mark.usefixtures("engine_never_runs")
@pytest.mark.parametrize(
    "data",
    [
        b"",
        "保本保息 稳赚不赔".encode(),
        "<svg xmlns='http://www.w3.org/2000/svg'><text>保本保息</text></svg>".encode(),
        poster((GREETING, GREETING_AT))[:-40],  # truncated
        poster((GREETING, GREETING_AT)) + b"PK\x03\x04hidden",  # something behind the image
        b"GIF89a" + b"\x00" * 64,
    ],
    ids=["empty", "text", "svg", "truncated", "appended", "gif"],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageRefused):
        recognise(data)


@pytest.mark.usefixtures("engine_never_runs")
def test_size_and_pixel_limits_apply() -> None:
    data = poster((GREETING, GREETING_AT))
    with pytest.raises(ImageRefused, match="larger than"):
        recognise(data, max_bytes=len(data) - 1)
    with pytest.raises(ImageRefused, match="million pixels"):
        recognise(data, max_pixels=900 * 600 - 1)


# --- decoding for the engine ---------------------------------------------------------------------------


def test_transparent_pixels_become_white_and_channels_are_bgr() -> None:
    image = Image.new("RGBA", (4, 2), (0, 0, 0, 0))
    image.putpixel((1, 0), (255, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    pixels = ocr._pixels(out.getvalue())
    assert pixels.shape == (2, 4, 3)
    assert pixels[0, 0].tolist() == [255, 255, 255]
    assert pixels[0, 1].tolist() == [0, 0, 255]  # red, as BGR


def test_exif_orientation_is_applied_so_boxes_match_what_a_viewer_shows() -> None:
    image = Image.new("RGB", (40, 10), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    assert ocr._pixels(out.getvalue()).shape[:2] == (40, 10)


# --- placing a span: pure ------------------------------------------------------------------------------


def _line(text: str, box: tuple[int, int, int, int]) -> OcrLine:
    return OcrLine(text=text, box=box, score=0.9)


def test_span_box_splits_a_line_by_character_width() -> None:
    lines = [_line("保本保息稳赚不赔", (100, 10, 500, 50))]
    assert span_box(lines, 0, 4) == (100, 10, 300, 50)
    assert span_box(lines, 4, 8) == (300, 10, 500, 50)
    assert span_box(lines, 2, 3) == (200, 10, 250, 50)
    # Latin letters and digits take half a CJK character's width.
    assert span_box([_line("年化8%保本", (0, 0, 500, 40))], 2, 4) == (200, 0, 300, 40)


def test_span_box_over_two_lines_is_their_union_and_vertical_lines_split_downwards() -> None:
    lines = [_line("第一行", (10, 10, 310, 50)), _line("保本", (20, 60, 220, 100))]
    assert span_box(lines, 2, 6) == (20, 10, 310, 100)  # "行", "\n", "保本"
    assert span_box(lines, 4, 5) == (20, 60, 120, 100)
    column = [_line("稳赚不赔", (50, 0, 90, 400))]
    assert column[0].vertical
    assert span_box(column, 1, 3) == (50, 100, 90, 300)


@pytest.mark.parametrize(("start", "end"), [(None, None), (3, 4), (5, 5), (40, 50), (6, 2)])
def test_span_box_without_a_place(start: int | None, end: int | None) -> None:
    assert span_box([_line("第一行", (0, 0, 30, 10)), _line("好", (0, 20, 10, 30))], start, end) is None


def test_reading_order_is_rows_top_down_then_left_to_right() -> None:
    right = _line("右", (300, 12, 340, 52))
    left = _line("左", (10, 10, 50, 50))
    below = _line("下", (5, 100, 45, 140))
    assert [line.text for line in reading_order([below, right, left])] == ["左", "右", "下"]
