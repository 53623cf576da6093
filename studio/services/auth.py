"""Local login. Unknown users and wrong passwords cost the same hash and get the same message."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from studio.db.models import Org, User
from studio.domain.enums import Role
from studio.domain.views import Actor
from studio.errors import AuthenticationFailed
from studio.workflow import audit

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("not-a-real-password")


def authenticate(session: Session, username: str, password: str) -> Actor:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    hashed = user.password_hash if user and user.active else _dummy_hash()
    try:
        _HASHER.verify(hashed, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        audit.append(session, None, "login.failed", f"user:{username.strip()[:40]}", {})
        session.commit()
        raise AuthenticationFailed()
    actor = actor_for(session, user)
    audit.append(session, actor, "login", f"user:{user.id}", {})
    session.commit()
    return actor


def actor_for(session: Session, user: User) -> Actor:
    org = session.get(Org, user.org_id)
    assert org is not None
    return Actor(
        user_id=user.id or 0, username=user.username, display_name=user.display_name,
        role=Role(user.role), org_id=org.id or 0, org_path=org.path, org_name=org.name,
    )


def logout(session: Session, actor: Actor) -> None:
    audit.append(session, actor, "logout", f"user:{actor.user_id}", {})
    session.commit()
