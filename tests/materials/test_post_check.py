"""A post's check covers its body and every image's recognised text (pure: recognised text as values)."""

from __future__ import annotations

from typing import Any

from studio.compliance import check_text
from studio.domain.enums import Verdict
from studio.materials.image_check import check_post
from studio.materials.ocr import OcrLine, OcrResult

BODY = "春天到了，来网点看看我们的新活动。"


def _image(*lines: str) -> OcrResult:
    placed = tuple(
        OcrLine(text=text, box=(100, 50 + 60 * i, 100 + 40 * len(text), 90 + 60 * i), score=0.95)
        for i, text in enumerate(lines)
    )
    return OcrResult(engine="test", text="\n".join(lines), lines=placed)


def test_without_images_it_is_check_text_exactly() -> None:
    assert check_post(BODY, [], "wealth") == check_text(BODY, product="wealth")
    assert check_post(BODY, []).findings_json() == check_text(BODY).findings_json()


def test_banned_phrase_in_image_7_of_9_blocks_and_says_which_image() -> None:
    images = [_image(f"第{i}张 春日出游") for i in range(1, 10)]
    images[6] = _image("春日出游", "保本保息 稳赚不赔")
    result = check_post(BODY, images)
    assert result.verdict is Verdict.BLOCK
    stored: list[dict[str, Any]] = result.findings_json()
    assert stored and {f["image"] for f in stored} == {7}
    for finding in stored:
        assert images[6].text[finding["start"] : finding["end"]] == finding["text"]
        x0, y0, x1, y1 = finding["box"]
        assert (y0, y1) == (110, 150) and 100 <= x0 < x1 <= 100 + 40 * 9  # on the second line of image 7
    assert {f["text"] for f in stored} >= {"稳赚不赔"}


def test_body_findings_keep_their_body_spans_and_no_image_key() -> None:
    body = "本产品稳赚不赔！"
    result = check_post(body, [_image("欢迎光临")])
    found: list[dict[str, Any]] = result.findings_json()
    (finding,) = found
    assert "image" not in finding and body[finding["start"] : finding["end"]] == finding["text"]


def test_a_disclosure_in_an_image_satisfies_the_post() -> None:
    wealth = "新一期理财产品发售，欢迎咨询。"
    assert "DIS001" in {f.code for f in check_post(wealth, [_image("欢迎光临")], "wealth").findings}
    disclosed = check_post(wealth, [_image("理财非存款、产品有风险、投资须谨慎")], "wealth")
    assert "DIS001" not in {f.code for f in disclosed.findings}


def test_channel_length_counts_the_body_only() -> None:
    long_image = _image(*["欢迎光临本行网点办理业务" * 10] * 30)  # 3,600 characters of image text
    assert len(long_image.text) > 2000
    assert check_post(BODY, [long_image], channel="moments").verdict is Verdict.PASS
    too_long = "欢迎光临" * 600
    codes = {f.code for f in check_post(too_long, [long_image], channel="moments").findings}
    assert codes and all("image" not in f for f in check_post(too_long, [long_image]).findings_json())


def test_no_phrase_is_read_across_two_images_or_body_and_image() -> None:
    assert check_text("零风险").verdict is Verdict.BLOCK
    assert check_post(BODY, [_image("零"), _image("风险")]).verdict is Verdict.PASS
    assert check_post("好消息：零", [_image("风险")]).verdict is Verdict.PASS
    assert check_post(BODY, [_image("零风险")]).verdict is Verdict.BLOCK
