"""Opening the store for a person or a process: every failure is one sentence naming the setting.

`make_engine`/`migrate` (db.py) raise what SQLAlchemy, the drivers and the file system raise;
`open_database` turns each of those into a `ConfigurationError` (a setting to fix: exit 2) or
`Unreachable` (a server that is down or does not answer: exit 4), with the URL's password
hidden, and leaves nothing half-created.
"""

from __future__ import annotations

import re
import sqlite3

from alembic.util.exc import CommandError
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from cloudwarden.errors import ConfigurationError, Unreachable
from cloudwarden.store.db import make_engine, migrate, normalise_url

# What libpq says when the server cannot be reached at all (not: it answered and said no).
_UNREACHABLE_MARKERS = (
    "connection refused",
    "could not connect",
    "timeout expired",
    "timed out",
    "could not translate host name",
    "name or service not known",
    "temporary failure in name resolution",
    "no route to host",
    "network is unreachable",
    "server closed the connection unexpectedly",
    "the database system is starting up",
    "the database system is shutting down",
)


def open_database(url: str, *, setting: str = "CLOUDWARDEN_DATABASE_URL") -> Engine:
    """An engine on `url`, reachable and migrated to the newest revision.

    `setting` is the environment variable the URL came from, named in every error.
    """
    try:
        parsed = normalise_url(url)
        make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"{setting} is not a database URL", hint="use sqlite:///PATH or postgresql://USER@HOST/DATABASE"
        ) from None
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        engine = make_engine(url)
    except (NoSuchModuleError, ValueError):
        raise ConfigurationError(
            f"{setting}: unsupported database {parsed.drivername!r}",
            hint="use sqlite:///PATH or postgresql://USER@HOST/DATABASE",
        ) from None
    except OSError as exc:  # the SQLite file or its directory could not be created
        raise ConfigurationError(
            f"cannot create the database {exc.filename or shown}: {exc.strerror or exc}",
            hint=f"set {setting} to a writable location",
        ) from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        migrate(engine)
    except CommandError as exc:
        engine.dispose()
        raise ConfigurationError(
            f"the database at {shown} cannot be migrated: {exc}",
            hint="it was written by a newer CloudWarden; upgrade, or point " + setting + " elsewhere",
        ) from None
    except (OperationalError, DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        raise _translate(exc, parsed, shown, setting) from None
    return engine


def _translate(exc: Exception, url: URL, shown: str, setting: str) -> Exception:
    original = getattr(exc, "orig", None) or exc
    reason = " ".join(str(original).split()) or type(original).__name__
    if url.get_backend_name() == "sqlite":
        return ConfigurationError(
            f"cannot open the SQLite database {url.database}: {reason}",
            hint=f"set {setting} to a file in a writable directory",
        )
    if any(marker in reason.lower() for marker in _UNREACHABLE_MARKERS):
        return Unreachable(
            f"cannot reach the database server of {shown}: {_first_line(reason)}",
            hint=f"is PostgreSQL running and reachable? ({setting})",
        )
    return ConfigurationError(
        f"the database server refused {shown}: {_first_line(reason)}",
        hint=f"check the database name, user and password in {setting}",
    )


_LIBPQ_PREFIX = re.compile(
    r'^(?:connection failed: )?(?:connection to server (?:at|on) "[^"]*"(?: \([^)]*\))?(?:, port \d+)? failed: )?'
    r"(?:FATAL: +)?"
)


def _first_line(reason: str) -> str:
    """libpq's own words without the connection details the message already shows."""
    return _LIBPQ_PREFIX.sub("", reason).split(" Is the server running")[0]
