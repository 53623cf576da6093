"""The foundation path through the pages with four logins: editor, reviewer, localiser, staff."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import ROOT, by_label, login


def _texts(at: AppTest) -> str:
    parts = [
        e.value for e in (*at.markdown, *at.caption, *at.success, *at.error, *at.info, *at.warning, *at.code)
    ]
    parts += [e.value for e in at.title] + [e.value for e in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_login_form_is_chinese_and_wrong_password_is_refused(app_world):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30).run()
    assert "内容合规工作室" in _texts(at)
    by_label(at.text_input, "用户名").input("editor")
    by_label(at.text_input, "密码").input("wrong")
    by_label(at.button, "登录").click().run()
    assert "用户名或密码错误" in _texts(at)
    by_label(at.text_input, "用户名").input("nobody")
    by_label(at.button, "登录").click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]


def test_path_through_pages(app_world):
    # 1. HQ editor creates a template.
    at = login("editor")
    assert "素材库" in _texts(at)
    by_label(at.text_input, "标题").input("小雪节气问候")
    by_label(at.text_area, "正文").input("{{ city }}的朋友们，小雪到了，{{ branch_name }}提醒您添衣保暖。")
    by_label(at.button, "保存").click().run()
    assert not at.exception, at.exception
    assert "已保存模板" in _texts(at), _texts(at)

    # 2. Reviewer approves it.
    at = login("reviewer")
    assert "小雪节气问候" in [o.split(" · ")[1] for o in by_label(at.radio, "打开").options]
    by_label(at.button, "通过").click().run()
    assert not at.exception, at.exception
    assert "已通过：小雪节气问候" in _texts(at)

    # 3. Branch localiser fills the slots and submits.
    at = login("loc_a")
    by_label(at.text_input, "城市").input("赣州")
    by_label(at.text_input, "网点名称").input("章贡支行")
    by_label(at.button, "提交审核").click().run()
    assert not at.exception, at.exception
    assert "已提交审核" in _texts(at)

    # 4. Reviewer approves the branch's variant.
    at = login("reviewer")
    by_label(at.button, "通过").click().run()
    assert "已通过" in _texts(at)

    # 5. Localiser places it on today in the calendar.
    at = login("loc_a")
    at.switch_page("studio/pages/content_calendar.py").run()
    assert not at.exception, at.exception
    by_label(at.button, "排入").click().run()
    assert not at.exception, at.exception
    assert "已排入" in _texts(at), _texts(at)

    # 6. Staff of that branch see it today, and mark it posted.
    at = login("staff_a")
    assert "赣州的朋友们，小雪到了，章贡支行提醒您添衣保暖。" in _texts(at)
    by_label(at.button, "标记为已发布").click().run()
    assert "已发布" in _texts(at)

    # Staff of the other branch see nothing.
    at = login("staff_b")
    assert "小雪到了" not in _texts(at)


def test_bad_template_input_gets_chinese_message_and_writes_nothing(app_world):
    from sqlmodel import func, select

    from studio.db.models import Template

    at = login("editor")
    cases = [
        ("", "正文", "标题不能为空"),
        ("语法错误", "{{ city ", "语法错误"),
        ("太长", "字" * 2100, "最多 2000 字"),
        ("未知插槽", "{{ secret_var }}", "未声明的插槽"),
    ]
    for title, body, message in cases:
        by_label(at.text_input, "标题").input(title)
        by_label(at.text_area, "正文").input(body)
        by_label(at.button, "保存").click().run()
        assert not at.exception, at.exception
        assert message in _texts(at), (message, _texts(at))
    count = app_world.session.exec(select(func.count()).select_from(Template)).one()
    assert count == 0


def test_staff_navigation_has_only_their_page(app_world):
    import pytest

    at = login("staff_a")
    assert "今日内容" in _texts(at)
    for page in ("review.py", "templates.py", "localise.py", "content_calendar.py", "audit_log.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"studio/pages/{page}")
