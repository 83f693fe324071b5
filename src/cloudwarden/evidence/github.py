"""GitHub: the commits and files a suspect ECS deployment brought, from its two image tags.

A deployment's previous and new images (`...ecr.../storefront-api:v2.13.4` -> `:v2.14.0`) name
git refs in the repository the image is built from (a configured mapping); GitHub's compare
endpoint lists what lies between them. The token is read from the one Secrets Manager secret
configured for it, once per call, and lives only in local variables: never stored, registered
for log redaction before anything can log it, and never put in an error's text.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import Field, field_validator

from cloudwarden.aws import redact
from cloudwarden.aws.permissions import PermissionDeclaration, declare
from cloudwarden.evidence.model import Change, EvidenceGap, Frozen

SOURCE = "github"
SECRETS_MANAGER_ACTION = "secretsmanager:GetSecretValue"
COMPARE_ACTION = "github:compare"
# Built here, registered only by `declare_permissions()`: once registered, the generated read
# policy grants it, and it must be scoped to the one configured secret ARN, never Resource "*".
PERMISSIONS = PermissionDeclaration(
    owner="evidence.github",
    kind="read",
    actions=(SECRETS_MANAGER_ACTION,),
    purpose="Read the GitHub token from the one Secrets Manager secret configured for it, "
    "to list the commits a suspect deployment brought",
)
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_COMMITS = 50  # the newest ones; total_commits tells how many there were
MAX_FILES = 100
GITHUB_FILES_LIMIT = 300  # compare never returns more; a full page means the list is cut
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # files carry their patches: cap what we hold in memory
MAX_ERROR_BYTES = 64 * 1024

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
_DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_COMMIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_TOKEN = re.compile(r"^[\x21-\x7e]{8,1024}$")  # printable ASCII: nothing that could split a header
# Tags that move from build to build name no particular commit.
MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "prod", "production", "staging"})
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def declare_permissions() -> PermissionDeclaration:
    """Register the token read with the permission registry (call where the policy can scope it)."""
    return declare(PERMISSIONS.owner, PERMISSIONS.actions, purpose=PERMISSIONS.purpose, kind=PERMISSIONS.kind)


class GitHubConfig(Frozen):
    """Where the token is and which GitHub repository each image repository is built from."""

    token_secret_arn: str
    repositories: dict[str, str]  # image repository ("storefront-api") -> "owner/repo"
    api_url: str = DEFAULT_API_URL  # GitHub Enterprise: https://ghe.example.com/api/v3
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("token_secret_arn")
    @classmethod
    def _full_secret_arn(cls, value: str) -> str:
        # A full ARN lets the customer's policy grant exactly this secret and nothing else.
        if not _SECRET_ARN.match(value):
            raise ValueError("must be the full ARN of a Secrets Manager secret")
        return value

    @field_validator("repositories")
    @classmethod
    def _owner_slash_repo(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(repo for repo in value.values() if not _REPOSITORY.match(repo))
        if bad:
            raise ValueError(f"GitHub repositories must be owner/name: {bad}")
        return value

    @field_validator("api_url")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        # The token travels in a header: plain HTTP only to this machine (tests, local proxies).
        parts = urlsplit(value)
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
            return value.rstrip("/")
        raise ValueError("must be an https:// URL (http:// only on the loopback interface)")

    @property
    def secret_region(self) -> str:
        """Region to build the Secrets Manager client in: the secret's, not the session's."""
        return self.token_secret_arn.split(":")[3]

    def repository_for(self, image_repository: str) -> str | None:
        """The full repository path first, then its last segment ("team/api" then "api")."""
        return self.repositories.get(image_repository) or self.repositories.get(
            image_repository.rsplit("/", 1)[-1]
        )


class DeployCommit(Frozen):
    sha: str
    author: str  # GitHub login when the commit is linked to an account, else the git author name
    message: str  # first line only
    date: datetime | None
    html_url: str


class ChangedFile(Frozen):
    filename: str
    status: str  # added | removed | modified | renamed | copied | changed | unchanged
    additions: int
    deletions: int


class DeployCommits(Frozen):
    """What one deployment brought: GitHub's compare of the previous image's ref to the new one."""

    repository: str
    image_repository: str
    base: str
    head: str
    status: str  # ahead | behind (a rollback) | diverged | identical
    ahead_by: int
    behind_by: int
    total_commits: int
    commits: list[DeployCommit]  # newest first, at most MAX_COMMITS
    files: list[ChangedFile]  # at most MAX_FILES
    files_truncated: bool
    html_url: str


@dataclass(frozen=True)
class ImageRef:
    repository: str  # path without the registry host: "storefront-api", "team/api"
    tag: str | None  # None when untagged or pinned only by digest


@dataclass(frozen=True)
class ImageChange:
    repository: str
    previous_tag: str | None
    tag: str | None


class SecretFormatError(ValueError):
    """The secret holds no usable token. Its text never quotes the secret."""


class GitHubError(Exception):
    """A failed compare call; `message` is safe to show (no token, GitHub's text redacted)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def parse_image(image: str) -> ImageRef:
    name = image.partition("@")[0]  # a digest names bytes, not a commit
    tag = None
    if name.rfind(":") > name.rfind("/"):  # a colon before the last slash is a registry port
        name, _, tag = name.rpartition(":")
    host, slash, rest = name.partition("/")
    if slash and ("." in host or ":" in host or host == "localhost"):
        name = rest
    return ImageRef(repository=name, tag=tag or None)


def git_ref(tag: str | None) -> str | None:
    """The git ref an image tag names: a version tag as-is, or a 7-40 character commit SHA."""
    if not tag or not _DOCKER_TAG.match(tag) or ".." in tag or tag.lower() in MUTABLE_TAGS:
        return None
    return tag.lower() if _COMMIT_SHA.match(tag.lower()) else tag


def image_changes(change: Change) -> list[ImageChange]:
    """Images whose tag a deployment changed, paired by repository (container order may change)."""

    def refs(key: str) -> list[ImageRef]:
        return [parse_image(i) for i in change.parameters.get(key) or [] if isinstance(i, str)]

    previous = {ref.repository: ref for ref in refs("previous_images")}
    changed = []
    for ref in refs("images"):
        old = previous.get(ref.repository)
        if old is not None and old.tag != ref.tag:
            changed.append(ImageChange(ref.repository, old.tag, ref.tag))
    return changed


def _token_from_secret(secret_string: str | None) -> str:
    """The secret is the token itself, or JSON with a "token" key."""
    value = (secret_string or "").strip()
    if value.startswith("{"):
        try:
            document = json.loads(value)
        except json.JSONDecodeError:
            raise SecretFormatError("the secret looks like JSON but does not parse") from None
        found = document.get("token") if isinstance(document, dict) else None
        if not isinstance(found, str):
            raise SecretFormatError('the secret is JSON without a "token" string') from None
        value = found.strip()
    if not value:
        raise SecretFormatError("the secret has no SecretString (binary secrets are not supported)")
    if not _TOKEN.match(value):
        raise SecretFormatError("the secret does not hold a token (8-1024 printable characters)")
    return value


def _register_before_logging(response_dict: dict[str, Any], **_: Any) -> None:
    """botocore logs the raw response body at DEBUG before returning it: register the token first."""
    try:
        secret = json.loads(response_dict.get("body") or b"{}").get("SecretString")
    except (ValueError, AttributeError):
        return  # not a GetSecretValue answer: nothing secret in it
    if not isinstance(secret, str):
        return
    # The body is logged JSON-escaped, so a JSON secret's own text would not match: register its
    # values too, whether or not one of them is the token.
    with contextlib.suppress(ValueError):
        document = json.loads(secret)
        if isinstance(document, dict):
            redact.register(*(v for v in document.values() if isinstance(v, str)))
    redact.register(secret, secret.strip())


def read_token(client: Any, secret_arn: str) -> str:
    """GetSecretValue on exactly `secret_arn`; raises botocore errors or SecretFormatError."""
    event = f"before-parse.{client.meta.service_model.service_id.hyphenize()}.GetSecretValue"
    client.meta.events.register(event, _register_before_logging, unique_id="cloudwarden-github-token")
    response = client.get_secret_value(SecretId=secret_arn)
    token = _token_from_secret(response.get("SecretString"))
    redact.register(token)
    return token


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


def _gap(action: str, code: str, message: str) -> EvidenceGap:
    return EvidenceGap(source=SOURCE, action=action, code=code, message=redact.redact(message)[:300])


def deploy_commits(
    change: Change, *, config: GitHubConfig, secrets_client: Any
) -> DeployCommits | EvidenceGap:
    """The commits an ECS deployment brought, or a gap that says why they cannot be shown.

    Of the images whose tag changed, the first one whose repository is mapped is compared.
    `secrets_client` is a Secrets Manager client of the customer's session in the secret's region
    (`config.secret_region`); it is called only when there is something to compare.
    """
    changed = image_changes(change)
    if not changed:
        return _gap(
            COMPARE_ACTION, "NoImageChange", "the deployment changed no image tag: no commits to compare"
        )
    target = next(((c, repo) for c in changed if (repo := config.repository_for(c.repository))), None)
    if target is None:
        names = ", ".join(sorted({c.repository for c in changed}))
        return _gap(
            COMPARE_ACTION,
            "NotConfigured",
            f"no GitHub repository is configured for image repository {names}",
        )
    image, repository = target
    base, head = git_ref(image.previous_tag), git_ref(image.tag)
    if base is None or head is None:
        return _gap(
            COMPARE_ACTION,
            "UnresolvableTag",
            f"{image.repository} went from tag {image.previous_tag!r} to {image.tag!r}; only version tags "
            "and 7-40 character commit SHAs name a commit",
        )
    try:
        token = read_token(secrets_client, config.token_secret_arn)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return _gap(SECRETS_MANAGER_ACTION, str(error.get("Code", "Error")), str(error.get("Message", "")))
    except BotoCoreError as exc:
        return _gap(SECRETS_MANAGER_ACTION, type(exc).__name__, str(exc))
    except SecretFormatError as exc:
        return _gap(SECRETS_MANAGER_ACTION, "UnusableSecret", str(exc))
    try:
        raw = fetch_compare(config, repository=repository, base=base, head=head, token=token)
        return transform(raw, repository=repository, image_repository=image.repository, base=base, head=head)
    except GitHubError as exc:
        return _gap(COMPARE_ACTION, exc.code, exc.message)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
        return _gap(COMPARE_ACTION, "BadResponse", f"unexpected comparison format ({type(exc).__name__})")
