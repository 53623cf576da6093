"""HQ dashboard figures from real actions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from studio.domain.clock import today_cn
from studio.domain.enums import ContentType, Decision
from studio.errors import PermissionDenied
from studio.services import calendar, variants
from studio.services.dashboard import adoption_page, dashboard
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now


def test_adoption_mix_backlog(world):
    t = create_template(
        world.session,
        world.actor("editor"),
        TemplateDraft(title="问候", body="{{ branch_name }}祝您平安。", content_type="culture"),
    )
    decide_now(world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    loc = world.actor("loc_a")
    v = variants.localise(world.session, loc, t.version_id, {"branch_name": "章贡"})
    decide_now(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    today = today_cn()
    slot = calendar.place(world.session, loc, org_id=loc.org_id, day=today, variant_id=v.id)
    calendar.place(world.session, loc, org_id=loc.org_id, day=today + timedelta(days=1), variant_id=v.id)
    calendar.mark_posted(world.session, world.actor("staff_a"), slot.id)
    variants.localise(world.session, loc, t.version_id, {"branch_name": "待审"})  # waits in the queue

    data = dashboard(world.session, world.actor("editor"), f"{today:%Y-%m}", today)
    branches = adoption_page(world.session, world.actor("editor"), f"{today:%Y-%m}", today).rows
    row = next(r for r in branches if r.branch == "章贡支行")
    assert (row.slots, row.posted, row.share) == (1, 1, 1.0)  # tomorrow's slot is not due yet
    assert next(r for r in branches if r.branch == "南康支行").slots == 0
    jx = next(r for r in data.by_bank if r.bank == "赣州分行")
    assert (jx.branches, jx.slots, jx.posted) == (2, 1, 1) and (data.due, data.posted) == (1, 1)
    assert data.mix.get(ContentType.CULTURE, 0) >= 1 and all(type(k) is ContentType for k in data.mix)
    assert [(b.min_hours, b.max_hours, b.count) for b in data.backlog_by_age] == [
        (0, 24, 1),
        (24, 72, 0),
        (72, None, 0),
    ]
    assert [(o.org_id, o.org_name, o.waiting) for o in data.backlog_by_org] == [(loc.org_id, "章贡支行", 1)]
    with pytest.raises(PermissionDenied):
        dashboard(world.session, world.actor("staff_a"), f"{today:%Y-%m}", today)
