"""Append-only, keyed hash chain: each event's hash is HMAC-SHA256(key, previous hash + its canonical JSON).

The key lives outside the database (settings or <data_dir>/audit.key) and each keyed event names it in
details["_k"]; after every commit that appended events, a signed checkpoint of the new head is appended
to the anchor directory (see audit_anchor). Together: whoever can only write the database can neither
recompute hashes after an edit, nor forge an event, nor truncate or wipe the log unseen.

Events written before keys existed carry no "_k" and a plain sha256 hash. They are accepted only as a
prefix before the first keyed event, whose keyed hash seals the legacy head; checkpoints record where the
keyed part starts ("_since"), so stripping markers to pass keyed events off as legacy is caught as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from studio.db.models import AuditEvent, utcnow
from studio.domain.views import Actor
from studio.workflow import audit_anchor
from studio.workflow.audit_anchor import AuditKey, Checkpoint

GENESIS = "0" * 64
KEY_MARK = "_k"  # key id of the key that sealed the event; absent on legacy events
SINCE_MARK = "_since"  # seq of the first keyed event of this chain
_HEAD = "studio.audit.head"  # session.info slot: the head this transaction appended, to anchor on commit
_log = logging.getLogger(__name__)


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
    """The legacy (pre-key) scheme, only ever checked, never written."""
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def keyed_hash(key: AuditKey, prev_hash: str, event: AuditEvent) -> str:
    return key.mac(prev_hash + canonical(event))


def _key_mark(event: AuditEvent) -> str | None:
    details = event.details if isinstance(event.details, dict) else {}
    mark = details.get(KEY_MARK)
    return mark if isinstance(mark, str) else None


def _serialise_writers(session: Session) -> None:
    """Only one transaction at a time may read the tail and extend it.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: take the database write lock now, with a write
    that changes nothing, so the tail read below is the latest (pysqlite opens a transaction only at the
    first write, so there is no older snapshot to be stuck on); others wait on the busy timeout. Making
    every transaction BEGIN IMMEDIATE would also serialise sessions that only read.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_event SET seq = seq WHERE 0 = 1"))


def append(
    session: Session, actor: Actor | None, action: str, subject: str, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Add an event to the caller's transaction; it commits (or rolls back) with the action it records."""
    key = audit_anchor.signing_key()
    _serialise_writers(session)
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()  # type: ignore[union-attr]
    seq = (last.seq + 1) if last else 1
    since = seq
    if last is not None and _key_mark(last) is not None:
        since = int(last.details.get(SINCE_MARK, 1))
    event = AuditEvent(
        seq=seq,
        at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor=actor.username if actor else "system",
        action=action,
        subject=subject,
        details={**(details or {}), KEY_MARK: key.kid, SINCE_MARK: since},
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    event.hash = keyed_hash(key, event.prev_hash, event)
    session.add(event)
    session.flush()
    session.info[_HEAD] = (event, event.seq, event.hash, since, key)
    return event


@sa_event.listens_for(OrmSession, "after_commit")
def _anchor_committed_head(session: OrmSession) -> None:
    head = session.info.pop(_HEAD, None)
    if head is None:
        return
    event, seq, head_hash, since, key = head
    if not inspect(event).persistent:  # appended inside a savepoint that was rolled back
        return
    try:
        audit_anchor.write_checkpoint(key, seq, head_hash, since)
    except OSError:
        # The action is committed already; failing it now would only confuse. `audit verify` still checks
        # the chain, and the next commit (or `studio audit checkpoint`) anchors the head again.
        _log.exception("could not write the audit checkpoint for event %s", seq)


@sa_event.listens_for(OrmSession, "after_rollback")
def _forget_head(session: OrmSession) -> None:
    session.info.pop(_HEAD, None)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None  # None with ok=False: the anchors, not an event, are at fault
    reason: str = ""
    legacy: int = 0  # unkeyed events before the first keyed one (only as strong as the old plain chain)
    checkpoints: int = 0  # signed checkpoints that matched


class _Broken(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.seq, self.reason = seq, reason


class _Walk:
    """One pass over the events in seq order, against the key and the signed checkpoints."""

    def __init__(self, checkpoints: list[Checkpoint]) -> None:
        self._key: AuditKey | None = None
        self.by_seq: dict[int, list[Checkpoint]] = {}
        for checkpoint in checkpoints:
            self.by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
        self.since = min((c.since for c in checkpoints), default=None)
        self.prev, self.checked, self.legacy, self.keyed_seen = GENESIS, 0, 0, False

    def key(self) -> AuditKey:
        if self._key is None:
            self._key = audit_anchor.verifying_key()
        return self._key

    def step(self, event: AuditEvent) -> None:
        expected = self.checked + 1
        if event.seq != expected:
            raise _Broken(expected, f"event {expected} is missing")
        if event.prev_hash != self.prev:
            raise _Broken(event.seq, "previous-hash link does not match")
        mark = _key_mark(event)
        if mark is None:
            self._legacy(event)
        else:
            self.keyed_seen = True
            if mark != self.key().kid:
                raise _Broken(event.seq, f"sealed with key id {mark}, not the configured key {self.key().kid} "
                                         "(wrong or rotated key, or a forged event)")
            if not hmac.compare_digest(keyed_hash(self.key(), self.prev, event), event.hash):
                raise _Broken(event.seq, "content does not match its keyed hash")
        for checkpoint in self.by_seq.get(event.seq, ()):
            if checkpoint.hash != event.hash:
                raise _Broken(event.seq, f"differs from signed checkpoint {checkpoint.source} of {checkpoint.at} "
                                         "(the chain was rewritten from here)")
        self.prev = event.hash
        self.checked += 1

    def _legacy(self, event: AuditEvent) -> None:
        if self.keyed_seen:
            raise _Broken(event.seq, "unkeyed event after keyed events (forged, or its key marker stripped)")
        if self.since is not None and event.seq >= self.since:
            raise _Broken(event.seq, f"unkeyed event, but signed checkpoints say events from {self.since} "
                                     "are keyed (key marker stripped)")
        if chain_hash(self.prev, event) != event.hash:
            raise _Broken(event.seq, "content does not match its hash")
        self.legacy += 1


def verify(session: Session, anchors: Path | None = None) -> ChainReport:
    """Check every event and every checkpoint; the report names the first bad event.

    Raises ValidationError when a key is needed (keyed events or checkpoints exist) but none is configured.
    """
    walk = _Walk([])
    checkpoints, anchor_problem = audit_anchor.load_checkpoints(walk.key, anchors)
    walk = _Walk(checkpoints)
    try:
        for event in session.exec(select(AuditEvent).order_by(AuditEvent.seq)):  # type: ignore[arg-type]
            walk.step(event)
        newest = max(checkpoints, key=lambda c: c.seq, default=None)
        head = walk.checked
        if newest is not None and newest.seq > head:
            gone = "all events are" if head == 0 else f"events {head + 1}..{newest.seq} are"
            raise _Broken(head + 1, f"{gone} missing: signed checkpoint {newest.source} of {newest.at} "
                                    f"records event {newest.seq}")
        if anchor_problem:
            raise _Broken(None, anchor_problem)
    except _Broken as broken:
        return ChainReport(False, walk.checked, broken.seq, broken.reason, walk.legacy, len(checkpoints))
    return ChainReport(True, walk.checked, legacy=walk.legacy, checkpoints=len(checkpoints))


def checkpoint(session: Session) -> tuple[ChainReport, Path | None]:
    """Verify, then anchor the current head explicitly. Nothing is anchored over a broken chain."""
    report = verify(session)
    if not report.ok or report.checked == 0:
        return report, None
    head = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()  # type: ignore[union-attr]
    since = int(head.details.get(SINCE_MARK, 1)) if _key_mark(head) else head.seq + 1
    path = audit_anchor.write_checkpoint(audit_anchor.signing_key(), head.seq, head.hash, since)
    return report, path


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
