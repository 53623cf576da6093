"""Calendar use cases: propose (planner), build into slots, publish (freeze), export files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from studio.db.models import (
    CalendarPublication,
    CalendarSlot,
    Org,
    PostMark,
    TemplateVersion,
    Variant,
    utcnow,
)
from studio.domain.clock import today_cn
from studio.domain.enums import Channel, ContentType, OccasionKind, OrgKind, ReviewState
from studio.domain.month import Month
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.occasions import HotTopicSpan, Occasion, occasions_between
from studio.planning.exporters import FORMATS, CalendarDocument, ensure_writable, export, staged
from studio.planning.model import Candidate, Plan, PlanConfig, PlanEntry
from studio.planning.planner import propose
from studio.services import feed, jobs
from studio.services.calendar import month_slots
from studio.services.occasion_calendar import hot_topic_ends, hot_topics
from studio.services.orgs import ancestors, get_org
from studio.services.post_media import images_for_variants
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope


@lru_cache(maxsize=64)
def occasions_of_month(
    month: Month, province: str | None, topics: tuple[HotTopicSpan, ...]
) -> tuple[Occasion, ...]:
    return tuple(occasions_between(month.first, month.last, province=province, hot_topics=topics).items)


class _CandidatePool:
    """Approved variants grouped by org, loaded once; an org's candidates are its own and its parents'."""

    def __init__(self, session: Session) -> None:
        ends = hot_topic_ends(session)
        self.by_org: dict[int, list[Candidate]] = {}
        depth_of = {o.id: o.path.count("/") - 2 for o in session.exec(select(Org))}
        rows = session.exec(
            select(Variant, TemplateVersion)
            .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
            .where(col(Variant.state) == ReviewState.APPROVED.value)
        ).all()
        for variant, version in rows:
            self.by_org.setdefault(variant.org_id, []).append(
                Candidate(
                    variant_id=variant.id or 0,
                    title=variant.title,
                    text=variant.text,
                    channel=Channel(version.channel),
                    content_type=ContentType(version.content_type),
                    product_type=version.product_type,
                    occasion_kind=OccasionKind(version.occasion_kind),
                    occasion=version.occasion,
                    locality=depth_of.get(variant.org_id, 0),
                    region=version.region,
                    valid_from=version.valid_from,
                    valid_to=_earliest(
                        version.valid_to,
                        ends.get(version.occasion or "")
                        if version.occasion_kind == OccasionKind.HOT_TOPIC
                        else None,
                    ),
                )
            )

    def for_chain(self, chain: list[Org]) -> list[Candidate]:
        return [c for org in chain for c in self.by_org.get(org.id or 0, [])]


def _earliest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _propose_for(
    session: Session,
    actor: Actor,
    org: Org,
    month: Month,
    *,
    pool: _CandidatePool | None = None,
    topics: tuple[HotTopicSpan, ...] | None = None,
    config: PlanConfig | None = None,
) -> Plan:
    pool = pool or _CandidatePool(session)
    topics = tuple(hot_topics(session)) if topics is None else topics
    regional = tuple(t for t in topics if t.region in (None, org.province))
    occasions = list(occasions_of_month(month, org.province, regional))
    return propose(
        org.code,
        month,
        pool.for_chain(ancestors(session, actor, org)),
        occasions,
        province=org.province,
        config=config,
    )


def propose_month(session: Session, actor: Actor, org_id: int, month: str) -> Plan:
    require(actor, "calendar.read")
    org = get_org(session, actor, org_id)
    require_scope(actor, org.path)
    return _propose_for(session, actor, org, Month.parse(month))


def build_month(session: Session, actor: Actor, org_id: int, month: str) -> Plan:
    """Write the proposal into the org's calendar slots (keeping slots someone already marked posted)."""
    require(actor, "calendar.edit")
    org = get_org(session, actor, org_id)
    require_scope(actor, org.path)
    parsed = Month.parse(month)
    plan = _propose_for(session, actor, org, parsed)
    existing = session.exec(
        select(CalendarSlot).where(
            col(CalendarSlot.org_id) == org_id,
            col(CalendarSlot.day) >= parsed.first,
            col(CalendarSlot.day) <= parsed.last,
        )
    ).all()
    posted = {
        m.slot_id
        for m in session.exec(select(PostMark).where(col(PostMark.slot_id).in_([s.id for s in existing])))
    }
    kept = {(s.day, s.variant_id) for s in existing if s.id in posted}
    for slot in existing:
        if slot.id not in posted:
            session.delete(slot)
    for e in plan.entries:
        if (e.day, e.variant_id) not in kept:
            session.add(
                CalendarSlot(
                    org_id=org_id,
                    day=e.day,
                    time_of_day=e.time_of_day,
                    channel=e.channel.value,
                    variant_id=e.variant_id,
                    note=e.reason,
                    created_by=actor.user_id,
                )
            )
    audit.append(
        session,
        actor,
        "calendar.build",
        f"org:{org.code}",
        {"month": str(parsed), "entries": len(plan.entries), "gaps": len(plan.gaps)},
    )
    session.commit()
    return plan


def _current_entries(session: Session, actor: Actor, org: Org, month: Month) -> list[PlanEntry]:
    return [
        PlanEntry(
            day=p.day,
            time_of_day=p.time_of_day or "08:30",
            channel=Channel(p.channel),
            variant_id=p.variant_id,
            title=p.title,
            text=p.text,
            content_type=ContentType(p.content_type),
            occasion=p.occasion,
            reason="已排期",
        )
        for p in month_slots(session, actor, org.id or 0, month.year, month.number)
    ]


def publish_month(
    session: Session, actor: Actor, org_id: int, month: str, *, out_dir: Path | None = None
) -> int:
    """Freeze the org's current calendar for the month as a new published version and write its files."""
    require(actor, "calendar.edit")
    org = get_org(session, actor, org_id)
    require_scope(actor, org.path)
    parsed = Month.parse(month)
    month = str(parsed)
    entries = _current_entries(session, actor, org, parsed)
    if not entries:
        raise ValidationError("nothing to publish", "该月还没有排期，无法发布。")
    version = _latest_version(session, org_id, month) + 1
    session.add(
        CalendarPublication(
            org_id=org_id,
            month=month,
            version=version,
            entries=[e.model_dump(mode="json") for e in entries],
            published_by=actor.user_id,
        )
    )
    audit.append(
        session,
        actor,
        "calendar.publish",
        f"org:{org.code}",
        {"month": month, "version": version, "entries": len(entries)},
    )
    if out_dir is None:
        session.commit()
    else:
        _commit_with_files(session, actor, org, month, version, entries, out_dir)
    feed.queue_refresh(session, actor, org_ids=[org_id])  # the branch's staff page shows the new version
    return version


def _commit_with_files(
    session: Session,
    actor: Actor,
    org: Org,
    month: str,
    version: int,
    entries: list[PlanEntry],
    out_dir: Path,
) -> None:
    # Files are written first and moved into place only once the version is committed: an unwritable
    # out_dir publishes nothing, and a failed commit leaves no files of a version that does not exist.
    doc = CalendarDocument(
        org_code=org.code,
        org_name=org.name,
        month=month,
        status="published",
        version=version,
        generated_at=utcnow(),
        entries=entries,
        images=images_for_variants(session, actor, {e.variant_id for e in entries}).by_variant,
    )
    try:
        with staged(doc, out_dir):
            session.commit()
    except BaseException:
        session.rollback()
        raise


def _latest_publication(session: Session, org_id: int | None, month: str) -> CalendarPublication | None:
    return session.exec(
        select(CalendarPublication)
        .where(
            col(CalendarPublication.org_id) == org_id,
            col(CalendarPublication.month) == month,
        )
        .order_by(col(CalendarPublication.version).desc())
    ).first()


def _latest_version(session: Session, org_id: int, month: str) -> int:
    latest = _latest_publication(session, org_id, month)
    return latest.version if latest else 0


def _live_ids(session: Session, variant_ids: set[int], today: date) -> set[int]:
    if not variant_ids:
        return set()
    rows = session.exec(
        select(Variant, TemplateVersion)
        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
        .where(col(Variant.id).in_(variant_ids))
    ).all()
    return {
        v.id
        for v, tv in rows
        if v.id is not None
        and v.state == ReviewState.APPROVED.value
        and (tv.valid_to is None or tv.valid_to >= today)
    }


def refresh_document(
    session: Session,
    actor: Actor,
    org: Org,
    month: str,
    *,
    today: date | None = None,
    pool: _CandidatePool | None = None,
    topics: tuple[HotTopicSpan, ...] | None = None,
) -> CalendarDocument:
    """The published month or the proposal. A published month whose future days hold expired or withdrawn
    content is first refreshed: a new version without them is written and audited (hence the name)."""
    require(actor, "calendar.export")
    require_scope(actor, org.path)
    today = today or today_cn()
    publication = _latest_publication(session, org.id, month)
    if publication is None:
        plan = _propose_for(session, actor, org, Month.parse(month), pool=pool, topics=topics)
        return _with_images(session, actor, _document(org, month, None, plan.entries))
    entries = [PlanEntry.model_validate(e) for e in publication.entries]
    live = _live_ids(session, {e.variant_id for e in entries}, today)
    kept = [e for e in entries if e.day < today or e.variant_id in live]
    if len(kept) != len(entries):
        publication = _republish_without_dead(session, org, publication, kept, len(entries) - len(kept))
    return _with_images(session, actor, _document(org, month, publication.version, kept))


def _with_images(session: Session, actor: Actor, doc: CalendarDocument) -> CalendarDocument:
    """The document with each post's branch-rendered images (written beside the JSON and HTML)."""
    images = images_for_variants(session, actor, {e.variant_id for e in doc.entries})
    return doc.model_copy(update={"images": images.by_variant}) if images.by_variant else doc


def _document(org: Org, month: str, version: int | None, entries: list[PlanEntry]) -> CalendarDocument:
    """A month's document as of now: a draft proposal (no version) or a published version."""
    return CalendarDocument(
        org_code=org.code,
        org_name=org.name,
        month=month,
        status="draft" if version is None else "published",
        version=version,
        generated_at=utcnow(),
        entries=entries,
    )


def _republish_without_dead(
    session: Session, org: Org, publication: CalendarPublication, kept: list[PlanEntry], dropped: int
) -> CalendarPublication:
    """A new published version holding only `kept`, recorded as the system's (the publisher is kept)."""
    refreshed = CalendarPublication(
        org_id=org.id or 0,
        month=publication.month,
        version=publication.version + 1,
        entries=[e.model_dump(mode="json") for e in kept],
        published_by=publication.published_by,
        note=f"{dropped} 条内容已过期或撤回，自动从后续日期移除",
    )
    session.add(refreshed)
    audit.append(
        session,
        None,
        "calendar.auto_update",
        f"org:{org.code}",
        {"month": publication.month, "version": refreshed.version, "dropped": dropped},
    )
    session.commit()
    return refreshed


def export_month(
    session: Session,
    actor: Actor,
    org_code: str | None,
    month: str,
    out_dir: Path,
    formats: tuple[str, ...] = FORMATS,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[CalendarDocument]:
    """Export one org (by code) or every branch-level org in the actor's subtree (None); yields each
    document written."""
    require(actor, "calendar.export")
    month = str(Month.parse(month))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValidationError(
            f"unknown format {unknown[0]!r}; expected one of {', '.join(FORMATS)}", "未知的导出格式。"
        )
    if org_code is not None:
        org = session.exec(select(Org).where(col(Org.code) == org_code)).first()
        if org is None:
            raise NotFound(f"org {org_code} not found", f"机构 {org_code} 不存在。")
        require_scope(actor, org.path)
        orgs = [org]
    else:
        orgs = list(session.exec(_branches_of(actor)))
    ensure_writable(out_dir)
    pool = _CandidatePool(session)
    topics = tuple(hot_topics(session))
    for index, org in enumerate(orgs, 1):
        doc = refresh_document(session, actor, org, month, pool=pool, topics=topics)
        export(doc, out_dir, formats)
        if progress:
            progress(index, len(orgs))
        yield doc
    audit.append(
        session,
        actor,
        "calendar.export",
        f"org:{org_code or '*'}",
        {"month": month, "orgs": len(orgs), "formats": list(formats)},
    )
    session.commit()


# -- parallel export of every branch: one process per core, each with its own engine and candidate pool --

_WORKER: dict[str, object] = {}


def _branches_of(actor: Actor) -> SelectOfScalar[Org]:
    """Branch-level orgs in the actor's subtree, by code: what `--all` exports."""
    return (
        select(Org)
        .where(col(Org.kind) == OrgKind.SUB_BRANCH.value, col(Org.path).startswith(actor.org_path))
        .order_by(col(Org.code))
    )


def _worker_init(url: str, month: str, actor: Actor) -> None:
    from sqlmodel import Session as _Session

    from studio.db.engine import make_engine

    session = _Session(make_engine(url), expire_on_commit=False)
    _WORKER.update(
        session=session,
        pool=_CandidatePool(session),
        topics=tuple(hot_topics(session)),
        month=month,
        actor=actor,
    )


def _worker_export(codes: list[str], out_dir: str, formats: tuple[str, ...]) -> tuple[int, int]:
    session: Session = _WORKER["session"]  # type: ignore[assignment]
    drafts = 0
    for code in codes:
        org = session.exec(select(Org).where(col(Org.code) == code)).one()
        doc = refresh_document(
            session,
            cast(Actor, _WORKER["actor"]),
            org,
            str(_WORKER["month"]),
            pool=cast(_CandidatePool, _WORKER["pool"]),
            topics=cast("tuple[HotTopicSpan, ...]", _WORKER["topics"]),
        )
        export(doc, Path(out_dir), formats)
        drafts += doc.draft
    return len(codes), drafts


def export_all_parallel(
    session: Session,
    actor: Actor,
    url: str,
    month: str,
    out_dir: Path,
    formats: tuple[str, ...],
    *,
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Export every branch in the actor's subtree with `jobs` processes; returns (written, drafts). Audited
    once, like the serial path; each worker checks the actor again for every org it writes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    require(actor, "calendar.export")
    month = str(Month.parse(month))
    ensure_writable(out_dir)
    codes = [o.code for o in session.exec(_branches_of(actor))]
    chunk = max(1, len(codes) // (jobs * 8))
    written = drafts = 0
    # Spawned, not forked: a forked child would inherit (and on exit close) the parent's DB connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init, initargs=(url, month, actor)
    ) as pool:
        futures = [
            pool.submit(_worker_export, codes[i : i + chunk], str(out_dir), formats)
            for i in range(0, len(codes), chunk)
        ]
        for future in as_completed(futures):
            done, draft_count = future.result()
            written += done
            drafts += draft_count
            if progress:
                progress(written, len(codes))
    audit.append(
        session,
        actor,
        "calendar.export",
        "org:*",
        {"month": month, "orgs": written, "formats": list(formats), "jobs": jobs},
    )
    session.commit()
    return written, drafts


# -- as jobs (services/jobs.py): every branch of the requester's subtree, idempotent ------------------------


def _clean_month(args: dict[str, Any]) -> dict[str, Any]:
    return {"month": str(Month.parse(str(args.get("month", ""))))}


def _clean_export(args: dict[str, Any]) -> dict[str, Any]:
    clean = _clean_month(args)
    fmt = str(args.get("format", ""))
    if fmt not in FORMATS:
        raise ValidationError(
            f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", "未知的导出格式。"
        )
    out = args.get("out")
    return {**clean, "format": fmt, "out": str(_inside_calendars_dir(str(out))) if out else None}


def _inside_calendars_dir(out: str) -> Path:
    """A job writes where its worker runs, as the worker: only under the calendars dir, whoever asked."""
    root = get_settings().calendars_dir.resolve()
    folder = Path(out).resolve()
    if not folder.is_relative_to(root):
        raise ValidationError(
            f"an export job writes only under the calendars dir {root} (STUDIO_CALENDARS_DIR), not {folder}",
            "导出任务只能写入日历目录之内。",
        )
    return folder


def export_dir(month: str) -> Path:
    """Where an export job writes when it is given no folder: <calendars dir>/exports/<month>/."""
    return get_settings().calendars_dir / "exports" / month


def _run_export(
    session: Session, actor: Actor, args: dict[str, Any], progress: jobs.Progress
) -> dict[str, Any]:
    # Files are replaced atomically (exporters.staged): a second run overwrites them with the same content.
    out = Path(args["out"]) if args["out"] else export_dir(args["month"])
    written = drafts = 0
    for doc in export_month(session, actor, None, args["month"], out, (args["format"],), progress=progress):
        written += 1
        drafts += doc.draft
    return {"written": written, "drafts": drafts, "out": str(out)}


def publish_if_changed(session: Session, actor: Actor, org: Org, month: str) -> str:
    """Publish the org's month unless the latest published version holds the same entries: "published",
    "unchanged" or "empty" (no slots). Running it twice publishes once."""
    require(actor, "calendar.edit")
    require_scope(actor, org.path)
    entries = _current_entries(session, actor, org, Month.parse(month))
    if not entries:
        return "empty"
    latest = _latest_publication(session, org.id, month)
    if latest is not None and latest.entries == [e.model_dump(mode="json") for e in entries]:
        return "unchanged"
    publish_month(session, actor, org.id or 0, month, out_dir=get_settings().calendars_dir)
    return "published"


def _run_publish(
    session: Session, actor: Actor, args: dict[str, Any], progress: jobs.Progress
) -> dict[str, Any]:
    month = Month.parse(args["month"])
    with_slots = select(col(CalendarSlot.org_id)).where(
        col(CalendarSlot.day) >= month.first, col(CalendarSlot.day) <= month.last
    )
    orgs = list(session.exec(_branches_of(actor).where(col(Org.id).in_(with_slots))))
    counts = {"published": 0, "unchanged": 0, "empty": 0}
    for index, org in enumerate(orgs, 1):
        counts[publish_if_changed(session, actor, org, str(month))] += 1
        progress(index, len(orgs))
    return {**counts, "orgs": len(orgs)}


jobs.register(
    jobs.JobKind(
        name="calendar.export_all",
        label="导出全部支行日历",
        check=lambda actor: require(actor, "calendar.export"),
        clean=_clean_export,
        run=_run_export,
    )
)
jobs.register(
    jobs.JobKind(
        name="calendar.publish_all",
        label="发布全部支行当月日历",
        check=lambda actor: require(actor, "calendar.edit"),
        clean=_clean_month,
        run=_run_publish,
    )
)
