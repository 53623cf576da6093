"""AppTest of 合规规则: try a text live (spans highlighted, escaped), admin edits terms into a new version."""

from __future__ import annotations

from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts


def test_try_a_text_and_edit_terms(app_world):
    at = login("admin")
    assert at.title[0].value == "合规规则"
    by_label(at.text_area, "输入一段文案").input("本理财保本保息<script>alert(1)</script>").run()
    assert not at.exception, at.exception
    marks = [m.proto.body for m in at.get("html") if "studio-text" in m.proto.body]
    assert marks and '<mark class="sev-block"' in marks[0] and "&lt;script&gt;" in marks[0]
    assert "<script>" not in marks[0]
    assert "合规检查：阻断" in _texts(at)

    by_label(at.text_area, "词条").input("最佳\n超值惊喜")
    by_label(at.text_input, "修改说明").input("测试")
    by_label(at.button, "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert "已保存，规则集版本" in _texts(at)


def test_reviewer_browses_rules_read_only(app_world):
    at = login("reviewer")
    at.switch_page("studio/pages/rules.py").run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "保存为新版本"]


def test_user_text_in_findings_cannot_inject_markdown(app_world):
    at = login("admin")
    by_label(at.text_area, "输入一段文案").input(
        "[保*本理财](http://evil.example) ![x](http://evil.example/p.png)"
    ).run()
    listed = [m.value for m in at.markdown if "INV001" in m.value]
    assert listed and "保\\*本" in listed[0]  # the finding's own text is markdown-escaped
    # The highlighted copy is HTML (st.html), never markdown: the link syntax stays literal text.
    (html_block,) = [m.proto.body for m in at.get("html") if "studio-text" in m.proto.body]
    assert "<a " not in html_block and "<img" not in html_block
