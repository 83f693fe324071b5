"""S3, read once per account: every bucket's access, encryption, versioning, logging and
management settings (`_s3_management.py`), and the account's own Block Public Access
configuration.

ListBuckets lists the account's buckets in every region. Each bucket's details are read with one
call per setting (S3 has no batch form), through the scan's home-region client: botocore follows
S3's redirect to the bucket's own region (GetBucketLocation says which one, for the results).
The helpers at the end judge bucket policies and ACLs for the checks under `checks/s3`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.collectors._s3_management import BucketManagement, read_management
from cloudwarden.posture.inventory import GLOBAL, Inventory, paginate, read
from cloudwarden.posture.model import Result, Unknown

SERVICE = "s3"
SCOPE: Literal["global", "regional"] = "global"
PERMISSIONS = permissions.declare(
    "posture.s3",
    (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketAcl",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetAccountPublicAccessBlock",  # the S3 Control API's GetPublicAccessBlock
        "s3:GetBucketOwnershipControls",
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketNotification",
        "s3:GetBucketObjectLockConfiguration",
    ),
    purpose="posture: S3 buckets' policies, ACLs, Block Public Access, encryption, versioning, "
    "logging, object ownership, lifecycle, notifications and Object Lock, and the account-level "
    "Block Public Access",
)
DETAIL_WORKERS = 8  # buckets whose details are read at the same time
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
PUBLIC_GROUPS = {ALL_USERS: "everyone (AllUsers)", AUTHENTICATED_USERS: "any AWS user (AuthenticatedUsers)"}


@dataclass(frozen=True)
class PublicAccessBlock:
    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool

    @classmethod
    def parse(cls, config: dict[str, Any]) -> PublicAccessBlock:
        return cls(
            block_public_acls=bool(config.get("BlockPublicAcls")),
            ignore_public_acls=bool(config.get("IgnorePublicAcls")),
            block_public_policy=bool(config.get("BlockPublicPolicy")),
            restrict_public_buckets=bool(config.get("RestrictPublicBuckets")),
        )

    def off(self) -> list[str]:
        """The settings that are off, by their AWS names."""
        settings = {
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        }
        return [name for name, on in settings.items() if not on]


@dataclass(frozen=True)
class Grant:
    grantee: str  # a group URI, a canonical user id or an e-mail address
    permission: str  # READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL


@dataclass(frozen=True)
class Versioning:
    status: str | None  # "Enabled", "Suspended", None: never enabled
    mfa_delete: bool


@dataclass(frozen=True)
class Encryption:
    algorithm: str  # AES256, aws:kms, aws:kms:dsse
    kms_key: str | None


@dataclass(frozen=True)
class Bucket:
    name: str
    location: str | Unknown
    policy: dict[str, Any] | Unknown | None  # None: the bucket has no policy
    public_access_block: PublicAccessBlock | Unknown | None  # None: not configured
    acl: tuple[Grant, ...] | Unknown
    encryption: Encryption | Unknown | None  # None: no default encryption configured
    versioning: Versioning | Unknown
    logging_target: str | Unknown | None  # the target bucket, None: access logging off
    management: BucketManagement = field(default_factory=BucketManagement)

    @property
    def region(self) -> str:
        return self.location if isinstance(self.location, str) else GLOBAL

    def arn(self, partition: str) -> str:
        return f"arn:{partition}:s3:::{self.name}"


@dataclass(frozen=True)
class S3Data:
    buckets: tuple[Bucket, ...]
    account_public_access_block: PublicAccessBlock | Unknown | None  # None: not configured


def collect(clients: Clients, region: str, account_id: str) -> S3Data:
    s3 = clients("s3")
    names = [b["Name"] for b in paginate(s3, "list_buckets", "Buckets")]
    with ThreadPoolExecutor(max_workers=DETAIL_WORKERS) as pool:
        buckets = tuple(pool.map(lambda name: _bucket(s3, name), names))
    s3control = clients("s3control")
    account_block = read(
        s3control,
        lambda: PublicAccessBlock.parse(
            s3control.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"]
        ),
        missing=("NoSuchPublicAccessBlockConfiguration",),
    )
    return S3Data(buckets=buckets, account_public_access_block=account_block)


def _bucket(s3: Any, name: str) -> Bucket:
    return Bucket(
        name=name,
        location=read(s3, lambda: _location(s3.get_bucket_location(Bucket=name))),
        policy=_policy(
            read(s3, lambda: s3.get_bucket_policy(Bucket=name)["Policy"], missing=("NoSuchBucketPolicy",))
        ),
        public_access_block=read(
            s3,
            lambda: PublicAccessBlock.parse(
                s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            ),
            missing=("NoSuchPublicAccessBlockConfiguration",),
        ),
        acl=read(s3, lambda: _grants(s3.get_bucket_acl(Bucket=name))),
        encryption=read(
            s3,
            lambda: _encryption(s3.get_bucket_encryption(Bucket=name)),
            missing=("ServerSideEncryptionConfigurationNotFoundError",),
        ),
        versioning=read(s3, lambda: _versioning(s3.get_bucket_versioning(Bucket=name))),
        logging_target=read(
            s3, lambda: s3.get_bucket_logging(Bucket=name).get("LoggingEnabled", {}).get("TargetBucket")
        ),
        management=read_management(s3, name),
    )


def _location(response: dict[str, Any]) -> str:
    """GetBucketLocation answers None for us-east-1 and "EU" for the oldest eu-west-1 buckets."""
    constraint = response.get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, str(constraint))


def _policy(raw: str | Unknown | None) -> dict[str, Any] | Unknown | None:
    if raw is None or isinstance(raw, Unknown):
        return raw
    try:
        document = json.loads(raw)
    except ValueError:
        return Unknown("the bucket policy is not valid JSON")
    return document if isinstance(document, dict) else Unknown("the bucket policy is not a JSON object")


def _grants(response: dict[str, Any]) -> tuple[Grant, ...]:
    grants = []
    for grant in response.get("Grants", []):
        grantee = grant.get("Grantee", {})
        who = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or ""
        grants.append(Grant(grantee=str(who), permission=str(grant.get("Permission", ""))))
    return tuple(grants)


def _encryption(response: dict[str, Any]) -> Encryption | None:
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default:
            return Encryption(
                algorithm=str(default.get("SSEAlgorithm")), kms_key=default.get("KMSMasterKeyID")
            )
    return None


def _versioning(response: dict[str, Any]) -> Versioning:
    return Versioning(status=response.get("Status"), mfa_delete=response.get("MFADelete") == "Enabled")


# ---- helpers for the checks -------------------------------------------------------------------

BucketJudge = Callable[[Bucket, S3Data, str], Result | None]


def judge_buckets(
    inventory: Inventory, judge: BucketJudge, nothing: str = "the account has no S3 buckets"
) -> Iterator[Result]:
    """judge(bucket, s3 data, bucket ARN) for every bucket (None leaves one out); ERROR when the
    list could not be read, NOT_APPLICABLE with `nothing` when no bucket was judged."""
    s3 = inventory.account(SERVICE)
    if isinstance(s3, Unknown):
        yield Result.error(inventory.account_arn, GLOBAL, s3)
        return
    results = [r for b in s3.buckets if (r := judge(b, s3, b.arn(inventory.partition))) is not None]
    why = nothing if s3.buckets else "the account has no S3 buckets"
    yield from results or [Result.not_applicable(inventory.account_arn, GLOBAL, why)]


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy.get("Statement", [])
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def matches_action(statement: dict[str, Any], action: str) -> bool:
    """Whether the statement's Action (or NotAction) covers `action`; IAM actions ignore case."""
    if "NotAction" in statement:
        return not any(fnmatchcase(action.lower(), str(p).lower()) for p in as_list(statement["NotAction"]))
    return any(fnmatchcase(action.lower(), str(p).lower()) for p in as_list(statement.get("Action")))


def principal_is_everyone(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:  # everyone but the named principals
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))


def principal_accounts(statement: dict[str, Any]) -> set[str]:
    """The account ids of the statement's AWS principals ("arn:aws:iam::111122223333:root" or a bare id)."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return set()
    accounts = set()
    for value in as_list(principal.get("AWS")):
        text = str(value)
        if text.isdigit():
            accounts.add(text)
        elif text.startswith("arn:") and len(text.split(":")) > 4:
            accounts.add(text.split(":")[4])
    return accounts


# Condition keys that narrow a statement to known callers, as AWS's own "is public" analysis does.
NARROWING_KEYS = {
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
}


def narrowed_by_condition(statement: dict[str, Any], keys: set[str] = NARROWING_KEYS) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator in condition.values():
        if not isinstance(operator, dict):
            continue
        for key, values in operator.items():
            wide = any(str(v) in ("*", "0.0.0.0/0", "::/0") for v in as_list(values))
            if key.lower() in keys and not wide:
                return True
    return False


def blocked(bucket: Bucket, s3: S3Data, setting: str) -> bool | Unknown:
    """Whether a Block Public Access setting is on for the bucket, at its level or the account's."""
    unknown: Unknown | None = None
    for config in (bucket.public_access_block, s3.account_public_access_block):
        if isinstance(config, Unknown):
            unknown = config if unknown is None else unknown
        elif config is not None and getattr(config, setting):
            return True
    return False if unknown is None else unknown  # an Unknown is falsy: never `unknown or ...`


ACL_PERMISSIONS = {
    "read": ("READ", "READ_ACP", "FULL_CONTROL"),
    "write": ("WRITE", "WRITE_ACP", "FULL_CONTROL"),
}
POLICY_ACTIONS = {
    "read": ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"),
    "write": (
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectAcl",
        "s3:PutBucketPolicy",
    ),
}


def public_exposure(bucket: Bucket, s3: S3Data, access: Literal["read", "write"]) -> list[str] | Unknown:
    """Why everyone can `access` the bucket (empty: no one), or why that could not be told.

    A public ACL grant counts unless IgnorePublicAcls is on (bucket or account); a public policy
    statement unless RestrictPublicBuckets is. A known exposure wins over an unknown elsewhere.
    """
    reasons: list[str] = []
    unknowns: list[Unknown] = []
    ignored = blocked(bucket, s3, "ignore_public_acls")
    if ignored is not True:
        if isinstance(bucket.acl, Unknown):
            unknowns.append(bucket.acl)
        else:
            public = [
                f"its ACL grants {g.permission} to {PUBLIC_GROUPS[g.grantee]}"
                for g in bucket.acl
                if g.grantee in PUBLIC_GROUPS and g.permission in ACL_PERMISSIONS[access]
            ]
            if public and isinstance(ignored, Unknown):
                unknowns.append(ignored)
            else:
                reasons.extend(public)
    restricted = blocked(bucket, s3, "restrict_public_buckets")
    if restricted is not True:
        if isinstance(bucket.policy, Unknown):
            unknowns.append(bucket.policy)
        elif bucket.policy is not None:
            actions = sorted(
                {
                    action
                    for statement in statements(bucket.policy)
                    if statement.get("Effect") == "Allow"
                    and principal_is_everyone(statement)
                    and not narrowed_by_condition(statement)
                    for action in POLICY_ACTIONS[access]
                    if matches_action(statement, action)
                }
            )
            if actions and isinstance(restricted, Unknown):
                unknowns.append(restricted)
            elif actions:
                reasons.append(f"its policy allows {', '.join(actions)} to everyone")
    if reasons or not unknowns:
        return reasons
    return unknowns[0]


_PUBLIC_WORDS = {"read": ("read it", "readable"), "write": ("write to it", "writable")}


def judge_public_access(inventory: Inventory, access: Literal["read", "write"]) -> Iterator[Result]:
    """Each bucket: FAIL naming what lets everyone `access` it (ACL or policy), ERROR if unknown."""
    verb, adjective = _PUBLIC_WORDS[access]

    def judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
        exposure = public_exposure(bucket, s3, access)
        if isinstance(exposure, Unknown):
            return Result.error(arn, bucket.region, exposure)
        return Result.verdict(
            not exposure,
            arn,
            bucket.region,
            passed=f"neither the bucket's ACL nor its policy lets the public {verb}",
            failed=f"the bucket is publicly {adjective}: {'; '.join(exposure)}",
        )

    return judge_buckets(inventory, judge)
