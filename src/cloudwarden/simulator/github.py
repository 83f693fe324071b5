"""A small stand-in for GitHub's REST compare endpoint, served by the simulator on loopback.

`GET /_cloudwarden/github/repos/{owner}/{repo}/compare/{base}...{head}` answers in the shape of
GitHub's API (status, ahead_by, behind_by, total_commits, commits oldest first, files,
html_url), and only to `Authorization: Bearer <token>` where the token is the one the customer
stored in the simulated account's Secrets Manager (`TOKEN_SECRET_NAME`). Commits are
deterministic: the bad_deploy story for storefront-api v2.13.4...v2.14.0 (a new promotion
engine), plausible routine commits for any other pair of refs of the two known repositories.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.aws import redact
from cloudwarden.simulator.client import SimulatorClient

PREFIX = "/_cloudwarden/github"
TOKEN_SECRET_NAME = "cloudwarden/github-token"  # noqa: S105 - a secret's name, not its value
OWNER = "acme-retail"
# Image repository (as the workload's ECR images name it) -> GitHub repository.
REPOSITORIES = {"storefront-api": f"{OWNER}/storefront-api", "order-worker": f"{OWNER}/order-worker"}
CUSTOMER_ADMIN = "arn:aws:sts::{account}:assumed-role/platform-admin/onboarding"

_COMPARE = re.compile(r"^/repos/(?P<repo>[\w.-]+/[\w.-]+)/compare/(?P<base>[^/]+?)\.\.\.(?P<head>[^/]+)$")
# (message, login or None when the e-mail matches no account, git name, hours ago, files)
_File = tuple[str, str, int, int]
_Commit = tuple[str, str | None, str, int, list[_File]]
_STORY: dict[tuple[str, str, str], list[_Commit]] = {  # oldest first, as GitHub lists them
    (f"{OWNER}/storefront-api", "v2.13.4", "v2.14.0"): [
        (
            "deps: bump botocore to 1.44.5",
            "dependabot[bot]",
            "dependabot[bot]",
            27,
            [("requirements.txt", "modified", 2, 2)],
        ),
        (
            "checkout: pass the promo code through to pricing.compute",
            "tkowalski",
            "Tomasz Kowalski",
            6,
            [("storefront/handlers/checkout.py", "modified", 9, 3)],
        ),
        (
            "pricing: promo engine v2\n\nNew discount engine, switched on with PROMO_ENGINE=v2.",
            "mhernandez",
            "Maria Hernandez",
            3,
            [
                ("storefront/pricing/engine_v2.py", "added", 118, 0),
                ("storefront/pricing/__init__.py", "modified", 6, 1),
                ("tests/pricing/test_engine_v2.py", "added", 64, 0),
            ],
        ),
    ],
}
_ROUTINE: dict[str, list[_Commit]] = {
    f"{OWNER}/storefront-api": [
        ("catalog: cache category pages for 60 s", "jlee", "Jin Lee", 30, [("storefront/catalog.py", "modified", 14, 2)]),
        ("api: log request ids on 4xx", "tkowalski", "Tomasz Kowalski", 20, [("storefront/middleware.py", "modified", 5, 1)]),
        ("deps: bump urllib3 to 2.5.0", "dependabot[bot]", "dependabot[bot]", 12, [("requirements.txt", "modified", 1, 1)]),
        ("reviews: paginate the reviews", None, "Sam Okafor", 5, [("storefront/handlers/reviews.py", "modified", 22, 8)]),
    ],
    f"{OWNER}/order-worker": [
        ("worker: batch order confirmations", "aduarte", "Ana Duarte", 28, [("worker/confirm.py", "modified", 31, 12)]),
        ("deps: bump psycopg to 3.3.9", "dependabot[bot]", "dependabot[bot]", 16, [("requirements.txt", "modified", 1, 1)]),
        ("worker: retry SQS deletes when throttled", "aduarte", "Ana Duarte", 9, [("worker/queue.py", "modified", 11, 3)]),
        ("metrics: emit queue lag per batch", None, "Priya Raman", 4, [("worker/metrics.py", "added", 27, 0)]),
    ],
}  # fmt: skip


def create_token_secret(sim: SimulatorClient, *, account_id: str, at: datetime) -> str:
    """The customer stores a (fresh, random) GitHub token in Secrets Manager; returns the ARN.

    The token is registered for log redaction before the request that carries it is logged.
    """
    token = "ghp_" + secrets.token_urlsafe(27)
    redact.register(token)
    admin = CUSTOMER_ADMIN.format(account=account_id)
    client = sim.acting_client("secretsmanager", at=at, actor=admin)
    created = client.create_secret(
        Name=TOKEN_SECRET_NAME,
        Description="Read-only GitHub token for CloudWarden (contents: read)",
        SecretString=token,
    )
    return str(created["ARN"])


def handle(method: str, path: str, authorization: str | None) -> tuple[int, dict[str, Any]]:
    """Answer one request under PREFIX as GitHub would: (HTTP status, JSON body)."""
    docs = {"documentation_url": "https://docs.github.com/rest"}
    if not _authorized(authorization):
        return 401, {"message": "Bad credentials", **docs}
    match = _COMPARE.match(path.removeprefix(PREFIX))
    if method != "GET" or match is None or match["repo"] not in _ROUTINE:
        return 404, {"message": "Not Found", **docs}
    return 200, comparison(match["repo"], match["base"], match["head"])


def _authorized(authorization: str | None) -> bool:
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() not in ("bearer", "token") or not presented:
        return False
    stored = _stored_tokens()
    return any(hmac.compare_digest(presented.encode(), token.encode()) for token in stored)


def _stored_tokens() -> list[str]:
    """The token in every simulated account and region that has the secret (plain, or JSON "token")."""
    from moto.secretsmanager.models import secretsmanager_backends

    found = []
    for account in list(secretsmanager_backends.keys()):
        for backend in list(secretsmanager_backends[account].values()):
            try:
                value = backend.get_secret_value(TOKEN_SECRET_NAME, "", "").get("SecretString")
            except Exception:  # noqa: S112 - no such secret here (moto raises its own error types)
                continue
            if isinstance(value, str) and value.strip().startswith("{"):  # {"token": "..."}
                with contextlib.suppress(ValueError, AttributeError):
                    value = json.loads(value).get("token")
            if isinstance(value, str):
                found.append(value.strip())
    return found


def comparison(repository: str, base: str, head: str) -> dict[str, Any]:
    """GitHub's compare document for two refs of `repository`."""
    if base == head:
        commits: list[_Commit] = []
    else:
        commits = _STORY.get((repository, base, head)) or _routine(repository, base, head)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    raw = [_raw_commit(repository, base, head, i, c, now) for i, c in enumerate(commits)]
    files: dict[str, dict[str, Any]] = {}
    for _, _, _, _, changed in commits:
        for filename, status, additions, deletions in changed:
            files[filename] = {
                "sha": hashlib.sha1(f"{repository}:{filename}:{head}".encode()).hexdigest(),  # noqa: S324
                "filename": filename,
                "status": status,
                "additions": additions,
                "deletions": deletions,
                "changes": additions + deletions,
            }
    site = f"https://github.com/{repository}"
    return {
        "url": f"https://api.github.com/repos/{repository}/compare/{base}...{head}",
        "html_url": f"{site}/compare/{base}...{head}",
        "permalink_url": f"{site}/compare/{base}...{head}",
        "status": "ahead" if commits else "identical",
        "ahead_by": len(commits),
        "behind_by": 0,
        "total_commits": len(commits),
        "commits": raw,
        "files": list(files.values()),
    }


def _routine(repository: str, base: str, head: str) -> list[_Commit]:
    pool = _ROUTINE[repository]
    digest = hashlib.sha256(f"{repository}:{base}...{head}".encode()).digest()
    count = 1 + digest[0] % 3
    first = digest[1] % len(pool)
    chosen = [pool[(first + i) % len(pool)] for i in range(count)]
    return sorted(chosen, key=lambda c: -c[3])  # oldest first


def _raw_commit(
    repository: str, base: str, head: str, index: int, commit: _Commit, now: datetime
) -> dict[str, Any]:
    message, login, name, hours_ago, _ = commit
    sha = hashlib.sha1(f"{repository}:{base}...{head}:{index}".encode()).hexdigest()  # noqa: S324
    when = (now - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    person = {"name": name, "email": f"{(login or name).split()[0].lower()}@users.noreply.github.com"}
    return {
        "sha": sha,
        "node_id": "C_kwDO" + sha[:16],
        "commit": {
            "author": {**person, "date": when},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "date": when},
            "message": message,
            "comment_count": 0,
        },
        "url": f"https://api.github.com/repos/{repository}/commits/{sha}",
        "html_url": f"https://github.com/{repository}/commit/{sha}",
        "author": {"login": login, "type": "Bot" if login and login.endswith("[bot]") else "User"}
        if login
        else None,
        "committer": {"login": "web-flow", "type": "User"},
        "parents": [],
    }
