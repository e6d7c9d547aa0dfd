"""Publishing: content items' text, media and publication states, publish attempts, limits

Content items carry the text that goes out, whether a long one becomes a thread, and
their media in order (a link table with composite keys: only the organisation's own);
Clover's publisher moves them through publishing to published or publish_failed,
recording each attempt (with the key the network dedupes on) and its steps in the
history as "publisher". Connections keep the limits their network reported.

Revision ID: 0017_publishing
Revises: 0016_media
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0017_publishing"
down_revision: str | None = "0016_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = (
    "status IN ('idea', 'drafting', 'in_review', 'approved', 'scheduled', 'published', 'cancelled')"
)
NEW = (
    "status IN ('idea', 'drafting', 'in_review', 'approved', 'scheduled', 'publishing', "
    "'published', 'publish_failed', 'cancelled')"
)


def upgrade() -> None:
    with op.batch_alter_table("content_items") as batch:
        batch.drop_constraint(op.f("ck_content_items_status"), type_="check")
        batch.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("as_thread", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("external_id", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("publish_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("publish_retryable", sa.Boolean(), nullable=True))
        batch.create_check_constraint(op.f("ck_content_items_status"), NEW)
    with op.batch_alter_table("content_items") as batch:
        batch.alter_column("text", existing_type=sa.Text(), server_default=None)
        batch.alter_column("as_thread", existing_type=sa.Boolean(), server_default=None)
    op.create_index(
        "ix_content_items_due",
        "content_items",
        ["scheduled_at"],
        unique=False,
        postgresql_where=sa.text("status = 'scheduled'"),
    )
    with op.batch_alter_table("content_status_changes") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=20), nullable=True))
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("limits", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column(
                "limits_refreshed_at", api.domain.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "content_item_media",
        sa.Column("content_item_id", sa.Uuid(), nullable=False),
        sa.Column("media_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "content_item_id"],
            ["content_items.organisation_id", "content_items.id"],
            name=op.f("fk_content_item_media_organisation_id_content_item_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "media_id"],
            ["media.organisation_id", "media.id"],
            name=op.f("fk_content_item_media_organisation_id_media_id_media"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_item_media_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_item_id", "media_id", name=op.f("pk_content_item_media")),
        sa.UniqueConstraint(
            "content_item_id",
            "position",
            name=op.f("uq_content_item_media_content_item_id_position"),
        ),
    )
    op.create_index(
        op.f("ix_content_item_media_media_id"), "content_item_media", ["media_id"], unique=False
    )
    op.create_index(
        op.f("ix_content_item_media_organisation_id"),
        "content_item_media",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "publish_attempts",
        sa.Column("content_item_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_try_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_try_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('unknown', 'sent', 'failed')", name=op.f("ck_publish_attempts_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "content_item_id"],
            ["content_items.organisation_id", "content_items.id"],
            name=op.f("fk_publish_attempts_organisation_id_content_item_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_publish_attempts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publish_attempts")),
        sa.UniqueConstraint(
            "content_item_id", "number", name=op.f("uq_publish_attempts_content_item_id_number")
        ),
        sa.UniqueConstraint("key", name=op.f("uq_publish_attempts_key")),
    )
    op.create_index(
        op.f("ix_publish_attempts_content_item_id"),
        "publish_attempts",
        ["content_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_publish_attempts_organisation_id"),
        "publish_attempts",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        "ix_publish_attempts_open",
        "publish_attempts",
        ["last_try_at"],
        unique=False,
        postgresql_where=sa.text("outcome = 'unknown'"),
    )


def downgrade() -> None:
    op.drop_table("publish_attempts")
    op.drop_table("content_item_media")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("limits_refreshed_at")
        batch.drop_column("limits")
    with op.batch_alter_table("content_status_changes") as batch:
        batch.drop_column("actor")
    op.drop_index("ix_content_items_due", table_name="content_items")
    # The publisher's states have no manual equivalent: back to where a person left them.
    op.execute("UPDATE content_items SET status = 'scheduled' WHERE status = 'publishing'")
    op.execute("UPDATE content_items SET status = 'approved' WHERE status = 'publish_failed'")
    op.execute(
        "DELETE FROM content_status_changes "
        "WHERE to_status IN ('publishing', 'publish_failed') "
        "OR from_status IN ('publishing', 'publish_failed')"
    )
    with op.batch_alter_table("content_items") as batch:
        batch.drop_constraint(op.f("ck_content_items_status"), type_="check")
        batch.drop_column("publish_retryable")
        batch.drop_column("publish_error")
        batch.drop_column("external_id")
        batch.drop_column("as_thread")
        batch.drop_column("text")
        batch.create_check_constraint(op.f("ck_content_items_status"), OLD)
