"""The admin with the public demo password sees a banner on every page until they change it on 账户与安全."""

from __future__ import annotations

from sqlmodel import select

from studio.db.models import User
from studio.services.auth import hash_password
from studio.services.seed import DEMO_PASSWORD
from studio.ui.app import DEMO_PASSWORD_BANNER
from tests.ui.conftest import by_label, login

STRONG = "Jincheng-2026x"


def _banner(at) -> bool:  # type: ignore[no-untyped-def]
    return any(DEMO_PASSWORD_BANNER in w.value for w in at.warning)


def _demo_admin(world) -> None:  # type: ignore[no-untyped-def]
    admin = world.session.exec(select(User).where(User.username == "admin")).one()
    admin.password_hash = hash_password(DEMO_PASSWORD)
    world.session.commit()


def _change(at, old: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    at.switch_page("studio/pages/password.py").run()
    by_label(at.text_input, "旧密码").input(old)
    by_label(at.text_input, "新密码").input(new)
    by_label(at.text_input, "再次输入新密码").input(new if again is None else again)
    return by_label(at.button, "确认修改").click().run()


def test_demo_admin_sees_banner_until_the_password_is_changed(app_world):
    _demo_admin(app_world)
    at = login("admin", DEMO_PASSWORD)
    assert _banner(at)
    at.switch_page("studio/pages/audit_log.py").run()
    assert _banner(at)  # on every page, not only the first

    at = _change(at, "wrong-old", STRONG)
    assert [e.value for e in at.error] == ["旧密码不正确。"] and _banner(at)
    at = _change(at, DEMO_PASSWORD, STRONG, again=STRONG + "x")
    assert [e.value for e in at.error] == ["两次输入的新密码不一致。"] and _banner(at)
    at = _change(at, DEMO_PASSWORD, "weakpassword")
    assert "至少包含" in at.error[0].value and _banner(at)

    at = _change(at, DEMO_PASSWORD, STRONG)
    assert not at.exception, at.exception
    assert not _banner(at)
    assert "密码已修改" in at.success[0].value
    at = login("admin", STRONG)  # a new session checks again: still no banner
    assert not at.error and not _banner(at)


def test_other_users_see_no_banner_and_can_change_their_password(app_world):
    at = login("staff_a")
    assert not _banner(at)
    at = _change(at, "Test@2026", STRONG)
    assert not at.exception and "密码已修改" in at.success[0].value
    assert not login("staff_a", STRONG).error
