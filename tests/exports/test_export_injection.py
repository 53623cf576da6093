"""CSV/XLSX injection: every export is written, then READ BACK the way a spreadsheet would see it.

A cell is inert when, after the characters a spreadsheet (or a reader's eye) skips at the start of a cell
(spaces, line breaks, control and zero-width formatting characters), it does not start with a formula
character, or when it starts with the apostrophe escape. Every record must come back as exactly one row.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from studio.db.models import AuditEvent
from studio.domain.enums import Channel, ContentType
from studio.errors import AuthenticationFailed
from studio.exports.spreadsheet import escape_cell, to_csv
from studio.planning.exporters import CalendarDocument, export
from studio.planning.model import PlanEntry
from studio.services import auth
from studio.workflow import audit

FORMULA_CHARS = set("=+-@＝＋－＠﹦﹢﹣﹫")
PAYLOAD = "=cmd|' /C calc'!A0"
HOSTILE = [
    "欢迎\r" + PAYLOAD,  # a bare CR used to start a new CSV row with a live formula
    "欢迎\r\n" + PAYLOAD,
    "欢迎\n" + PAYLOAD,
    PAYLOAD,
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\u3000=1+1",
    "\u00a0=1+1",
    "\u200b=1+1",
    "\u200c+1",
    "\u200d-1",
    "\u2060@SUM(A1)",
    "\ufeff=1+1",
    "\u200e=1+1",
    "\u202e=1+1",
    " \u200b \t=1+1",
    "\x00=1+1",
    "\x1f=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "﹦1+1",
    " ＝1+1",
    '"=1+1',
    "a,b\r=1+1,c",
    "'=already-escaped",
]
BENIGN = ["春节快乐", "年化利率3.65%", "a-b=c", "电话 400-800-1234", ""]


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zs", "Zl", "Zp"}


def assert_inert(cell: object) -> None:
    if not isinstance(cell, str) or cell.startswith("'"):
        return
    visible = cell.lstrip("".join(ch for ch in cell if _invisible(ch)))
    assert not visible or visible[0] not in FORMULA_CHARS, f"live formula in cell {cell!r}"
    assert not cell or cell[0] not in "\t\r\n", f"cell starts with a control character: {cell!r}"


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


# -- the escape itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_is_escaped(value):
    assert_inert(escape_cell(value))


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1"])
def test_a_formula_cell_gets_one_apostrophe_and_keeps_its_text(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", [*BENIGN, -5, -3.5, 0, 3.5, 42, None, date(2026, 1, 1)])
def test_numbers_dates_and_ordinary_text_pass_unchanged(value):
    assert escape_cell(value) == value


def test_csv_read_back_one_row_per_record_and_no_live_formula():
    rows = [[i, value, "尾"] for i, value in enumerate([*HOSTILE, *BENIGN])]
    back = read_csv(to_csv(["n", "value", "end"], rows))
    assert len(back) == len(rows) + 1
    assert back[0] == ["n", "value", "end"]
    for record, row in zip(rows, back[1:], strict=True):
        assert row[0] == str(record[0]) and row[2] == "尾" and len(row) == 3
        assert_inert(row[1])
    assert [row[1] for row in back[-len(BENIGN) :]] == BENIGN
    # Negative numbers stay numbers: written unquoted, read back as digits.
    assert read_csv(to_csv(["x"], [[-5], [-3.5]]))[1:] == [["-5"], ["-3.5"]]


def test_csv_round_trip_keeps_text_and_escapes():
    rows = read_csv(to_csv(["a", "b"], [["=1+1", "冬至"]]))
    assert rows == [["a", "b"], ["'=1+1", "冬至"]]


def test_csv_has_no_bare_carriage_return_outside_quotes():
    text = to_csv(["v"], [["欢迎\r" + PAYLOAD]])
    # Every line break inside a cell is a plain LF inside quotes; records end with CRLF.
    assert "\r=" not in text and text.count("\r") == text.count("\r\n")


# -- the calendar exports --------------------------------------------------------------------------------


def _hostile_doc() -> CalendarDocument:
    entries = [
        PlanEntry(
            day=date(2026, 12, 1) + timedelta(days=i),
            time_of_day="08:30",
            channel=Channel.MOMENTS,
            variant_id=i + 1,
            title=value,
            text=HOSTILE[-1 - i],
            content_type=ContentType.CULTURE,
            occasion=HOSTILE[i // 2],
            reason="测试",
        )
        for i, value in enumerate(HOSTILE)
    ]
    return CalendarDocument(
        org_code="JX-A",
        org_name="\u200b=1+1 章贡支行",
        month="2026-12",
        status="draft",
        version=None,
        generated_at=datetime(2026, 11, 25, tzinfo=UTC),
        entries=entries,
    )


def test_calendar_csv_reads_back_inert(tmp_path):
    doc = _hostile_doc()
    (path,) = export(doc, tmp_path, ("csv",))
    back = read_csv(path.read_bytes().decode("utf-8"))
    # header + draft banner + one row per entry
    assert len(back) == 2 + len(doc.entries)
    for row in back:
        assert len(row) == 7
        for cell in row:
            assert_inert(cell)


def test_calendar_xlsx_reads_back_inert(tmp_path):
    from openpyxl import load_workbook

    doc = _hostile_doc()
    (path,) = export(doc, tmp_path, ("xlsx",))
    ws = load_workbook(path).active
    rows = list(ws.iter_rows())
    # title + header + one row per entry
    assert len(rows) == 2 + len(doc.entries)
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.value
            assert_inert(cell.value)
    assert str(rows[0][0].value).startswith("'")


# -- the audit export, fed by an anonymous failed login ----------------------------------------------


def test_audit_csv_reads_back_inert_with_hostile_login_names(world):
    for name in ("欢迎\r" + PAYLOAD, "\r" + PAYLOAD, "\u200b" + PAYLOAD):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(world.session, name, "wrong")
    actor = world.actor("admin")
    for value in HOSTILE:
        if "\x00" in value:
            continue  # PostgreSQL text cannot hold NUL; the login path strips it (test_login_throttle)
        audit.append(world.session, actor, "test.event", value[:80], {"note": value})
    world.session.commit()
    before = len(world.session.exec(select(AuditEvent)).all())
    back = read_csv(audit.export_csv(world.session, actor))
    assert len(back) == 1 + before
    for row in back:
        assert len(row) == 8
        for cell in row:
            assert_inert(cell)


def test_the_audit_export_is_itself_audited(world):
    actor = world.actor("admin")
    audit.append(world.session, actor, "test.event", PAYLOAD, {})
    world.session.commit()
    assert "'" + PAYLOAD in audit.export_csv(world.session, actor)
    last = world.session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()  # type: ignore[attr-defined]
    assert last is not None and last.action == "audit.export"
    assert audit.verify(world.session).ok
