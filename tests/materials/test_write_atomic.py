"""studio.domain.files.write_atomic: the one temp-file-and-rename writer of assets, renders and exports."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from studio.domain import files
from studio.domain.files import write_atomic


def test_writes_replaces_and_makes_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.png"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.png"]  # no temp file left


def test_durable_syncs_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(files.os, "fsync", lambda fd: synced.append(fd))
    write_atomic(tmp_path / "plain", b"x")
    assert synced == []
    write_atomic(tmp_path / "kept", b"x", durable=True)
    assert len(synced) == 1


def test_a_failed_rename_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.json"
    write_atomic(target, b"old")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.json"]
