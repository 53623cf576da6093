"""The month at a glance for one org: occasions, placed slots, caps, mix and gaps per day."""

from __future__ import annotations

from collections import Counter
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from studio.db.models import CalendarPublication
from studio.domain.enums import Channel, ContentType
from studio.domain.views import Actor, SlotPlacement
from studio.planning.model import PlanConfig
from studio.planning.planner import month_days
from studio.services import calendar
from studio.services.orgs import get_org
from studio.services.planning import hot_topics, occasions_of_month, parse_month
from studio.workflow.permissions import require, require_scope


class DayRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    occasions: list[str]
    moments: int
    group: int
    other: int
    titles: list[str]
    gap: bool


class MonthView(BaseModel):
    model_config = ConfigDict(frozen=True)

    org_name: str
    month: str
    days: list[DayRow]
    slots: list[SlotPlacement]
    mix: dict[str, int]
    moments_total: int
    moments_cap: int
    daily_cap: int
    published_version: int | None
    occasion_gaps: list[str]


def month_view(session: Session, actor: Actor, org_id: int, month: str) -> MonthView:
    require(actor, "calendar.read")
    org = get_org(session, actor, org_id)
    require_scope(actor, org.path)
    month = parse_month(month)
    year, mon = (int(p) for p in month.split("-"))
    slots = calendar.month_slots(session, actor, org_id, year, mon)
    days = month_days(month)
    regional = tuple(t for t in hot_topics(session, days[0], days[-1]) if t.region in (None, org.province))
    occasions = occasions_of_month(month, org.province, regional)
    by_day: dict[date, list[str]] = {}
    for o in occasions:
        by_day.setdefault(o.date, []).append(o.name)
    mix = Counter(s.content_type for s in slots)
    rows = []
    for day in days:
        placed = [s for s in slots if s.day == day]
        per_channel = Counter(s.channel for s in placed)
        rows.append(DayRow(day=day, occasions=by_day.get(day, []), moments=per_channel[Channel.MOMENTS.value],
                           group=per_channel[Channel.GROUP.value],
                           other=len(placed) - per_channel[Channel.MOMENTS.value] - per_channel[Channel.GROUP.value],
                           titles=[s.title for s in placed], gap=not placed))
    placed_occasions = {s.occasion for s in slots if s.occasion}
    occasion_gaps = sorted({o.name for o in occasions if o.kind in ("festival", "solar_term", "finance_day",
                                                                    "regional", "hot_topic")
                            and o.date.month == mon and o.name not in placed_occasions})
    config = PlanConfig()
    latest = session.exec(select(CalendarPublication).where(
        CalendarPublication.org_id == org_id, CalendarPublication.month == month,
    ).order_by(CalendarPublication.version.desc())).first()  # type: ignore[attr-defined]
    return MonthView(org_name=org.name, month=month, days=rows, slots=slots,
                     mix={ContentType(k).label: v for k, v in mix.items()},
                     moments_total=sum(r.moments for r in rows), moments_cap=config.monthly_cap[Channel.MOMENTS],
                     daily_cap=config.daily_cap[Channel.MOMENTS], published_version=latest.version if latest else None,
                     occasion_gaps=occasion_gaps)
