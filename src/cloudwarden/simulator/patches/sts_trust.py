"""AssumeRole as AWS enforces it for cross-account onboarding, and revocation of its sessions.

moto hands out credentials for any role ARN, existing or not, and ignores the trust policy's
ExternalId. CloudWarden's onboarding depends on both, so this patch makes the simulator:

- deny AssumeRole (``AccessDenied``) when the role does not exist, or when no trust-policy
  statement that names an AWS principal allows ``sts:AssumeRole`` under its ``sts:ExternalId``
  condition (StringEquals / StringLike, with ``...IfExists``); a missing or wrong ExternalId is
  denied. ExternalIds are compared in constant time;
- deny every call made with a session of a role that was deleted (or deleted and re-created:
  a new role has a new unique id) after the session was issued, and calls with expired sessions.

Not enforced, on purpose: the trust policy's Principal. CloudWarden's own principal is not a
real identity in the simulated account (its keys are the simulator's administrator keys), so
matching ``Principal.AWS`` against it would reject every legitimate onboarding. Statements whose
principal is only a Service or Federated principal are skipped, since an IAM caller can never
match them. Condition keys other than sts:ExternalId (aws:SourceIp, MFA, ...) are not evaluated.
Changing a trust policy affects only later AssumeRole calls, as in AWS: sessions already issued
stay valid until they expire or the role is deleted.

It also answers "who is calling" (``identity_for_access_key``, ``identity_from_arn``) for the
CloudTrail recorder and for AWS-shaped denial messages.
"""

from __future__ import annotations

import base64
import dataclasses
import fnmatch
import functools
import hashlib
import hmac
import json
import threading
import uuid
import xml.sax.saxutils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cloudwarden.simulator.patches import Injector

INJECTORS: dict[str, Injector] = {}

# Set on each wrapper we install, so apply() can tell whether a wrapper chain already holds it.
PATCH_MARKER = "_cloudwarden_patch"

_apply_lock = threading.Lock()
_sessions_lock = threading.Lock()
# Access key id -> unique id of the role the session was issued for (detects delete + re-create).
_session_role_ids: dict[str, str] = {}
# IAM's action prefix where it differs from the signing name / endpoint prefix.
_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
# STS answers GetCallerIdentity even when every permission is denied.
_ALWAYS_ALLOWED = {("sts", "GetCallerIdentity")}


def apply() -> None:
    from moto.core.responses import BaseResponse
    from moto.sts.responses import TokenResponse

    with _apply_lock:
        if not is_patched(TokenResponse.assume_role, __name__):
            TokenResponse.assume_role = _checked_assume_role(TokenResponse.assume_role)  # type: ignore[method-assign,assignment]
        if not is_patched(BaseResponse.call_action, __name__):
            BaseResponse.call_action = _session_guard(BaseResponse.call_action)  # type: ignore[method-assign,assignment]


def reset() -> None:
    with _sessions_lock:
        _session_role_ids.clear()


def is_patched(function: Callable[..., Any], marker: str) -> bool:
    """Whether `function`, or anything it wraps, carries our patch marker `marker`."""
    current: Any = function
    while current is not None:
        if getattr(current, PATCH_MARKER, None) == marker:
            return True
        current = getattr(current, "__wrapped__", None)
    return False


def service_prefix(service_model: Any) -> str:
    """A service's name in eventSource and IAM actions: signing name, else endpoint prefix."""
    metadata = service_model.metadata
    return str(metadata.get("signingName") or metadata.get("endpointPrefix") or service_model.service_name)


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who made a call, in the shape CloudTrail's userIdentity needs."""

    type: str  # Root | IAMUser | AssumedRole | AWSService
    arn: str | None
    account_id: str | None
    principal_id: str | None
    username: str | None  # LookupEvents' Username: session, user name, "root"; none for services
    issuer_arn: str | None = None  # the role behind an assumed-role session
    issuer_id: str | None = None
    invoked_by: str | None = None

    def user_identity(self, access_key_id: str | None, creation_date: str) -> dict[str, Any]:
        if self.type == "AWSService":
            return {"type": "AWSService", "invokedBy": self.invoked_by}
        body: dict[str, Any] = {"type": self.type, "principalId": self.principal_id, "arn": self.arn}
        body["accountId"] = self.account_id
        if access_key_id:
            body["accessKeyId"] = access_key_id
        if self.type == "IAMUser":
            body["userName"] = self.username
        if self.type == "AssumedRole" and self.issuer_arn:
            body["sessionContext"] = {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": self.issuer_id,
                    "arn": self.issuer_arn,
                    "accountId": self.account_id,
                    "userName": self.issuer_arn.rsplit("/", 1)[-1],
                },
                "webIdFederationData": {},
                "attributes": {"creationDate": creation_date, "mfaAuthenticated": "false"},
            }
        return body


def identity_from_arn(actor: str, account_id: str, partition: str = "aws") -> Identity:
    """Identity for a principal named by ARN (or by AWS service principal, e.g. ecs.amazonaws.com)."""
    if not actor.startswith("arn:"):
        if actor.endswith(".amazonaws.com"):
            return Identity(
                type="AWSService",
                arn=None,
                account_id=None,
                principal_id=None,
                username=None,
                invoked_by=actor,
            )
        actor = f"arn:{partition}:iam::{account_id}:user/{actor}"
    parts = actor.split(":", 5)
    account = (parts[4] if len(parts) == 6 else "") or account_id
    resource = parts[5] if len(parts) == 6 else actor
    last = resource.rsplit("/", 1)[-1]
    if resource == "root":
        return Identity(type="Root", arn=actor, account_id=account, principal_id=account, username="root")
    if resource.startswith(("assumed-role/", "role/")):
        role_name = resource.split("/")[1]
        role = _find_role(account, partition, name=role_name)
        role_id = role.id if role is not None else _synthetic_id("AROA", f"{account}/{role_name}")
        role_arn = role.arn if role is not None else f"arn:{partition}:iam::{account}:role/{role_name}"
        return Identity(
            type="AssumedRole", arn=actor, account_id=account, principal_id=f"{role_id}:{last}",
            username=last, issuer_arn=role_arn, issuer_id=role_id,
        )  # fmt: skip
    user = _iam(account, partition).users.get(last) if resource.startswith("user/") else None
    user_id = user.id if user is not None else _synthetic_id("AIDA", actor)
    return Identity(type="IAMUser", arn=actor, account_id=account, principal_id=user_id, username=last)


def identity_for_access_key(access_key: str, account_id: str, partition: str = "aws") -> Identity:
    """Identity moto knows for an access key: assumed-role session, IAM user, else the account root."""
    from moto.sts.models import sts_backends

    session = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key)
    if session is not None:
        role = _find_role(account_id, partition, arn=session.role_arn)
        role_id = role.id if role is not None else _synthetic_id("AROA", session.role_arn)
        return Identity(
            type="AssumedRole", arn=session.arn, account_id=account_id,
            principal_id=f"{role_id}:{session.session_name}", username=session.session_name,
            issuer_arn=session.role_arn, issuer_id=role_id,
        )  # fmt: skip
    user = _iam(account_id, partition).get_user_from_access_key_id(access_key)
    if user is not None:
        return Identity(
            type="IAMUser", arn=user.arn, account_id=account_id, principal_id=user.id, username=user.name
        )
    # The simulator's administrator keys are unknown to IAM: treat them as the account root.
    root_arn = f"arn:{partition}:iam::{account_id}:root"
    return Identity(
        type="Root", arn=root_arn, account_id=account_id, principal_id=account_id, username="root"
    )


def _iam(account_id: str, partition: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id][partition]


def _find_role(account_id: str, partition: str, *, name: str | None = None, arn: str | None = None) -> Any:
    for role in list(_iam(account_id, partition).get_roles()):  # snapshot: other threads write
        if role.name == name or role.arn == arn:
            return role
    return None


def access_key_for(identity: Identity) -> str | None:
    """A stable stand-in access key for a principal named only by ARN (one key per actor)."""
    if identity.type == "AWSService" or identity.arn is None:
        return None  # services act without keys of the account's
    return _synthetic_id("ASIA" if identity.type == "AssumedRole" else "AKIA", identity.arn)[:20]


def _synthetic_id(prefix: str, seed: str) -> str:
    """A stable made-up unique id (AROA.../AIDA...) for a principal IAM does not hold."""
    return prefix + base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()[:17]


def trust_policy_allows(policy_document: str | dict[str, Any], external_id: str | None) -> bool:
    """Whether the trust policy lets an IAM principal call sts:AssumeRole with this ExternalId."""
    try:
        policy = json.loads(policy_document) if isinstance(policy_document, str) else policy_document
    except ValueError:
        return False  # an unreadable policy allows nothing
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict) or not _names_iam_principal(statement.get("Principal")):
            continue
        if not _matches_assume_role(statement.get("Action")):
            continue
        if not _conditions_hold(statement.get("Condition") or {}, external_id):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _names_iam_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "AWS" in principal


def _matches_assume_role(action: Any) -> bool:
    actions = [action] if isinstance(action, str) else action if isinstance(action, list) else []
    return any(isinstance(a, str) and fnmatch.fnmatchcase("sts:assumerole", a.lower()) for a in actions)


def _conditions_hold(conditions: dict[str, Any], external_id: str | None) -> bool:
    for operator, clauses in conditions.items():
        if not isinstance(clauses, dict):
            return False
        for key, expected in clauses.items():
            if key.lower() != "sts:externalid":
                continue  # not evaluated; see the module docstring
            if not _external_id_matches(operator, expected, external_id):
                return False
    return True


def _external_id_matches(operator: str, expected: Any, external_id: str | None) -> bool:
    base = operator.removesuffix("IfExists")
    if external_id is None:
        return operator.endswith("IfExists")
    values = [expected] if isinstance(expected, str) else expected if isinstance(expected, list) else []
    given = external_id.encode()
    if base == "StringEquals":
        # Check every value so the time taken does not reveal which one (or whether any) matched.
        matches = [hmac.compare_digest(given, str(value).encode()) for value in values]
        return any(matches)
    if base == "StringLike":
        return any(fnmatch.fnmatchcase(external_id, str(value)) for value in values)
    return False  # other operators on the ExternalId are not understood: fail closed


def _checked_assume_role(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def assume_role(self: Any) -> Any:
        role_arn = self._get_param("RoleArn") or ""
        external_id = self._get_param("ExternalId")
        role = _role_by_arn(role_arn, self.partition)
        if role is None or not trust_policy_allows(role.assume_role_policy_document, external_id):
            caller = identity_for_access_key(self.access_key, self.current_account, self.partition)
            message = (
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )
            status, headers, body = access_denied(self, message)
            headers["status"] = str(status)
            return body, headers
        result = original(self)
        credentials = getattr(result, "result", {}).get("Credentials")
        if credentials is not None:
            with _sessions_lock:
                _session_role_ids[credentials.access_key_id] = role.id
        return result

    setattr(assume_role, PATCH_MARKER, __name__)
    return assume_role


def _session_guard(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(inner)
    def call_action(self: Any) -> Any:
        denial = _revoked_session_denial(self)
        return denial if denial is not None else inner(self)

    setattr(call_action, PATCH_MARKER, __name__)
    return call_action


def _revoked_session_denial(response: Any) -> tuple[int, dict[str, str], str] | None:
    """A denial if the request is signed with a session whose role is gone or which expired.

    In AWS a session keeps no permissions of its own: every call is evaluated against the
    role's current policies. Once the role is deleted there are none, so IAM denies each call
    with AccessDenied ("... because no identity-based policy allows ..."), until the session
    expires, after which STS rejects the token itself (ExpiredToken).
    """
    from moto.core.utils import get_service_model
    from moto.sts.models import sts_backends

    access_key = getattr(response, "access_key", "")
    if not access_key.startswith("ASIA"):
        return None
    action = response._get_action() or ""
    model = get_service_model(response.boto3_service_name)
    prefix = service_prefix(model)
    if (prefix, action) in _ALWAYS_ALLOWED:
        return None
    backend = sts_backends[response.current_account][response.partition]
    session = backend.get_assumed_role_from_access_key(access_key)
    if session is None:
        return None  # not a session moto issued (or issued before a reset): nothing to revoke
    if session.expiration.replace(tzinfo=UTC) < datetime.now(UTC):
        return access_denied(response, "The security token included in the request is expired", expired=True)
    role = _role_by_arn(session.role_arn, response.partition)
    with _sessions_lock:
        issued_for = _session_role_ids.get(access_key)
    if role is not None and (issued_for is None or issued_for == role.id):
        return None
    iam_action = f"{_IAM_PREFIX.get(prefix, prefix)}:{action}"
    message = (
        f"User: {session.arn} is not authorized to perform: {iam_action} "
        f"because no identity-based policy allows the {iam_action} action"
    )
    return access_denied(response, message)


def _role_by_arn(role_arn: str, partition: str) -> Any:
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    from moto.iam.models import iam_backends

    for role in list(iam_backends[parts[4]][partition].get_roles()):
        if role.arn == role_arn:
            return role
    return None


def access_denied(response: Any, message: str, *, expired: bool = False) -> tuple[int, dict[str, str], str]:
    """An AccessDenied (or ExpiredToken) error in the wire format of the request's protocol."""
    from moto.core.request import determine_request_protocol
    from moto.core.utils import get_service_model

    model = get_service_model(response.boto3_service_name)
    try:
        protocol = determine_request_protocol(model, response.headers.get("Content-Type", ""))
    except NotImplementedError:
        protocol = str(model.protocol)
    request_id = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        code = "ExpiredTokenException" if expired else "AccessDeniedException"
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": request_id,
        }
        # JSON services answer AccessDeniedException with 400, REST-JSON ones (Lambda) with 403.
        return (400 if protocol == "json" else 403), headers, json.dumps({"__type": code, "message": message})
    if protocol == "ec2":
        code = "RequestExpired" if expired else "UnauthorizedOperation"
        error = f"<Errors><Error><Code>{code}</Code><Message>{_xml(message)}</Message></Error></Errors>"
        body = f"<Response>{error}<RequestID>{request_id}</RequestID></Response>"
        return 403, {"Content-Type": "text/xml"}, body
    code = "ExpiredToken" if expired else "AccessDenied"
    error = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{_xml(message)}</Message></Error>"
    body = f"<ErrorResponse>{error}<RequestId>{request_id}</RequestId></ErrorResponse>"
    return 403, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body


def _xml(text: str) -> str:
    return xml.sax.saxutils.escape(text)
