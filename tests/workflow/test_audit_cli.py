"""`studio audit verify|checkpoint` as an operator runs them: exit 0 intact, 1 broken, 2 usage error."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from studio.db.engine import make_engine
from studio.workflow import audit, audit_anchor
from tests.db.test_cli_foundation import _studio, cli_env  # noqa: F401 - the fixture is used by name
from tests.tamper import drop_append_only_guard


def _five_events(db_url: str) -> None:
    """Written in-process with the same data directory (so the same key and anchors) as the CLI."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        for i in range(5):
            audit.append(session, None, "test.event", f"thing:{i}", {"n": i})
            session.commit()
    engine.dispose()


def _sql(db_url: str, *statements: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        drop_append_only_guard(conn)
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_verify_and_checkpoint(cli_env, db_url):  # noqa: F811
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    empty = _studio(cli_env, "audit", "checkpoint")
    assert empty.returncode == 0 and "nothing to checkpoint" in empty.stdout
    _five_events(db_url)
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 0, verify
    assert verify.stdout.startswith("audit chain intact: 5 events (5 signed checkpoints matched)")
    written = _studio(cli_env, "audit", "checkpoint")
    assert written.returncode == 0 and "audit checkpoint written: event 5" in written.stdout
    lines = [
        line for path in audit_anchor.anchor_dir().glob("*.jsonl") for line in path.read_text().splitlines()
    ]
    assert len(lines) == 6


def test_wiped_log_exits_1_naming_event_1(cli_env, db_url):  # noqa: F811
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    _five_events(db_url)
    _sql(db_url, "DELETE FROM audit_event")
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 1
    assert verify.stdout.startswith("audit chain broken at event 1: all events are missing")
    refused = _studio(cli_env, "audit", "checkpoint")
    assert refused.returncode == 1 and "broken at event 1" in refused.stdout


def test_forged_event_exits_1(cli_env, db_url):  # noqa: F811
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    _five_events(db_url)
    _sql(db_url, "UPDATE audit_event SET subject = 'thing:forged' WHERE seq = 3")
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 1
    assert "audit chain broken at event 3: content does not match its keyed hash" in verify.stdout


def test_edited_checkpoint_exits_1(cli_env, db_url):  # noqa: F811
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    _five_events(db_url)
    (path,) = audit_anchor.anchor_dir().glob("*.jsonl")
    path.write_text(path.read_text().replace('"seq": 5', '"seq": 9'))
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 1
    assert verify.stdout.startswith(f"audit chain broken: checkpoint {path.name}:5 has a bad signature")


def test_missing_key_is_a_usage_error(cli_env, db_url, tmp_path):  # noqa: F811
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    _five_events(db_url)
    env = {**cli_env, "STUDIO_AUDIT_KEY_FILE": str(tmp_path / "nowhere.key")}
    verify = _studio(env, "audit", "verify")
    assert verify.returncode == 2
    assert "STUDIO_AUDIT_KEY_FILE" in verify.stderr and "Traceback" not in verify.stderr
    (tmp_path / "audit.key").unlink()  # the generated key is lost: verify must not invent a new one
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 2 and "no audit key" in verify.stderr
    assert not (tmp_path / "audit.key").exists()
    assert _studio(cli_env, "audit", "verify", "--anchors", str(tmp_path / "nowhere")).returncode == 2


def test_seal_chains_what_a_crash_left_pending(cli_env, db_url):  # noqa: F811
    """A writer that committed a pending event and died before sealing it: `studio audit seal` chains it."""
    assert _studio(cli_env, "db", "upgrade").returncode == 0
    _five_events(db_url)
    engine = make_engine(db_url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as holder:  # the chain is busy: the event stays pending, as after a crash
            holder.execute(text(f"SELECT pg_advisory_lock({audit._LOCK_ID})"))
            with Session(engine) as session:
                audit.append(session, None, "test.event", "thing:crash", {})
                session.commit()
            holder.execute(text(f"SELECT pg_advisory_unlock({audit._LOCK_ID})"))
            holder.commit()
        verify = _studio(cli_env, "audit", "verify")
        assert verify.returncode == 0 and "1 pending events not chained yet" in verify.stdout, verify
    engine.dispose()
    sealed = _studio(cli_env, "audit", "seal")
    expected = 1 if db_url.startswith("postgresql") else 0
    assert sealed.returncode == 0 and f"{expected} pending events sealed" in sealed.stdout, sealed
    verify = _studio(cli_env, "audit", "verify")
    assert verify.returncode == 0 and f"intact: {5 + expected} events" in verify.stdout, verify
    assert "pending" not in verify.stdout
