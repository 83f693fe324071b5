"""The API fuzzed from its own OpenAPI document (schemathesis): no 5xx, no response off its schema.

Every operation gets a bounded number of generated requests, valid and invalid, as the signed-in
owner of the default workspace (so authorised paths are reached, not only the 401 in front of
them). A failure names the operation and the request that reproduces it.
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

from tests.api.conftest import Service

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_generated_requests_get_a_documented_answer_never_a_server_error(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", service.client.app)
    headers = service.auth_headers
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert operations >= 15, "the OpenAPI document lost operations"
    assert not failures, "\n\n".join(failures)
