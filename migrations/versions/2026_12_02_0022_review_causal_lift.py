"""Reviews: a causal-lift snapshot of the cycle's window, beside the KPI snapshot

Revision ID: 0022_review_causal_lift
Revises: 0021_key_messages
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_review_causal_lift"
down_revision: str | None = "0021_key_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("causal_lift_snapshot", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("causal_lift_snapshot")
