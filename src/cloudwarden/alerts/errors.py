"""What the intake and webhook endpoints refuse, each with its stable code."""

from __future__ import annotations

from cloudwarden.errors import UsageError


class InvalidAlert(UsageError):
    """A delivery that is not what the endpoint receives (malformed, not an alarm, too old)."""

    code = "invalid_alert"


class InvalidSignature(UsageError):
    """A delivery whose signature, certificate or secret does not check out: nothing is stored."""

    code = "invalid_signature"


class IntakeRefused(UsageError):
    """A signed delivery from an account, topic or workspace CloudWarden does not listen to."""

    code = "intake_refused"
