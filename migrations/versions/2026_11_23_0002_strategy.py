"""Strategy: strategies, objectives, KPIs, audiences, resources, readiness, audit events

Revision ID: 0002_strategy
Revises: 0001_foundation
Create Date: 2026-11-23 16:22:10.681656
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0002_strategy"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("value_tier", sa.String(length=20), nullable=False),
        sa.Column("size_estimate", sa.Integer(), nullable=True),
        sa.Column("channel_preferences", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('customers', 'prospects', 'partners', 'influencers', 'employees')",
            name=op.f("ck_audiences_kind"),
        ),
        sa.CheckConstraint(
            "value_tier IN ('low', 'medium', 'high', 'strategic')",
            name=op.f("ck_audiences_value_tier"),
        ),
        sa.CheckConstraint(
            "size_estimate IS NULL OR size_estimate >= 0", name=op.f("ck_audiences_size_estimate")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_audiences_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_audiences_organisation_id_id")),
    )
    op.create_index(
        op.f("ix_audiences_organisation_id"), "audiences", ["organisation_id"], unique=False
    )
    op.create_table(
        "audit_events",
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_client_id", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_audit_events_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_organisation_id"), "audit_events", ["organisation_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_events_resource_id"), "audit_events", ["resource_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_events_resource_type"), "audit_events", ["resource_type"], unique=False
    )
    op.create_table(
        "readiness_assessments",
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("culture", sa.Integer(), nullable=False),
        sa.Column("leadership", sa.Integer(), nullable=False),
        sa.Column("governance", sa.Integer(), nullable=False),
        sa.Column("technology", sa.Integer(), nullable=False),
        sa.Column("culture_notes", sa.Text(), nullable=False),
        sa.Column("leadership_notes", sa.Text(), nullable=False),
        sa.Column("governance_notes", sa.Text(), nullable=False),
        sa.Column("technology_notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "culture BETWEEN 1 AND 5", name=op.f("ck_readiness_assessments_culture")
        ),
        sa.CheckConstraint(
            "governance BETWEEN 1 AND 5", name=op.f("ck_readiness_assessments_governance")
        ),
        sa.CheckConstraint(
            "leadership BETWEEN 1 AND 5", name=op.f("ck_readiness_assessments_leadership")
        ),
        sa.CheckConstraint(
            "technology BETWEEN 1 AND 5", name=op.f("ck_readiness_assessments_technology")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_readiness_assessments_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_assessments")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_readiness_assessments_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_readiness_assessments_assessed_on"),
        "readiness_assessments",
        ["assessed_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_readiness_assessments_organisation_id"),
        "readiness_assessments",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "strategies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("business_context", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'archived')", name=op.f("ck_strategies_status")
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_strategies_period")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_strategies_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_strategies_organisation_id_id")),
    )
    op.create_index(
        op.f("ix_strategies_organisation_id"), "strategies", ["organisation_id"], unique=False
    )
    op.create_table(
        "objectives",
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("business_outcome", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "business_outcome IN ('awareness', 'lead_generation', 'customer_service', 'loyalty', 'churn_reduction', 'thought_leadership', 'sales')",
            name=op.f("ck_objectives_business_outcome"),
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name=op.f("ck_objectives_priority")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "strategy_id"],
            ["strategies.organisation_id", "strategies.id"],
            name=op.f("fk_objectives_organisation_id_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_objectives_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objectives")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_objectives_organisation_id_id")),
    )
    op.create_index(
        op.f("ix_objectives_organisation_id"), "objectives", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_objectives_strategy_id"), "objectives", ["strategy_id"], unique=False)
    op.create_table(
        "resources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("known_role", sa.String(length=30), nullable=True),
        sa.Column(
            "weekly_capacity_hours",
            sa.Numeric(precision=6, scale=2, asdecimal=False),
            nullable=False,
        ),
        sa.Column("hourly_cost", sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('person', 'team')", name=op.f("ck_resources_kind")),
        sa.CheckConstraint(
            "hourly_cost IS NULL OR hourly_cost >= 0", name=op.f("ck_resources_hourly_cost")
        ),
        sa.CheckConstraint(
            "weekly_capacity_hours >= 0 AND weekly_capacity_hours <= 168",
            name=op.f("ck_resources_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "member_id"],
            ["memberships.organisation_id", "memberships.id"],
            name=op.f("fk_resources_organisation_id_member_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_resources_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_resources_organisation_id_id")),
    )
    op.create_index(op.f("ix_resources_member_id"), "resources", ["member_id"], unique=False)
    op.create_index(
        op.f("ix_resources_organisation_id"), "resources", ["organisation_id"], unique=False
    )
    op.create_table(
        "kpis",
        sa.Column("objective_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metric_key", sa.String(length=64), nullable=True),
        sa.Column("aggregation", sa.String(length=10), nullable=False),
        sa.Column("numerator_key", sa.String(length=64), nullable=True),
        sa.Column("denominator_key", sa.String(length=64), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("target", sa.Numeric(precision=18, scale=4, asdecimal=False), nullable=False),
        sa.Column("baseline", sa.Numeric(precision=18, scale=4, asdecimal=False), nullable=True),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "aggregation <> 'ratio' OR (numerator_key IS NOT NULL AND denominator_key IS NOT NULL)",
            name=op.f("ck_kpis_ratio_keys"),
        ),
        sa.CheckConstraint(
            "aggregation IN ('sum', 'avg', 'last', 'ratio')", name=op.f("ck_kpis_aggregation")
        ),
        sa.CheckConstraint("direction IN ('increase', 'decrease')", name=op.f("ck_kpis_direction")),
        sa.CheckConstraint("period IN ('week', 'month', 'quarter')", name=op.f("ck_kpis_period")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "objective_id"],
            ["objectives.organisation_id", "objectives.id"],
            name=op.f("fk_kpis_organisation_id_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_kpis_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpis")),
        sa.UniqueConstraint("organisation_id", "id", name=op.f("uq_kpis_organisation_id_id")),
    )
    op.create_index(op.f("ix_kpis_objective_id"), "kpis", ["objective_id"], unique=False)
    op.create_index(op.f("ix_kpis_organisation_id"), "kpis", ["organisation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_kpis_organisation_id"), table_name="kpis")
    op.drop_index(op.f("ix_kpis_objective_id"), table_name="kpis")
    op.drop_table("kpis")
    op.drop_index(op.f("ix_resources_organisation_id"), table_name="resources")
    op.drop_index(op.f("ix_resources_member_id"), table_name="resources")
    op.drop_table("resources")
    op.drop_index(op.f("ix_objectives_strategy_id"), table_name="objectives")
    op.drop_index(op.f("ix_objectives_organisation_id"), table_name="objectives")
    op.drop_table("objectives")
    op.drop_index(op.f("ix_strategies_organisation_id"), table_name="strategies")
    op.drop_table("strategies")
    op.drop_index(
        op.f("ix_readiness_assessments_organisation_id"), table_name="readiness_assessments"
    )
    op.drop_index(op.f("ix_readiness_assessments_assessed_on"), table_name="readiness_assessments")
    op.drop_table("readiness_assessments")
    op.drop_index(op.f("ix_audit_events_resource_type"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_resource_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_organisation_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_audiences_organisation_id"), table_name="audiences")
    op.drop_table("audiences")
