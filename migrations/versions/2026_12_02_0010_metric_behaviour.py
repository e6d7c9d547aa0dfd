"""Metric definitions say how a metric behaves over time and what it is a part of

Revision ID: 0010_metric_behaviour
Revises: 0007_webhooks
Create Date: 2026-12-02 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_metric_behaviour"
down_revision: str | None = "0009_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metric_definitions") as batch:
        batch.add_column(
            sa.Column("behaviour", sa.String(length=10), nullable=True, server_default="flow")
        )
        batch.add_column(sa.Column("part_of", sa.String(length=64), nullable=True))
    # Ratios are averaged: neither a flow nor a level. Existing keys were all summed (flows).
    op.execute("UPDATE metric_definitions SET behaviour = NULL WHERE kind = 'ratio'")
    with op.batch_alter_table("metric_definitions") as batch:
        batch.alter_column("behaviour", server_default=None, existing_type=sa.String(length=10))
        batch.create_check_constraint(
            op.f("ck_metric_definitions_behaviour"), "behaviour IN ('flow', 'level')"
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_definitions") as batch:
        batch.drop_constraint(op.f("ck_metric_definitions_behaviour"), type_="check")
        batch.drop_column("part_of")
        batch.drop_column("behaviour")
