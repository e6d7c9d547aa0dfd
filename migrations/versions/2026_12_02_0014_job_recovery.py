"""Jobs: the interrupted status, heartbeats and attempts (work survives a lost worker or Redis)

Revision ID: 0014_job_recovery
Revises: 0007_webhooks
Create Date: 2026-12-02 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0014_job_recovery"
down_revision: str | None = "0011_audience_size_bigint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "status IN ('queued', 'running', 'succeeded', 'failed')"
NEW = "status IN ('queued', 'running', 'interrupted', 'succeeded', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(op.f("ck_jobs_status"), type_="check")
        batch.alter_column("status", existing_type=sa.String(length=10), type_=sa.String(length=20))
        batch.add_column(
            sa.Column("heartbeat_at", api.domain.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(op.f("ck_jobs_status"), NEW)
        batch.create_index(op.f("ix_jobs_status"), ["status"], unique=False)
    # Jobs that ran before heartbeats counted one attempt.
    op.execute("UPDATE jobs SET attempts = 1 WHERE started_at IS NOT NULL")
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("attempts", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    op.execute("UPDATE jobs SET status = 'running' WHERE status = 'interrupted'")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(op.f("ix_jobs_status"))
        batch.drop_constraint(op.f("ck_jobs_status"), type_="check")
        batch.drop_column("attempts")
        batch.drop_column("heartbeat_at")
        batch.alter_column("status", existing_type=sa.String(length=20), type_=sa.String(length=10))
        batch.create_check_constraint(op.f("ck_jobs_status"), OLD)
