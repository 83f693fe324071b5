"""GitHub evidence in the report: what a suspect deployment brought, under its bad_deploy hypothesis.

The engine does not score it: like security findings it is context (weight 0) beside the cause,
added after ranking, so a diagnosis ranks the same with or without GitHub configured. Under each
bad_deploy hypothesis whose deployment was compared: one line with the repository, base..head,
the commit and file counts, then the newest commits (sha, author, first line).

Commit messages and author names are the customer's text and untrusted: they reach the LLM
narrator and the validator's notion of "the evidence". So they are cut to one short line, control
characters removed, and every AWS-shaped identifier in them (ARNs, account IDs, IP and e-mail
addresses, resource ids such as sg-..., masking placeholders such as ARN_1) replaced by a marker:
a commit message cannot make the validator accept a resource the AWS evidence does not name.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from cloudwarden.diagnosis.model import Diagnosis, EvidenceRef, Hypothesis
from cloudwarden.diagnosis.narrate import masking
from cloudwarden.evidence.model import DeployCommits, EvidenceBundle

SOURCE = "github"
SHOWN_COMMITS = 3
_NEVER = datetime.min.replace(tzinfo=UTC)
MAX_TEXT_CHARS = 120
_AWS_ID = re.compile(
    r"(?<![\w-])(?:sg|i|vpc|subnet|eni|ami|vol|snap|rtb|igw|nat|acl|tgw|lt|eipalloc|vpce|pcx)-[0-9a-f]{8,17}(?![\w-])",
    re.IGNORECASE,
)
_UNTRUSTED: list[tuple[re.Pattern[str], str]] = [
    (masking.ARN_RE, "[arn]"),
    (masking.EMAIL_RE, "[email]"),
    (masking.IPV4_DASHED_RE, "[ip]"),
    (masking.IPV4_RE, "[ip]"),
    (masking.ACCOUNT_RE, "[account]"),
    (_AWS_ID, "[aws-id]"),
    (masking.PLACEHOLDER_RE, "[placeholder]"),
]


def untrusted_text(text: str) -> str:
    """Customer text made safe to show beside evidence: one line, no AWS identifiers in it."""
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    for pattern, marker in _UNTRUSTED:
        text = pattern.sub(marker, text)
    text = masking.IPV6_CANDIDATE_RE.sub(
        lambda m: "[ip]" if masking.valid_ipv6(m.group(0)) else m.group(0), text
    )
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1].rstrip() + "…"


def attach(diagnosis: Diagnosis, bundle: EvidenceBundle) -> None:
    """Add the compared commits under each bad_deploy hypothesis; nothing when none were compared."""
    for hypothesis in diagnosis.hypotheses:
        if hypothesis.fault != "bad_deploy":
            continue
        compared = compared_deployment(hypothesis, bundle.deploy_commits)
        if compared is not None:
            hypothesis.evidence.extend(evidence_refs(compared, hypothesis.resource))


def compared_deployment(hypothesis: Hypothesis, compared: list[DeployCommits]) -> DeployCommits | None:
    """The comparison of the deployment the hypothesis cites, else the newest of its resource."""
    own = [d for d in compared if d.resource == hypothesis.resource]
    cited = {e.time for e in hypothesis.evidence if e.source == "ecs-deployment" and e.time is not None}
    exact = [d for d in own if d.deployed_at in cited]
    return max(exact or own, key=lambda d: d.deployed_at or _NEVER, default=None)


def evidence_refs(compared: DeployCommits, resource: str) -> list[EvidenceRef]:
    files = f"{len(compared.files)}{'+' if compared.files_truncated else ''} file"
    files += "s" if len(compared.files) != 1 or compared.files_truncated else ""
    counts = f"{compared.total_commits} commit{'s' * (compared.total_commits != 1)}, {files} changed"
    if compared.status == "behind":
        counts += f" (a rollback: behind by {compared.behind_by})"
    elif compared.status == "diverged":
        counts += f" (diverged: ahead by {compared.ahead_by}, behind by {compared.behind_by})"
    header = EvidenceRef(
        source=SOURCE,
        time=compared.deployed_at,
        resource=resource,
        summary=f"{compared.repository} {compared.base}..{compared.head}: {counts}",
        weight=0.0,
    )
    commits = [
        EvidenceRef(
            source=SOURCE,
            time=commit.date,
            resource=resource,
            summary=f"{commit.sha[:7]} {untrusted_text(commit.author)}: {untrusted_text(commit.message)}",
            weight=0.0,
        )
        for commit in compared.commits[:SHOWN_COMMITS]
    ]
    return [header, *commits]
