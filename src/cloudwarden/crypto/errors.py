"""Errors of envelope encryption. None of them ever carries a plaintext, a key or a ciphertext.

- `DecryptionFailed`: a field token or a wrapped data key did not authenticate: altered, moved to
  another row, field or workspace, or made with another key. Names where, never what.
- `KeyUnavailable`: the key provider cannot use a key (file missing or readable by others, key
  removed, KMS key disabled or access denied): a setting to fix, so a configuration error.
- `KeyProviderUnreachable`: KMS could not be asked (network, throttling, CloudWarden's own
  credentials); nothing about the keys is known to be wrong.
- `InvalidWrappedKey`: what a provider raises when a wrapped key or its context does not
  authenticate; `envelope` turns it into `DecryptionFailed` naming the workspace.
"""

from __future__ import annotations

from typing import Literal

from cloudwarden.errors import EXIT_INTERNAL, CloudWardenError, ConfigurationError, Unreachable

DecryptionFailedReason = Literal[
    "malformed",  # not a token this version writes
    "wrong_key",  # made with another data key than the one given
    "authentication_failed",  # altered, moved to another row/field/workspace, or wrong key bytes
    "data_key_rejected",  # the wrapped data key did not unwrap for this workspace
]


class DecryptionFailed(CloudWardenError):
    """A secret could not be decrypted; `reason` is stable (for logs and tests)."""

    code = "decryption_failed"
    # Not a setting the user can fix and never expected in normal operation: data was altered or
    # copied between rows. Reported like an internal error, with the place named.
    exit_code = EXIT_INTERNAL

    def __init__(
        self,
        reason: DecryptionFailedReason,
        *,
        workspace_id: str,
        field: str | None = None,
        row: str | None = None,
    ) -> None:
        where = f"workspace {workspace_id}"
        what = f"field {field!r} of row {row!r} in {where}" if field else f"the data key of {where}"
        super().__init__(
            f"cannot decrypt {what}: {_EXPLANATIONS[reason]}",
            hint="restore the value from a backup or ask the owner to enter the secret again",
        )
        self.reason: DecryptionFailedReason = reason
        self.workspace_id = workspace_id
        self.field = field
        self.row = row


_EXPLANATIONS: dict[DecryptionFailedReason, str] = {
    "malformed": "the stored value is not an encrypted token of a known version",
    "wrong_key": "it was encrypted with another data key",
    "authentication_failed": (
        "it was altered, copied from another row, field or workspace, or encrypted with another key"
    ),
    "data_key_rejected": ("the wrapped data key was altered or belongs to another workspace or key record"),
}


class KeyUnavailable(ConfigurationError):
    """The key provider cannot use a key it needs; the message names the key or the file."""

    code = "key_unavailable"


class KeyProviderUnreachable(Unreachable):
    """The key service could not be reached; retry later, nothing is known to be wrong."""


class InvalidWrappedKey(Exception):
    """Raised by a `KeyProvider`: the wrapped key or its context did not authenticate."""
