"""Indexes for the audit log, calendar, dashboard and occasion pages

Revision ID: 0008
Revises: 0007 (the lead rechains it onto 0007 at merge)
Create Date: 2026-12-03 10:55:07

Index-only: batch mode adds and drops indexes in place on SQLite (no table rebuild, triggers kept).
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_subject"), ["subject"], unique=False)

    with op.batch_alter_table("calendar_slot", schema=None) as batch_op:
        batch_op.create_index("ix_slot_day_org", ["day", "org_id", "variant_id"], unique=False)

    with op.batch_alter_table("template_version", schema=None) as batch_op:
        batch_op.create_index("ix_template_version_occasion_state", ["occasion", "state"], unique=False)

    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.create_index("ix_variant_org_state", ["org_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("variant", schema=None) as batch_op:
        batch_op.drop_index("ix_variant_org_state")

    with op.batch_alter_table("template_version", schema=None) as batch_op:
        batch_op.drop_index("ix_template_version_occasion_state")

    with op.batch_alter_table("calendar_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_slot_day_org")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_subject"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor"))
