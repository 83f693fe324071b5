"""What a collector gets: clients bound to one investigation's call log, and the gap list.

Collection runs reads concurrently (evidence/branches.py). Each concurrent read gets a branch
of the context (`branch()`): the same session, call log and clients, but a gap list of its own,
which the investigation absorbs in a fixed order, so the gaps read the same whatever the timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.aws import rate_limits
from cloudwarden.aws.permissions import iam_action
from cloudwarden.aws.session import AssumedSession, CallLog
from cloudwarden.evidence.model import EvidenceGap

T = TypeVar("T")

# boto3 clients are thread-safe, boto3 sessions are not: creating a client reads the session's
# shared loader and event hooks. One session may serve several investigations at once (the
# broker caches sessions), so client creation is serialised process-wide; it is rare and short.
_CLIENT_CREATION = threading.Lock()


@dataclass
class CollectContext:
    session: AssumedSession
    call_log: CallLog = field(default_factory=CallLog)
    gaps: list[EvidenceGap] = field(default_factory=list)
    # Concurrent reads at most (None: evidence.collect.MAX_WORKERS); 1 collects sequentially.
    max_workers: int | None = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str, *, region: str | None = None) -> Any:
        """A client of the customer's session bound to the call log; `region` defaults to the session's.

        Another region (a secret kept elsewhere) uses the same in-memory session credentials.
        Operations with a low quota (CloudTrail LookupEvents) wait on the account's rate limiter.
        """
        key = service if region is None else f"{service}@{region}"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                with _CLIENT_CREATION:
                    client = self.session.client(service, call_log=self.call_log, region=region)
                rate_limits.install(
                    client, account_id=self.session.account_id, region=region or self.session.region
                )
                self._clients[key] = client
            return client

    def branch(self) -> CollectContext:
        """A context for one concurrent read: shared session, call log and clients; its own gaps."""
        return CollectContext(
            session=self.session,
            call_log=self.call_log,
            max_workers=self.max_workers,
            _clients=self._clients,
            _lock=self._lock,
        )

    def absorb(self, branch: CollectContext) -> None:
        """Take over a finished branch's gaps, after those already here."""
        self.add_gaps(branch.gaps)

    def add_gaps(self, gaps: list[EvidenceGap]) -> None:
        with self._lock:
            self.gaps.extend(gaps)

    def guarded(self, source: str, service: str, get: Callable[[], T]) -> T | None:
        """Run a collector's `get`; a failed AWS call becomes a visible gap, never a crash."""
        try:
            return get()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            prefix = self.client(service).meta.service_model.endpoint_prefix
            gap = EvidenceGap(
                source=source,
                action=iam_action(prefix, exc.operation_name),
                code=str(error.get("Code", "Error")),
                message=str(error.get("Message", ""))[:300],
            )
        except BotoCoreError as exc:
            gap = EvidenceGap(
                source=source, action=f"{service}:*", code=type(exc).__name__, message=str(exc)[:300]
            )
        self.add_gaps([gap])
        return None
