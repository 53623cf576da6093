"""The audit trail proves itself: an attacker with database rights (but not the audit key, and not the
anchor directory) cannot edit, forge, reorder, truncate or wipe events without `verify` naming the first
bad event. Each attack lifts the append-only triggers first, as someone with DDL rights could."""

from __future__ import annotations

import json
import secrets
import threading

import pytest
from argon2.exceptions import VerificationError
from sqlalchemy import text
from sqlmodel import Session, select

from studio.db.models import AuditEvent
from studio.errors import StudioError, ValidationError
from studio.services import auth
from studio.workflow import audit, audit_anchor
from tests import tamper
from tests.conftest import PASSWORD


@pytest.fixture
def chain(world, engine):  # type: ignore[no-untyped-def]
    """Ten more events, one commit each (so one checkpoint each); returns the head seq."""
    actor = world.actor("editor")
    for i in range(10):
        audit.append(world.session, actor, "test.event", f"thing:{i}", {"n": i})
        world.session.commit()
    report = audit.verify(world.session)
    assert report.ok, report
    with engine.begin() as conn:
        tamper.drop_append_only_guard(conn)
    return _head(world)


def _head(world) -> int:  # type: ignore[no-untyped-def]
    world.session.expire_all()
    return world.session.exec(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).first() or 0  # type: ignore[union-attr]


def _broken_at(world, seq: int | None, *words: str) -> audit.ChainReport:  # type: ignore[no-untyped-def]
    world.session.expire_all()
    report = audit.verify(world.session)
    assert not report.ok, report
    assert report.broken_seq == seq, report
    for word in words:
        assert word in report.reason, report
    return report


def _key() -> bytes:
    return audit_anchor.signing_key().secret


def _by_seq(rows, seq):  # type: ignore[no-untyped-def]
    return next(r for r in rows if r["seq"] == seq)


# --- events edited or forged in the database ------------------------------------------------------------


def test_new_events_are_keyed_with_the_key_id(world, chain):
    event = world.session.exec(select(AuditEvent).where(AuditEvent.seq == chain)).one()
    assert event.details["_k"] == audit_anchor.signing_key().kid
    assert len(event.hash) == 64


def test_edit_and_recompute_plain_hashes(world, engine, chain):
    target = chain - 4
    with engine.begin() as conn:
        rows = tamper.rows(conn)
        _by_seq(rows, target)["details"]["n"] = 999
        tamper.rewrite(conn, rows, start_seq=target, hasher=tamper.plain_hash)
    _broken_at(world, target, "does not match")


def test_edit_recompute_plain_and_strip_the_key_marker(world, engine, chain):
    """A downgrade: the edited event and all after it pretend to be legacy (pre-key) events."""
    target = chain - 4
    with engine.begin() as conn:
        rows = tamper.rows(conn)
        _by_seq(rows, target)["details"]["n"] = 999
        for row in rows:
            if row["seq"] >= target:
                row["details"] = {k: v for k, v in row["details"].items() if not k.startswith("_")}
        tamper.rewrite(conn, rows, start_seq=target, hasher=tamper.plain_hash)
    _broken_at(world, target, "unkeyed")


def test_whole_chain_downgraded_to_plain_hashes(world, engine, chain):
    with engine.begin() as conn:
        rows = tamper.rows(conn)
        for row in rows:
            row["details"] = {k: v for k, v in row["details"].items() if not k.startswith("_")}
        tamper.rewrite(conn, rows, start_seq=1, hasher=tamper.plain_hash)
    _broken_at(world, 1, "unkeyed")


def test_edit_and_recompute_with_a_wrong_key(world, engine, chain):
    target = chain - 3
    wrong = secrets.token_bytes(32)
    with engine.begin() as conn:
        rows = tamper.rows(conn)
        _by_seq(rows, target)["subject"] = "thing:forged"
        tamper.rewrite(
            conn, rows, start_seq=target, hasher=lambda prev, row: tamper.keyed_hash(wrong, prev, row)
        )
    _broken_at(world, target, "does not match")


def test_replaced_key_id(world, engine, chain):
    target = chain - 2
    with engine.begin() as conn:
        rows = tamper.rows(conn)
        _by_seq(rows, target)["details"]["_k"] = "0123456789ab"
        tamper.rewrite(
            conn,
            rows,
            start_seq=target,
            hasher=lambda prev, row: tamper.keyed_hash(secrets.token_bytes(32), prev, row),
        )
    _broken_at(world, target, "key id 0123456789ab")


def test_forged_appended_event(world, engine, chain):
    with engine.begin() as conn:
        rows = tamper.rows(conn)
        last = dict(rows[-1])
        forged = {
            **last,
            "seq": chain + 1,
            "subject": "user:1",
            "action": "login",
            "prev_hash": last["hash"],
            "details": dict(last["details"]),
        }
        forged["hash"] = tamper.keyed_hash(secrets.token_bytes(32), forged["prev_hash"], forged)
        tamper.insert(conn, forged)
    _broken_at(world, chain + 1, "does not match")


def test_forged_appended_legacy_event(world, engine, chain):
    with engine.begin() as conn:
        last = tamper.rows(conn)[-1]
        forged = {**last, "seq": chain + 1, "prev_hash": last["hash"], "details": {}}
        forged["hash"] = tamper.plain_hash(forged["prev_hash"], forged)
        tamper.insert(conn, forged)
    _broken_at(world, chain + 1, "unkeyed")


def test_deleted_middle_event(world, engine, chain):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": chain - 5})
    _broken_at(world, chain - 5, "missing")


def test_swapped_events(world, engine, chain):
    a, b = chain - 6, chain - 5
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = :a"), {"a": a})
        conn.execute(text("UPDATE audit_event SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
        conn.execute(text("UPDATE audit_event SET seq = :b WHERE seq = -1"), {"b": b})
    _broken_at(world, a)


def test_renumbered_seq(world, engine, chain):
    """Close a gap left by a deletion by renumbering everything after it."""
    gap = chain - 5
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": gap})
        for seq in range(gap + 1, chain + 1):
            conn.execute(text("UPDATE audit_event SET seq = :n WHERE seq = :s"), {"n": seq - 1, "s": seq})
        rows = tamper.rows(conn)
        tamper.rewrite(conn, rows, start_seq=gap, hasher=tamper.plain_hash)
    _broken_at(world, gap)


# --- truncation and wiping: only the anchors outside the database can tell --------------------------------


def test_deleted_last_events(world, engine, chain):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": chain - 3})
    _broken_at(world, chain - 2, "missing", "checkpoint")


def test_wiped_log(world, engine, chain):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
    _broken_at(world, 1, "missing", "checkpoint")


def test_truncated_then_the_app_carries_on(world, engine, chain):
    """The chain in the database is internally valid again, but it forks from what was anchored."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": chain - 3})
    world.session.expire_all()
    for i in range(5):
        audit.append(world.session, None, "test.after", f"again:{i}", {})
        world.session.commit()
    _broken_at(world, chain - 2, "checkpoint")


def test_deleted_last_events_and_the_newest_checkpoint_line(world, engine, chain):
    """Every commit leaves a checkpoint: removing the newest line still leaves older ones past the cut."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": chain - 3})
    (path,) = audit_anchor.anchor_dir().glob("*.jsonl")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    _broken_at(world, chain - 2, "missing")


def test_limit_all_checkpoints_past_the_cut_deleted_too(world, engine, chain):
    """Known limit (docs/security.md): with write access to the anchors as well, truncation goes unseen.

    This is what WORM storage for STUDIO_AUDIT_ANCHOR_DIR prevents."""
    cut = chain - 3
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": cut})
    (path,) = audit_anchor.anchor_dir().glob("*.jsonl")
    kept = [line for line in path.read_text().splitlines(keepends=True) if json.loads(line)["seq"] <= cut]
    path.write_text("".join(kept))
    world.session.expire_all()
    assert audit.verify(world.session).ok


# --- the anchors themselves ------------------------------------------------------------------------------


def test_checkpoints_written_after_each_commit(world, chain):
    lines = [
        json.loads(line)
        for path in audit_anchor.anchor_dir().glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert max(line["seq"] for line in lines) == chain
    assert {"seq", "hash", "at", "kid", "since", "mac"} <= set(lines[-1])
    assert audit_anchor.anchor_dir().stat().st_mode & 0o077 == 0


def test_no_checkpoint_for_a_rolled_back_event(world, chain):
    audit.append(world.session, None, "test.rolled_back", "thing:x", {})
    world.session.rollback()
    lines = [
        json.loads(line)
        for path in audit_anchor.anchor_dir().glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert max(line["seq"] for line in lines) == chain
    assert audit.verify(world.session).ok


def test_edited_checkpoint_is_refused(world, engine, chain):
    """Lowering the anchored head would hide a truncation; the checkpoint's signature no longer holds."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": chain - 3})
    (path,) = audit_anchor.anchor_dir().glob("*.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        line["seq"] = min(line["seq"], chain - 3)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    _broken_at(world, None, "signature")


def test_forged_checkpoint_is_refused(world, chain):
    path = audit_anchor.anchor_dir() / "checkpoints-2099-01-01.jsonl"
    forged = {
        "v": 1,
        "seq": chain + 50,
        "hash": "f" * 64,
        "at": "2099-01-01T00:00:00+00:00",
        "kid": audit_anchor.signing_key().kid,
        "since": 1,
        "mac": "0" * 64,
    }
    path.write_text(json.dumps(forged) + "\n")
    report = _broken_at(world, None, "signature")
    assert "checkpoints-2099-01-01.jsonl:1" in report.reason


def test_garbled_checkpoint_line_is_refused(world, chain):
    (path,) = audit_anchor.anchor_dir().glob("*.jsonl")
    with path.open("a") as handle:
        handle.write('{"seq": 3, "ha\n')
    _broken_at(world, None, "unreadable")


# --- keys ------------------------------------------------------------------------------------------------


def test_key_from_settings_hex_base64_and_file(tmp_path, monkeypatch):
    from studio.settings import get_settings

    raw = secrets.token_bytes(32)
    import base64

    for value in (raw.hex(), base64.b64encode(raw).decode()):
        monkeypatch.setenv("STUDIO_AUDIT_KEY", value)
        get_settings.cache_clear()
        assert audit_anchor.signing_key().secret == raw
    monkeypatch.delenv("STUDIO_AUDIT_KEY")
    key_file = tmp_path / "k"
    key_file.write_text(raw.hex() + "\n")
    monkeypatch.setenv("STUDIO_AUDIT_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    assert audit_anchor.signing_key().secret == raw
    for bad in ("abc", "not a key at all!"):
        monkeypatch.setenv("STUDIO_AUDIT_KEY", bad)
        get_settings.cache_clear()
        with pytest.raises(ValidationError):
            audit_anchor.signing_key()


def test_generated_key_is_private_and_stable(tmp_path):
    first = audit_anchor.signing_key()
    path = tmp_path / "audit.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert audit_anchor.signing_key() == first


def test_verify_without_the_key_is_a_usage_error(world, chain, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_AUDIT_KEY_FILE", str(tmp_path / "nowhere.key"))
    from studio.settings import get_settings

    get_settings.cache_clear()
    with pytest.raises(ValidationError, match="STUDIO_AUDIT_KEY_FILE"):
        audit.verify(world.session)


def test_verify_with_another_key_names_the_key(world, chain, monkeypatch):
    monkeypatch.setenv("STUDIO_AUDIT_KEY", secrets.token_hex(32))
    from studio.settings import get_settings

    get_settings.cache_clear()
    report = audit.verify(world.session)
    assert not report.ok and report.broken_seq == 1 and "key id" in report.reason


# --- databases from before keyed chains ------------------------------------------------------------------


def test_legacy_prefix_then_keyed_events(session, engine):
    with engine.begin() as conn:
        prev = audit.GENESIS
        for seq in (1, 2, 3):
            row = {
                "seq": seq,
                "at": "2026-01-01 00:00:00.000000",
                "actor_id": None,
                "actor": "system",
                "action": "legacy",
                "subject": f"old:{seq}",
                "details": {"n": seq},
                "prev_hash": prev,
            }
            row["hash"] = tamper.plain_hash(prev, row)
            tamper.insert(conn, row)
            prev = row["hash"]
    audit.append(session, None, "test.new", "new:1", {})
    session.commit()
    report = audit.verify(session)
    assert report.ok and report.checked == 4 and report.legacy == 3
    new = session.exec(select(AuditEvent).where(AuditEvent.seq == 4)).one()
    assert new.details["_since"] == 4
    # Rehashing an edited legacy prefix passes the plain hashes, but the first keyed event sealed the
    # legacy head: the break shows there. (Edits made before the upgrade stay invisible, as they always were.)
    with engine.begin() as conn:
        tamper.drop_append_only_guard(conn)
        rows = tamper.rows(conn)
        _by_seq(rows, 2)["subject"] = "old:forged"
        tamper.rewrite(conn, rows, start_seq=2, hasher=tamper.plain_hash)
    session.expire_all()
    report = audit.verify(session)
    assert not report.ok and report.broken_seq == 4


# --- eight logins at once --------------------------------------------------------------------------------


class _QuickHasher:
    """argon2 costs seconds per round on a busy machine; the race under test is in the audit append."""

    def hash(self, password: str) -> str:
        return f"quick:{password}"

    def verify(self, hashed: str, password: str) -> bool:
        if password != PASSWORD:
            raise VerificationError("wrong password")
        return True


def test_eight_logins_at_once(world, engine, monkeypatch):
    auth._dummy_hash()  # cached with the real hasher first, so later tests still see an argon2 dummy
    monkeypatch.setattr(auth, "_HASHER", _QuickHasher())
    failures: list[str] = []
    users = ("editor", "reviewer", "reviewer2", "loc_a", "loc_b", "loc_gx", "staff_a", "ghost")
    for _ in range(20):
        barrier = threading.Barrier(len(users))

        def login(username: str, barrier: threading.Barrier = barrier) -> None:
            with Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                try:
                    auth.authenticate(session, username, PASSWORD)
                except StudioError as error:  # refused (or throttled): fine for the unknown user only
                    if username != "ghost":
                        failures.append(f"{username}: {error}")
                except Exception as error:  # noqa: BLE001 - any crash is the failure under test
                    failures.append(f"{username}: {type(error).__name__}: {error}")

        threads = [threading.Thread(target=login, args=(name,)) for name in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert failures == []
    audit.seal_pending(engine)  # PostgreSQL: whatever a racing writer left pending (no-op on SQLite)
    world.session.expire_all()
    report = audit.verify(world.session)
    # 7 real users x 20 rounds log in; the unknown user's failures are recorded as bursts (login throttle),
    # so it adds a few events, not 20. SQLite anchors every event; PostgreSQL anchors a sealed batch once.
    assert report.ok and report.pending == 0, report
    if engine.dialect.name == "sqlite":
        assert report.checked == report.checkpoints, report
    else:
        assert 0 < report.checkpoints <= report.checked, report
    logins = world.session.exec(select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert len(logins) == 140 and 140 < report.checked <= 160, report
