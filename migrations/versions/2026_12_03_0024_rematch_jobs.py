"""Jobs: the rematch kind (key-message and competitor re-matches become tracked jobs)

A re-match has a Job row a tenant can read and the reconciler can queue again.

Revision ID: 0024_rematch_jobs
Revises: 0023_kpi_forecasts
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_rematch_jobs"
down_revision: str | None = "0023_kpi_forecasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "kind IN ('import', 'rollup', 'sync')"
NEW = "kind IN ('import', 'rollup', 'sync', 'rematch')"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_jobs_kind"), NEW)


def downgrade() -> None:
    # The old kinds have no place for them (their errors go with them).
    op.execute("DELETE FROM jobs WHERE kind = 'rematch'")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_jobs_kind"), OLD)
