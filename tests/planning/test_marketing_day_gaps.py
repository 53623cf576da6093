"""A marketing day (双11) without content is a gap on 内容日历 and 看板, as in the planner and 节日日历.

Regression: the month view and the dashboard once kept their own copy of the postable occasion kinds,
without marketing days, so a missing 双11 post never showed as a gap on either page.
"""

from __future__ import annotations

from datetime import date

from studio.domain.enums import Decision
from studio.occasions import occasions_between
from studio.planning.planner import propose
from studio.services import calendar, variants
from studio.services.dashboard import dashboard
from studio.services.month_view import month_view
from studio.services.occasion_calendar import overview
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now

NOVEMBER = "2026-11"
DOUBLE_11 = date(2026, 11, 11)


def _double_11_variant(world):  # type: ignore[no-untyped-def]
    draft = TemplateDraft(
        title="双11 理财提醒",
        body="{{ branch_name }}提醒您：双11 理性消费，守护好钱袋子。",
        occasion_kind="marketing_day",
        occasion="双11",
    )
    template = create_template(world.session, world.actor("editor"), draft)
    decide_now(
        world.session, world.actor("reviewer"), "template_version", template.version_id, Decision.APPROVE
    )
    variant = variants.localise(
        world.session, world.actor("loc_a"), template.version_id, {"branch_name": "章贡"}
    )
    decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)
    return variant


def test_missing_double_11_is_a_gap_on_the_month_view(world):  # type: ignore[no-untyped-def]
    loc = world.actor("loc_a")
    assert "双11" in month_view(world.session, loc, loc.org_id, NOVEMBER).occasion_gaps
    variant = _double_11_variant(world)
    calendar.place(world.session, loc, org_id=loc.org_id, day=DOUBLE_11, variant_id=variant.id)
    assert "双11" not in month_view(world.session, loc, loc.org_id, NOVEMBER).occasion_gaps


def test_missing_double_11_is_a_gap_on_the_dashboard(world):  # type: ignore[no-untyped-def]
    editor, loc = world.actor("editor"), world.actor("loc_a")
    gaps = dashboard(world.session, editor, NOVEMBER, date(2026, 11, 30)).occasion_gaps
    assert gaps["双11"] == 3  # every branch in scope: 章贡, 南康, 秀峰
    variant = _double_11_variant(world)
    calendar.place(world.session, loc, org_id=loc.org_id, day=DOUBLE_11, variant_id=variant.id)
    assert dashboard(world.session, editor, NOVEMBER, date(2026, 11, 30)).occasion_gaps["双11"] == 2


def test_every_view_agrees_that_double_11_wants_a_post(world):  # type: ignore[no-untyped-def]
    """The planner and 节日日历 report the same gap the two pages now report."""
    occasions = occasions_between(date(2026, 11, 1), date(2026, 11, 30), province="江西").items
    plan = propose("JX-A", NOVEMBER, [], list(occasions), province="江西")
    assert any(g.occasion == "双11" for g in plan.gaps)
    rows = overview(world.session, world.actor("editor"), date(2026, 11, 1), date(2026, 11, 30), "江西").rows
    assert next(r for r in rows if r.name == "双11").gap == "双11：江西暂无已审核通过的内容"
