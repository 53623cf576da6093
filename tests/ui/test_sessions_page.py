"""Login sessions in the app (AppTest): every run re-checks the session, and 账户与安全 lists and ends one's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from studio.db.models import LoginSession, User
from studio.domain.enums import Role
from studio.ui import session_cookie
from studio.ui.app import SESSION_ENDED
from studio.ui.context import ACTOR_KEY, TOKEN_KEY
from tests.ui.conftest import by_label, login


def _logged_out(at) -> bool:  # type: ignore[no-untyped-def]
    return ACTOR_KEY not in at.session_state and any(b.label == "登录" for b in at.button)


def test_login_starts_a_session_whose_hash_only_is_stored(app_world):
    at = login("reviewer")
    token = at.session_state[TOKEN_KEY]
    row = app_world.session.exec(select(LoginSession)).one()
    assert row.method == "password" and row.token_hash != token and row.revoked_at is None


def test_logout_ends_the_session_in_the_database(app_world):
    at = login("reviewer")
    at.button(key="logout").click().run()
    assert _logged_out(at)
    app_world.session.expire_all()
    assert app_world.session.exec(select(LoginSession.revoked_reason)).one() == "logout"


def test_ending_the_other_session_logs_that_tab_out_at_its_next_click(app_world):
    first, second = login("reviewer"), login("reviewer")
    first.switch_page("studio/pages/password.py").run()
    assert not first.exception, first.exception
    assert [m.value for m in first.markdown if "会话" in m.value][:2] == [
        "**本会话** · 密码登录",
        "**会话 2** · 密码登录",
    ]
    first.button(key="end_session_2").click().run()
    assert "该会话已结束" in first.success[0].value
    second.run()
    assert _logged_out(second)
    assert SESSION_ENDED in [i.value for i in second.info]
    first.run()
    assert not _logged_out(first)


def test_end_all_other_sessions(app_world):
    first, others = login("staff_a"), [login("staff_a"), login("staff_a")]
    first.switch_page("studio/pages/password.py").run()
    first.button(key="end_other_sessions").click().run()
    assert "已结束 2 个其他会话" in first.success[0].value
    for at in others:
        at.run()
        assert _logged_out(at)


def test_a_role_change_applies_at_the_next_click_and_deactivation_logs_out(app_world):
    at = login("loc_a")
    assert [t.value for t in at.title] == ["本地化"]
    user = app_world.session.exec(select(User).where(User.username == "loc_a")).one()
    user.role = Role.STAFF.value
    app_world.session.commit()
    at.run()
    assert at.session_state[ACTOR_KEY]["role"] == Role.STAFF.value
    assert [t.value for t in at.title] == ["今日内容"]
    user.active = False
    app_world.session.commit()
    at.run()
    assert _logged_out(at)


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app_world):
    this, other = login("editor"), login("editor")
    this.switch_page("studio/pages/password.py").run()
    by_label(this.text_input, "旧密码").input("Test@2026")
    by_label(this.text_input, "新密码").input("Jincheng-2026x")
    by_label(this.text_input, "再次输入新密码").input("Jincheng-2026x")
    by_label(this.button, "确认修改").click().run()
    assert "密码已修改" in this.success[0].value
    other.run()
    assert _logged_out(other)
    this.run()
    assert not _logged_out(this)


def test_the_cookie_script_is_the_only_javascript_and_takes_only_a_token():
    root = Path(__file__).resolve().parents[2] / "studio"
    users = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "unsafe_allow_javascript" in path.read_text()
    )
    assert users == ["ui/session_cookie.py"]
    for bad in ['abc"; alert(1); "' + "x" * 20, "x" * 19, "x" * 101, "ab cd" * 10]:
        with pytest.raises(ValueError):
            session_cookie.store(bad)
