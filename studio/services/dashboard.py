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
from sqlalchemy import ColumnElement, Select, case, distinct, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

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


def _branches(actor: Actor):
    return select(col(Org.id)).where(
        col(Org.kind) == OrgKind.SUB_BRANCH.value, col(Org.path).startswith(actor.org_path)
    )


def _chain(actor: Actor):
    """(branch, org) for every branch in scope and every org on its path up to HQ, itself included."""
    base: Select[int | None, int | None] = sa_select(col(Org.id).label("sb"), col(Org.id).label("anc")).where(
        col(Org.kind) == OrgKind.SUB_BRANCH.value, col(Org.path).startswith(actor.org_path)
    )
    chain = base.cte("chain", recursive=True)
    up = aliased(Org)
    return chain.union_all(
        select(chain.c.sb, col(up.parent_id))
        .join(up, col(up.id) == chain.c.anc)
        .where(col(up.parent_id).is_not(None))
    )


def _per_branch(actor: Actor, first: date, until: date):
    """Subqueries (sb, n): slots due per branch, and distinct due slots its staff marked as posted."""
    chain = _chain(actor)
    per_org = (
        select(col(CalendarSlot.org_id), func.count().label("n"))
        .where(col(CalendarSlot.day) >= first, col(CalendarSlot.day) <= until)
        .group_by(col(CalendarSlot.org_id))
        .subquery()
    )
    due = (
        select(chain.c.sb, func.sum(per_org.c.n).label("n"))
        .join(per_org, per_org.c.org_id == chain.c.anc)
        .group_by(chain.c.sb)
        .subquery()
    )
    posted = (
        select(col(User.org_id).label("sb"), func.count(distinct(col(PostMark.slot_id))).label("n"))
        .join(User, col(User.id) == col(PostMark.user_id))
        .join(CalendarSlot, col(CalendarSlot.id) == col(PostMark.slot_id))
        .join(chain, (chain.c.sb == col(User.org_id)) & (chain.c.anc == col(CalendarSlot.org_id)))
        .where(col(CalendarSlot.day) >= first, col(CalendarSlot.day) <= until)
        .group_by(col(User.org_id))
        .subquery()
    )
    return due, posted


def _window(month: Month, today: date) -> tuple[list[date], date]:
    days = month.days()
    return days, min(today, days[-1])


def dashboard(session: Session, actor: Actor, month: str, today: date) -> Dashboard:
    require(actor, "dashboard.read")
    chosen = Month.parse(month)
    days, until = _window(chosen, today)
    by_bank = _adoption_by_bank(session, actor, days[0], until)
    return Dashboard(
        month=str(chosen),
        by_bank=by_bank,
        due=sum(r.slots for r in by_bank),
        posted=sum(r.posted for r in by_bank),
        mix=_mix(session, actor, days),
        backlog_by_age=_backlog_by_age(session, actor),
        backlog_by_org=_backlog_by_org(session, actor),
        occasion_gaps=_occasion_gaps(session, actor, chosen),
    )


def _adoption_by_bank(session: Session, actor: Actor, first: date, until: date) -> list[AdoptionRow]:
    due, posted = _per_branch(actor, first, until)
    branch, bank = aliased(Org), aliased(Org)
    rows = session.exec(
        select(
            col(bank.name),
            func.count(col(branch.id)),
            func.coalesce(func.sum(due.c.n), 0),
            func.coalesce(func.sum(posted.c.n), 0),
        )
        .select_from(branch)
        .join(bank, col(bank.id) == col(branch.parent_id))
        .outerjoin(due, due.c.sb == col(branch.id))
        .outerjoin(posted, posted.c.sb == col(branch.id))
        .where(col(branch.id).in_(_branches(actor)))
        .group_by(col(bank.id), col(bank.name), col(bank.path))
        .order_by(col(bank.path))
    ).all()
    return [
        AdoptionRow(bank=name, branch="", branches=n, slots=int(d), posted=int(p)) for name, n, d, p in rows
    ]


def adoption_page(
    session: Session,
    actor: Actor,
    month: str,
    today: date,
    *,
    page: int = 0,
    page_size: int = 50,
    bank: str = "",
    ascending_share: bool = False,
) -> AdoptionPage:
    """One page of branches with their due and posted counts (optionally one bank's, lowest adoption first)."""
    require(actor, "dashboard.read")
    days, until = _window(Month.parse(month), today)
    due, posted = _per_branch(actor, days[0], until)
    branch, parent = aliased(Org), aliased(Org)
    slots = func.coalesce(due.c.n, 0)
    marked = func.coalesce(posted.c.n, 0)
    where: list[ColumnElement[bool]] = [col(branch.id).in_(_branches(actor))]
    if bank:
        where.append(col(parent.name) == bank)
    query = (
        select(col(parent.name), col(branch.name), slots, marked)
        .select_from(branch)
        .join(parent, col(parent.id) == col(branch.parent_id))
        .outerjoin(due, due.c.sb == col(branch.id))
        .outerjoin(posted, posted.c.sb == col(branch.id))
        .where(*where)
    )
    share = case((slots > 0, marked * literal(1.0) / slots), else_=literal(1.0))
    order = [share, col(branch.path)] if ascending_share else [col(branch.path)]
    rows = session.exec(query.order_by(*order).offset(max(page, 0) * page_size).limit(page_size)).all()
    total = session.exec(
        select(func.count())
        .select_from(branch)
        .join(parent, col(parent.id) == col(branch.parent_id))
        .where(*where)
    ).one()
    return AdoptionPage(
        total=int(total),
        rows=[AdoptionRow(bank=b, branch=n, slots=int(d), posted=int(p)) for b, n, d, p in rows],
    )


def _mix(session: Session, actor: Actor, days: list[date]) -> dict[ContentType, int]:
    # Count the month's slots per variant first (one pass over the day index), then label the few variants.
    per_variant = (
        select(col(CalendarSlot.variant_id), func.count().label("n"))
        .where(
            col(CalendarSlot.day) >= days[0],
            col(CalendarSlot.day) <= days[-1],
            col(CalendarSlot.org_id).in_(select(col(Org.id)).where(col(Org.path).startswith(actor.org_path))),
        )
        .group_by(col(CalendarSlot.variant_id))
        .subquery()
    )
    rows = session.exec(
        select(col(TemplateVersion.content_type), func.sum(per_variant.c.n))
        .select_from(per_variant)
        .join(Variant, col(Variant.id) == per_variant.c.variant_id)
        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
        .group_by(col(TemplateVersion.content_type))
    ).all()
    return {ContentType(kind): int(n) for kind, n in rows}


def _age_bucket(column, now):
    # Never submitted counts as "just now", as before.
    bounded = [
        (column > now - timedelta(hours=until), i)
        for i, (_, until) in enumerate(AGE_BUCKETS)
        if until is not None
    ]
    return case((column.is_(None), 0), *bounded, else_=len(AGE_BUCKETS) - 1)


def _backlog_by_age(session: Session, actor: Actor) -> list[AgeCount]:
    now = utcnow()
    counts: Counter[int] = Counter()
    variant_bucket = _age_bucket(col(Variant.submitted_at), now)
    for bucket, n in session.exec(
        select(variant_bucket, func.count())
        .join(Org, col(Org.id) == col(Variant.org_id))
        .where(col(Variant.state) == ReviewState.SUBMITTED.value, col(Org.path).startswith(actor.org_path))
        .group_by(variant_bucket)
    ).all():
        counts[int(bucket)] += int(n)
    template_bucket = _age_bucket(col(TemplateVersion.submitted_at), now)
    for bucket, n in session.exec(
        select(template_bucket, func.count())
        .where(col(TemplateVersion.state) == ReviewState.SUBMITTED.value)
        .group_by(template_bucket)
    ).all():
        counts[int(bucket)] += int(n)
    return [
        AgeCount(min_hours=low, max_hours=high, count=counts.get(i, 0))
        for i, (low, high) in enumerate(AGE_BUCKETS)
    ]


def _backlog_by_org(session: Session, actor: Actor) -> list[OrgBacklog]:
    waiting = func.count().label("waiting")
    rows = session.exec(
        select(col(Org.id), col(Org.name), waiting)
        .select_from(Variant)
        .join(Org, col(Org.id) == col(Variant.org_id))
        .where(col(Variant.state) == ReviewState.SUBMITTED.value, col(Org.path).startswith(actor.org_path))
        .group_by(col(Org.id), col(Org.name))
        .order_by(waiting.desc(), col(Org.name))
        .limit(TOP_BACKLOG_ORGS)
    ).all()
    result = [OrgBacklog(org_id=org_id, org_name=name, waiting=int(n)) for org_id, name, n in rows]
    library = session.exec(
        select(func.count())
        .select_from(TemplateVersion)
        .where(col(TemplateVersion.state) == ReviewState.SUBMITTED.value)
    ).one()
    if library:
        result.append(OrgBacklog(org_id=None, org_name=None, waiting=int(library)))
    return result


def _occasion_gaps(session: Session, actor: Actor, month: Month) -> dict[str, int]:
    """Per postable occasion of the month: branches with nothing placed (own or inherited) on its day."""
    branches = dict(
        session.exec(
            select(col(Org.province), func.count())
            .where(col(Org.id).in_(_branches(actor)))
            .group_by(col(Org.province))
        ).all()
    )
    topics = tuple(hot_topics(session, month.first, month.last))
    occasions = {
        province: [
            o
            for o in occasions_of_month(
                month, province, tuple(t for t in topics if t.region in (None, province))
            )
            if o.kind.postable and o.date in month
        ]
        for province in branches
    }
    dates = sorted({o.date for found in occasions.values() for o in found})
    covered: dict[tuple[str | None, date], int] = {}
    if dates:
        chain = _chain(actor)
        branch = aliased(Org)
        covered = {
            (province, day): int(n)
            for province, day, n in session.exec(
                select(col(branch.province), col(CalendarSlot.day), func.count(distinct(chain.c.sb)))
                .select_from(chain)
                .join(branch, col(branch.id) == chain.c.sb)
                .join(CalendarSlot, col(CalendarSlot.org_id) == chain.c.anc)
                .where(col(CalendarSlot.day).in_(dates))
                .group_by(col(branch.province), col(CalendarSlot.day))
            ).all()
        }
    gaps: Counter[str] = Counter()
    for province, found in occasions.items():
        for o in found:
            missing = int(branches[province]) - covered.get((province, o.date), 0)
            if missing:
                gaps[o.name] += missing
    return dict(gaps.most_common(15))
