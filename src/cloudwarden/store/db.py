"""Engines, sessions and migrations.

The caller at a request or task boundary owns the transaction:

    engine = make_engine(settings.resolved_database_url())
    migrate(engine)
    factory = session_factory(engine)
    with session_scope(factory) as db:
        service.create_account(db=db, workspace_id=..., ...)   # committed when the block exits cleanly
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS_LOCATION = "cloudwarden.store:migrations"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
POOL_SIZE = 40
# Execution option naming the statement that opens a SQLite transaction (default "BEGIN").
SQLITE_BEGIN_OPTION = "cloudwarden_sqlite_begin"
# Arbitrary constant key for pg_advisory_xact_lock: one migration at a time per database.
MIGRATION_LOCK_KEY = 0x636C6F7564  # "cloud"


def _json_dumps(value: Any) -> str:
    # PostgreSQL rejects NaN and Infinity in JSON; refuse them on SQLite too, so both behave alike.
    return json.dumps(value, allow_nan=False)


def normalise_url(url: str) -> URL:
    """Parse a database URL, sending PostgreSQL through psycopg 3 (the driver installed)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for a SQLite file (created with its directory) or a PostgreSQL server."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _make_sqlite_engine(parsed, echo=echo)
    if backend == "postgresql":
        # Connections kept open for as many requests at once as the server's thread pool serves
        # (40): an overflow connection is closed when returned, and reopening one per request
        # (connect, SET ROLE) costs more than the request itself.
        return create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            pool_size=POOL_SIZE,
            max_overflow=10,
            json_serializer=_json_dumps,
        )
    raise ValueError(f"unsupported database {parsed.drivername!r}: use a sqlite:/// or postgresql:// URL")


def _make_sqlite_engine(url: URL, *, echo: bool) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory and not database.startswith("file:"):
        _create_private(Path(database))
    engine = create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (below): the sqlite3 driver's legacy mode skips it for
        # SELECT, DDL and SAVEPOINT, which breaks savepoints and transactional migrations.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if not in_memory:
                # Readers (the console) do not block the writer (the worker), and vice versa.
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN"))

    return engine


def _create_private(path: Path) -> None:
    """The SQLite file (0600) and the directories created for it (0700): it holds ExternalIds.

    SQLite creates the -wal and -shm files with the database file's permissions.
    """
    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # a file an earlier version created readable by others


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after the boundary commits (e.g. the CLI prints what it created).
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def write_transaction(session: Session) -> None:
    """Make the session a writer from now on (SQLite: BEGIN IMMEDIATE; elsewhere nothing).

    A SQLite transaction that reads and later writes fails at once ("database is locked") when
    another writer committed in between; one that starts as the writer waits its turn instead.
    This holds for every transaction the session begins from here, the one after a mid-request
    `commit()` included, and begins the first of them now.
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and not session.in_transaction():
        if isinstance(bind, Engine):
            session.bind = bind.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
            session.connection()
        else:
            session.connection(execution_options={SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_LOCATION)
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` (default: the newest) in one transaction.

    Safe to call from every process at start-up: concurrent calls wait for each other (a
    PostgreSQL advisory lock; a SQLite write lock taken up front), and the later ones find
    nothing left to do. On SQLite, foreign keys are off while it runs (as SQLite's own procedure
    for schema changes says: a table rebuilt by a migration would otherwise cascade-delete the
    rows that point at it) and checked before it commits.
    """
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")  # only outside a transaction
            connection = connection.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


def _sqlite_pragma(connection: Connection, statement: str) -> None:
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute(statement)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of CloudWarden."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
