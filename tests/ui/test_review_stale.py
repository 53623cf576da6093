"""AppTest: a reviewer whose item changed after the page was drawn is told so and approves nothing."""

from __future__ import annotations

from sqlmodel import select

from studio.db.models import Review
from studio.domain.enums import Decision, ReviewState
from studio.services import variants
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now
from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts

DRAFT = TemplateDraft(
    title="周末问候", body="{{ city }}的朋友们，{{ branch_name }}祝您周末愉快！", channel="group"
)
STALE = "内容已更新，请重新审阅。"


def _submitted(w):  # type: ignore[no-untyped-def]
    t = create_template(w.session, w.actor("editor"), DRAFT)
    decide_now(w.session, w.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    return variants.localise(
        w.session, w.actor("loc_a"), t.version_id, {"city": "赣州", "branch_name": "章贡支行"}
    )


def _resubmit(w, v):  # type: ignore[no-untyped-def]
    return variants.update_variant(
        w.session,
        w.actor("loc_a"),
        v.id,
        {"city": "赣州", "branch_name": "新城支行"},
        expected_lock_version=v.lock_version,
    )


def test_approving_text_that_changed_on_screen_shows_stale_message(app_world):
    w = app_world
    v = _submitted(w)
    at = login("reviewer")
    assert "待审核 1 条" in _texts(at)
    edited = _resubmit(w, v)  # the maker edits while the reviewer looks at the old text
    by_label(at.button, "通过").click().run()
    assert not at.exception, at.exception
    assert STALE in _texts(at)
    w.session.expire_all()
    assert w.session.exec(select(Review).where(Review.subject_type == "variant")).all() == []
    # After the rerun the page shows the new submission; approving that works.
    assert "待审核 1 条" in _texts(at)
    by_label(at.button, "通过").click().run()
    assert "已通过" in _texts(at)
    states = {x.id: x.state for x in variants.list_variants(w.session, w.actor("reviewer"))}
    assert states[edited.id] == ReviewState.APPROVED and v.id not in states


def test_batch_approval_skips_text_that_changed_on_screen(app_world):
    w = app_world
    v = _submitted(w)
    at = login("reviewer")
    for cb in at.checkbox:
        cb.check()
    _resubmit(w, v)
    by_label(at.button, "批量通过所选").click().run()
    assert not at.exception, at.exception
    assert STALE in _texts(at) and "已批量处理 0 条" in _texts(at)
    w.session.expire_all()
    assert w.session.exec(select(Review).where(Review.subject_type == "variant")).all() == []
