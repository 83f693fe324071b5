"""The API fuzzed from its own OpenAPI document (schemathesis): no 5xx, no response off its schema.

Every operation gets a bounded number of generated requests, valid and invalid, as the signed-in
owner of the default workspace (so authorised paths are reached, not only the 401 in front of
them), each operation on a session of its own (fuzzing sign-out must not end the others'). A
failure names the operation and the request that reproduces it.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from tests.api.conftest import Service

MAX_EXAMPLES = 12
# Closing the workspace would leave every later operation a 404: tested on its own (test_deletion.py).
SKIPPED = {("DELETE", "/api/v1/workspaces/{workspace_id}")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        if case.path_parameters and "workspace_id" in case.path_parameters:
            # The owner's workspace, so generated values reach the route behind the permission
            # check (a random id is a 404 in front of it; the authorisation matrix covers those).
            case.path_parameters["workspace_id"] = DEFAULT_WORKSPACE_ID
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


def test_generated_requests_get_a_documented_answer_never_a_server_error(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", service.client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        try:
            _fuzz(operation, service.headers())
        except Exception as exc:  # collected: every operation is fuzzed, all failures shown
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert operations >= 30, "the OpenAPI document lost operations"
    assert not failures, "\n\n".join(failures)


def test_the_fuzzing_reaches_authorised_routes_and_would_catch_a_server_error(
    service: Service, monkeypatch: Any
) -> None:
    from cloudwarden.identity import workspaces

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug behind the permission check")

    monkeypatch.setattr(workspaces, "members", broken)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", service.client.app)
    operation = next(
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path == "/api/v1/workspaces/{workspace_id}/members" and result.ok().method == "get"
    )
    try:
        _fuzz(operation, service.headers())
    except Exception as exc:  # what the main test collects
        # schemathesis's ASGI transport re-raises the app's exception, or reports the 500
        assert "a bug behind the permission check" in str(exc) or "500" in str(exc), str(exc)[:500]
    else:
        raise AssertionError("the fuzzing did not reach the route behind the permission check")
