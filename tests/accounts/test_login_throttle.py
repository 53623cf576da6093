"""Failed-login throttle: per account and per client, counted in the database, bounded audit trail."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from studio.db.models import AuditEvent, LoginThrottle
from studio.errors import AuthenticationFailed, LoginThrottled
from studio.services import auth
from studio.services.login_throttle import ThrottlePolicy
from tests.conftest import PASSWORD

POLICY = ThrottlePolicy(
    window=timedelta(minutes=15),
    max_user_failures=5,
    max_client_failures=20,
    lockout=timedelta(minutes=15),
    max_lockout=timedelta(hours=24),
)


@pytest.fixture(autouse=True)
def _cheap_argon2(world, monkeypatch):  # type: ignore[no-untyped-def]
    """Hundreds of attempts: verify against low-cost argon2 hashes (the cost is not what is tested here)."""
    from argon2 import PasswordHasher

    from studio.db.models import User

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    dummy = cheap.hash("not-a-real-password")
    monkeypatch.setattr(auth, "_HASHER", cheap)
    monkeypatch.setattr(auth, "_dummy_hash", lambda: dummy)
    for user in world.session.exec(select(User)):
        user.password_hash = cheap.hash(PASSWORD)
    world.session.commit()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def attempt(session, username, password="wrong", *, client="10.0.0.1", clock=None, policy=POLICY):  # type: ignore[no-untyped-def]
    return auth.authenticate(
        session, username, password, client=client, clock=clock or Clock(), policy=policy
    )


def fail(session, username, n, **kw):  # type: ignore[no-untyped-def]
    for _ in range(n):
        with pytest.raises(AuthenticationFailed):
            attempt(session, username, **kw)


def login_events(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return [
        e for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq)) if e.action.startswith("login")
    ]


class CountingHasher:
    def __init__(self) -> None:
        self.calls = 0
        self.real = auth._HASHER

    def hash(self, password):  # type: ignore[no-untyped-def]
        return self.real.hash(password)

    def verify(self, hashed, password):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.real.verify(hashed, password)


def test_account_locks_and_right_password_is_refused_without_checking_it(world, monkeypatch):
    clock = Clock()
    fail(world.session, "editor", 5, clock=clock)
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_HASHER", hasher)
    for client in ("10.0.0.1", "10.9.9.9"):  # another client does not help: the account is locked
        with pytest.raises(LoginThrottled) as error:
            attempt(world.session, "editor", PASSWORD, client=client, clock=clock)
    assert error.value.message_zh == "登录失败次数过多，请 15 分钟后再试。"
    assert str(error.value) == "too many failed logins; try again in 15 minutes"
    assert hasher.calls == 0  # the lock is checked before the (costly) password verification
    clock.advance(minutes=9, seconds=30)
    with pytest.raises(LoginThrottled) as error:
        attempt(world.session, "editor", PASSWORD, clock=clock)
    assert error.value.message_zh == "登录失败次数过多，请 6 分钟后再试。"


def test_lock_expires_and_success_resets_the_account_counter(world):
    clock = Clock()
    fail(world.session, "editor", 5, clock=clock)
    clock.advance(minutes=15, seconds=1)
    assert attempt(world.session, "editor", PASSWORD, clock=clock).username == "editor"
    # After a success the count starts again: 4 + 4 failures around a success never lock.
    fail(world.session, "editor", 4, clock=clock)
    assert attempt(world.session, "editor", PASSWORD, clock=clock).username == "editor"
    fail(world.session, "editor", 4, clock=clock)
    assert attempt(world.session, "editor", PASSWORD, clock=clock).username == "editor"


def test_failures_outside_the_window_do_not_add_up(world):
    clock = Clock()
    for _ in range(3):
        fail(world.session, "editor", 4, clock=clock)
        clock.advance(minutes=16)
    assert attempt(world.session, "editor", PASSWORD, clock=clock).username == "editor"


def test_repeated_lockouts_double(world):
    clock = Clock()
    fail(world.session, "editor", 5, clock=clock)
    clock.advance(minutes=15, seconds=1)
    fail(world.session, "editor", 5, clock=clock)
    with pytest.raises(LoginThrottled) as error:
        attempt(world.session, "editor", PASSWORD, clock=clock)
    assert "30 分钟" in error.value.message_zh
    clock.advance(minutes=30, seconds=1)
    assert attempt(world.session, "editor", PASSWORD, clock=clock).username == "editor"


def test_unknown_user_is_throttled_exactly_like_a_known_one(world):
    clock = Clock()
    messages = []
    for username in ("editor", "ghost"):
        fail(world.session, username, 5, clock=clock)
        with pytest.raises(LoginThrottled) as error:
            attempt(world.session, username, clock=clock)
        messages.append((str(error.value), error.value.message_zh))
    assert messages[0] == messages[1]


def test_client_is_throttled_across_usernames(world):
    clock = Clock()
    names = [f"user{i}" for i in range(10)]
    for name in names:  # 2 failures each: no account reaches its limit, the client does
        fail(world.session, name, 2, client="10.0.0.66", clock=clock)
    with pytest.raises(LoginThrottled):
        attempt(world.session, "editor", PASSWORD, client="10.0.0.66", clock=clock)
    assert attempt(world.session, "editor", PASSWORD, client="10.0.0.67", clock=clock).username == "editor"
    clock.advance(minutes=15, seconds=1)
    assert attempt(world.session, "editor", PASSWORD, client="10.0.0.66", clock=clock).username == "editor"


def test_fifty_failures_leave_a_handful_of_audit_rows_that_count_every_failure(world):
    clock = Clock()
    for _ in range(50):
        with pytest.raises((AuthenticationFailed, LoginThrottled)):
            attempt(world.session, "editor", clock=clock)
        clock.advance(seconds=1)
    events = login_events(world.session)
    assert [e.action for e in events] == ["login.failed", "login.locked"]
    assert sum(e.details["failures"] for e in events) == 5
    assert events[1].details["minutes"] == 15 and events[1].subject == "user:editor"

    # A short burst followed by a success: the success row carries the failures not yet reported.
    clock.advance(minutes=20)
    fail(world.session, "editor", 3, clock=clock)
    attempt(world.session, "editor", PASSWORD, clock=clock)
    events = login_events(world.session)[2:]
    assert [e.action for e in events] == ["login.failed", "login"]
    assert events[0].details["failures"] == 1 and events[1].details["failed_attempts"] == 2


def test_client_lockout_is_audited_once(world):
    clock = Clock()
    for i in range(30):
        with pytest.raises((AuthenticationFailed, LoginThrottled)):
            attempt(world.session, f"spray{i}", client="10.0.0.99", clock=clock)
    events = login_events(world.session)
    locked = [e for e in events if e.action == "login.locked"]
    assert len(locked) == 1 and locked[0].subject == "client:10.0.0.99"
    assert len(events) == 21  # one login.failed per sprayed name until the client locked, then nothing


def test_usernames_reach_the_audit_truncated_and_without_control_characters(world):
    hostile = "ad\x00min\r\n=cmd|' /C calc'!A0\u202e" + "x" * 200
    fail(world.session, hostile, 1)
    (event,) = login_events(world.session)
    assert event.subject.startswith("user:admin=cmd")
    assert len(event.subject) <= 50
    assert not any(ord(ch) < 32 or ch == "\u202e" for ch in event.subject)
    row = world.session.exec(select(LoginThrottle).where(LoginThrottle.scope.startswith("user:"))).one()
    assert "\x00" not in row.scope and len(row.scope) <= 120
    # A NUL-bearing name never matches an account, even after cleaning.
    fail(world.session, "admin\x00", 1, password=PASSWORD)


def test_client_ids_are_cleaned_too(world):
    fail(world.session, "editor", 1, client="1.2.3.4\r\n=evil" + "9" * 300)
    scopes = {row.scope for row in world.session.exec(select(LoginThrottle))}
    (client,) = [s for s in scopes if s.startswith("client:")]  # the client was counted, not dropped
    assert client.startswith("client:1.2.3.4")
    assert all(len(s) <= 120 and "\r" not in s and "\n" not in s for s in scopes)


def _hammer(engine, username: str, n: int, policy: ThrottlePolicy, client_of=lambda i: "10.0.0.1") -> list:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)
    clock = Clock()
    outcomes: list = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                attempt(session, username, client=client_of(i), clock=clock, policy=policy)
                result: object = "ok"
            except Exception as error:  # noqa: BLE001 - the test inspects every outcome
                result = error
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


@pytest.mark.parametrize("with_client", [True, False], ids=["per-client", "account-only"])
def test_concurrent_failures_are_all_counted(world, engine, with_client):
    n = 12
    roomy = ThrottlePolicy(
        window=timedelta(minutes=15),
        max_user_failures=100,
        max_client_failures=100,
        lockout=timedelta(minutes=15),
        max_lockout=timedelta(hours=24),
    )
    clients = (lambda i: f"10.0.1.{i % 3}") if with_client else (lambda i: None)
    outcomes = _hammer(engine, "editor", n, roomy, client_of=clients)
    assert all(isinstance(o, AuthenticationFailed) for o in outcomes), outcomes
    world.session.expire_all()
    rows = {r.scope: r for r in world.session.exec(select(LoginThrottle))}
    assert rows["user:editor"].failures == n
    if with_client:
        assert sum(rows[f"client:10.0.1.{k}"].failures for k in range(3)) == n
    events = login_events(world.session)
    assert [e.action for e in events] == ["login.failed"]
    assert events[0].details["failures"] + rows["user:editor"].unreported == n


def test_concurrent_failures_lock_exactly_once(world, engine):
    outcomes = _hammer(engine, "editor", 10, POLICY)
    assert all(isinstance(o, AuthenticationFailed | LoginThrottled) for o in outcomes), outcomes
    events = login_events(world.session)
    assert [e.action for e in events].count("login.locked") == 1
    with pytest.raises(LoginThrottled):
        attempt(world.session, "editor", PASSWORD, clock=Clock())
