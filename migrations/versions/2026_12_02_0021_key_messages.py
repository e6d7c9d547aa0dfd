"""Key messages: what a strategy wants said, and the mentions and posts that carry it

Key messages belong to a strategy and name the phrases that carry them, the
objectives they serve and the audiences they are for (link tables with composite
keys). Mentions and published content items are linked to the messages they carry
(mention_messages, content_messages), which needs mentions to be unique by
(organisation, id) for the composite keys.

Revision ID: 0021_key_messages
Revises: 0020_content_series
Create Date: 2026-12-02 15:23:36.763266
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0021_key_messages"
down_revision: str | None = "0020_content_series"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.create_unique_constraint(
            op.f("uq_mentions_organisation_id_id"), ["organisation_id", "id"]
        )
    op.create_table(
        "key_messages",
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phrases", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "strategy_id"],
            ["strategies.organisation_id", "strategies.id"],
            name=op.f("fk_key_messages_organisation_id_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_key_messages_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_messages")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_key_messages_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_key_messages_organisation_id"), "key_messages", ["organisation_id"], unique=False
    )
    op.create_index(
        op.f("ix_key_messages_strategy_id"), "key_messages", ["strategy_id"], unique=False
    )
    op.create_table(
        "key_message_audiences",
        sa.Column("audience_id", sa.Uuid(), nullable=False),
        sa.Column("key_message_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "audience_id"],
            ["audiences.organisation_id", "audiences.id"],
            name=op.f("fk_key_message_audiences_organisation_id_audience_id_audiences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "key_message_id"],
            ["key_messages.organisation_id", "key_messages.id"],
            name=op.f("fk_key_message_audiences_organisation_id_key_message_id_key_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_key_message_audiences_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "audience_id", "key_message_id", name=op.f("pk_key_message_audiences")
        ),
    )
    op.create_index(
        op.f("ix_key_message_audiences_audience_id"),
        "key_message_audiences",
        ["audience_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_key_message_audiences_key_message_id"),
        "key_message_audiences",
        ["key_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_key_message_audiences_organisation_id"),
        "key_message_audiences",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "key_message_objectives",
        sa.Column("objective_id", sa.Uuid(), nullable=False),
        sa.Column("key_message_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "key_message_id"],
            ["key_messages.organisation_id", "key_messages.id"],
            name=op.f("fk_key_message_objectives_organisation_id_key_message_id_key_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "objective_id"],
            ["objectives.organisation_id", "objectives.id"],
            name=op.f("fk_key_message_objectives_organisation_id_objective_id_objectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_key_message_objectives_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "objective_id", "key_message_id", name=op.f("pk_key_message_objectives")
        ),
    )
    op.create_index(
        op.f("ix_key_message_objectives_key_message_id"),
        "key_message_objectives",
        ["key_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_key_message_objectives_objective_id"),
        "key_message_objectives",
        ["objective_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_key_message_objectives_organisation_id"),
        "key_message_objectives",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "mention_messages",
        sa.Column("mention_id", sa.Uuid(), nullable=False),
        sa.Column("key_message_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "key_message_id"],
            ["key_messages.organisation_id", "key_messages.id"],
            name=op.f("fk_mention_messages_organisation_id_key_message_id_key_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "mention_id"],
            ["mentions.organisation_id", "mentions.id"],
            name=op.f("fk_mention_messages_organisation_id_mention_id_mentions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_mention_messages_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mention_id", "key_message_id", name=op.f("pk_mention_messages")),
    )
    op.create_index(
        op.f("ix_mention_messages_key_message_id"),
        "mention_messages",
        ["key_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_mention_messages_mention_id"), "mention_messages", ["mention_id"], unique=False
    )
    op.create_index(
        op.f("ix_mention_messages_organisation_id"),
        "mention_messages",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "content_messages",
        sa.Column("content_item_id", sa.Uuid(), nullable=False),
        sa.Column("key_message_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "content_item_id"],
            ["content_items.organisation_id", "content_items.id"],
            name=op.f("fk_content_messages_organisation_id_content_item_id_content_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "key_message_id"],
            ["key_messages.organisation_id", "key_messages.id"],
            name=op.f("fk_content_messages_organisation_id_key_message_id_key_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_content_messages_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "content_item_id", "key_message_id", name=op.f("pk_content_messages")
        ),
    )
    op.create_index(
        op.f("ix_content_messages_content_item_id"),
        "content_messages",
        ["content_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_content_messages_key_message_id"),
        "content_messages",
        ["key_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_content_messages_organisation_id"),
        "content_messages",
        ["organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_content_messages_organisation_id"), table_name="content_messages")
    op.drop_index(op.f("ix_content_messages_key_message_id"), table_name="content_messages")
    op.drop_index(op.f("ix_content_messages_content_item_id"), table_name="content_messages")
    op.drop_table("content_messages")
    op.drop_index(op.f("ix_mention_messages_organisation_id"), table_name="mention_messages")
    op.drop_index(op.f("ix_mention_messages_mention_id"), table_name="mention_messages")
    op.drop_index(op.f("ix_mention_messages_key_message_id"), table_name="mention_messages")
    op.drop_table("mention_messages")
    op.drop_index(
        op.f("ix_key_message_objectives_organisation_id"), table_name="key_message_objectives"
    )
    op.drop_index(
        op.f("ix_key_message_objectives_objective_id"), table_name="key_message_objectives"
    )
    op.drop_index(
        op.f("ix_key_message_objectives_key_message_id"), table_name="key_message_objectives"
    )
    op.drop_table("key_message_objectives")
    op.drop_index(
        op.f("ix_key_message_audiences_organisation_id"), table_name="key_message_audiences"
    )
    op.drop_index(
        op.f("ix_key_message_audiences_key_message_id"), table_name="key_message_audiences"
    )
    op.drop_index(op.f("ix_key_message_audiences_audience_id"), table_name="key_message_audiences")
    op.drop_table("key_message_audiences")
    op.drop_index(op.f("ix_key_messages_strategy_id"), table_name="key_messages")
    op.drop_index(op.f("ix_key_messages_organisation_id"), table_name="key_messages")
    op.drop_table("key_messages")
    with op.batch_alter_table("mentions") as batch:
        batch.drop_constraint(op.f("uq_mentions_organisation_id_id"), type_="unique")
