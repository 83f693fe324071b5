"""The store fixtures (SQLite and, when configured, PostgreSQL) for the actions tests."""

from tests.store.conftest import bare_engine, db, engine, factory  # noqa: F401 - fixtures
