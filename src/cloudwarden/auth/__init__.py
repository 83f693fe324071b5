"""Identity primitives: pure, storage-independent building blocks of sign-in.

- `passwords`: Argon2id hashing with rehash-on-login, the password policy, `dummy_verify`.
- `totp`: TOTP enrolment and verification (no step reused), one-time backup codes.
- `tokens`: short-lived access JWTs (HS256 pinned, audience, issuer and type checked).
- `refresh`: rotating refresh tokens in families; reuse of a rotated token revokes the family.
- `api_tokens`: personal API tokens (`cw_pat_<id>_<secret>`): shown once, stored hashed, scoped.
- `keys`: the server-side secrets these need, refused when empty, default or short.

Nothing here touches a database, the clock (every function takes `now` or defaults to
`datetime.now(UTC)`) or the network; the API's service layer stores what these return.
Importing a module does no work: hashers and the common-password list are built on first use.
"""
