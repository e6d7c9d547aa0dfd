"""Media: uploaded images and videos with alt text, their bytes in media storage

Revision ID: 0016_media
Revises: 0015_money_numeric
Create Date: 2026-12-02 04:49:51
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0016_media"
down_revision: str | None = "0015_money_numeric"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("alt_text", sa.String(length=1500), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'image' OR (width IS NOT NULL AND height IS NOT NULL AND width > 0 AND height > 0)",
            name=op.f("ck_media_image_dimensions"),
        ),
        sa.CheckConstraint(
            "kind <> 'image' OR alt_text <> ''", name=op.f("ck_media_image_alt_text")
        ),
        sa.CheckConstraint("kind IN ('image', 'video')", name=op.f("ck_media_kind")),
        sa.CheckConstraint(
            "mime_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4', 'video/quicktime')",
            name=op.f("ck_media_mime_type"),
        ),
        sa.CheckConstraint("status IN ('ready')", name=op.f("ck_media_status")),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_media_size_bytes")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_media_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_media_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_media_organisation_id_id")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_media_storage_key")),
    )
    op.create_index(op.f("ix_media_organisation_id"), "media", ["organisation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_media_organisation_id"), table_name="media")
    op.drop_table("media")
