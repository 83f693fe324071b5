"""API fixtures: the app of `create_app` on a migrated store (SQLite, and PostgreSQL where asked).

Routes the API does not have yet (a body to validate, a route that fails, one that writes) are
mounted under /api/v1/probe by `probe_router`, the way the domain routers will be (mount_v1), so
the app's own error handling, protections and request transaction are what the tests see.
"""

from __future__ import annotations

import functools
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden import errors, runtime
from cloudwarden.api.app import create_app, mount_v1
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.ratelimit import RULES, RateLimiter
from cloudwarden.api.schemas import ApiInput
from cloudwarden.auth.errors import InvalidToken
from cloudwarden.auth.passwords import Argon2Parameters
from cloudwarden.config import Settings, load_settings
from cloudwarden.identity import config as identity_config
from cloudwarden.identity.bootstrap import bootstrap_owner
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.store import rls
from cloudwarden.store import service as store_service
from cloudwarden.store.db import make_engine, migrate
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

SECRET = "s3cret-internals-do-not-leak"
# name -> what the probe route raises
RAISES: dict[str, Exception] = {
    "usage": errors.UsageError("the value is refused", hint="use another"),
    "not_found": errors.NotFound("no account named prod"),
    "configuration": errors.ConfigurationError(f"CLOUDWARDEN_SECRET_THING is wrong: {SECRET}"),
    "not_connected": errors.NotConnected("the role cannot be assumed", details={"account": "prod"}),
    "unreachable": errors.Unreachable("AWS could not be reached"),
    "nothing_to_investigate": errors.NothingToInvestigate("api-5xx is OK"),
    "integrity": errors.IntegrityFailure("entry 7 is broken"),
    "invalid_token": InvalidToken("expired", "the token has expired"),
    "bug": RuntimeError(SECRET),
}


class Thing(ApiInput):
    name: str
    size: int = 1


class NewAccount(ApiInput):
    name: str
    fail_after_write: bool = False


def probe_router(calls: list[str]) -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.post("/things")
    def create_thing(thing: Thing) -> Thing:
        calls.append(thing.name)
        return thing

    @router.get("/raise/{name}")
    def raise_(name: str) -> None:
        raise RAISES[name]

    @router.get("/cached")
    def cached(response: Response) -> dict[str, str]:
        response.headers["Cache-Control"] = "public, max-age=60"
        return {"cached": "yes"}

    @router.post("/accounts")
    def create_account(body: NewAccount, db: SessionDep) -> dict[str, str]:
        rls.scope(db, workspace_id=DEFAULT_WORKSPACE_ID)  # what allow() does for a real route
        account = store_service.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name=body.name,
            role_arn=f"arn:aws:iam::{uuid.uuid4().int % 10**12:012d}:role/CloudWardenReadOnly",
            regions=["eu-west-1"],
        )
        db.flush()
        if body.fail_after_write:
            raise RuntimeError(SECRET)
        return {"id": account.id}

    @router.get("/accounts")
    def list_accounts(db: SessionDep) -> list[str]:
        rls.scope(db, workspace_id=DEFAULT_WORKSPACE_ID)
        return [a.name for a in store_service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID)]

    return router


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest revision, migrated once and copied for each test (fast)."""
    path = tmp_path_factory.mktemp("migrated") / "cloudwarden.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    """A migrated SQLite store of the test's own."""
    target = tmp_path / "data" / "cloudwarden.db"
    target.parent.mkdir(mode=0o700)
    shutil.copyfile(migrated_sqlite, target)
    target.chmod(0o600)
    return f"sqlite:///{target}"


def settings_for(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return load_settings(data_dir=tmp_path / "data", database_url=database_url, **overrides)


def app_for(settings: Settings, calls: list[str] | None = None) -> tuple[FastAPI, sessionmaker[Session]]:
    factory = runtime.open_store(settings)
    app = create_app(settings, session_factory=factory)
    mount_v1(app, probe_router([] if calls is None else calls))
    return app, factory


@pytest.fixture
def calls() -> list[str]:
    """What the probe route that takes a body was called with."""
    return []


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path, calls: list[str]) -> Iterator[TestClient]:
    """The app on a migrated SQLite store, with a body limit small enough to test quickly."""
    app, factory = app_for(
        settings_for(sqlite_url, tmp_path, max_body_bytes=4096, cors_origins="https://console.example.com"),
        calls,
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    factory.kw["bind"].dispose()


# Argon2 at its cheapest: the tests exercise the flows, not the cost (auth/ tests the parameters).
FAST_PASSWORDS = Argon2Parameters(time_cost=1, memory_cost_kib=8, parallelism=1)
OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "quasar lantern pickle fortyone"


def identity_for(settings: Settings) -> IdentityConfig:
    return identity_config.from_settings(settings, passwords=FAST_PASSWORDS)


@dataclass
class Service:
    """The whole API on a store of its own, with its first owner bootstrapped."""

    client: TestClient
    factory: sessionmaker[Session]
    identity: IdentityConfig

    def sign_in(
        self, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD, **extra: str
    ) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/auth/sign-in", json={"email": email, "password": password, **extra}
        )
        assert response.status_code == 200, response.text
        body: dict[str, str] = response.json()
        return body

    def headers(
        self, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD, **extra: str
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sign_in(email, password, **extra)['access_token']}"}

    @functools.cached_property
    def auth_headers(self) -> dict[str, str]:
        """The owner's, signed in once."""
        return self.headers()


def start_service(
    database_url: str, tmp_path: Path, *, base_url: str = "http://testserver", **overrides: Any
) -> Iterator[Service]:
    settings = settings_for(database_url, tmp_path, **overrides)
    identity = identity_for(settings)
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        bootstrap_owner(
            db,
            config=identity,
            email=OWNER_EMAIL,
            password=OWNER_PASSWORD,
            display_name="Olga Owner",
            actor="test",
        )
    app = create_app(settings, session_factory=factory, identity=identity)
    # Generous limits: tests sign in many times a minute (test_ratelimit.py tests the real ones).
    app.state.rate_limiter = RateLimiter("memory://", rules=dict.fromkeys(RULES, "10000/minute"))
    with TestClient(app, raise_server_exceptions=False, base_url=base_url) as test_client:
        yield Service(client=test_client, factory=factory, identity=identity)
    factory.kw["bind"].dispose()


@pytest.fixture
def service(sqlite_url: str, tmp_path: Path) -> Iterator[Service]:
    """The API on a migrated SQLite store, owner@example.com owning the default workspace."""
    yield from start_service(sqlite_url, tmp_path)


@pytest.fixture
def any_service(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """`service` on SQLite and on the real PostgreSQL."""
    yield from start_service(database_url, tmp_path)


CLOSED_PORT_URL = "http://127.0.0.1:9"  # nothing listens: AWS is "unreachable" at once


@pytest.fixture
def offline(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """`any_service` whose AWS is a closed port: nothing may reach a real account; AWS calls fail fast."""
    yield from start_service(database_url, tmp_path, simulator_url=CLOSED_PORT_URL)


@pytest.fixture
def simulated(
    sim: SimulatorClient, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    """The API whose AWS is the simulated account."""
    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL", raising=False)
    yield from start_service(sqlite_url, tmp_path, simulator_url=sim.endpoint)


MEMBER_PASSWORD = "granite walrus meadow seventy"


def member_headers(service: Service, role: str) -> dict[str, str]:
    """A new member of the default workspace with `role` (invited by the owner), signed in."""
    email = f"{role}@example.com"
    invited = service.client.post(
        f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/invitations",
        headers=service.auth_headers,
        json={"email": email, "role": role},
    ).json()
    service.client.post(
        "/api/v1/invitations/accept",
        json={"token": invited["token"], "password": MEMBER_PASSWORD, "display_name": role},
    )
    return service.headers(email, MEMBER_PASSWORD)
