"""Calendar slots: place approved variants on days for an org; staff read today's posts."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from studio.db.models import CalendarSlot, Org, PostMark, Template, TemplateVersion, Variant
from studio.domain.clock import today_cn
from studio.domain.enums import Channel, ReviewState
from studio.domain.month import Month
from studio.domain.views import Actor, DailyPost, PickRow, SlotPlacement
from studio.errors import NotFound, ValidationError
from studio.services.orgs import ancestors, get_org
from studio.workflow import audit
from studio.workflow.permissions import require


def _live(variant: Variant, version: TemplateVersion, day: date) -> bool:
    """Approved and inside the template's validity window on that day."""
    if variant.state != ReviewState.APPROVED.value:
        return False
    if version.valid_from and day < version.valid_from:
        return False
    return not (version.valid_to and day > version.valid_to)


def place(
    session: Session,
    actor: Actor,
    *,
    org_id: int,
    day: date,
    variant_id: int,
    time_of_day: str | None = None,
    note: str | None = None,
) -> SlotPlacement:
    require(actor, "calendar.edit")
    org = get_org(session, actor, org_id)
    variant, version = _placeable(session, actor, org, variant_id, day)
    channel = Channel(version.channel)
    if time_of_day and not _valid_time(time_of_day):
        raise ValidationError("time must be HH:MM", "时间格式应为 HH:MM。")
    _check_room(session, org_id, day, channel, variant_id)
    slot = CalendarSlot(
        org_id=org_id,
        day=day,
        time_of_day=time_of_day or None,
        channel=channel.value,
        variant_id=variant_id,
        note=note,
        created_by=actor.user_id,
    )
    session.add(slot)
    session.flush()
    audit.append(
        session,
        actor,
        "calendar.place",
        f"slot:{slot.id}",
        {"org": org.code, "day": day.isoformat(), "variant": variant_id},
    )
    session.commit()
    return _placement(slot, variant, version)


def _placeable(
    session: Session, actor: Actor, org: Org, variant_id: int, day: date
) -> tuple[Variant, TemplateVersion]:
    """The variant and its template version, if it is approved, valid that day and the org's or above."""
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    version = session.get(TemplateVersion, variant.template_version_id)
    assert version is not None
    if not _live(variant, version, day):
        raise ValidationError(
            "only approved, valid content can be placed", "只能排入已审核通过且在有效期内的内容。"
        )
    if variant.org_id not in {o.id for o in ancestors(session, actor, org)}:
        raise ValidationError("variant belongs to another org", "该内容不属于此机构或其上级机构，不能排入。")
    return variant, version


def _check_room(session: Session, org_id: int, day: date, channel: Channel, variant_id: int) -> None:
    """The channel's day still has room under its cap, and does not hold this variant already."""
    existing = session.exec(
        select(CalendarSlot).where(
            col(CalendarSlot.org_id) == org_id,
            col(CalendarSlot.day) == day,
            col(CalendarSlot.channel) == channel.value,
        )
    ).all()
    if len(existing) >= channel.daily_cap:
        raise ValidationError(
            f"daily cap of {channel.daily_cap} for {channel.value} reached",
            f"{day:%m月%d日}{channel.label}已排 {len(existing)} 条，已达每日上限。",
        )
    if any(s.variant_id == variant_id for s in existing):
        raise ValidationError("already placed on that day", "该内容当天已排入。")


def _valid_time(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) < 24 and int(parts[1]) < 60


def _placement(slot: CalendarSlot, variant: Variant, version: TemplateVersion) -> SlotPlacement:
    return SlotPlacement(
        id=slot.id or 0,
        org_id=slot.org_id,
        day=slot.day,
        time_of_day=slot.time_of_day,
        channel=slot.channel,
        variant_id=variant.id or 0,
        title=variant.title,
        text=variant.text,
        occasion=version.occasion,
        content_type=version.content_type,
    )


_POSTED_EN = "slot {id} was already marked posted by staff; a posted slot is history and cannot be removed"
_POSTED_ZH = "该档期已有员工标记为已发布，不能删除：已发布的内容是历史记录，需保留。"


def remove(session: Session, actor: Actor, slot_id: int) -> None:
    """Take a slot off the calendar, unless staff already marked it posted (then it is history)."""
    require(actor, "calendar.edit")
    slot = session.get(CalendarSlot, slot_id)
    if slot is None:
        raise NotFound(f"slot {slot_id} not found")
    get_org(session, actor, slot.org_id)  # refuses a slot outside the subtree
    if _has_post_marks(session, slot_id):
        raise ValidationError(_POSTED_EN.format(id=slot_id), _POSTED_ZH)
    day = slot.day
    session.delete(slot)
    try:
        session.flush()
    except IntegrityError:
        # Staff marked it posted after the check above: the foreign key refuses the delete.
        session.rollback()
        raise ValidationError(_POSTED_EN.format(id=slot_id), _POSTED_ZH) from None
    audit.append(session, actor, "calendar.remove", f"slot:{slot_id}", {"day": day.isoformat()})
    session.commit()


def _has_post_marks(session: Session, slot_id: int) -> bool:
    return (
        session.exec(select(col(PostMark.id)).where(col(PostMark.slot_id) == slot_id).limit(1)).first()
        is not None
    )


def posted_slot_ids(session: Session, actor: Actor, org_id: int, slot_ids: list[int]) -> set[int]:
    """Which of the org's slots some staff member marked posted (those are history: not removable)."""
    require(actor, "calendar.read")
    get_org(session, actor, org_id)
    if not slot_ids:
        return set()
    rows = session.exec(
        select(col(PostMark.slot_id))
        .join(CalendarSlot, col(CalendarSlot.id) == col(PostMark.slot_id))
        .where(col(CalendarSlot.org_id) == org_id, col(PostMark.slot_id).in_(slot_ids))
        .distinct()
    )
    return set(rows)


def month_slots(session: Session, actor: Actor, org_id: int, year: int, month: int) -> list[SlotPlacement]:
    """The org's own slots of a month, plus those its parent orgs placed for everyone below them."""
    require(actor, "calendar.read")
    org = get_org(session, actor, org_id)
    chosen = Month(year, month)
    return _slots(session, actor, org, chosen.first, chosen.last)


def _slots(session: Session, actor: Actor, org: Org, first: date, last: date) -> list[SlotPlacement]:
    org_ids = [o.id for o in ancestors(session, actor, org)]
    rows = session.exec(
        select(CalendarSlot, Variant, TemplateVersion)
        .join(Variant, col(Variant.id) == col(CalendarSlot.variant_id))
        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
        .where(
            col(CalendarSlot.org_id).in_(org_ids),
            col(CalendarSlot.day) >= first,
            col(CalendarSlot.day) <= last,
        )
        .order_by(col(CalendarSlot.day), col(CalendarSlot.time_of_day), col(CalendarSlot.id))
    ).all()
    return [_placement(s, v, tv) for s, v, tv in rows if _live(v, tv, s.day)]


def todays_content(session: Session, actor: Actor, day: date) -> list[DailyPost]:
    """What staff of the actor's org post on `day`: approved, valid, placed for the org or above it."""
    require(actor, "today.read")
    org = get_org(session, actor, actor.org_id)
    placements = _slots(session, actor, org, day, day)
    # Only this day's slots: a user's marks grow every day, the day's slots are bounded by the daily caps.
    posted = (
        set(
            session.exec(
                select(col(PostMark.slot_id)).where(
                    col(PostMark.user_id) == actor.user_id,
                    col(PostMark.slot_id).in_([p.id for p in placements]),
                )
            )
        )
        if placements
        else set()
    )
    codes = _template_codes(session, {p.variant_id for p in placements})
    return [
        DailyPost(
            slot_id=p.id,
            day=p.day,
            time_of_day=p.time_of_day,
            channel=p.channel,
            title=p.title,
            text=p.text,
            occasion=p.occasion,
            content_type=p.content_type,
            posted=p.id in posted,
            variant_id=p.variant_id,
            template_code=codes.get(p.variant_id, ""),
        )
        for p in placements
    ]


def _template_codes(session: Session, variant_ids: set[int]) -> dict[int, str]:
    if not variant_ids:
        return {}
    rows = session.exec(
        select(col(Variant.id), col(Template.code))
        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
        .join(Template, col(Template.id) == col(TemplateVersion.template_id))
        .where(col(Variant.id).in_(variant_ids))
    ).all()
    return {vid: code for vid, code in rows if vid is not None}


def mark_posted(session: Session, actor: Actor, slot_id: int) -> None:
    require(actor, "today.read")
    slot = session.get(CalendarSlot, slot_id)
    if slot is None:
        raise NotFound(f"slot {slot_id} not found")
    own = get_org(session, actor, actor.org_id)
    if slot.org_id not in {o.id for o in ancestors(session, actor, own)}:
        raise NotFound(f"slot {slot_id} not found")
    if slot.day > today_cn():
        raise ValidationError("cannot mark a future post as posted", "还没到发布日期，不能标记为已发布。")
    if session.exec(
        select(PostMark).where(col(PostMark.slot_id) == slot_id, col(PostMark.user_id) == actor.user_id)
    ).first():
        return
    session.add(PostMark(slot_id=slot_id, user_id=actor.user_id))
    try:
        session.flush()
    except IntegrityError:
        # A concurrent remove took the slot away (or a double click already marked it): nothing half-written.
        session.rollback()
        if session.get(CalendarSlot, slot_id) is None:
            raise NotFound(f"slot {slot_id} not found") from None
        return
    audit.append(session, actor, "post.mark", f"slot:{slot_id}", {})
    session.commit()


def approved_variants_for(
    session: Session, actor: Actor, org_id: int, query: str = "", limit: int = 100
) -> list[PickRow]:
    """Approved variants an org may place (id, title, owning org's name): its own and its parents',
    newest first, titles containing `query`, at most `limit` (HQ may hold thousands)."""
    require(actor, "calendar.edit")
    org = get_org(session, actor, org_id)
    chain = {o.id: o.name for o in ancestors(session, actor, org)}
    rows = select(col(Variant.id), col(Variant.title), col(Variant.org_id)).where(
        col(Variant.org_id).in_(list(chain)), col(Variant.state) == ReviewState.APPROVED.value
    )
    if query.strip():
        rows = rows.where(col(Variant.title).contains(query.strip(), autoescape=True))
    found = session.exec(rows.order_by(col(Variant.id).desc()).limit(max(1, min(limit, 500)))).all()
    return [PickRow(id=vid or 0, title=title, org_name=chain[owner]) for vid, title, owner in found]
