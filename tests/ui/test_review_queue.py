"""AppTest of the review queue: filter, open a diff, batch approve two clean items, reject one with a reason."""

from __future__ import annotations

from studio.domain.enums import Decision
from studio.services import variants
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import decide_now
from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts

DRAFT = TemplateDraft(
    title="周末问候", body="{{ city }}的朋友们，{{ branch_name }}祝您周末愉快！", channel="group"
)


def test_review_queue_batch_approve_and_reject_with_reason(app_world):
    w = app_world
    t = create_template(w.session, w.actor("editor"), DRAFT)
    decide_now(w.session, w.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    ids = [
        variants.localise(w.session, w.actor(loc), t.version_id, {"city": city, "branch_name": name}).id
        for loc, city, name in (
            ("loc_a", "赣州", "章贡支行"),
            ("loc_a", "赣州", "章贡支行营业部"),
            ("loc_gx", "桂林", "秀峰支行"),
        )
    ]

    at = login("reviewer")
    assert "待审核 3 条" in _texts(at)
    # Filter by org: only the Guangxi branch's item remains.
    by_label(at.selectbox, "机构").select_index(
        [o for o in by_label(at.selectbox, "机构").options].index("秀峰支行")
    ).run()
    assert "待审核 1 条" in _texts(at)
    by_label(at.selectbox, "机构").select_index(0).run()

    # Open an item (only the opened one is rendered): the diff against the HQ text marks the branch's changes.
    assert len(by_label(at.radio, "打开").options) == 3 and len(at.get("html")) == 2  # one text, one diff
    by_label(at.radio, "打开").set_value(f"variant-{ids[1]}").run()
    assert not at.exception, at.exception
    assert "章贡支行营业部" in " ".join(m.proto.body for m in at.get("html"))
    assert any("<ins>" in m.proto.body for m in at.get("html") if "studio-diff" in m.proto.body)

    # Batch approve the two Jiangxi items.
    for cb in at.checkbox:
        if "秀峰支行" not in cb.label:
            cb.check()
    by_label(at.button, "批量通过所选").click().run()
    assert not at.exception, at.exception
    assert "已批量处理 2 条" in _texts(at)
    assert "待审核 1 条" in _texts(at)

    # Reject the last one: a reason is required.
    by_label(at.button, "驳回").click().run()
    assert "必须填写原因" in _texts(at)
    by_label(at.text_area, "审核意见").input("请补充网点地址")
    by_label(at.button, "驳回").click().run()
    assert "已驳回" in _texts(at)

    # The branch sees the reason.
    at = login("loc_gx")
    assert "请补充网点地址" in _texts(at)
    states = {v.id: v.state for v in variants.list_variants(w.session, w.actor("reviewer"))}
    assert [states[i] for i in ids] == ["approved", "approved", "rejected"]
