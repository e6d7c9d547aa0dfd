"""Webhooks: endpoints, the events outbox, deliveries

Revision ID: 0007_webhooks
Revises: 0006_oauth
Create Date: 2026-11-23 18:06:24.462796
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0007_webhooks"
down_revision: str | None = "0006_oauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webhook_endpoints_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_webhook_endpoints_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_organisation_id"),
        "webhook_endpoints",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "webhook_events",
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webhook_events_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_webhook_events_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_webhook_events_organisation_id"),
        "webhook_events",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_events_undispatched",
        "webhook_events",
        ["created_at"],
        unique=False,
        postgresql_where="dispatched_at IS NULL",
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')",
            name=op.f("ck_webhook_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "endpoint_id"],
            ["webhook_endpoints.organisation_id", "webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_organisation_id_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "event_id"],
            ["webhook_events.organisation_id", "webhook_events.id"],
            name=op.f("fk_webhook_deliveries_organisation_id_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webhook_deliveries_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "endpoint_id", "event_id", name=op.f("uq_webhook_deliveries_endpoint_id_event_id")
        ),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_webhook_deliveries_organisation_id_id")
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status = 'pending'",
    )
    op.create_index(
        op.f("ix_webhook_deliveries_endpoint_id"),
        "webhook_deliveries",
        ["endpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_organisation_id"),
        "webhook_deliveries",
        ["organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_deliveries_organisation_id"), table_name="webhook_deliveries")
    op.drop_index(op.f("ix_webhook_deliveries_endpoint_id"), table_name="webhook_deliveries")
    op.drop_index(
        "ix_webhook_deliveries_due",
        table_name="webhook_deliveries",
        postgresql_where="status = 'pending'",
    )
    op.drop_table("webhook_deliveries")
    op.drop_index(
        "ix_webhook_events_undispatched",
        table_name="webhook_events",
        postgresql_where="dispatched_at IS NULL",
    )
    op.drop_index(op.f("ix_webhook_events_organisation_id"), table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_index(op.f("ix_webhook_endpoints_organisation_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
