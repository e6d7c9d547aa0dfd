"""KPI forecasts: each KPI's open period projected to its end, and an alert threshold

A forecast row per KPI and open period (the projected figure, its 80 % and 95 %
intervals, the probability of reaching the target, the method, or the reason there is
none), written by the rollups. A KPI may set the probability whose crossing fires the
kpi.forecast_changed webhook.

Revision ID: 0023_kpi_forecasts
Revises: 0022_review_causal_lift
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0023_kpi_forecasts"
down_revision: str | None = "0022_review_causal_lift"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

THRESHOLD = (
    "forecast_alert_probability IS NULL OR "
    "(forecast_alert_probability >= 0 AND forecast_alert_probability <= 1)"
)


def upgrade() -> None:
    op.create_table(
        "kpi_forecasts",
        sa.Column("kpi_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("projected", sa.Float(), nullable=True),
        sa.Column("lower80", sa.Float(), nullable=True),
        sa.Column("upper80", sa.Float(), nullable=True),
        sa.Column("lower95", sa.Float(), nullable=True),
        sa.Column("upper95", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=30), nullable=True),
        sa.Column("history_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("computed_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id", "kpi_id"],
            ["kpis.organisation_id", "kpis.id"],
            name=op.f("fk_kpi_forecasts_organisation_id_kpi_id_kpis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_kpi_forecasts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_forecasts")),
        sa.UniqueConstraint(
            "organisation_id",
            "kpi_id",
            "period_start",
            name=op.f("uq_kpi_forecasts_organisation_id_kpi_id_period_start"),
        ),
    )
    for column in ("kpi_id", "organisation_id"):
        op.create_index(op.f(f"ix_kpi_forecasts_{column}"), "kpi_forecasts", [column], unique=False)
    with op.batch_alter_table("kpis") as batch:
        batch.add_column(sa.Column("forecast_alert_probability", sa.Float(), nullable=True))
        batch.create_check_constraint(op.f("ck_kpis_forecast_alert_probability"), THRESHOLD)


def downgrade() -> None:
    with op.batch_alter_table("kpis") as batch:
        batch.drop_constraint(op.f("ck_kpis_forecast_alert_probability"), type_="check")
        batch.drop_column("forecast_alert_probability")
    for column in ("kpi_id", "organisation_id"):
        op.drop_index(op.f(f"ix_kpi_forecasts_{column}"), table_name="kpi_forecasts")
    op.drop_table("kpi_forecasts")
