"""A KMS key can no longer be used: it was disabled or scheduled for deletion, and every call
that encrypts or decrypts with it fails (DisabledException, KMSInvalidStateException)."""

from __future__ import annotations

import re

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, change_finding, log_finding
from cloudwarden.diagnosis.signals import LogTemplate
from cloudwarden.diagnosis.spec import FaultSpec, Sign

CHANGES = ("DisableKey", "ScheduleKeyDeletion")
# A change that makes the key unusable, corroborated by the failures naming it, is the cause itself.
KEY_CHANGE_WEIGHT = 3.0
# How KMS refuses a call because of the key's state (not its policy, not the caller's role).
UNUSABLE = re.compile(
    r"DisabledException|KMSInvalidStateException|KeyUnavailableException|is pending deletion"
    r"|\bis disabled\b|pending[ _]deletion|key (?:is )?(?:not enabled|disabled)",
    re.IGNORECASE,
)


def _failing(ctx: Context, key: str) -> list[LogTemplate]:
    """Error templates, new since the onset, in which a caller names the key and its state."""
    recent = max((ctx.bundle.window_end - ctx.onset).total_seconds() / 60, 1)
    baseline = max((ctx.onset - ctx.bundle.window_start).total_seconds() / 60, 1)
    return [
        t
        for t in ctx.templates
        if key in t.mentions
        and t.is_error
        and t.recent_count >= 3
        and t.surge(baseline, recent) >= 4
        and UNUSABLE.search(t.example)
    ]


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = ctx.suspect_changes(key, CHANGES)
    failing = _failing(ctx, key)
    support = [log_finding(t, 3.0 if i == 0 else 0.3, key) for i, t in enumerate(failing[:2])]
    if changes:
        # Disabled with nothing failing after it is context (an unused key retired), not a cause.
        return change_finding(key, changes[0], support, weight=KEY_CHANGE_WEIGHT)
    return support


SPEC = FaultSpec(
    name="key_unusable",
    label="an unusable KMS key",
    kinds=("kms_key",),
    requires=(
        Sign(
            "logs",
            "calls naming the key fail because of its state (DisabledException, KMSInvalidStateException)",
        ),
        Sign(
            "cloudtrail", "the key was disabled or scheduled for deletion (DisableKey, ScheduleKeyDeletion)"
        ),
    ),
    supports=(Sign("cloudtrail", "who disabled the key or scheduled its deletion, and when"),),
    claims=r"\bkey[\s_-]+unusable\b|\bunusable\s+(?:kms\s+)?key\b"
    r"|\b(?:kms\s+)?key\s+(?:was\s+|is\s+)?(?:disabled|pending\s+deletion|scheduled\s+for\s+deletion)\b"
    r"|\b(?:disabled|pending[\s_-]deletion)\s+(?:kms\s+)?key\b",
    next_steps=(
        "Re-enable the key (EnableKey), or cancel its scheduled deletion (CancelKeyDeletion) and "
        "then re-enable it: a key pending deletion is disabled until then.",
        "Check who disabled it or scheduled its deletion (the CloudTrail event is in the evidence) "
        "and which data it still protects before retiring it again.",
    ),
    rule=rule,
    changes=CHANGES,
)
