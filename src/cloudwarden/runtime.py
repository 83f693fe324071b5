"""Opening the store from the settings: shared by the CLI, the demo and tests."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.config import Settings
from cloudwarden.store import db as store_db
from cloudwarden.store import opening
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

# The CLI and the demo work on the local store as the owner of its default workspace.
LOCAL_WORKSPACE_ID = DEFAULT_WORKSPACE_ID


def open_store(settings: Settings) -> sessionmaker[Session]:
    """The store, reachable and migrated; a failure names the setting to fix (store/opening.py)."""
    setting = "CLOUDWARDEN_DATABASE_URL" if settings.database_url else "CLOUDWARDEN_DATA_DIR"
    engine = opening.open_database(settings.resolved_database_url(), setting=setting)
    return store_db.session_factory(engine)


def local_actor() -> str:
    """Who the audit log names for a CLI command: the operating-system user running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = str(os.getuid())
    return f"cli:{user}"


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
