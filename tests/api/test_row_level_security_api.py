"""On PostgreSQL the API's requests run as the application role, under row-level security."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cloudwarden.store import rls
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from tests.api.conftest import Service, start_service
from tests.conftest import throwaway_postgres_schema


@pytest.fixture
def pg_service(postgres_url: str, tmp_path: Path) -> Iterator[Service]:
    for url in throwaway_postgres_schema(postgres_url):
        yield from start_service(url, tmp_path)


def test_requests_run_as_the_application_role_which_sees_nothing_unscoped(pg_service: Service) -> None:
    factory = pg_service.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory.begin() as db:
        assert db.execute(text("SELECT current_user")).scalar_one() == rls.APP_ROLE
        assert db.execute(text("SELECT count(*) FROM workspaces")).scalar_one() == 0
        assert db.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() == 0
        rls.scope(db, workspace_id=DEFAULT_WORKSPACE_ID)
        assert db.execute(text("SELECT count(*) FROM workspaces")).scalar_one() == 1


def test_the_whole_journey_works_under_row_level_security(pg_service: Service) -> None:
    owner = pg_service.headers()
    created = pg_service.client.post(
        "/api/v1/workspaces", headers=owner, json={"name": "Acme", "slug": "acme"}
    )
    assert created.status_code == 201
    taken = pg_service.client.post(
        "/api/v1/workspaces", headers=owner, json={"name": "Other", "slug": "acme"}
    )
    assert taken.status_code == 409  # found by the unique index although the row is invisible
    mine = pg_service.client.get("/api/v1/workspaces", headers=owner).json()
    assert {w["slug"] for w in mine} == {"default", "acme"}
    invitation = pg_service.client.post(
        f"/api/v1/workspaces/{created.json()['id']}/invitations",
        headers=owner,
        json={"email": "ana@example.com", "role": "viewer"},
    ).json()
    joined = pg_service.client.post(
        "/api/v1/invitations/accept",
        json={"token": invitation["token"], "password": "amber kettle orbit ninety", "display_name": "Ana"},
    )
    assert joined.status_code == 200
    ana = pg_service.headers("ana@example.com", "amber kettle orbit ninety")
    assert [w["slug"] for w in pg_service.client.get("/api/v1/workspaces", headers=ana).json()] == ["acme"]
    token = pg_service.client.post(
        f"/api/v1/workspaces/{created.json()['id']}/tokens",
        headers=owner,
        json={"name": "ci", "scopes": ["audit:read"]},
    ).json()["token"]
    audit = pg_service.client.get(
        f"/api/v1/workspaces/{created.json()['id']}/audit", headers={"Authorization": f"Bearer {token}"}
    )
    assert audit.status_code == 200 and audit.json()
