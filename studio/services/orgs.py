"""Org tree and users: creation (seed, admin) and scoped listing."""

from __future__ import annotations

from sqlmodel import Session, col, select

from studio.db.models import Org, User
from studio.db.prefix import starts_with
from studio.domain.enums import OrgKind, Role
from studio.domain.views import Actor, OrgView
from studio.errors import NotFound, ValidationError
from studio.services.auth import hash_password
from studio.workflow import audit
from studio.workflow.permissions import in_scope, require, require_scope


def to_view(org: Org) -> OrgView:
    return OrgView(
        id=org.id or 0,
        code=org.code,
        name=org.name,
        kind=org.kind,
        parent_id=org.parent_id,
        province=org.province,
        city=org.city,
        path=org.path,
    )


def create_org(
    session: Session,
    *,
    code: str,
    name: str,
    kind: OrgKind,
    parent_code: str | None = None,
    province: str | None = None,
    city: str | None = None,
) -> Org:
    if session.exec(select(Org).where(col(Org.code) == code)).first():
        raise ValidationError(f"org code {code} exists", f"机构代码 {code} 已存在")
    parent = None
    if parent_code:
        parent = session.exec(select(Org).where(col(Org.code) == parent_code)).first()
        if parent is None:
            raise NotFound(f"parent org {parent_code} not found")
    org = Org(
        code=code,
        name=name,
        kind=kind.value,
        parent_id=parent.id if parent else None,
        province=province or (parent.province if parent else None),
        city=city,
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def create_user(
    session: Session, *, username: str, display_name: str, password: str, role: Role, org_code: str
) -> User:
    org = session.exec(select(Org).where(col(Org.code) == org_code)).first()
    if org is None:
        raise NotFound(f"org {org_code} not found")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role.value,
        org_id=org.id or 0,
    )
    session.add(user)
    session.flush()
    audit.append(session, None, "user.create", f"user:{user.id}", {"username": username, "role": role.value})
    return user


def get_org(session: Session, actor: Actor, org_id: int) -> Org:
    """An org in the actor's subtree; anything else is refused, not returned."""
    require(actor, "org.read")
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound(f"org {org_id} not found")
    require_scope(actor, org.path)
    return org


def visible_orgs(session: Session, actor: Actor) -> list[OrgView]:
    require(actor, "org.read")
    rows = session.exec(select(Org).where(col(Org.path).startswith(actor.org_path)).order_by(col(Org.path)))
    return [to_view(org) for org in rows if in_scope(actor, org.path)]


def search_orgs(session: Session, actor: Actor, query: str = "", *, limit: int = 50) -> list[OrgView]:
    """Orgs in the actor's scope whose name or code contains `query`, an exact code first, then tree order,
    at most `limit`: a picker over 2,300 branches shows a searchable handful, never the whole tree.

    Two statements an index serves on both databases: the exact code (unique index) and the matches in
    path order (ix_org_path gives the order and the LIMIT stops the walk).
    """
    require(actor, "org.read")
    needle, limit = query.strip(), max(1, min(limit, 200))
    scope = starts_with(col(Org.path), actor.org_path, session.get_bind().dialect.name)
    found = list(session.exec(select(Org).where(scope, col(Org.code) == needle))) if needle else []
    rows = select(Org).where(scope)
    if needle:
        rows = rows.where(
            col(Org.name).contains(needle, autoescape=True) | col(Org.code).contains(needle, autoescape=True)
        )
    exact = {org.id for org in found}
    found += [org for org in session.exec(rows.order_by(col(Org.path)).limit(limit)) if org.id not in exact]
    return [to_view(org) for org in found[:limit] if in_scope(actor, org.path)]


def ancestors(session: Session, actor: Actor, org: Org) -> list[Org]:
    """The org and every org above it, nearest first: what an org in the actor's subtree inherits from."""
    require(actor, "org.read")
    require_scope(actor, org.path)
    ids = [int(part) for part in org.path.strip("/").split("/") if part]
    rows = {o.id: o for o in session.exec(select(Org).where(col(Org.id).in_(ids)))}
    return [rows[i] for i in reversed(ids) if i in rows]


def _org_defaults(session: Session, actor: Actor, org: Org) -> dict[str, str]:
    """What the org tree already knows: the branch's name and city, its bank's name."""
    bank = next((o for o in ancestors(session, actor, org) if o.kind == "branch"), None)
    defaults = {"branch_name": org.name, "city": org.city or ""}
    if bank is not None:
        defaults["bank_name"] = bank.name
    return {k: v for k, v in defaults.items() if v}
