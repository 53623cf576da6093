"""审计日志 and 内容日历 as a user drives them: paged events, on-demand verify, a searchable org picker."""

from __future__ import annotations

from studio.workflow import audit
from tests.ui.conftest import by_label, login
from tests.ui.test_pages import _texts


def test_audit_log_pages_filters_and_verifies_on_demand(app_world):
    for i in range(60):
        audit.append(app_world.session, None, "test.event", f"thing:{i}", {})
    app_world.session.commit()
    audit.forget_verified()
    at = login("admin")
    at.switch_page("studio/pages/audit_log.py").run()
    assert not at.exception, at.exception
    assert "尚未校验" in _texts(at)  # the expensive check waits for the button
    table = at.dataframe[0].value
    assert len(table) == 50 and table["序号"].tolist() == sorted(table["序号"], reverse=True)
    assert "第 1 / 2 页" in _texts(at)
    by_label(at.button, "下一页").click().run()
    assert "第 2 / 2 页" in _texts(at) and len(at.dataframe[0].value) < 50
    by_label(at.button, "完整校验").click().run()
    assert "哈希链完整（完整校验）" in _texts(at)
    at.run()
    assert "哈希链完整（增量校验）" in _texts(at)  # later reruns check only what is new
    by_label(at.text_input, "对象").input("thing:7").run()
    assert at.dataframe[0].value["对象"].tolist() == ["thing:7"]


def test_calendar_org_picker_searches(app_world):
    at = login("editor")
    at.switch_page("studio/pages/content_calendar.py").run()
    assert not at.exception, at.exception
    assert by_label(at.selectbox, "机构").value is not None
    by_label(at.text_input, "搜索机构").input("南康").run()
    assert by_label(at.selectbox, "机构").options == ["南康支行"]
    assert "本月朋友圈" in " ".join(m.label for m in at.metric)
