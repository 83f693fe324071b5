"""The commits a suspect deploy brought, from a local server speaking GitHub's compare API.

The token sits in the simulated account's Secrets Manager; every test checks it never leaks into
logs (DEBUG, redaction filter installed), the returned model or a gap's text.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError

from cloudwarden.aws import redact
from cloudwarden.evidence import github
from cloudwarden.evidence.model import Change, EvidenceGap
from cloudwarden.simulator.client import SimulatorClient

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
REPOSITORY = "acme/storefront"


@dataclass
class FakeGitHub:
    """What the server answers (`mode`) and what it was asked."""

    token: str
    mode: str = "ok"
    commits: int = 3
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # ends a "slow" answer


def _commit(n: int, base_time: datetime) -> dict[str, Any]:
    sha = f"{n:07x}".ljust(40, "a")
    when = (base_time + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    person = {"name": f"Dev {n}", "email": f"dev{n}@example.com", "date": when}
    return {
        "sha": sha,
        "node_id": "C_kwDO" + sha[:10],
        "commit": {
            "author": person,
            "committer": person,
            "message": f"Change {n}: tune the checkout pool\n\nLonger body that is not shown.",
            "tree": {"sha": "f" * 40, "url": "https://api.github.com/repos/acme/storefront/git/trees/x"},
            "comment_count": 0,
        },
        "url": f"https://api.github.com/repos/{REPOSITORY}/commits/{sha}",
        "html_url": f"https://github.com/{REPOSITORY}/commit/{sha}",
        # GitHub sets "author" to null when the commit's e-mail matches no account.
        "author": {"login": f"dev{n}", "id": n, "type": "User"} if n % 2 else None,
        "committer": {"login": "web-flow", "id": 19864447, "type": "User"},
        "parents": [{"sha": "e" * 40}],
    }


def _comparison(base: str, head: str, commits: int) -> dict[str, Any]:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    files = [
        {
            "sha": "1" * 40,
            "filename": "api/checkout.py",
            "status": "modified",
            "additions": 12,
            "deletions": 3,
        },
        {"sha": "2" * 40, "filename": "api/pool.py", "status": "added", "additions": 40, "deletions": 0},
        {"sha": "3" * 40, "filename": "api/legacy.py", "status": "removed", "additions": 0, "deletions": 88},
    ]
    for f in files:
        f["changes"] = f["additions"] + f["deletions"]
        f["patch"] = "@@ -1,3 +1,4 @@\n-import old\n+import new"
    return {
        "url": f"https://api.github.com/repos/{REPOSITORY}/compare/{base}...{head}",
        "html_url": f"https://github.com/{REPOSITORY}/compare/{base}...{head}",
        "permalink_url": f"https://github.com/{REPOSITORY}/compare/acme:1111111...acme:2222222",
        "base_commit": _commit(0, start),
        "merge_base_commit": _commit(0, start),
        "status": "ahead",
        "ahead_by": commits,
        "behind_by": 0,
        "total_commits": commits,
        "commits": [_commit(n, start) for n in range(1, commits + 1)],  # oldest first, as GitHub
        "files": files,
    }


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: dict[str, Any], **headers: str) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            state.requests.append({"path": self.path, "headers": dict(self.headers)})
            docs = {"documentation_url": "https://docs.github.com/rest"}
            if self.headers.get("Authorization") != f"Bearer {state.token}" or state.mode == "401":
                return self._send(401, {"message": "Bad credentials", **docs})
            if state.mode == "slow":  # hang past the client's time-out, then leave without answering
                state.release.wait(5)
                return None
            if state.mode == "403-rate":
                reset = str(int(time.time()) + 600)
                return self._send(
                    403,
                    {"message": "API rate limit exceeded for user ID 1.", **docs},
                    x_ratelimit_limit="5000",
                    x_ratelimit_remaining="0",
                    x_ratelimit_reset=reset,
                )
            if state.mode == "500":
                return self._send(502, {"message": "Server Error"})
            prefix = f"/repos/{REPOSITORY}/compare/"
            if not self.path.startswith(prefix) or state.mode == "404":
                return self._send(404, {"message": "Not Found", **docs})
            base, _, head = self.path.removeprefix(prefix).partition("...")
            return self._send(200, _comparison(base, head, state.commits))

    return Handler


@pytest.fixture
def fake_github() -> Iterator[tuple[FakeGitHub, str]]:
    state = FakeGitHub(token="ghp_" + secrets.token_hex(18))  # fresh, so redaction is earned each test
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_arn(sim: SimulatorClient, fake_github: tuple[FakeGitHub, str]) -> str:
    response = sim.client("secretsmanager").create_secret(
        Name="cloudwarden/github", SecretString=fake_github[0].token
    )
    return str(response["ARN"])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything at DEBUG, through the redaction filter, as CloudWarden's handlers are."""
    redact.install(caplog.handler)
    caplog.set_level(logging.DEBUG)
    return caplog


def _secrets_client(sim: SimulatorClient, calls: list[tuple[str, Any]]) -> Any:
    """The customer-account client; records which secret each call named."""
    client = sim.client("secretsmanager")
    client.meta.events.register(
        "before-parameter-build.secrets-manager.*",
        lambda model, params, **_: calls.append((model.name, params.get("SecretId"))),
    )
    return client


def _deploy(previous: str = "v2.13.4", new: str = "v2.14.0", repo: str = "storefront-api") -> Change:
    sidecar = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0"
    return Change(
        source="ecs-deployment",
        time=datetime.now(UTC),
        name="Deployment",
        actor="ecs",
        resources=["arn:aws:ecs:us-east-1:123456789012:service/prod/api"],
        parameters={
            "images": [sidecar, f"{REGISTRY}/{repo}:{new}"],  # reordered: pairs go by repository
            "previous_images": [f"{REGISTRY}/{repo}:{previous}", sidecar],
        },
    )


def _config(url: str, arn: str, **overrides: Any) -> github.GitHubConfig:
    values: dict[str, Any] = {
        "token_secret_arn": arn,
        "repositories": {"storefront-api": REPOSITORY},
        "api_url": url,
        "timeout_seconds": 5.0,  # a loaded test machine must not turn a fake GitHub into a timeout
    }
    return github.GitHubConfig(**{**values, **overrides})


def test_commits_and_files_of_a_deploy_without_leaking_the_token(
    sim: SimulatorClient,
    fake_github: tuple[FakeGitHub, str],
    secret_arn: str,
    logs: pytest.LogCaptureFixture,
) -> None:
    state, url = fake_github
    calls: list[tuple[str, Any]] = []
    result = github.deploy_commits(
        _deploy(), config=_config(url, secret_arn), secrets_client=_secrets_client(sim, calls)
    )

    assert isinstance(result, github.DeployCommits), result
    assert (result.repository, result.base, result.head) == (REPOSITORY, "v2.13.4", "v2.14.0")
    assert (result.status, result.ahead_by, result.total_commits) == ("ahead", 3, 3)
    newest = result.commits[0]
    assert [c.message for c in result.commits] == [f"Change {n}: tune the checkout pool" for n in (3, 2, 1)]
    assert (newest.author, result.commits[1].author) == ("dev3", "Dev 2")  # login, else git name
    assert newest.date == datetime(2026, 3, 1, 9, 3, tzinfo=UTC)
    assert newest.html_url == f"https://github.com/{REPOSITORY}/commit/{newest.sha}"
    assert [(f.filename, f.status, f.additions, f.deletions) for f in result.files] == [
        ("api/checkout.py", "modified", 12, 3),
        ("api/pool.py", "added", 40, 0),
        ("api/legacy.py", "removed", 0, 88),
    ]
    assert result.html_url == f"https://github.com/{REPOSITORY}/compare/v2.13.4...v2.14.0"
    # GitHub saw exactly the documented request; AWS saw one read of exactly the configured secret.
    [request] = state.requests
    assert request["path"] == f"/repos/{REPOSITORY}/compare/v2.13.4...v2.14.0"
    assert request["headers"]["Accept"] == "application/vnd.github+json"
    assert request["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    assert calls == [("GetSecretValue", secret_arn)]
    assert github.PERMISSIONS.owner == "evidence.github"
    assert github.PERMISSIONS.actions == tuple(f"secretsmanager:{name}" for name, _ in calls)
    # botocore logged the GetSecretValue response body at DEBUG, and the filter caught the token.
    assert "Response body" in logs.text and redact.REPLACEMENT in logs.text
    assert state.token not in logs.text
    assert state.token not in result.model_dump_json()


FAILURES = [
    (
        "404",
        "NotFound",
        "GitHub shows no acme/storefront with refs v2.13.4 and v2.14.0 to this token (404: Not Found)",
    ),
    ("401", "Unauthorized", "GitHub rejected the token (401: Bad credentials)"),
    ("403-rate", "RateLimited", "GitHub API rate limit exhausted for this token; it resets at"),
    ("500", "ServerError", "GitHub answered 502: Server Error"),
    ("slow", "Timeout", "127.0.0.1:"),
    ("unreachable", "NetworkError", "cannot reach 127.0.0.1:"),
]


def test_each_github_failure_is_a_readable_gap(
    sim: SimulatorClient,
    fake_github: tuple[FakeGitHub, str],
    secret_arn: str,
    logs: pytest.LogCaptureFixture,
) -> None:
    state, url = fake_github
    client = sim.client("secretsmanager")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    for mode, code, says in FAILURES:
        state.mode = mode
        started = time.monotonic()
        config = _config(closed if mode == "unreachable" else url, secret_arn, timeout_seconds=0.5)
        gap = github.deploy_commits(_deploy(), config=config, secrets_client=client)
        assert isinstance(gap, EvidenceGap), mode
        assert (gap.source, gap.action, gap.code) == ("github", "github:compare", code), mode
        assert says in gap.message, gap.message
        assert state.token not in gap.describe()
        assert time.monotonic() - started < 3, mode  # bounded (0.5 s), though GitHub hangs for 5 s
        if mode == "403-rate":
            said = re.search(r"resets at (.+) UTC \(in 10 min\)$", gap.message)
            assert said, gap.message
            reset = datetime.strptime(said[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            assert abs(reset - (datetime.now(UTC) + timedelta(minutes=10))) < timedelta(seconds=5)
        if mode == "slow":
            assert gap.message.endswith("did not answer within 0.5 s")
    assert state.token not in logs.text


def test_secret_formats_and_a_missing_secret(
    sim: SimulatorClient, fake_github: tuple[FakeGitHub, str], logs: pytest.LogCaptureFixture
) -> None:
    state, url = fake_github
    client = sim.client("secretsmanager")
    as_json = client.create_secret(Name="gh/json", SecretString=json.dumps({"token": state.token}))["ARN"]
    wrong = json.dumps({"password": "hunter2-but-longer"})
    bad = client.create_secret(Name="gh/bad", SecretString=wrong)["ARN"]
    logs.clear()  # the test's own CreateSecret requests were logged with the values; not ours
    result = github.deploy_commits(_deploy(), config=_config(url, as_json), secrets_client=client)
    assert isinstance(result, github.DeployCommits)
    assert state.token not in logs.text

    gap = github.deploy_commits(_deploy(), config=_config(url, bad), secrets_client=client)
    assert isinstance(gap, EvidenceGap) and gap.code == "UnusableSecret"
    assert "hunter2" not in gap.message and "hunter2" not in logs.text

    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cloudwarden/nothing-AbCdEf"
    gap = github.deploy_commits(_deploy(), config=_config(url, missing), secrets_client=client)
    assert isinstance(gap, EvidenceGap)
    assert gap.describe().startswith(
        "evidence unavailable: secretsmanager:GetSecretValue resourcenotfoundexception"
    )


def test_unmapped_image_repository_is_not_configured_and_reads_no_secret(
    fake_github: tuple[FakeGitHub, str],
) -> None:
    state, url = fake_github
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gh-AbCdEf"
    # secrets_client=None: reading the secret would raise, so a gap here proves nothing was read.
    gap = github.deploy_commits(_deploy(repo="billing-worker"), config=_config(url, arn), secrets_client=None)
    assert isinstance(gap, EvidenceGap)
    assert (gap.code, gap.message) == (
        "NotConfigured",
        "no GitHub repository is configured for image repository billing-worker",
    )
    assert state.requests == []
    for previous, new, code in [
        ("v2.13.4", "latest", "UnresolvableTag"),
        ("v2.14.0", "v2.14.0", "NoImageChange"),
    ]:
        other = github.deploy_commits(_deploy(previous, new), config=_config(url, arn), secrets_client=None)
        assert isinstance(other, EvidenceGap) and other.code == code


def test_commit_sha_tags_and_long_comparisons_keep_the_newest_commits(
    sim: SimulatorClient, fake_github: tuple[FakeGitHub, str], secret_arn: str
) -> None:
    state, url = fake_github
    state.commits = github.MAX_COMMITS + 10
    config = _config(url, secret_arn)
    client = sim.client("secretsmanager")
    result = github.deploy_commits(_deploy("1a2b3c4", "9F8E7D6C5B4A"), config=config, secrets_client=client)
    assert isinstance(result, github.DeployCommits)
    assert state.requests[-1]["path"] == f"/repos/{REPOSITORY}/compare/1a2b3c4...9f8e7d6c5b4a"
    assert (result.base, result.head) == ("1a2b3c4", "9f8e7d6c5b4a")
    assert result.total_commits == github.MAX_COMMITS + 10 and len(result.commits) == github.MAX_COMMITS
    assert result.commits[0].message.startswith(f"Change {github.MAX_COMMITS + 10}:")


@pytest.mark.parametrize(
    ("image", "repository", "tag"),
    [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/storefront-api:v2.14.0", "storefront-api", "v2.14.0"),
        ("localhost:5000/team/api:1a2b3c4d", "team/api", "1a2b3c4d"),
        ("ghcr.io/acme/api@sha256:" + "0" * 64, "acme/api", None),
        ("nginx", "nginx", None),
        ("library/nginx:1.27", "library/nginx", "1.27"),
    ],
)
def test_image_references_parse(image: str, repository: str, tag: str | None) -> None:
    assert github.parse_image(image) == github.ImageRef(repository, tag)


@pytest.mark.parametrize(
    ("tag", "ref"),
    [
        ("v2.14.0", "v2.14.0"),
        ("release-2026.03", "release-2026.03"),
        ("1A2B3C4", "1a2b3c4"),
        ("0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"),
        ("latest", None),
        ("v1..2", None),
        (None, None),
    ],
)
def test_tags_resolve_to_git_refs(tag: str | None, ref: str | None) -> None:
    assert github.git_ref(tag) == ref


def test_configuration_refuses_plain_http_and_partial_secret_arns() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gh-AbCdEf"
    assert _config("https://ghe.example.com/api/v3/", arn).api_url == "https://ghe.example.com/api/v3"
    assert _config("https://api.github.com", arn).secret_region == "eu-west-1"
    with pytest.raises(ValidationError, match="https"):
        _config("http://ghe.example.com/api/v3", arn)
    with pytest.raises(ValidationError, match="full ARN"):
        _config("https://api.github.com", "cloudwarden/github")
    with pytest.raises(ValidationError, match="owner/name"):
        _config("https://api.github.com", arn, repositories={"api": "storefront"})
