"""Local login. Unknown users and wrong passwords cost the same hash, get the same message and are throttled
the same way (studio/services/login_throttle.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from studio.db.models import Org, User, utcnow
from studio.domain.enums import Role
from studio.domain.views import Actor
from studio.errors import AuthenticationFailed, LoginThrottled, PasswordLoginDisabled
from studio.services import login_throttle as throttle
from studio.services.login_throttle import ThrottlePolicy
from studio.settings import get_settings
from studio.workflow import audit

_HASHER = PasswordHasher()
_AUDIT_CHARS = 40  # of a typed username or client id, in an audit subject/detail


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("not-a-real-password")


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    client: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    policy: ThrottlePolicy | None = None,
) -> Actor:
    """Log in, throttled per account and per `client` (an id the caller supplies, e.g. the IP address)."""
    if not get_settings().password_login:
        raise PasswordLoginDisabled()
    policy = policy or ThrottlePolicy.from_settings()
    now = clock()
    name = throttle.clean(username)
    scopes = {throttle.user_scope(username): policy.max_user_failures}
    if client is not None and policy.max_client_failures > 0:
        scopes[throttle.client_scope(client)] = policy.max_client_failures
    # Checked before the password, so a locked account costs no argon2 work and reveals nothing.
    if (remaining := throttle.locked_for(session, list(scopes), now)) is not None:
        raise LoginThrottled(throttle.minutes(remaining))
    # A name that needed cleaning (control or invisible characters) matches no account, and never reaches
    # the database as typed (PostgreSQL refuses NUL).
    user = None
    if name == username.strip():
        user = session.exec(select(User).where(User.username == name)).first()
    hashed = user.password_hash if user and user.active else _dummy_hash()
    try:
        _HASHER.verify(hashed, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        _record_failure(session, name, client, scopes, policy, now)
        session.commit()
        raise AuthenticationFailed()
    actor = actor_for(session, user)
    failed = throttle.clear(session, throttle.user_scope(username))
    audit.append(session, actor, "login", f"user:{user.id}", {"failed_attempts": failed} if failed else {})
    session.commit()
    return actor


def _record_failure(
    session: Session,
    name: str,
    client: str | None,
    scopes: dict[str, int],
    policy: ThrottlePolicy,
    now: datetime,
) -> None:
    """Count the failure in every scope; audit only a window's first failure and each lockout, each event
    carrying the failures not yet counted by an earlier one."""
    where = {"client": throttle.clean(client)[:_AUDIT_CHARS]} if client is not None else {}
    # Sorted scopes: every transaction locks the rows in the same order, so two attempts never deadlock.
    failures = [
        throttle.record_failure(session, scope, limit, policy, now) for scope, limit in sorted(scopes.items())
    ]
    throttle.prune(session, now)
    for failure in failures:
        if not failure.scope.startswith("user:"):
            if failure.locked_for is not None:
                audit.append(
                    session,
                    None,
                    "login.locked",
                    failure.scope[: _AUDIT_CHARS + len("client:")],
                    {"failures": failure.failures, "minutes": throttle.minutes(failure.locked_for)},
                )
            continue
        subject = f"user:{name[:_AUDIT_CHARS]}"
        unreported = failure.unreported
        if failure.first_of_window:
            audit.append(session, None, "login.failed", subject, {"failures": unreported, **where})
            throttle.mark_reported(session, failure.scope, unreported)
            unreported = 0
        if failure.locked_for is not None:
            audit.append(
                session,
                None,
                "login.locked",
                subject,
                {"failures": unreported, "minutes": throttle.minutes(failure.locked_for), **where},
            )
            throttle.mark_reported(session, failure.scope, unreported)


def actor_for(session: Session, user: User) -> Actor:
    org = session.get(Org, user.org_id)
    assert org is not None
    return actor_of(user, org)


def actor_of(user: User, org: Org) -> Actor:
    """The Actor of a user row and its org row (read together, e.g. when a login session is resumed)."""
    return Actor(
        user_id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        org_id=org.id or 0,
        org_path=org.path,
        org_name=org.name,
    )


def logout(session: Session, actor: Actor) -> None:
    audit.append(session, actor, "logout", f"user:{actor.user_id}", {})
    session.commit()
