"""Plan feeds: calendar feeds of the plan, read with a secret token (stored as a hash)

Revision ID: 0018_plan_feeds
Revises: 0017_publishing
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0018_plan_feeds"
down_revision: str | None = "0017_publishing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_feeds",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("channel_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("last_used_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_plan_feeds_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_plan_feeds_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_plan_feeds_organisation_id_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "owner_id"],
            ["resources.organisation_id", "resources.id"],
            name=op.f("fk_plan_feeds_organisation_id_owner_id_resources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_plan_feeds_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_feeds")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_plan_feeds_organisation_id_id")),
        sa.UniqueConstraint("prefix", name=op.f("uq_plan_feeds_prefix")),
    )
    op.create_index(
        op.f("ix_plan_feeds_organisation_id"), "plan_feeds", ["organisation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_feeds_organisation_id"), table_name="plan_feeds")
    op.drop_table("plan_feeds")
