"""内容日历: a slot staff marked posted is not offered for removal; the others still are."""

from __future__ import annotations

from studio.domain.clock import today_cn
from studio.services import calendar
from tests.ui.conftest import by_label, login
from tests.workflow.test_flow import _approved_variant


def test_posted_slot_is_not_offered_for_removal(app_world):
    loc = app_world.actor("loc_a")
    slots = []
    for _ in range(2):
        variant = _approved_variant(app_world)
        slots.append(
            calendar.place(
                app_world.session,
                loc,
                org_id=loc.org_id,
                day=today_cn(),
                variant_id=variant.id,
                time_of_day="09:00",
            )
        )
    calendar.mark_posted(app_world.session, app_world.actor("staff_a"), slots[0].id)

    at = login("loc_a")
    at.switch_page("studio/pages/content_calendar.py").run()
    assert not at.exception, at.exception
    assert any("已有员工标记为已发布" in c.value and "不能移除" in c.value for c in at.caption)
    choice = by_label(at.selectbox, "排期")
    assert choice.options == [f"{today_cn():%m-%d} 09:00 {slots[1].title}"]
    assert choice.value == slots[1].id
    by_label(at.button, "移除").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    app_world.session.expire_all()
    assert calendar.posted_slot_ids(app_world.session, loc, loc.org_id, [s.id for s in slots]) == {
        slots[0].id
    }
    from studio.db.models import CalendarSlot

    assert app_world.session.get(CalendarSlot, slots[1].id) is None
    assert app_world.session.get(CalendarSlot, slots[0].id) is not None
