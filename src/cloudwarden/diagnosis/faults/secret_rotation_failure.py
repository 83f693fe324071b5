"""A secret changed (rotation) and the services that read it fail to authenticate."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, changes_found, log_finding
from cloudwarden.diagnosis.spec import FaultSpec, Sign

CHANGES = (
    "RotateSecret",
    "PutSecretValue",
    "UpdateSecretVersionStage",
    "UpdateSecret",
    "RotationStarted",
    "RotationSucceeded",
    "RotationFailed",
    "RotationAbandoned",
)


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = changes_found(ctx, key, CHANGES, 3.0)
    readers = [e.source for e in ctx.graph.edges if e.target == key and e.relation == "secret-reference"]
    groups = set().union(*(ctx.groups_of(r) for r in readers))
    failures = ctx.surging("auth_failed")
    by_readers = [t for t in failures if t.group in groups]
    if not changes and not by_readers:
        return []
    findings = changes + [log_finding(t, 2.5 if i == 0 else 0.2, key) for i, t in enumerate(by_readers[:2])]
    elsewhere = [t for t in failures if t.group not in groups]
    return findings + [log_finding(t, 0.5, key) for t in elsewhere[:1]]


SPEC = FaultSpec(
    name="secret_rotation_failure",
    label="a failed secret rotation",
    kinds=("secret",),
    requires=(
        Sign("cloudtrail", "the secret's value was rotated or its version stages moved"),
        Sign("logs", "authentication failures in the logs of the services that read it"),
    ),
    supports=(Sign("logs", "authentication failures elsewhere"),),
    claims=r"\b(?:secret|password|credential)s?[\s_-]+rotation\w*"
    r"|\brotat\w+\s+(?:the\s+|a\s+|its\s+)?(?:secret|password|credential)s?\b",
    next_steps=(
        "Check the rotation function's logs for the step that failed (createSecret, setSecret, testSecret).",
        "Set the database password to the secret's AWSCURRENT value, or move AWSCURRENT back to the "
        "previous version (UpdateSecretVersionStage) so clients get a password the database accepts.",
    ),
    rule=rule,
    changes=CHANGES,
)
