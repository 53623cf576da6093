"""Failed-login throttle, per account and per client, kept in the database so every process shares it.

- A scope ("user:<name>", "client:<id>") that collects `max_*_failures` within `window` is locked for
  `lockout`, doubled for each earlier lockout (up to `max_lockout`); while locked every attempt, even with
  the right password, is refused before the password is checked.
- Unknown usernames are counted like real ones, so the throttle does not tell which accounts exist.
- Each counter change is ONE atomic statement (upsert / conditional update / delete ... returning), so N
  concurrent failures count N and exactly one of them triggers a lockout, on SQLite and PostgreSQL.
- Audit stays bounded: the first failure of a window and each lockout write one event each; the failures
  in between only bump `unreported`, which the next audited event (failure, lockout or login) carries.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from studio.db.models import LoginThrottle

_T: Table = LoginThrottle.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__
_KEY_CHARS = 100  # scope = prefix + at most this many characters (column holds 120)
_RETENTION = timedelta(days=1)  # quiet, unlocked rows older than this are pruned (backoff memory ends)


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta
    max_user_failures: int
    max_client_failures: int  # 0: no per-client throttle
    lockout: timedelta
    max_lockout: timedelta

    @classmethod
    def from_settings(cls) -> ThrottlePolicy:
        from studio.settings import get_settings

        s = get_settings()
        return cls(
            window=timedelta(minutes=s.login_window_minutes),
            max_user_failures=s.login_max_failures_per_user,
            max_client_failures=s.login_max_failures_per_client,
            lockout=timedelta(minutes=s.login_lockout_minutes),
            max_lockout=timedelta(minutes=s.login_lockout_max_minutes),
        )

    def lockout_for(self, earlier_lockouts: int) -> timedelta:
        return min(self.lockout * (2 ** min(earlier_lockouts, 20)), self.max_lockout)


def clean(text: str) -> str:
    """Visible text only: control, formatting (zero-width, bidi) and separator characters removed."""
    return "".join(
        ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp", "Cs"}
    ).strip()


def user_scope(username: str) -> str:
    return "user:" + clean(username)[:_KEY_CHARS]


def client_scope(client: str) -> str:
    return "client:" + (clean(client)[:_KEY_CHARS] or "unknown")


@dataclass(frozen=True)
class Failure:
    """What one counted failure did to its scope."""

    scope: str
    first_of_window: bool  # this attempt opened a new window
    locked_for: timedelta | None  # this attempt triggered the lockout
    failures: int  # in the window, including this one
    unreported: int  # failures no audit event has counted yet, including this one


def locked_for(session: Session, scopes: list[str], now: datetime) -> timedelta | None:
    """The longest remaining lock among the scopes, or None."""
    until: list[datetime] = list(
        session.execute(select(_T.c.locked_until).where(_T.c.scope.in_(scopes), _T.c.locked_until > now))
        .scalars()
        .all()
    )
    return max(until) - now if until else None


def minutes(remaining: timedelta) -> int:
    return max(1, math.ceil(remaining.total_seconds() / 60))


def record_failure(
    session: Session, scope: str, limit: int, policy: ThrottlePolicy, now: datetime
) -> Failure:
    """Count one failure (atomically) and lock the scope if it reached its limit; in the caller's transaction."""
    expired = _T.c.window_start <= now - policy.window
    insert = _insert(session)(_T).values(
        scope=scope, failures=1, window_start=now, locked_until=None, lockouts=0, unreported=1, updated_at=now
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[_T.c.scope],
        set_={
            # A SET expression sees the row as it was, so both CASEs test the same old window_start.
            "failures": case((expired, 1), else_=_T.c.failures + 1),
            "window_start": case((expired, literal(now, _T.c.window_start.type)), else_=_T.c.window_start),
            "unreported": _T.c.unreported + 1,
            "updated_at": now,
        },
    ).returning(_T.c.failures, _T.c.lockouts, _T.c.unreported)
    row = session.execute(upsert).one()
    failures, lockouts, unreported = int(row[0]), int(row[1]), int(row[2])
    lock = None
    if failures >= limit:
        lock = policy.lockout_for(lockouts)
        # Only the attempt that finds the scope unlocked locks it: one lockout (and one audit event) per burst.
        locked = session.execute(
            update(_T)
            .where(_T.c.scope == scope, or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now))
            .values(locked_until=now + lock, lockouts=_T.c.lockouts + 1, updated_at=now)
            .returning(_T.c.scope)
        ).first()
        lock = lock if locked else None
    return Failure(scope, failures == 1, lock, failures, unreported)


def mark_reported(session: Session, scope: str, count: int) -> None:
    """`count` failures are now in an audit event (subtracting keeps concurrent increments)."""
    session.execute(update(_T).where(_T.c.scope == scope).values(unreported=_T.c.unreported - count))


def clear(session: Session, scope: str) -> int:
    """Forget the scope after a successful login; returns the failures no audit event has counted yet."""
    row = session.execute(delete(_T).where(_T.c.scope == scope).returning(_T.c.unreported)).first()
    return row[0] if row else 0


def prune(session: Session, now: datetime) -> None:
    """Bound the table: rows for names nobody tried for a day, and not locked, go. SKIP LOCKED (PostgreSQL):
    pruning never waits for a row another login holds, so it cannot join a lock cycle."""
    stale = (
        select(_T.c.scope)
        .where(_T.c.updated_at < now - _RETENTION, or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now))
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(_T).where(_T.c.scope.in_(stale)))


def _insert(session: Session) -> Callable[[Table], postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT, which has the upsert (ON CONFLICT) form."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
