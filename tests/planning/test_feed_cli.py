"""`studio feed build|rotate` as an operator runs them, on the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.domain.clock import today_cn
from tests.planning.test_calendar_cli import _studio


@pytest.fixture(scope="module")
def feed_env(tmp_path_factory):  # type: ignore[no-untyped-def]
    import os

    data = tmp_path_factory.mktemp("feedcli")
    env = {
        **os.environ,
        "STUDIO_DATABASE_URL": f"sqlite:///{data / 'd.db'}",
        "STUDIO_DATA_DIR": str(data),
        "STUDIO_CALENDARS_DIR": str(data / "calendars"),
        "STUDIO_FEED_DIR": str(data / "feed"),
        "STUDIO_FEED_BASE_URL": "https://feed.bank.example/staff",
    }
    assert _studio(env, "db", "upgrade").returncode == 0
    assert _studio(env, "seed", "--demo").returncode == 0
    month = f"{today_cn():%Y-%m}"
    published = _studio(env, "calendar", "publish", "--org", "JX01-01", "--month", month)
    assert published.returncode == 0, published.stderr
    return env


def _folders(env) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in Path(env["STUDIO_FEED_DIR"]).iterdir() if p.is_dir())


def test_publish_build_and_rotate(feed_env):
    (old,) = _folders(feed_env)
    build = _studio(feed_env, "feed", "build")
    assert build.returncode == 0, build.stderr
    assert "wrote 1 feed(s)" in build.stderr and _folders(feed_env) == [old]

    rotate = _studio(feed_env, "feed", "rotate", "--org", "JX01-01")
    assert rotate.returncode == 0, rotate.stderr
    (new,) = _folders(feed_env)
    assert new != old and rotate.stdout.strip() == f"https://feed.bank.example/staff/{new}/"
    assert "old link no longer works" in rotate.stderr
    assert (Path(feed_env["STUDIO_FEED_DIR"]) / new / "index.html").is_file()


@pytest.mark.parametrize(
    "args", [("feed", "rotate", "--org", "NOPE"), ("feed", "build", "--org", "NOPE"), ("feed", "rotate")]
)
def test_bad_input_is_one_line_and_exit_2(feed_env, args):
    result = _studio(feed_env, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error:")


def test_an_unwritable_feed_dir_is_exit_2(feed_env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _studio({**feed_env, "STUDIO_FEED_DIR": str(blocker / "feed")}, "feed", "build")
    assert result.returncode == 2 and "cannot write the staff feed" in result.stderr
    assert "Traceback" not in result.stderr


def test_queue_opt_ins_run_in_process_without_a_queue_and_the_worker_needs_one(feed_env, tmp_path):
    month = f"{today_cn():%Y-%m}"
    out = Path(feed_env["STUDIO_CALENDARS_DIR"]) / "out"  # a job writes only under the calendars dir
    export = _studio(
        feed_env,
        "calendar",
        "export",
        "--all",
        "--month",
        month,
        "--format",
        "csv",
        "--out",
        str(out),
        "--queue",
    )
    assert export.returncode == 0, export.stderr
    assert export.stdout.strip().isdigit() and "succeeded in this process" in export.stderr
    assert len(list(out.glob("*/*.csv"))) == 4  # the demo's four branches
    build = _studio(feed_env, "feed", "build", "--queue")
    assert build.returncode == 0 and "succeeded" in build.stderr, build.stderr
    worker = _studio(feed_env, "worker")
    assert worker.returncode == 2 and worker.stderr.startswith("error: no job queue configured"), (
        worker.stderr
    )
    assert "Traceback" not in worker.stderr
