"""`studio db upgrade`, `studio seed --demo`, `studio audit verify` as a user runs them."""

from __future__ import annotations

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


@pytest.fixture
def cli_env(db_url, tmp_path):  # type: ignore[no-untyped-def]
    return {**os.environ, "STUDIO_DATABASE_URL": db_url, "STUDIO_DATA_DIR": str(tmp_path)}


def test_upgrade_seed_once_and_verify(cli_env, db_url):
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    first = _studio(cli_env, "seed", "--demo")
    assert first.returncode == 0, first.stderr
    assert "seeded" in first.stderr
    again = _studio(cli_env, "seed", "--demo")
    assert again.returncode == 0 and "nothing changed" in again.stderr
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 0 and "intact" in verify.stdout

    # The demo is alive: approved, waiting and placed content, and the audit trail of it.
    from sqlmodel import Session, func, select

    from studio.db.engine import make_engine
    from studio.db.models import AuditEvent, CalendarSlot, TemplateVersion, Variant

    engine = make_engine(db_url)
    with Session(engine) as s:
        states = {row for row in s.exec(select(TemplateVersion.state))}
        assert {"approved", "submitted"} <= states
        assert {"approved", "submitted"} <= {row for row in s.exec(select(Variant.state))}
        assert s.exec(select(func.count()).select_from(CalendarSlot)).one() > 5
        actions = {row for row in s.exec(select(AuditEvent.action))}
        assert {
            "review.approve",
            "calendar.build",
            "variant.create",
            "template.create",
            "post.mark",
        } <= actions
    engine.dispose()


def test_tampered_audit_log_fails_verify(cli_env, db_url):
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    assert _studio(cli_env, "seed", "--demo").returncode == 0
    from sqlalchemy import text

    from studio.db.engine import make_engine
    from tests.tamper import drop_append_only_guard

    engine = make_engine(db_url)
    with engine.begin() as conn:
        drop_append_only_guard(conn)  # an attacker with DDL rights; the chain still tells
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 7"))
    engine.dispose()
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 1
    assert "event 7" in verify.stdout


def test_usage_error_exits_2_without_traceback(cli_env):
    result = _studio(cli_env, "seed")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unmigrated_database_gets_a_one_line_message(tmp_path):
    env = {
        **os.environ,
        "STUDIO_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "STUDIO_DATA_DIR": str(tmp_path),
    }
    result = _studio(env, "audit", "verify")
    assert result.returncode == 2
    assert "studio db upgrade" in result.stderr and "Traceback" not in result.stderr
