"""Errors a person can act on, each with a stable code and the CLI exit code it maps to.

Every layer raises these (or a subclass) for conditions a user can fix or must know about;
the boundary (a CLI command, later an API request or a task) turns them into one readable
line, a hint, and an exit code or HTTP status. Anything else reaching a boundary is a bug and
is reported as an internal error.

Exit codes (documented in the README):
    0  success
    1  internal error (a bug: set CLOUDWARDEN_LOG_LEVEL=DEBUG for the traceback)
    2  usage or configuration: a bad option, setting, name or file
    3  the account is not connected: the role cannot be assumed (revoked, not deployed yet)
    4  unreachable: AWS, the database or the simulated account could not be reached
    5  nothing to investigate: the alarm is not (and was not recently) in ALARM
"""

from __future__ import annotations

from typing import Any, ClassVar

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_NOT_CONNECTED = 3
EXIT_UNREACHABLE = 4
EXIT_NOTHING_TO_INVESTIGATE = 5
EXIT_INTEGRITY = 6


class CloudWardenError(Exception):
    """An error meant for the person running CloudWarden: a message, a hint, details for JSON."""

    code: ClassVar[str] = "error"
    exit_code: ClassVar[int] = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = details or {}

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return {"error": body, "exit_code": self.exit_code, **self.details}


class UsageError(CloudWardenError):
    """Bad input: an option, an argument, a name that matches nothing."""

    code = "usage"
    exit_code = EXIT_USAGE


class NotFound(UsageError):
    code = "not_found"


class PermissionDenied(UsageError):
    """The account's role does not allow a read CloudWarden cannot go on without (the message names it)."""

    code = "permission_denied"


class ConfigurationError(UsageError, ValueError):
    """A setting is invalid; the message names the environment variable to fix.

    A ValueError too, so a validator of the settings that raises it is reported by pydantic
    like any other invalid value.
    """

    code = "configuration"


class NotConnected(CloudWardenError):
    """The customer's role cannot be assumed: revoked, deleted, or not deployed yet."""

    code = "not_connected"
    exit_code = EXIT_NOT_CONNECTED


class Unreachable(CloudWardenError):
    """A service CloudWarden depends on could not be reached; nothing about the account changed."""

    code = "unreachable"
    exit_code = EXIT_UNREACHABLE


class NothingToInvestigate(CloudWardenError):
    """The alarm is not in ALARM and did not go into ALARM within the lookback."""

    code = "nothing_to_investigate"
    exit_code = EXIT_NOTHING_TO_INVESTIGATE


class IntegrityFailure(CloudWardenError):
    """Stored data fails its own check: a broken audit-log chain names its first bad entry."""

    code = "integrity"
    exit_code = EXIT_INTEGRITY


def shorten(value: str, limit: int = 80) -> str:
    """A value echoed back in an error message, cut to `limit` characters."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
