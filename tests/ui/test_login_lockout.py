"""The login form refuses a locked account, even with the right password, with a Chinese message."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import PASSWORD
from tests.ui.conftest import ROOT, by_label


def _submit(at: AppTest, username: str, password: str) -> list[str]:
    by_label(at.text_input, "用户名").input(username)
    by_label(at.text_input, "密码").input(password)
    by_label(at.button, "登录").click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error]


def test_locked_account_gets_the_chinese_lockout_message(app_world):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30).run()
    for _ in range(5):
        assert _submit(at, "editor", "wrong") == ["用户名或密码错误。"]
    assert _submit(at, "editor", PASSWORD) == ["登录失败次数过多，请 15 分钟后再试。"]
    assert "actor" not in at.session_state
    # A fresh session (another browser tab) is refused the same way: the lock lives in the database.
    fresh = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30).run()
    assert _submit(fresh, "editor", PASSWORD) == ["登录失败次数过多，请 15 分钟后再试。"]
    # Another account is not affected.
    assert _submit(fresh, "reviewer", PASSWORD) == []
    assert "actor" in fresh.session_state
