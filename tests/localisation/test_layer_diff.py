"""The per-layer diff a reviewer sees for a poster: template sample text against the variant's, per layer."""

from __future__ import annotations

from studio.localisation.diff import diff_html
from studio.localisation.layer_diff import layer_diff
from studio.posters.layout import PosterLayout

LAYOUT = PosterLayout.model_validate(
    {
        "background": "a" * 64,
        "width": 1080,
        "height": 1920,
        "layers": [
            {
                "name": "title",
                "kind": "text",
                "text": "新春纳福",
                "box": {"x": 0, "y": 0, "w": 900, "h": 200},
            },
            {
                "name": "greeting",
                "kind": "text",
                "text": "{{ branch_name }}给您拜年",
                "box": {"x": 0, "y": 300, "w": 900, "h": 200},
            },
            {
                "name": "branch",
                "kind": "overlay",
                "field": "branch_name",
                "box": {"x": 0, "y": 600, "w": 900, "h": 80},
            },
            {
                "name": "address",
                "kind": "overlay",
                "field": "branch_address",
                "box": {"x": 0, "y": 700, "w": 900, "h": 80},
            },
            {
                "name": "staff",
                "kind": "overlay",
                "field": "staff_name",
                "box": {"x": 0, "y": 800, "w": 400, "h": 80},
            },
            {"name": "qr", "kind": "qr", "box": {"x": 800, "y": 1600, "w": 220, "h": 220}},
        ],
    }
)


def test_each_layer_is_compared_in_layout_order_without_staff_or_qr_layers():
    template = {"title": "新春纳福", "greeting": "XX支行给您拜年", "branch": "XX支行", "staff": "张三"}
    variant = {"title": "新春纳福", "greeting": "章贡支行给您拜年", "branch": "章贡支行", "staff": "李四"}
    diffs = layer_diff(LAYOUT, template, variant)
    assert [d.name for d in diffs] == ["title", "greeting", "branch"]  # no address either side: left out
    title, greeting, branch = diffs
    assert not title.changed and title.segments == [("equal", "新春纳福")]
    assert (
        greeting.changed and ("insert", "章贡") in greeting.segments and ("delete", "XX") in greeting.segments
    )
    assert (branch.kind, branch.label, branch.before, branch.after) == (
        "overlay",
        "网点名称",
        "XX支行",
        "章贡支行",
    )
    assert title.label == "文字"


def test_a_layer_the_variant_emptied_or_filled_shows():
    diffs = layer_diff(LAYOUT, {"title": "新春纳福", "address": ""}, {"title": "", "address": "红旗大道1号"})
    by_name = {d.name: d for d in diffs}
    assert by_name["title"].segments == [("delete", "新春纳福")] and by_name["title"].changed
    assert (
        by_name["address"].segments == [("insert", "红旗大道1号")] and by_name["address"].label == "网点地址"
    )


def test_a_first_version_has_nothing_to_compare_with():
    diffs = layer_diff(LAYOUT, None, {"title": "新春纳福", "greeting": "给您拜年"})
    assert [(d.before, d.changed, d.segments) for d in diffs] == [
        (None, False, [("equal", "新春纳福")]),
        (None, False, [("equal", "给您拜年")]),
    ]


def test_hostile_layer_text_stays_text_in_the_rendered_diff():
    (title,) = layer_diff(LAYOUT, {"title": "新春"}, {"title": "<img src=x onerror=alert(1)>新春"})[:1]
    html = "".join(f"<{op[:3]}>{t}</{op[:3]}>" for op, t in title.segments if op != "equal")
    assert "<img" in html  # the raw segments carry the text as typed ...
    assert "<img" not in diff_html(title.before or "", title.after)  # ... and the page's renderer escapes it
