"""Rate limits on the endpoints an attacker would hammer: sign-in, refresh, 2FA, invitations.

    @router.post("/auth/sign-in", dependencies=[Depends(rate_limit("login", client_address))])
    request.app.state.rate_limiter.hit("login_email", email_key(body.email))

`limits` counts each named rule (RULES) per key: in Redis when CLOUDWARDEN_REDIS_URL is set, so
every server process shares the count, or in this process's memory otherwise. An exceeded
limit is a 429 `rate_limited` with a Retry-After header (errors.py adds it).

The strategy is the moving window: a rule of N per minute allows at most N attempts in ANY
60 seconds, where a fixed window allows 2N around a window's edge (N at 0:59, N at 1:00). It
keeps one timestamp per attempt, at most N per key: small for limits this low. A refused
attempt is not counted, so hammering does not push the reset further away.

Keys never hold a secret: an email is normalised and hashed (email_key) before it is a key.
If the storage (Redis) does not answer, the request is refused with a 503 `unreachable`,
not let through: a limit that fails open is one an attacker switches off by loading Redis.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping

from fastapi import Request
from limits import RateLimitItem, parse, storage, strategies
from limits.errors import StorageError

from cloudwarden.config import Settings
from cloudwarden.errors import EXIT_USAGE, CloudWardenError, Unreachable

log = logging.getLogger("cloudwarden.api")
MEMORY = "memory://"
NAMESPACE = "cloudwarden-rl"
# Seconds to wait for Redis before the request is refused (503) rather than held.
REDIS_TIMEOUT_SECONDS = 2.0
# rule -> limit, in `limits` notation (https://limits.readthedocs.io: "N/second|minute|hour|day").
RULES: dict[str, str] = {
    "login": "20/minute",  # per client address
    "login_email": "10/minute",  # per account (email_key): slows a spread-out guess at one password
    "refresh": "60/minute",  # per client address
    "two_factor": "10/minute",  # per account or address: 10^6 codes, a few valid at a time
    "invitation": "30/hour",  # per client address
}
# rule -> what the person was doing, for the message of a 429.
_ATTEMPTS: dict[str, str] = {
    "login": "sign-in attempts",
    "login_email": "sign-in attempts",
    "refresh": "session refreshes",
    "two_factor": "two-factor codes",
    "invitation": "invitation requests",
}


class RateLimited(CloudWardenError):
    """Too many attempts under one rule: wait `retry_after` seconds (HTTP 429, Retry-After)."""

    code = "rate_limited"
    exit_code = EXIT_USAGE

    def __init__(self, retry_after: int, *, attempts: str = "attempts"):
        self.retry_after = max(1, int(retry_after))
        unit = "second" if self.retry_after == 1 else "seconds"
        super().__init__(
            f"too many {attempts}; try again in {self.retry_after} {unit}",
            details={"retry_after": self.retry_after},
        )


class RateLimiter:
    """Named limits (`rules`) counted in one storage: `memory://` or a Redis URL.

    `prefix` namespaces every key (Redis' `reset` deletes only the keys under it), so two
    limiters on one Redis share counts exactly when they share a prefix.
    """

    def __init__(self, storage_uri: str, *, rules: Mapping[str, str] = RULES, prefix: str = NAMESPACE):
        self.storage_uri = storage_uri  # may carry a password: never logged (see __repr__)
        uri = _limits_uri(storage_uri)
        self.scheme = uri.split("://", 1)[0]
        options: dict[str, float | str | bool] = {"key_prefix": prefix}
        if self.scheme != "memory":
            options |= {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            }
        # wrap_exceptions: every storage failure is a limits StorageError, whatever the client.
        self._storage = storage.storage_from_string(uri, wrap_exceptions=True, **options)
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {name: parse(value) for name, value in rules.items()}
        self._prefix = prefix

    def __repr__(self) -> str:  # the URL may carry a password: the scheme only
        return f"RateLimiter(storage={self.scheme}://…)"

    def hit(self, rule: str, *keys: str) -> None:
        """Count one attempt under `rule` for `keys`: RateLimited when the window is full.

        Unreachable (503) when the storage does not answer: the attempt is refused, not let through.
        """
        item = self._items.get(rule)
        if item is None:
            raise ValueError(f"no rate limit rule named {rule!r}; the rules are {', '.join(self._items)}")
        identifiers = (self._prefix, rule, *keys)
        try:
            if self._limiter.hit(item, *identifiers):
                return
            reset = self._limiter.get_window_stats(item, *identifiers).reset_time
        except StorageError as exc:
            # The URL is not logged (it may carry a password); the error's class and text are.
            log.warning(
                "rate limit storage (%s) failed, refusing the %r attempt: %s: %s",
                self.scheme,
                rule,
                type(exc.storage_error).__name__,
                exc.storage_error,
            )
            raise Unreachable(
                "the service cannot check its rate limits right now; try again shortly",
                hint="the operator should check that Redis (CLOUDWARDEN_REDIS_URL) is up",
            ) from None
        raise RateLimited(math.ceil(reset - time.time()), attempts=_ATTEMPTS.get(rule, "attempts"))

    def reset(self) -> None:
        """Forget every count under this limiter's prefix."""
        self._storage.reset()


def _limits_uri(url: str) -> str:
    """The URI `limits` knows for a redis-py URL: unix:// is its redis+unix://."""
    return "redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else url


def limiter_from_settings(settings: Settings) -> RateLimiter:
    """The limiter of the service: Redis when CLOUDWARDEN_REDIS_URL is set, this process's memory otherwise."""
    return RateLimiter(settings.redis_url or MEMORY)


def client_address(request: Request) -> str:
    """The peer's address as the server saw it; X-Forwarded-For is not trusted (anyone can send it)."""
    return request.client.host if request.client and request.client.host else "unknown"


def email_key(email: str) -> str:
    """A key for an account named by email: normalised and hashed, never the address itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def rate_limit(rule: str, key: Callable[[Request], str]) -> Callable[[Request], None]:
    """A FastAPI dependency counting the request under `rule`, keyed by `key(request)`.

    It uses `request.app.state.rate_limiter` (create_app sets it: limiter_from_settings).
    """

    def dependency(request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        limiter.hit(rule, key(request))

    dependency.__name__ = f"rate_limit_{rule}"
    return dependency
