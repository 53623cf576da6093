"""Library images (backgrounds and theme skins), content-addressed by the sha256 of their sanitised bytes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", text(length=64), nullable=False),
        sa.Column("media_type", text(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("title", text(length=100), nullable=False),
        sa.Column("kind", text(length=20), nullable=False),
        sa.Column("occasion_kind", text(length=30), nullable=False),
        sa.Column("occasion", text(length=60), nullable=True),
        sa.Column("content_type", text(length=30), nullable=False),
        sa.Column("product_type", text(length=30), nullable=False),
        sa.Column("region", text(length=20), nullable=True),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_index("ix_asset_created", "asset", ["created_at"])
    op.create_index(op.f("ix_asset_kind"), "asset", ["kind"])


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_kind"), table_name="asset")
    op.drop_index("ix_asset_created", table_name="asset")
    op.drop_table("asset")
