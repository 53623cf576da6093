"""AppTest: an admin turns on a template's auto-approval policy; a reviewer withdraws approved content."""

from __future__ import annotations

from studio.domain.enums import Decision, ReviewState
from studio.services import variants
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now
from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts

DRAFT = TemplateDraft(
    title="周末问候", body="{{ city }}的朋友们，{{ branch_name }}祝您周末愉快！", channel="group"
)


def _approved_template(w):
    t = create_template(w.session, w.actor("editor"), DRAFT)
    decide_now(w.session, w.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    return t


def test_admin_sets_auto_approval_policy(app_world):
    w = app_world
    t = _approved_template(w)
    at = login("admin")
    at.tabs[3].toggle[0].set_value(True).run()
    by_label(at.button, "保存策略").click().run()
    assert not at.exception, at.exception
    assert "已开启自动通过：周末问候" in _texts(at)
    v = variants.localise(w.session, w.actor("loc_a"), t.version_id, {"city": "赣州", "branch_name": "章贡"})
    assert v.state == ReviewState.APPROVED


def test_reviewer_withdraws_approved_content(app_world):
    w = app_world
    t = _approved_template(w)
    v = variants.localise(w.session, w.actor("loc_a"), t.version_id, {"city": "赣州", "branch_name": "章贡"})
    decide_now(w.session, w.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    at = login("reviewer")
    by_label(at.button, "撤回").click().run()
    assert "撤回时必须填写原因" in _texts(at)
    by_label(at.text_input, "撤回原因").input("活动取消")
    by_label(at.button, "撤回").click().run()
    assert not at.exception, at.exception
    assert "已撤回" in _texts(at)
    assert variants.get_variant(w.session, w.actor("loc_a"), v.id).state == ReviewState.WITHDRAWN
