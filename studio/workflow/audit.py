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
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol, overload

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, delete, func, inspect, text
from sqlalchemy import event as sa_event
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from studio.db import typed
from studio.db.models import AuditEvent, AuditPending, utcnow
from studio.domain.clock import as_utc, at_beijing
from studio.domain.views import Actor
from studio.workflow import audit_anchor
from studio.workflow.audit_anchor import AuditKey, Checkpoint
from studio.workflow.permissions import require, require_network_scope

GENESIS = "0" * 64
KEY_MARK = "_k"  # key id of the key that sealed the event; absent on legacy events
SINCE_MARK = "_since"  # seq of the first keyed event of this chain
PENDING_MARK = "_p"  # in a sealed event: the id of the pending event it was sealed from
_HEAD = "studio.audit.head"  # session.info slot: the head this transaction appended, to anchor on commit
_PENDING = (
    "studio.audit.pending"  # session.info slot: pending events this transaction wrote, to mark and seal
)
_RESEAL = "studio.audit.reseal"  # session.info slot: seal again after the commit (writers were racing)
_PENDING_DOMAIN = "studio-audit-pending-v1\n"  # a pending MAC can never pass for a chain hash or checkpoint
_SEAL_BATCH = 500
_log = logging.getLogger(__name__)


class ChainEvent(Protocol):
    """What hashing and verifying read of an event: an AuditEvent, or a row of `_chain_columns()`."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def canonical(event: ChainEvent) -> str:
    payload = {
        "seq": event.seq,
        "at": as_utc(event.at).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, event: ChainEvent) -> str:
    """The legacy (pre-key) scheme, only ever checked, never written."""
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def keyed_hash(key: AuditKey, prev_hash: str, event: ChainEvent) -> str:
    return key.mac(prev_hash + canonical(event))


def _key_mark(event: ChainEvent) -> str | None:
    details = event.details if isinstance(event.details, dict) else {}
    mark = details.get(KEY_MARK)
    return mark if isinstance(mark, str) else None


_LOCK_ID = 7261001
_PG_LOCK_AND_HEAD = (  # one round trip: the lock, then (a fresh snapshot per statement) the head
    f"SELECT pg_advisory_xact_lock({_LOCK_ID}); "
    "SELECT seq, hash, details->>'_k', details->>'_since' FROM audit_event ORDER BY seq DESC LIMIT 1"
)
_PENDING_COLUMNS = "id, at, actor_id, actor, action, subject, details, mac"
_TRY = f"WITH l AS MATERIALIZED (SELECT pg_try_advisory_xact_lock({_LOCK_ID}) AS got) "
_PG_TRY_HEAD_PENDING = (  # one round trip: try the lock; only if it was free, the head and pending events
    f"SELECT pg_try_advisory_xact_lock({_LOCK_ID}); "
    # Separate statements, so their snapshots are taken after the lock (READ COMMITTED): they see the
    # previous holder's commit. Trying again is free when this transaction holds the lock (re-entrant),
    # and a busy chain reads no rows at all (`WHERE l.got` is a one-time filter).
    f"{_TRY}SELECT h.* FROM l CROSS JOIN LATERAL (SELECT seq, hash, details->>'_k', "
    "details->>'_since' FROM audit_event WHERE l.got ORDER BY seq DESC LIMIT 1) h; "
    f"{_TRY}SELECT p.* FROM l CROSS JOIN LATERAL (SELECT {_PENDING_COLUMNS} FROM audit_pending "
    f"WHERE l.got ORDER BY at, id LIMIT {_SEAL_BATCH}) p"
)


@dataclass(frozen=True)
class _Head:
    seq: int
    hash: str
    keyed: bool
    since: int | None


def _head_of(row: Any) -> _Head | None:
    if row is None:
        return None
    seq, head_hash, kid, since = row
    return _Head(int(seq), str(head_hash), kid is not None, int(since) if since else None)


def _lock_and_read_head(session: Session) -> _Head | None:
    """Become the only transaction that may extend the chain, and read its head as it is now.

    This starts the critical section, which ends at commit: nothing but the insert of the event (and, for
    most services, the commit itself) runs inside it. PostgreSQL (inside a savepoint only; see `append`):
    a transaction-scoped advisory lock and the head read in one round trip (two statements in one simple
    query, each with its own snapshot in READ COMMITTED, so the read sees the previous holder's committed
    event). SQLite: take the database write lock with a write that changes nothing, so the read below is
    the latest (pysqlite opens a transaction only at the first write, so there is no older snapshot to be
    stuck on); others wait on the busy timeout. Making every transaction BEGIN IMMEDIATE would also
    serialise sessions that only read.
    """
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute(_PG_LOCK_AND_HEAD)
            cursor.nextset()
            return _head_of(cursor.fetchone())
        finally:
            cursor.close()
    session.execute(text("UPDATE audit_event SET seq = seq WHERE 0 = 1"))
    last = session.execute(
        sa_select(col(AuditEvent.seq), col(AuditEvent.hash), col(AuditEvent.details))
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    details = last[2] if isinstance(last[2], dict) else {}
    since = details.get(SINCE_MARK)
    return _Head(int(last[0]), str(last[1]), isinstance(details.get(KEY_MARK), str), _int_or_none(since))


def _try_lock(session: Session) -> tuple[bool, _Head | None, list[AuditPending]]:
    """PostgreSQL: take the chain if nobody holds it; with it, the head and the oldest pending events."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_PG_TRY_HEAD_PENDING)
        row = cursor.fetchone()
        got = bool(row and row[0])
        cursor.nextset()
        head = _head_of(cursor.fetchone()) if got else None
        cursor.nextset()
        pending = [
            AuditPending(**dict(zip(_PENDING_COLUMNS.split(", "), r, strict=True))) for r in cursor.fetchall()
        ]
    finally:
        cursor.close()
    return got, head, pending


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def pending_mac(key: AuditKey, pending: AuditPending) -> str:
    """A pending event's own seal: HMAC over its id and content, before it has a place in the chain."""
    payload = {
        "id": pending.id,
        "at": as_utc(pending.at).isoformat(timespec="microseconds"),
        "actor_id": pending.actor_id,
        "actor": pending.actor,
        "action": pending.action,
        "subject": pending.subject,
        "details": pending.details,
    }
    return key.mac(
        _PENDING_DOMAIN + json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    )


def pending_ok(key: AuditKey, pending: AuditPending) -> bool:
    details = pending.details if isinstance(pending.details, dict) else {}
    return details.get(KEY_MARK) == key.kid and hmac.compare_digest(pending_mac(key, pending), pending.mac)


def append(
    session: Session, actor: Actor | None, action: str, subject: str, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Add an event to the caller's transaction; it commits (or rolls back) with the action it records.

    Everything that does not depend on the chain's head happens before the chain is touched: the key, the
    event, and a flush of the caller's own pending writes. PostgreSQL, outside savepoints: one round trip
    tries the chain's lock. Free: chain the committed pending events and this one (HMACs, one INSERT); the
    lock lasts to the commit. Busy: insert the event as pending, sealed by its own HMAC, and wait for
    nobody; after the commit a signed mark names it in the anchors and a sealer chains it (`seal_pending`).
    SQLite and savepoints: wait for the lock, as before. A pending event's `seq` stays 0.
    """
    key = audit_anchor.signing_key()
    session.flush()  # the caller's writes go out now, not while every other writer waits
    event = AuditEvent(
        seq=0,
        at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor=actor.username if actor else "system",
        action=action,
        subject=subject,
        details={**(details or {}), KEY_MARK: key.kid},
        prev_hash=GENESIS,
        hash="",
    )
    nested = session.get_nested_transaction() is not None
    if session.get_bind().dialect.name == "postgresql" and not nested:
        got, head, pending = _try_lock(session)
        if not got:
            _insert_pending(session, key, event)
            return event
        _seal(session, key, head, [*_sealable(key, pending), event])
        if pending:  # writers are racing: look again after the commit for events pending meanwhile
            session.info[_RESEAL] = session.connection()
        return event
    head = _lock_and_read_head(session)
    _link(key, head, [event])
    if nested:  # a savepoint may roll back: keep the ORM object, whose state tells whether it survived
        session.add(event)
        session.flush()
    else:
        session.execute(_TABLE.insert(), [_row_of(event)])
    session.info[_HEAD] = (event if nested else None, event.seq, event.hash, event.details[SINCE_MARK], key)
    return event


def _link(key: AuditKey, head: _Head | None, events: list[AuditEvent]) -> None:
    """Place `events` after `head`, in order: seq, where keyed events start, previous hash, keyed hash."""
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    since = (head.since or 1) if head is not None and head.keyed else None
    for event in events:
        seq += 1
        since = since or seq
        event.seq, event.prev_hash = seq, prev
        event.details[SINCE_MARK] = since
        event.hash = prev = keyed_hash(key, prev, event)


def _seal(session: Session, key: AuditKey, head: _Head | None, events: list[AuditEvent]) -> None:
    """Chain `events` (sealed pending ones first) under the lock this transaction holds; anchor on commit."""
    _link(key, head, events)
    session.execute(_TABLE.insert(), [_row_of(e) for e in events])
    sealed = [e.details[PENDING_MARK] for e in events if PENDING_MARK in e.details]
    if sealed:
        session.execute(delete(AuditPending).where(col(AuditPending.id).in_(sealed)))
    last = events[-1]
    session.info[_HEAD] = (None, last.seq, last.hash, last.details[SINCE_MARK], key)


def _sealable(key: AuditKey, pending: list[AuditPending]) -> list[AuditEvent]:
    """The pending events whose own MAC holds, as chain events; the others stay for `verify` to report."""
    events = []
    for p in pending:
        if not pending_ok(key, p):
            _log.error("pending audit event %s does not match its MAC: not sealed", p.id)
            continue
        events.append(
            AuditEvent(
                seq=0,
                at=as_utc(p.at),
                actor_id=p.actor_id,
                actor=p.actor,
                action=p.action,
                subject=p.subject,
                details={**p.details, PENDING_MARK: p.id},
                prev_hash=GENESIS,
                hash="",
            )
        )
    return events


def _insert_pending(session: Session, key: AuditKey, event: AuditEvent) -> None:
    pending = AuditPending(
        id=secrets.token_hex(16),
        at=event.at,
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        details=event.details,
        mac="",
    )
    pending.mac = pending_mac(key, pending)
    session.execute(_PENDING_TABLE.insert(), [{c: getattr(pending, c) for c in _PENDING_COLUMNS.split(", ")}])
    # The transaction's own connection: after the commit it seals on it, and needs no second one.
    ids, _, _ = session.info.setdefault(_PENDING, ([], key, session.connection()))
    ids.append(pending.id)


def seal_pending(bind: Engine | Connection) -> int:
    """Chain every committed pending event whose MAC holds, in batches; returns how many were sealed.

    Only one sealer works at a time (the chain's lock, tried, never waited for: whoever holds it seals
    everything committed). After each batch the lock is released and the table looked at again, so an
    event committed while the holder worked is sealed by it or by the next holder. An event can still be
    left pending when its writer tried the lock while a writer that had seen no pending event held it: the
    next write seals it, or `studio audit seal`; so do events left by a crash between commit and seal.
    `bind`: an engine, or an idle connection (after a commit, the committing session's own).
    No-op on SQLite, where events are always chained in their own transaction.
    """
    if bind.dialect.name != "postgresql":
        return 0
    key, total = audit_anchor.signing_key(), 0
    with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as conn:
        while True:
            with Session(bind=conn) as session:
                got, head, pending = _try_lock(session)
                events = _sealable(key, pending) if got else []
                if events:
                    _seal(session, key, head, events)
                session.commit()
            total += len(events)
            if not events or not _any_pending(conn):
                return total


def _any_pending(conn: Connection) -> bool:
    found = conn.execute(sa_select(col(AuditPending.id)).limit(1)).first() is not None
    conn.rollback()
    return found


_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_PENDING_TABLE = AuditPending.__table__  # type: ignore[attr-defined]
_COLUMNS = ("seq", "at", "actor_id", "actor", "action", "subject", "details", "prev_hash", "hash")


def _row_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _COLUMNS}


@sa_event.listens_for(OrmSession, "after_commit")
def _anchor_committed_head(session: OrmSession) -> None:
    pending = session.info.pop(_PENDING, None)
    head = session.info.pop(_HEAD, None)
    if head is not None:
        _anchor_head(*head)
    reseal = session.info.pop(_RESEAL, None)
    if pending is not None:
        _mark_and_seal(*pending)
    elif reseal is not None:
        _seal_quietly(reseal, "after a contended append")


def _anchor_head(event: AuditEvent | None, seq: int, head_hash: str, since: int, key: AuditKey) -> None:
    if event is not None and not inspect(event).persistent:  # appended in a savepoint that rolled back
        return
    try:
        audit_anchor.write_checkpoint(key, seq, head_hash, since)
    except OSError:
        # The action is committed already; failing it now would only confuse. `audit verify` still checks
        # the chain, and the next commit (or `studio audit checkpoint`) anchors the head again.
        _log.exception("could not write the audit checkpoint for event %s", seq)


def _mark_and_seal(ids: list[str], key: AuditKey, bind: Connection) -> None:
    """After a commit that left events pending: name them in the anchors, then try to seal them."""
    try:
        audit_anchor.write_pending_marks(key, ids)
    except OSError:
        _log.exception("could not write the pending marks of audit events %s", ids)
    _seal_quietly(bind, f"of events {ids}")


def _seal_quietly(bind: Connection, what: str) -> None:
    try:
        seal_pending(bind)
    except SQLAlchemyError:
        # Committed (and marked); the next write, or `studio audit seal`, seals them.
        _log.exception("could not seal pending audit events %s", what)


@sa_event.listens_for(OrmSession, "after_rollback")
def _forget_head(session: OrmSession) -> None:
    for slot in (_HEAD, _PENDING, _RESEAL):
        session.info.pop(slot, None)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None  # None with ok=False: the anchors, not an event, are at fault
    reason: str = ""
    legacy: int = 0  # unkeyed events before the first keyed one (only as strong as the old plain chain)
    checkpoints: int = 0  # signed checkpoints that matched
    pending: int = 0  # committed events not chained yet (each checked against its own MAC)
    pending_broken: bool = False  # with ok=False: a pending event (edited, deleted, replayed) is at fault


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
        self.sealed: set[str] = set()  # ids of the pending events this walk found sealed into the chain

    def key(self) -> AuditKey:
        if self._key is None:
            self._key = audit_anchor.verifying_key()
        return self._key

    def step(self, event: ChainEvent) -> None:
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
                raise _Broken(
                    event.seq,
                    f"sealed with key id {mark}, not the configured key {self.key().kid} "
                    "(wrong or rotated key, or a forged event)",
                )
            if not hmac.compare_digest(keyed_hash(self.key(), self.prev, event), event.hash):
                raise _Broken(event.seq, "content does not match its keyed hash")
        self._sealed_from(event)
        for checkpoint in self.by_seq.get(event.seq, ()):
            if checkpoint.hash != event.hash:
                raise _Broken(
                    event.seq,
                    f"differs from signed checkpoint {checkpoint.source} of {checkpoint.at} "
                    "(the chain was rewritten from here)",
                )
        self.prev = event.hash
        self.checked += 1

    def _sealed_from(self, event: ChainEvent) -> None:
        origin = event.details.get(PENDING_MARK) if isinstance(event.details, dict) else None
        if isinstance(origin, str):
            if origin in self.sealed:
                raise _Broken(event.seq, f"pending event {origin} sealed a second time (replayed)")
            self.sealed.add(origin)

    def _legacy(self, event: ChainEvent) -> None:
        if self.keyed_seen:
            raise _Broken(event.seq, "unkeyed event after keyed events (forged, or its key marker stripped)")
        if self.since is not None and event.seq >= self.since:
            raise _Broken(
                event.seq,
                f"unkeyed event, but signed checkpoints say events from {self.since} "
                "are keyed (key marker stripped)",
            )
        if chain_hash(self.prev, event) != event.hash:
            raise _Broken(event.seq, "content does not match its hash")
        self.legacy += 1


def verify(session: Session, anchors: Path | None = None) -> ChainReport:
    """Check every event and every checkpoint; the report names the first bad event.

    Raises ValidationError when a key is needed (keyed events or checkpoints exist) but none is configured.
    """
    walk = _Walk([])
    # Sizes before reading: lines appended meanwhile are read again by the next incremental check.
    offsets = audit_anchor.file_sizes(anchors)
    checkpoints, anchor_problem = audit_anchor.load_checkpoints(walk.key, anchors)
    # Marks, then pending rows, then the chain: a marked event is pending at the second read or was sealed
    # before it, and then the walk (which starts later) sees it.
    marks, mark_problem, mark_offsets = audit_anchor.load_pending_marks(walk.key, anchors, {})
    pending = _pending_rows(session)
    walk = _Walk(checkpoints)
    # Streamed in chunks: 100,000 events are never held as ORM rows at once.
    events = typed.rows(session, _chain_columns().order_by(col(AuditEvent.seq)), yield_per=_CHUNK)
    report = _finish(walk, events, checkpoints, anchor_problem or mark_problem)
    if report.ok:
        report = _check_pending(walk, pending, marks, report, lambda _ids: set())
    if report.ok:
        files = tuple(sorted(offsets.items()))
        _remember(
            session,
            anchors,
            walk,
            checkpoints,
            files=files,
            marks=tuple(sorted((mark_offsets or {}).items())),
        )
    return report


def _pending_rows(session: Session) -> list[AuditPending]:
    return list(session.exec(select(AuditPending).order_by(col(AuditPending.at), col(AuditPending.id))).all())


def _check_pending(
    walk: _Walk,
    pending: list[AuditPending],
    marks: list[audit_anchor.PendingMark],
    report: ChainReport,
    sealed_before: Callable[[set[str]], set[str]],
) -> ChainReport:
    """Every pending event matches its own MAC and is not in the chain already; every marked one is pending
    or sealed (`sealed_before` looks up ids sealed below the part this walk read)."""
    for p in pending:
        problem = (
            "does not match its own MAC (edited or forged)"
            if not pending_ok(walk.key(), p)
            else "is in the chain already (replayed)"
            if p.id in walk.sealed
            else ""
        )
        if problem:
            reason = f"pending event {p.id} ({p.action} {p.subject}) {problem}"
            return replace(report, ok=False, pending_broken=True, reason=reason)
    known = {p.id for p in pending} | walk.sealed
    unseen = {m.id for m in marks} - known
    missing = [m for m in marks if m.id in unseen - sealed_before(unseen)] if unseen else []
    if missing:
        first = missing[0]
        return replace(
            report,
            ok=False,
            pending_broken=True,
            reason=f"pending event {first.id} named in {first.source} is neither pending nor in the chain "
            "(deleted before it was sealed)",
        )
    return replace(report, pending=len(pending))


def _sealed_ids(session: Session, ids: set[str]) -> set[str]:
    origin = col(AuditEvent.details)[PENDING_MARK].as_string()
    return {str(i) for i in session.exec(select(origin).where(origin.in_(sorted(ids)))).all()}


def _chain_columns() -> Select[int, datetime, int | None, str, str, str, dict[str, Any], str, str]:
    """What the walk reads, as plain rows (same attribute names as AuditEvent): no ORM objects to build."""
    e = AuditEvent
    return sa_select(
        col(e.seq),
        col(e.at),
        col(e.actor_id),
        col(e.actor),
        col(e.action),
        col(e.subject),
        col(e.details),
        col(e.prev_hash),
        col(e.hash),
    )


def _finish(
    walk: _Walk,
    events: Iterable[ChainEvent],
    checkpoints: list[Checkpoint],
    anchor_problem: str | None,
    *,
    base_checkpoints: int = 0,
) -> ChainReport:
    try:
        for event in events:
            walk.step(event)
        newest = max(checkpoints, key=lambda c: c.seq, default=None)
        head = walk.checked
        if newest is not None and newest.seq > head:
            gone = "all events are" if head == 0 else f"events {head + 1}..{newest.seq} are"
            raise _Broken(
                head + 1,
                f"{gone} missing: signed checkpoint {newest.source} of {newest.at} "
                f"records event {newest.seq}",
            )
        if anchor_problem:
            raise _Broken(None, anchor_problem)
    except _Broken as broken:
        return ChainReport(
            False, walk.checked, broken.seq, broken.reason, walk.legacy, base_checkpoints + len(checkpoints)
        )
    return ChainReport(
        True, walk.checked, legacy=walk.legacy, checkpoints=base_checkpoints + len(checkpoints)
    )


# --- incremental verification (pages) ---------------------------------------------------------------------
# A full verify reads every event and every checkpoint line: fine for `studio audit verify`, too slow for a
# page rerun at 100,000 events. This process remembers, per database and anchor directory, how far a verify
# succeeded (head seq and hash, walk state, how much of each checkpoint file it read); the next call checks
# that the remembered head is still there unchanged, then walks only newer events and newer checkpoint lines.
# What it cannot see: an edit to an event below the remembered head that leaves that head's row intact
# (the database's append-only triggers refuse it; `studio audit verify` and the page's full check do see it).

_CHUNK = 2000


@dataclass(frozen=True)
class _Verified:
    seq: int
    hash: str
    legacy: int
    keyed_seen: bool
    since: int | None
    newest_checkpoint: Checkpoint | None
    checkpoints: int
    files: tuple[tuple[str, int], ...]  # (file name, bytes read) of the anchor directory
    marks: tuple[tuple[str, int], ...]  # the same for the pending marks
    kid: str | None


_VERIFIED: dict[tuple[str, str], _Verified] = {}
_VERIFIED_LOCK = threading.Lock()


def _cache_key(session: Session, anchors: Path | None) -> tuple[str, str]:
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return url, str((anchors or audit_anchor.anchor_dir()).resolve())


def _remember(
    session: Session,
    anchors: Path | None,
    walk: _Walk,
    checkpoints: list[Checkpoint],
    *,
    files: tuple[tuple[str, int], ...],
    marks: tuple[tuple[str, int], ...],
    base: _Verified | None = None,
) -> None:
    newest = max(checkpoints, key=lambda c: c.seq, default=None)
    if (
        base is not None
        and base.newest_checkpoint is not None
        and (newest is None or base.newest_checkpoint.seq >= newest.seq)
    ):
        newest = base.newest_checkpoint
    state = _Verified(
        seq=walk.checked,
        hash=walk.prev,
        legacy=walk.legacy,
        keyed_seen=walk.keyed_seen,
        since=walk.since,
        newest_checkpoint=newest,
        checkpoints=(base.checkpoints if base else 0) + len(checkpoints),
        files=files,
        marks=marks,
        kid=walk._key.kid if walk._key else None,
    )
    with _VERIFIED_LOCK:
        _VERIFIED[_cache_key(session, anchors)] = state


def forget_verified() -> None:
    """Drop what this process remembers (tests; after restoring a backup)."""
    with _VERIFIED_LOCK:
        _VERIFIED.clear()


def _old_checkpoints_match(session: Session, checkpoints: list[Checkpoint]) -> bool:
    """New checkpoint lines about already verified events (a writer raced the last check) must match them."""
    if not checkpoints:
        return True
    hashes = dict(
        session.exec(
            select(col(AuditEvent.seq), col(AuditEvent.hash)).where(
                col(AuditEvent.seq).in_({c.seq for c in checkpoints})
            )
        ).all()
    )
    return all(hashes.get(c.seq) == c.hash for c in checkpoints)


@overload
def verify_incremental(session: Session, anchors: Path | None = None) -> ChainReport: ...
@overload
def verify_incremental(
    session: Session, anchors: Path | None = None, *, only_if_known: bool
) -> ChainReport | None: ...


def verify_incremental(
    session: Session, anchors: Path | None = None, *, only_if_known: bool = False
) -> ChainReport | None:
    """Like `verify`, but from where this process last verified successfully. Falls back to `verify` when
    the remembered state no longer holds (head row changed, an anchor file shrank or vanished, a new
    checkpoint reaches back to the verified part, where keyed events start moved, another key) and for any
    failure, so a broken chain is always reported by the full check. With `only_if_known`, returns None
    instead of starting a first full verify (a page leaves that to a button)."""
    with _VERIFIED_LOCK:
        state = _VERIFIED.get(_cache_key(session, anchors))
    if state is None:
        return None if only_if_known else verify(session, anchors)
    if state.seq:
        head = session.exec(select(AuditEvent.hash).where(AuditEvent.seq == state.seq)).first()
        if head != state.hash:
            return verify(session, anchors)
    walk = _Walk([])
    fresh, problem, offsets = audit_anchor.load_new_checkpoints(walk.key, anchors, dict(state.files))
    if (
        offsets is None
        or problem
        or not _old_checkpoints_match(session, [c for c in fresh if c.seq <= state.seq])
    ):
        return verify(session, anchors)
    walk = _Walk([c for c in fresh if c.seq > state.seq])
    walk.since = min((c for c in (state.since, *(c.since for c in fresh)) if c is not None), default=None)
    if walk.since is not None and walk.since <= state.legacy:
        return verify(session, anchors)  # checkpoints now say some verified legacy events should be keyed
    walk.prev, walk.checked, walk.legacy, walk.keyed_seen = (
        state.hash,
        state.seq,
        state.legacy,
        state.keyed_seen,
    )
    if state.kid is not None and walk.key().kid != state.kid:
        return verify(session, anchors)
    return _verify_newer(session, anchors, state, walk, fresh, tuple(sorted(offsets.items())))


def _verify_newer(
    session: Session,
    anchors: Path | None,
    state: _Verified,
    walk: _Walk,
    fresh: list[Checkpoint],
    files: tuple[tuple[str, int], ...],
) -> ChainReport:
    """The incremental check's walk: new marks, pending rows, then the events past the verified head."""
    marks, problem, mark_offsets = audit_anchor.load_pending_marks(walk.key, anchors, dict(state.marks))
    if mark_offsets is None or problem:
        return verify(session, anchors)
    pending = _pending_rows(session)
    newer = _chain_columns().where(col(AuditEvent.seq) > state.seq).order_by(col(AuditEvent.seq))
    events = typed.rows(session, newer, yield_per=_CHUNK)
    newest = max(
        [*fresh, *([state.newest_checkpoint] if state.newest_checkpoint else [])],
        key=lambda c: c.seq,
        default=None,
    )
    report = _finish(walk, events, [newest] if newest else [], None)
    if report.ok:
        report = _check_pending(walk, pending, marks, report, lambda ids: _sealed_ids(session, ids))
    if not report.ok:
        return verify(session, anchors)
    _remember(
        session, anchors, walk, fresh, base=state, files=files, marks=tuple(sorted(mark_offsets.items()))
    )
    return ChainReport(
        True,
        walk.checked,
        legacy=walk.legacy,
        checkpoints=state.checkpoints + len(fresh),
        pending=report.pending,
    )


def checkpoint(session: Session) -> tuple[ChainReport, Path | None]:
    """Seal pending events, verify, then anchor the current head explicitly. Nothing is anchored over a
    broken chain."""
    seal_pending(session.get_bind().engine)
    report = verify(session)
    if not report.ok or report.checked == 0:
        return report, None
    head = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).one()
    since = int(head.details.get(SINCE_MARK, 1)) if _key_mark(head) else head.seq + 1
    path = audit_anchor.write_checkpoint(audit_anchor.signing_key(), head.seq, head.hash, since)
    return report, path


# --- listing and export ---------------------------------------------------------------------------------


class AuditRow(BaseModel):
    """One event as the page lists it: plain values, safe to cache."""

    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    hash: str


class AuditPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[AuditRow]
    total: int  # events matching the filter, counted in the database


@dataclass(frozen=True)
class AuditFilter:
    """Exact-match filters, so each one is an index lookup: actions (any of), actor, subject, Beijing dates."""

    actions: tuple[str, ...] = ()
    actor: str = ""
    subject: str = ""
    first_day: date | None = None
    last_day: date | None = None

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.actions:
            clauses.append(AuditEvent.action.in_(self.actions))  # type: ignore[attr-defined]
        if self.actor.strip():
            clauses.append(AuditEvent.actor == self.actor.strip())
        if self.subject.strip():
            clauses.append(AuditEvent.subject == self.subject.strip())
        if self.first_day:
            clauses.append(AuditEvent.at >= _day_start(self.first_day))
        if self.last_day:
            clauses.append(AuditEvent.at < _day_start(self.last_day + timedelta(days=1)))
        return clauses


def _day_start(day: date) -> datetime:
    return at_beijing(day, time.min).astimezone(UTC)


def list_events(
    session: Session,
    actor: Actor,
    filters: AuditFilter = AuditFilter(),
    *,
    page: int = 0,
    page_size: int = 50,
) -> AuditPage:
    """One page of events, newest first, and how many match; both filtered in the database."""
    require(actor, "audit.read")
    require_network_scope(actor)  # events name every org's content
    page_size = max(1, min(page_size, 500))
    where = filters.where()
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    e = AuditEvent
    found = typed.rows(
        session,
        sa_select(col(e.seq), col(e.at), col(e.actor), col(e.action), col(e.subject), col(e.hash))
        .where(*where)
        .order_by(col(e.seq).desc())
        .offset(max(page, 0) * page_size)
        .limit(page_size),
    ).all()
    return AuditPage(
        total=int(total),
        rows=[
            AuditRow(seq=seq, at=as_utc(at), actor=who, action=what, subject=subject, hash=digest)
            for seq, at, who, what, subject, digest in found
        ],
    )


def actions(session: Session, actor: Actor) -> list[str]:
    """The distinct actions in the log (a few dozen), for the filter's options."""
    require(actor, "audit.read")
    require_network_scope(actor)
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())


def export_csv(
    session: Session, actor: Actor, *, action_filter: str = "", filters: AuditFilter = AuditFilter()
) -> str:
    """The log as CSV (formula-escaped); the export itself is recorded in the log.

    Events are streamed from the database in chunks while the CSV is written, so the whole log is never
    held as ORM rows. `action_filter` keeps events whose action contains it (as before); `filters` narrow
    in the database.
    """
    from studio.exports.spreadsheet import to_csv

    require(actor, "audit.export")
    require_network_scope(actor)  # the whole log, every org's events: never from a branch
    count = 0

    def rows() -> Iterator[tuple[object, ...]]:
        nonlocal count
        query = select(AuditEvent).where(*filters.where()).order_by(AuditEvent.seq)  # type: ignore[arg-type]
        if action_filter:
            query = query.where(AuditEvent.action.contains(action_filter))  # type: ignore[attr-defined]
        for e in session.exec(query.execution_options(yield_per=_CHUNK)):
            count += 1
            yield (
                e.seq,
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.action,
                e.subject,
                json.dumps(e.details, ensure_ascii=False, sort_keys=True),
                e.prev_hash,
                e.hash,
            )

    text = to_csv(("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"), rows())
    append(session, actor, "audit.export", "audit", {"rows": count, "filter": action_filter[:40]})
    session.commit()
    return text
