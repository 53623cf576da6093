"""The short critical section of audit.append: the lock and the head read, one HMAC, one insert.

Racing writers must still extend one unbroken chain (the head read after the lock sees the previous
holder's committed event), several events in one transaction chain in order, and an event appended in a
savepoint that rolls back leaves no trace and no checkpoint."""

from __future__ import annotations

import json
import threading

from sqlmodel import Session, col, select

from studio.db.models import AuditEvent
from studio.workflow import audit, audit_anchor


def _checkpoint_seqs() -> list[int]:
    return [
        json.loads(line)["seq"]
        for path in sorted(audit_anchor.anchor_dir().glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def _seqs(session: Session) -> list[int]:
    session.expire_all()
    return list(session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq))).all())


def test_racing_writers_extend_one_chain(world, engine):
    """12 threads, each with its own session, append 15 events each, one commit per event."""
    errors: list[str] = []
    barrier = threading.Barrier(12)

    def writer(n: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            for i in range(15):
                try:
                    audit.append(session, None, "test.race", f"writer:{n}", {"i": i})
                    session.commit()
                except Exception as error:  # noqa: BLE001 - a duplicate seq or a deadlock is the failure
                    session.rollback()
                    errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    seqs = _seqs(world.session)
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 180
    report = audit.verify(world.session)
    assert report.ok and report.checked == len(seqs), report
    assert max(_checkpoint_seqs()) == seqs[-1]


def test_several_events_in_one_transaction(world):
    before = len(_seqs(world.session))
    for i in range(3):
        audit.append(world.session, None, "test.batch", f"item:{i}", {"i": i})
    world.session.commit()
    events = world.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()[before:]
    assert [e.subject for e in events] == ["item:0", "item:1", "item:2"]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert _checkpoint_seqs()[-1] == events[-1].seq  # one checkpoint, of the transaction's last event
    assert audit.verify(world.session).ok


def test_savepoint_rolled_back_leaves_no_event(world):
    audit.append(world.session, None, "test.kept", "kept:1", {})
    world.session.commit()
    head = _seqs(world.session)[-1]
    checkpoints = _checkpoint_seqs()
    nested = world.session.begin_nested()
    audit.append(world.session, None, "test.dropped", "dropped:1", {})
    nested.rollback()
    world.session.commit()
    assert _seqs(world.session)[-1] == head
    assert _checkpoint_seqs() == checkpoints  # nothing anchored for the event that never committed
    audit.append(world.session, None, "test.after", "after:1", {})
    world.session.commit()
    assert _seqs(world.session)[-1] == head + 1
    assert _checkpoint_seqs()[-1] == head + 1
    assert audit.verify(world.session).ok


def test_savepoint_released_is_anchored(world):
    with world.session.begin_nested():
        event = audit.append(world.session, None, "test.nested", "nested:1", {})
    world.session.commit()
    assert _checkpoint_seqs()[-1] == event.seq
    assert audit.verify(world.session).ok
