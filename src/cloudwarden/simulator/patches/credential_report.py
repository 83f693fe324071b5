"""IAM's credential report and account summary as in AWS: a root line, real dates, real ages.

moto's credential report (GenerateCredentialReport / GetCredentialReport) has no
``<root_account>`` line, which real AWS always puts first; its GeneratedTime is a constant from
2015; its user lines say ``not_supported`` where AWS says ``N/A`` or names the region and service
a key was last used in, and give a password-less user a password_last_changed date. Its
GetAccountSummary always says AccountMFAEnabled 0 and AccountAccessKeysPresent 0. And nothing
in moto's HTTP API can make an IAM user, access key or password old, so every age-based audit
check (keys older than 90 days, credentials unused for 45 days) passes on a fresh simulation.

Here:

- the report is built by this module: the root line first, from the simulated root state, then
  one line per user in AWS's format (``N/A`` for what never happened, ``no_information`` for a
  password never used, the key's last-used region and service, password_next_rotation from the
  password policy's MaxPasswordAge); GeneratedTime is when GenerateCredentialReport was called;
- GetAccountSummary's AccountMFAEnabled / AccountAccessKeysPresent (and MFADevices /
  MFADevicesInUse, for a virtual root MFA device) follow the simulated root state;
- ListVirtualMFADevices lists the root's virtual device (``mfa/root-account-mfa-device``, as AWS
  names it) while the simulated root has a virtual MFA device;
- the injector ``root_credentials`` sets one account's simulated root state: its access keys
  (at most two: active or not, last rotated, last used when, where and through what), whether
  MFA is on and whether it is a virtual device, when the root password was last used, and when
  the account was created. An injection replaces the account's whole root state; ``reset()``
  forgets every account's (a root nobody injected has no keys, no MFA, an unused password);
- the injector ``backdate_iam`` rewrites dates on moto's own IAM objects, in-process: users'
  CreateDate, PasswordLastUsed and password-last-changed, access keys' CreateDate (the report's
  last_rotated) and last use (GetAccessKeyLastUsed too), roles' CreateDate and RoleLastUsed.
  The dates live on moto's objects, so they go with them at ``/moto-api/reset``.

One more IAM view an audit reads and moto gets wrong: GetAccountAuthorizationDetails lists
customer-managed policies (``Policies``) without PolicyName and PolicyId, so a scanner that
reads policies from it cannot name a "*:*" policy; moto's policies here answer to both.

The account's creation date (the root line's user_creation_time), unless injected, is the
earliest date the account's IAM shows (a user, key, role or group; a root key or login), so a
backdated user never predates its account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, model_validator

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches._support import (
    StrictPayload,
    as_utc,
    install,
    parse_payload,
    utc_now,
)

ROOT_USER = "<root_account>"
ROOT_MFA_DEVICE = "root-account-mfa-device"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"
REPORT_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
# Attributes this module keeps on moto's objects (they vanish with the objects at a moto reset).
_PASSWORD_CHANGED = "_cloudwarden_password_last_changed"  # noqa: S105 - an attribute name
_GENERATED_AT = "_cloudwarden_report_generated_at"
_CLOCK_SKEW = timedelta(minutes=5)  # how far in the future an injected date may be

_lock = threading.RLock()
_roots: dict[str, RootState] = {}
_originals: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class RootKey:
    active: bool
    last_rotated: datetime
    last_used: datetime | None = None
    last_used_region: str | None = None
    last_used_service: str | None = None


@dataclass(frozen=True)
class RootState:
    """One account's root user as the simulation shows it; the default is a root never touched."""

    access_keys: tuple[RootKey, ...] = field(default_factory=tuple)
    mfa_active: bool = False
    mfa_virtual: bool = False
    mfa_enabled_at: datetime | None = None
    password_last_used: datetime | None = None
    account_created: datetime | None = None


def root_state(account_id: str) -> RootState:
    with _lock:
        return _roots.get(account_id, RootState())


# -- the report ------------------------------------------------------------------------------


def _fmt(moment: datetime | None, missing: str = "N/A") -> str:
    return as_utc(moment).strftime(DATE_FORMAT) if moment is not None else missing


def _naive_utc(moment: datetime) -> datetime:
    """moto stores naive UTC datetimes."""
    return as_utc(moment).replace(tzinfo=None)


def _key_columns(key: Any | None) -> list[str]:
    """active, last_rotated, last_used_date, last_used_region, last_used_service of a moto key."""
    if key is None:
        return ["false", "N/A", "N/A", "N/A", "N/A"]
    used = key.last_used
    if used is None:
        used_columns = ["N/A", "N/A", "N/A"]
    elif isinstance(used, datetime):  # moto lets callers store a bare datetime
        used_columns = [_fmt(used), "N/A", "N/A"]
    else:
        used_columns = [_fmt(used.timestamp), used.region or "N/A", used.service or "N/A"]
    return ["true" if key.status == "Active" else "false", _fmt(key.create_date), *used_columns]


def _root_key_columns(key: RootKey | None) -> list[str]:
    if key is None:
        return ["false", "N/A", "N/A", "N/A", "N/A"]
    if key.last_used is None:
        used = ["N/A", "N/A", "N/A"]
    else:
        used = [_fmt(key.last_used), key.last_used_region or "N/A", key.last_used_service or "N/A"]
    return ["true" if key.active else "false", _fmt(key.last_rotated), *used]


def _password_changed(user: Any) -> datetime:
    changed = getattr(user, _PASSWORD_CHANGED, None)
    return changed if isinstance(changed, datetime) else user.create_date


def _user_row(backend: Any, user: Any) -> list[str]:
    if user.password:
        changed = _password_changed(user)
        policy = backend.account_password_policy
        max_age = getattr(policy, "max_password_age", 0) or 0
        password = [
            "true",
            _fmt(user.password_last_used, "no_information"),
            _fmt(changed),
            _fmt(changed + timedelta(days=max_age)) if max_age > 0 else "N/A",
        ]
    else:
        password = ["false", "N/A", "N/A", "N/A"]
    keys = [*user.access_keys[:2], None, None]
    certs = [*list(user.signing_certificates.values())[:2], None, None]
    cert_columns: list[str] = []
    for cert in certs[:2]:
        if cert is None:
            cert_columns += ["false", "N/A"]
        else:
            cert_columns += ["true" if cert.status == "Active" else "false", _fmt(cert.upload_date)]
    return [
        user.name,
        user.arn,
        _fmt(user.create_date),
        *password,
        "true" if user.mfa_devices else "false",
        *_key_columns(keys[0]),
        *_key_columns(keys[1]),
        *cert_columns,
    ]


def _account_created(backend: Any, state: RootState, now: datetime) -> datetime:
    if state.account_created is not None:
        return as_utc(state.account_created)
    moments: list[datetime] = [now]
    for user in list(backend.users.values()):
        moments.append(user.create_date)
        moments.extend(key.create_date for key in user.access_keys)
    moments.extend(role.create_date for role in list(backend.roles.values()))
    moments.extend(group.create_date for group in list(backend.groups.values()))
    for root_key in state.access_keys:
        moments.append(root_key.last_rotated)
    if state.password_last_used is not None:
        moments.append(state.password_last_used)
    return min(as_utc(moment) for moment in moments)


def _root_row(backend: Any, state: RootState, now: datetime) -> list[str]:
    keys: list[RootKey | None] = [*state.access_keys[:2], None, None]
    return [
        ROOT_USER,
        _root_arn(backend),
        _fmt(_account_created(backend, state, now)),
        "not_supported",
        _fmt(state.password_last_used, "no_information"),
        "not_supported",
        "not_supported",
        "true" if state.mfa_active else "false",
        *_root_key_columns(keys[0]),
        *_root_key_columns(keys[1]),
        "false",
        "N/A",
        "false",
        "N/A",
    ]


def _root_arn(backend: Any) -> str:
    return f"arn:{backend.partition}:iam::{backend.account_id}:root"


def credential_report(backend: Any) -> str:
    """The report AWS would give for this IAM backend (one account, one partition)."""
    now = utc_now()
    rows = [list(REPORT_COLUMNS), _root_row(backend, root_state(backend.account_id), now)]
    rows += [_user_row(backend, user) for user in list(backend.users.values())]
    return "".join(",".join(row) + "\n" for row in rows)


def _get_credential_report(self: Any) -> str:
    from moto.iam.exceptions import ReportNotPresentException

    if not self.credential_report:
        raise ReportNotPresentException("Credential report not present")
    return credential_report(self)


def _generate_report(self: Any) -> None:
    _originals["generate_report"](self)
    setattr(self, _GENERATED_AT, utc_now().replace(microsecond=0))


def _get_credential_report_response(self: Any) -> Any:
    from moto.core.responses import ActionResult

    report = self.backend.get_credential_report()
    generated = getattr(self.backend, _GENERATED_AT, None) or utc_now().replace(microsecond=0)
    return ActionResult({"Content": report, "ReportFormat": "text/csv", "GeneratedTime": generated})


# -- login profiles remember when their password changed ---------------------------------------


def _create_login_profile(self: Any, user_name: str, password: str) -> Any:
    user = _originals["create_login_profile"](self, user_name, password)
    setattr(user, _PASSWORD_CHANGED, utc_now().replace(tzinfo=None))
    return user


def _update_login_profile(self: Any, user_name: str, password: str, password_reset_required: bool) -> Any:
    user = _originals["update_login_profile"](self, user_name, password, password_reset_required)
    if password:
        setattr(user, _PASSWORD_CHANGED, utc_now().replace(tzinfo=None))
    return user


# -- the account summary and the root's virtual MFA device ---------------------------------------


def _summary_map(self: Any) -> dict[str, Any]:
    summary: dict[str, Any] = dict(_originals["summary_map"](self))
    state = root_state(self._iam_backend.account_id)
    summary["AccountMFAEnabled"] = 1 if state.mfa_active else 0
    summary["AccountAccessKeysPresent"] = 1 if state.access_keys else 0
    if state.mfa_active and state.mfa_virtual:
        summary["MFADevices"] = int(summary.get("MFADevices", 0)) + 1
        summary["MFADevicesInUse"] = int(summary.get("MFADevicesInUse", 0)) + 1
    return summary


def _root_virtual_device(backend: Any, state: RootState) -> dict[str, Any]:
    now = utc_now()
    created = _account_created(backend, state, now)
    user: dict[str, Any] = {
        "Path": "/",
        "UserId": backend.account_id,
        "Arn": _root_arn(backend),
        "CreateDate": created,
    }
    if state.password_last_used is not None:
        user["PasswordLastUsed"] = as_utc(state.password_last_used)
    return {
        "SerialNumber": f"arn:{backend.partition}:iam::{backend.account_id}:mfa/{ROOT_MFA_DEVICE}",
        "User": user,
        "EnableDate": as_utc(state.mfa_enabled_at) if state.mfa_enabled_at is not None else created,
    }


def _list_virtual_mfa_devices(
    self: Any, assignment_status: str, marker: str | None, max_items: int
) -> tuple[list[Any], str | None]:
    from moto.iam.exceptions import ValidationError

    state = root_state(self.account_id)
    devices: list[Any] = list(self.virtual_mfa_devices.values())
    if assignment_status == "Assigned":
        devices = [device for device in devices if device.enable_date]
    if assignment_status == "Unassigned":
        devices = [device for device in devices if not device.enable_date]
    if state.mfa_active and state.mfa_virtual and assignment_status != "Unassigned":
        devices.insert(0, _root_virtual_device(self, state))
    limit = int(max_items)
    start = int(marker) if marker else 0
    if start > len(devices):
        raise ValidationError("Invalid Marker.")
    page = devices[start : start + limit]
    return page, (str(start + limit) if start + limit < len(devices) else None)


# -- GetAccountAuthorizationDetails: managed policies with their names -----------------------------


def _policy_name(self: Any) -> str:
    return str(self.name)


def _policy_id(self: Any) -> str:
    return str(self.id)


# -- install -------------------------------------------------------------------------------------


def apply() -> None:
    from moto.iam.models import AccountSummary, IAMBackend, Policy
    from moto.iam.responses import IamResponse

    with _lock:
        if _originals:
            return
        _originals["generate_report"] = IAMBackend.generate_report
        _originals["create_login_profile"] = IAMBackend.create_login_profile
        _originals["update_login_profile"] = IAMBackend.update_login_profile
        _originals["summary_map"] = AccountSummary.__dict__["summary_map"].fget
        install(IAMBackend, "get_credential_report", _get_credential_report)
        install(IAMBackend, "generate_report", _generate_report)
        install(IAMBackend, "create_login_profile", _create_login_profile)
        install(IAMBackend, "update_login_profile", _update_login_profile)
        install(IAMBackend, "list_virtual_mfa_devices", _list_virtual_mfa_devices)
        install(IamResponse, "get_credential_report", _get_credential_report_response)
        # The serialiser looks for `policy_name` / `policy_id` (ManagedPolicyDetail's PolicyName,
        # PolicyId); moto's Policy has `name` and `id` only.
        for attribute, getter in (("policy_name", _policy_name), ("policy_id", _policy_id)):
            if not hasattr(Policy, attribute):
                install(Policy, attribute, property(getter))  # type: ignore[arg-type]
        AccountSummary.summary_map = property(_summary_map)  # type: ignore[assignment,method-assign]


def reset() -> None:
    with _lock:
        _roots.clear()


# -- injectors -----------------------------------------------------------------------------------


def _not_future(moment: datetime | None, name: str) -> None:
    if moment is not None and as_utc(moment) > utc_now() + _CLOCK_SKEW:
        raise ValueError(f"{name} is in the future")


class RootKeyPayload(StrictPayload):
    active: bool = True
    last_rotated: datetime  # when the key was created (AWS: access_key_N_last_rotated)
    last_used: datetime | None = None  # null: never used
    last_used_region: str | None = None  # default: the injection's region, if used
    last_used_service: str | None = None  # default: "iam", if used

    @model_validator(mode="after")
    def _ordered(self) -> RootKeyPayload:
        _not_future(self.last_rotated, "last_rotated")
        _not_future(self.last_used, "last_used")
        if self.last_used is not None and as_utc(self.last_used) < as_utc(self.last_rotated):
            raise ValueError("last_used is before last_rotated")
        if self.last_used is None and (self.last_used_region or self.last_used_service):
            raise ValueError("last_used_region/last_used_service given for a key never used")
        return self


class RootCredentialsPayload(StrictPayload):
    access_keys: list[RootKeyPayload] = Field(default_factory=list, max_length=2)
    mfa_active: bool = False
    mfa_virtual: bool = False  # a virtual (not hardware) device; needs mfa_active
    mfa_enabled_at: datetime | None = None
    password_last_used: datetime | None = None  # null: never (no_information)
    account_created: datetime | None = None  # default: the earliest date IAM shows

    @model_validator(mode="after")
    def _consistent(self) -> RootCredentialsPayload:
        if self.mfa_virtual and not self.mfa_active:
            raise ValueError("mfa_virtual needs mfa_active")
        if self.mfa_enabled_at is not None and not self.mfa_active:
            raise ValueError("mfa_enabled_at needs mfa_active")
        for name in ("mfa_enabled_at", "password_last_used", "account_created"):
            _not_future(getattr(self, name), name)
        if self.account_created is not None:
            created = as_utc(self.account_created)
            dated = [("password_last_used", self.password_last_used), ("mfa_enabled_at", self.mfa_enabled_at)]
            dated += [
                (f"access_keys.{i}.last_rotated", k.last_rotated) for i, k in enumerate(self.access_keys)
            ]
            for name, moment in dated:
                if moment is not None and as_utc(moment) < created:
                    raise ValueError(f"{name} is before account_created")
        return self


def _inject_root_credentials(request: InjectRequest) -> dict[str, Any]:
    payload = parse_payload(RootCredentialsPayload, request.payload, "root_credentials")
    state = RootState(
        access_keys=tuple(
            RootKey(
                active=key.active,
                last_rotated=as_utc(key.last_rotated),
                last_used=as_utc(key.last_used) if key.last_used is not None else None,
                last_used_region=(key.last_used_region or request.region) if key.last_used else None,
                last_used_service=(key.last_used_service or "iam") if key.last_used else None,
            )
            for key in payload.access_keys
        ),
        mfa_active=payload.mfa_active,
        mfa_virtual=payload.mfa_virtual,
        mfa_enabled_at=as_utc(payload.mfa_enabled_at) if payload.mfa_enabled_at is not None else None,
        password_last_used=as_utc(payload.password_last_used) if payload.password_last_used else None,
        account_created=as_utc(payload.account_created) if payload.account_created is not None else None,
    )
    with _lock:
        _roots[request.account_id] = state
    backend = _iam_backend(request)
    return {"root": dict(zip(REPORT_COLUMNS, _root_row(backend, state, utc_now()), strict=True))}


class BackdateKeyPayload(StrictPayload):
    access_key_id: str = Field(min_length=16)
    created: datetime | None = None  # the report's last_rotated
    last_used: datetime | None = None  # given as null: never used
    last_used_region: str | None = None  # default: the injection's region
    last_used_service: str | None = None  # default: "s3"


class BackdateUserPayload(StrictPayload):
    user_name: str = Field(min_length=1)
    created: datetime | None = None  # also the password's last change, unless that is given
    password_last_used: datetime | None = None  # given as null: never used
    password_last_changed: datetime | None = None
    access_keys: list[BackdateKeyPayload] = Field(default_factory=list)


class BackdateRolePayload(StrictPayload):
    role_name: str = Field(min_length=1)
    created: datetime | None = None
    last_used: datetime | None = None  # given as null: never used
    last_used_region: str | None = None  # default: the injection's region


class BackdateIamPayload(StrictPayload):
    users: list[BackdateUserPayload] = Field(default_factory=list)
    roles: list[BackdateRolePayload] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> BackdateIamPayload:
        if not self.users and not self.roles:
            raise ValueError("nothing to backdate: give users and/or roles")
        return self


def _iam_backend(request: InjectRequest) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[request.account_id][get_partition(request.region)]


def _check_order(pairs: Iterable[tuple[str, datetime | None, str, datetime | None]]) -> None:
    """Each (earlier name, earlier, later name, later): later must not precede earlier."""
    for early_name, early, late_name, late in pairs:
        if early is not None and late is not None and as_utc(late) < as_utc(early):
            raise ValueError(f"{late_name} is before {early_name}")


def _user_to_backdate(backend: Any, change: BackdateUserPayload) -> Any:
    """The user `change` names, once the change is known to be consistent; changes nothing."""
    user = backend.users.get(change.user_name)
    if user is None:
        raise ValueError(f"field 'users': no IAM user {change.user_name!r} in this account")
    keys = {key.access_key_id: key for key in user.access_keys}
    for name in ("created", "password_last_used", "password_last_changed"):
        _not_future(getattr(change, name), f"{change.user_name}.{name}")
    if (change.password_last_used or change.password_last_changed) and not user.password:
        raise ValueError(f"field 'users': user {change.user_name!r} has no password (login profile)")
    created = change.created if change.created is not None else user.create_date
    pairs: list[tuple[str, datetime | None, str, datetime | None]] = [
        ("created", created, "password_last_changed", change.password_last_changed),
        ("created", created, "password_last_used", change.password_last_used),
    ]
    key_changes = {key_change.access_key_id: key_change for key_change in change.access_keys}
    for key_id, key_change in key_changes.items():
        if key_id not in keys:
            raise ValueError(f"field 'users': user {change.user_name!r} has no access key {key_id!r}")
        _not_future(key_change.created, f"{key_id}.created")
        _not_future(key_change.last_used, f"{key_id}.last_used")
    for key_id, key in keys.items():
        dated = key_changes.get(key_id)
        key_created = dated.created if dated is not None and dated.created else key.create_date
        pairs.append((f"user {change.user_name}'s creation", created, f"{key_id}.created", key_created))
        if dated is not None:
            pairs.append((f"{key_id}.created", key_created, f"{key_id}.last_used", dated.last_used))
    _check_order(pairs)
    return user


def _backdate_user(backend: Any, user: Any, change: BackdateUserPayload, region: str) -> dict[str, Any]:
    from moto.iam.models import AccessKeyLastUsed

    if change.created is not None:
        user.create_date = _naive_utc(change.created)
    if "password_last_used" in change.model_fields_set:
        used = change.password_last_used
        user.password_last_used = _naive_utc(used) if used is not None else None
    if change.password_last_changed is not None:
        setattr(user, _PASSWORD_CHANGED, _naive_utc(change.password_last_changed))
    elif change.created is not None and user.password:
        # A password nobody dated was set when the user was made (usually so: a console user).
        setattr(user, _PASSWORD_CHANGED, user.create_date)
    keys = {key.access_key_id: key for key in user.access_keys}
    for key_change in change.access_keys:
        key = keys[key_change.access_key_id]
        if key_change.created is not None:
            key.create_date = _naive_utc(key_change.created)
        if "last_used" in key_change.model_fields_set:
            key.last_used = (
                AccessKeyLastUsed(
                    timestamp=_naive_utc(key_change.last_used),
                    service=key_change.last_used_service or "s3",
                    region=key_change.last_used_region or region,
                )
                if key_change.last_used is not None
                else None
            )
    return dict(zip(REPORT_COLUMNS, _user_row(backend, user), strict=True))


def _role_to_backdate(backend: Any, change: BackdateRolePayload) -> Any:
    role = next((r for r in list(backend.roles.values()) if r.name == change.role_name), None)
    if role is None:
        raise ValueError(f"field 'roles': no IAM role {change.role_name!r} in this account")
    _not_future(change.created, f"{change.role_name}.created")
    _not_future(change.last_used, f"{change.role_name}.last_used")
    created = change.created if change.created is not None else role.create_date
    _check_order([("created", created, f"{change.role_name}.last_used", change.last_used)])
    return role


def _backdate_role(role: Any, change: BackdateRolePayload, region: str) -> dict[str, Any]:
    if change.created is not None:
        role.create_date = _naive_utc(change.created)
    if "last_used" in change.model_fields_set:
        used = change.last_used
        role.last_used = _naive_utc(used) if used is not None else None
        role.last_used_region = (change.last_used_region or region) if used is not None else None
    return {
        "role_name": role.name,
        "create_date": _fmt(role.create_date),
        "last_used": _fmt(role.last_used, "never"),
    }


def _inject_backdate(request: InjectRequest) -> dict[str, Any]:
    payload = parse_payload(BackdateIamPayload, request.payload, "backdate_iam")
    backend = _iam_backend(request)
    with _lock:
        # Every change is checked before any is made: a bad payload changes nothing.
        users = [(_user_to_backdate(backend, change), change) for change in payload.users]
        roles = [(_role_to_backdate(backend, change), change) for change in payload.roles]
        return {
            "users": [_backdate_user(backend, user, change, request.region) for user, change in users],
            "roles": [_backdate_role(role, change, request.region) for role, change in roles],
        }


INJECTORS: dict[str, Injector] = {
    "root_credentials": _inject_root_credentials,
    "backdate_iam": _inject_backdate,
}
