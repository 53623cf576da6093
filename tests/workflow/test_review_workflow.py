"""Every transition and refusal of the review workflow (issue 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from studio.db.models import ReviewPolicy, TemplateVersion, Variant
from studio.domain.clock import today_cn
from studio.domain.enums import Decision, ReviewState
from studio.errors import Conflict, PermissionDenied, ValidationError
from studio.services import calendar, reviews, variants
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now

GENERAL = TemplateDraft(
    title="周末问候", body="{{ city }}的朋友们，{{ branch_name }}祝您周末愉快！", channel="group"
)
WEALTH = TemplateDraft(
    title="理财入门",
    content_type="knowledge",
    product_type="wealth",
    channel="moments",
    body="{{ branch_name }}小课堂：买理财前先看风险等级，选与自己风险承受能力相匹配的产品。"
    "理财非存款、产品有风险、投资须谨慎。",
)
REGION = TemplateDraft(
    title="网点活动",
    channel="moments",
    body="{{ bank_name }}{{ branch_name }}：{{ intro }}",
    slots=[
        {
            "name": "intro",
            "label": "活动介绍",
            "editable_region": True,
            "max_length": 80,
            "default": "本周六上午举办防诈骗讲座，欢迎街坊邻居来坐坐。",
            "required": True,
        }
    ],
)
VALUES = {"city": "赣州", "branch_name": "章贡支行"}


def _approve_template(world, draft=GENERAL):
    t = create_template(world.session, world.actor("editor"), draft)
    for reviewer in ("reviewer", "reviewer2"):  # wealth needs two approvals
        state = decide_now(
            world.session, world.actor(reviewer), "template_version", t.version_id, Decision.APPROVE
        )
        if state == ReviewState.APPROVED:
            break
    return t


def _variant(world, draft=GENERAL, localiser="loc_a", values=VALUES):
    t = _approve_template(world, draft)
    return t, variants.localise(world.session, world.actor(localiser), t.version_id, values)


def test_request_changes_then_resubmit_then_approve(world):
    _, v = _variant(world)
    reviewer, loc = world.actor("reviewer"), world.actor("loc_a")
    assert (
        decide_now(world.session, reviewer, "variant", v.id, Decision.REQUEST_CHANGES, "请写全称")
        == ReviewState.CHANGES_REQUESTED
    )
    current = variants.get_variant(world.session, loc, v.id)
    again = variants.update_variant(
        world.session,
        loc,
        v.id,
        {"city": "赣州市", "branch_name": "章贡支行"},
        expected_lock_version=current.lock_version,
    )
    assert again.id == v.id and again.state == ReviewState.SUBMITTED
    assert decide_now(world.session, reviewer, "variant", v.id, Decision.APPROVE) == ReviewState.APPROVED


def test_deciding_twice_is_a_conflict(world):
    _, v = _variant(world)
    decide_now(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    with pytest.raises(Conflict):
        decide_now(world.session, world.actor("reviewer2"), "variant", v.id, Decision.REJECT, "迟到的驳回")


def test_wrong_org_reviewer_cannot_decide(world):
    _, v = _variant(world, localiser="loc_gx", values={"city": "桂林", "branch_name": "秀峰支行"})
    with pytest.raises(PermissionDenied):
        decide_now(world.session, world.actor("jx_reviewer"), "variant", v.id, Decision.APPROVE)
    assert all(
        i.subject_id != v.id for i in reviews.queue_page(world.session, world.actor("jx_reviewer")).rows
    )
    with pytest.raises(PermissionDenied):
        reviews.item_detail(world.session, world.actor("jx_reviewer"), "variant", v.id)


def test_bank_reviewer_cannot_review_hq_templates(world):
    t = create_template(world.session, world.actor("editor"), GENERAL)
    with pytest.raises(PermissionDenied):
        decide_now(
            world.session, world.actor("jx_reviewer"), "template_version", t.version_id, Decision.APPROVE
        )


def test_dual_approval_needs_two_different_reviewers(world):
    t = create_template(world.session, world.actor("editor"), WEALTH)
    assert t.verdict == "pass", t.findings
    first = decide_now(
        world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE
    )
    assert first == ReviewState.SUBMITTED
    rows = reviews.queue_page(world.session, world.actor("reviewer2")).rows
    item = next(i for i in rows if i.subject_id == t.version_id)
    assert (item.approvals, item.required_approvals) == (1, 2)
    with pytest.raises(PermissionDenied, match="another reviewer"):
        decide_now(world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    assert (
        decide_now(
            world.session, world.actor("reviewer2"), "template_version", t.version_id, Decision.APPROVE
        )
        == ReviewState.APPROVED
    )


def test_auto_approval_policy_records_which_policy(world):
    t = _approve_template(world)
    reviews.set_policy(world.session, world.actor("admin"), t.id, True)
    v = variants.localise(world.session, world.actor("loc_a"), t.version_id, VALUES)
    assert v.state == ReviewState.APPROVED
    history = reviews.thread(world.session, world.actor("loc_a"), "variant", v.id)
    assert (history[0].decision, history[0].author_name) == (Decision.APPROVE, None)
    assert history[0].policy_id is not None and history[0].policy_id in {
        p.id for p in world.session.exec(select(ReviewPolicy)).all()
    }


def test_policy_does_not_approve_edited_regions_or_findings(world):
    t = _approve_template(world, REGION)
    reviews.set_policy(world.session, world.actor("admin"), t.id, True)
    loc = world.actor("loc_a")
    untouched = variants.localise(
        world.session, loc, t.version_id, {"bank_name": "赣州农商行", "branch_name": "章贡"}
    )
    assert untouched.state == ReviewState.APPROVED
    rewritten = variants.localise(
        world.session,
        loc,
        t.version_id,
        {"bank_name": "赣州农商行", "branch_name": "章贡", "intro": "周日下午社区义诊。"},
    )
    assert rewritten.state == ReviewState.SUBMITTED


def test_only_admin_sets_policies(world):
    t = _approve_template(world)
    for who in ("editor", "reviewer", "loc_a"):
        with pytest.raises(PermissionDenied):
            reviews.set_policy(world.session, world.actor(who), t.id, True)


def test_editable_region_length_is_enforced(world):
    t = _approve_template(world, REGION)
    with pytest.raises(ValidationError, match="longer"):
        variants.localise(
            world.session,
            world.actor("loc_a"),
            t.version_id,
            {"bank_name": "赣州", "branch_name": "章贡", "intro": "长" * 81},
        )


def test_branch_inherits_bank_variant_and_bank_slots_are_locked(world, session):
    from studio.db.models import User
    from studio.domain.enums import Role
    from tests.conftest import password_hash

    bank_org = world.actor("jx_reviewer").org_id
    session.add(
        User(
            username="loc_bank",
            display_name="分行本地化",
            password_hash=password_hash(),
            role=Role.BRANCH_LOCALISER.value,
            org_id=bank_org,
        )
    )
    session.commit()
    t = _approve_template(world, REGION)
    bank_variant = variants.localise(
        world.session,
        world.actor("loc_bank"),
        t.version_id,
        {"bank_name": "赣州农商银行", "branch_name": "全辖网点"},
    )
    decide_now(world.session, world.actor("reviewer"), "variant", bank_variant.id, Decision.APPROVE)
    loc = world.actor("loc_a")
    form = variants.localisation_form(world.session, loc, t.version_id)
    assert form.inherited["bank_name"] == "赣州农商银行" and form.locked == {"bank_name"}
    assert form.parent_org == "赣州分行"
    with pytest.raises(ValidationError, match="parent org"):
        variants.localise(
            world.session, loc, t.version_id, {"bank_name": "别的银行", "branch_name": "章贡支行"}
        )
    child = variants.localise(world.session, loc, t.version_id, {"branch_name": "章贡支行"})
    assert child.text.startswith("赣州农商银行章贡支行")
    # The diff shown to the reviewer is against the bank's approved text.
    assert child.id in {i.subject_id for i in reviews.queue_page(world.session, world.actor("reviewer")).rows}
    item = reviews.item_detail(world.session, world.actor("reviewer"), "variant", child.id)
    assert item.parent_text == bank_variant.text
    assert ("insert", "章贡支行") in item.diff or any(op != "equal" for op, _ in item.diff)


def test_withdraw_removes_content_from_calendars(world):
    _, v = _variant(world)
    decide_now(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    loc = world.actor("loc_a")
    calendar.place(world.session, loc, org_id=loc.org_id, day=today_cn(), variant_id=v.id)
    with pytest.raises(ValidationError):
        reviews.withdraw(world.session, loc, v.id, " ")
    with pytest.raises(PermissionDenied):
        reviews.withdraw(world.session, world.actor("staff_a"), v.id, "x")
    reviews.withdraw(world.session, world.actor("reviewer"), v.id, "产品已下架")
    assert calendar.todays_content(world.session, world.actor("staff_a"), today_cn()) == []
    assert variants.get_variant(world.session, loc, v.id).state == ReviewState.WITHDRAWN


def test_expiry_by_validity_and_reapproval_period(world):
    hot = GENERAL.model_copy(
        update={
            "title": "寒潮提醒",
            "occasion_kind": "hot_topic",
            "valid_from": date(2026, 1, 1),
            "valid_to": date(2026, 1, 10),
        }
    )
    _, short = _variant(world, hot)
    decide_now(world.session, world.actor("reviewer"), "variant", short.id, Decision.APPROVE)
    _, product = _variant(world, WEALTH, values={"branch_name": "章贡支行"})
    for r in ("reviewer", "reviewer2"):
        decide_now(world.session, world.actor(r), "variant", product.id, Decision.APPROVE)
    _, forever = _variant(world)
    decide_now(world.session, world.actor("reviewer"), "variant", forever.id, Decision.APPROVE)

    assert reviews.expire_due(world.session, world.actor("admin"), date(2026, 1, 10)) == 0
    assert reviews.expire_due(world.session, world.actor("admin"), date(2026, 1, 11)) >= 1
    state = {v.id: v.state for v in world.session.query(Variant).all()}
    assert state[short.id] == "expired" and state[product.id] == "approved"
    later = today_cn() + timedelta(days=181)
    reviews.expire_due(world.session, world.actor("admin"), later)
    world.session.expire_all()
    state = {v.id: v.state for v in world.session.query(Variant).all()}
    assert state[product.id] == "expired" and state[forever.id] == "approved"
    assert world.session.query(TemplateVersion).filter_by(title="寒潮提醒").one().state == "expired"


def test_batch_approve_only_clean_items_and_queue_filters(world):
    t = _approve_template(world)
    loc = world.actor("loc_a")
    ids = [variants.localise(world.session, loc, t.version_id, VALUES).id for _ in range(3)]
    reviewer = world.actor("reviewer")
    own_org = [i for i in reviews.queue_page(world.session, reviewer, org_id=loc.org_id).rows]
    assert {i.subject_id for i in own_org} == set(ids)
    assert reviews.queue_page(world.session, reviewer, product_type="loan").rows == []
    assert reviews.queue_page(world.session, reviewer, min_age_hours=1).rows == []
    seen = {i.subject_id: i.seen for i in own_org}
    result = reviews.batch_approve(
        world.session, reviewer, [("variant", ids[0], seen[ids[0]]), ("variant", ids[1], seen[ids[1]])]
    )
    assert (result.approved, result.skipped) == (2, [])
    left = reviews.queue_page(world.session, reviewer, org_id=loc.org_id)
    assert [i.subject_id for i in left.rows] == [ids[2]] and left.total == 1


def test_comment_thread_is_scoped(world):
    _, v = _variant(world)
    reviews.add_comment(world.session, world.actor("reviewer"), "variant", v.id, "标题能否更亲切一些？")
    reviews.add_comment(world.session, world.actor("loc_a"), "variant", v.id, "好的，我改一下。")
    thread = reviews.thread(world.session, world.actor("loc_a"), "variant", v.id)
    assert [(e.text, e.decision, e.author_name) for e in thread] == [
        ("标题能否更亲切一些？", None, world.actor("reviewer").display_name),
        ("好的，我改一下。", None, world.actor("loc_a").display_name),
    ]
    assert thread[0].at <= thread[1].at and thread[0].at.tzinfo is not None
    with pytest.raises(PermissionDenied):
        reviews.thread(world.session, world.actor("loc_b"), "variant", v.id)
    with pytest.raises(ValidationError):
        reviews.add_comment(world.session, world.actor("reviewer"), "variant", v.id, "   ")


def test_template_service_refuses_codes_with_path_characters(world):
    for bad in ("../x", "a/b", "A", "x"):
        with pytest.raises(ValidationError, match="template code"):
            create_template(world.session, world.actor("editor"), GENERAL.model_copy(update={"code": bad}))
