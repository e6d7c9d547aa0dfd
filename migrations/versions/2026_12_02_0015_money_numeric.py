"""Money: hourly costs widened to NUMERIC(14, 2), the type of every amount

Budgets already were NUMERIC(14, 2); the models now read both as Decimal.

Revision ID: 0015_money_numeric
Revises: 0014_job_recovery
Create Date: 2026-12-02 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_money_numeric"
down_revision: str | None = "0014_job_recovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.alter_column(
            "hourly_cost",
            existing_type=sa.Numeric(precision=12, scale=2),
            type_=sa.Numeric(precision=14, scale=2),
            existing_nullable=True,
        )


def downgrade() -> None:
    # Validation keeps hourly costs at most 1,000,000: they fit NUMERIC(12, 2) again.
    with op.batch_alter_table("resources") as batch:
        batch.alter_column(
            "hourly_cost",
            existing_type=sa.Numeric(precision=14, scale=2),
            type_=sa.Numeric(precision=12, scale=2),
            existing_nullable=True,
        )
