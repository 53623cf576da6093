"""Two people editing or deciding the same record at once: the second gets a clear conflict, nothing lost."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from studio.domain.enums import Decision, ReviewState
from studio.errors import Conflict
from studio.services import reviews, variants
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now

DRAFT = TemplateDraft(
    title="问候", body="{{ city }}的朋友们好，{{ branch_name }}祝您周末愉快。", channel="group"
)


def _submitted_variant(world):
    template = create_template(world.session, world.actor("editor"), DRAFT)
    decide_now(
        world.session, world.actor("reviewer"), "template_version", template.version_id, Decision.APPROVE
    )
    return variants.localise(
        world.session, world.actor("loc_a"), template.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )


def test_stale_edit_gets_conflict_and_first_edit_survives(world):
    variant = _submitted_variant(world)
    loc = world.actor("loc_a")
    first = variants.update_variant(
        world.session,
        loc,
        variant.id,
        {"city": "赣州", "branch_name": "第一位"},
        expected_lock_version=variant.lock_version,
    )
    with pytest.raises(Conflict) as error:
        variants.update_variant(
            world.session,
            loc,
            variant.id,
            {"city": "赣州", "branch_name": "第二位"},
            expected_lock_version=variant.lock_version,
        )
    assert "已被他人修改" in error.value.message_zh
    # The edit of a submission is a new submission; the one it superseded keeps the text it was sent with.
    assert "第一位" in variants.get_variant(world.session, loc, first.id).text
    assert variants.get_variant(world.session, loc, variant.id).text == variant.text


def test_two_sessions_race_on_one_variant(world, engine):
    """Both sessions read the same version, then write at once: exactly one wins."""
    variant = _submitted_variant(world)
    loc = world.actor("loc_a")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(name: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                new = variants.update_variant(
                    session,
                    loc,
                    variant.id,
                    {"city": "赣州", "branch_name": name},
                    expected_lock_version=variant.lock_version,
                )
                outcomes.append(f"ok:{name}:{new.id}")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("甲支行", "乙支行")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    _, winner, new_id = next(o.split(":") for o in outcomes if o.startswith("ok"))
    world.session.expire_all()
    assert winner in variants.get_variant(world.session, loc, int(new_id)).text
    assert variants.get_variant(world.session, loc, variant.id).state == ReviewState.SUPERSEDED


def test_two_reviewers_race_on_one_item(world, engine):
    variant = _submitted_variant(world)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    actors = {name: world.actor(name) for name in ("reviewer", "reviewer2")}
    seen = reviews.current_version(world.session, actors["reviewer"], "variant", variant.id)

    def decide(username: str, decision: Decision) -> None:
        actor = actors[username]
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                reviews.decide(session, actor, "variant", variant.id, decision, "原因", seen=seen)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

    threads = [
        threading.Thread(target=decide, args=("reviewer", Decision.APPROVE)),
        threading.Thread(target=decide, args=("reviewer2", Decision.REJECT)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    world.session.expire_all()
    state = variants.get_variant(world.session, world.actor("loc_a"), variant.id).state
    assert state in (ReviewState.APPROVED, ReviewState.REJECTED)
