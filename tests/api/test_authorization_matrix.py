"""Every endpoint, every role, own and foreign workspace: what another tenant owns is never reachable.

The endpoints are read from the app itself, so a new route is in the matrix the day it is added;
its permission is read from its `allow(...)` dependency, and a workspace route without one fails
the first test. A foreign workspace and a foreign object answer 404 (not 403: its existence is
not confirmed); a member whose role lacks the permission gets 403; nothing another workspace
owns appears in any list.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from cloudwarden.identity.access import PERMISSIONS, RANKS
from cloudwarden.store import service as store
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, Membership, Role
from tests.api.conftest import Service

ROLES = (Role.OWNER, Role.ADMIN, Role.RESPONDER, Role.VIEWER)
PASSWORD = "granite walrus meadow seventy"
MARKER = "zzforeignmarker"
# Open by design: they are how one gets a credential.
PUBLIC = {
    # Authenticated by what they carry (an SNS signature, the EventBridge secret, Meta's signature):
    # tests/api/test_intake.py refuses every forgery.
    ("POST", "/api/v1/intake/workspaces/{workspace_id}/sns"),
    ("POST", "/api/v1/intake/workspaces/{workspace_id}/eventbridge"),
    ("GET", "/api/v1/intake/workspaces/{workspace_id}/whatsapp/{channel_id}"),
    ("POST", "/api/v1/intake/workspaces/{workspace_id}/whatsapp/{channel_id}"),
    ("POST", "/api/v1/auth/sign-in"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/invitations/accept"),
}
# Routes that decide their permission inside (leaving needs no admin role): checked by hand below.
DECIDED_INSIDE = {("DELETE", "/api/v1/workspaces/{workspace_id}/members/{user_id}")}
DESTRUCTIVE_FOR_HOLDERS = {("DELETE", "/api/v1/workspaces/{workspace_id}")}


@dataclass
class World:
    service: Service
    headers: dict[Role, dict[str, str]]
    foreign_workspace: str
    foreign_ids: dict[str, str]


def _flat(routes: Any) -> Iterator[Any]:
    """Every endpoint with its full path: FastAPI resolves included routers lazily, so the app's own
    `routes` lists an `_IncludedRouter` per router, whose endpoints are its route contexts."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()


def _routes(service: Service) -> list[tuple[str, APIRoute]]:
    found = sorted(
        (
            (method, route)
            for route in _flat(service.client.app.routes)  # type: ignore[attr-defined]
            for method in route.methods
            if route.path.startswith("/api/v1")
        ),
        key=lambda pair: (pair[1].path, pair[0]),
    )
    assert len(found) > 40, f"only {len(found)} endpoints found: the matrix would test nothing"
    return found


def _permission(route: APIRoute) -> str | None:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        name = getattr(dependency.call, "__name__", "")
        if name.startswith("allow_"):
            return name.removeprefix("allow_").replace("_", ":", 1)
        pending.extend(dependency.dependencies)
    return None


def _url(route: APIRoute, workspace_id: str, ids: dict[str, str]) -> str:
    values = {name: ids.get(name, str(uuid.uuid4())) for name in route.param_convertors}
    values["workspace_id"] = workspace_id
    return route.path.format(**values)


def _call(service: Service, method: str, url: str, headers: dict[str, str]) -> Any:
    body = {} if method in ("POST", "PATCH", "PUT") else None
    return service.client.request(method, url, headers=headers, json=body)


@pytest.fixture
def world(any_service: Service) -> Iterator[World]:
    service = any_service
    owner = service.auth_headers
    headers = {Role.OWNER: owner}
    for role in ROLES[1:]:
        email = f"{role.value}@example.com"
        invited = service.client.post(
            f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/invitations",
            headers=owner,
            json={"email": email, "role": role.value},
        ).json()
        service.client.post(
            "/api/v1/invitations/accept",
            json={"token": invited["token"], "password": PASSWORD, "display_name": role.value},
        )
        headers[role] = service.headers(email, PASSWORD)
    # A stranger's workspace, with one of everything in it
    stranger_email = f"{MARKER}@example.org"
    invitation = service.client.post(
        f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/invitations",
        headers=owner,
        json={"email": "x" + stranger_email, "role": "viewer"},
    ).json()
    accepted = service.client.post(
        "/api/v1/invitations/accept",
        json={"token": invitation["token"], "password": PASSWORD, "display_name": MARKER},
    )
    assert accepted.status_code == 200
    stranger = service.headers("x" + stranger_email, PASSWORD)
    foreign = service.client.post(
        "/api/v1/workspaces", headers=stranger, json={"name": MARKER, "slug": MARKER}
    ).json()["id"]
    service.client.delete(
        f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/members/{service.client.get('/api/v1/me', headers=stranger).json()['id']}",
        headers=stranger,
    )  # the stranger leaves the default workspace: from now on they are only in their own
    foreign_invitation = service.client.post(
        f"/api/v1/workspaces/{foreign}/invitations",
        headers=stranger,
        json={"email": f"{MARKER}2@example.org", "role": "viewer"},
    ).json()
    foreign_token = service.client.post(
        f"/api/v1/workspaces/{foreign}/tokens",
        headers=stranger,
        json={"name": MARKER, "scopes": ["incidents:read"]},
    ).json()
    with service.factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=foreign,
            name=MARKER,
            role_arn="arn:aws:iam::210987654321:role/ZzForeign",
            regions=["eu-west-1"],
        )
        incident, _ = store.record_incident(
            db=db,
            workspace_id=foreign,
            account_id=account.id,
            alarm_name=MARKER,
            alarm_arn=f"arn:aws:cloudwatch:eu-west-1:210987654321:alarm:{MARKER}",
            region="eu-west-1",
            opened_at=datetime.now(UTC),
            notification={"alarm": MARKER},
            dedup_key=MARKER,
        )
        stranger_id = db.scalars(select(Membership.user_id).where(Membership.workspace_id == foreign)).one()
        ids = {
            "user_id": stranger_id,
            "invitation_id": foreign_invitation["id"],
            "token_id": foreign_token["id"],
            "account_id": account.id,
            "incident_id": incident.id,
        }
    yield World(service=service, headers=headers, foreign_workspace=foreign, foreign_ids=ids)


def test_every_route_needs_a_credential_and_every_workspace_route_names_its_permission(
    service: Service,
) -> None:
    unguarded = []
    for method, route in _routes(service):
        if (method, route.path) in PUBLIC:
            continue
        answer = _call(service, method, _url(route, DEFAULT_WORKSPACE_ID, {}), {})
        assert answer.status_code == 401, (
            f"{method} {route.path} answered {answer.status_code} without a credential"
        )
        if "{workspace_id}" in route.path and (method, route.path) not in DECIDED_INSIDE:
            permission = _permission(route)
            if permission is None or permission not in PERMISSIONS:
                unguarded.append(f"{method} {route.path}")
    assert not unguarded, f"workspace routes without allow(permission): {unguarded}"


def test_a_foreign_workspace_answers_404_to_every_role_on_every_route(world: World) -> None:
    wrong = []
    for method, route in _routes(world.service):
        if "{workspace_id}" not in route.path or (method, route.path) in PUBLIC:
            continue
        url = _url(route, world.foreign_workspace, world.foreign_ids)
        for role in ROLES:
            answer = _call(world.service, method, url, world.headers[role])
            if answer.status_code != 404 or answer.json()["error"]["code"] != "not_found":
                wrong.append(f"{role.value} {method} {route.path}: {answer.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_foreign_object_through_one_s_own_workspace_answers_404(world: World) -> None:
    wrong = []
    for method, route in _routes(world.service):
        object_params = set(route.param_convertors) - {"workspace_id"}
        if "{workspace_id}" not in route.path or not object_params & world.foreign_ids.keys():
            continue
        if (method, route.path) in PUBLIC:
            continue
        answer = _call(
            world.service,
            method,
            _url(route, DEFAULT_WORKSPACE_ID, world.foreign_ids),
            world.headers[Role.OWNER],
        )
        has_body = route.body_field is not None
        if answer.status_code not in ((404, 422) if has_body else (404,)):
            wrong.append(f"{method} {route.path}: {answer.status_code} {answer.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_nothing_another_workspace_owns_appears_in_any_list(world: World) -> None:
    for method, route in _routes(world.service):
        if (
            method != "GET"
            or set(route.param_convertors) - {"workspace_id"}
            or (method, route.path) in PUBLIC
        ):
            continue
        for role in ROLES:
            answer = _call(world.service, "GET", _url(route, DEFAULT_WORKSPACE_ID, {}), world.headers[role])
            # The default workspace's own audit log rightly names the stranger it invited and who
            # left it; the foreign workspace's ids (below) must still never appear there.
            if "/audit" not in route.path:
                assert MARKER not in answer.text, (
                    f"{role.value} GET {route.path} shows another workspace's data"
                )
            for name, value in world.foreign_ids.items():
                if name == "user_id" and "/audit" in route.path:
                    continue  # the stranger was a member here once: this log rightly names them
                assert value not in answer.text, f"{role.value} GET {route.path} shows a foreign id"


def test_each_role_gets_exactly_the_permissions_of_its_rank(world: World) -> None:
    wrong = []
    for method, route in _routes(world.service):
        permission = _permission(route)
        if permission is None:
            continue
        _, weakest, _ = PERMISSIONS[permission]
        for role in ROLES:
            holds = RANKS[role] >= RANKS[weakest]
            if holds and (method, route.path) in DESTRUCTIVE_FOR_HOLDERS:
                continue  # closing the workspace is tested on its own
            answer = _call(world.service, method, _url(route, DEFAULT_WORKSPACE_ID, {}), world.headers[role])
            if holds and answer.status_code in (401, 403):
                wrong.append(f"{role.value} refused {method} {route.path}: {answer.text[:160]}")
            if not holds and (answer.status_code != 403 or answer.json()["error"]["code"] != "forbidden"):
                wrong.append(
                    f"{role.value} allowed {method} {route.path} ({permission}): {answer.status_code}"
                )
    assert not wrong, "\n".join(wrong)


def test_closing_a_workspace_is_the_owner_s_alone(world: World) -> None:
    url = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
    for role in ROLES[1:]:
        assert world.service.client.delete(url, headers=world.headers[role]).status_code == 403
    assert world.service.client.delete(url, headers=world.headers[Role.OWNER]).status_code == 204
    assert world.service.client.get(url, headers=world.headers[Role.OWNER]).status_code == 404
