"""Partners (关键人): chambers of commerce, village committees, service stations that hand out a branch's QR
code. Each partner belongs to the org of its owner, a user with a contact link; its tracked link is the
owner's current link with `<STUDIO_CONTACT_LINK_CHANNEL_PARAM>=p_<code>` added (WeCom counts a contact added
through `customer_channel=…` under that value), so contacts a partner brings are told apart.

Who: staff keep the partners they own; branch localisers and admins keep every partner of the orgs in their
scope (and choose the owner among that org's users). The code is 10 random characters from [a-z0-9]
(`secrets`, about 52 bits): unguessable enough that nobody forges another partner's channel by counting.
"""

from __future__ import annotations

import secrets
import string
import unicodedata
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from studio.db.models import Org, Partner, User
from studio.domain.contact_link import channel_value, with_channel
from studio.domain.enums import PartnerKind, Role
from studio.domain.views import Actor
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.posters.qr import qr_png
from studio.services.orgs import get_org
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope

CODE_LENGTH = 10
MAX_NAME_LENGTH = 60
_ALPHABET = string.ascii_lowercase + string.digits


class PartnerView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    org_id: int
    org_name: str
    code: str
    name: str
    kind: PartnerKind
    owner_id: int
    owner_name: str
    active: bool
    tracked_link: str | None  # None when inactive or the owner has no contact link now
    created_at: datetime


class OwnerOption(BaseModel):
    """A user a new partner may belong to; only one with a contact link can be chosen."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    display_name: str
    has_link: bool


def tracked_link(owner_link: str | None, code: str) -> str | None:
    if not owner_link:
        return None
    return with_channel(owner_link, get_settings().contact_link_channel_param, channel_value(code))


def _view(partner: Partner, org: Org, owner: User) -> PartnerView:
    return PartnerView(
        id=partner.id or 0,
        org_id=org.id or 0,
        org_name=org.name,
        code=partner.code,
        name=partner.name,
        kind=PartnerKind(partner.kind),
        owner_id=owner.id or 0,
        owner_name=owner.display_name,
        active=partner.active,
        tracked_link=tracked_link(owner.contact_link, partner.code) if partner.active else None,
        created_at=partner.created_at,
    )


def _own_only(actor: Actor, owner_id: int) -> None:
    if actor.role == Role.STAFF and owner_id != actor.user_id:
        raise PermissionDenied("staff may only manage partners they own", "员工只能管理自己负责的关键人。")


def _partner(session: Session, actor: Actor, partner_id: int) -> tuple[Partner, Org, User]:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} not found", "关键人不存在。")
    org, owner = session.get(Org, partner.org_id), session.get(User, partner.owner_id)
    assert org is not None and owner is not None  # foreign keys
    require_scope(actor, org.path)
    _own_only(actor, partner.owner_id)
    return partner, org, owner


def list_partners(session: Session, actor: Actor, org_id: int) -> list[PartnerView]:
    """Partners of the org and the orgs below it, active first, by org and name; staff see their own only."""
    require(actor, "partner.edit")
    org = get_org(session, actor, org_id)
    query = (
        select(Partner, Org, User)
        .join(Org, col(Org.id) == Partner.org_id)
        .join(User, col(User.id) == Partner.owner_id)
        .where(col(Org.path).startswith(org.path))
    )
    if actor.role == Role.STAFF:
        query = query.where(Partner.owner_id == actor.user_id)
    rows = session.exec(query.order_by(col(Partner.active).desc(), col(Org.path), col(Partner.name)))
    return [_view(p, o, u) for p, o, u in rows]


def partner_owners(session: Session, actor: Actor, org_id: int) -> list[OwnerOption]:
    """Who a new partner of this org may belong to: staff only themselves; others any active user there."""
    require(actor, "partner.edit")
    get_org(session, actor, org_id)
    query = select(User).where(User.org_id == org_id, User.active == True)  # noqa: E712
    if actor.role == Role.STAFF:
        query = query.where(User.id == actor.user_id)
    users = session.exec(query.order_by(col(User.username)))
    return [
        OwnerOption(
            user_id=u.id or 0, username=u.username, display_name=u.display_name, has_link=bool(u.contact_link)
        )
        for u in users
    ]


def partner_qr_png(session: Session, actor: Actor, partner_id: int) -> bytes:
    """The QR code (PNG) of an active partner's tracked link."""
    require(actor, "partner.edit")
    partner, _, owner = _partner(session, actor, partner_id)
    link = tracked_link(owner.contact_link, partner.code)
    if not partner.active:
        raise ValidationError(f"partner {partner.code} is inactive", "该关键人已停用，不再生成二维码。")
    if link is None:
        raise ValidationError(
            f"the owner of partner {partner.code} has no contact link",
            f"负责人 {owner.display_name} 尚未设置联系链接，无法生成二维码。",
        )
    return qr_png(link)


def _clean_name(session: Session, org_id: int, raw: str, partner_id: int | None = None) -> str:
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise ValidationError("the partner needs a name", "请填写关键人名称。")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"the partner name must have at most {MAX_NAME_LENGTH} characters",
            f"关键人名称最多 {MAX_NAME_LENGTH} 个字。",
        )
    if any(unicodedata.category(c)[0] == "C" or (c.isspace() and c != " ") for c in name):
        raise ValidationError("the partner name must be one line of text", "关键人名称只能是一行文字。")
    same = select(Partner).where(Partner.org_id == org_id, Partner.name == name, Partner.active == True)  # noqa: E712
    if any(p.id != partner_id for p in session.exec(same)):
        raise ValidationError(f"a partner named {name!r} already exists", f"本机构已有名为“{name}”的关键人。")
    return name


def _new_code(session: Session) -> str:
    for _ in range(5):
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        if session.exec(select(Partner.id).where(Partner.code == code)).first() is None:
            return code
    raise RuntimeError("could not draw an unused partner code")  # 36**10 codes: never in practice


def create_partner(
    session: Session, actor: Actor, owner_id: int, name: str, kind: PartnerKind
) -> PartnerView:
    """A new partner of the owner's org. The owner needs a contact link: it is what the QR code extends."""
    require(actor, "partner.edit")
    _own_only(actor, owner_id)
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise NotFound(f"user {owner_id} not found", "负责人不存在或已停用。")
    org = get_org(session, actor, owner.org_id)
    if not owner.contact_link:
        raise ValidationError(
            f"user {owner.username!r} has no contact link yet",
            f"{owner.display_name} 尚未设置联系链接（账户与安全 → 名片），请先设置。",
        )
    partner = Partner(
        org_id=owner.org_id,
        code=_new_code(session),
        name=_clean_name(session, owner.org_id, name),
        kind=PartnerKind(kind).value,
        owner_id=owner_id,
        created_by=actor.user_id,
    )
    session.add(partner)
    session.flush()
    details = {"code": partner.code, "name": partner.name, "kind": partner.kind, "owner": owner.username}
    audit.append(session, actor, "partner.create", f"partner:{partner.id}", details)
    session.commit()
    return _view(partner, org, owner)


def update_partner(
    session: Session, actor: Actor, partner_id: int, name: str, kind: PartnerKind
) -> PartnerView:
    """Rename a partner or change its kind; its code, and so its QR code, stay the same."""
    require(actor, "partner.edit")
    partner, org, owner = _partner(session, actor, partner_id)
    new_name, new_kind = _clean_name(session, partner.org_id, name, partner.id), PartnerKind(kind).value
    if (new_name, new_kind) != (partner.name, partner.kind):
        details = {"code": partner.code, "old_name": partner.name, "name": new_name, "kind": new_kind}
        partner.name, partner.kind = new_name, new_kind
        session.add(partner)
        audit.append(session, actor, "partner.update", f"partner:{partner.id}", details)
        session.commit()
    return _view(partner, org, owner)


def set_partner_active(session: Session, actor: Actor, partner_id: int, active: bool) -> PartnerView:
    """Deactivate a partner (its QR code is no longer offered; contacts it brought keep their channel) or
    activate it again."""
    require(actor, "partner.edit")
    partner, org, owner = _partner(session, actor, partner_id)
    if partner.active != active:
        if active:
            _clean_name(session, partner.org_id, partner.name, partner.id)  # no active namesake meanwhile
        partner.active = active
        session.add(partner)
        action = "partner.reactivate" if active else "partner.deactivate"
        audit.append(
            session, actor, action, f"partner:{partner.id}", {"code": partner.code, "name": partner.name}
        )
        session.commit()
    return _view(partner, org, owner)
