"""Append-only, hash-chained audit log: each event's hash covers the previous hash and its own JSON."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from studio.db.models import AuditEvent, utcnow
from studio.domain.views import Actor

GENESIS = "0" * 64


def canonical(event: AuditEvent) -> str:
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    payload = {
        "seq": event.seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def append(
    session: Session, actor: Actor | None, action: str, subject: str, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Add an event to the caller's transaction; it commits (or rolls back) with the action it records."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers of the chain so two transactions never extend the same tail.
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()  # type: ignore[union-attr]
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor=actor.username if actor else "system",
        action=action,
        subject=subject,
        details=details or {},
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    event.hash = chain_hash(event.prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(session: Session) -> ChainReport:
    prev = GENESIS
    checked = 0
    expected_seq = 1
    for event in session.exec(select(AuditEvent).order_by(AuditEvent.seq)):  # type: ignore[arg-type]
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.seq, "previous-hash link does not match")
        if chain_hash(prev, event) != event.hash:
            return ChainReport(False, checked, event.seq, "content does not match its hash")
        prev = event.hash
        checked += 1
        expected_seq += 1
    return ChainReport(True, checked)



def export_csv(session: Session, actor: Actor, *, action_filter: str = "") -> str:
    """The log as CSV (formula-escaped); the export itself is recorded in the log."""
    from studio.exports.spreadsheet import to_csv

    rows = [
        (e.seq, e.at.isoformat(timespec="seconds"), e.actor, e.action, e.subject,
         json.dumps(e.details, ensure_ascii=False, sort_keys=True), e.prev_hash, e.hash)
        for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))  # type: ignore[arg-type]
        if not action_filter or action_filter in e.action
    ]
    append(session, actor, "audit.export", "audit", {"rows": len(rows), "filter": action_filter[:40]})
    session.commit()
    return to_csv(("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"), rows)
