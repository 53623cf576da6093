"""The foundation's end-to-end path through the services, and the refusals along it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from studio.domain.clock import today_cn
from studio.domain.enums import Decision, ReviewState, Verdict
from studio.errors import PermissionDenied, ValidationError
from studio.services import calendar, reviews, variants
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now

GREETING = TemplateDraft(
    title="冬至问候",
    body="{{ city }}的朋友们，冬至到了，{{ branch_name }}祝您阖家团圆！天冷添衣，出行注意安全。",
    occasion_kind="solar_term",
    occasion="冬至",
    content_type="culture",
    persona="expert",
    channel="moments",
)


def _approved_template(world):
    editor, reviewer = world.actor("editor"), world.actor("reviewer")
    template = create_template(world.session, editor, GREETING)
    decide_now(world.session, reviewer, "template_version", template.version_id, Decision.APPROVE)
    return template


def _approved_variant(world, localiser="loc_a"):
    template = _approved_template(world)
    loc = world.actor(localiser)
    variant = variants.localise(
        world.session, loc, template.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )
    decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)
    return variant


def test_template_to_staff_today(world):
    template = _approved_template(world)
    loc = world.actor("loc_a")
    variant = variants.localise(
        world.session, loc, template.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )
    assert variant.state == ReviewState.SUBMITTED
    assert "赣州的朋友们" in variant.text
    staff = world.actor("staff_a")
    today = today_cn()
    assert calendar.todays_content(world.session, staff, today) == []

    decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)
    calendar.place(
        world.session, loc, org_id=loc.org_id, day=today, variant_id=variant.id, time_of_day="08:30"
    )
    posts = calendar.todays_content(world.session, staff, today)
    assert [p.text for p in posts] == [variant.text]
    assert posts[0].occasion == "冬至"
    calendar.mark_posted(world.session, staff, posts[0].slot_id)
    assert calendar.todays_content(world.session, staff, today)[0].posted
    # Staff of another branch see nothing of it.
    assert calendar.todays_content(world.session, world.actor("staff_b"), today) == []


def test_branch_cannot_read_or_edit_another_branchs_variant(world):
    variant = _approved_variant(world)
    other = world.actor("loc_b")
    with pytest.raises(PermissionDenied):
        variants.get_variant(world.session, other, variant.id)
    with pytest.raises(PermissionDenied):
        variants.update_variant(
            world.session,
            other,
            variant.id,
            {"city": "x", "branch_name": "y"},
            expected_lock_version=variant.lock_version,
        )
    assert all(v.id != variant.id for v in variants.list_variants(world.session, other))
    # Its own bank's reviewer and HQ see it.
    assert variants.get_variant(world.session, world.actor("jx_reviewer"), variant.id).id == variant.id


def test_nobody_approves_their_own_submission(world):
    editor = world.actor("editor")
    template = create_template(world.session, editor, GREETING)
    # A reviewer who made the template is still its maker.
    with pytest.raises(PermissionDenied):
        decide_now(world.session, editor, "template_version", template.version_id, Decision.APPROVE)
    decide_now(
        world.session, world.actor("reviewer"), "template_version", template.version_id, Decision.APPROVE
    )


def test_reviewer_cannot_approve_own_variant(world):
    template = _approved_template(world)
    # Give the reviewer a variant they made: simulate by making them the maker of the row.
    loc = world.actor("loc_a")
    variant = variants.localise(
        world.session, loc, template.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )
    from studio.db.models import Variant

    row = world.session.get(Variant, variant.id)
    row.submitted_by = world.actor("reviewer").user_id
    world.session.commit()
    with pytest.raises(PermissionDenied):
        decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)


def test_staff_never_see_unapproved_content(world):
    template = _approved_template(world)
    loc = world.actor("loc_a")
    variant = variants.localise(
        world.session, loc, template.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )
    with pytest.raises(ValidationError):
        calendar.place(world.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=variant.id)
    assert calendar.todays_content(world.session, world.actor("staff_a"), today_cn()) == []


def test_withdrawn_after_placing_disappears_for_staff(world):
    variant = _approved_variant(world)
    loc = world.actor("loc_a")
    calendar.place(world.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=variant.id)
    from studio.db.models import Variant

    row = world.session.get(Variant, variant.id)
    row.state = ReviewState.EXPIRED.value
    world.session.commit()
    assert calendar.todays_content(world.session, world.actor("staff_a"), today_cn()) == []


def test_blocking_finding_cannot_be_approved(world):
    editor = world.actor("editor")
    bad = GREETING.model_copy(
        update={
            "title": "理财推荐",
            "body": "本行理财保本保息，稳赚不赔！",
            "product_type": "wealth",
            "content_type": "product",
        }
    )
    template = create_template(world.session, editor, bad)
    assert template.verdict == Verdict.BLOCK
    assert template.findings
    with pytest.raises(ValidationError):
        decide_now(
            world.session, world.actor("reviewer"), "template_version", template.version_id, Decision.APPROVE
        )
    decide_now(
        world.session,
        world.actor("reviewer"),
        "template_version",
        template.version_id,
        Decision.REJECT,
        "含保本承诺",
    )


def test_rejection_needs_a_reason_and_branch_sees_it(world):
    template = _approved_template(world)
    loc = world.actor("loc_a")
    variant = variants.localise(
        world.session, loc, template.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )
    with pytest.raises(ValidationError):
        decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.REJECT, "  ")
    decide_now(
        world.session, world.actor("reviewer"), "variant", variant.id, Decision.REJECT, "网点名称不规范"
    )
    seen = variants.get_variant(world.session, loc, variant.id)
    assert seen.state == ReviewState.REJECTED and seen.last_comment == "网点名称不规范"


def test_staff_cannot_edit_and_localiser_cannot_review(world):
    template = _approved_template(world)
    with pytest.raises(PermissionDenied):
        variants.localise(world.session, world.actor("staff_a"), template.version_id, {})
    with pytest.raises(PermissionDenied):
        create_template(world.session, world.actor("loc_a"), GREETING)
    with pytest.raises(PermissionDenied):
        reviews.queue_page(world.session, world.actor("loc_a"))


def test_daily_moments_cap(world):
    loc = world.actor("loc_a")
    day = today_cn() + timedelta(days=3)
    placed = []
    for i in range(4):
        variant = _approved_variant(world) if i == 0 else None
        if variant is None:
            t = create_template(
                world.session, world.actor("editor"), GREETING.model_copy(update={"title": f"冬至问候{i}"})
            )
            decide_now(
                world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE
            )
            variant = variants.localise(
                world.session, loc, t.version_id, {"city": "赣州", "branch_name": "章贡"}
            )
            decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)
        if i < 3:
            placed.append(
                calendar.place(world.session, loc, org_id=loc.org_id, day=day, variant_id=variant.id)
            )
        else:
            with pytest.raises(ValidationError):
                calendar.place(world.session, loc, org_id=loc.org_id, day=day, variant_id=variant.id)
    assert len(placed) == 3


def test_editing_approved_variant_keeps_it_live_until_replacement_approved(world):
    variant = _approved_variant(world)
    loc = world.actor("loc_a")
    staff = world.actor("staff_a")
    calendar.place(world.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=variant.id)
    current = variants.get_variant(world.session, loc, variant.id)
    replacement = variants.update_variant(
        world.session,
        loc,
        variant.id,
        {"city": "赣州", "branch_name": "新支行"},
        expected_lock_version=current.lock_version,
    )
    assert replacement.id != variant.id and replacement.state == ReviewState.SUBMITTED
    assert "章贡支行" in calendar.todays_content(world.session, staff, today_cn())[0].text
    decide_now(world.session, world.actor("reviewer"), "variant", replacement.id, Decision.APPROVE)
    assert "新支行" in calendar.todays_content(world.session, staff, today_cn())[0].text


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("occasion_kind", "bogus", "未知的标签"),
        ("channel", "telegram", "未知的标签"),
        ("title", "   ", "标题不能为空"),
        ("body", "{% if %}", "语法错误"),
        ("body", "字" * 301, "最多 300 字"),
    ],
)
def test_bad_template_input_is_refused_and_nothing_written(world, field, value, message):
    from sqlmodel import func, select

    from studio.db.models import AuditEvent, Template

    events = world.session.exec(select(func.count()).select_from(AuditEvent)).one()
    draft = GREETING.model_copy(update={"channel": "poster" if field == "body" else "moments", field: value})
    with pytest.raises(ValidationError) as error:
        create_template(world.session, world.actor("editor"), draft)
    assert message in error.value.message_zh
    assert world.session.exec(select(func.count()).select_from(Template)).one() == 0
    assert world.session.exec(select(func.count()).select_from(AuditEvent)).one() == events
