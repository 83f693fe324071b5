"""After AssumeRole: which evidence sources can this role actually read?

The mechanism only: `run` makes each `Probe` (one cheap read) on a client of its service and
reports, per probe, whether the source is usable. A denied call names the exact IAM action; a
"not found" answer proves the permission exists. Which probes there are is declared by the
evidence collectors (`cloudwarden.evidence.collector`), which this package must not import:
`cloudwarden.evidence.registry.probe` runs theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.aws.session import AssumedSession, CallLog

DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
}
ALLOWED_ERRORS = {"ResourceNotFoundException"}


@dataclass(frozen=True)
class Probe:
    """One cheap read that shows whether the role may use an evidence source.

    `source` is the name the result is reported under ("alarms", "ec2-status"), `service` the
    boto3 service name of the client it runs on ("cloudwatch", "elbv2"), `action` the IAM action
    the call exercises ("cloudwatch:DescribeAlarms"), named in the result when it is denied, and
    `call` makes that call on the client (computing anything time-dependent when called).
    """

    source: str
    service: str
    action: str
    call: Callable[[Any], object]


@dataclass(frozen=True)
class ProbeResult:
    source: str
    action: str
    usable: bool
    detail: str


def run(
    session: AssumedSession, checks: Iterable[Probe], call_log: CallLog | None = None
) -> list[ProbeResult]:
    """Make each check in order, one client per service; one result per check, in the same order."""
    results = []
    clients: dict[str, Any] = {}
    for check in checks:
        source, action = check.source, check.action
        if check.service not in clients:
            clients[check.service] = session.client(check.service, call_log=call_log)
        try:
            check.call(clients[check.service])
            results.append(ProbeResult(source, action, True, "ok"))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ALLOWED_ERRORS:
                results.append(ProbeResult(source, action, True, "ok"))
            elif code in DENIED_CODES:
                results.append(ProbeResult(source, action, False, f"denied: {action}"))
            else:
                results.append(ProbeResult(source, action, False, f"{code or 'error'} calling {action}"))
        except BotoCoreError as exc:
            results.append(ProbeResult(source, action, False, f"{type(exc).__name__} calling {action}"))
    return results
