"""Single sign-on: an identity the bank's OpenID Connect provider vouched for becomes a studio user.

Streamlit's `st.login` runs the OIDC flow (authorization code, PKCE, the ID token's signature, issuer,
audience, expiry and nonce checked by Authlib) and hands the ID token's claims to the app as `st.user`.
This module maps those claims to an existing, active user by one claim (STUDIO_SSO_CLAIM):

- `preferred_username`: the user whose username is exactly the claim (the password form's comparison:
  `Admin` is not `admin`);
- `email`: the user whose stored email is the claim, ignoring case; an identity whose provider says
  `email_verified: false` is refused.

Role and org stay managed in the studio. An identity that maps to nobody, to an inactive user, or carries
no usable claim is refused with a Chinese message and a `login.sso_unknown` audit event; no account is
ever created from an identity. Streamlit keeps the identity in a cookie for 30 days, so an identity older
than STUDIO_SSO_MAX_AGE_SECONDS (by its `iat`) is not accepted on its own: the user goes through the
provider again, and the studio's own session lifetime stays in force.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from studio.db.models import LoginSession, User, utcnow
from studio.domain.clock import as_utc
from studio.domain.views import Actor
from studio.errors import SsoExpired, SsoRefused
from studio.services.auth import actor_for
from studio.services.login_throttle import clean
from studio.settings import get_settings
from studio.workflow import audit

_AUDIT_CHARS = 80  # of an issuer, claim value or client id in an audit subject/detail
_CLOCK_SKEW = timedelta(seconds=60)  # an `iat` this far in the future is the provider's clock, not a forgery


@dataclass(frozen=True)
class SsoPolicy:
    claim: str = "preferred_username"
    max_age: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls) -> SsoPolicy:
        settings = get_settings()
        return cls(claim=settings.sso_claim, max_age=timedelta(seconds=settings.sso_max_age_seconds))


def authenticate_identity(
    session: Session,
    claims: Mapping[str, Any],
    *,
    client: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    policy: SsoPolicy | None = None,
) -> Actor:
    """Log in the studio user the identity names (`claims` as `st.user` holds them) and record it.

    Raises SsoExpired for a stale identity (nothing recorded: the user simply signs in again) and SsoRefused
    for one that names no active user (recorded as `login.sso_unknown`).
    """
    policy = policy or SsoPolicy.from_settings()
    _check_fresh(claims, clock(), policy.max_age)
    value = claims.get(policy.claim)
    where = {
        "issuer": _short(claims.get("iss")),
        **({"client": _short(client)} if client is not None else {}),
    }
    reason = _unusable(value, claims, policy.claim)
    user = None
    if reason is None:
        user = _lookup(session, str(value), policy.claim)
        reason = "unknown" if user is None else None if user.active else "inactive"
    if reason is not None or user is None:
        shown = _short(value) if reason != "claim_unclean" else ""
        details = {"claim": policy.claim, "reason": reason or "unknown", **where}
        audit.append(session, None, "login.sso_unknown", f"sso:{shown}", details)
        session.commit()
        raise SsoRefused(shown)
    _check_unused(session, user, claims)
    actor = actor_for(session, user)
    audit.append(session, actor, "login", f"user:{user.id}", {"method": "oidc", **where})
    session.commit()
    return actor


def _check_fresh(claims: Mapping[str, Any], now: datetime, max_age: timedelta) -> None:
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        raise SsoExpired()
    try:
        at = datetime.fromtimestamp(issued, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SsoExpired() from None
    if at > now + _CLOCK_SKEW or now - at > max_age:
        raise SsoExpired()


def _check_unused(session: Session, user: User, claims: Mapping[str, Any]) -> None:
    """One identity opens one studio session: once a single sign-on session of this user started at or after
    the identity was issued, the identity is spent. Otherwise a session ended by logout elsewhere, revocation
    or expiry would reopen by itself while Streamlit's identity cookie is still fresh."""
    issued = datetime.fromtimestamp(claims["iat"], tz=UTC)
    latest = session.exec(
        select(LoginSession.created_at)
        .where(LoginSession.user_id == user.id, LoginSession.method == "oidc")
        .order_by(col(LoginSession.created_at).desc())
        .limit(1)
    ).first()
    if latest is not None and as_utc(latest) >= issued:
        raise SsoExpired()


def _unusable(value: Any, claims: Mapping[str, Any], claim: str) -> str | None:
    """Why the claim cannot name a user, or None. Control and invisible characters or surrounding spaces
    are refused, never stripped: `admin\\u200b` is not `admin`."""
    if not isinstance(value, str) or not value:
        return "claim_missing"
    if clean(value) != value or len(value) > 254:
        return "claim_unclean"
    verified = claims.get("email_verified", True)  # absent: many enterprise providers only send verified ones
    if claim == "email" and verified is not True and verified != "true":
        return "email_unverified"
    return None


def _lookup(session: Session, value: str, claim: str) -> User | None:
    if claim == "email":
        return session.exec(select(User).where(User.email == value.lower())).first()
    return session.exec(select(User).where(User.username == value)).first()


def _short(value: Any) -> str:
    return clean(value)[:_AUDIT_CHARS] if isinstance(value, str) else ""
