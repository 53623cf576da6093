"""Passwords: strength rules, changing one's own, the operator's reset, and the public demo password warning."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from studio.db.models import AuditEvent, User
from studio.errors import AuthenticationFailed, NotFound, ValidationError
from studio.services import users
from studio.services.auth import authenticate, hash_password
from studio.services.seed import DEMO_PASSWORD
from tests.conftest import PASSWORD

STRONG = "Jincheng-2026x"


def _give_demo_password(world, username: str) -> None:  # type: ignore[no-untyped-def]
    user = world.session.exec(select(User).where(User.username == username)).one()
    user.password_hash = hash_password(DEMO_PASSWORD)
    world.session.add(user)
    world.session.commit()


def _last_event(world) -> AuditEvent:  # type: ignore[no-untyped-def]
    return world.session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "至少需要 10 个字符"),
        ("abcdefghijkl", "至少包含"),  # one class
        ("abcdefgh1234", "至少包含"),  # two classes
        ("ABCDEFGHIJ!!", "至少包含"),  # two classes
        ("Aa1!" * 40, "最多"),
    ],
)
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(ValidationError) as error:
        users.check_strength(password)
    assert message in error.value.message_zh


@pytest.mark.parametrize("password", [STRONG, "abcdefgh12!!", "ABCDEFGH12ab", "银行合规Abc12345"])
def test_strong_passwords_pass(password):
    users.check_strength(password)


def test_demo_admin_is_detected_and_only_admins_count(world):
    assert users.admins_with_demo_password(world.session) == []
    _give_demo_password(world, "editor")  # not an admin: not the open door this check is about
    assert users.admins_with_demo_password(world.session) == []
    _give_demo_password(world, "admin")
    assert users.admins_with_demo_password(world.session) == ["admin"]
    assert users.has_demo_password(world.session, world.actor("admin"))
    assert not users.has_demo_password(world.session, world.actor("editor"))
    admin = world.session.exec(select(User).where(User.username == "admin")).one()
    admin.active = False
    world.session.commit()
    assert users.admins_with_demo_password(world.session) == []


def test_change_own_password_refusals_write_nothing(world):
    _give_demo_password(world, "admin")
    admin = world.actor("admin")
    before = world.session.exec(select(func.count()).select_from(AuditEvent)).one()
    for old, new, message in [
        ("wrong", STRONG, "旧密码不正确"),
        (DEMO_PASSWORD, "short1A", "至少需要"),
        (DEMO_PASSWORD, DEMO_PASSWORD, "不能与旧密码相同"),
        (DEMO_PASSWORD, "alllowercase", "至少包含"),
    ]:
        with pytest.raises(ValidationError) as error:
            users.change_own_password(world.session, admin, old, new)
        assert message in error.value.message_zh
    world.session.expire_all()
    assert world.session.exec(select(func.count()).select_from(AuditEvent)).one() == before
    assert users.admins_with_demo_password(world.session) == ["admin"]


def test_change_own_password_is_audited_and_clears_the_warning(world):
    _give_demo_password(world, "admin")
    admin = world.actor("admin")
    users.change_own_password(world.session, admin, DEMO_PASSWORD, STRONG)
    event = _last_event(world)
    assert (event.action, event.actor, event.subject) == (
        "user.password_change",
        "admin",
        f"user:{admin.user_id}",
    )
    assert {k: v for k, v in event.details.items() if not k.startswith("_")} == {
        "username": "admin",
        "via": "app",
    } and STRONG not in str(event.details)
    assert users.admins_with_demo_password(world.session) == []
    assert not users.has_demo_password(world.session, admin)
    assert authenticate(world.session, "admin", STRONG).username == "admin"
    with pytest.raises(AuthenticationFailed):
        authenticate(world.session, "admin", DEMO_PASSWORD)


def test_operator_reset(world):
    _give_demo_password(world, "admin")
    with pytest.raises(NotFound):
        users.set_password(world.session, "nobody", STRONG)
    with pytest.raises(ValidationError):
        users.set_password(world.session, "admin", "weak")
    with pytest.raises(ValidationError, match="at least 10"):
        users.set_password(world.session, "admin", DEMO_PASSWORD)  # too weak to ever come back
    users.set_password(world.session, "admin", STRONG)
    event = _last_event(world)
    assert (event.action, event.actor, event.details["via"]) == ("user.password_change", "system", "cli")
    assert users.admins_with_demo_password(world.session) == []
    with pytest.raises(ValidationError, match="differ"):
        users.set_password(world.session, "admin", STRONG)
    assert authenticate(world.session, "staff_a", PASSWORD)  # others untouched
