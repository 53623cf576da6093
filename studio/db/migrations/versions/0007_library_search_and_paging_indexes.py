"""Library search words (FTS5 / tsvector + GIN) and indexes for the paged library and 我的内容 lists

Revision ID: 0007
Revises: 0006 (the lead rechains it after 0006)
Create Date: 2026-12-03 11:30:00

The full-text index is built by `studio.materials.search.create_index` (SQLite: an external-content FTS5
table and the triggers that copy `search_tokens` into it; PostgreSQL: a generated tsvector column and its
GIN index), the same DDL `metadata.create_all` runs for tests. Existing versions get their words from
`studio.materials.search.backfill_search_tokens`, which segments text with jieba: this migration imports
studio code on purpose, so the words are exactly those the services write for new versions.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from studio.materials.search import backfill_search_tokens, create_index

    with op.batch_alter_table("template_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_tokens", sa.Text(), server_default="", nullable=False))
        batch_op.create_index("ix_template_version_tpl_state_no", ["template_id", "state", "version_no"],
                              unique=False)
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.create_index("ix_variant_org_updated", ["org_id", "updated_at"], unique=False)
        batch_op.create_index("ix_variant_updated", ["updated_at"], unique=False)
    connection = op.get_bind()
    create_index(connection)
    backfill_search_tokens(connection)


def downgrade() -> None:
    from studio.materials.search import drop_index

    drop_index(op.get_bind())
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.drop_index("ix_variant_updated")
        batch_op.drop_index("ix_variant_org_updated")
    with op.batch_alter_table("template_version", schema=None) as batch_op:
        batch_op.drop_index("ix_template_version_tpl_state_no")
        batch_op.drop_column("search_tokens")
