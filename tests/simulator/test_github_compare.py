"""The simulator's stand-in for GitHub's compare API: GitHub's shape, and only for the stored token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from cloudwarden.simulator import github as sim_github
from cloudwarden.simulator.client import SimulatorClient


def _get(sim: SimulatorClient, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{sim.endpoint}{sim_github.PREFIX}{path}", headers=headers, timeout=10)


def test_compare_answers_in_githubs_shape_only_to_the_stored_token(sim: SimulatorClient) -> None:
    arn = sim_github.create_token_secret(
        sim, account_id="123456789012", at=datetime.now(UTC) - timedelta(days=1)
    )
    token = sim.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    path = "/repos/acme-retail/storefront-api/compare/v2.13.4...v2.14.0"

    assert _get(sim, path, None).status_code == 401
    wrong = _get(sim, path, "ghp_" + "0" * 36)
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Bad credentials")

    answer = _get(sim, path, token)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["ahead_by"], body["behind_by"], body["total_commits"]) == ("ahead", 3, 0, 3)
    assert body["html_url"] == "https://github.com/acme-retail/storefront-api/compare/v2.13.4...v2.14.0"
    newest = body["commits"][-1]  # oldest first, as GitHub lists them
    assert newest["commit"]["message"].splitlines()[0] == "pricing: promo engine v2"
    assert newest["author"]["login"] == "mhernandez" and len(newest["sha"]) == 40
    assert {"name", "date"} <= newest["commit"]["author"].keys()
    assert newest["html_url"].endswith(newest["sha"])
    engine = next(f for f in body["files"] if f["filename"] == "storefront/pricing/engine_v2.py")
    assert (engine["status"], engine["additions"], engine["deletions"]) == ("added", 118, 0)
    assert _get(sim, path, token).json()["commits"] == body["commits"]  # deterministic

    routine = _get(sim, "/repos/acme-retail/order-worker/compare/v1.8.2...v1.9.0", token).json()
    assert 1 <= routine["total_commits"] == len(routine["commits"]) <= 3
    same = _get(sim, "/repos/acme-retail/order-worker/compare/v1.8.2...v1.8.2", token).json()
    assert (same["status"], same["commits"]) == ("identical", [])
    assert _get(sim, "/repos/acme-retail/unknown/compare/a1b2c3d...b2c3d4e", token).status_code == 404
