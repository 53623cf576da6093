"""Passwords: strength rules, changing one's own password, the operator's reset, and the demo-password check.

The demo seed gives every user the public password in README.md (a stable contract for the demo), so an
admin account that still verifies against it is an open door: `studio ui` warns on start and the app shows
the admin a banner until the password is changed.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from studio.db.models import User
from studio.domain.enums import Role
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.services import sessions
from studio.services.auth import hash_password
from studio.services.login_throttle import clean
from studio.workflow import audit

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 hashes anything, but nobody types more and a bound keeps each hash cheap
MIN_CLASSES = 3

_HASHER = PasswordHasher()


def demo_password() -> str:
    from studio.services.seed import DEMO_PASSWORD  # imported late: the seed module pulls in the library

    return DEMO_PASSWORD


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_strength(password: str) -> None:
    """At least 10 characters from at least 3 of: lower case, upper case, digits, other characters."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"the new password must have at least {MIN_LENGTH} characters",
            f"新密码至少需要 {MIN_LENGTH} 个字符。",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(
            f"the new password must have at most {MAX_LENGTH} characters", f"新密码最多 {MAX_LENGTH} 个字符。"
        )
    classes = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if sum(classes) < MIN_CLASSES:
        raise ValidationError(
            f"the new password must mix at least {MIN_CLASSES} of: lower case, upper case, digits, symbols",
            f"新密码需至少包含小写字母、大写字母、数字、符号中的 {MIN_CLASSES} 类。",
        )


def change_own_password(
    session: Session, actor: Actor, old_password: str, new_password: str, *, current_token: str | None = None
) -> None:
    """The logged-in user changes their password; the old one must be given (a left-open session is not enough).
    Every other session of the user ends; the one of `current_token` (the browser asking) stays."""
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotFound(f"user {actor.user_id} not found")
    if not _verifies(user.password_hash, old_password):
        raise ValidationError("the old password is wrong", "旧密码不正确。")
    if new_password == old_password:
        raise ValidationError("the new password must differ from the old one", "新密码不能与旧密码相同。")
    check_strength(new_password)
    sessions.revoke_all_for_user(session, actor.user_id, "password_change", keep_token=current_token)
    _store(session, user, new_password, actor, via="app")


def set_password(session: Session, username: str, new_password: str) -> None:
    """The operator's reset from the command line (`studio user passwd`): whoever runs it owns the database.
    Every session of the user ends: whoever holds one may be why the password is reset."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"user {username!r} not found", f"用户 {username} 不存在。")
    check_strength(new_password)
    if _verifies(user.password_hash, new_password):
        raise ValidationError("the new password must differ from the old one", "新密码不能与旧密码相同。")
    sessions.revoke_all_for_user(session, user.id or 0, "password_reset")
    _store(session, user, new_password, None, via="cli")


def end_sessions(session: Session, username: str) -> int:
    """The operator's cut from the command line (`studio user logout`, e.g. a lost laptop): every login session
    of the user ends at its next click. Returns how many it ended (expired ones not yet revoked count too)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"user {username!r} not found", f"用户 {username} 不存在。")
    ended = sessions.revoke_all_for_user(session, user.id or 0, "operator")
    session.commit()
    return ended


def _store(session: Session, user: User, new_password: str, actor: Actor | None, *, via: str) -> None:
    user.password_hash = hash_password(new_password)
    session.add(user)
    audit.append(
        session, actor, "user.password_change", f"user:{user.id}", {"username": user.username, "via": via}
    )
    session.commit()


def admins_with_demo_password(session: Session) -> list[str]:
    """Usernames of active admins whose password is still the public demo password."""
    admins = session.exec(
        select(User)
        .where(User.role == Role.ADMIN.value, User.active == True)  # noqa: E712
        .order_by(User.username)
    ).all()
    secret = demo_password()
    return [u.username for u in admins if _verifies(u.password_hash, secret)]


def has_demo_password(session: Session, actor: Actor) -> bool:
    """Whether the logged-in admin still uses the public demo password (the app's banner)."""
    if actor.role != Role.ADMIN:
        return False
    user = session.get(User, actor.user_id)
    return user is not None and _verifies(user.password_hash, demo_password())


def set_email(session: Session, username: str, email: str | None) -> None:
    """The operator sets (or with None clears) the email that single sign-on by email maps to this user
    (`studio user email`). Stored in lower case; one email names one user."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"user {username!r} not found", f"用户 {username} 不存在。")
    value = _valid_email(email) if email is not None else None
    if value is not None:
        holder = session.exec(select(User).where(User.email == value, User.id != user.id)).first()
        if holder is not None:
            raise ValidationError(
                f"the email {value} already belongs to user {holder.username!r}",
                f"邮箱 {value} 已属于用户 {holder.username}。",
            )
    user.email = value
    session.add(user)
    audit.append(
        session, None, "user.email_change", f"user:{user.id}", {"username": username, "email": value}
    )
    session.commit()


def _valid_email(email: str) -> str:
    value = email.lower()
    local, _, domain = value.partition("@")
    if value != clean(value) or " " in value or len(value) > 254 or not local or "." not in domain:
        raise ValidationError(f"not an email address: {email!r}", "邮箱地址格式不正确。")
    return value
