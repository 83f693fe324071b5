"""GitHub: the commits and files a suspect ECS deployment brought, from its two image tags.

A deployment's previous and new images (`...ecr.../storefront-api:v2.13.4` -> `:v2.14.0`) name
git refs in the repository the image is built from (a configured mapping); GitHub's compare
endpoint (`github_api`) lists what lies between them. The token is read from the one Secrets
Manager secret configured for it, through the customer's role, at most once per investigation,
and lives only in local variables: never stored, registered for log redaction before anything
can log it, and never put in an error's text.

GitHub is opt-in: its permission is an optional declaration, granted by the onboarding template
only when the customer names the secret, and only on that secret.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.aws import redact
from cloudwarden.aws.permissions import OptIn, declare
from cloudwarden.evidence.github_api import (
    DEFAULT_API_URL,
    MAX_COMMITS,
    MAX_FILES,
    SECRET_ARN_PATTERN,
    GitHubConfig,
    GitHubError,
    fetch_compare,
    transform,
)
from cloudwarden.evidence.model import (
    Change,
    ChangedFile,
    DeployCommit,
    DeployCommits,
    EvidenceBundle,
    EvidenceGap,
)

if TYPE_CHECKING:
    from cloudwarden.evidence.context import CollectContext

__all__ = [
    "DEFAULT_API_URL",
    "MAX_COMMITS",
    "MAX_FILES",
    "PERMISSIONS",
    "ChangedFile",
    "DeployCommit",
    "DeployCommits",
    "GitHubConfig",
    "GitHubError",
    "ImageChange",
    "ImageRef",
    "collect",
    "deploy_commits",
    "fetch_compare",
    "git_ref",
    "image_changes",
    "parse_image",
    "read_token",
    "suspect_deployments",
    "transform",
]

SOURCE = "github"
SECRETS_MANAGER_ACTION = "secretsmanager:GetSecretValue"
COMPARE_ACTION = "github:compare"
TOKEN_OPT_IN = OptIn(
    parameter="GitHubTokenSecretArn",
    variable="github_token_secret_arn",
    description="Optional: full ARN of the Secrets Manager secret holding a read-only GitHub token. "
    "When set, CloudWarden may read that one secret (and nothing else) to list the commits a "
    "suspect deployment brought. Empty: no GitHub access.",
    arn_pattern=SECRET_ARN_PATTERN,
    kms_key_parameter="GitHubTokenKmsKeyArn",
    kms_key_variable="github_token_kms_key_arn",
    kms_via_service="secretsmanager",
)
# Optional: the template grants it only when the customer names the secret, on that ARN only.
PERMISSIONS = declare(
    "evidence.github",
    (SECRETS_MANAGER_ACTION,),
    purpose="Read the GitHub token from the one Secrets Manager secret configured for it, "
    "to list the commits a suspect deployment brought",
    opt_in=TOKEN_OPT_IN,
)
# Deployments compared: those from an hour before the alarm to the window's end, newest first.
SUSPECT_BEFORE_ALARM = timedelta(hours=1)
MAX_DEPLOYMENTS = 2

_DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_COMMIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_TOKEN = re.compile(r"^[\x21-\x7e]{8,1024}$")  # printable ASCII: nothing that could split a header
# Tags that move from build to build name no particular commit.
MUTABLE_TAGS = frozenset({"latest", "stable", "main", "master", "prod", "production", "staging"})


@dataclass(frozen=True)
class ImageRef:
    repository: str  # path without the registry host: "storefront-api", "team/api"
    tag: str | None  # None when untagged or pinned only by digest


@dataclass(frozen=True)
class ImageChange:
    repository: str
    previous_tag: str | None
    tag: str | None


@dataclass(frozen=True)
class CompareTarget:
    """What to ask GitHub for one deployment: repository and the two refs."""

    image: ImageChange
    repository: str
    base: str
    head: str


class SecretFormatError(ValueError):
    """The secret holds no usable token. Its text never quotes the secret."""


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


def _gap(action: str, code: str, message: str) -> EvidenceGap:
    return EvidenceGap(source=SOURCE, action=action, code=code, message=redact.redact(message)[:300])


def compare_target(change: Change, config: GitHubConfig) -> CompareTarget | EvidenceGap:
    """Of the images whose tag changed, the first whose repository is mapped; no AWS or GitHub call."""
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
    return CompareTarget(image=image, repository=repository, base=base, head=head)


def token_or_gap(secrets_client: Any, config: GitHubConfig) -> str | EvidenceGap:
    """The token from the configured secret, or a gap naming secretsmanager:GetSecretValue."""
    try:
        return read_token(secrets_client, config.token_secret_arn)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return _gap(SECRETS_MANAGER_ACTION, str(error.get("Code", "Error")), str(error.get("Message", "")))
    except BotoCoreError as exc:
        return _gap(SECRETS_MANAGER_ACTION, type(exc).__name__, str(exc))
    except SecretFormatError as exc:
        return _gap(SECRETS_MANAGER_ACTION, "UnusableSecret", str(exc))


def compare(config: GitHubConfig, target: CompareTarget, token: str) -> DeployCommits | EvidenceGap:
    """GitHub's comparison of the target's two refs, or a gap that says why it is missing."""
    base, head = target.base, target.head
    try:
        raw = fetch_compare(config, repository=target.repository, base=base, head=head, token=token)
        return transform(
            raw, repository=target.repository, image_repository=target.image.repository, base=base, head=head
        )
    except GitHubError as exc:
        return _gap(COMPARE_ACTION, exc.code, exc.message)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
        return _gap(COMPARE_ACTION, "BadResponse", f"unexpected comparison format ({type(exc).__name__})")


def deploy_commits(
    change: Change, *, config: GitHubConfig, secrets_client: Any
) -> DeployCommits | EvidenceGap:
    """The commits an ECS deployment brought, or a gap that says why they cannot be shown.

    Of the images whose tag changed, the first one whose repository is mapped is compared.
    `secrets_client` is a Secrets Manager client of the customer's session in the secret's region
    (`config.secret_region`); it is called only when there is something to compare.
    """
    target = compare_target(change, config)
    if isinstance(target, EvidenceGap):
        return target
    token = token_or_gap(secrets_client, config)
    if isinstance(token, EvidenceGap):
        return token
    return compare(config, target, token)


def suspect_deployments(bundle: EvidenceBundle) -> list[Change]:
    """ECS deployments that brought a new image from an hour before the alarm on, newest first."""
    start = bundle.alarm.state_changed_at - SUSPECT_BEFORE_ALARM
    found = [
        c
        for c in bundle.changes
        if c.source == "ecs-deployment" and start <= c.time <= bundle.window_end and image_changes(c)
    ]
    return sorted(found, key=lambda c: c.time, reverse=True)[:MAX_DEPLOYMENTS]


def collect(ctx: CollectContext, bundle: EvidenceBundle, config: GitHubConfig | None) -> None:
    """Compare each suspect deployment on GitHub: results to `bundle.deploy_commits`, gaps to both lists.

    Not configured: nothing at all (no AWS call, no gap; GitHub is opt-in). The token is read at
    most once, through the customer's role in the secret's region, and only when a deployment
    has something to compare; it is dropped when this function returns.
    """
    if config is None:
        return
    token: str | None = None
    token_gap: EvidenceGap | None = None

    def gap(found: EvidenceGap) -> None:
        ctx.gaps.append(found)
        bundle.gaps.append(found)  # collect() copies ctx.gaps over bundle.gaps afterwards; either way once

    for change in suspect_deployments(bundle):
        target = compare_target(change, config)
        if isinstance(target, EvidenceGap):
            gap(target)
            continue
        if token is None and token_gap is None:
            read = token_or_gap(ctx.client("secretsmanager", region=config.secret_region), config)
            if isinstance(read, EvidenceGap):
                token_gap = read
                gap(read)
            else:
                token = read
        if token is None:
            continue  # the token could not be read: reported once above
        result = compare(config, target, token)
        if isinstance(result, EvidenceGap):
            gap(result)
            continue
        bundle.deploy_commits.append(
            result.model_copy(
                update={
                    "resource": (change.resources or [""])[0],
                    "deployment": change.event_id or str(change.parameters.get("deployment", "")),
                    "deployed_at": change.time,
                }
            )
        )
