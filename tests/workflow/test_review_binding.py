"""A decision binds to exactly the version the reviewer saw (issue 10): stale text, races, dual approval.

Each race runs 20 tries with real threads and their own sessions (connections) on SQLite and PostgreSQL,
and asserts zero bad outcomes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from studio.db.models import Review, TemplateVersion, Variant
from studio.domain.enums import Decision, ReviewState, Verdict
from studio.errors import Conflict, PermissionDenied
from studio.services import reviews, variants
from studio.services.rules import check
from studio.services.templates import TemplateDraft, create_template, update_template
from tests.conftest import decide_now

TRIES = 20
GENERAL = TemplateDraft(
    title="网点活动",
    channel="moments",
    body="{{ branch_name }}：{{ intro }}",
    slots=[
        {
            "name": "intro",
            "label": "活动介绍",
            "editable_region": True,
            "max_length": 200,
            "default": "本周六上午举办防诈骗讲座，欢迎街坊邻居来坐坐。",
            "required": True,
        }
    ],
)
WEALTH = TemplateDraft(
    title="理财入门",
    content_type="knowledge",
    product_type="wealth",
    channel="moments",
    body="{{ branch_name }}小课堂：买理财前先看风险等级，选与自己风险承受能力相匹配的产品。"
    "理财非存款、产品有风险、投资须谨慎。",
)
CLEAN = {"branch_name": "章贡支行", "intro": "本周六上午举办防诈骗讲座，欢迎街坊邻居来坐坐。"}
BLOCKING = {"branch_name": "章贡支行", "intro": "本周理财保本保息，稳赚不赔，零风险！"}


def _approved_template(world, draft: TemplateDraft = GENERAL):  # type: ignore[no-untyped-def]
    t = create_template(world.session, world.actor("editor"), draft)
    for reviewer in ("reviewer", "reviewer2"):
        if (
            decide_now(
                world.session, world.actor(reviewer), "template_version", t.version_id, Decision.APPROVE
            )
            == ReviewState.APPROVED
        ):
            break
    return t


def _race(*jobs: Callable[[], str]) -> list[str]:
    """Run the jobs at the same instant in threads; each returns an outcome label."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], str]) -> None:
        barrier.wait()
        try:
            outcomes.append(job())
        except BaseException as error:  # noqa: BLE001 - reported below, the test fails on any
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return outcomes


def _approver(
    engine,
    actor,
    subject_type: str,
    subject_id: int,
    seen,
    *,  # type: ignore[no-untyped-def]
    refused: tuple[type[Exception], ...] = (),
) -> Callable[[], str]:
    """A reviewer in their own session approving the version they saw; `refused` errors become labels."""

    def job() -> str:
        with Session(engine, expire_on_commit=False) as s:
            try:
                return reviews.decide(s, actor, subject_type, subject_id, Decision.APPROVE, seen=seen)
            except refused as error:
                return f"refused:{getattr(error, 'message_zh', '')}"

    return job


def _editor(engine, actor, variant, values) -> Callable[[], str]:  # type: ignore[no-untyped-def]
    """The maker in their own session editing the variant version they loaded."""

    def job() -> str:
        with Session(engine, expire_on_commit=False) as s:
            try:
                return variants.update_variant(
                    s, actor, variant.id, values, expected_lock_version=variant.lock_version
                ).state
            except Conflict:
                return "edit-conflict"

    return job


def test_stale_decision_is_refused_after_the_maker_resubmits(world):
    t = _approved_template(world)
    loc, reviewer = world.actor("loc_a"), world.actor("reviewer")
    v = variants.localise(world.session, loc, t.version_id, CLEAN)
    shown = next(i for i in reviews.queue_page(world.session, reviewer).rows if i.subject_id == v.id)
    edited = variants.update_variant(
        world.session,
        loc,
        v.id,
        {**CLEAN, "intro": "周六讲座改到周日上午。"},
        expected_lock_version=v.lock_version,
    )
    with pytest.raises(Conflict) as error:
        reviews.decide(world.session, reviewer, "variant", v.id, Decision.APPROVE, seen=shown.seen)
    assert error.value.message_zh == "内容已更新，请重新审阅。"
    # The edit is a new submission; the old one is history with the text it was sent with.
    assert edited.id != v.id and edited.state == ReviewState.SUBMITTED
    old = world.session.get(Variant, v.id)
    world.session.refresh(old)
    assert old.state == ReviewState.SUPERSEDED and old.text == v.text
    assert world.session.exec(select(Review).where(Review.subject_type == "variant")).all() == []
    # The reviewer sees the new text in the queue and decides that.
    assert edited.id in {i.subject_id for i in reviews.queue_page(world.session, reviewer).rows}
    fresh = reviews.item_detail(world.session, reviewer, "variant", edited.id)
    assert "周日上午" in fresh.text
    assert (
        reviews.decide(world.session, reviewer, "variant", edited.id, Decision.APPROVE, seen=fresh.seen)
        == ReviewState.APPROVED
    )
    assert v.id not in {i.subject_id for i in reviews.queue_page(world.session, reviewer).rows}


def test_a_seen_version_with_a_wrong_digest_is_refused(world):
    t = _approved_template(world)
    v = variants.localise(world.session, world.actor("loc_a"), t.version_id, CLEAN)
    seen = reviews.current_version(world.session, world.actor("reviewer"), "variant", v.id)
    forged = seen.model_copy(update={"digest": "0" * 64})
    with pytest.raises(Conflict, match="stale"):
        reviews.decide(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE, seen=forged)


def test_text_changed_behind_the_app_is_never_approved(world):
    """Someone with database access swaps the text but leaves digest and lock: the decision refuses."""
    t = _approved_template(world)
    v = variants.localise(world.session, world.actor("loc_a"), t.version_id, CLEAN)
    seen = reviews.current_version(world.session, world.actor("reviewer"), "variant", v.id)
    world.session.execute(
        text("UPDATE variant SET text = :t WHERE id = :id"), {"t": "保本保息，稳赚不赔", "id": v.id}
    )
    world.session.commit()
    with pytest.raises(Conflict):
        reviews.decide(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE, seen=seen)
    world.session.expire_all()
    assert world.session.get(Variant, v.id).state == ReviewState.SUBMITTED


def test_editing_a_template_supersedes_its_waiting_version(world):
    editor, reviewer = world.actor("editor"), world.actor("reviewer")
    t = create_template(world.session, editor, GENERAL)
    shown = next(i for i in reviews.queue_page(world.session, reviewer).rows if i.subject_id == t.version_id)
    v2 = update_template(
        world.session,
        editor,
        t.id,
        GENERAL.model_copy(update={"title": "网点活动（新）"}),
        expected_lock_version=t.lock_version,
    )
    with pytest.raises(Conflict) as error:
        reviews.decide(
            world.session, reviewer, "template_version", t.version_id, Decision.APPROVE, seen=shown.seen
        )
    assert error.value.message_zh == "内容已更新，请重新审阅。"
    waiting = {i.subject_id for i in reviews.queue_page(world.session, reviewer).rows}
    assert t.version_id not in waiting and v2.version_id in waiting


def test_one_decision_per_reviewer_and_round_in_the_database(world):
    t = create_template(world.session, world.actor("editor"), WEALTH)
    reviewer = world.actor("reviewer")
    decide_now(world.session, reviewer, "template_version", t.version_id, Decision.APPROVE)
    first = world.session.exec(select(Review)).one()
    world.session.add(
        Review(
            subject_type="template_version",
            subject_id=t.version_id,
            reviewer_id=reviewer.user_id,
            decision="approve",
            ruleset=first.ruleset,
            subject_lock=first.subject_lock,
            content_digest=first.content_digest,
        )
    )
    with pytest.raises(IntegrityError):
        world.session.commit()
    world.session.rollback()


def test_maker_adds_blocking_text_while_reviewer_approves(world, engine):
    """Never ends approved with blocking text: either the approval of the clean text lands first (the edit
    then becomes a new submission), or the edit does and the reviewer is told the content changed."""
    t = _approved_template(world)
    loc, reviewer = world.actor("loc_a"), world.actor("reviewer")
    tally = {"approved_first": 0, "edited_first": 0}
    for _ in range(TRIES):
        v = variants.localise(world.session, loc, t.version_id, CLEAN)
        seen = reviews.current_version(world.session, reviewer, "variant", v.id)
        outcomes = _race(
            _approver(engine, reviewer, "variant", v.id, seen, refused=(Conflict,)),
            _editor(engine, loc, v, BLOCKING),
        )
        assert set(outcomes) <= {"approved", "submitted", "edit-conflict", "refused:内容已更新，请重新审阅。"}
        tally["approved_first" if "approved" in outcomes else "edited_first"] += 1
        world.session.expire_all()
        for row in world.session.exec(select(Variant).where(Variant.state == ReviewState.APPROVED.value)):
            verdict = check(world.session, row.text, "general", "moments").verdict
            assert verdict is not Verdict.BLOCK, row.text
            assert "稳赚" not in row.text
        assert (
            world.session.exec(
                select(Variant).where(Variant.state == "approved", Variant.verdict == "block")
            ).all()
            == []
        )
    assert sum(tally.values()) == TRIES


def test_two_reviewers_approving_a_wealth_item_at_once_complete_it(world, engine):
    """Dual approval: the second of two concurrent approvals completes it; never two "first" approvals."""
    t = _approved_template(world, WEALTH)
    loc = world.actor("loc_a")
    actors = [world.actor("reviewer"), world.actor("reviewer2")]
    for _ in range(TRIES):
        v = variants.localise(world.session, loc, t.version_id, {"branch_name": "章贡支行"})
        assert v.state == ReviewState.SUBMITTED
        seen = reviews.current_version(world.session, actors[0], "variant", v.id)
        outcomes = _race(*(_approver(engine, a, "variant", v.id, seen) for a in actors))
        assert sorted(outcomes) == ["approved", "submitted"]
        world.session.expire_all()
        assert world.session.get(Variant, v.id).state == ReviewState.APPROVED
        approvals = world.session.exec(
            select(Review).where(Review.subject_type == "variant", Review.subject_id == v.id)
        ).all()
        assert sorted(r.reviewer_id for r in approvals) == sorted(a.user_id for a in actors)


def test_double_click_records_one_approval(world, engine):
    t = _approved_template(world, WEALTH)
    loc, reviewer = world.actor("loc_a"), world.actor("reviewer")
    for _ in range(TRIES):
        v = variants.localise(world.session, loc, t.version_id, {"branch_name": "章贡支行"})
        seen = reviews.current_version(world.session, reviewer, "variant", v.id)
        click = _approver(engine, reviewer, "variant", v.id, seen, refused=(PermissionDenied, Conflict))
        outcomes = sorted(_race(click, click))
        assert outcomes[0].startswith("refused:") and outcomes[1] == "submitted", outcomes
        world.session.expire_all()
        assert (
            len(
                world.session.exec(
                    select(Review).where(Review.subject_type == "variant", Review.subject_id == v.id)
                ).all()
            )
            == 1
        )
        assert world.session.get(Variant, v.id).state == ReviewState.SUBMITTED


def test_template_version_rounds_hold_under_a_race(world, engine):
    """Two reviewers on one HQ wealth template version at once: approved once, by both."""
    editor = world.actor("editor")
    actors = [world.actor("reviewer"), world.actor("reviewer2")]
    for n in range(TRIES // 2):
        t = create_template(world.session, editor, WEALTH.model_copy(update={"title": f"理财入门{n}"}))
        seen = reviews.current_version(world.session, actors[0], "template_version", t.version_id)
        outcomes = _race(*(_approver(engine, a, "template_version", t.version_id, seen) for a in actors))
        assert sorted(outcomes) == ["approved", "submitted"]
        world.session.expire_all()
        assert world.session.get(TemplateVersion, t.version_id).state == ReviewState.APPROVED
