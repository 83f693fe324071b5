"""IAM authorization of assumed-role sessions, as AWS does it, when the server is asked to.

moto can authorize requests against the caller's IAM policies, but only for every request at
once (after `INITIAL_NO_AUTH_ACTION_COUNT` requests), which would deny the simulator's own
administrator: its fixed keys belong to no IAM user. Enforced here, only requests signed with a
session token (an AssumeRole session: CloudWarden's read role) are checked, with moto's own
signature check and policy evaluation (identity policies, managed and inline, explicit deny
first). The administrator, which seeds the account, injects scenarios and calls AssumeRole for
CloudWarden, is never checked (sts_trust.py enforces the role's trust policy and ExternalId).

Covered: every request moto dispatches through `call_action`, which is every API CloudWarden
reads, including those CloudWarden's patches answer: cloudwatch:DescribeAlarmHistory and
GetMetricData, cloudtrail:LookupEvents, ecs:DescribeServices, ListTasks and DescribeTasks,
rds:DescribeEvents, ec2:DescribeInstanceStatus, guardduty:ListFindings and GetFindings (their
routes are added to moto's dispatch). tests/aws/test_least_privilege_enforced.py removes each
declared read in turn and requires it named as denied, so an API answered around this check
fails there. Not modelled by moto: resource-based policies, permission boundaries, SCPs and
most condition keys.

Process-wide, like every moto backend: on from `SimulatorServer(enforce_iam=True).start()` to
its `stop()`, for every server in the process; so an enforcing server runs in a process of its
own (`cloudwarden sim up --enforce-iam`).
"""

from __future__ import annotations

import html
import re
import warnings
from typing import Any
from urllib.parse import urlparse

from werkzeug.exceptions import HTTPException

from cloudwarden.aws.permissions import iam_action

_enabled = False
_installed = False


def enable() -> None:
    global _enabled
    _install()
    _enabled = True


def disable() -> None:
    """Back to moto's default (no authorization); the patched method stays, inert."""
    global _enabled
    _enabled = False


def enabled() -> bool:
    return _enabled


def apply() -> None:
    """Nothing until `enable()`: enforcement is a choice of the server, not a default."""


def reset() -> None:
    """Enforcement is a property of the process, not of the account's state."""


def _install() -> None:
    global _installed
    if _installed:
        return
    from moto.core.authorization import ActionAuthenticatorMixin

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if not _enabled or not _has_session_token(self.headers):
            return
        query = urlparse(self.uri).query
        iam_request = iam_request_cls(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path + (f"?{query}" if query else ""),
            # moto signs `body or data`: a GET's query parameters, already in the path, would be
            # signed again as a form body (rest-json services: Lambda, GuardDuty, ...).
            data={} if self.method in ("GET", "HEAD", "DELETE") else self.data,
            body=self.raw_body,
            headers=self.headers,
            action=self._get_action(),
        )
        service, operation = iam_request._action.split(":", 1)
        if self.raw_path.startswith(S3_CONTROL_PATH):  # signed as s3; IAM names it s3:GetAccount...
            iam_request._action = iam_action("s3-control", operation)
        else:
            # moto names the action by the signing name; IAM by the service prefix (monitoring -> cloudwatch).
            iam_request._action = f"{IAM_PREFIX.get(service, service)}:{operation}"
        try:
            iam_request.check_signature()
            iam_request.check_action_permitted(resource)
        except HTTPException as refused:
            if refused.code != 403 or "not authorized" not in str(refused.description):
                raise
            raise _denied(self, iam_request._action, str(refused.description)) from None

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]
    _name_s3_reads_as_iam_does()
    # moto warns when a service's model lists no access-denied error; AWS sends one all the same.
    warnings.filterwarnings("ignore", message=r"Exception\(Denied\)", category=UserWarning)
    _installed = True


IAM_PREFIX = {"monitoring": "cloudwatch"}
S3_CONTROL_PATH = "/v20180820/"  # every S3 Control API path starts with its version


def _name_s3_reads_as_iam_does() -> None:
    """moto's S3 ACTION_MAP lacks the query keys of these reads (its "public_access_block" is
    never a query key) and authorizes them as s3:ListBucket; IAM names them so (Service
    Authorization Reference), and so does cloudwarden.aws.permissions."""
    from moto.s3.responses import ACTION_MAP

    ACTION_MAP["BUCKET"]["GET"].update(
        {
            "encryption": "GetEncryptionConfiguration",
            "publicAccessBlock": "GetBucketPublicAccessBlock",
            "ownershipControls": "GetBucketOwnershipControls",
            "object-lock": "GetBucketObjectLockConfiguration",
        }
    )
    ACTION_MAP["CONTROL"]["GET"]["publicAccessBlock"] = "GetAccountPublicAccessBlock"


def _denied(response: Any, action: str, description: str) -> HTTPException:
    """AccessDenied in the service's own protocol (moto renders it as XML for every service)."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult
    from moto.core.utils import get_service_model

    message = re.search(r"<Message>(.*?)</Message>", description)
    text = html.unescape(message.group(1)) if message else f"not authorized to perform: {action}"
    protocol = response.determine_response_protocol(get_service_model(response.boto3_service_name))
    code = {"query": "AccessDenied", "ec2": "UnauthorizedOperation"}.get(protocol, "AccessDeniedException")

    class Denied(ServiceException):  # defined here: moto looks up a moto.<service> exception's model
        pass

    _, headers, body = response.serialized(ActionResult(Denied(code, text)))
    response.response_headers.update({k: v for k, v in headers.items() if k.lower() != "status"})
    error = HTTPException(description=body)
    error.code = 403
    return error


def _has_session_token(headers: Any) -> bool:
    names = headers.keys() if hasattr(headers, "keys") else (name for name, _ in headers)
    return any(str(name).lower() == "x-amz-security-token" for name in names)
