"""Jobs: the request that created a job (request_id)

The reconciler queues a lost run again under the request id its job was created by,
so the run's log lines still lead back to the client's request; a tenant reads it on
the job. Jobs created before this have none (NULL), and are queued again as before.

Revision ID: 0027_job_request_id
Revises: 0026_lighter_metric_indexes
Create Date: 2026-12-04 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_job_request_id"
down_revision: str | None = "0026_lighter_metric_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("request_id")
