"""Login sessions (studio/services/sessions.py), on SQLite and PostgreSQL, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, select

from studio.db.models import AuditEvent, LoginSession, User
from studio.domain.enums import Role
from studio.errors import NotFound
from studio.services import sessions, users
from studio.services.data_version import audit_head, data_version
from studio.services.sessions import SessionPolicy
from tests.conftest import PASSWORD, World

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
POLICY = SessionPolicy(
    absolute=timedelta(hours=8),
    idle_minutes={"reviewer": 30, "admin": 30, "hq_editor": 60, "branch_localiser": 60, "staff": 240},
    touch=timedelta(seconds=60),
)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _start(world: World, username: str, clock: Clock, client: str = "127.0.0.1 Firefox") -> str:
    return sessions.start_session(
        world.session, world.actor(username), method="password", client=client, clock=clock, policy=POLICY
    )


def _resume(world: World, token: str | None, clock: Clock):  # type: ignore[no-untyped-def]
    return sessions.resume(world.session, token, clock=clock, policy=POLICY)


def test_a_started_session_resumes_as_its_user(world, clock):
    token = _start(world, "reviewer", clock)
    actor = _resume(world, token, clock)
    assert actor == world.actor("reviewer")


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 5000])
def test_missing_or_wrong_tokens_resume_nobody(world, clock, token):
    _start(world, "reviewer", clock)
    assert _resume(world, token, clock) is None


def test_the_token_is_never_stored_in_clear(world, clock, session):
    token = _start(world, "reviewer", clock)
    row = session.exec(select(LoginSession)).one()
    assert row.token_hash == sessions.token_hash(token) != token
    # Nowhere in the database: every text column of every table, as the database returns it.
    tables = session.connection().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type='table'"
        if session.get_bind().dialect.name == "sqlite"
        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    names = [name for (name,) in tables]
    assert "login_session" in names
    for name in names:
        for record in session.connection().execute(text(f'SELECT * FROM "{name}"')):
            assert not any(token in str(value) for value in record), name


def test_idle_expiry_is_per_role_and_counts_from_the_last_click(world, clock):
    reviewer, staff = _start(world, "reviewer", clock), _start(world, "staff_a", clock)
    clock.advance(minutes=29)
    assert _resume(world, reviewer, clock) is not None  # a click: last seen moves to 09:29
    clock.advance(minutes=29)
    assert _resume(world, reviewer, clock) is not None
    clock.advance(minutes=31)
    assert _resume(world, reviewer, clock) is None  # 31 minutes idle: over the reviewer's 30
    assert _resume(world, staff, clock) is not None  # staff: 89 minutes idle of 240
    clock.advance(minutes=241)
    assert _resume(world, staff, clock) is None


def test_absolute_expiry_ends_an_active_session(world, clock):
    token = _start(world, "staff_a", clock)
    for _ in range(15):  # a click every half hour for seven and a half hours
        clock.advance(minutes=30)
        assert _resume(world, token, clock) is not None
    clock.advance(minutes=30)
    assert _resume(world, token, clock) is None  # 8 h after login, however busy


def test_logout_ends_only_that_session(world, clock, session):
    first, second = _start(world, "reviewer", clock), _start(world, "reviewer", clock)
    sessions.end(session, world.actor("reviewer"), first, clock=clock)
    assert _resume(world, first, clock) is None
    assert _resume(world, second, clock) is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "logout")).one()
    assert (
        event.details["session"]
        == session.exec(select(LoginSession.id).where(LoginSession.revoked_reason == "logout")).one()
    )


def test_logout_with_someone_elses_token_ends_nothing(world, clock, session):
    theirs = _start(world, "editor", clock)
    sessions.end(session, world.actor("reviewer"), theirs, clock=clock)
    assert _resume(world, theirs, clock) is not None


def test_a_deactivated_user_is_out_at_the_next_click(world, clock, session):
    token = _start(world, "loc_a", clock)
    user = session.exec(select(User).where(User.username == "loc_a")).one()
    user.active = False
    session.commit()
    assert _resume(world, token, clock) is None
    user.active = True
    session.commit()
    assert _resume(world, token, clock) is not None  # the session itself was never ended


def test_a_role_or_org_change_applies_at_the_next_click(world, clock, session):
    token = _start(world, "loc_a", clock)
    user = session.exec(select(User).where(User.username == "loc_a")).one()
    user.role = Role.STAFF.value
    user.org_id = world.actor("loc_b").org_id
    session.commit()
    actor = _resume(world, token, clock)
    assert actor is not None and actor.role == Role.STAFF and actor.org_name == "南康支行"


def test_last_seen_is_written_at_most_once_a_minute_and_moves_no_version(world, clock, session):
    token = _start(world, "reviewer", clock)
    versions = (data_version(session), audit_head(session))
    writes: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            writes.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(10):  # ten clicks within 50 seconds: no write
            clock.advance(seconds=5)
            assert _resume(world, token, clock) is not None
        assert writes == []
        clock.advance(seconds=15)  # 65 s after the last write
        assert _resume(world, token, clock) is not None
        assert len(writes) == 1 and "login_session" in writes[0]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert session.exec(select(LoginSession.last_seen_at)).one() == clock.now
    assert (data_version(session), audit_head(session)) == versions


def test_a_short_idle_timeout_touches_more_often_than_it_expires(world, clock):
    policy = SessionPolicy(
        absolute=timedelta(hours=8), idle_minutes={"staff": 0.1}, touch=timedelta(seconds=60)
    )
    token = sessions.start_session(
        world.session, world.actor("staff_a"), method="password", client="", clock=clock, policy=policy
    )
    for _ in range(10):  # a click every 4 s against a 6 s idle timeout: never out
        clock.advance(seconds=4)
        assert sessions.resume(world.session, token, clock=clock, policy=policy) is not None
    clock.advance(seconds=7)
    assert sessions.resume(world.session, token, clock=clock, policy=policy) is None


def test_list_mine_shows_only_own_live_sessions_and_marks_this_one(world, clock, session):
    this = _start(world, "reviewer", clock, client="10.0.0.1 Chrome")
    clock.advance(minutes=1)
    _start(world, "reviewer", clock, client="10.0.0.2 Safari")
    ended = _start(world, "reviewer", clock)
    sessions.end(session, world.actor("reviewer"), ended, clock=clock)
    _start(world, "editor", clock)
    views = sessions.list_mine(session, world.actor("reviewer"), this, clock=clock)
    assert [(v.client, v.current) for v in views] == [("10.0.0.1 Chrome", True), ("10.0.0.2 Safari", False)]
    assert [v.client for v in sessions.list_mine(session, world.actor("reviewer"), clock=clock)] == [
        "10.0.0.2 Safari",
        "10.0.0.1 Chrome",
    ]
    clock.advance(minutes=31)
    assert sessions.list_mine(session, world.actor("reviewer"), this, clock=clock) == []  # idle past 30


def test_revoke_mine_ends_an_own_session_and_is_audited(world, clock, session):
    this, other = _start(world, "reviewer", clock), _start(world, "reviewer", clock)
    actor = world.actor("reviewer")
    other_id = next(v.id for v in sessions.list_mine(session, actor, this, clock=clock) if not v.current)
    sessions.revoke_mine(session, actor, other_id, clock=clock)
    assert _resume(world, other, clock) is None and _resume(world, this, clock) is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "session.revoked")).one()
    assert event.actor_id == actor.user_id and event.details["sessions"] == [other_id]


def test_revoking_another_users_session_is_refused_and_changes_nothing(world, clock, session):
    theirs = _start(world, "editor", clock)
    their_id = session.exec(select(LoginSession.id)).one()
    head = audit_head(session)
    with pytest.raises(NotFound):
        sessions.revoke_mine(session, world.actor("reviewer"), their_id, clock=clock)
    with pytest.raises(NotFound):
        sessions.revoke_mine(session, world.actor("reviewer"), their_id + 1000, clock=clock)
    session.rollback()
    assert _resume(world, theirs, clock) is not None
    assert session.exec(select(LoginSession.revoked_at)).one() is None
    assert audit_head(session) == head


def test_revoke_others_keeps_this_session(world, clock, session):
    this = _start(world, "reviewer", clock)
    others = [_start(world, "reviewer", clock) for _ in range(3)]
    theirs = _start(world, "editor", clock)
    assert sessions.revoke_others(session, world.actor("reviewer"), this, clock=clock) == 3
    assert _resume(world, this, clock) is not None and _resume(world, theirs, clock) is not None
    assert all(_resume(world, token, clock) is None for token in others)


def test_changing_the_password_ends_the_other_sessions(world, clock, session):
    this, other = _start(world, "reviewer", clock), _start(world, "reviewer", clock)
    users.change_own_password(
        session, world.actor("reviewer"), PASSWORD, "Neu-Passwort-2026", current_token=this
    )
    assert _resume(world, this, clock) is not None and _resume(world, other, clock) is None


def test_the_operators_password_reset_ends_every_session(world, clock, session):
    token = _start(world, "reviewer", clock)
    users.set_password(session, "reviewer", "Neu-Passwort-2026")
    assert _resume(world, token, clock) is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "session.revoked")).one()
    assert event.actor_id is None and event.details["reason"] == "password_reset"


def test_long_expired_sessions_are_deleted_at_the_next_login(world, clock, session):
    _start(world, "reviewer", clock)
    clock.advance(hours=8 + 25)
    _start(world, "reviewer", clock)
    assert len(session.exec(select(LoginSession)).all()) == 1


def test_the_session_of_a_login_that_client_sends_is_recorded_printable(world, clock, session: Session):
    _start(world, "reviewer", clock, client="10.0.0.1\x00\n Chrome" + "x" * 300)
    row = session.exec(select(LoginSession)).one()
    assert row.client.startswith("10.0.0.1 Chrome") and len(row.client) == 200
