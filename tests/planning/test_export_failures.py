"""Calendar files are written all-or-nothing: an unwritable --out or a failing writer leaves no partial file,
and a publish whose files cannot be written records no version."""

from __future__ import annotations

import errno
import json
import os
from datetime import date

import pytest
from sqlmodel import func, select

from studio.db.models import AuditEvent, CalendarPublication
from studio.domain.enums import Decision
from studio.errors import ValidationError
from studio.planning import exporters
from studio.services import calendar, planning
from tests.conftest import decide_now
from tests.planning.test_exports import DOC, _approved


def _placed(world) -> None:  # type: ignore[no-untyped-def]
    variant = _approved(world, "防诈骗提醒")
    decide_now(world.session, world.actor("reviewer"), "variant", variant.id, Decision.APPROVE)
    loc = world.actor("loc_a")
    calendar.place(world.session, loc, org_id=loc.org_id, day=date(2099, 12, 1), variant_id=variant.id)


def _publications(world) -> int:  # type: ignore[no-untyped-def]
    world.session.expire_all()
    return world.session.exec(select(func.count()).select_from(CalendarPublication)).one()


def _publish_events(world) -> int:  # type: ignore[no-untyped-def]
    return world.session.exec(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "calendar.publish")
    ).one()


def _files(root) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def out(tmp_path):  # type: ignore[no-untyped-def]
    """An output root of its own: the SQLite test database lives in tmp_path."""
    root = tmp_path / "files"
    root.mkdir()
    return root


def test_publish_to_a_file_path_is_refused_and_records_nothing(world, out):
    _placed(world)
    loc = world.actor("loc_a")
    blocker = out / "not-a-dir"
    blocker.write_text("x")
    for target in (blocker, blocker / "sub"):
        with pytest.raises(ValidationError) as error:
            planning.publish_month(world.session, loc, loc.org_id, "2099-12", out_dir=target)
        assert (
            "cannot write calendar files" in error.value.message_en
            and "无法写入日历文件" in error.value.message_zh
        )
    assert _publications(world) == 0 and _publish_events(world) == 0
    assert _files(out) == ["not-a-dir"]


def test_writer_failing_midway_leaves_no_file_and_no_version(world, out, monkeypatch):
    _placed(world)
    loc = world.actor("loc_a")

    def disk_full(doc, path):  # type: ignore[no-untyped-def]
        path.write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setitem(exporters.WRITERS, "xlsx", disk_full)
    with pytest.raises(ValidationError) as error:
        planning.publish_month(world.session, loc, loc.org_id, "2099-12", out_dir=out / "calendars")
    assert "No space left on device" in error.value.message_en
    assert _files(out) == []  # no partial file, no temp file, not even the folders it made
    assert _publications(world) == 0 and _publish_events(world) == 0


def test_failed_publish_keeps_the_previous_versions_files(world, tmp_path, monkeypatch):
    _placed(world)
    loc = world.actor("loc_a")
    assert planning.publish_month(world.session, loc, loc.org_id, "2099-12", out_dir=tmp_path) == 1
    before = {p: p.read_bytes() for p in (tmp_path / "JX-A").iterdir()}

    def boom(doc, path):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setitem(exporters.WRITERS, "html", boom)
    with pytest.raises(ValidationError):
        planning.publish_month(world.session, loc, loc.org_id, "2099-12", out_dir=tmp_path)
    assert {p: p.read_bytes() for p in (tmp_path / "JX-A").iterdir()} == before
    assert _publications(world) == 1
    assert json.loads((tmp_path / "JX-A" / "2099-12.json").read_text(encoding="utf-8"))["version"] == 1


def test_failed_commit_moves_no_file_into_place(world, out, monkeypatch):
    _placed(world)
    loc = world.actor("loc_a")

    def commit_fails() -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(world.session, "commit", commit_fails)
    with pytest.raises(RuntimeError):
        planning.publish_month(world.session, loc, loc.org_id, "2099-12", out_dir=out)
    monkeypatch.undo()
    assert _files(out) == []
    assert _publications(world) == 0


def test_export_all_to_an_unwritable_dir_is_refused_before_any_work(world, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValidationError, match="exists and is not a directory"):
        list(planning.export_month(world.session, world.actor("editor"), None, "2099-12", blocker, ("json",)))
    with pytest.raises(ValidationError, match="Not a directory"):
        planning.export_all_parallel(
            world.session, world.actor("editor"), "unused://", "2099-12", blocker / "sub", ("json",), jobs=2
        )


def test_export_writes_complete_files_with_umask_permissions_and_no_temps(tmp_path):
    paths = exporters.export(DOC, tmp_path)
    assert _files(tmp_path) == ["JX01-01", *sorted(f"JX01-01/2026-12.{fmt}" for fmt in exporters.FORMATS)]
    umask = os.umask(0)
    os.umask(umask)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in paths)
