"""Posters and images: poster layouts and post images on template versions, rendered-image hashes that
approvals bind to, recognised text of assets, staff job titles and contact links, partners (关键人).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 19:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.add_column("template_version", sa.Column("poster", sa.JSON(), nullable=True))
    op.add_column("template_version", sa.Column("images", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("template_version", sa.Column("rendered_sha256", text(length=64), nullable=True))
    op.add_column("variant", sa.Column("rendered_sha256", text(length=64), nullable=True))
    op.add_column("asset", sa.Column("ocr", sa.JSON(), nullable=True))
    op.add_column("app_user", sa.Column("job_title", text(length=30), nullable=True))
    op.add_column("app_user", sa.Column("contact_link", text(length=500), nullable=True))
    op.create_table(
        "partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("code", text(length=16), nullable=False),
        sa.Column("name", text(length=60), nullable=False),
        sa.Column("kind", text(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_partner_org_name", "partner", ["org_id", "name"])


def downgrade() -> None:
    op.drop_index("ix_partner_org_name", table_name="partner")
    op.drop_table("partner")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("contact_link")
        batch.drop_column("job_title")
    with op.batch_alter_table("asset") as batch:
        batch.drop_column("ocr")
    with op.batch_alter_table("variant") as batch:
        batch.drop_column("rendered_sha256")
    with op.batch_alter_table("template_version") as batch:
        batch.drop_column("rendered_sha256")
        batch.drop_column("images")
        batch.drop_column("poster")
