"""Metrics: organisation metric keys, metric points, KPI values and status changes, rollup state, jobs, mentions

Revision ID: 0004_metrics
Revises: 0003_channels_campaigns_content
Create Date: 2026-11-23 16:43:44.364002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0004_metrics"
down_revision: str | None = "0003_channels_campaigns_content"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('import', 'rollup', 'sync')", name=op.f("ck_jobs_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_jobs_status")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_jobs_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_jobs_organisation_id_id")),
    )
    op.create_index(op.f("ix_jobs_organisation_id"), "jobs", ["organisation_id"], unique=False)
    op.create_table(
        "metric_definitions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("funnel_stage", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('count', 'currency', 'ratio')", name=op.f("ck_metric_definitions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_metric_definitions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_definitions")),
        sa.UniqueConstraint(
            "organisation_id", "key", name=op.f("uq_metric_definitions_organisation_id_key")
        ),
    )
    op.create_index(
        op.f("ix_metric_definitions_organisation_id"),
        "metric_definitions",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "rollup_states",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("rolled_up_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_rollup_states_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_rollup_states")),
    )
    op.create_table(
        "job_errors",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "job_id"],
            ["jobs.organisation_id", "jobs.id"],
            name=op.f("fk_job_errors_organisation_id_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_job_errors_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_errors")),
    )
    op.create_index(op.f("ix_job_errors_job_id"), "job_errors", ["job_id"], unique=False)
    op.create_index(
        op.f("ix_job_errors_organisation_id"), "job_errors", ["organisation_id"], unique=False
    )
    op.create_table(
        "mentions",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("posted_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=12), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("sentiment_label", sa.String(length=10), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "sentiment_label IN ('positive', 'neutral', 'negative')",
            name=op.f("ck_mentions_sentiment_label"),
        ),
        sa.CheckConstraint(
            "topic IN ('company', 'competitor', 'industry')", name=op.f("ck_mentions_topic")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_mentions_organisation_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_mentions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
        sa.UniqueConstraint(
            "organisation_id",
            "channel_id",
            "external_id",
            name=op.f("uq_mentions_organisation_id_channel_id_external_id"),
        ),
    )
    op.create_index(op.f("ix_mentions_channel_id"), "mentions", ["channel_id"], unique=False)
    op.create_index(
        op.f("ix_mentions_organisation_id"), "mentions", ["organisation_id"], unique=False
    )
    op.create_index(
        "ix_mentions_posted", "mentions", ["organisation_id", "posted_at"], unique=False
    )
    op.create_table(
        "kpi_status_changes",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=True),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "kpi_id"],
            ["kpis.organisation_id", "kpis.id"],
            name=op.f("fk_kpi_status_changes_organisation_id_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_kpi_status_changes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_status_changes")),
    )
    op.create_index(
        op.f("ix_kpi_status_changes_kpi_id"), "kpi_status_changes", ["kpi_id"], unique=False
    )
    op.create_index(
        op.f("ix_kpi_status_changes_organisation_id"),
        "kpi_status_changes",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "kpi_values",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("attainment", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("computed_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('on_track', 'at_risk', 'off_track', 'no_data')",
            name=op.f("ck_kpi_values_status"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "kpi_id"],
            ["kpis.organisation_id", "kpis.id"],
            name=op.f("fk_kpi_values_organisation_id_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_kpi_values_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_values")),
        sa.UniqueConstraint(
            "kpi_id", "period_start", name=op.f("uq_kpi_values_kpi_id_period_start")
        ),
    )
    op.create_index(op.f("ix_kpi_values_kpi_id"), "kpi_values", ["kpi_id"], unique=False)
    op.create_index(
        op.f("ix_kpi_values_organisation_id"), "kpi_values", ["organisation_id"], unique=False
    )
    op.create_table(
        "metric_points",
        sa.Column("metric_key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("content_item_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("dimensions", sa.String(length=120), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "source IN ('sync', 'import', 'api', 'derived')", name=op.f("ck_metric_points_source")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_metric_points_organisation_id_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_metric_points_organisation_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "content_item_id"],
            ["content_items.organisation_id", "content_items.id"],
            name=op.f("fk_metric_points_organisation_id_content_item_id_content_items"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_metric_points_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_points")),
        sa.UniqueConstraint(
            "organisation_id",
            "metric_key",
            "day",
            "source",
            "dimensions",
            name=op.f("uq_metric_points_organisation_id_metric_key_day_source_dimensions"),
        ),
    )
    op.create_index(
        op.f("ix_metric_points_campaign_id"), "metric_points", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_metric_points_channel_id"), "metric_points", ["channel_id"], unique=False
    )
    op.create_index(
        op.f("ix_metric_points_content_item_id"), "metric_points", ["content_item_id"], unique=False
    )
    op.create_index(
        "ix_metric_points_day", "metric_points", ["organisation_id", "day"], unique=False
    )
    op.create_index(
        op.f("ix_metric_points_organisation_id"), "metric_points", ["organisation_id"], unique=False
    )
    op.create_index(
        "ix_metric_points_updated", "metric_points", ["organisation_id", "updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_metric_points_updated", table_name="metric_points")
    op.drop_index(op.f("ix_metric_points_organisation_id"), table_name="metric_points")
    op.drop_index("ix_metric_points_day", table_name="metric_points")
    op.drop_index(op.f("ix_metric_points_content_item_id"), table_name="metric_points")
    op.drop_index(op.f("ix_metric_points_channel_id"), table_name="metric_points")
    op.drop_index(op.f("ix_metric_points_campaign_id"), table_name="metric_points")
    op.drop_table("metric_points")
    op.drop_index(op.f("ix_kpi_values_organisation_id"), table_name="kpi_values")
    op.drop_index(op.f("ix_kpi_values_kpi_id"), table_name="kpi_values")
    op.drop_table("kpi_values")
    op.drop_index(op.f("ix_kpi_status_changes_organisation_id"), table_name="kpi_status_changes")
    op.drop_index(op.f("ix_kpi_status_changes_kpi_id"), table_name="kpi_status_changes")
    op.drop_table("kpi_status_changes")
    op.drop_index("ix_mentions_posted", table_name="mentions")
    op.drop_index(op.f("ix_mentions_organisation_id"), table_name="mentions")
    op.drop_index(op.f("ix_mentions_channel_id"), table_name="mentions")
    op.drop_table("mentions")
    op.drop_index(op.f("ix_job_errors_organisation_id"), table_name="job_errors")
    op.drop_index(op.f("ix_job_errors_job_id"), table_name="job_errors")
    op.drop_table("job_errors")
    op.drop_table("rollup_states")
    op.drop_index(op.f("ix_metric_definitions_organisation_id"), table_name="metric_definitions")
    op.drop_table("metric_definitions")
    op.drop_index(op.f("ix_jobs_organisation_id"), table_name="jobs")
    op.drop_table("jobs")
