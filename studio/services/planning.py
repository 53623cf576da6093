"""Calendar use cases: propose (planner), build into slots, publish (freeze), export files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from studio.db.models import (
    CalendarPublication,
    CalendarSlot,
    HotTopic,
    Org,
    PostMark,
    TemplateVersion,
    Variant,
    utcnow,
)
from studio.domain.clock import today_cn
from studio.domain.enums import Channel, ContentType, OrgKind, ReviewState
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.occasions import HotTopic as HotTopicValue
from studio.occasions import Occasion, occasions_between
from studio.planning.exporters import FORMATS, CalendarDocument, ensure_writable, export, staged
from studio.planning.model import Candidate, Plan, PlanConfig, PlanEntry
from studio.planning.planner import month_days, propose
from studio.services.orgs import ancestors, get_org
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope


def parse_month(month: str) -> str:
    try:
        year, mon = (int(p) for p in month.split("-"))
        date(year, mon, 1)
    except ValueError:
        raise ValidationError(f"month must be YYYY-MM, got {month!r}", "月份格式应为 YYYY-MM。") from None
    return f"{year:04d}-{mon:02d}"


def hot_topics(session: Session, first: date | None = None, last: date | None = None) -> list[HotTopicValue]:
    """Hot topics, or only those overlapping [first, last] (a month's worth, not every topic ever)."""
    query = select(HotTopic).order_by(col(HotTopic.start), col(HotTopic.id))
    if first is not None:
        query = query.where(col(HotTopic.end) >= first)
    if last is not None:
        query = query.where(col(HotTopic.start) <= last)
    return [HotTopicValue(name=h.name, start=h.start, end=h.end, region=h.region) for h in session.exec(query)]


@lru_cache(maxsize=64)
def occasions_of_month(month: str, province: str | None, topics: tuple[HotTopicValue, ...]) -> tuple[Occasion, ...]:
    days = month_days(month)
    return tuple(occasions_between(days[0], days[-1], province=province, hot_topics=topics).items)


class CandidatePool:
    """Approved variants grouped by org, loaded once; an org's candidates are its own and its parents'."""

    def __init__(self, session: Session) -> None:
        from studio.services.occasion_calendar import hot_topic_ends

        ends = hot_topic_ends(session)
        self.by_org: dict[int, list[Candidate]] = {}
        depth_of = {o.id: o.path.count("/") - 2 for o in session.exec(select(Org))}
        rows = session.exec(select(Variant, TemplateVersion)
                            .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
                            .where(col(Variant.state) == ReviewState.APPROVED.value)).all()
        for variant, version in rows:
            self.by_org.setdefault(variant.org_id, []).append(Candidate(
                variant_id=variant.id or 0, title=variant.title, text=variant.text,
                channel=Channel(version.channel), content_type=ContentType(version.content_type),
                product_type=version.product_type, occasion_kind=version.occasion_kind,
                occasion=version.occasion, locality=depth_of.get(variant.org_id, 0), region=version.region,
                valid_from=version.valid_from, valid_to=_earliest(version.valid_to, ends.get(version.occasion or "")
                                                                  if version.occasion_kind == "hot_topic" else None),
            ))

    def for_chain(self, chain: list[Org]) -> list[Candidate]:
        return [c for org in chain for c in self.by_org.get(org.id or 0, [])]


def _earliest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def propose_for(session: Session, org: Org, month: str, *, pool: CandidatePool | None = None,
                topics: tuple[HotTopicValue, ...] | None = None, config: PlanConfig | None = None) -> Plan:
    pool = pool or CandidatePool(session)
    topics = tuple(hot_topics(session)) if topics is None else topics
    regional = tuple(t for t in topics if t.region in (None, org.province))
    occasions = list(occasions_of_month(month, org.province, regional))
    return propose(org.code, month, pool.for_chain(ancestors(session, org)), occasions, province=org.province,
                   config=config)


def propose_month(session: Session, actor: Actor, org_id: int, month: str) -> Plan:
    require(actor, "calendar.read")
    org = get_org(session, org_id)
    require_scope(actor, org.path)
    return propose_for(session, org, parse_month(month))


def build_month(session: Session, actor: Actor, org_id: int, month: str) -> Plan:
    """Write the proposal into the org's calendar slots (keeping slots someone already marked posted)."""
    require(actor, "calendar.edit")
    org = get_org(session, org_id)
    require_scope(actor, org.path)
    month = parse_month(month)
    plan = propose_for(session, org, month)
    days = month_days(month)
    existing = session.exec(select(CalendarSlot).where(col(CalendarSlot.org_id) == org_id, col(CalendarSlot.day) >= days[0],
                                                       col(CalendarSlot.day) <= days[-1])).all()
    posted = {m.slot_id for m in session.exec(select(PostMark).where(
        col(PostMark.slot_id).in_([s.id for s in existing])))}
    kept = {(s.day, s.variant_id) for s in existing if s.id in posted}
    for slot in existing:
        if slot.id not in posted:
            session.delete(slot)
    for e in plan.entries:
        if (e.day, e.variant_id) not in kept:
            session.add(CalendarSlot(org_id=org_id, day=e.day, time_of_day=e.time_of_day, channel=e.channel.value,
                                     variant_id=e.variant_id, note=e.reason, created_by=actor.user_id))
    audit.append(session, actor, "calendar.build", f"org:{org.code}",
                 {"month": month, "entries": len(plan.entries), "gaps": len(plan.gaps)})
    session.commit()
    return plan


def _current_entries(session: Session, org: Org, month: str) -> list[PlanEntry]:
    from studio.services.calendar import month_slots_for_org

    return [PlanEntry(day=p.day, time_of_day=p.time_of_day or "08:30", channel=Channel(p.channel),
                      variant_id=p.variant_id, title=p.title, text=p.text, content_type=ContentType(p.content_type),
                      occasion=p.occasion, reason="已排期")
            for p in month_slots_for_org(session, org, month)]


def publish_month(session: Session, actor: Actor, org_id: int, month: str, *, out_dir: Path | None = None) -> int:
    """Freeze the org's current calendar for the month as a new published version and write its files."""
    require(actor, "calendar.edit")
    org = get_org(session, org_id)
    require_scope(actor, org.path)
    month = parse_month(month)
    entries = _current_entries(session, org, month)
    if not entries:
        raise ValidationError("nothing to publish", "该月还没有排期，无法发布。")
    version = _latest_version(session, org_id, month) + 1
    session.add(CalendarPublication(org_id=org_id, month=month, version=version,
                                    entries=[e.model_dump(mode="json") for e in entries], published_by=actor.user_id))
    audit.append(session, actor, "calendar.publish", f"org:{org.code}", {"month": month, "version": version,
                                                                          "entries": len(entries)})
    if out_dir is None:
        session.commit()
        return version
    # Files are written first and moved into place only once the version is committed: an unwritable
    # out_dir publishes nothing, and a failed commit leaves no files of a version that does not exist.
    doc = CalendarDocument(org_code=org.code, org_name=org.name, month=month, status="published", version=version,
                           generated_at=utcnow(), entries=entries)
    try:
        with staged(doc, out_dir):
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return version


def _latest_version(session: Session, org_id: int, month: str) -> int:
    latest = session.exec(select(CalendarPublication).where(
        col(CalendarPublication.org_id) == org_id, col(CalendarPublication.month) == month,
    ).order_by(col(CalendarPublication.version).desc())).first()
    return latest.version if latest else 0


def _live_ids(session: Session, variant_ids: set[int], today: date) -> set[int]:
    if not variant_ids:
        return set()
    rows = session.exec(select(Variant, TemplateVersion)
                        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
                        .where(col(Variant.id).in_(variant_ids))).all()
    return {v.id for v, tv in rows if v.id is not None and v.state == ReviewState.APPROVED.value
            and (tv.valid_to is None or tv.valid_to >= today)}


def document(session: Session, org: Org, month: str, *, today: date | None = None,
             pool: CandidatePool | None = None, topics: tuple[HotTopicValue, ...] | None = None) -> CalendarDocument:
    """The published month (future days cleaned of expired/withdrawn content, recorded) or the proposal."""
    today = today or today_cn()
    publication = session.exec(select(CalendarPublication).where(
        col(CalendarPublication.org_id) == org.id, col(CalendarPublication.month) == month,
    ).order_by(col(CalendarPublication.version).desc())).first()
    if publication is None:
        plan = propose_for(session, org, month, pool=pool, topics=topics)
        return CalendarDocument(org_code=org.code, org_name=org.name, month=month, status="draft", version=None,
                                generated_at=utcnow(), entries=plan.entries)
    entries = [PlanEntry.model_validate(e) for e in publication.entries]
    live = _live_ids(session, {e.variant_id for e in entries}, today)
    kept = [e for e in entries if e.day < today or e.variant_id in live]
    if len(kept) != len(entries):
        dropped = len(entries) - len(kept)
        publication = CalendarPublication(
            org_id=org.id or 0, month=month, version=publication.version + 1,
            entries=[e.model_dump(mode="json") for e in kept], published_by=publication.published_by,
            note=f"{dropped} 条内容已过期或撤回，自动从后续日期移除")
        session.add(publication)
        audit.append(session, None, "calendar.auto_update", f"org:{org.code}",
                     {"month": month, "version": publication.version, "dropped": dropped})
        session.commit()
    return CalendarDocument(org_code=org.code, org_name=org.name, month=month, status="published",
                            version=publication.version, generated_at=utcnow(), entries=kept)


def export_month(session: Session, org_code: str | None, month: str, out_dir: Path,
                 formats: tuple[str, ...] = FORMATS, *, progress: Callable[[int, int], None] | None = None,
                 ) -> Iterator[CalendarDocument]:
    """Export one org (by code) or every branch-level org (None); yields each document written."""
    month = parse_month(month)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValidationError(f"unknown format {unknown[0]!r}; expected one of {', '.join(FORMATS)}",
                              "未知的导出格式。")
    if org_code is not None:
        org = session.exec(select(Org).where(col(Org.code) == org_code)).first()
        if org is None:
            raise NotFound(f"org {org_code} not found", f"机构 {org_code} 不存在。")
        orgs = [org]
    else:
        orgs = list(session.exec(select(Org).where(col(Org.kind) == OrgKind.SUB_BRANCH.value).order_by(col(Org.code))))
    ensure_writable(out_dir)
    pool = CandidatePool(session)
    topics = tuple(hot_topics(session))
    for index, org in enumerate(orgs, 1):
        doc = document(session, org, month, pool=pool, topics=topics)
        export(doc, out_dir, formats)
        if progress:
            progress(index, len(orgs))
        yield doc
    audit.append(session, None, "calendar.export", f"org:{org_code or '*'}",
                 {"month": month, "orgs": len(orgs), "formats": list(formats)})
    session.commit()


# -- parallel export of every branch: one process per core, each with its own engine and candidate pool --

_WORKER: dict[str, object] = {}


def _worker_init(url: str, month: str) -> None:
    from sqlmodel import Session as _Session

    from studio.db.engine import make_engine

    session = _Session(make_engine(url), expire_on_commit=False)
    _WORKER.update(session=session, pool=CandidatePool(session), topics=tuple(hot_topics(session)), month=month)


def _worker_export(codes: list[str], out_dir: str, formats: tuple[str, ...]) -> tuple[int, int]:
    session: Session = _WORKER["session"]  # type: ignore[assignment]
    drafts = 0
    for code in codes:
        org = session.exec(select(Org).where(col(Org.code) == code)).one()
        doc = document(session, org, str(_WORKER["month"]), pool=_WORKER["pool"],  # type: ignore[arg-type]
                       topics=_WORKER["topics"])  # type: ignore[arg-type]
        export(doc, Path(out_dir), formats)
        drafts += doc.draft
    return len(codes), drafts


def export_all_parallel(session: Session, url: str, month: str, out_dir: Path, formats: tuple[str, ...], *,
                        jobs: int, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Export every branch with `jobs` processes; returns (written, drafts). Audited once, like the serial path."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    month = parse_month(month)
    ensure_writable(out_dir)
    codes = [o.code for o in session.exec(select(Org).where(col(Org.kind) == OrgKind.SUB_BRANCH.value).order_by(col(Org.code)))]
    chunk = max(1, len(codes) // (jobs * 8))
    written = drafts = 0
    # Spawned, not forked: a forked child would inherit (and on exit close) the parent's DB connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                             initargs=(url, month)) as pool:
        futures = [pool.submit(_worker_export, codes[i:i + chunk], str(out_dir), formats)
                   for i in range(0, len(codes), chunk)]
        for future in as_completed(futures):
            done, draft_count = future.result()
            written += done
            drafts += draft_count
            if progress:
                progress(written, len(codes))
    audit.append(session, None, "calendar.export", "org:*",
                 {"month": month, "orgs": written, "formats": list(formats), "jobs": jobs})
    session.commit()
    return written, drafts
