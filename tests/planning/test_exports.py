"""Calendar exports: golden files, ICS and XLSX parse back, formula escaping, only live content exported."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from studio.domain.enums import Channel, ContentType, Decision
from studio.planning.exporters import CalendarDocument, export
from studio.planning.model import PlanEntry
from tests.conftest import decide_now

GOLDEN = Path(__file__).parent / "golden"
ENTRIES = [
    PlanEntry(
        day=date(2026, 12, 22),
        time_of_day="08:30",
        channel=Channel.MOMENTS,
        variant_id=7,
        title="冬至问候",
        text="赣州的朋友们，冬至快乐！\n天冷添衣。",
        content_type=ContentType.CULTURE,
        occasion="冬至",
        reason="节日节气",
    ),
    PlanEntry(
        day=date(2026, 12, 23),
        time_of_day="19:30",
        channel=Channel.GROUP,
        variant_id=9,
        title='=HYPERLINK("http://evil.example","点我")',
        text="+1 防诈骗小贴士：<b>不</b>转账给陌生人。",
        content_type=ContentType.KNOWLEDGE,
        occasion=None,
        reason="日常内容",
    ),
]
DOC = CalendarDocument(
    org_code="JX01-01",
    org_name="章贡支行",
    month="2026-12",
    status="published",
    version=3,
    generated_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
    entries=ENTRIES,
)


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_text_exports_match_golden_files(tmp_path, fmt):
    (path,) = export(DOC, tmp_path, (fmt,))
    assert path == tmp_path / "JX01-01" / f"2026-12.{fmt}"
    golden = GOLDEN / f"2026-12.{fmt}"
    if os.environ.get("STUDIO_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8")


def test_html_escapes_content(tmp_path):
    (path,) = export(DOC, tmp_path, ("html",))
    html = path.read_text(encoding="utf-8")
    assert "<b>不</b>" not in html and "&lt;b&gt;不&lt;/b&gt;" in html


def test_ics_parses_back_in_beijing_time(tmp_path):
    from icalendar import Calendar

    (path,) = export(DOC, tmp_path, ("ics",))
    cal = Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    start = events[0].decoded("dtstart")
    assert start.utcoffset().total_seconds() == 8 * 3600 and (start.hour, start.minute) == (8, 30)
    assert str(events[0].get("summary")) == "[朋友圈] 冬至问候"
    assert "天冷添衣" in str(events[0].get("description"))


def test_xlsx_opens_and_formulas_arrive_escaped(tmp_path):
    from openpyxl import load_workbook

    (path,) = export(DOC, tmp_path, ("xlsx",))
    ws = load_workbook(path).active
    titles = [row[5] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert titles[1] == '\'=HYPERLINK("http://evil.example","点我")'
    texts = [row[6] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert texts[1].startswith("'+1")
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)


def test_csv_formula_escaped(tmp_path):
    import csv

    (path,) = export(DOC, tmp_path, ("csv",))
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    cells = [cell for row in rows for cell in row]
    # Read back as a spreadsheet would: the hostile title and text are single cells, apostrophe first.
    assert '\'=HYPERLINK("http://evil.example","点我")' in cells
    assert any(cell.startswith("'+1 防诈骗") for cell in cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]


# -- through the services, on the databases ------------------------------------------------------


def _approved(
    world, title, body="{{ city }}的朋友们，{{ branch_name }}提醒您：{x}", ctype="knowledge", **extra
):
    from studio.services import variants
    from studio.services.templates import TemplateDraft, create_template

    draft = TemplateDraft(
        title=title, body=body.replace("{x}", title), content_type=ctype, channel="moments", **extra
    )
    t = create_template(world.session, world.actor("editor"), draft)
    decide_now(world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    v = variants.localise(
        world.session, world.actor("loc_a"), t.version_id, {"city": "赣州", "branch_name": "章贡"}
    )
    return v


def test_only_approved_and_live_content_reaches_exports(world, tmp_path):
    from studio.services import planning

    live = _approved(world, "天冷注意保暖")
    decide_now(world.session, world.actor("reviewer"), "variant", live.id, Decision.APPROVE)
    waiting = _approved(world, "尚未审核的内容")
    rejected = _approved(world, "被驳回的内容")
    decide_now(world.session, world.actor("reviewer"), "variant", rejected.id, Decision.REJECT, "不合适")
    expired = _approved(
        world, "过期热点", occasion_kind="hot_topic", valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 5)
    )
    decide_now(world.session, world.actor("reviewer"), "variant", expired.id, Decision.APPROVE)

    docs = list(
        planning.export_month(world.session, world.actor("loc_a"), "JX-A", "2026-12", tmp_path, ("json",))
    )
    assert docs[0].draft
    data = json.loads((tmp_path / "JX-A" / "2026-12.json").read_text(encoding="utf-8"))
    ids = {e["variant_id"] for e in data["entries"]}
    assert live.id in ids and not ids & {waiting.id, rejected.id, expired.id}
    assert data["status"] == "draft"


def test_publish_freezes_and_withdrawal_drops_future_days_recorded(world, tmp_path):
    from studio.services import calendar, planning, reviews

    v1 = _approved(world, "防诈骗提醒")
    v2 = _approved(world, "手机银行小技巧")
    for v in (v1, v2):
        decide_now(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    loc = world.actor("loc_a")
    calendar.place(world.session, loc, org_id=loc.org_id, day=date(2099, 12, 1), variant_id=v1.id)
    calendar.place(world.session, loc, org_id=loc.org_id, day=date(2099, 12, 2), variant_id=v2.id)
    version = planning.publish_month(world.session, loc, loc.org_id, "2099-12", out_dir=tmp_path)
    assert version == 1
    data = json.loads((tmp_path / "JX-A" / "2099-12.json").read_text(encoding="utf-8"))
    assert data["status"] == "published" and len(data["entries"]) == 2

    reviews.withdraw(world.session, world.actor("reviewer"), v2.id, "活动取消")
    docs = list(
        planning.export_month(world.session, world.actor("loc_a"), "JX-A", "2099-12", tmp_path, ("json",))
    )
    assert docs[0].version == 2 and [e.variant_id for e in docs[0].entries] == [v1.id]
    from sqlmodel import select

    from studio.db.models import AuditEvent

    actions = [e.action for e in world.session.exec(select(AuditEvent))]
    assert (
        "calendar.publish" in actions and "calendar.auto_update" in actions and "calendar.export" in actions
    )
