"""API keys: personal (acting for their member) or organisation (for servers)

Existing keys made by a person become personal: from now on they act for that
person only while they are a member, capped by their current role (a key of
someone who already left stops working). Keys with no creator become
organisation keys and keep working as before.

Revision ID: 0008_api_key_kinds
Revises: 0007_webhooks
Create Date: 2026-12-02 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_api_key_kinds"
down_revision: str | None = "0007_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE api_keys SET kind = CASE WHEN created_by_user_id IS NULL "
        "THEN 'organisation' ELSE 'personal' END"
    )
    # Batch mode: SQLite can neither tighten a column nor add a CHECK in place.
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch.create_check_constraint(
            op.f("ck_api_keys_kind"), "kind IN ('personal', 'organisation')"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint(op.f("ck_api_keys_kind"), type_="check")
        batch.drop_column("kind")
