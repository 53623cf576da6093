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


def test_policy_picker_is_searched_and_paged_not_the_whole_library(app_world):
    w = app_world
    from studio.services.templates import PAGE_SIZE

    for n in range(PAGE_SIZE + 3):  # more approved templates than one page of the picker
        draft = DRAFT.model_copy(
            update={"title": f"节日祝福{n}", "body": f"第{n}条：{{{{ branch_name }}}}祝您节日快乐！"}
        )
        decide_now(
            w.session,
            w.actor("reviewer"),
            "template_version",
            create_template(w.session, w.actor("editor"), draft).version_id,
            Decision.APPROVE,
        )
    target = _approved_template(w)
    at = login("admin")
    picker = by_label(at.selectbox, "模板")
    assert len(picker.options) == PAGE_SIZE
    assert any("显示最相关的" in c.value for c in at.caption)
    by_label(at.text_input, "搜索已通过的模板（标题、正文、编号）").input("周末问候").run()
    picker = by_label(at.selectbox, "模板")
    assert picker.options == [f"周末问候（{target.code}）"]
    by_label(at.toggle, "自动通过").set_value(True).run()
    by_label(at.button, "保存策略").click().run()
    assert not at.exception, at.exception
    assert "已开启自动通过：周末问候" in _texts(at)
