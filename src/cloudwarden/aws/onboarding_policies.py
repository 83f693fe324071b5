"""The policies the onboarding template grants, independent of CloudFormation or Terraform.

`build_policies` validates the IAM actions CloudWarden declares and derives every policy
document the template carries (`OnboardingPolicies`): trust, read, the write-deny second wall,
the alerts key and topic policies, the remediations, and the optional grants (`OptionalGrant`:
an opt-in parameter's one resource ARN, and a KMS key that may encrypt it). Documents are plain
IAM JSON whose strings may hold `{{token}}` placeholders (account id, partition, topic ARN,
external id, an opt-in parameter's value); the renderers in `cloudwarden.aws.template` turn them
into references, the simulator into values.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cloudwarden.aws.permissions import OptIn, PermissionDeclaration

PolicyMode = Literal["least-privilege", "ReadOnlyAccess", "ViewOnlyAccess"]
PolicyDocument = dict[str, Any]

# IAM counts a role's inline policies together, whitespace excluded; a customer managed policy
# on its own. The write-deny is a managed policy so the reads keep the inline budget.
INLINE_POLICY_BUDGET = 10_240
MANAGED_POLICY_BUDGET = 6_144
MANAGED_POLICY_ARNS: dict[str, str] = {
    "ReadOnlyAccess": "arn:{{partition}}:iam::aws:policy/ReadOnlyAccess",
    "ViewOnlyAccess": "arn:{{partition}}:iam::aws:policy/job-function/ViewOnlyAccess",
}

# The write verbs each service's IAM actions start with. IAM has no wildcard for the service
# prefix ("*:Create*" is not an action), so the deny is spelled out as "<service>:<Verb>*", and
# only for verbs the service has (tests check every pattern against IAM's action list). A fixed
# table rather than botocore's operation names: IAM names differ (iam:PassRole has no API), and
# the customer's template must not change when botocore is upgraded.
WRITE_VERBS_BY_SERVICE: dict[str, str] = {
    "access-analyzer": "Apply Cancel Create Delete Generate Start Tag Untag Update",
    "application-autoscaling": "Delete Deregister Put Register Tag Untag",
    "cloudtrail": (
        "Add Cancel Create Delete Deregister Disable Enable Put Register Remove Restore Start Stop Update"
    ),
    "cloudwatch": "Assume Create Delete Disable Enable Invoke Put Set Start Stop Tag Untag Update",
    "config": "Associate Delete Deliver Disassociate Put Start Stop Tag Untag",
    "ec2": (
        "Associate Attach Authorize Cancel Copy Create Delete Deregister Detach Disable Disassociate "
        "Enable Import Modify Put Reboot Register Release Replace Reset Restore Revoke Run Send Start Stop "
        "Terminate Update"
    ),
    "ecs": (
        "Associate Create Delete Deregister Disassociate Execute Put Register Run Start Stop Tag Untag Update"
    ),
    "elasticfilesystem": (
        "Backup ClientRootAccess ClientWrite Create Delete Modify Put ReplicationWrite Restore Tag Untag Update"
    ),
    "elasticloadbalancing": (
        "Add Attach Create Delete Deregister Detach Disable Enable Modify Register Remove Set"
    ),
    "events": "Cancel Create Delete Disable Enable Invoke Put Remove Revoke Start Tag Untag Update",
    "guardduty": "Create Delete Disable Disassociate Enable Send Start Stop Tag Untag Update",
    "iam": (
        "Add Associate Attach Change Create Delete Detach Disable Enable Pass Put Remove Reset Send Set "
        "Tag Untag Update"
    ),
    "inspector2": (
        "Associate Cancel Create Delete Disable Disassociate Enable Reset Send Start Stop Tag Untag Update"
    ),
    "kms": "Cancel Create Delete Disable Enable Import Put Revoke Tag Untag Update",
    "lambda": (
        "Add Create Delete Disable Enable Invoke Pass Publish Put Remove Run Send Stop Tag Terminate Untag "
        "Update"
    ),
    "logs": "Associate Cancel Create Delete Disassociate Put Start Stop Tag Untag Update",
    "rds": (
        "Add Authorize Cancel Copy Create Delete Deregister Disable Enable Modify Reboot Register Remove "
        "Reset Restore Revoke Start Stop"
    ),
    "s3": "Associate Create Delete Put Restore Tag Untag Update",
    "secretsmanager": "Cancel Create Delete Put Remove Restore Stop Tag Untag Update",
    "securityhub": "Cancel Create Delete Disable Disassociate Enable Send Start Tag Untag Update",
    "sns": "Add Create Delete Publish Put Remove Set Tag Untag",
    "ssm": (
        "Add Associate Cancel Create Delete Deregister Disassociate Execute Modify Put Register Remove "
        "Reset Send Start Stop Terminate Update"
    ),
    "sts": "Assume Set Tag",
}
# Walled off even when no declared read touches them.
DENY_BASELINE_SERVICES = ("ec2", "ecs", "iam", "lambda", "rds", "s3", "ssm", "sts")

_PRINCIPAL_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(root|(role|user)/[\w+=,.@/-]{1,512})$")
_CONCRETE_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
TOKEN = re.compile(r"\{\{(\w+)\}\}")
# A KMS key ARN (aliases cannot be granted kms:Decrypt on).
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"
# What an ARN parameter's value adds to the inline policy size, at most (checked at deploy).
_ARN_RESERVE = 600


@dataclass(frozen=True)
class OptionalGrant:
    """A read-role policy granted only when the customer sets `opt_in.parameter` to one ARN.

    `document` allows the opted-in actions on `{{<opt_in.variable>}}` only; `kms_document`, when
    the opt-in names a KMS key parameter, allows kms:Decrypt on that key only through the
    service, and is granted only when both parameters are set.
    """

    opt_in: OptIn
    actions: tuple[str, ...]
    document: PolicyDocument
    kms_document: PolicyDocument | None

    @property
    def name(self) -> str:
        """Policy name and CloudFormation logical id: CloudWardenGitHubTokenSecret."""
        return "CloudWarden" + self.opt_in.parameter.removesuffix("Arn")

    @property
    def kms_name(self) -> str:
        return "CloudWarden" + (self.opt_in.kms_key_parameter or "").removesuffix("Arn")

    def resolved(self, values: Mapping[str, str]) -> OptionalGrant:
        """Each document resolved when `values` holds its parameter (opted in), else left as is."""
        document, kms = self.document, self.kms_document
        if self.opt_in.variable in values:
            document = substitute_values(document, values)
            if kms is not None and self.opt_in.kms_key_variable in values:
                kms = substitute_values(kms, values)
        return dataclasses.replace(self, document=document, kms_document=kms)


@dataclass(frozen=True)
class OnboardingPolicies:
    """Everything the template grants, independent of CloudFormation or Terraform."""

    principal_arn: str
    policy_mode: PolicyMode
    trust: PolicyDocument
    read: PolicyDocument | None  # least-privilege mode only
    managed_policy_arn: str | None  # managed modes only; tokenised
    deny_writes: PolicyDocument
    alerts_key: PolicyDocument
    alerts_topic: PolicyDocument
    actions: PolicyDocument
    optional: tuple[OptionalGrant, ...] = ()

    def resolved(self, values: Mapping[str, str]) -> OnboardingPolicies:
        """Tokens replaced by concrete values, as AWS resolves them in a deployed stack.

        Optional grants are resolved only when `values` holds their parameter (opted in).
        """
        fields: dict[str, Any] = {
            f.name: substitute_values(getattr(self, f.name), values)
            for f in dataclasses.fields(self)
            if f.name != "optional"
        }
        fields["optional"] = tuple(g.resolved(values) for g in self.optional)
        return OnboardingPolicies(**fields)


def build_policies(
    *,
    principal_arn: str,
    read_actions: Sequence[str],
    write_actions: Sequence[str],
    policy_mode: PolicyMode = "least-privilege",
    optional: Sequence[PermissionDeclaration] = (),
) -> OnboardingPolicies:
    """Validate the declarations and derive every policy the template carries.

    `optional` declarations become `OptionalGrant`s, one per opt-in parameter, in every mode:
    no AWS managed policy grants them.
    """
    if not _PRINCIPAL_ARN.match(principal_arn):
        raise ValueError(f"{principal_arn!r} is not an IAM role, user or account root ARN")
    if policy_mode != "least-privilege" and policy_mode not in MANAGED_POLICY_ARNS:
        raise ValueError(f"unknown policy mode {policy_mode!r}")
    reads, writes = _concrete_actions(read_actions, "read"), _concrete_actions(write_actions, "write")
    # The actions role may repeat a read its preconditions need (ecs:DescribeServices); a write
    # declared as a read would put it in the read-only role.
    overlap = {a.lower() for a in reads} & {a.lower() for a in writes}
    writes_in_read = sorted(
        a for a in overlap if not a.split(":", 1)[1].startswith(("describe", "get", "list"))
    )
    if writes_in_read:
        raise ValueError(f"declared as both read and write: {writes_in_read}")
    grants = _optional_grants(optional, reads, writes)
    # What the role may read in some deployment: the deny must leave all of it alone.
    decrypts = ["kms:Decrypt"] if any(g.kms_document for g in grants) else []
    granted_reads = [*reads, *(a for g in grants for a in g.actions), *decrypts]

    # The wall covers what the allow can reach: the declared services, or with an AWS managed
    # policy every service in the table; the baseline either way.
    if policy_mode == "least-privilege":
        reachable = {a.split(":", 1)[0] for a in (*granted_reads, *writes)}
    else:
        reachable = set(WRITE_VERBS_BY_SERVICE)
    services = sorted(reachable | set(DENY_BASELINE_SERVICES))
    deny_patterns = write_deny_patterns(services, granted_reads)
    blocked = [a for a in granted_reads if matching_patterns(a, deny_patterns)]
    if blocked:  # cannot happen by construction; guards future edits of the rules above
        raise RuntimeError(f"the write deny would block declared reads: {blocked}")

    read_doc = _read_policy(reads) if policy_mode == "least-privilege" else None
    deny_doc = _document(_statement("DenyWritesSecondWall", deny_patterns, effect="Deny"))
    optional_docs = [d for g in grants for d in (g.document, g.kms_document) if d is not None]
    inline_size = policy_size(read_doc) if read_doc else 0
    inline_size += sum(policy_size(d) + _ARN_RESERVE for d in optional_docs)
    if inline_size > INLINE_POLICY_BUDGET:
        raise ValueError(
            f"the read role's inline policies need {inline_size} characters; IAM allows "
            f"{INLINE_POLICY_BUDGET}. Use a managed policy mode or declare fewer actions."
        )
    if policy_size(deny_doc) > MANAGED_POLICY_BUDGET:
        raise ValueError(
            f"the write-deny managed policy needs {policy_size(deny_doc)} characters; IAM allows "
            f"{MANAGED_POLICY_BUDGET} for one managed policy. Split it by service."
        )
    cloudwarden = {"AWS": principal_arn}
    external_id = {"StringEquals": {"sts:ExternalId": "{{external_id}}"}}
    trust = _statement(
        "CloudWardenAssumesWithExternalId", "sts:AssumeRole", principal=cloudwarden, resource=None
    )
    return OnboardingPolicies(
        principal_arn=principal_arn,
        policy_mode=policy_mode,
        trust=_document({**trust, "Condition": external_id}),
        read=read_doc,
        managed_policy_arn=MANAGED_POLICY_ARNS.get(policy_mode),
        deny_writes=deny_doc,
        alerts_key=_alerts_key_policy(cloudwarden),
        alerts_topic=_alerts_topic_policy(cloudwarden),
        actions=_document(_statement("Remediations", writes)),
        optional=grants,
    )


def _optional_grants(
    declarations: Sequence[PermissionDeclaration], reads: list[str], writes: list[str]
) -> tuple[OptionalGrant, ...]:
    """One grant per opt-in parameter: its actions on the parameter's ARN, and the KMS key's."""
    by_parameter: dict[str, tuple[OptIn, set[str]]] = {}
    for declaration in declarations:
        if declaration.opt_in is None:
            raise ValueError(f"{declaration.owner}: an optional declaration needs an opt-in parameter")
        actions = _concrete_actions(declaration.actions, "optional")
        # Granted on "*" already, the scoping to one ARN would be a pretence.
        required = {a.lower() for a in (*reads, *writes)} & {a.lower() for a in actions}
        if required:
            raise ValueError(f"{declaration.owner}: declared both required and optional: {sorted(required)}")
        opt_in = declaration.opt_in
        if opt_in.parameter in by_parameter and by_parameter[opt_in.parameter][0] != opt_in:
            raise ValueError(f"opt-in parameter {opt_in.parameter} is declared twice, differently")
        by_parameter.setdefault(opt_in.parameter, (opt_in, set()))[1].update(actions)
    grants = []
    for opt_in, granted in (by_parameter[p] for p in sorted(by_parameter)):
        sid = "OptIn" + opt_in.parameter.removesuffix("Arn")
        document = _document(_statement(sid, sorted(granted), resource="{{" + opt_in.variable + "}}"))
        kms_document = None
        if opt_in.kms_key_variable and opt_in.kms_key_parameter and opt_in.kms_via_service:
            via = {"StringLike": {"kms:ViaService": f"{opt_in.kms_via_service}.*.amazonaws.com"}}
            kms_sid = "OptIn" + opt_in.kms_key_parameter.removesuffix("Arn")
            kms_resource = "{{" + opt_in.kms_key_variable + "}}"
            kms_document = _document(_statement(kms_sid, "kms:Decrypt", resource=kms_resource, condition=via))
        grants.append(OptionalGrant(opt_in, tuple(sorted(granted)), document, kms_document))
    return tuple(grants)


def policy_size(document: PolicyDocument) -> int:
    """The characters IAM counts against a policy's size limit (whitespace excluded)."""
    return len(json.dumps(document, separators=(",", ":")))


def write_deny_patterns(services: Iterable[str], read_actions: Sequence[str]) -> list[str]:
    """`<service>:<Verb>*` for each write verb of each service, never covering a declared read.

    A pattern that would also catch a declared read (logs:Start* vs logs:StartQuery) is left
    out: the allow is exact anyway, the deny only a second wall. Services missing from the table
    get no patterns (a test requires every declared service to be in it).
    """
    patterns = []
    for service in services:
        for verb in WRITE_VERBS_BY_SERVICE.get(service, "").split():
            pattern = f"{service}:{verb}*"
            if not any(matching_patterns(read, [pattern]) for read in read_actions):
                patterns.append(pattern)
    return patterns


def matching_patterns(action: str, patterns: Iterable[str]) -> list[str]:
    """The IAM action patterns that match `action` (IAM matching: glob, case-insensitive)."""
    return [p for p in patterns if fnmatchcase(action.lower(), p.lower())]


def resolve_tokens(value: Any, replace: Callable[[str], Any]) -> Any:
    """A copy of a policy document with every string holding a token replaced by `replace(s)`."""
    if isinstance(value, dict):
        return {k: resolve_tokens(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_tokens(v, replace) for v in value]
    return replace(value) if isinstance(value, str) and TOKEN.search(value) else value


def substitute_values(value: Any, values: Mapping[str, str]) -> Any:
    """Tokens replaced by concrete values (what AWS would have resolved)."""
    return resolve_tokens(value, lambda s: TOKEN.sub(lambda m: values[m.group(1)], s))


def _concrete_actions(actions: Sequence[str], kind: str) -> list[str]:
    if isinstance(actions, str):
        raise TypeError(f"{kind} actions must be a list of IAM actions, not one string")
    bad = [a for a in actions if not _CONCRETE_ACTION.match(a)]
    if bad:
        raise ValueError(f"{kind} actions must be concrete service:Action names, without wildcards: {bad}")
    if not actions:
        raise ValueError(f"no {kind} actions declared")
    return sorted(set(actions))


def _read_policy(reads: list[str]) -> PolicyDocument:
    by_service: dict[str, list[str]] = {}
    for action in reads:
        by_service.setdefault(action.split(":", 1)[0], []).append(action)
    # Resource "*": the Describe/List/Get APIs of these services mostly do not support
    # resource-level permissions, and CloudWarden cannot know the customer's resource ARNs.
    sid = {service: "Read" + "".join(w.capitalize() for w in service.split("-")) for service in by_service}
    return _document(*(_statement(sid[s], actions) for s, actions in sorted(by_service.items())))


def _alerts_key_policy(cloudwarden: dict[str, str]) -> PolicyDocument:
    account_root = {"AWS": "arn:{{partition}}:iam::{{account_id}}:root"}
    services = {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    use_key = ["kms:Decrypt", "kms:GenerateDataKey*"]
    via_sns = {"StringLike": {"kms:ViaService": "sns.*.amazonaws.com"}}
    return _document(
        # Without this the account's own administrators could not manage the key.
        _statement("AccountAdministersKey", "kms:*", principal=account_root),
        # No aws:SourceAccount condition: EventBridge's KMS requests for SNS delivery do not
        # carry it, so alerts would be dropped silently. The topic policy carries it instead.
        _statement("AlarmsAndRulesEncryptAlerts", use_key, principal=services),
        # Publishing to an encrypted topic needs the key; CloudWarden only through SNS.
        _statement("CloudWardenPublishesThroughSns", use_key, principal=cloudwarden, condition=via_sns),
    )


def _alerts_topic_policy(cloudwarden: dict[str, str]) -> PolicyDocument:
    same_account = {"condition": {"StringEquals": {"aws:SourceAccount": "{{account_id}}"}}}
    https_only = {"condition": {"StringEquals": {"sns:Protocol": "https"}}}
    alarms, rules = {"Service": "cloudwatch.amazonaws.com"}, {"Service": "events.amazonaws.com"}

    def on_topic(sid: str, action: str, principal: dict[str, Any], **condition: Any) -> dict[str, Any]:
        return _statement(sid, action, principal=principal, resource="{{topic_arn}}", **condition)

    return _document(
        on_topic("CloudWatchAlarmsPublish", "sns:Publish", alarms, **same_account),
        on_topic("EventBridgeRulesPublish", "sns:Publish", rules, **same_account),
        on_topic("CloudWardenSubscribesHttpsIntake", "sns:Subscribe", cloudwarden, **https_only),
        on_topic("CloudWardenPublishesNotifications", "sns:Publish", cloudwarden),
    )


def _statement(
    sid: str,
    action: str | list[str],
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | None = None,
    resource: str | None = "*",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principal is not None:
        statement["Principal"] = principal
    statement["Action"] = action
    if resource is not None:
        statement["Resource"] = resource
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}
