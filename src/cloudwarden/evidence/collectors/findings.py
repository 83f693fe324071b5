"""Security findings (Security Hub, GuardDuty, Inspector) about the resources of an incident.

Each service is read on its own, so one denied or switched-off service never hides the others.
A service that is not enabled in the region is reported as such ("guardduty: not enabled in
us-east-1"), distinct from "enabled, no findings" and from a denied call (an EvidenceGap): an
absent finding must never read as a clean bill of health.

A finding is in the window when its span [first_seen, last_seen] overlaps it: first_seen is
when the provider created it (Inspector: first observed), last_seen when it last updated it,
which is what each API filters on server-side. Without a start (`start=None`, what a posture scan
reads) every active finding counts, however old.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from cloudwarden.aws.arns import security_group_key
from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe

if TYPE_CHECKING:
    from cloudwarden.evidence.context import CollectContext

SOURCE = "findings"
PERMISSIONS = declare(
    "evidence.findings",
    (
        "securityhub:GetFindings",
        "guardduty:ListDetectors",
        "guardduty:ListFindings",
        "guardduty:GetFindings",
        "inspector2:ListFindings",
    ),
    purpose="Read the security findings (Security Hub, GuardDuty, Inspector) about an incident's resources",
)
# One probe (GuardDuty's detectors): the services are read independently during an investigation,
# and a denied or disabled one is reported there, per service.
PROBES: tuple[Probe, ...] = (
    Probe("findings", "guardduty", "guardduty:ListDetectors", lambda c: c.list_detectors(MaxResults=1)),
)
# Pages per service: a busy account has thousands of findings; the newest in the window matter.
MAX_PAGES = 3
# Security Hub workflow states of a finding nobody has dismissed or resolved yet.
OPEN_WORKFLOW = ("NEW", "NOTIFIED")
SUMMARY_CHARS = 300

FindingSource = Literal["securityhub", "guardduty", "inspector2"]
SeverityLabel = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
SourceState = Literal["collected", "not_enabled", "unavailable"]
# Read natively first: Security Hub also holds copies of GuardDuty and Inspector findings
# (same id), and the native record is the richer one.
SOURCES: tuple[FindingSource, ...] = ("guardduty", "inspector2", "securityhub")
# GuardDuty's severity bands; Security Hub's normalised (/10) and Inspector's CVSS-based scores
# use the same ones.
_BANDS: tuple[tuple[float, SeverityLabel], ...] = ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"))
# A score (0-10) for a label given without one: the middle of the label's band.
_LABEL_SCORE = {"INFORMATIONAL": 0.0, "LOW": 2.0, "MEDIUM": 5.5, "HIGH": 8.0, "CRITICAL": 9.5}


class _Frozen(BaseModel):
    # Not evidence.model.Frozen: model.py may import these types without a cycle (so nothing here
    # imports evidence.model, directly or through another collector).
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecurityFinding(_Frozen):
    source: FindingSource
    id: str  # the finding's ARN where it has one (GuardDuty, Inspector), else Security Hub's id
    type: str
    title: str
    severity: SeverityLabel
    severity_score: float  # 0-10 on every source (Security Hub's 0-100 normalised is divided by 10)
    resources: list[str]  # resource keys as CloudWarden uses them (ARNs; EC2 instance ids)
    first_seen: datetime
    last_seen: datetime
    summary: str
    # Who produced it: GuardDuty, Inspector, or the product Security Hub names (Security Hub's own
    # controls, Macie, IAM Access Analyzer, a partner's).
    product: str = ""


class FindingSourceStatus(_Frozen):
    source: FindingSource
    state: SourceState
    region: str
    findings: int = 0
    truncated: bool = False  # more findings in the window than the pages read
    detail: str = ""

    def describe(self) -> str:
        if self.state == "not_enabled":
            return f"{self.source}: not enabled in {self.region} ({self.detail})"
        if self.state == "unavailable":
            return f"{self.source}: {self.detail}"
        if not self.findings:
            return f"{self.source}: enabled, no findings in the window"
        more = "; more exist than were read" if self.truncated else ""
        return (
            f"{self.source}: {self.findings} finding{'s' if self.findings != 1 else ''} in the window{more}"
        )


class FindingsReport(_Frozen):
    findings: list[SecurityFinding]
    sources: list[FindingSourceStatus]

    def status(self, source: FindingSource) -> FindingSourceStatus:
        return next(s for s in self.sources if s.source == source)

    def describe(self) -> list[str]:
        return [s.describe() for s in self.sources]


def _raw(
    source: FindingSource, findings: list[Any] | None = None, truncated: bool = False, not_enabled: str = ""
) -> dict[str, Any]:
    """What each `get_*` returns; `not_enabled` says why the service is off in the region."""
    return {"source": source, "not_enabled": not_enabled, "findings": findings or [], "truncated": truncated}


def _paged(
    call: Callable[..., Any], kwargs: dict[str, Any], *, items: str, paging: str, max_pages: int = MAX_PAGES
) -> tuple[list[Any], bool]:
    """Up to `max_pages` pages of `call`, and whether more remain unread."""
    found: list[Any] = []
    for _ in range(max_pages):
        response = call(**kwargs)
        found.extend(response.get(items, []))
        if not response.get(paging):
            return found, False
        kwargs = {**kwargs, paging: response[paging]}
    return found, True


def _error(exc: ClientError) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def get_securityhub(
    client: Any, *, start: datetime | None, end: datetime, max_pages: int = MAX_PAGES, open_only: bool = False
) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "CreatedAt": [{"End": _iso(end)}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    if start is not None:
        filters["UpdatedAt"] = [{"Start": _iso(start)}]
    if open_only:
        filters["WorkflowStatus"] = [{"Value": s, "Comparison": "EQUALS"} for s in OPEN_WORKFLOW]
    kwargs: dict[str, Any] = {
        "Filters": filters,
        "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "desc"}],
        "MaxResults": 100,
    }
    try:
        findings, truncated = _paged(
            client.get_findings, kwargs, items="Findings", paging="NextToken", max_pages=max_pages
        )
    except ClientError as exc:
        code, message = _error(exc)
        if code == "InvalidAccessException":  # "Account ... is not subscribed to AWS Security Hub"
            return _raw("securityhub", not_enabled=message or "not subscribed to Security Hub")
        raise
    if open_only:  # again here: the simulated Security Hub ignores filters
        findings = [f for f in findings if (f.get("Workflow") or {}).get("Status", "NEW") in OPEN_WORKFLOW]
    return _raw("securityhub", findings, truncated)


def get_guardduty(
    client: Any, *, start: datetime | None, end: datetime, max_pages: int = MAX_PAGES, open_only: bool = False
) -> dict[str, Any]:
    del open_only  # GuardDuty's unarchived findings are the open ones
    detector_ids = client.list_detectors(MaxResults=50).get("DetectorIds", [])
    if not detector_ids:
        return _raw("guardduty", not_enabled="no GuardDuty detector in this region")
    criterion: dict[str, Any] = {
        "createdAt": {"LessThanOrEqual": int(end.timestamp() * 1000)},  # epoch milliseconds
        # Archived findings were dismissed by the customer or their suppression rules.
        "service.archived": {"Equals": ["false"]},
    }
    if start is not None:
        criterion = {"updatedAt": {"GreaterThanOrEqual": int(start.timestamp() * 1000)}, **criterion}
    criteria = {"Criterion": criterion}
    findings: list[dict[str, Any]] = []
    truncated = False
    for detector_id in detector_ids:
        kwargs = {
            "DetectorId": detector_id,
            "FindingCriteria": criteria,
            "SortCriteria": {"AttributeName": "updatedAt", "OrderBy": "DESC"},
            "MaxResults": 50,
        }
        ids, more = _paged(
            client.list_findings, kwargs, items="FindingIds", paging="NextToken", max_pages=max_pages
        )
        truncated = truncated or more
        for offset in range(0, len(ids), 50):
            chunk = ids[offset : offset + 50]
            findings.extend(client.get_findings(DetectorId=detector_id, FindingIds=chunk).get("Findings", []))
    return _raw("guardduty", findings, truncated)


def get_inspector2(
    client: Any, *, start: datetime | None, end: datetime, max_pages: int = MAX_PAGES, open_only: bool = False
) -> dict[str, Any]:
    del open_only  # Inspector's ACTIVE findings are the open ones (not SUPPRESSED or CLOSED)
    criteria: dict[str, Any] = {
        "firstObservedAt": [{"endInclusive": end}],
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
    }
    if start is not None:
        criteria = {"updatedAt": [{"startInclusive": start}], **criteria}
    kwargs: dict[str, Any] = {
        "filterCriteria": criteria,
        "sortCriteria": {"field": "LAST_OBSERVED_AT", "sortOrder": "DESC"},
        "maxResults": 100,
    }
    try:
        findings, truncated = _paged(
            client.list_findings, kwargs, items="findings", paging="nextToken", max_pages=max_pages
        )
    except ClientError as exc:
        code, message = _error(exc)
        # IAM and SCP denials always say "not authorized to perform"; Inspector's own refusal for an
        # account where it was never activated does not.
        if code == "AccessDeniedException" and "not authorized to perform" not in message:
            return _raw("inspector2", not_enabled=message or "Inspector is not activated")
        raise
    return _raw("inspector2", findings, truncated)


GETTERS: dict[FindingSource, Callable[..., dict[str, Any]]] = {
    "securityhub": get_securityhub,
    "guardduty": get_guardduty,
    "inspector2": get_inspector2,
}


def get(
    client: Any,
    source: FindingSource,
    *,
    start: datetime | None,
    end: datetime,
    max_pages: int = MAX_PAGES,
    open_only: bool = False,
) -> dict[str, Any]:
    """One service's findings active in [start, end] (start None: every active one created by
    `end`); `client` is that service's (boto3 name = source). At most `max_pages` pages.
    `open_only`: leave out Security Hub findings whose workflow is SUPPRESSED or RESOLVED (dismissed
    or fixed by the customer; Security Hub resolves a control's finding once it passes).

    What `transform` takes: the findings read, whether more remain, or why the service is off.
    """
    return GETTERS[source](client, start=start, end=end, max_pages=max_pages, open_only=open_only)


def resource_key(raw_id: str, *, region: str, account_id: str) -> str:
    """A resource id as a finding gives it, keyed as CloudWarden's collectors key resources."""
    if raw_id.startswith("sg-"):
        return security_group_key(region, account_id, raw_id)
    parts = raw_id.split(":")
    if raw_id.startswith("arn:") and len(parts) >= 6:
        service, resource = parts[2], ":".join(parts[5:])
        if service == "ec2" and resource.startswith("instance/"):
            return resource.removeprefix("instance/")  # the EC2 collector keys instances by id
        if service == "lambda" and resource.startswith("function:"):
            return ":".join(parts[:7])  # drop a version or alias qualifier
    return raw_id


def _time(value: Any) -> datetime:
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _severity(label: str | None, score: float | None) -> tuple[SeverityLabel, float]:
    label = (label or "").upper()
    score = _LABEL_SCORE.get(label, 0.0) if score is None else float(score)
    if label in get_args(SeverityLabel):
        return cast(SeverityLabel, label), score
    if label:  # INFORMATIONAL and UNTRIAGED have no band of their own; the score keeps the difference
        return "LOW", score
    return next((name for floor, name in _BANDS if score >= floor), "LOW"), score


def _summary(text: str | None, fallback: str) -> str:
    return " ".join((text or fallback).split())[:SUMMARY_CHARS]


def _from_securityhub(f: dict[str, Any], region: str, account_id: str) -> SecurityFinding:
    account = f.get("AwsAccountId") or account_id
    keys: list[str] = []
    for r in f.get("Resources", []):
        keys.append(
            resource_key(r["Id"], region=r.get("Region") or f.get("Region") or region, account_id=account)
        )
        access_key = (r.get("Details") or {}).get("AwsIamAccessKey") or {}
        issuer = (access_key.get("SessionContext") or {}).get("SessionIssuer") or {}
        if issuer.get("Type") == "Role" and issuer.get("Arn"):
            keys.append(issuer["Arn"])  # the role whose session the key belongs to
    severity = f.get("Severity") or {}
    normalized = severity.get("Normalized")
    label, score = _severity(severity.get("Label"), normalized / 10 if normalized is not None else None)
    types = f.get("Types") or [str(f.get("GeneratorId", ""))]
    return SecurityFinding(
        source="securityhub", id=f["Id"], type=types[0], title=f["Title"], severity=label, severity_score=score,
        resources=list(dict.fromkeys(keys)), first_seen=_time(f["CreatedAt"]), last_seen=_time(f["UpdatedAt"]),
        summary=_summary(f.get("Description"), f["Title"]), product=_securityhub_product(f),
    )  # fmt: skip


def _securityhub_product(f: dict[str, Any]) -> str:
    """The product Security Hub names for a finding ("Security Hub", "GuardDuty", "Macie", ...)."""
    fields = f.get("ProductFields") or {}
    named = f.get("ProductName") or fields.get("aws/securityhub/ProductName")
    if named:
        return str(named)
    # arn:aws:securityhub:<region>::product/<company>/<product>
    return str(f.get("ProductArn", "")).rsplit("/", 1)[-1] or "Security Hub"


def _guardduty_keys(resource: dict[str, Any], partition: str, region: str, account: str) -> list[str]:
    keys: list[str] = []
    instance = resource.get("InstanceDetails") or {}
    if instance.get("InstanceId"):
        keys.append(instance["InstanceId"])
    for interface in instance.get("NetworkInterfaces", []):
        keys += [
            security_group_key(region, account, g["GroupId"]) for g in interface.get("SecurityGroups", [])
        ]
    access_key = resource.get("AccessKeyDetails") or {}
    if access_key.get("UserName") and access_key.get("UserType") in ("AssumedRole", "Role"):
        # GuardDuty names the role, not its path; relevant() compares roles by account and name.
        keys.append(f"arn:{partition}:iam::{account}:role/{access_key['UserName']}")
    elif access_key.get("UserName") and access_key.get("UserType") == "IAMUser":
        keys.append(f"arn:{partition}:iam::{account}:user/{access_key['UserName']}")
    ecs = resource.get("EcsClusterDetails") or {}
    task = ecs.get("TaskDetails") or {}
    keys += [arn for arn in (ecs.get("Arn"), task.get("Arn")) if arn]
    group = str(task.get("Group", ""))
    if group.startswith("service:") and ecs.get("Arn"):
        # ECS sets a service's tasks' group to "service:<name>"; the service ARN follows from it.
        cluster = str(ecs["Arn"]).rsplit("/", 1)[-1]
        keys.append(
            f"arn:{partition}:ecs:{region}:{account}:service/{cluster}/{group.removeprefix('service:')}"
        )
    rds = resource.get("RdsDbInstanceDetails") or {}
    if rds.get("DbInstanceArn") or rds.get("DbInstanceIdentifier"):
        keys.append(
            rds.get("DbInstanceArn")
            or f"arn:{partition}:rds:{region}:{account}:db:{rds['DbInstanceIdentifier']}"
        )
    function_arn = (resource.get("LambdaDetails") or {}).get("FunctionArn")
    if function_arn:
        keys.append(resource_key(function_arn, region=region, account_id=account))
    keys += [b["Arn"] for b in resource.get("S3BucketDetails", []) if b.get("Arn")]
    return keys


def _from_guardduty(f: dict[str, Any], region: str, account_id: str) -> SecurityFinding:
    account, finding_region = f.get("AccountId") or account_id, f.get("Region") or region
    keys = _guardduty_keys(f["Resource"], f.get("Partition") or "aws", finding_region, account)
    label, score = _severity(None, float(f["Severity"]))
    title = f.get("Title") or f["Type"]
    return SecurityFinding(
        source="guardduty", id=f["Arn"], type=f["Type"], title=title, severity=label, severity_score=score,
        resources=list(dict.fromkeys(keys)), first_seen=_time(f["CreatedAt"]), last_seen=_time(f["UpdatedAt"]),
        summary=_summary(f.get("Description"), title), product="GuardDuty",
    )  # fmt: skip


def _from_inspector2(f: dict[str, Any], region: str, account_id: str) -> SecurityFinding:
    account = f.get("awsAccountId") or account_id
    keys = [
        resource_key(r["id"], region=r.get("region") or region, account_id=account) for r in f["resources"]
    ]
    steps = ((f.get("networkReachabilityDetails") or {}).get("networkPath") or {}).get("steps", [])
    keys += [
        security_group_key(region, account, s["componentId"])
        for s in steps
        if s.get("componentType") == "AWS::EC2::SecurityGroup" and s.get("componentId")
    ]
    label, score = _severity(f.get("severity"), f.get("inspectorScore"))
    title = f.get("title") or f["type"]
    return SecurityFinding(
        source="inspector2", id=f["findingArn"], type=f["type"], title=title, severity=label,
        severity_score=score, resources=list(dict.fromkeys(keys)), first_seen=_time(f["firstObservedAt"]),
        last_seen=_time(f.get("updatedAt") or f["lastObservedAt"]), summary=_summary(f.get("description"), title),
        product="Inspector",
    )  # fmt: skip


_TRANSFORMS = {"securityhub": _from_securityhub, "guardduty": _from_guardduty, "inspector2": _from_inspector2}


def transform(raw: dict[str, Any], *, region: str, account_id: str) -> list[SecurityFinding]:
    convert = _TRANSFORMS[raw["source"]]
    return [convert(f, region, account_id) for f in raw["findings"]]


def _in_window(finding: SecurityFinding, start: datetime, end: datetime) -> bool:
    return finding.last_seen >= start and finding.first_seen <= end


def _rank(finding: SecurityFinding) -> tuple[float, float]:
    return (-finding.severity_score, -finding.last_seen.timestamp())


def _read(ctx: CollectContext, source: FindingSource, *, start: datetime, end: datetime) -> Any:
    return get(ctx.client(source), source, start=start, end=end)  # boto3's name is the source's


def collect(
    ctx: CollectContext, *, start: datetime, end: datetime, region: str, account_id: str
) -> FindingsReport:
    """Read each service through `ctx.guarded`: a denied one is a gap, the others still count."""
    findings: list[SecurityFinding] = []
    statuses: list[FindingSourceStatus] = []
    for source in SOURCES:
        known_gaps = len(ctx.gaps)
        raw = ctx.guarded(SOURCE, source, functools.partial(_read, ctx, source, start=start, end=end))
        status = functools.partial(FindingSourceStatus, source=source, region=region)
        if raw is None:
            detail = ctx.gaps[-1].describe() if len(ctx.gaps) > known_gaps else "evidence unavailable"
            statuses.append(status(state="unavailable", detail=detail))
        elif raw["not_enabled"]:
            statuses.append(status(state="not_enabled", detail=raw["not_enabled"]))
        else:
            # Re-check the window (the simulated Security Hub and Inspector ignore filters) and
            # skip Security Hub's copies of findings already read from GuardDuty or Inspector.
            seen = {f.id for f in findings}
            kept = [
                f
                for f in transform(raw, region=region, account_id=account_id)
                if _in_window(f, start, end) and f.id not in seen
            ]
            findings += kept
            statuses.append(status(state="collected", findings=len(kept), truncated=raw["truncated"]))
    return FindingsReport(findings=sorted(findings, key=_rank), sources=statuses)


def _identity(key: str) -> str:
    """One spelling per resource: a role with or without its path, or as an assumed-role session."""
    parts = key.split(":")
    if key.startswith("arn:") and len(parts) >= 6:
        partition, service, account, resource = parts[1], parts[2], parts[4], ":".join(parts[5:])
        if service == "iam" and resource.startswith("role/"):
            return f"arn:{partition}:iam::{account}:role/{resource.rsplit('/', 1)[-1]}"
        if service == "sts" and resource.startswith("assumed-role/"):
            return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return key if key.startswith("sg-") else resource_key(key, region="", account_id="")


def relevant(
    findings: Iterable[SecurityFinding], resource_keys: Iterable[str], start: datetime, end: datetime
) -> list[SecurityFinding]:
    """Findings that touch one of the resources and were active in the window, most severe first."""
    wanted = {_identity(k) for k in resource_keys}
    picked = [
        f for f in findings if _in_window(f, start, end) and any(_identity(r) in wanted for r in f.resources)
    ]
    return sorted(picked, key=_rank)
