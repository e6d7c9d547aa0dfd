"""Competitors (name, handles, keywords), and the competitor a mention names

Revision ID: 0019_competitors
Revises: 0018_plan_feeds
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0019_competitors"
down_revision: str | None = "0018_plan_feeds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competitors",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handles", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_competitors_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competitors")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_competitors_organisation_id_id")
        ),
        sa.UniqueConstraint(
            "organisation_id", "name", name=op.f("uq_competitors_organisation_id_name")
        ),
    )
    op.create_index(
        op.f("ix_competitors_organisation_id"), "competitors", ["organisation_id"], unique=False
    )
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("competitor_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("competitor_source", sa.String(length=8), nullable=True))
        batch.create_foreign_key(
            op.f("fk_mentions_organisation_id_competitor_id_competitors"),
            "competitors",
            ["organisation_id", "competitor_id"],
            ["organisation_id", "id"],
        )
        batch.create_check_constraint(
            op.f("ck_mentions_competitor_source"),
            "competitor_source IN ('given', 'matched')",
        )
        batch.create_check_constraint(
            op.f("ck_mentions_competitor_source_set"),
            "(competitor_id IS NULL) = (competitor_source IS NULL)",
        )
        batch.create_index(
            "ix_mentions_competitor", ["organisation_id", "competitor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_index("ix_mentions_competitor")
        batch.drop_constraint(op.f("ck_mentions_competitor_source_set"), type_="check")
        batch.drop_constraint(op.f("ck_mentions_competitor_source"), type_="check")
        batch.drop_constraint(
            op.f("fk_mentions_organisation_id_competitor_id_competitors"), type_="foreignkey"
        )
        batch.drop_column("competitor_source")
        batch.drop_column("competitor_id")
    op.drop_index(op.f("ix_competitors_organisation_id"), table_name="competitors")
    op.drop_table("competitors")
