"""Content series: recurring content (an RRULE) that generates content items

A series holds an iCalendar RRULE, its local start (DTSTART in the organisation's time
zone) and the fields its items take. Content items know the series and the occurrence
they are (unique per series), and whether someone edited them by hand (detached).

Revision ID: 0020_content_series
Revises: 0019_competitors
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0020_content_series"
down_revision: str | None = "0019_competitors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORMATS = (
    "format IN ('post', 'article', 'video', 'image', 'newsletter', 'press_release', "
    "'event', 'email')"
)


def upgrade() -> None:
    op.create_table(
        "content_series",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column(
            "effort_hours", sa.Numeric(precision=8, scale=2, asdecimal=False), nullable=False
        ),
        sa.Column("rule", sa.String(length=500), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("initial_status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("effort_hours >= 0", name=op.f("ck_content_series_effort_hours")),
        sa.CheckConstraint(FORMATS, name=op.f("ck_content_series_format")),
        sa.CheckConstraint(
            "initial_status IN ('idea', 'drafting', 'in_review')",
            name=op.f("ck_content_series_initial_status"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "campaign_id"],
            ["campaigns.organisation_id", "campaigns.id"],
            name=op.f("fk_content_series_organisation_id_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "channel_id"],
            ["channels.organisation_id", "channels.id"],
            name=op.f("fk_content_series_organisation_id_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "owner_id"],
            ["resources.organisation_id", "resources.id"],
            name=op.f("fk_content_series_organisation_id_owner_id_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_series_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_series")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_content_series_organisation_id_id")
        ),
    )
    for column in ("campaign_id", "channel_id", "owner_id", "organisation_id"):
        op.create_index(
            op.f(f"ix_content_series_{column}"), "content_series", [column], unique=False
        )
    with op.batch_alter_table("content_items") as batch:
        batch.add_column(sa.Column("series_id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("occurrence_at", api.domain.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("detached", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index(op.f("ix_content_items_series_id"), ["series_id"], unique=False)
        batch.create_unique_constraint(
            op.f("uq_content_items_organisation_id_series_id_occurrence_at"),
            ["organisation_id", "series_id", "occurrence_at"],
        )
        batch.create_foreign_key(
            op.f("fk_content_items_organisation_id_series_id_content_series"),
            "content_series",
            ["organisation_id", "series_id"],
            ["organisation_id", "id"],
        )
    with op.batch_alter_table("content_items") as batch:
        batch.alter_column("detached", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("content_items") as batch:
        batch.drop_constraint(
            op.f("fk_content_items_organisation_id_series_id_content_series"), type_="foreignkey"
        )
        batch.drop_constraint(
            op.f("uq_content_items_organisation_id_series_id_occurrence_at"), type_="unique"
        )
        batch.drop_index(op.f("ix_content_items_series_id"))
        batch.drop_column("detached")
        batch.drop_column("occurrence_at")
        batch.drop_column("series_id")
    for column in ("campaign_id", "channel_id", "owner_id", "organisation_id"):
        op.drop_index(op.f(f"ix_content_series_{column}"), table_name="content_series")
    op.drop_table("content_series")
