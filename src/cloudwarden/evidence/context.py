"""What a collector gets: clients bound to one investigation's call log, and the gap list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.aws.permissions import iam_action
from cloudwarden.aws.session import AssumedSession, CallLog
from cloudwarden.evidence.model import EvidenceGap

T = TypeVar("T")


@dataclass
class CollectContext:
    session: AssumedSession
    call_log: CallLog = field(default_factory=CallLog)
    gaps: list[EvidenceGap] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, *, region: str | None = None) -> Any:
        """A client of the customer's session bound to the call log; `region` defaults to the session's.

        Another region (a secret kept elsewhere) uses the same in-memory session credentials.
        """
        key = service if region is None else f"{service}@{region}"
        if key not in self._clients:
            self._clients[key] = self.session.client(service, call_log=self.call_log, region=region)
        return self._clients[key]

    def guarded(self, source: str, service: str, get: Callable[[], T]) -> T | None:
        """Run a collector's `get`; a failed AWS call becomes a visible gap, never a crash."""
        try:
            return get()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            prefix = self.client(service).meta.service_model.endpoint_prefix
            self.gaps.append(
                EvidenceGap(
                    source=source,
                    action=iam_action(prefix, exc.operation_name),
                    code=str(error.get("Code", "Error")),
                    message=str(error.get("Message", ""))[:300],
                )
            )
        except BotoCoreError as exc:
            self.gaps.append(
                EvidenceGap(
                    source=source, action=f"{service}:*", code=type(exc).__name__, message=str(exc)[:300]
                )
            )
        return None
