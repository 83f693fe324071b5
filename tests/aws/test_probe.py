"""The probe mechanism: one result per check, in order, naming the exact action a denial is for."""

from __future__ import annotations

from typing import Any, cast

from botocore.exceptions import ClientError, EndpointConnectionError

from cloudwarden.aws.probe import Probe, ProbeResult, run
from cloudwarden.aws.session import AssumedSession, CallLog


def _raise(code: str) -> Any:
    def call(client: Any) -> object:
        raise ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")

    return call


def _unreachable(client: Any) -> object:
    raise EndpointConnectionError(endpoint_url="https://example.invalid")


class _Session:
    def __init__(self) -> None:
        self.clients: list[tuple[str, CallLog | None]] = []

    def client(self, service: str, *, call_log: CallLog | None = None) -> object:
        self.clients.append((service, call_log))
        return object()


def test_run_reports_each_check_in_order() -> None:
    checks = [
        Probe("a", "svc1", "svc1:Read", lambda c: None),
        Probe("b", "svc1", "svc1:Get", _raise("ResourceNotFoundException")),
        Probe("c", "svc2", "svc2:List", _raise("AccessDeniedException")),
        Probe("d", "svc2", "svc2:Describe", _raise("UnauthorizedOperation")),
        Probe("e", "svc3", "svc3:Look", _raise("ThrottlingException")),
        Probe("f", "svc3", "svc3:Scan", _raise("")),
        Probe("g", "svc3", "svc3:Ping", _unreachable),
    ]
    session, log = _Session(), CallLog()
    assert run(cast(AssumedSession, session), checks, call_log=log) == [
        ProbeResult("a", "svc1:Read", True, "ok"),
        ProbeResult("b", "svc1:Get", True, "ok"),
        ProbeResult("c", "svc2:List", False, "denied: svc2:List"),
        ProbeResult("d", "svc2:Describe", False, "denied: svc2:Describe"),
        ProbeResult("e", "svc3:Look", False, "ThrottlingException calling svc3:Look"),
        ProbeResult("f", "svc3:Scan", False, "error calling svc3:Scan"),
        ProbeResult("g", "svc3:Ping", False, "EndpointConnectionError calling svc3:Ping"),
    ]
    # One client per service, each bound to the call log.
    assert session.clients == [("svc1", log), ("svc2", log), ("svc3", log)]
