"""Removing a calendar slot: a slot staff marked posted (已发布) is history and stays; the refusal is clean."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, func, select

from studio.db.models import AuditEvent, CalendarSlot, PostMark
from studio.domain.clock import today_cn
from studio.errors import NotFound, ValidationError
from studio.services import calendar
from tests.workflow.test_flow import _approved_variant


def _posted_slot(world, *, posted: bool = True) -> int:
    variant = _approved_variant(world)
    loc = world.actor("loc_a")
    slot = calendar.place(world.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=variant.id)
    if posted:
        calendar.mark_posted(world.session, world.actor("staff_a"), slot.id)
    return slot.id


def _count(session: Session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_posted_slot_is_refused_in_chinese_and_kept(world):
    slot_id = _posted_slot(world)
    events = _count(world.session, AuditEvent)
    with pytest.raises(ValidationError) as error:
        calendar.remove(world.session, world.actor("loc_a"), slot_id)
    assert error.value.message_zh.startswith("该档期已有员工标记为已发布，不能删除")
    assert "posted" in error.value.message_en
    world.session.expire_all()
    assert world.session.get(CalendarSlot, slot_id) is not None
    assert _count(world.session, PostMark, PostMark.slot_id == slot_id) == 1
    assert _count(world.session, AuditEvent) == events  # nothing audited for a refused action


def test_unposted_slot_is_removed_and_audited(world):
    slot_id = _posted_slot(world, posted=False)
    calendar.remove(world.session, world.actor("loc_a"), slot_id)
    assert world.session.get(CalendarSlot, slot_id) is None
    last = world.session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "calendar.remove" and last.subject == f"slot:{slot_id}"


def test_mark_arriving_after_the_check_is_refused_by_the_foreign_key(world, engine, monkeypatch):
    """Staff commit their mark between remove's check and its delete: still refused, nothing half-written."""
    slot_id = _posted_slot(world, posted=False)
    staff_id = world.actor("staff_a").user_id
    events = _count(world.session, AuditEvent)

    def stale_check(session: Session, sid: int) -> bool:
        with Session(engine) as other:  # another connection: the staff member's request
            other.add(PostMark(slot_id=sid, user_id=staff_id))
            other.commit()
        return False

    monkeypatch.setattr(calendar, "_has_post_marks", stale_check)
    with pytest.raises(ValidationError) as error:
        calendar.remove(world.session, world.actor("loc_a"), slot_id)
    assert "不能删除" in error.value.message_zh
    world.session.expire_all()
    assert world.session.get(CalendarSlot, slot_id) is not None
    assert _count(world.session, AuditEvent) == events


def test_remove_and_mark_race_in_two_threads(world, engine):
    """One localiser removes while one staff member marks: exactly one of them wins, both states consistent."""
    slot_id = _posted_slot(world, posted=False)
    loc, staff = world.actor("loc_a"), world.actor("staff_a")
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def run(name, call):  # type: ignore[no-untyped-def]
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=30)
            try:
                call(session)
                outcome[name] = "ok"
            except (ValidationError, NotFound) as error:
                outcome[name] = type(error).__name__
            except Exception as error:  # noqa: BLE001 - any other error is the bug under test
                outcome[name] = repr(error)

    threads = [
        threading.Thread(target=run, args=("remove", lambda s: calendar.remove(s, loc, slot_id))),
        threading.Thread(target=run, args=("mark", lambda s: calendar.mark_posted(s, staff, slot_id))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    world.session.expire_all()
    slot = world.session.get(CalendarSlot, slot_id)
    marks = _count(world.session, PostMark, PostMark.slot_id == slot_id)
    if slot is None:
        assert outcome == {"remove": "ok", "mark": "NotFound"} and marks == 0
    else:
        assert outcome == {"remove": "ValidationError", "mark": "ok"} and marks == 1


def test_posted_slot_ids_lists_only_the_orgs_posted_slots(world):
    posted = _posted_slot(world)
    loc = world.actor("loc_a")
    assert calendar.posted_slot_ids(world.session, loc, loc.org_id, [posted, posted + 1]) == {posted}
    assert calendar.posted_slot_ids(world.session, loc, loc.org_id, []) == set()
