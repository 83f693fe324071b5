"""/healthz and /readyz on SQLite and PostgreSQL, and the transaction that belongs to the request."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from cloudwarden.api.app import create_app, mount_v1
from cloudwarden.store.db import head_revision, make_engine, migrate, session_factory
from tests.api.conftest import SECRET, app_for, probe_router, settings_for


def test_ready_on_a_migrated_database(database_url: str, tmp_path: Path) -> None:
    app, factory = app_for(settings_for(database_url, tmp_path))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"database": "ok", "migrations": "current"}
    factory.kw["bind"].dispose()


def test_not_ready_on_a_database_that_was_never_migrated(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    app = create_app(settings_for(database_url, tmp_path), session_factory=session_factory(engine))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "not_ready"
        assert error["details"] == {"database": "ok", "migrations": "pending"}
        assert "no revision" in error["message"] and str(head_revision()) in error["message"]
        assert "cloudwarden db migrate" in error["hint"]
        migrate(engine)  # the same app becomes ready once the schema is current
        assert client.get("/readyz").json() == {"database": "ok", "migrations": "current"}
    engine.dispose()


def test_not_ready_on_a_database_a_newer_version_migrated(database_url: str, tmp_path: Path) -> None:
    app, factory = app_for(settings_for(database_url, tmp_path))
    engine = factory.kw["bind"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["details"] == {"database": "ok", "migrations": "unknown"}
        assert "f00dfeedbeef" in error["message"] and "upgrade" in error["hint"]
    engine.dispose()


def test_healthz_needs_no_database_and_readyz_does_not_say_where_it_is(tmp_path: Path) -> None:
    # Nothing listens on port 1: every connection is refused.
    engine = make_engine("postgresql://cw:pw@127.0.0.1:1/cloudwarden?connect_timeout=2")
    app = create_app(
        settings_for(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path), session_factory=session_factory(engine)
    )
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "not_ready"
        assert error["details"] == {"database": "unreachable", "migrations": "unknown"}
        assert "127.0.0.1" not in response.text and "refused" not in response.text
    engine.dispose()


def test_the_request_owns_the_transaction(database_url: str, tmp_path: Path) -> None:
    """Committed when the route returns; rolled back when it raises, even after a flush."""
    app, factory = app_for(settings_for(database_url, tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post("/api/v1/probe/accounts", json={"name": "prod"})
        assert created.status_code == 200, created.text
        failed = client.post("/api/v1/probe/accounts", json={"name": "staging", "fail_after_write": True})
        assert failed.status_code == 500 and SECRET not in failed.text
        assert client.get("/api/v1/probe/accounts").json() == ["prod"]
    # Seen from outside the app too: the commit happened before the response.
    with factory() as session:
        names = session.execute(text("SELECT name FROM accounts ORDER BY name")).scalars().all()
    assert names == ["prod"]
    factory.kw["bind"].dispose()


def test_create_app_opens_and_migrates_the_store_of_the_settings(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "cloudwarden.db"
    app = create_app(settings_for(f"sqlite:///{database}", tmp_path))
    mount_v1(app, probe_router([]))
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        assert client.post("/api/v1/probe/accounts", json={"name": "prod"}).status_code == 200
    assert database.exists()
