"""IAM, read once per account: the credential report, the password policy, the account summary,
the authorization details, the virtual MFA devices and the server certificates.

The credential report is IAM's own account-wide table of every user and the root user (password,
MFA, access keys and when each was last used); it is generated on request and read when ready.
GetAccountAuthorizationDetails gives, in one paginated call, every user, group and role with the
managed policies attached to it and its inline policy names, and every customer managed policy
with its default version's document. Each part is read on its own: one that fails is an Unknown
(with the action and the error) and the others are still judged.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate, read
from cloudwarden.posture.model import Unknown

SERVICE = "iam"
SCOPE: Literal["global", "regional"] = "global"
PERMISSIONS = permissions.declare(
    "posture.iam",
    (
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:GetAccountAuthorizationDetails",
        "iam:ListVirtualMFADevices",
        "iam:ListServerCertificates",
    ),
    purpose="posture: IAM users, root user, password policy, credential report, policies and their "
    "attachments, virtual MFA devices and server certificates",
)
REPORT_WAIT_SECONDS = 20.0
# Users, groups, roles and customer managed policies; AWS managed policies (over a thousand) are
# left out: the entities' attachments name the ones in use.
AUTHORIZATION_FILTER = ["User", "Group", "Role", "LocalManagedPolicy"]
NOT_COLLECTED = Unknown("this IAM detail was not collected")


@dataclass(frozen=True)
class CredentialRow:
    """One line of the credential report ("<root_account>" is the root user)."""

    user: str
    arn: str
    created: datetime | None
    password_enabled: bool
    password_last_used: datetime | None
    mfa_active: bool
    access_keys: tuple[tuple[bool, datetime | None, datetime | None], ...]  # (active, rotated, last used)
    password_last_changed: datetime | None = None

    @property
    def is_root(self) -> bool:
        return self.user == "<root_account>"

    @property
    def active_keys(self) -> list[tuple[int, datetime | None, datetime | None]]:
        """The active access keys as (slot 1 or 2, last rotated, last used)."""
        return [(n, rotated, used) for n, (active, rotated, used) in enumerate(self.access_keys, 1) if active]


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_length: int
    require_symbols: bool
    require_numbers: bool
    require_uppercase: bool
    require_lowercase: bool
    max_age_days: int | None
    reuse_prevention: int | None
    expire_passwords: bool


@dataclass(frozen=True)
class Principal:
    """A user, group or role, with what GetAccountAuthorizationDetails says about its policies."""

    kind: Literal["user", "group", "role"]
    name: str
    arn: str
    attached_policies: tuple[str, ...] = ()  # managed policy ARNs
    inline_policies: tuple[str, ...] = ()  # inline policy names
    # Each inline policy's document, by name (as the authorization details give them).
    inline_documents: tuple[tuple[str, dict[str, Any] | Unknown], ...] = ()


@dataclass(frozen=True)
class ManagedPolicy:
    """A customer managed policy and its default version's document."""

    name: str
    arn: str
    attachment_count: int
    boundary_count: int  # how many users and roles use it as a permissions boundary
    document: dict[str, Any] | Unknown

    def statements(self) -> list[dict[str, Any]]:
        """The document's statements ([] when it could not be parsed: check `document` first)."""
        if isinstance(self.document, Unknown):
            return []
        statements = self.document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        return [s for s in statements if isinstance(s, dict)]


@dataclass(frozen=True)
class Authorization:
    users: tuple[Principal, ...]
    groups: tuple[Principal, ...]
    roles: tuple[Principal, ...]
    policies: tuple[ManagedPolicy, ...]  # customer managed only

    def attached_to(self, policy_arn: str) -> list[Principal]:
        """The users, groups and roles the managed policy is attached to."""
        return [p for p in (*self.users, *self.groups, *self.roles) if policy_arn in p.attached_policies]


@dataclass(frozen=True)
class VirtualMfaDevice:
    serial: str
    user_arn: str | None  # the user (or the root user, arn:...:root) it is assigned to


@dataclass(frozen=True)
class ServerCertificate:
    name: str
    arn: str
    expiration: datetime | None


@dataclass(frozen=True)
class IamData:
    credential_report: list[CredentialRow] | Unknown
    password_policy: PasswordPolicy | Unknown | None  # None: the account has none
    summary: dict[str, int] | Unknown
    extra: dict[str, Any] = field(default_factory=dict)
    authorization: Authorization | Unknown = NOT_COLLECTED
    virtual_mfa_devices: tuple[VirtualMfaDevice, ...] | Unknown = NOT_COLLECTED  # assigned ones
    server_certificates: tuple[ServerCertificate, ...] | Unknown = NOT_COLLECTED

    def root(self) -> CredentialRow | Unknown | None:
        if isinstance(self.credential_report, Unknown):
            return self.credential_report
        return next((row for row in self.credential_report if row.is_root), None)

    def users(self) -> list[CredentialRow] | Unknown:
        if isinstance(self.credential_report, Unknown):
            return self.credential_report
        return [row for row in self.credential_report if not row.is_root]


def collect(clients: Clients, region: str, account_id: str) -> IamData:
    iam = clients("iam")
    return IamData(
        credential_report=read(iam, lambda: _credential_report(iam)),
        password_policy=read(
            iam, lambda: _password_policy(iam.get_account_password_policy()), missing=("NoSuchEntity",)
        ),
        summary=read(iam, lambda: dict(iam.get_account_summary()["SummaryMap"])),
        authorization=read(iam, lambda: _authorization(iam)),
        virtual_mfa_devices=read(iam, lambda: _virtual_mfa_devices(iam)),
        server_certificates=read(iam, lambda: _server_certificates(iam)),
    )


def _authorization(iam: Any) -> Authorization:
    users: list[Principal] = []
    groups: list[Principal] = []
    roles: list[Principal] = []
    policies: list[ManagedPolicy] = []
    pages = iam.get_paginator("get_account_authorization_details").paginate(Filter=AUTHORIZATION_FILTER)
    for page in pages:
        users += [_principal("user", u, "UserName", "UserPolicyList") for u in page.get("UserDetailList", [])]
        groups += [
            _principal("group", g, "GroupName", "GroupPolicyList") for g in page.get("GroupDetailList", [])
        ]
        roles += [_principal("role", r, "RoleName", "RolePolicyList") for r in page.get("RoleDetailList", [])]
        policies += [_policy(p) for p in page.get("Policies", [])]
    return Authorization(tuple(users), tuple(groups), tuple(roles), tuple(policies))


def _principal(
    kind: Literal["user", "group", "role"], item: dict[str, Any], name: str, inline: str
) -> Principal:
    return Principal(
        kind=kind,
        name=str(item[name]),
        arn=str(item["Arn"]),
        attached_policies=tuple(str(p["PolicyArn"]) for p in item.get("AttachedManagedPolicies") or []),
        inline_policies=tuple(str(p["PolicyName"]) for p in item.get(inline) or []),
        inline_documents=tuple(
            (str(p["PolicyName"]), _document(p.get("PolicyDocument"), str(p["PolicyName"])))
            for p in item.get(inline) or []
        ),
    )


def _policy(item: dict[str, Any]) -> ManagedPolicy:
    arn = str(item["Arn"])
    name = str(item.get("PolicyName") or arn.rsplit("/", 1)[-1])  # moto leaves PolicyName out
    versions = item.get("PolicyVersionList") or []
    default = next((v for v in versions if v.get("IsDefaultVersion")), None)
    document: dict[str, Any] | Unknown
    if default is None:
        document = Unknown(f"policy {name}: no default version in the authorization details")
    else:
        document = _document(default.get("Document"), name)
    return ManagedPolicy(
        name=name,
        arn=arn,
        attachment_count=int(item.get("AttachmentCount") or 0),
        boundary_count=int(item.get("PermissionsBoundaryUsageCount") or 0),
        document=document,
    )


def _document(raw: Any, policy: str) -> dict[str, Any] | Unknown:
    """botocore decodes policy documents; IAM sends them URL-encoded, so accept both."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(unquote(str(raw)))
    except ValueError:
        return Unknown(f"policy {policy}: its document is not valid JSON")
    return (
        parsed if isinstance(parsed, dict) else Unknown(f"policy {policy}: its document is not a JSON object")
    )


def _virtual_mfa_devices(iam: Any) -> tuple[VirtualMfaDevice, ...]:
    devices = paginate(iam, "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned")
    return tuple(
        VirtualMfaDevice(serial=str(d["SerialNumber"]), user_arn=(d.get("User") or {}).get("Arn"))
        for d in devices
    )


def _server_certificates(iam: Any) -> tuple[ServerCertificate, ...]:
    certificates = paginate(iam, "list_server_certificates", "ServerCertificateMetadataList")
    return tuple(
        ServerCertificate(
            name=str(c["ServerCertificateName"]), arn=str(c["Arn"]), expiration=c.get("Expiration")
        )
        for c in certificates
    )


def _credential_report(iam: Any) -> list[CredentialRow]:
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    while iam.generate_credential_report().get("State") != "COMPLETE":
        if time.monotonic() > deadline:
            raise TimeoutError("the IAM credential report was not ready within 20 s")
        time.sleep(0.5)
    content = iam.get_credential_report()["Content"]
    text = content.decode() if isinstance(content, bytes) else str(content)
    return [_row(line) for line in csv.DictReader(io.StringIO(text))]


def _row(line: dict[str, str]) -> CredentialRow:
    keys = tuple(
        (
            line.get(f"access_key_{n}_active") == "true",
            _when(line.get(f"access_key_{n}_last_rotated")),
            _when(line.get(f"access_key_{n}_last_used_date")),
        )
        for n in (1, 2)
    )
    return CredentialRow(
        user=line["user"],
        arn=line["arn"],
        created=_when(line.get("user_creation_time")),
        password_enabled=line.get("password_enabled") == "true",
        password_last_used=_when(line.get("password_last_used")),
        mfa_active=line.get("mfa_active") == "true",
        access_keys=keys,
        password_last_changed=_when(line.get("password_last_changed")),
    )


def _when(value: str | None) -> datetime | None:
    """The report writes N/A, not_supported or no_information where there is no date."""
    if not value or not value[0].isdigit():
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _password_policy(response: dict[str, Any]) -> PasswordPolicy:
    policy = response["PasswordPolicy"]
    return PasswordPolicy(
        minimum_length=int(policy.get("MinimumPasswordLength", 0)),
        require_symbols=bool(policy.get("RequireSymbols")),
        require_numbers=bool(policy.get("RequireNumbers")),
        require_uppercase=bool(policy.get("RequireUppercaseCharacters")),
        require_lowercase=bool(policy.get("RequireLowercaseCharacters")),
        max_age_days=policy.get("MaxPasswordAge"),
        reuse_prevention=policy.get("PasswordReusePrevention"),
        expire_passwords=bool(policy.get("ExpirePasswords")),
    )
