"""Review queue paged in the database: a stored max finding severity, (state, submitted_at) indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:17:55
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of studio.domain.severity as it was when this migration was written.
_RANK = {"info": 1, "review": 2, "block": 3}


def _max_severity(findings):  # type: ignore[no-untyped-def]
    items = json.loads(findings) if isinstance(findings, str) else (findings or [])
    return max((str(f.get("severity", "")) for f in items), key=lambda s: _RANK.get(s, 0), default="")


def _backfill(table: str) -> None:
    bind = op.get_bind()
    updates = [{"id": row["id"], "s": _max_severity(row["findings"])}
               for row in bind.execute(sa.text(f"SELECT id, findings FROM {table}")).mappings()]
    updates = [u for u in updates if u["s"]]  # the column defaults to "" (no findings)
    if updates:
        bind.execute(sa.text(f"UPDATE {table} SET max_severity = :s WHERE id = :id"), updates)


def upgrade() -> None:
    for table in ('template_version', 'variant'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('max_severity', sqlmodel.sql.sqltypes.AutoString(length=10),
                                          server_default='', nullable=False))
            batch_op.create_index(f'ix_{table}_state_submitted', ['state', 'submitted_at'], unique=False)
        _backfill(table)


def downgrade() -> None:
    for table in ('variant', 'template_version'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_state_submitted')
            batch_op.drop_column('max_severity')
