"""A user's email, for single sign-on by the email claim

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
    op.create_index("ix_app_user_email", "app_user", ["email"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_app_user_email", table_name="app_user")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")
