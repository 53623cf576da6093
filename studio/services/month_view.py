"""The month at a glance for one org: occasions, placed slots, caps, mix and gaps per day."""

from __future__ import annotations

from collections import Counter
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from studio.db.models import CalendarPublication
from studio.domain.enums import Channel, ContentType
from studio.domain.month import Month
from studio.domain.views import Actor, SlotPlacement
from studio.services import calendar
from studio.services.occasion_calendar import hot_topics
from studio.services.orgs import get_org
from studio.services.planning import occasions_of_month
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
    mix: dict[ContentType, int]  # slots per content type (types with none left out)
    moments_total: int
    moments_cap: int
    daily_cap: int
    published_version: int | None
    occasion_gaps: list[str]


def month_view(session: Session, actor: Actor, org_id: int, month: str) -> MonthView:
    require(actor, "calendar.read")
    org = get_org(session, actor, org_id)
    require_scope(actor, org.path)
    chosen = Month.parse(month)
    slots = calendar.month_slots(session, actor, org_id, chosen.year, chosen.number)
    regional = tuple(
        t for t in hot_topics(session, chosen.first, chosen.last) if t.region in (None, org.province)
    )
    occasions = occasions_of_month(chosen, org.province, regional)
    by_day: dict[date, list[str]] = {}
    for o in occasions:
        by_day.setdefault(o.date, []).append(o.name)
    mix = Counter(s.content_type for s in slots)
    rows = [_day_row(day, [s for s in slots if s.day == day], by_day.get(day, [])) for day in chosen.days()]
    placed_occasions = {s.occasion for s in slots if s.occasion}
    occasion_gaps = sorted(
        {o.name for o in occasions if o.kind.postable and o.date in chosen and o.name not in placed_occasions}
    )
    return MonthView(
        org_name=org.name,
        month=str(chosen),
        days=rows,
        slots=slots,
        mix={ContentType(k): v for k, v in mix.items()},
        moments_total=sum(r.moments for r in rows),
        moments_cap=Channel.MOMENTS.monthly_cap,
        daily_cap=Channel.MOMENTS.daily_cap,
        published_version=_published_version(session, org_id, chosen),
        occasion_gaps=occasion_gaps,
    )


def _day_row(day: date, placed: list[SlotPlacement], occasions: list[str]) -> DayRow:
    """One day of the month: its occasions and what is placed on it, counted per channel."""
    per_channel = Counter(s.channel for s in placed)
    return DayRow(
        day=day,
        occasions=occasions,
        moments=per_channel[Channel.MOMENTS.value],
        group=per_channel[Channel.GROUP.value],
        other=len(placed) - per_channel[Channel.MOMENTS.value] - per_channel[Channel.GROUP.value],
        titles=[s.title for s in placed],
        gap=not placed,
    )


def _published_version(session: Session, org_id: int, month: Month) -> int | None:
    """The number of the month's latest published calendar, if it was published."""
    latest = session.exec(
        select(CalendarPublication)
        .where(
            CalendarPublication.org_id == org_id,
            CalendarPublication.month == str(month),
        )
        .order_by(CalendarPublication.version.desc())  # type: ignore[attr-defined]
    ).first()
    return latest.version if latest else None
