"""/api/v1/openapi.json is a valid OpenAPI 3 document that declares the error shape everywhere."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from cloudwarden.api.errors import ERROR_CODES


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def test_it_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)  # raises with the first problem
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "CloudWarden API"
    assert {"/healthz", "/readyz"} <= set(document["paths"])


def test_every_operation_declares_the_error_shape(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["ErrorResponse"]
    assert schema["required"] == ["error"]
    body = document["components"]["schemas"]["ErrorBody"]
    assert {"code", "message"} <= set(body["required"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("4XX", "5XX"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path)
            # FastAPI's own 422 shape ({"detail": [...]}) is not what the API sends.
            assert "422" not in operation["responses"], (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    ready = document["paths"]["/readyz"]["get"]["responses"]["503"]
    assert ready["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_the_description_lists_every_error_code(document: dict[str, Any]) -> None:
    for code in ERROR_CODES:
        assert f"| `{code}` |" in document["info"]["description"], code


def test_error_responses_match_the_published_schema(client: TestClient, document: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator({**document, "$ref": "#/components/schemas/ErrorResponse"})
    responses = [
        client.get("/api/v1/nope"),
        client.post("/api/v1/probe/things", json={"name": "a", "extra": 1}),
        client.post("/api/v1/probe/things", content=b"{", headers={"content-type": "application/json"}),
        client.get("/api/v1/probe/raise/not_connected"),
        client.get("/api/v1/probe/raise/bug"),
    ]
    for response in responses:
        assert response.status_code >= 400
        validator.validate(response.json())


def test_the_interactive_docs_are_off(client: TestClient) -> None:
    # Swagger UI and ReDoc need inline script, which the Content-Security-Policy forbids.
    for path in ("/api/v1/docs", "/api/v1/redoc", "/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404, path
