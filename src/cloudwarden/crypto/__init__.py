"""Envelope encryption of secret fields (TOTP secrets, channel and webhook tokens).

- `envelope`: per-workspace data keys (`DataKey`, `new_data_key`), `encrypt`/`decrypt` of
  fields into self-describing `cw1.` tokens bound to workspace, field and row, and `rewrap`
  for rotation.
- `providers`: what wraps the data keys: `LocalKeyProvider` (a key file, the embedded default)
  or `KmsKeyProvider` (AWS KMS, production), behind the `KeyProvider` protocol.
- `keyfile`: the local key file (0600 in a 0700 directory, atomic updates under a lock).
- `errors`: `DecryptionFailed`, `KeyUnavailable`, `KeyProviderUnreachable`.

Nothing here touches a database; importing a module does no work. The tables that store data
keys and tokens, and `cloudwarden keys rotate`, come with the workspaces.
"""
