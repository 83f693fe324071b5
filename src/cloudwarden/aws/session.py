"""Assume the customer's role and hand out clients whose credentials live only in memory.

Session credentials are never written anywhere: not to the database, logs, files or error
messages. They are cached in this process for at most `credential_ttl_seconds` (10 minutes by
default) and refreshed a minute before the earlier of that limit and their own expiry.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from cloudwarden.aws import redact
from cloudwarden.aws.permissions import iam_action
from cloudwarden.config import Settings
from cloudwarden.errors import NotConnected, Unreachable

REFRESH_MARGIN_SECONDS = 60
# In the simulated account (CLOUDWARDEN_SIMULATOR_URL, an explicit setting) CloudWarden's own
# principal uses these fixed, meaningless keys; anywhere else it uses the default credential chain.
SIMULATED_BASE_KEYS = {"aws_access_key_id": "AKIACLOUDWARDENSIM01", "aws_secret_access_key": "simulated"}
# STS answers these when the role itself refuses CloudWarden: deleted, no longer trusting its
# principal, or an ExternalId that does not match. Only these change an account's state.
REVOKED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "NoSuchEntity"})
# Errors that say CloudWarden's own principal is the problem, not the customer's role.
OWN_CREDENTIAL_CODES = frozenset(
    {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException"}
)
DEPLOY_HINT = (
    "deploy the onboarding template with this account's ExternalId (`cloudwarden accounts show ID` "
    "prints it and the deploy command), then run `cloudwarden connect` again"
)


class AccountDisconnected(NotConnected):
    """The customer's role refuses CloudWarden: deleted, trust changed, or ExternalId mismatch."""


class AwsUnreachable(Unreachable):
    """AWS could not be asked (network, CloudWarden's own credentials, throttling, 5xx).

    Says nothing about the customer's account: its state does not change.
    """


@dataclass
class CallLog:
    """Every AWS API call made through clients bound to it, as IAM actions with outcomes."""

    calls: list[tuple[str, str]] = field(default_factory=list)  # (iam action, "ok" | error code)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, action: str, outcome: str) -> None:
        with self._lock:
            self.calls.append((action, outcome))

    @property
    def count(self) -> int:
        return len(self.calls)

    def actions(self) -> set[str]:
        return {a for a, _ in self.calls}

    def by_action(self) -> Counter[str]:
        return Counter(a for a, _ in self.calls)


class _SecretCredentials:
    """Holds session credentials; its repr never shows them."""

    __slots__ = ("access_key_id", "expiration", "secret_access_key", "session_token")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.access_key_id: str = raw["AccessKeyId"]
        self.secret_access_key: str = raw["SecretAccessKey"]
        self.session_token: str = raw["SessionToken"]
        expiration = raw["Expiration"]
        self.expiration: datetime = (
            expiration if isinstance(expiration, datetime) else datetime.fromisoformat(expiration)
        )

    def __repr__(self) -> str:
        return "<credentials redacted>"


def client_config(settings: Settings, region: str) -> Config:
    # Simulated runs fail fast: moto answers 500 for what it does not implement.
    attempts = 2 if settings.simulated else settings.aws_max_attempts
    return Config(
        region_name=region,
        retries={"mode": "adaptive", "max_attempts": attempts},
        connect_timeout=5,
        read_timeout=20,
        user_agent_extra="cloudwarden",
        proxies=simulator_proxies(settings.aws_endpoint()) if settings.simulated else None,
    )


def simulator_proxies(endpoint: str | None) -> dict[str, str] | None:
    """Requests to a simulated account go through it as their proxy: S3 Control puts the account
    id in the host name ({account}.127.0.0.1), which loopback cannot resolve, and the simulator
    answers an absolute-URI request by its host name as AWS's front end does."""
    return {"http": endpoint, "https": endpoint} if endpoint else None


def base_session(settings: Settings, region: str) -> boto3.Session:
    """CloudWarden's own principal: the default credential chain, or fixed keys when simulated."""
    if settings.simulated:
        return boto3.Session(region_name=region, **SIMULATED_BASE_KEYS)
    return boto3.Session(region_name=region)


def _install_call_log(client: Any, call_log: CallLog) -> None:
    prefix = client.meta.service_model.endpoint_prefix

    def after_call(model: Any, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        # botocore sends after-call for error responses too (AccessDenied is an HTTP answer).
        outcome = "ok"
        if http_response is not None and http_response.status_code >= 300:
            error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
            outcome = str(error.get("Code") or f"HTTP {http_response.status_code}")
        call_log.record(iam_action(prefix, model.name), outcome)

    def after_call_error(
        model: Any = None, exception: Exception | None = None, event_name: str = "", **_: Any
    ) -> None:
        # A connection error comes without the operation model: its name ends the event's.
        operation = model.name if model is not None else event_name.rsplit(".", 1)[-1]
        outcome = "error"
        if isinstance(exception, ClientError):
            outcome = str(exception.response.get("Error", {}).get("Code", "error"))
        elif isinstance(exception, BotoCoreError):
            outcome = type(exception).__name__
        call_log.record(iam_action(prefix, operation), outcome)

    events = client.meta.events
    events.register("after-call", after_call)
    events.register("after-call-error", after_call_error)


def classify_assume_role_error(exc: ClientError, role_arn: str) -> NotConnected | Unreachable:
    """Revoked (the role refuses us) or unreachable (anything else: our credentials, throttling, 5xx)."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in OWN_CREDENTIAL_CODES:
        return AwsUnreachable(
            f"AWS refused CloudWarden's own credentials ({code}) before it could assume {role_arn}",
            hint="fix the credentials CloudWarden runs with (CLOUDWARDEN_PRINCIPAL_ARN's); "
            "the account's state was not changed",
        )
    throttled = code in ("Throttling", "ThrottlingException", "RequestLimitExceeded") or status == 429
    if code in REVOKED_CODES or (400 <= status < 500 and not throttled):
        return AccountDisconnected(
            f"cannot assume {role_arn}: {code or status} - the role does not exist, its trust policy does "
            "not trust CloudWarden, or the ExternalId does not match",
            hint=DEPLOY_HINT,
        )
    return AwsUnreachable(
        f"AWS STS did not answer AssumeRole for {role_arn}: {code or status}",
        hint="this is usually transient (throttling, a service error): try again; the account's state "
        "was not changed",
    )


class AssumedSession:
    """Clients for one customer account, built from in-memory session credentials."""

    def __init__(
        self,
        *,
        settings: Settings,
        role_arn: str,
        region: str,
        credentials: _SecretCredentials,
        account_id: str,
        caller_arn: str,
        obtained_monotonic: float,
    ) -> None:
        self.settings = settings
        self.role_arn = role_arn
        self.region = region
        self.account_id = account_id
        self.caller_arn = caller_arn
        self._credentials = credentials
        self._obtained = obtained_monotonic
        self._boto = boto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=region,
        )

    def __repr__(self) -> str:
        return f"AssumedSession(role_arn={self.role_arn!r}, region={self.region!r})"

    def fresh_for(self, ttl_seconds: int) -> bool:
        now = time.monotonic()
        age_ok = now - self._obtained < ttl_seconds - REFRESH_MARGIN_SECONDS
        expiry_ok = (
            self._credentials.expiration - datetime.now(UTC)
        ).total_seconds() > REFRESH_MARGIN_SECONDS
        return age_ok and expiry_ok

    def client(self, service: str, *, call_log: CallLog | None = None, region: str | None = None) -> Any:
        client = self._boto.client(
            service,
            endpoint_url=self.settings.aws_endpoint(),
            config=client_config(self.settings, region or self.region),
        )
        if call_log is not None:
            _install_call_log(client, call_log)
        return client


class SessionBroker:
    """Assumes customer roles with their ExternalId and caches the sessions in memory only."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._cache: dict[tuple[str, str, str], AssumedSession] = {}
        # CloudWarden's own STS client per region, built once: a boto3 session and client cost
        # tens of milliseconds of CPU to build (botocore parses its endpoint and service JSON),
        # far more than an AssumeRole, and a revoked role is asked again at every investigation.
        self._sts: dict[str, Any] = {}
        self._lock = threading.Lock()

    def session(self, *, role_arn: str, external_id: str, region: str) -> AssumedSession:
        key = (role_arn, external_id, region)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.fresh_for(self.settings.credential_ttl_seconds):
                return cached
            session = self._assume(role_arn=role_arn, external_id=external_id, region=region)
            self._cache[key] = session
            return session

    def forget(self, role_arn: str) -> None:
        with self._lock:
            for key in [k for k in self._cache if k[0] == role_arn]:
                del self._cache[key]

    def _assume(self, *, role_arn: str, external_id: str, region: str) -> AssumedSession:
        sts = self._sts.get(region)
        if sts is None:  # under self._lock (see `session`); clients are thread-safe once built
            base = base_session(self.settings, region)
            config = client_config(self.settings, region)
            sts = self._sts[region] = base.client(
                "sts", endpoint_url=self.settings.aws_endpoint(), config=config
            )
        try:
            response = sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=self.settings.role_session_name,
                ExternalId=external_id,
                DurationSeconds=900,
            )
        except ClientError as exc:
            raise classify_assume_role_error(exc, role_arn) from None
        except NoCredentialsError:
            raise AwsUnreachable(
                "CloudWarden has no AWS credentials of its own to call STS with",
                hint="run CloudWarden with credentials for CLOUDWARDEN_PRINCIPAL_ARN (the default "
                "credential chain: environment, profile, instance role)",
            ) from None
        except BotoCoreError as exc:
            raise AwsUnreachable(
                f"cannot reach AWS STS at {self.settings.aws_endpoint() or 'its public endpoint'}: "
                f"{type(exc).__name__}",
                hint="check the network (and CLOUDWARDEN_SIMULATOR_URL or CLOUDWARDEN_AWS_ENDPOINT_URL); "
                "the account's state was not changed",
            ) from None
        credentials = _SecretCredentials(response["Credentials"])
        redact.register(credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
        session = AssumedSession(
            settings=self.settings,
            role_arn=role_arn,
            region=region,
            credentials=credentials,
            account_id="",
            caller_arn="",
            obtained_monotonic=time.monotonic(),
        )
        identity = session.client("sts").get_caller_identity()
        session.account_id = identity["Account"]
        session.caller_arn = identity["Arn"]
        return session
