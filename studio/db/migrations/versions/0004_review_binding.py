"""Review decisions bind to a version: content digests, template version locks, one decision per round

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:11:23
"""
import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _digest(title, text, channel, product_type, slots):  # type: ignore[no-untyped-def]
    # Frozen copy of studio.domain.digest.content_digest as it was when this migration was written.
    payload = {"title": title, "text": text, "channel": channel, "product_type": product_type,
               "slots": slots or []}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _json(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_lock', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('content_digest', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('template_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_digest', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resubmits_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('content_digest', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))

    bind = op.get_bind()
    # Decisions recorded before rounds existed each get a round of their own (a negative id), so old
    # duplicates cannot violate the new unique index and never count towards a current round.
    bind.execute(sa.text("UPDATE review SET subject_lock = -id"))
    for row in bind.execute(sa.text(
            "SELECT id, title, body, channel, product_type, slots FROM template_version")).mappings():
        bind.execute(sa.text("UPDATE template_version SET content_digest = :d WHERE id = :id"),
                     {"id": row["id"], "d": _digest(row["title"], row["body"], row["channel"],
                                                    row["product_type"], _json(row["slots"]))})
    for row in bind.execute(sa.text(
            "SELECT v.id, v.title, v.text, t.channel, t.product_type FROM variant v "
            "JOIN template_version t ON t.id = v.template_version_id")).mappings():
        bind.execute(sa.text("UPDATE variant SET content_digest = :d WHERE id = :id"),
                     {"id": row["id"], "d": _digest(row["title"], row["text"], row["channel"],
                                                    row["product_type"], None)})

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('uq_review_round_reviewer',
                              ['subject_type', 'subject_id', 'subject_lock', 'reviewer_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_column('content_digest')
        batch_op.drop_column('resubmits_id')
    with op.batch_alter_table('template_version', schema=None) as batch_op:
        batch_op.drop_column('lock_version')
        batch_op.drop_column('content_digest')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('uq_review_round_reviewer')
        batch_op.drop_column('content_digest')
        batch_op.drop_column('subject_lock')
