"""`studio user passwd` and `studio ui`: the demo-password warning at start, local-only by default."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from studio.cli import build_parser, main
from studio.commands import ui
from studio.db import engine as engine_module
from studio.db import migrate
from studio.db.models import AuditEvent, User
from studio.services.auth import hash_password
from studio.services.seed import DEMO_PASSWORD
from studio.services.users import admins_with_demo_password
from studio.settings import get_settings
from tests.conftest import build_world

ROOT = Path(__file__).resolve().parents[2]
STRONG = "Jincheng-2026x"


@pytest.fixture
def demo_db(tmp_path, monkeypatch) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """A migrated SQLite database whose admin still has the demo password; env for subprocesses too."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"STUDIO_DATABASE_URL": url, "STUDIO_DATA_DIR": str(tmp_path)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()
    migrate.upgrade(url)
    with Session(engine_module.default_engine()) as session:
        build_world(session)
        admin = session.exec(select(User).where(User.username == "admin")).one()
        admin.password_hash = hash_password(DEMO_PASSWORD)
        session.commit()
    yield {**os.environ, **env}
    engine_module.default_engine().dispose()
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()


def _studio(env, *args, stdin: bytes = b""):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "studio.cli", *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )


def _demo_admins() -> list[str]:
    with Session(engine_module.default_engine()) as session:
        return admins_with_demo_password(session)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"short1A!\n", b"at least 10 characters"),
        (b"onlylowercaseletters\n", b"at least 3 of"),
        (b"\n", b"no password on stdin"),
        (b"\xff\xfe-not-utf8\n", b"not valid UTF-8"),
        (b"A1a!" * 2000 + b"\n", b"too long"),
    ],
)
def test_passwd_refuses_bad_input_in_one_line(demo_db, stdin, message):
    result = _studio(demo_db, "user", "passwd", "admin", "--stdin", stdin=stdin)
    assert result.returncode == 2 and message in result.stderr
    assert result.stderr.count(b"\n") == 1 and b"Traceback" not in result.stderr
    assert _demo_admins() == ["admin"]


def test_passwd_without_a_terminal_or_for_an_unknown_user_exits_2(demo_db):
    no_tty = _studio(demo_db, "user", "passwd", "admin", stdin=STRONG.encode())
    assert no_tty.returncode == 2 and no_tty.stderr == (
        b"error: no terminal to prompt for the password; pipe it with --stdin\n"
    )
    unknown = _studio(demo_db, "user", "passwd", "nobody", "--stdin", stdin=STRONG.encode())
    assert unknown.returncode == 2 and unknown.stderr == b"error: user 'nobody' not found\n"


def test_passwd_changes_audits_and_silences_the_start_warning(demo_db):
    assert ui.demo_password_warnings() == [
        "warning: user 'admin' still has the public demo password; change it with `studio user passwd admin`"
    ]
    result = _studio(demo_db, "user", "passwd", "admin", "--stdin", stdin=STRONG.encode() + b"\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == b"password changed for user 'admin'\n" and STRONG.encode() not in result.stdout
    assert _demo_admins() == [] and ui.demo_password_warnings() == []
    with Session(engine_module.default_engine()) as session:
        last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "user.password_change" and {
        k: v for k, v in last.details.items() if not k.startswith("_")
    } == {"username": "admin", "via": "cli"}


def test_ui_warns_on_start_and_binds_localhost(demo_db, monkeypatch, capsys):
    executed: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, argv: executed.append(argv))
    assert main(["ui"]) == 0
    err = capsys.readouterr().err
    assert "warning: user 'admin' still has the public demo password" in err
    (command,) = executed
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8501"


def test_ui_without_a_database_starts_without_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()
    try:
        assert ui.demo_password_warnings() == []  # not migrated: the app itself says so
    finally:
        get_settings.cache_clear()
        engine_module.engine_for.cache_clear()


def test_ui_address_defaults_to_localhost_and_can_be_overridden():
    parser = build_parser(["ui"])
    assert parser.parse_args(["ui"]).address == "127.0.0.1"
    args = parser.parse_args(["ui", "--address", "0.0.0.0", "--port", "9000"])
    command = ui.streamlit_command(args.port, args.address)
    assert command[-8:] == [
        "--server.port",
        "9000",
        "--server.address",
        "0.0.0.0",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    help_text = subprocess.run(
        [sys.executable, "-m", "studio.cli", "ui", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    ).stdout
    assert "default: 127.0.0.1" in help_text
    # Running `streamlit run` by hand binds locally too: the project config says so, and never 0.0.0.0.
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"


def test_user_logout_ends_every_session_of_that_user(demo_db):
    from studio.domain.views import Actor
    from studio.services import sessions
    from studio.services.auth import actor_for

    with Session(engine_module.default_engine()) as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
        actors: dict[str, Actor] = {name: actor_for(session, users[name]) for name in ("editor", "reviewer")}
        tokens = {
            name: [sessions.start_session(session, actor, method="password", client="") for _ in range(2)]
            for name, actor in actors.items()
        }
    done = _studio(demo_db, "user", "logout", "editor")
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode() == "ended 2 session(s) of user 'editor'\n"
    with Session(engine_module.default_engine()) as session:
        assert [sessions.resume(session, t) for t in tokens["editor"]] == [None, None]
        assert all(sessions.resume(session, t) is not None for t in tokens["reviewer"])
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "session.revoked")).one()
        assert event.details["reason"] == "operator" and event.actor_id is None
    unknown = _studio(demo_db, "user", "logout", "nobody")
    assert unknown.returncode == 2 and unknown.stderr.decode().count("\n") == 1


def test_email_sets_clears_and_refuses_in_one_line(demo_db, capsys):
    def email_of(username: str) -> str | None:
        with Session(engine_module.default_engine()) as session:
            return session.exec(select(User).where(User.username == username)).one().email

    assert main(["user", "email", "loc_a", "Li.Lei@Bank.Example"]) == 0
    assert (
        capsys.readouterr().err == "email set for user 'loc_a'\n"
        and email_of("loc_a") == "li.lei@bank.example"
    )
    taken = _studio(demo_db, "user", "email", "loc_b", "li.lei@bank.example")
    assert taken.returncode == 2 and taken.stderr == (
        b"error: the email li.lei@bank.example already belongs to user 'loc_a'\n"
    )
    bad = _studio(demo_db, "user", "email", "loc_b", "not an email")
    assert bad.returncode == 2 and bad.stderr.count(b"\n") == 1 and b"not an email address" in bad.stderr
    both = _studio(demo_db, "user", "email", "loc_b", "x@bank.example", "--clear")
    assert both.returncode == 2 and b"Traceback" not in both.stderr and email_of("loc_b") is None
    assert main(["user", "email", "loc_a", "--clear"]) == 0 and email_of("loc_a") is None
