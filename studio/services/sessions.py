"""Login sessions that survive a refresh, a new tab or a deep link, and end at the next click when they should.

The browser holds an opaque random token in a cookie (studio/ui/session_cookie.py); the database holds only
its SHA-256 with the user, the times and the revocation (`LoginSession`). Every script run of the app calls
`resume`: one indexed query that checks the token and rebuilds the Actor from the user's current row, so a
logout elsewhere, a revocation, an expiry, a deactivation or a role or org change applies at the next click.

Lifetimes (settings): absolute, from login; idle, per role, fixed at login. The last-seen time is written at
most once per touch interval, so clicking writes nothing most of the time, and no write here appends an
audit event: a session's life moves neither the data version nor the audit head, except its start (the
`login` event, written by the login itself), its logout and its revocation (`session.revoked`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from studio.db.models import LoginSession, Org, User, utcnow
from studio.domain.enums import Role
from studio.domain.views import Actor, LoginSessionView
from studio.errors import NotFound, ValidationError
from studio.services.auth import actor_of
from studio.settings import get_settings
from studio.workflow import audit

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 random bits
MAX_TOKEN_CHARS = 100  # a longer cookie is not ours: refused before hashing
CLIENT_CHARS = 200
METHOD_CHARS = 20
KEEP_ENDED = timedelta(days=1)  # a user's sessions are deleted this long after their absolute expiry

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SessionPolicy:
    absolute: timedelta
    idle_minutes: dict[str, float]
    touch: timedelta

    @classmethod
    def from_settings(cls) -> SessionPolicy:
        settings = get_settings()
        return cls(
            absolute=timedelta(hours=settings.session_absolute_hours),
            idle_minutes=dict(settings.session_idle_minutes),
            touch=timedelta(seconds=settings.session_touch_seconds),
        )

    def idle_seconds(self, role: Role) -> int:
        """The role's idle timeout; a role the settings leave out gets the shortest one configured."""
        minutes = self.idle_minutes.get(role.value, min(self.idle_minutes.values()))
        return max(1, round(minutes * 60))

    def touch_interval(self, idle_seconds: int) -> timedelta:
        """How stale last_seen_at may get: the setting, or half the idle timeout when that is shorter."""
        return min(self.touch, timedelta(seconds=idle_seconds / 2))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    session: Session,
    actor: Actor,
    *,
    method: str,
    client: str,
    clock: Clock = utcnow,
    policy: SessionPolicy | None = None,
) -> str:
    """A new session for the actor who just logged in (the login itself is audited); returns the token,
    which only the browser keeps. Also deletes this user's sessions that expired over a day ago."""
    if not method or len(method) > METHOD_CHARS:
        raise ValidationError(f"a session's method must have 1 to {METHOD_CHARS} characters")
    policy = policy or SessionPolicy.from_settings()
    now = clock()
    session.exec(
        delete(LoginSession).where(
            col(LoginSession.user_id) == actor.user_id, col(LoginSession.expires_at) < now - KEEP_ENDED
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=actor.user_id,
            method=method,
            client=_printable(client)[:CLIENT_CHARS],
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
            idle_seconds=policy.idle_seconds(actor.role),
        )
    )
    session.commit()
    return token


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable()).strip()


def _live(row: LoginSession, now: datetime) -> bool:
    return (
        row.revoked_at is None
        and now < row.expires_at
        and now < row.last_seen_at + timedelta(seconds=row.idle_seconds)
    )


def resume(
    session: Session, token: str | None, *, clock: Clock = utcnow, policy: SessionPolicy | None = None
) -> Actor | None:
    """The Actor of a live session, rebuilt from the user's current row; None for a missing, unknown,
    revoked or expired token or an inactive user. Touches last_seen_at at most once per touch interval."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    found = session.exec(
        select(LoginSession, User, Org)
        .join(User, col(User.id) == LoginSession.user_id)
        .join(Org, col(Org.id) == User.org_id)
        .where(LoginSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user, org = found
    now = clock()
    if not user.active or not _live(row, now):
        return None
    policy = policy or SessionPolicy.from_settings()
    if now - row.last_seen_at >= policy.touch_interval(row.idle_seconds):
        # Conditional: a revocation committed meanwhile stays in force; no audit event (see module doc).
        session.exec(
            update(LoginSession)
            .where(col(LoginSession.id) == row.id, col(LoginSession.revoked_at).is_(None))
            .values(last_seen_at=now)
        )
        session.commit()
    return actor_of(user, org)


def _revoke(session: Session, rows: list[LoginSession], reason: str, now: datetime) -> list[int]:
    ids = [row.id for row in rows if row.id is not None]
    if ids:
        session.exec(
            update(LoginSession)
            .where(col(LoginSession.id).in_(ids), col(LoginSession.revoked_at).is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
    return ids


def end(session: Session, actor: Actor, token: str | None, *, clock: Clock = utcnow) -> None:
    """Logout: the actor's session of this token ends (a token of someone else's session is ignored), and
    the logout is audited even when the browser had no session (the app's memory alone)."""
    ended: list[int] = []
    if token and len(token) <= MAX_TOKEN_CHARS:
        rows = session.exec(
            select(LoginSession).where(
                LoginSession.token_hash == token_hash(token), LoginSession.user_id == actor.user_id
            )
        ).all()
        ended = _revoke(session, list(rows), "logout", clock())
    audit.append(session, actor, "logout", f"user:{actor.user_id}", {"session": ended[0]} if ended else {})
    session.commit()


def _active_rows(session: Session, actor: Actor, now: datetime) -> list[LoginSession]:
    rows = session.exec(
        select(LoginSession)
        .where(
            LoginSession.user_id == actor.user_id,
            col(LoginSession.revoked_at).is_(None),
            LoginSession.expires_at > now,
        )
        .order_by(col(LoginSession.created_at).desc(), col(LoginSession.id).desc())
    ).all()
    return [row for row in rows if _live(row, now)]


def list_mine(
    session: Session, actor: Actor, current_token: str | None = None, *, clock: Clock = utcnow
) -> list[LoginSessionView]:
    """The actor's own live sessions: the one of `current_token` first and marked, then the rest newest first."""
    current = token_hash(current_token) if current_token else None
    views = [
        LoginSessionView(
            id=row.id or 0,
            method=row.method,
            client=row.client,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            current=row.token_hash == current,
        )
        for row in _active_rows(session, actor, clock())
    ]
    return sorted(views, key=lambda view: not view.current)  # stable: the rest stay newest first


def revoke_mine(session: Session, actor: Actor, session_id: int, *, clock: Clock = utcnow) -> None:
    """End one of the actor's own sessions. Another user's session id is refused like one that does not
    exist, and changes nothing."""
    row = session.get(LoginSession, session_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"session {session_id} not found", "会话不存在或已结束。")
    if row.revoked_at is None:
        _revoke(session, [row], "ended_by_user", clock())
        audit.append(session, actor, "session.revoked", f"user:{actor.user_id}", {"sessions": [row.id]})
    session.commit()


def revoke_others(session: Session, actor: Actor, current_token: str | None, *, clock: Clock = utcnow) -> int:
    """End every live session of the actor except the one of `current_token`; returns how many ended."""
    now = clock()
    current = token_hash(current_token) if current_token else None
    others = [row for row in _active_rows(session, actor, now) if row.token_hash != current]
    ended = _revoke(session, others, "ended_by_user", now)
    if ended:
        audit.append(session, actor, "session.revoked", f"user:{actor.user_id}", {"sessions": ended})
    session.commit()
    return len(ended)


def revoke_all_for_user(
    session: Session, user_id: int, reason: str, *, keep_token: str | None = None, clock: Clock = utcnow
) -> int:
    """Every session of the user ends but the one of `keep_token` (a password change keeps the browser that
    made it; the operator's reset from the shell keeps none). Adds the audit event to the caller's
    transaction, which commits."""
    query = select(LoginSession).where(
        LoginSession.user_id == user_id, col(LoginSession.revoked_at).is_(None)
    )
    if keep_token:
        query = query.where(LoginSession.token_hash != token_hash(keep_token))
    ended = _revoke(session, list(session.exec(query).all()), reason, clock())
    if ended:
        audit.append(
            session, None, "session.revoked", f"user:{user_id}", {"sessions": ended, "reason": reason}
        )
    return len(ended)
