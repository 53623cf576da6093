"""Numbers that move when data changes, for caches: positions in the audit log.

Every service that changes data appends an audit event in the same transaction (the services' rule:
check, write, audit, commit once), so the audit log's newest sequence number is a data version for free.
Sign-ins and sign-outs are audited too but change nothing a page shows except the audit log itself, so
`data_version` skips them: otherwise every login on a network of thousands of users would empty every
page cache. `audit_head` counts every event, for the audit log page.

On PostgreSQL an event can be committed as pending (audit_pending) and chained a few milliseconds later,
so both numbers add the pending events to the newest chained seq. That sum rises with every commit that
adds an event and never falls: sealing k pending events lowers the count by k and raises the newest
seq by at least k (they take k new seqs above it), so sealing alone keeps or raises the number.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from studio.db.models import AuditEvent, AuditPending

# Audited, but they change no data a page caches (sessions and failed attempts only).
SESSION_ACTIONS = ("login", "logout", "login.failed", "login.locked", "session.revoked")


def data_version(session: Session) -> int:
    """The sequence number of the newest audit event that changed data (0 if none), plus pending ones.

    Walks the primary key backwards and stops at the first such event: a few rows, not the whole log."""
    newest = (
        select(col(AuditEvent.seq))
        .where(col(AuditEvent.action).not_in(SESSION_ACTIONS))
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
        .scalar_subquery()
    )
    pending = (
        select(func.count())
        .select_from(AuditPending)
        .where(col(AuditPending.action).not_in(SESSION_ACTIONS))
        .scalar_subquery()
    )
    return int(session.exec(select(func.coalesce(newest, 0) + pending)).one() or 0)


def audit_head(session: Session) -> int:
    """The sequence number of the newest audit event of any kind (0 for an empty log), plus pending ones."""
    newest = select(func.max(AuditEvent.seq)).scalar_subquery()
    pending = select(func.count()).select_from(AuditPending).scalar_subquery()
    return int(session.exec(select(func.coalesce(newest, 0) + pending)).one() or 0)
