"""Spreadsheet formula escaping, and the audit export (which is itself audited)."""

from __future__ import annotations

import csv
import io

import pytest

from studio.exports.spreadsheet import escape_cell, to_csv
from studio.workflow import audit


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1"])
def test_formula_cells_are_escaped(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["春节快乐", "年化利率3.65%", 42, 3.5, ""])
def test_ordinary_cells_pass(value):
    assert escape_cell(value) == value


def test_csv_round_trip_keeps_text_and_escapes():
    text = to_csv(["a", "b"], [["=1+1", "冬至"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["a", "b"], ["'=1+1", "冬至"]]


def test_audit_export_is_audited_and_escaped(world):
    actor = world.actor("admin")
    audit.append(world.session, actor, "test.event", "=cmd|' /C calc'!A0", {})
    world.session.commit()
    text = audit.export_csv(world.session, actor)
    assert "'=cmd" in text
    assert audit.verify(world.session).ok
    from sqlmodel import select

    from studio.db.models import AuditEvent

    last = world.session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "audit.export"
