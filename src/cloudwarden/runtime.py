"""Opening the store from the settings: shared by the CLI, the demo and tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.config import Settings
from cloudwarden.store import db as store_db


def open_store(settings: Settings) -> sessionmaker[Session]:
    engine = store_db.make_engine(settings.resolved_database_url())
    store_db.migrate(engine)
    return store_db.session_factory(engine)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
