"""HQ dashboard figures: adoption per bank and branch, content mix, review backlog, occasion gaps."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from studio.db.models import CalendarSlot, Org, PostMark, TemplateVersion, User, Variant, utcnow
from studio.domain.enums import ContentType, OrgKind, ReviewState
from studio.domain.views import Actor
from studio.planning.planner import month_days
from studio.services.planning import hot_topics, occasions_of_month, parse_month
from studio.workflow.permissions import require


class AdoptionRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    bank: str
    branch: str
    slots: int
    posted: int

    @property
    def share(self) -> float:
        return self.posted / self.slots if self.slots else 0.0


class Dashboard(BaseModel):
    model_config = ConfigDict(frozen=True)

    month: str
    adoption: list[AdoptionRow]
    mix: dict[str, int]
    backlog_by_age: dict[str, int]
    backlog_by_org: dict[str, int]
    occasion_gaps: dict[str, int]


def dashboard(session: Session, actor: Actor, month: str, today: date) -> Dashboard:
    require(actor, "dashboard.read")
    month = parse_month(month)
    days = month_days(month)
    until = min(today, days[-1])
    orgs = {o.id: o for o in session.exec(select(Org)) if o.path.startswith(actor.org_path)}
    slots = session.exec(select(CalendarSlot).where(CalendarSlot.day >= days[0],
                                                    CalendarSlot.day <= days[-1])).all()
    marks = session.exec(select(PostMark, User).join(User, User.id == PostMark.user_id)).all()
    posted_by_org: set[tuple[int, int]] = {(user.org_id, mark.slot_id) for mark, user in marks}
    adoption = []
    for org in sorted(orgs.values(), key=lambda o: o.path):
        if org.kind != OrgKind.SUB_BRANCH.value:
            continue
        chain = {int(p) for p in org.path.strip("/").split("/")}
        due = [s for s in slots if s.org_id in chain and s.day <= until]
        posted = sum(1 for s in due if (org.id, s.id) in posted_by_org)
        bank = orgs.get(org.parent_id or 0)
        adoption.append(AdoptionRow(bank=bank.name if bank else "—", branch=org.name, slots=len(due), posted=posted))

    types = dict(session.exec(select(Variant.id, TemplateVersion.content_type)
                              .join(TemplateVersion, TemplateVersion.id == Variant.template_version_id)).all())
    mix = Counter(ContentType(types[s.variant_id]).label for s in slots if s.org_id in orgs and s.variant_id in types)

    now = utcnow()
    backlog_age: Counter[str] = Counter()
    backlog_org: Counter[str] = Counter()
    waiting = session.exec(select(Variant).where(Variant.state == ReviewState.SUBMITTED.value)).all()
    templates = session.exec(select(TemplateVersion).where(TemplateVersion.state == ReviewState.SUBMITTED.value)).all()
    for item, org_name in [(v, orgs[v.org_id].name) for v in waiting if v.org_id in orgs] + \
                          [(t, "总行素材库") for t in templates]:
        submitted = item.submitted_at or now
        submitted = submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC)
        hours = (now - submitted).total_seconds() / 3600
        backlog_age["24小时内" if hours < 24 else "1-3天" if hours < 72 else "超过3天"] += 1
        backlog_org[org_name] += 1

    gaps: Counter[str] = Counter()
    topics = tuple(hot_topics(session))
    placed = {(s.org_id, s.day) for s in slots}
    for org in orgs.values():
        if org.kind != OrgKind.SUB_BRANCH.value:
            continue
        chain = {int(p) for p in org.path.strip("/").split("/")}
        for o in occasions_of_month(month, org.province, tuple(t for t in topics if t.region in (None, org.province))):
            if o.kind in ("festival", "solar_term", "finance_day", "regional", "hot_topic") and o.date.month == days[0].month \
                    and not any((oid, o.date) in placed for oid in chain):
                gaps[o.name] += 1
    return Dashboard(month=month, adoption=adoption, mix=dict(mix),
                     backlog_by_age={k: backlog_age.get(k, 0) for k in ("24小时内", "1-3天", "超过3天")},
                     backlog_by_org=dict(backlog_org), occasion_gaps=dict(gaps.most_common(15)))
