"""Single sign-on: which identity becomes which studio user, and what an identity that maps to nobody gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from studio.db.models import AuditEvent, User
from studio.domain.enums import Role
from studio.errors import NotFound, PasswordLoginDisabled, SsoExpired, SsoRefused, ValidationError
from studio.services import users
from studio.services.auth import authenticate
from studio.services.sso import SsoPolicy, authenticate_identity
from studio.settings import get_settings
from tests.conftest import PASSWORD

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
ISSUER = "http://127.0.0.1:9999"
BY_NAME = SsoPolicy(claim="preferred_username", max_age=timedelta(minutes=5))
BY_EMAIL = SsoPolicy(claim="email", max_age=timedelta(minutes=5))


def _claims(**extra: object) -> dict[str, object]:
    return {"iss": ISSUER, "sub": "s-1", "iat": int(NOW.timestamp()) - 3, "is_logged_in": True, **extra}


def _sign_in(world, claims, policy=BY_NAME):  # type: ignore[no-untyped-def]
    return authenticate_identity(world.session, claims, client="10.0.0.7", clock=lambda: NOW, policy=policy)


def _events(world, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        world.session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
    )


def _user_count(world) -> int:  # type: ignore[no-untyped-def]
    return world.session.exec(select(func.count()).select_from(User)).one()


def _refused(world, claims, policy=BY_NAME) -> tuple[SsoRefused, AuditEvent]:  # type: ignore[no-untyped-def]
    before = (_user_count(world), len(_events(world, "login")))
    with pytest.raises(SsoRefused) as error:
        _sign_in(world, claims, policy)
    # never an account made from an identity, never a login
    assert (_user_count(world), len(_events(world, "login"))) == before
    return error.value, _events(world, "login.sso_unknown")[-1]


def test_a_known_username_signs_in_as_that_user_with_its_studio_role_and_org(world):
    actor = _sign_in(
        world, _claims(preferred_username="jx_reviewer", name="Provider Says Admin", role="admin")
    )
    assert (actor.username, actor.role, actor.org_name) == ("jx_reviewer", Role.REVIEWER, "赣州分行")
    (event,) = _events(world, "login")
    assert event.actor == "jx_reviewer" and event.subject == f"user:{actor.user_id}"
    assert event.details["method"] == "oidc" and event.details["issuer"] == ISSUER
    assert event.details["client"] == "10.0.0.7"


def test_an_unknown_identity_gets_a_chinese_message_an_audit_event_and_no_account(world):
    error, event = _refused(world, _claims(preferred_username="zhang.san"))
    assert "未开通" in error.message_zh and "zhang.san" in error.message_zh
    assert event.actor == "system" and event.subject == "sso:zhang.san"
    assert event.details["reason"] == "unknown" and event.details["issuer"] == ISSUER
    assert event.details["claim"] == "preferred_username"
    assert world.session.exec(select(User).where(User.username == "zhang.san")).first() is None


def test_an_inactive_user_is_refused(world):
    user = world.session.exec(select(User).where(User.username == "reviewer")).one()
    user.active = False
    world.session.commit()
    _, event = _refused(world, _claims(preferred_username="reviewer"))
    assert event.details["reason"] == "inactive"


@pytest.mark.parametrize("value", [None, "", 42, ["reviewer"], {"name": "reviewer"}, True])
def test_a_missing_or_non_text_claim_is_refused(world, value):
    claims = _claims() if value is None else _claims(preferred_username=value)
    claims["email"] = "reviewer@bank.example"  # another claim naming someone is not the configured one
    _, event = _refused(world, claims)
    assert event.details["reason"] == "claim_missing"


@pytest.mark.parametrize(
    "value", [" reviewer", "reviewer ", "reviewer\u200b", "\u202ereviewer", "rev\x00iewer"]
)
def test_spaces_and_invisible_characters_are_refused_not_stripped(world, value):
    error, event = _refused(world, _claims(preferred_username=value))
    assert event.details["reason"] == "claim_unclean" and event.subject == "sso:"
    assert "\u200b" not in error.message_zh and "\x00" not in error.message_zh


@pytest.mark.parametrize("value", ["Admin", "ADMIN", "ａｄｍｉｎ", "admin@bank.example"])
def test_a_name_that_only_looks_like_another_users_is_not_that_user(world, value):
    # An identity `Admin` is not the studio's `admin`: usernames compare exactly, as on the password form.
    _, event = _refused(world, _claims(preferred_username=value))
    assert event.details["reason"] == "unknown"


def test_with_two_users_differing_in_case_each_identity_gets_its_own(world):
    admin = world.session.exec(select(User).where(User.username == "admin")).one()
    world.session.add(
        User(username="Admin", display_name="Admin", password_hash="x", role="staff", org_id=admin.org_id)
    )
    world.session.commit()
    assert _sign_in(world, _claims(preferred_username="Admin")).role == Role.STAFF
    assert _sign_in(world, _claims(preferred_username="admin")).role == Role.ADMIN


def test_by_email_case_does_not_matter_and_only_the_email_claim_counts(world):
    users.set_email(world.session, "loc_a", "Li.Lei@Bank.Example")
    actor = _sign_in(world, _claims(email="LI.LEI@bank.example", preferred_username="admin"), BY_EMAIL)
    assert actor.username == "loc_a"
    _, event = _refused(world, _claims(email="loc_a", preferred_username="loc_a"), BY_EMAIL)
    assert event.details["claim"] == "email"


@pytest.mark.parametrize(("verified", "ok"), [(True, True), ("true", True), (False, False), ("false", False)])
def test_by_email_an_unverified_email_is_refused(world, verified, ok):
    users.set_email(world.session, "loc_a", "li.lei@bank.example")
    claims = _claims(email="li.lei@bank.example", email_verified=verified)
    if ok:
        assert _sign_in(world, claims, BY_EMAIL).username == "loc_a"
    else:
        assert _refused(world, claims, BY_EMAIL)[1].details["reason"] == "email_unverified"


@pytest.mark.parametrize(
    "issued",
    [None, "1700000000", True, NOW - timedelta(minutes=6), NOW + timedelta(minutes=5), 10**20],
)
def test_an_old_or_undated_identity_is_not_accepted_on_its_own(world, issued):
    # Streamlit keeps the identity cookie 30 days: only a fresh sign-in at the provider counts.
    value = int(issued.timestamp()) if isinstance(issued, datetime) else issued
    claims = _claims(preferred_username="reviewer", iat=value)
    if issued is None:
        claims.pop("iat")
    with pytest.raises(SsoExpired):
        _sign_in(world, claims)
    assert not _events(world, "login") and not _events(world, "login.sso_unknown")


def test_the_policy_comes_from_the_settings(monkeypatch):
    monkeypatch.setenv("STUDIO_SSO_CLAIM", "email")
    monkeypatch.setenv("STUDIO_SSO_MAX_AGE_SECONDS", "120")
    get_settings.cache_clear()
    try:
        assert SsoPolicy.from_settings() == SsoPolicy(claim="email", max_age=timedelta(seconds=120))
        monkeypatch.setenv("STUDIO_SSO_CLAIM", "sub")
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="sso_claim"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_password_login_can_be_turned_off(world, monkeypatch):
    assert authenticate(world.session, "reviewer", PASSWORD).username == "reviewer"
    monkeypatch.setenv("STUDIO_PASSWORD_LOGIN", "false")
    get_settings.cache_clear()
    try:
        with pytest.raises(PasswordLoginDisabled) as error:
            authenticate(world.session, "reviewer", PASSWORD)
        assert "统一身份" in error.value.message_zh
    finally:
        get_settings.cache_clear()


def test_set_email_is_audited_unique_and_validated(world):
    users.set_email(world.session, "loc_a", "Li.Lei@Bank.Example")
    user = world.session.exec(select(User).where(User.username == "loc_a")).one()
    assert user.email == "li.lei@bank.example"
    event = _events(world, "user.email_change")[-1]
    assert event.details == {**event.details, "username": "loc_a", "email": "li.lei@bank.example"}
    with pytest.raises(ValidationError, match="already belongs to user 'loc_a'"):
        users.set_email(world.session, "loc_b", "LI.LEI@bank.example")
    for bad in ("li lei@bank.example", "lilei", "@bank.example", "li.lei@bank\u200b.example"):
        with pytest.raises(ValidationError):
            users.set_email(world.session, "loc_b", bad)
    with pytest.raises(NotFound):
        users.set_email(world.session, "nobody", "x@bank.example")
    users.set_email(world.session, "loc_a", None)
    assert world.session.exec(select(User).where(User.username == "loc_a")).one().email is None


def test_an_identity_opens_one_session_so_an_ended_session_does_not_reopen_by_itself(world):
    """Streamlit keeps the identity in its cookie: after the session it opened ends (logout in another tab,
    revocation), the same identity must not sign in again; a newer sign-in at the provider may."""
    from studio.services import sessions

    claims = _claims(preferred_username="reviewer")
    actor = _sign_in(world, claims)
    token = sessions.start_session(world.session, actor, method="oidc", client="", clock=lambda: NOW)
    sessions.end(world.session, actor, token)
    with pytest.raises(SsoExpired):
        _sign_in(world, claims)
    later = int(NOW.timestamp()) + 1  # the user went through the provider again
    renewed = authenticate_identity(
        world.session, {**claims, "iat": later}, clock=lambda: NOW + timedelta(seconds=2), policy=BY_NAME
    )
    assert renewed.username == "reviewer"
