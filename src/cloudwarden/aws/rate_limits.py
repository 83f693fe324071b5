"""Client-side rate limits for the AWS APIs whose quotas one investigation could exceed.

CloudTrail LookupEvents allows 2 requests per second per account and region, and AWS answers
ThrottlingException beyond that. Collection pages LookupEvents in two regions at once, and
several investigations of one account may run in one process, so every LookupEvents attempt
(retries included: the hook is botocore's per-attempt `before-send`) waits its turn on a limiter
shared by all clients of that account and region in the process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from cloudwarden.aws.permissions import iam_action

# IAM action -> (requests, per seconds), per account and region.
RATE_LIMITS: dict[str, tuple[int, float]] = {"cloudtrail:LookupEvents": (2, 1.0)}
# A request reaches AWS a little after it leaves (network, thread scheduling), and two requests
# may be delayed differently: keep this much more than the quota's period between them.
SAFETY_MARGIN_SECONDS = 0.1


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any window of `period` seconds; callers block until allowed."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._granted: deque[tuple[int, float]] = deque()  # (slot, time its window starts)
        self._next = 0
        self._lock = threading.Lock()

    def acquire(self) -> int:
        """Wait until one more request fits in the window and take the slot; returns the slot's
        id for `release`."""
        while True:
            with self._lock:
                now = self._clock()
                while self._granted and now - self._granted[0][1] >= self.period:
                    self._granted.popleft()
                if len(self._granted) < self.limit:
                    self._next += 1
                    self._granted.append((self._next, now))
                    return self._next
                delay = self.period - (now - self._granted[0][1])
            self._sleep(delay)  # outside the lock: others may check (and wait) meanwhile

    def release(self, slot: int) -> None:
        """The request of `slot` was answered: its window runs from now. A request reaches AWS
        some time after it is sent, so timing the window from the answer (which comes after the
        arrival) keeps the arrivals at AWS as far apart as the quota needs, whatever the delay."""
        with self._lock:
            now = self._clock()
            self._granted = deque(
                sorted(((s, now if s == slot else t) for s, t in self._granted), key=lambda item: item[1])
            )


_limiters: dict[tuple[str, str, str], SlidingWindowLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(action: str, *, account_id: str, region: str) -> SlidingWindowLimiter | None:
    """The process-wide limiter of `action` in one account and region; None if it has no quota here."""
    quota = RATE_LIMITS.get(action)
    if quota is None:
        return None
    key = (action, account_id, region)
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limit, period = quota
            limiter = _limiters[key] = SlidingWindowLimiter(limit, period + SAFETY_MARGIN_SECONDS)
        return limiter


def install(client: Any, *, account_id: str, region: str) -> None:
    """Make every attempt of a rate-limited operation of `client` wait on its limiter."""
    model = client.meta.service_model
    service_id = model.service_id.hyphenize()
    for action in RATE_LIMITS:
        operation = action.split(":", 1)[1]
        if iam_action(model.endpoint_prefix, operation) != action:
            continue
        limiter = limiter_for(action, account_id=account_id, region=region)
        if limiter is not None:
            slots = threading.local()
            client.meta.events.register(f"before-send.{service_id}.{operation}", _taker(limiter, slots))
            # After every attempt, answered or failed (botocore asks whether to retry each one).
            client.meta.events.register(f"needs-retry.{service_id}.{operation}", _releaser(limiter, slots))


def _taker(limiter: SlidingWindowLimiter, slots: threading.local) -> Callable[..., None]:
    def wait_for_slot(**_: Any) -> None:
        slots.current = limiter.acquire()
        # None: a before-send handler that returns something replaces the HTTP response.

    return wait_for_slot


def _releaser(limiter: SlidingWindowLimiter, slots: threading.local) -> Callable[..., None]:
    def answered(**_: Any) -> None:
        slot = getattr(slots, "current", None)
        if slot is not None:
            slots.current = None
            limiter.release(slot)
        # None: a needs-retry handler that returns a number asks for a retry after that delay.

    return answered
