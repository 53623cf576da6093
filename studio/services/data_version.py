"""One number that moves whenever data changes, for caches: the head of the audit log.

Every service that changes data appends an audit event in the same transaction (the services' rule:
check, write, audit, commit once), so the audit head's sequence number is a data version for free: a
cache keyed on it is invalidated by any committed change and by nothing else. Reading it is one index
lookup on `audit_event.seq`.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from studio.db.models import AuditEvent


def data_version(session: Session) -> int:
    """The sequence number of the newest audit event (0 for an empty log)."""
    return int(session.exec(select(func.max(AuditEvent.seq))).one() or 0)
