"""后台任务: an HQ editor starts an export of every branch and follows it to its result; staff have no page."""

from __future__ import annotations

import time

from sqlmodel import Session, select

from studio.db import engine as engine_module
from studio.db.models import Job
from studio.domain.enums import JobState
from studio.settings import get_settings
from tests.ui.conftest import by_label, login


def _jobs() -> list[Job]:
    with Session(engine_module.default_engine()) as session:
        return list(session.exec(select(Job).where(Job.kind != "feed.refresh")))


def test_editor_starts_an_export_and_sees_its_result(app_world, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_CALENDARS_DIR", str(tmp_path / "calendars"))
    get_settings.cache_clear()
    at = login("editor")
    at.switch_page("studio/pages/jobs.py").run()
    assert not at.exception, at.exception
    by_label(at.button, "导出全部支行日历").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (job,) = _jobs()
    assert job.kind == "calendar.export_all" and job.runner == "inline"
    deadline = time.monotonic() + 60  # the in-process thread: bounded wait, no speed asserted
    while _jobs()[0].state != JobState.SUCCEEDED.value and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["jobs_polling"] is False  # every job ended: the list stops refreshing itself
    text = " ".join(m.value for m in at.markdown)
    assert f"#{job.id} 导出全部支行日历 · 已完成" in text
    assert list(
        (tmp_path / "calendars" / "exports").glob("*/*/*.json")
    )  # every branch, under exports/<month>/


def test_staff_have_no_jobs_page_and_a_reviewer_cannot_export(app_world):
    import pytest

    at = login("staff_a")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("studio/pages/jobs.py")  # not in a staff member's navigation at all
    reviewer = login("reviewer")
    reviewer.switch_page("studio/pages/jobs.py").run()
    assert not reviewer.exception and not reviewer.error
    labels = [b.label for b in reviewer.button]
    assert "导出全部支行日历" not in labels and "发布全部支行当月日历" not in labels
