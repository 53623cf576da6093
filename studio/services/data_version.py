"""Numbers that move when data changes, for caches: positions in the audit log.

Every service that changes data appends an audit event in the same transaction (the services' rule:
check, write, audit, commit once), so the audit log's newest sequence number is a data version for free.
Sign-ins and sign-outs are audited too but change nothing a page shows except the audit log itself, so
`data_version` skips them: otherwise every login on a network of thousands of users would empty every
page cache. `audit_head` counts every event, for the audit log page.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from studio.db.models import AuditEvent

# Audited, but they change no data a page caches (sessions and failed attempts only).
SESSION_ACTIONS = ("login", "logout", "login.failed", "login.locked", "session.revoked")


def data_version(session: Session) -> int:
    """The sequence number of the newest audit event that changed data (0 if none).

    Walks the primary key backwards and stops at the first such event: a few rows, not the whole log."""
    newest = session.exec(
        select(col(AuditEvent.seq))
        .where(col(AuditEvent.action).not_in(SESSION_ACTIONS))
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    return int(newest or 0)


def audit_head(session: Session) -> int:
    """The sequence number of the newest audit event of any kind (0 for an empty log)."""
    return int(session.exec(select(func.max(AuditEvent.seq))).one() or 0)
