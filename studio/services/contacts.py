"""E-cards (名片): a user's contact link and job title (职务), what a poster rendered for them carries.

Everyone sets their own on 账户与安全; an admin sets anyone's in their scope (the app, or the operator's
`studio user link` from the shell). The link is validated by `studio.domain.contact_link` against
STUDIO_CONTACT_LINK_HOSTS; the title is plain text of at most 12 characters that must pass the compliance
engine (the general product on the poster channel) without a blocking or review finding, since it is printed
on every poster the person shares.

Audited as `user.contact_change` with the old and new host, the new title and a short digest of the new link:
the link is not secret, but an append-only log is no place for a personal identifier it does not need; the
digest still proves which link was in force.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from studio.db.models import Org, User
from studio.domain.contact_link import clean_job_title, link_host, normalise_link
from studio.domain.enums import Channel, ProductType, Severity
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.posters.qr import qr_png
from studio.services import rules
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope


class ContactView(BaseModel):
    """A user's e-card: what posters and the 名片 section show."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    display_name: str
    org_name: str
    job_title: str | None
    contact_link: str | None
    host: str | None


def _view(session: Session, user: User) -> ContactView:
    org = session.get(Org, user.org_id)
    return ContactView(
        user_id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        org_name=org.name if org else "",
        job_title=user.job_title,
        contact_link=user.contact_link,
        host=link_host(user.contact_link),
    )


def _target(session: Session, actor: Actor, user_id: int) -> User:
    """The user themself, or (for an admin) a user of an org in the admin's scope. Others are refused before
    anything tells them whether the user exists."""
    user = session.get(User, user_id)
    if user_id == actor.user_id and user is not None:
        return user
    require(actor, "contact.manage")
    org = session.get(Org, user.org_id) if user is not None else None
    if user is None or org is None:
        raise NotFound(f"user {user_id} not found", "用户不存在。")
    require_scope(actor, org.path)
    return user


def valid_link(link: str | None) -> str | None:
    """The link as it would be stored (None for empty), or ValidationError: forms check before they save."""
    if link is None or not link.strip():
        return None
    return normalise_link(link, get_settings().contact_link_hosts)


def _checked_title(session: Session, raw: str | None) -> str | None:
    title = clean_job_title(raw)
    if title is None:
        return None
    result = rules.check(session, title, ProductType.GENERAL, Channel.POSTER)
    serious = [f for f in result.findings if f.severity.rank >= Severity.REVIEW.rank]
    if serious:
        first = serious[0]
        raise ValidationError(
            f"the job title fails the compliance check ({first.code}: {first.text!r})",
            f"职务未通过合规检查（{first.code}“{first.text}”）：{first.message}",
        )
    return title


def contact_of(session: Session, actor: Actor, user_id: int) -> ContactView:
    """A user's e-card: one's own, or anyone's in scope for an admin."""
    require(actor, "contact.edit")
    return _view(session, _target(session, actor, user_id))


def contact_qr_png(session: Session, actor: Actor, user_id: int) -> bytes | None:
    """The QR code (PNG) of a user's contact link; None when they have none."""
    require(actor, "contact.edit")
    user = _target(session, actor, user_id)
    return qr_png(user.contact_link) if user.contact_link else None


def set_contact(
    session: Session, actor: Actor, user_id: int, link: str | None, job_title: str | None
) -> ContactView:
    """Set (or with None/"" clear) a user's contact link and job title: the user themself, or an admin."""
    require(actor, "contact.edit")
    user = _target(session, actor, user_id)
    return _store(session, actor, user, valid_link(link), _checked_title(session, job_title), via="app")


def set_contact_as_operator(
    session: Session, username: str, link: str | None, job_title: str | None, *, keep_title: bool = False
) -> ContactView:
    """The operator's `studio user link` from the shell (who holds the database anyway): same checks, audited
    without an actor. `keep_title` leaves the stored title as it is."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"user {username!r} not found", f"用户 {username} 不存在。")
    title = user.job_title if keep_title else _checked_title(session, job_title)
    return _store(session, None, user, valid_link(link), title, via="cli")


def _digest(link: str | None) -> str | None:
    return hashlib.sha256(link.encode()).hexdigest()[:16] if link else None


def _store(
    session: Session, actor: Actor | None, user: User, link: str | None, title: str | None, *, via: str
) -> ContactView:
    if (user.contact_link, user.job_title) == (link, title):
        return _view(session, user)
    details = {
        "username": user.username,
        "old_host": link_host(user.contact_link),
        "host": link_host(link),
        "link_sha256": _digest(link),
        "link_changed": user.contact_link != link,
        "old_job_title": user.job_title,
        "job_title": title,
        "via": via,
    }
    user.contact_link, user.job_title = link, title
    session.add(user)
    audit.append(session, actor, "user.contact_change", f"user:{user.id}", details)
    session.commit()
    return _view(session, user)
