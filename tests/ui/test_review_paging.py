"""AppTest of the 审核 page at more than a page of waiting items: one page of rows and checkboxes, page
controls, filters back to page 1, and a rerun that changes nothing reads nothing but the data version."""

from __future__ import annotations

from studio.db import engine as engine_module
from studio.db.models import Variant
from studio.services import reviews
from tests.bounded import rows_per_query
from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts
from tests.workflow.test_review_queue_scale import GENERAL, _approved, _bulk


def test_review_page_shows_one_page_and_rereads_nothing_unchanged(app_world):
    w = app_world
    page = reviews.PAGE_SIZE
    t = _approved(w, GENERAL)
    ids = _bulk(
        w,
        t.version_id,
        "JX-A",
        [50 - i for i in range(2 * page + 5)],
        severity=lambda i: "review" if i % 5 == 0 else "",
    )
    at = login("reviewer")
    assert not at.exception, at.exception
    assert f"待审核 {2 * page + 5} 条" in _texts(at) and "第 1/3 页" in _texts(at)
    opener = by_label(at.radio, "打开")
    assert len(opener.options) == page and opener.value == f"variant-{ids[0]}"  # oldest first
    assert 0 < len(at.checkbox) <= page

    by_label(at.button, "下一页").click().run()
    assert "第 2/3 页" in _texts(at)
    assert by_label(at.radio, "打开").value == f"variant-{ids[page]}"

    # Nothing changed: the rerun reads the data version and no queue, detail or list rows.
    with rows_per_query(engine_module.default_engine()) as log:
        at.run()
    assert not at.exception, at.exception
    assert "第 2/3 页" in _texts(at)
    assert any("audit_event" in sql for _, sql in log.queries)  # the guard saw the run's statements
    assert [sql for _, sql in log.queries if "variant" in sql or "review" in sql] == []
    assert log.over(page + 5) == []

    # A filter applied in the database goes back to page 1.
    by_label(at.selectbox, "最低风险级别").select_index(2).run()  # "review" and above
    assert "待审核 9 条" in _texts(at) and "第 1/1 页" in _texts(at)
    assert len(by_label(at.radio, "打开").options) == 9 and len(at.checkbox) == 0

    # The approve button binds to the item opened, not to the first row.
    opener = by_label(at.radio, "打开")
    target = opener.options[2].split(" · ")[1]  # bulk titles are 待审<index>
    chosen = ids[int(target.removeprefix("待审"))]
    opener.set_value(f"variant-{chosen}").run()
    by_label(at.button, "通过").click().run()
    assert not at.exception, at.exception
    assert f"已通过：{target}" in _texts(at) and "待审核 8 条" in _texts(at)
    w.session.expire_all()
    assert [i for i in ids if w.session.get(Variant, i).state == "approved"] == [chosen]
