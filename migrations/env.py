"""Alembic environment: the engine comes from Clover's settings."""

from alembic import context

from api.config import Settings
from api.db import database_for
from api.domain.models import Base

settings = context.config.attributes.get("settings") or Settings.from_env()


def run_migrations_online() -> None:
    engine = database_for(settings).engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
