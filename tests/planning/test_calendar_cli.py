"""`studio calendar build|publish|export` as a user runs them, on the demo data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _studio(env, *args):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "studio.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "STUDIO_DATABASE_URL": f"sqlite:///{data / 'd.db'}",
        "STUDIO_DATA_DIR": str(data),
        "STUDIO_CALENDARS_DIR": str(data / "calendars"),
    }
    assert _studio(env, "db", "upgrade").returncode == 0
    assert _studio(env, "seed", "--demo").returncode == 0
    return env


def test_export_all_in_parallel_marks_drafts(demo_env, tmp_path):
    result = _studio(
        demo_env,
        "calendar",
        "export",
        "--all",
        "--month",
        "2026-12",
        "--format",
        "json",
        "--out",
        str(tmp_path),
        "--jobs",
        "2",
    )
    assert result.returncode == 0, result.stderr
    assert "not published" in result.stderr and "草稿" in result.stderr
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert files == [f"{code}/2026-12.json" for code in ("GX01-01", "GX01-02", "JX01-01", "JX01-02")]
    data = json.loads((tmp_path / "JX01-01" / "2026-12.json").read_text(encoding="utf-8"))
    assert data["status"] == "draft" and data["entries"]
    assert result.stdout == ""  # progress and notes go to stderr


def test_build_then_publish_then_export_published(demo_env, tmp_path):
    built = _studio(demo_env, "calendar", "build", "--org", "GX01-01", "--month", "2026-12")
    assert built.returncode == 0, built.stderr
    assert "entries" in built.stderr
    published = _studio(demo_env, "calendar", "publish", "--org", "GX01-01", "--month", "2026-12")
    assert published.returncode == 0, published.stderr
    calendars = Path(demo_env["STUDIO_CALENDARS_DIR"]) / "GX01-01"
    assert {p.suffix for p in calendars.iterdir()} == {".json", ".ics", ".xlsx", ".csv", ".html"}
    exported = _studio(
        demo_env,
        "calendar",
        "export",
        "--org",
        "GX01-01",
        "--month",
        "2026-12",
        "--format",
        "csv",
        "--out",
        str(tmp_path),
    )
    assert exported.returncode == 0 and "not published" not in exported.stderr
    assert "草稿" not in (tmp_path / "GX01-01" / "2026-12.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--org", "NOPE", "--month", "2026-12"], "org NOPE not found"),
        (["--org", "JX01-01", "--month", "12/2026"], "month must be YYYY-MM"),
    ],
)
def test_bad_input_exits_2(demo_env, tmp_path, args, message):
    result = _studio(demo_env, "calendar", "export", *args, "--format", "json", "--out", str(tmp_path))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def _unwritable_outs(tmp_path):  # type: ignore[no-untyped-def]
    """Paths nobody can write, root included (CI runs as root, so chmod would not do)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return [
        (blocker, "exists and is not a directory"),
        (blocker / "sub", "Not a directory"),
        (Path("/proc/studio-x"), "No such file or directory"),
    ]


@pytest.mark.parametrize("extra", [["--org", "JX01-01"], ["--all", "--jobs", "2"]])
def test_export_to_unwritable_out_exits_2_in_one_line(demo_env, tmp_path, extra):
    for out, reason in _unwritable_outs(tmp_path):
        result = _studio(
            demo_env,
            "calendar",
            "export",
            *extra,
            "--month",
            "2026-12",
            "--format",
            "xlsx",
            "--out",
            str(out),
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr == f"error: cannot write calendar files under {out}: {reason}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing written anywhere


def test_publish_to_unwritable_out_exits_2_and_publishes_nothing(demo_env, tmp_path):
    calendars = Path(demo_env["STUDIO_CALENDARS_DIR"])
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**demo_env, "STUDIO_CALENDARS_DIR": str(blocker / "calendars")}
    assert _studio(demo_env, "calendar", "build", "--org", "JX01-01", "--month", "2026-12").returncode == 0
    runs = [
        _studio(demo_env, "calendar", "publish", "--org", "JX01-01", "--month", "2026-12", "--out", str(out))
        for out, _ in _unwritable_outs(tmp_path)
    ]
    runs.append(_studio(env, "calendar", "publish", "--org", "JX01-01", "--month", "2026-12"))
    for result in runs:
        assert result.returncode == 2 and result.stderr.startswith(
            "error: cannot write calendar files under "
        )
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (calendars / "JX01-01").exists()
    # No version was recorded: the month still exports as a draft.
    exported = _studio(
        demo_env,
        "calendar",
        "export",
        "--org",
        "JX01-01",
        "--month",
        "2026-12",
        "--format",
        "json",
        "--out",
        str(tmp_path / "ok"),
    )
    assert exported.returncode == 0 and "not published" in exported.stderr
