"""OAuth 2: clients, authorization codes, tokens, consents

Revision ID: 0006_oauth
Revises: 0005_connections
Create Date: 2026-11-23 17:30:29.585206
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.domain.base

revision: str = "0006_oauth"
down_revision: str | None = "0005_connections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scope", sa.String(length=2000), nullable=False),
        sa.Column("organisation_ids", sa.JSON(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("nonce", sa.String(length=200), nullable=True),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_authorization_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_authorization_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oauth_authorization_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_oauth_authorization_codes_client_id"),
        "oauth_authorization_codes",
        ["client_id"],
        unique=False,
    )
    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("client_type", sa.String(length=20), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("allowed_scopes", sa.JSON(), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("revoked_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "client_type IN ('confidential', 'public')", name=op.f("ck_oauth_clients_client_type")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_oauth_clients_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_clients_client_id")),
        sa.UniqueConstraint(
            "organisation_id", "id", name=op.f("uq_oauth_clients_organisation_id_id")
        ),
    )
    op.create_index(
        op.f("ix_oauth_clients_organisation_id"), "oauth_clients", ["organisation_id"], unique=False
    )
    op.create_table(
        "oauth_grants",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("revoked_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_oauth_grants_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_grants")),
        sa.UniqueConstraint(
            "organisation_id",
            "client_id",
            "user_id",
            name=op.f("uq_oauth_grants_organisation_id_client_id_user_id"),
        ),
    )
    op.create_index(op.f("ix_oauth_grants_client_id"), "oauth_grants", ["client_id"], unique=False)
    op.create_index(
        op.f("ix_oauth_grants_organisation_id"), "oauth_grants", ["organisation_id"], unique=False
    )
    op.create_table(
        "oauth_tokens",
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("organisation_scopes", sa.JSON(), nullable=False),
        sa.Column("scope", sa.String(length=2000), nullable=False),
        sa.Column("family", sa.Uuid(), nullable=False),
        sa.Column("code_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", api.domain.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", api.domain.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_oauth_tokens_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oauth_tokens_refresh_token_hash")),
    )
    op.create_index(op.f("ix_oauth_tokens_client_id"), "oauth_tokens", ["client_id"], unique=False)
    op.create_index(op.f("ix_oauth_tokens_code_id"), "oauth_tokens", ["code_id"], unique=False)
    op.create_index(op.f("ix_oauth_tokens_family"), "oauth_tokens", ["family"], unique=False)
    op.create_index(op.f("ix_oauth_tokens_user_id"), "oauth_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_tokens_user_id"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_family"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_code_id"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_client_id"), table_name="oauth_tokens")
    op.drop_table("oauth_tokens")
    op.drop_index(op.f("ix_oauth_grants_organisation_id"), table_name="oauth_grants")
    op.drop_index(op.f("ix_oauth_grants_client_id"), table_name="oauth_grants")
    op.drop_table("oauth_grants")
    op.drop_index(op.f("ix_oauth_clients_organisation_id"), table_name="oauth_clients")
    op.drop_table("oauth_clients")
    op.drop_index(
        op.f("ix_oauth_authorization_codes_client_id"), table_name="oauth_authorization_codes"
    )
    op.drop_table("oauth_authorization_codes")
