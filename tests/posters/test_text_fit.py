"""Line breaking, shrinking and refusal of layer text (studio/posters/text_fit.py)."""

from __future__ import annotations

import pytest

from studio.errors import ValidationError
from studio.posters.fonts import font, has_glyph, missing_glyphs
from studio.posters.layout import Box, TextLayer
from studio.posters.text_fit import (
    NO_LINE_END,
    NO_LINE_START,
    PosterGlyphsMissing,
    PosterTextDoesNotFit,
    fit,
    fit_or_cut,
    wrap,
)


def _layer(w: int = 400, h: int = 200, sizes: tuple[int, int] = (24, 48), lines: int = 4) -> TextLayer:
    return TextLayer(name="title", box=Box(x=0, y=0, w=w, h=h), text="x", font_size=sizes, max_lines=lines)


def test_glyphs_of_the_bundled_font() -> None:
    assert all(has_glyph(c) for c in "中文，。“”（）ABCabc0123 …—")
    assert missing_glyphs("守好钱袋子😀\u200f\x01龘😀") == "😀\u200f\x01龘"
    assert missing_glyphs("第一行\n第二行") == ""


def test_lines_never_exceed_the_width_and_keep_every_character() -> None:
    text = "不听、不信、不转账，守好您的钱袋子。如遇可疑来电，请立即挂断并拨打官方客服电话核实。"
    lines = wrap(text, 30, 300)
    assert "".join(lines) == text
    assert len(lines) > 1
    assert all(font(30).getlength(line) <= 300 for line in lines)


@pytest.mark.parametrize("width", range(100, 420, 7))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(width: int) -> None:
    text = "「反诈」提醒：（一）不听、不信、不转账！（二）“陌生链接”不点击。《金融知识》进万家？是的。"
    lines = wrap(text, 24, width)
    assert "".join(lines) == text
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, (width, lines)
    for line in lines[:-1]:
        assert line[-1] not in NO_LINE_END, (width, lines)


def test_ascii_words_and_numbers_stay_whole() -> None:
    text = "请拨打客服热线 95588 或访问 www.example.com 咨询 9:00-17:00 营业"
    for width in range(220, 500, 11):  # www.example.com is 216 px wide at 24 px
        lines = wrap(text, 24, width)
        for token in ("95588", "www.example.com", "9:00-17:00"):
            assert any(token in line for line in lines), (width, lines)


def test_an_ascii_run_wider_than_the_box_is_broken() -> None:
    lines = wrap("A" * 200, 24, 200)
    assert len(lines) > 1 and "".join(lines) == "A" * 200
    assert all(font(24).getlength(line) <= 200 for line in lines)


def test_explicit_newlines_are_kept() -> None:
    assert wrap("第一行\n第二行\r\n第三行", 24, 400) == ["第一行", "第二行", "第三行"]


def test_the_largest_size_that_fits_is_chosen() -> None:
    short = fit("短", _layer())
    assert short.size == 48 and short.lines == ("短",)
    longer = fit("这是一段需要缩小字号才能放进方框里的较长文字，共有三行左右。" * 2, _layer())
    assert 24 <= longer.size < 48
    bigger = fit("这是一段需要缩小字号才能放进方框里的较长文字，共有三行左右。" * 2, _layer(w=1000, h=1000))
    assert bigger.size > longer.size
    assert _fits_not_at(longer.size + 1)


def _fits_not_at(size: int) -> bool:
    """One size more than chosen must overflow (the search found the largest)."""
    layer = _layer(sizes=(size, size))
    try:
        fit("这是一段需要缩小字号才能放进方框里的较长文字，共有三行左右。" * 2, layer)
    except PosterTextDoesNotFit:
        return True
    return False


def test_max_lines_is_a_hard_limit() -> None:
    layer = _layer(w=300, h=2000, sizes=(24, 24), lines=2)
    assert len(fit("一二三四五六七八九十一二三四五六七八九十", layer).lines) == 2
    with pytest.raises(PosterTextDoesNotFit):
        fit("一二三四五六七八九十" * 4, layer)
    with pytest.raises(PosterTextDoesNotFit):
        fit("一\n二\n三", layer)


def test_overflow_is_refused_naming_the_layer_in_english_and_chinese() -> None:
    with pytest.raises(PosterTextDoesNotFit) as refused:
        fit("很长的文字" * 100, _layer(lines=2))
    error = refused.value
    assert isinstance(error, ValidationError)
    assert error.layer == "title"
    assert "'title'" in error.message_en and "24" in error.message_en and "2 lines" in error.message_en
    assert error.message_zh.startswith("图层“title”的文字在最小字号 24 下仍放不下（最多 2 行）")


def test_missing_glyphs_are_refused_naming_layer_and_characters() -> None:
    with pytest.raises(PosterGlyphsMissing) as refused:
        fit("理财😀\u200f", _layer())
    error = refused.value
    assert isinstance(error, ValidationError) and error.layer == "title"
    assert "U+1F600" in error.message_en and "U+200F" in error.message_en
    assert "图层“title”" in error.message_zh and "😀" in error.message_zh


def test_cut_instead_of_refused_for_staff_text() -> None:
    layer = _layer(w=200, h=40, sizes=(20, 32), lines=1)
    fitted = fit_or_cut("欧阳" * 40 + "😀", layer)
    assert fitted.size == 20 and len(fitted.lines) == 1
    assert fitted.lines[0].endswith("…") and "😀" not in fitted.lines[0]
    assert font(20).getlength(fitted.lines[0]) <= 200
    assert fit_or_cut("张三", layer).lines == ("张三",)


@pytest.mark.parametrize(
    "text",
    [
        "很" * 5000,
        "\x00\x07\x1b[31m红色",
        "\u202e倒序\u202c文字",
        "😀🎉🧧",
        "\n\n\n",
        " ",
        "a" * 600,
        "（（（（（（（（（（（（（（（（（（（（",
        "。。。。。。。。。。。。。。。。。。。。。。。。。。。。。。",
    ],
)
def test_hostile_text_fits_or_is_refused_clearly(text: str) -> None:
    layer = _layer(w=300, h=200, lines=3)
    try:
        fitted = fit(text, layer)
    except ValidationError as error:
        assert "title" in error.message_en and "title" in error.message_zh
    else:
        assert len(fitted.lines) <= 3
    cut = fit_or_cut(text, layer)
    assert len(cut.lines) <= 3
