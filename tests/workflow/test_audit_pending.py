"""Pending audit events (PostgreSQL): a writer that finds the chain busy commits its event as pending, sealed
by its own MAC and named in a signed mark; a sealer chains it later. Tampering with a pending event
(edit, delete, replay) is reported by verify; SQLite never writes pending events.

"The chain is busy" is made deterministic by holding the chain's advisory lock from another connection."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from studio.db.models import AuditEvent, AuditPending
from studio.services.data_version import audit_head, data_version
from studio.workflow import audit, audit_anchor


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("pending events exist on PostgreSQL only")
    return engine


@contextmanager
def chain_busy(engine: Engine) -> Iterator[None]:
    """Another session holds the chain's lock (as a writer between its head read and its commit would)."""
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_advisory_lock({audit._LOCK_ID})"))
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({audit._LOCK_ID})"))
            conn.commit()


def _append(engine: Engine, subject: str, action: str = "test.write") -> None:
    with Session(engine) as session:
        audit.append(session, None, action, subject, {"n": subject})
        session.commit()


def _pending(session: Session) -> list[AuditPending]:
    session.expire_all()
    return list(session.exec(select(AuditPending)).all())


def _events(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())


def _marked_ids() -> list[str]:
    marks, problem, _ = audit_anchor.load_pending_marks(audit_anchor.verifying_key, None, {})
    assert problem is None
    return [m.id for m in marks]


def test_busy_chain_leaves_a_pending_event_that_a_sealer_chains(pg, session):
    _append(pg, "first")
    version = data_version(session)
    with chain_busy(pg):
        _append(pg, "second")  # its own after-commit seal finds the chain busy too: a crash would look alike
        [pending] = _pending(session)
        pending_id = pending.id
        assert pending.subject == "second" and [e.subject for e in _events(session)] == ["first"]
        assert _marked_ids() == [pending_id]
        assert data_version(session) == version + 1 and audit_head(session) == 2  # caches see the change
        report = audit.verify(session)
        assert report.ok and report.checked == 1 and report.pending == 1, report
    assert audit.seal_pending(pg) == 1
    events = _events(session)
    assert [e.subject for e in events] == ["first", "second"] and _pending(session) == []
    assert events[1].details[audit.PENDING_MARK] == pending_id and events[1].prev_hash == events[0].hash
    assert data_version(session) == version + 1  # sealing moves the event, not the version
    report = audit.verify(session)
    assert report.ok and report.checked == 2 and report.pending == 0 and report.checkpoints == 2, report


def test_the_next_write_seals_what_was_left_pending(pg, session):
    with chain_busy(pg):
        _append(pg, "left")
    _append(pg, "next")  # takes the free chain: chains the pending event first, then its own
    assert [e.subject for e in _events(session)] == ["left", "next"] and _pending(session) == []
    assert audit.verify(session).ok


def test_edited_pending_event_is_detected_and_never_sealed(pg, session):
    with chain_busy(pg):
        _append(pg, "honest")
    session.execute(text("UPDATE audit_pending SET actor = 'mallory'"))
    session.commit()
    report = audit.verify(session)
    assert not report.ok and "does not match its own MAC" in report.reason, report
    assert audit.seal_pending(pg) == 0
    assert _events(session) == [] and len(_pending(session)) == 1


def test_deleted_pending_event_is_detected(pg, session):
    _append(pg, "first")
    assert audit.verify(session).ok  # remembered: the incremental check below starts from here
    with chain_busy(pg):
        _append(pg, "doomed")
    session.execute(text("DELETE FROM audit_pending"))
    session.commit()
    for check in (audit.verify, audit.verify_incremental):
        report = check(session)
        assert not report.ok and "neither pending nor in the chain" in report.reason, report


def test_replayed_pending_event_is_detected(pg, session):
    with chain_busy(pg):
        _append(pg, "once")
    copy = session.execute(text("SELECT * FROM audit_pending")).mappings().one()
    assert audit.seal_pending(pg) == 1
    session.execute(
        text(
            "INSERT INTO audit_pending (id, at, actor_id, actor, action, subject, details, mac) "
            "VALUES (:id, :at, :actor_id, :actor, :action, :subject, CAST(:details AS json), :mac)"
        ),
        {**copy, "details": json.dumps(copy["details"])},
    )
    session.commit()
    report = audit.verify(session)
    assert not report.ok and "in the chain already (replayed)" in report.reason, report
    assert audit.seal_pending(pg) == 1  # a sealer does not look it up; the chain then names the replay
    report = audit.verify(session)
    assert not report.ok and report.broken_seq == 2 and "a second time" in report.reason, report


def test_concurrent_writers_all_end_up_in_one_chain(pg, session):
    """Round 1: the chain is held, 10 writers all commit pending events. Round 2: 10 writers race freely."""
    errors: list[str] = []

    def writers(rounds: int, tag: str) -> None:
        barrier = threading.Barrier(10)

        def write(n: int) -> None:
            barrier.wait()
            for i in range(rounds):
                try:
                    _append(pg, f"{tag}{n}.{i}")
                except Exception as error:  # noqa: BLE001 - any failure is the failure under test
                    errors.append(f"{type(error).__name__}: {error}")

        threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)

    with chain_busy(pg):
        writers(2, "held")
        assert len(_pending(session)) == 20 and _events(session) == []
    writers(10, "free")
    audit.seal_pending(pg)  # anything a racing writer left behind
    assert errors == []
    events = _events(session)
    assert [e.seq for e in events] == list(range(1, 121)) and _pending(session) == []
    origins = [e.details[audit.PENDING_MARK] for e in events if audit.PENDING_MARK in e.details]
    assert len(origins) == len(set(origins)) >= 20 and set(_marked_ids()) == set(origins)
    report = audit.verify(session)
    assert report.ok and report.checked == 120 and report.pending == 0, report


def test_sqlite_never_writes_pending_events(engine, session):
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite path")
    for n in range(3):
        _append(engine, f"s{n}")
    assert audit.seal_pending(engine) == 0 and _pending(session) == [] and _marked_ids() == []
    report = audit.verify(session)
    assert report.ok and report.checked == 3 and report.checkpoints == 3 and report.pending == 0
