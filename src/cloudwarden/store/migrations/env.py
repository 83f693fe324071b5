"""Alembic environment. Run through cloudwarden.store.db.migrate(), which passes its connection.

Without a connection (e.g. `command.revision(alembic_config(), autogenerate=True)` from a shell),
the database in CLOUDWARDEN_DATABASE_URL or the default SQLite file is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from cloudwarden.config import get_settings
from cloudwarden.store import models  # noqa: F401  (registers every table on Base.metadata)
from cloudwarden.store.base import Base
from cloudwarden.store.db import make_engine

target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode copies the table, and is harmless elsewhere.
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=get_settings().resolved_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(get_settings().resolved_database_url())
    try:
        with engine.begin() as own_connection:
            _configure_and_run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
