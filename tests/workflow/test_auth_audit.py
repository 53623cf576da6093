"""Login, and the append-only hash-chained audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from studio.errors import AuthenticationFailed
from studio.services import auth
from studio.workflow import audit
from tests.conftest import PASSWORD


def test_login_and_same_refusal_for_unknown_user_and_wrong_password(world, monkeypatch):
    actor = auth.authenticate(world.session, "loc_a", PASSWORD)
    assert actor.username == "loc_a" and actor.org_name == "章贡支行"
    calls = []
    real = auth._HASHER

    class CountingHasher:
        def hash(self, password):  # type: ignore[no-untyped-def]
            return real.hash(password)

        def verify(self, hashed, password):  # type: ignore[no-untyped-def]
            calls.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(auth, "_HASHER", CountingHasher())
    messages = []
    for username, password in (("loc_a", "wrong"), ("ghost", "wrong")):
        with pytest.raises(AuthenticationFailed) as error:
            auth.authenticate(world.session, username, password)
        messages.append((str(error.value), error.value.message_zh))
    assert messages[0] == messages[1] == ("unknown user or wrong password", "用户名或密码错误。")
    # Both paths pay for one argon2 verification, so timing does not tell which usernames exist.
    assert len(calls) == 2 and all(h.startswith("$argon2") for h in calls)


def test_audit_chain_verifies_and_names_a_tampered_event(world, engine):
    actor = world.actor("editor")
    for i in range(5):
        audit.append(world.session, actor, "test.event", f"thing:{i}", {"n": i})
    world.session.commit()
    report = audit.verify(world.session)
    assert report.ok and report.checked >= 5
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET subject = 'thing:forged' WHERE subject = 'thing:2'"))
        seq = conn.execute(text("SELECT seq FROM audit_event WHERE subject = 'thing:forged'")).scalar_one()
    world.session.expire_all()
    report = audit.verify(world.session)
    assert not report.ok and report.broken_seq == seq


def test_audit_chain_detects_a_deleted_event(world, engine):
    actor = world.actor("editor")
    for i in range(3):
        audit.append(world.session, actor, "test.event", f"thing:{i}", {})
    world.session.commit()
    with engine.begin() as conn:
        seq = conn.execute(text("SELECT seq FROM audit_event WHERE subject = 'thing:1'")).scalar_one()
        conn.execute(text("DELETE FROM audit_event WHERE subject = 'thing:1'"))
    world.session.expire_all()
    report = audit.verify(world.session)
    assert not report.ok and report.broken_seq == seq


def test_failed_login_is_audited(world):
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(world.session, "ghost", "x")
    events = [e for e in audit_events(world) if e.action == "login.failed"]
    assert events and events[-1].subject == "user:ghost"


def audit_events(world):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from studio.db.models import AuditEvent

    return world.session.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()
