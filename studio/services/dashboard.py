"""HQ dashboard figures: adoption per bank and branch, content mix, review backlog, occasion gaps.

Every figure is an aggregate computed by the database (GROUP BY over the month's slots, marks and the
review queue); Python only receives one row per bank, content type, age bucket, province-day or page of
branches, never the slots or marks themselves. A branch's due slots are its own and those its bank and HQ
placed for everyone below them: a recursive CTE gives each branch its chain of orgs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, distinct, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from studio.db.models import CalendarSlot, Org, PostMark, TemplateVersion, User, Variant, utcnow
from studio.domain.enums import ContentType, OrgKind, ReviewState
from studio.domain.month import Month
from studio.domain.views import Actor
from studio.services.occasion_calendar import hot_topics
from studio.services.planning import occasions_of_month
from studio.workflow.permissions import require

# Waiting-time buckets of the review backlog, in hours: [from, until), the last one open-ended.
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 24), (24, 72), (72, None))
TOP_BACKLOG_ORGS = 15


class AdoptionRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    bank: str
    branch: str  # a branch row's name; "" on a bank's total
    slots: int
    posted: int
    branches: int = 1

    @property
    def share(self) -> float:
        return self.posted / self.slots if self.slots else 0.0


class AdoptionPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[AdoptionRow]
    total: int


class AgeCount(BaseModel):
    """Items waiting for review at least `min_hours` and less than `max_hours` (None: no upper bound)."""

    model_config = ConfigDict(frozen=True)

    min_hours: int
    max_hours: int | None
    count: int


class OrgBacklog(BaseModel):
    model_config = ConfigDict(frozen=True)

    org_id: int | None  # None: HQ's library (template versions waiting)
    org_name: str | None
    waiting: int


class Dashboard(BaseModel):
    model_config = ConfigDict(frozen=True)

    month: str
    by_bank: list[AdoptionRow]
    due: int
    posted: int
    mix: dict[ContentType, int]
    backlog_by_age: list[AgeCount]  # one per AGE_BUCKETS entry, in that order
    backlog_by_org: list[OrgBacklog]  # the TOP_BACKLOG_ORGS orgs with most waiting, then HQ's library
    occasion_gaps: dict[str, int]


def _branches(actor: Actor):  # type: ignore[no-untyped-def]
    return select(Org.id).where(Org.kind == OrgKind.SUB_BRANCH.value,
                                Org.path.startswith(actor.org_path))  # type: ignore[attr-defined]


def _chain(actor: Actor):  # type: ignore[no-untyped-def]
    """(branch, org) for every branch in scope and every org on its path up to HQ, itself included."""
    base = select(Org.id.label("sb"), Org.id.label("anc")).where(  # type: ignore[union-attr]
        Org.kind == OrgKind.SUB_BRANCH.value, Org.path.startswith(actor.org_path))  # type: ignore[attr-defined]
    chain = base.cte("chain", recursive=True)
    up = aliased(Org)
    return chain.union_all(select(chain.c.sb, up.parent_id).join(up, up.id == chain.c.anc)
                           .where(up.parent_id.is_not(None)))  # type: ignore[union-attr]


def _per_branch(actor: Actor, first: date, until: date):  # type: ignore[no-untyped-def]
    """Subqueries (sb, n): slots due per branch, and distinct due slots its staff marked as posted."""
    chain = _chain(actor)
    per_org = (select(CalendarSlot.org_id, func.count().label("n"))
               .where(CalendarSlot.day >= first, CalendarSlot.day <= until)
               .group_by(CalendarSlot.org_id).subquery())
    due = (select(chain.c.sb, func.sum(per_org.c.n).label("n"))
           .join(per_org, per_org.c.org_id == chain.c.anc).group_by(chain.c.sb).subquery())
    posted = (select(User.org_id.label("sb"), func.count(distinct(PostMark.slot_id)).label("n"))
              .join(User, User.id == PostMark.user_id)
              .join(CalendarSlot, CalendarSlot.id == PostMark.slot_id)
              .join(chain, (chain.c.sb == User.org_id) & (chain.c.anc == CalendarSlot.org_id))
              .where(CalendarSlot.day >= first, CalendarSlot.day <= until)
              .group_by(User.org_id).subquery())
    return due, posted


def _window(month: Month, today: date) -> tuple[list[date], date]:
    days = month.days()
    return days, min(today, days[-1])


def dashboard(session: Session, actor: Actor, month: str, today: date) -> Dashboard:
    require(actor, "dashboard.read")
    chosen = Month.parse(month)
    days, until = _window(chosen, today)
    by_bank = _adoption_by_bank(session, actor, days[0], until)
    return Dashboard(month=str(chosen), by_bank=by_bank, due=sum(r.slots for r in by_bank),
                     posted=sum(r.posted for r in by_bank), mix=_mix(session, actor, days),
                     backlog_by_age=_backlog_by_age(session, actor), backlog_by_org=_backlog_by_org(session, actor),
                     occasion_gaps=_occasion_gaps(session, actor, chosen))


def _adoption_by_bank(session: Session, actor: Actor, first: date, until: date) -> list[AdoptionRow]:
    due, posted = _per_branch(actor, first, until)
    branch, bank = aliased(Org), aliased(Org)
    rows = session.exec(
        select(bank.name, func.count(branch.id), func.coalesce(func.sum(due.c.n), 0),
               func.coalesce(func.sum(posted.c.n), 0))
        .select_from(branch).join(bank, bank.id == branch.parent_id)
        .outerjoin(due, due.c.sb == branch.id).outerjoin(posted, posted.c.sb == branch.id)
        .where(branch.id.in_(_branches(actor)))  # type: ignore[union-attr]
        .group_by(bank.id, bank.name, bank.path).order_by(bank.path)
    ).all()
    return [AdoptionRow(bank=name, branch="", branches=n, slots=int(d), posted=int(p)) for name, n, d, p in rows]


def adoption_page(session: Session, actor: Actor, month: str, today: date, *, page: int = 0, page_size: int = 50,
                  bank: str = "", ascending_share: bool = False) -> AdoptionPage:
    """One page of branches with their due and posted counts (optionally one bank's, lowest adoption first)."""
    require(actor, "dashboard.read")
    days, until = _window(Month.parse(month), today)
    due, posted = _per_branch(actor, days[0], until)
    branch, parent = aliased(Org), aliased(Org)
    slots = func.coalesce(due.c.n, 0)
    marked = func.coalesce(posted.c.n, 0)
    where = [branch.id.in_(_branches(actor))]  # type: ignore[union-attr]
    if bank:
        where.append(parent.name == bank)
    query = (select(parent.name, branch.name, slots, marked).select_from(branch)
             .join(parent, parent.id == branch.parent_id)
             .outerjoin(due, due.c.sb == branch.id).outerjoin(posted, posted.c.sb == branch.id).where(*where))
    share = case((slots > 0, marked * literal(1.0) / slots), else_=literal(1.0))
    order = [share, branch.path] if ascending_share else [branch.path]
    rows = session.exec(query.order_by(*order).offset(max(page, 0) * page_size).limit(page_size)).all()
    total = session.exec(select(func.count()).select_from(branch).join(parent, parent.id == branch.parent_id)
                         .where(*where)).one()
    return AdoptionPage(total=int(total), rows=[AdoptionRow(bank=b, branch=n, slots=int(d), posted=int(p))
                                                for b, n, d, p in rows])


def _mix(session: Session, actor: Actor, days: list[date]) -> dict[ContentType, int]:
    # Count the month's slots per variant first (one pass over the day index), then label the few variants.
    per_variant = (select(CalendarSlot.variant_id, func.count().label("n"))
                   .where(CalendarSlot.day >= days[0], CalendarSlot.day <= days[-1],
                          CalendarSlot.org_id.in_(select(Org.id).where(  # type: ignore[attr-defined]
                              Org.path.startswith(actor.org_path))))  # type: ignore[attr-defined]
                   .group_by(CalendarSlot.variant_id).subquery())
    rows = session.exec(
        select(TemplateVersion.content_type, func.sum(per_variant.c.n))
        .select_from(per_variant).join(Variant, Variant.id == per_variant.c.variant_id)
        .join(TemplateVersion, TemplateVersion.id == Variant.template_version_id)
        .group_by(TemplateVersion.content_type)
    ).all()
    return {ContentType(kind): int(n) for kind, n in rows}


def _age_bucket(column, now):  # type: ignore[no-untyped-def]
    # Never submitted counts as "just now", as before.
    bounded = [(column > now - timedelta(hours=until), i) for i, (_, until) in enumerate(AGE_BUCKETS)
               if until is not None]
    return case((column.is_(None), 0), *bounded, else_=len(AGE_BUCKETS) - 1)


def _backlog_by_age(session: Session, actor: Actor) -> list[AgeCount]:
    now = utcnow()
    counts: Counter[int] = Counter()
    variant_bucket = _age_bucket(Variant.submitted_at, now)
    for bucket, n in session.exec(
        select(variant_bucket, func.count()).join(Org, Org.id == Variant.org_id)
        .where(Variant.state == ReviewState.SUBMITTED.value,
               Org.path.startswith(actor.org_path))  # type: ignore[attr-defined]
        .group_by(variant_bucket)
    ).all():
        counts[int(bucket)] += int(n)
    template_bucket = _age_bucket(TemplateVersion.submitted_at, now)
    for bucket, n in session.exec(select(template_bucket, func.count())
                                  .where(TemplateVersion.state == ReviewState.SUBMITTED.value)
                                  .group_by(template_bucket)).all():
        counts[int(bucket)] += int(n)
    return [AgeCount(min_hours=low, max_hours=high, count=counts.get(i, 0))
            for i, (low, high) in enumerate(AGE_BUCKETS)]


def _backlog_by_org(session: Session, actor: Actor) -> list[OrgBacklog]:
    waiting = func.count().label("waiting")
    rows = session.exec(
        select(Org.id, Org.name, waiting).select_from(Variant).join(Org, Org.id == Variant.org_id)
        .where(Variant.state == ReviewState.SUBMITTED.value,
               Org.path.startswith(actor.org_path))  # type: ignore[attr-defined]
        .group_by(Org.id, Org.name).order_by(waiting.desc(), Org.name).limit(TOP_BACKLOG_ORGS)
    ).all()
    result = [OrgBacklog(org_id=org_id, org_name=name, waiting=int(n)) for org_id, name, n in rows]
    library = session.exec(select(func.count()).select_from(TemplateVersion)
                           .where(TemplateVersion.state == ReviewState.SUBMITTED.value)).one()
    if library:
        result.append(OrgBacklog(org_id=None, org_name=None, waiting=int(library)))
    return result


def _occasion_gaps(session: Session, actor: Actor, month: Month) -> dict[str, int]:
    """Per postable occasion of the month: branches with nothing placed (own or inherited) on its day."""
    branches = dict(session.exec(select(Org.province, func.count()).where(Org.id.in_(_branches(actor)))  # type: ignore[union-attr]
                                 .group_by(Org.province)).all())
    topics = tuple(hot_topics(session, month.first, month.last))
    occasions = {province: [o for o in occasions_of_month(month, province,
                                                          tuple(t for t in topics if t.region in (None, province)))
                            if o.kind.postable and o.date in month]
                 for province in branches}
    dates = sorted({o.date for found in occasions.values() for o in found})
    covered: dict[tuple[str | None, date], int] = {}
    if dates:
        chain = _chain(actor)
        branch = aliased(Org)
        covered = {(province, day): int(n) for province, day, n in session.exec(
            select(branch.province, CalendarSlot.day, func.count(distinct(chain.c.sb)))
            .select_from(chain).join(branch, branch.id == chain.c.sb)
            .join(CalendarSlot, CalendarSlot.org_id == chain.c.anc)
            .where(CalendarSlot.day.in_(dates))  # type: ignore[attr-defined]
            .group_by(branch.province, CalendarSlot.day)
        ).all()}
    gaps: Counter[str] = Counter()
    for province, found in occasions.items():
        for o in found:
            missing = int(branches[province]) - covered.get((province, o.date), 0)
            if missing:
                gaps[o.name] += missing
    return dict(gaps.most_common(15))
