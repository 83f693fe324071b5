"""GitHub's REST compare endpoint: where to reach it, the request, its errors, its answer as data.

Nothing here touches AWS: `cloudwarden.evidence.github` reads the token from Secrets Manager and
hands it to `fetch_compare` as an argument. A failure is a `GitHubError` whose message is safe
to show (no token; GitHub's own text passed through the log redaction).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from cloudwarden.aws import redact
from cloudwarden.evidence.model import ChangedFile, DeployCommit, DeployCommits
from cloudwarden.github_settings import DEFAULT_API_URL, SECRET_ARN_PATTERN, GitHubConfig

__all__ = ["DEFAULT_API_URL", "SECRET_ARN_PATTERN", "GitHubConfig", "GitHubError"]

API_VERSION = "2022-11-28"
MAX_COMMITS = 50  # the newest ones; total_commits tells how many there were
MAX_FILES = 100
GITHUB_FILES_LIMIT = 300  # compare never returns more; a full page means the list is cut
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # files carry their patches: cap what we hold in memory
MAX_ERROR_BYTES = 64 * 1024


class GitHubError(Exception):
    """A failed compare call; `message` is safe to show (no token, GitHub's text redacted)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _read_capped(response: httpx.Response, limit: int, deadline: float) -> bytes:
    # httpx's timeout bounds each read, not the whole body: a trickling server must not hang us.
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise GitHubError("TooLarge", f"the comparison is larger than {limit // (1024 * 1024)} MB")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("response body too slow")
    return bytes(body)


def _github_message(body: bytes) -> str:
    try:
        message = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        message = ""
    return redact.redact(str(message))[:200]


def _rate_limit_message(headers: httpx.Headers) -> str | None:
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        reset = datetime.fromtimestamp(int(headers["x-ratelimit-reset"]), UTC)
        minutes = max(0, round((reset - datetime.now(UTC)).total_seconds() / 60))
        return (
            f"GitHub API rate limit exhausted for this token; it resets at "
            f"{reset:%Y-%m-%d %H:%M:%S} UTC (in {minutes} min)"
        )
    if headers.get("retry-after", "").isdigit():  # secondary (abuse) limit
        return f"GitHub secondary rate limit hit; retry after {headers['retry-after']} s"
    return None


def _http_error(response: httpx.Response, body: bytes, repository: str, base: str, head: str) -> GitHubError:
    status, said = response.status_code, _github_message(body)
    detail = f"{status}: {said}" if said else str(status)
    if status in (403, 429) and (limited := _rate_limit_message(response.headers)):
        return GitHubError("RateLimited", limited)
    if status == 401:
        return GitHubError(
            "Unauthorized",
            f"GitHub rejected the token ({detail}); put a valid token in the configured secret",
        )
    if status == 403:
        return GitHubError(
            "Forbidden",
            f"the token may not read {repository} ({detail}); it needs read access to its contents",
        )
    if status == 404:
        return GitHubError(
            "NotFound",
            f"GitHub shows no {repository} with refs {base} and {head} to this token ({detail}); "
            "check the repository mapping and that both tags were pushed",
        )
    if status >= 500:
        return GitHubError(
            "ServerError", f"GitHub answered {detail} comparing {base}...{head}; try again later"
        )
    return GitHubError(f"Http{status}", f"GitHub answered {detail} comparing {base}...{head}")


def fetch_compare(
    config: GitHubConfig, *, repository: str, base: str, head: str, token: str
) -> dict[str, Any]:
    """GET /repos/{repository}/compare/{base}...{head}; raises GitHubError with a readable message."""
    url = f"{config.api_url}/repos/{repository}/compare/{quote(base, safe='')}...{quote(head, safe='')}"
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "Authorization": f"Bearer {token}",
        "User-Agent": "cloudwarden",
    }
    host = urlsplit(config.api_url).netloc
    deadline = time.monotonic() + config.timeout_seconds
    try:
        # A renamed repository answers 301; httpx drops Authorization on cross-origin redirects.
        with (
            httpx.Client(timeout=config.timeout_seconds, follow_redirects=True, max_redirects=3) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                error_body = _read_capped(response, MAX_ERROR_BYTES, deadline)
                raise _http_error(response, error_body, repository, base, head)
            body = _read_capped(response, MAX_RESPONSE_BYTES, deadline)
    except httpx.TimeoutException:
        raise GitHubError("Timeout", f"{host} did not answer within {config.timeout_seconds:g} s") from None
    except httpx.HTTPError as exc:  # connection refused, DNS, TLS, too many redirects
        raise GitHubError("NetworkError", f"cannot reach {host}: {type(exc).__name__}") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise GitHubError("BadResponse", f"{host} answered with something other than JSON") from None
    if not isinstance(document, dict):
        raise GitHubError("BadResponse", f"{host} answered with JSON that is not a comparison")
    return document


def _commit(raw: dict[str, Any]) -> DeployCommit:
    commit = raw["commit"]
    git_author = commit.get("author") or {}
    committer = commit.get("committer") or {}
    lines = (commit.get("message") or "").splitlines()
    return DeployCommit(
        sha=raw["sha"],
        author=(raw.get("author") or {}).get("login") or git_author.get("name") or "unknown",
        message=lines[0][:200] if lines else "",
        # The committer date is when it landed on the branch (a merge, a rebase), not when written.
        date=committer.get("date") or git_author.get("date"),
        html_url=raw.get("html_url", ""),
    )


def transform(
    raw: dict[str, Any], *, repository: str, image_repository: str, base: str, head: str
) -> DeployCommits:
    commits: list[dict[str, Any]] = raw.get("commits") or []
    files: list[dict[str, Any]] = raw.get("files") or []
    return DeployCommits(
        repository=repository,
        image_repository=image_repository,
        base=base,
        head=head,
        status=raw["status"],
        ahead_by=raw["ahead_by"],
        behind_by=raw.get("behind_by", 0),
        total_commits=raw.get("total_commits", len(commits)),
        commits=[_commit(c) for c in reversed(commits[-MAX_COMMITS:])],  # GitHub lists oldest first
        files=[
            ChangedFile(
                filename=f["filename"],
                status=f.get("status", "modified"),
                additions=f.get("additions", 0),
                deletions=f.get("deletions", 0),
            )
            for f in files[:MAX_FILES]
        ],
        files_truncated=len(files) > MAX_FILES or len(files) >= GITHUB_FILES_LIMIT,
        html_url=raw.get("html_url", ""),
    )
