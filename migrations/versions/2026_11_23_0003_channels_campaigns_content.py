"""Channels, campaigns (links, reviews), content items and their history; KPI filters

Revision ID: 0003_channels_campaigns_content
Revises: 0002_strategy
Create Date: 2026-11-23 16:31:36.270936
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0003_channels_campaigns_content"
down_revision: str | None = "0002_strategy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('linkedin', 'x', 'facebook', 'instagram', 'youtube', 'tiktok', 'mastodon', 'bluesky', 'blog', 'email', 'newsletter', 'portal', 'press', 'event', 'pos', 'website')",
            name=op.f("ck_channels_kind"),
        ),
        sa.CheckConstraint("mode IN ('push', 'conversational')", name=op.f("ck_channels_mode")),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'archived')", name=op.f("ck_channels_status")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_channels_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_channels_organisation_id_id")),
    )
    op.create_index(
        op.f("ix_channels_organisation_id"), "channels", ["organisation_id"], unique=False
    )
    op.create_table(
        "campaigns",
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "budget_amount", sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column("budget_currency", sa.String(length=3), nullable=False),
        sa.Column("utm_campaign", sa.String(length=100), nullable=False),
        sa.Column("pdca_cycle", sa.Integer(), nullable=False),
        sa.Column("pdca_phase", sa.String(length=10), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "pdca_phase IN ('plan', 'do', 'check', 'act')", name=op.f("ck_campaigns_pdca_phase")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'active', 'completed', 'cancelled')",
            name=op.f("ck_campaigns_status"),
        ),
        sa.CheckConstraint(
            "budget_amount IS NULL OR budget_amount >= 0", name=op.f("ck_campaigns_budget_amount")
        ),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_campaigns_dates")),
        sa.CheckConstraint("pdca_cycle >= 1", name=op.f("ck_campaigns_pdca_cycle")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "strategy_id"],
            ["strategies.organisation_id", "strategies.id"],
            name=op.f("fk_campaigns_organisation_id_strategy_id_strategies"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_campaigns_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_campaigns_organisation_id_id")),
        sa.UniqueConstraint(
            "organisation_id",
            "utm_campaign",
            name=op.f("uq_campaigns_organisation_id_utm_campaign"),
        ),
    )
    op.create_index(
        op.f("ix_campaigns_organisation_id"), "campaigns", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_campaigns_strategy_id"), "campaigns", ["strategy_id"], unique=False)
    op.create_table(
        "campaign_audiences",
        sa.Column("audience_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "audience_id"],
            ["audiences.organisation_id", "audiences.id"],
            name=op.f("fk_campaign_audiences_organisation_id_audience_id_audiences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_campaign_audiences_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_campaign_audiences_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audience_id", "campaign_id", name=op.f("pk_campaign_audiences")),
    )
    op.create_index(
        op.f("ix_campaign_audiences_audience_id"),
        "campaign_audiences",
        ["audience_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaign_audiences_organisation_id"),
        "campaign_audiences",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "campaign_channels",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_campaign_channels_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_campaign_channels_organisation_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_campaign_channels_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "campaign_id", name=op.f("pk_campaign_channels")),
    )
    op.create_index(
        op.f("ix_campaign_channels_channel_id"), "campaign_channels", ["channel_id"], unique=False
    )
    op.create_index(
        op.f("ix_campaign_channels_organisation_id"),
        "campaign_channels",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "campaign_objectives",
        sa.Column("objective_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_campaign_objectives_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "objective_id"],
            ["objectives.organisation_id", "objectives.id"],
            name=op.f("fk_campaign_objectives_organisation_id_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_campaign_objectives_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("objective_id", "campaign_id", name=op.f("pk_campaign_objectives")),
    )
    op.create_index(
        op.f("ix_campaign_objectives_objective_id"),
        "campaign_objectives",
        ["objective_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaign_objectives_organisation_id"),
        "campaign_objectives",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "content_items",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column(
            "effort_hours", sa.Numeric(precision=8, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("scheduled_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_url", sa.String(length=2000), nullable=True),
        sa.Column("distribution_actions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approved_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("plan_date", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "format IN ('post', 'article', 'video', 'image', 'newsletter', 'press_release', 'event', 'email')",
            name=op.f("ck_content_items_format"),
        ),
        sa.CheckConstraint(
            "status IN ('idea', 'drafting', 'in_review', 'approved', 'scheduled', 'published', 'cancelled')",
            name=op.f("ck_content_items_status"),
        ),
        sa.CheckConstraint("effort_hours >= 0", name=op.f("ck_content_items_effort_hours")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_content_items_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_content_items_organisation_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "owner_id"],
            ["resources.organisation_id", "resources.id"],
            name=op.f("fk_content_items_organisation_id_owner_id_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_items_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_content_items_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_content_items_campaign_id"), "content_items", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_content_items_channel_id"), "content_items", ["channel_id"], unique=False
    )
    op.create_index(
        op.f("ix_content_items_organisation_id"), "content_items", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_content_items_owner_id"), "content_items", ["owner_id"], unique=False)
    op.create_index(
        "ix_content_items_plan", "content_items", ["organisation_id", "plan_date"], unique=False
    )
    op.create_table(
        "reviews",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("what_worked", sa.Text(), nullable=False),
        sa.Column("what_did_not_work", sa.Text(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("quick_win", sa.Boolean(), nullable=False),
        sa.Column("kpi_snapshot", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_reviews_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_reviews_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("campaign_id", "cycle", name=op.f("uq_reviews_campaign_id_cycle")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_reviews_organisation_id_id")),
    )
    op.create_index(op.f("ix_reviews_campaign_id"), "reviews", ["campaign_id"], unique=False)
    op.create_index(
        op.f("ix_reviews_organisation_id"), "reviews", ["organisation_id"], unique=False
    )
    op.create_table(
        "content_status_changes",
        sa.Column("content_item_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "content_item_id"],
            ["content_items.organisation_id", "content_items.id"],
            name=op.f("fk_content_status_changes_organisation_id_content_item_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_status_changes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_status_changes")),
    )
    op.create_index(
        op.f("ix_content_status_changes_content_item_id"),
        "content_status_changes",
        ["content_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_content_status_changes_organisation_id"),
        "content_status_changes",
        ["organisation_id"],
        unique=False,
    )
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("kpis") as batch:
        batch.add_column(sa.Column("channel_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("campaign_id", sa.Uuid(), nullable=True))
        batch.create_index(op.f("ix_kpis_campaign_id"), ["campaign_id"], unique=False)
        batch.create_index(op.f("ix_kpis_channel_id"), ["channel_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_kpis_organisation_id_campaign_id_campaigns"),
            "campaigns",
            ["organisation_id", "campaign_id"],
            ["organisation_id", "id"],
        )
        batch.create_foreign_key(
            op.f("fk_kpis_organisation_id_channel_id_channels"),
            "channels",
            ["organisation_id", "channel_id"],
            ["organisation_id", "id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("kpis") as batch:
        batch.drop_constraint(
            op.f("fk_kpis_organisation_id_channel_id_channels"), type_="foreignkey"
        )
        batch.drop_constraint(
            op.f("fk_kpis_organisation_id_campaign_id_campaigns"), type_="foreignkey"
        )
        batch.drop_index(op.f("ix_kpis_channel_id"))
        batch.drop_index(op.f("ix_kpis_campaign_id"))
        batch.drop_column("campaign_id")
        batch.drop_column("channel_id")
    op.drop_index(
        op.f("ix_content_status_changes_organisation_id"), table_name="content_status_changes"
    )
    op.drop_index(
        op.f("ix_content_status_changes_content_item_id"), table_name="content_status_changes"
    )
    op.drop_table("content_status_changes")
    op.drop_index(op.f("ix_reviews_organisation_id"), table_name="reviews")
    op.drop_index(op.f("ix_reviews_campaign_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_content_items_plan", table_name="content_items")
    op.drop_index(op.f("ix_content_items_owner_id"), table_name="content_items")
    op.drop_index(op.f("ix_content_items_organisation_id"), table_name="content_items")
    op.drop_index(op.f("ix_content_items_channel_id"), table_name="content_items")
    op.drop_index(op.f("ix_content_items_campaign_id"), table_name="content_items")
    op.drop_table("content_items")
    op.drop_index(op.f("ix_campaign_objectives_organisation_id"), table_name="campaign_objectives")
    op.drop_index(op.f("ix_campaign_objectives_objective_id"), table_name="campaign_objectives")
    op.drop_table("campaign_objectives")
    op.drop_index(op.f("ix_campaign_channels_organisation_id"), table_name="campaign_channels")
    op.drop_index(op.f("ix_campaign_channels_channel_id"), table_name="campaign_channels")
    op.drop_table("campaign_channels")
    op.drop_index(op.f("ix_campaign_audiences_organisation_id"), table_name="campaign_audiences")
    op.drop_index(op.f("ix_campaign_audiences_audience_id"), table_name="campaign_audiences")
    op.drop_table("campaign_audiences")
    op.drop_index(op.f("ix_campaigns_strategy_id"), table_name="campaigns")
    op.drop_index(op.f("ix_campaigns_organisation_id"), table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_index(op.f("ix_channels_organisation_id"), table_name="channels")
    op.drop_table("channels")
