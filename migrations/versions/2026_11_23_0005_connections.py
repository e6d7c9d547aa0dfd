"""Connections of channels to their networks (encrypted credentials, sync state)

Revision ID: 0005_connections
Revises: 0004_metrics
Create Date: 2026-11-23 17:05:43.503994
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0005_connections"
down_revision: str | None = "0004_metrics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("credentials", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=True),
        sa.Column("last_sync_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_sync_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "provider IN ('sandbox', 'mastodon', 'bluesky')", name=op.f("ck_connections_provider")
        ),
        sa.CheckConstraint(
            "status IN ('connected', 'needs_reauth', 'failing')", name=op.f("ck_connections_status")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_connections_organisation_id_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_connections_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_connections_channel_id")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_connections_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_connections_organisation_id"), "connections", ["organisation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_connections_organisation_id"), table_name="connections")
    op.drop_table("connections")
