"""The static staff feed: per branch, a today/tomorrow page and its JSON as plain files (docs/staff-feed.md).

Files live under <feed dir>/<token>/, where the token (secrets.token_urlsafe(24)) is the branch's unguessable
link. Publishing a month rewrites the branch's feed; a withdrawal or expiry rewrites every feed that showed
the content; HQ can rotate a link, which deletes the old folder at once. The feed is read-only: staff mark
a post 已发布 in the studio (今日内容), where they are logged in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from studio.db.models import CalendarPublication, FeedLink, Org, TemplateVersion, Variant, utcnow
from studio.domain.clock import today_cn
from studio.domain.enums import ReviewState
from studio.domain.month import Month
from studio.domain.views import Actor, FeedBuildResult, FeedLinkView
from studio.errors import Conflict, NotFound, ValidationError
from studio.planning.feed_page import FeedDocument, FeedEntry, prepare_root, remove_feed, write_feed
from studio.planning.images import EntryImage
from studio.planning.model import PlanEntry
from studio.services import jobs
from studio.services.orgs import get_org
from studio.services.post_media import images_for_variants
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import in_scope, require, require_network_scope, require_scope

log = logging.getLogger(__name__)
_CHUNK = 200  # orgs whose publications are loaded at once: bounds memory at network scale


def _feed_dir() -> Path:
    return get_settings().effective_feed_dir


def fingerprint(token: str) -> str:
    """Names a link in the audit log without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def _window(today: date) -> tuple[list[date], list[str]]:
    days = [today + timedelta(days=i) for i in range(get_settings().feed_days)]
    return days, sorted({str(Month.of(d)) for d in days})


def _published(session: Session, org_ids: list[int], months: list[str]) -> list[tuple[int, str, int, list]]:
    """The latest published version of each org's months, as plain rows (no ORM identity map to grow)."""
    pub = CalendarPublication
    latest = (
        select(col(pub.org_id), col(pub.month), func.max(col(pub.version)).label("version"))
        .where(col(pub.org_id).in_(org_ids), col(pub.month).in_(months))
        .group_by(col(pub.org_id), col(pub.month))
        .subquery()
    )
    rows = session.exec(
        select(col(pub.org_id), col(pub.month), col(pub.version), col(pub.entries)).join(
            latest,
            and_(
                col(pub.org_id) == latest.c.org_id,
                col(pub.month) == latest.c.month,
                col(pub.version) == latest.c.version,
            ),
        )
    ).all()
    return [(o, m, v, e) for o, m, v, e in rows]


def _live(session: Session, variant_ids: set[int]) -> dict[int, tuple[date | None, date | None]]:
    """Approved variants among `variant_ids`, with their validity window."""
    if not variant_ids:
        return {}
    rows = session.exec(
        select(col(Variant.id), col(TemplateVersion.valid_from), col(TemplateVersion.valid_to))
        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
        .where(col(Variant.id).in_(variant_ids), col(Variant.state) == ReviewState.APPROVED.value)
    ).all()
    return {vid: (start, end) for vid, start, end in rows if vid is not None}


def _shown(entry: PlanEntry, live: dict[int, tuple[date | None, date | None]]) -> bool:
    if entry.variant_id not in live:
        return False
    start, end = live[entry.variant_id]
    return (start is None or start <= entry.day) and (end is None or entry.day <= end)


def _documents(
    session: Session, actor: Actor, orgs: list[Org], today: date
) -> dict[int, tuple[FeedDocument, frozenset[int]]]:
    """Each org's feed, and the variants its published window held before withdrawn or expired content
    was dropped (so a withdrawal knows which feeds it changes)."""
    days, months = _window(today)
    first, last = days[0].isoformat(), days[-1].isoformat()
    raw: dict[int, list[PlanEntry]] = {}
    versions: dict[int, dict[str, int]] = {}
    for org_id, month, version, entries in _published(session, [o.id or 0 for o in orgs], months):
        versions.setdefault(org_id, {})[month] = version
        # ISO dates compare as strings: only the window's entries are validated (a month holds ~100).
        window = [e for e in entries if first <= str(e.get("day", "")) <= last]
        raw.setdefault(org_id, []).extend(PlanEntry.model_validate(e) for e in window)
    live = _live(session, {e.variant_id for held in raw.values() for e in held})
    # The branch render of each shown post's images; one that fails is shown without them (logged).
    shown_ids = {e.variant_id for held in raw.values() for e in held if _shown(e, live)}
    images = images_for_variants(session, actor, shown_ids, strict=False).by_variant
    now = utcnow()
    result = {}
    for org in orgs:
        held = raw.get(org.id or 0, [])
        shown = sorted((e for e in held if _shown(e, live)), key=lambda e: (e.day, e.time_of_day))
        doc = FeedDocument(
            org_code=org.code,
            org_name=org.name,
            generated_at=now,
            first=days[0],
            days=len(days),
            versions=versions.get(org.id or 0, {}),
            entries=tuple(_feed_entry(e, images.get(e.variant_id, ())) for e in shown),
        )
        result[org.id or 0] = (doc, frozenset(e.variant_id for e in held))
    return result


def _feed_entry(e: PlanEntry, images: tuple[EntryImage, ...]) -> FeedEntry:
    return FeedEntry(
        day=e.day,
        time_of_day=e.time_of_day,
        channel=e.channel,
        content_type=e.content_type,
        title=e.title,
        text=e.text,
        occasion=e.occasion,
        variant_id=e.variant_id,
        images=images,
    )


def _tokens(session: Session, org_ids: Iterable[int]) -> dict[int, str]:
    ids = list(org_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(col(FeedLink.org_id), col(FeedLink.token)).where(col(FeedLink.org_id).in_(ids))
    )
    return dict(rows.all())


def _add_links(session: Session, actor: Actor, orgs: list[Org]) -> dict[int, str]:
    """Links for the orgs that have none yet (added to the session, not committed)."""
    have = _tokens(session, [o.id or 0 for o in orgs])
    new = {o.id or 0: secrets.token_urlsafe(24) for o in orgs if (o.id or 0) not in have}
    for org_id, token in new.items():
        session.add(FeedLink(org_id=org_id, token=token, created_by=actor.user_id))
    return new


def _write_one(doc: FeedDocument, token: str, *, create: bool) -> bool:
    """Write one feed; on failure take the old files away (better no page than one showing withdrawn
    content), log it and report False."""
    try:
        write_feed(doc, _feed_dir(), token, create=create)
        return True
    except (OSError, ValidationError) as error:  # a ValidationError: an image file differs from its hash
        log.error("staff feed of %s not written: %s", doc.org_code, error)
        with suppress(OSError):
            remove_feed(_feed_dir(), token)
        return False


def _write_feeds(
    session: Session,
    actor: Actor,
    orgs: list[Org],
    today: date,
    *,
    create: bool,
    only_showing: frozenset[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FeedBuildResult:
    """Write the feeds of `orgs` that have a link, a chunk at a time; with `only_showing`, only those whose
    published window held one of those variants."""
    written, failed = 0, []
    if not orgs:
        return FeedBuildResult(written=0, failed=())
    try:
        prepare_root(_feed_dir())
    except OSError as error:
        log.error("staff feed folder %s unusable: %s", _feed_dir(), error)
        return FeedBuildResult(written=0, failed=tuple(o.code for o in orgs))
    for start in range(0, len(orgs), _CHUNK):
        chunk = orgs[start : start + _CHUNK]
        tokens = _tokens(session, [o.id or 0 for o in chunk])
        created: dict[int, str] = {}
        for org_id, (doc, held) in _documents(session, actor, chunk, today).items():
            if org_id not in tokens or (only_showing is not None and not held & only_showing):
                continue
            if create and not (_feed_dir() / tokens[org_id]).exists():
                created[org_id] = tokens[org_id]
            if _write_one(doc, tokens[org_id], create=create):
                written += 1
            else:
                failed.append(doc.org_code)
        _drop_rotated(session, created)
        if progress:
            progress(min(start + _CHUNK, len(orgs)), len(orgs))
    return FeedBuildResult(written=written, failed=tuple(failed))


def _drop_rotated(session: Session, created: dict[int, str]) -> None:
    """A folder this run created for a token that a rotation replaced meanwhile must not bring the old link
    back: the token is read again after the write (a rotation committing later deletes the folder itself)."""
    if not created:
        return
    # On a connection of its own: the session's open snapshot could predate the rotation's commit.
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as connection:
        current = dict(
            connection.execute(
                select(col(FeedLink.org_id), col(FeedLink.token)).where(
                    col(FeedLink.org_id).in_(list(created))
                )
            ).all()
        )
    for org_id, token in created.items():
        if current.get(org_id) != token:
            remove_feed(_feed_dir(), token)


def refresh_feeds(
    session: Session,
    actor: Actor,
    *,
    org_ids: Iterable[int] = (),
    variant_ids: Iterable[int] = (),
    today: date | None = None,
) -> FeedBuildResult:
    """After a change was committed: rewrite the feeds of `org_ids` (a publish; a missing link is created)
    and every feed whose published days held one of `variant_ids` (a withdrawal or expiry). Failures are
    logged and reported, never raised: the change itself stands."""
    require(actor, "feed.refresh")
    today = today or today_cn()
    ids = list(org_ids)
    published = [o for o in _orgs(session, col(Org.id).in_(ids)) if in_scope(actor, o.path)] if ids else []
    if published and (new := _add_links(session, actor, published)):
        for org in published:
            if org.id in new:
                audit.append(
                    session, actor, "feed.create", f"org:{org.code}", {"link": fingerprint(new[org.id])}
                )
        session.commit()
    result = _write_feeds(session, actor, published, today, create=True)
    changed = frozenset(variant_ids)
    if changed:
        showing = [o for o in _linked_below(session, changed) if in_scope(actor, o.path)]
        more = _write_feeds(session, actor, showing, today, create=False, only_showing=changed)
        result = FeedBuildResult(written=result.written + more.written, failed=result.failed + more.failed)
    return result


def _orgs(session: Session, *where: Any) -> list[Org]:
    return list(session.exec(select(Org).where(*where).order_by(col(Org.code))))


def _linked_below(session: Session, variant_ids: frozenset[int]) -> list[Org]:
    """Orgs with a feed that could show these variants: an org's content reaches its own subtree only."""
    paths = set(
        session.exec(
            select(col(Org.path))
            .join(Variant, col(Variant.org_id) == col(Org.id))
            .where(col(Variant.id).in_(list(variant_ids)))
        )
    )
    if not paths:
        return []
    linked = select(col(FeedLink.org_id))
    return _orgs(session, col(Org.id).in_(linked), or_(*(col(Org.path).startswith(p) for p in paths)))


def build_feeds(
    session: Session,
    actor: Actor,
    org_code: str | None = None,
    *,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FeedBuildResult:
    """Rewrite one org's feed, or (None) every feed in the actor's subtree: orgs with a link or a published
    month in the window. Run daily, so each page's window moves on. Audited once."""
    require(actor, "feed.manage")
    today = today or today_cn()
    if org_code is not None:
        org = session.exec(select(Org).where(col(Org.code) == org_code)).first()
        if org is None:
            raise NotFound(f"org {org_code} not found", f"机构 {org_code} 不存在。")
        require_scope(actor, org.path)
        orgs = [org]
    else:
        _, months = _window(today)
        published = select(col(CalendarPublication.org_id)).where(col(CalendarPublication.month).in_(months))
        linked = select(col(FeedLink.org_id))
        orgs = _orgs(
            session,
            col(Org.path).startswith(actor.org_path),
            or_(col(Org.id).in_(published), col(Org.id).in_(linked)),
        )
    _ensure_root()
    new = _add_links(session, actor, orgs)
    audit.append(
        session, actor, "feed.build", f"org:{org_code or '*'}", {"orgs": len(orgs), "new_links": len(new)}
    )
    session.commit()
    return _write_feeds(session, actor, orgs, today, create=True, progress=progress)


def _ensure_root() -> None:
    try:
        prepare_root(_feed_dir())
    except OSError as error:
        raise ValidationError(
            f"cannot write the staff feed under {_feed_dir()}: {error.strerror or error}",
            f"无法写入员工内容页（{_feed_dir()}）：{error.strerror or error}。",
        ) from None


def _view(org: Org, link: FeedLink | None) -> FeedLinkView:
    base = get_settings().feed_base_url.rstrip("/")
    path = f"{link.token}/" if link else None
    return FeedLinkView(
        org_id=org.id or 0,
        org_code=org.code,
        org_name=org.name,
        path=path,
        url=f"{base}/{path}" if base and path else None,
        created_at=link.created_at if link else None,
    )


def feed_link(session: Session, actor: Actor, org_id: int) -> FeedLinkView:
    """The org's current feed link (HQ only: a link opens the branch's page to whoever holds it)."""
    require(actor, "feed.manage")
    require_network_scope(actor)
    org = get_org(session, actor, org_id)
    link = session.exec(select(FeedLink).where(col(FeedLink.org_id) == org_id)).first()
    return _view(org, link)


def rotate_link(session: Session, actor: Actor, org_id: int, *, today: date | None = None) -> FeedLinkView:
    """Give the org a new link (or its first): the new folder is written, the token committed with an audit
    event, then the old folder is deleted, so the old link stops working at once."""
    require(actor, "feed.manage")
    require_network_scope(actor)
    org = get_org(session, actor, org_id)
    _ensure_root()
    old = _tokens(session, [org_id]).get(org_id)
    new = secrets.token_urlsafe(24)
    doc, _ = _documents(session, actor, [org], today or today_cn())[org_id]
    if not _write_one(doc, new, create=True):
        raise ValidationError(
            f"cannot write the staff feed of {org.code} under {_feed_dir()}",
            f"无法写入 {org.name} 的员工内容页，链接未更换。",
        )
    try:
        _store_token(session, actor, org, old, new)
    except BaseException:
        session.rollback()
        remove_feed(_feed_dir(), new)
        raise
    if old:
        _remove_old(org, old)
    return feed_link(session, actor, org_id)


def _store_token(session: Session, actor: Actor, org: Org, old: str | None, new: str) -> None:
    if old is None:
        session.add(FeedLink(org_id=org.id or 0, token=new, created_by=actor.user_id))
    else:
        # Conditional on the token read above: of two rotations at once, one wins, the other is refused.
        changed = session.execute(
            update(FeedLink)
            .where(col(FeedLink.org_id) == org.id, col(FeedLink.token) == old)
            .values(token=new, created_by=actor.user_id, created_at=utcnow())
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("the link was changed meanwhile", "链接刚被其他人更换，请刷新后重试。")
    details = {"link": fingerprint(new), "previous": fingerprint(old) if old else None}
    audit.append(session, actor, "feed.rotate", f"org:{org.code}", details)
    session.commit()


def _remove_old(org: Org, old: str) -> None:
    try:
        remove_feed(_feed_dir(), old)
    except OSError as error:
        log.error("old staff feed folder of %s not removed: %s", org.code, error)
        raise ValidationError(
            f"new link stored, but the old folder of {org.code} could not be removed: {error.strerror}; "
            "delete it by hand",
            f"新链接已生效，但旧链接的文件夹未能删除（{error.strerror}），请联系运维手工删除。",
        ) from None


# -- as jobs (services/jobs.py) ----------------------------------------------------------------------------


def queue_refresh(
    session: Session, actor: Actor, *, org_ids: Iterable[int] = (), variant_ids: Iterable[int] = ()
) -> None:
    """After a publish, withdrawal or approved replacement was committed: have the affected feeds rewritten
    by a job (at once in-process; by a worker when a queue is configured). Never raises: the change stands,
    and the daily build rewrites every feed anyway."""
    args = {"org_ids": sorted(set(org_ids)), "variant_ids": sorted(set(variant_ids))}
    try:
        require(actor, "feed.refresh")
        jobs.submit(session, actor, "feed.refresh", args)
    except Exception:
        session.rollback()
        log.exception("staff feed refresh not submitted (%s)", args)


def _ids(args: dict[str, Any], name: str) -> list[int]:
    values = args.get(name) or []
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        raise ValidationError(f"{name} must be a list of ids", "任务参数不正确。")
    return sorted(set(values))


def _clean_refresh(args: dict[str, Any]) -> dict[str, Any]:
    clean = {"org_ids": _ids(args, "org_ids"), "variant_ids": _ids(args, "variant_ids")}
    if not clean["org_ids"] and not clean["variant_ids"]:
        raise ValidationError("nothing to refresh: give org_ids or variant_ids", "任务参数不正确。")
    return clean


def _run_refresh(
    session: Session, actor: Actor, args: dict[str, Any], progress: jobs.Progress
) -> dict[str, Any]:
    result = refresh_feeds(session, actor, org_ids=args["org_ids"], variant_ids=args["variant_ids"])
    progress(1, 1)
    return _summary(result)


def _summary(result: FeedBuildResult) -> dict[str, Any]:
    if result.failed:  # the files of these feeds were taken away; another attempt may write them
        raise jobs.JobIncomplete(
            f"{len(result.failed)} feed(s) not written: {', '.join(result.failed[:20])}",
            f"{len(result.failed)} 个员工内容页未能写入，将自动重试。",
        )
    return {"written": result.written}


def _clean_build(args: dict[str, Any]) -> dict[str, Any]:
    org = args.get("org")
    if org is not None and (not isinstance(org, str) or not org.strip()):
        raise ValidationError("org must be an org code", "机构代码不正确。")
    return {"org": org.strip() if org else None}


def _run_build(
    session: Session, actor: Actor, args: dict[str, Any], progress: jobs.Progress
) -> dict[str, Any]:
    return _summary(build_feeds(session, actor, args["org"], progress=progress))


jobs.register(
    jobs.JobKind(
        name="feed.refresh",
        label="更新员工内容页",
        check=lambda actor: require(actor, "feed.refresh"),
        clean=_clean_refresh,
        run=_run_refresh,
        cheap=True,
        audited=False,
    )
)
jobs.register(
    jobs.JobKind(
        name="feed.build",
        label="重建全部员工内容页",
        check=lambda actor: require(actor, "feed.manage"),
        clean=_clean_build,
        run=_run_build,
    )
)
