"""Tables of the service: workspaces, people, their roles, sessions, tokens, keys, audit log.

Workspace-owned rows carry `workspace_id`; people (`users`) belong to workspaces through
`memberships`. Secrets are never stored as given: passwords as Argon2id hashes, refresh and API
tokens as SHA-256 digests, invitation tokens as digests, backup codes as peppered HMACs, the TOTP
secret as an envelope token (crypto/envelope.py, sealed by vault/). Each model declares its
retention like every other table (store/retention.py). The identity services (identity/) and the
audit log (audit/) read and write them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloudwarden.store.base import Base, Retention, RetentionClass
from cloudwarden.store.types import UTCDateTime, json_document, utcnow

# The workspace the CLI works in on the local store (created by migration 0003).
DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000001"
EMAIL_LENGTH = 320  # RFC 5321: 64 + 1 + 255
DIGEST_LENGTH = 64  # hex SHA-256


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())


class Role(StrEnum):
    """A member's role in a workspace, strongest first."""

    OWNER = "owner"
    ADMIN = "admin"
    RESPONDER = "responder"  # may approve remediations
    VIEWER = "viewer"


ROLES_SQL = "('owner', 'admin', 'responder', 'viewer')"


class Workspace(Base):
    """A tenant: its accounts, incidents, members and audit log belong to it."""

    __tablename__ = "workspaces"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.WORKSPACE_DATA, "closed_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    require_2fa: Mapped[bool] = mapped_column(Boolean(), default=False)
    # SHA-256 of the secret EventBridge API destinations send in X-CloudWarden-Intake-Secret.
    intake_secret_hash: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    """A person who signs in. Not owned by a workspace: one person may be in several."""

    __tablename__ = "users"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.WORKSPACE_DATA, "deleted_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(255))
    # E.164 without "+": WhatsApp replies from this number act as this person (approvals).
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # An envelope token (crypto/envelope.py), bound to this row and field; None until enrolled.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger())  # a code is never reused
    backup_code_hashes: Mapped[list[str]] = mapped_column(json_document(), default=list)
    failed_logins: Mapped[int] = mapped_column(Integer(), default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # never the hashes or the secret
        return f"User(id={self.id!r}, email={self.email!r})"


class Membership(Base):
    """A user's role in a workspace, optionally narrowed per module (incidents, posture, actions)."""

    __tablename__ = "memberships"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.WORKSPACE_DATA, "removed_at")
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        CheckConstraint(f"role IN {ROLES_SQL}", name="role"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # {"actions": "viewer"}: a module where the member has less than `role` (never more).
    module_roles: Mapped[dict[str, str]] = mapped_column(json_document(), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invitation(Base):
    """A single-use, expiring invitation to join a workspace with a role."""

    __tablename__ = "invitations"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.EXPIRED_CREDENTIALS, "expires_at")
    __table_args__ = (CheckConstraint(f"role IN {ROLES_SQL}", name="role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)
    invited_by: Mapped[str | None] = mapped_column(String(36))  # a user id; not a key: kept if they go
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RefreshFamily(Base):
    """One sign-in: its refresh tokens rotate; a reused one revokes the family (auth/refresh.py)."""

    __tablename__ = "refresh_families"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.EXPIRED_CREDENTIALS, "expires_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.EXPIRED_CREDENTIALS, "expires_at")

    token_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("refresh_families.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A personal API token (auth/api_tokens.py): scoped, expiring, revocable, stored as a digest."""

    __tablename__ = "api_tokens"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.EXPIRED_CREDENTIALS, "expires_at")

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    name: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[list[str]] = mapped_column(json_document())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DataKeyRecord(Base):
    """A workspace's data key, wrapped by a key provider (crypto/envelope.py); never stored plain."""

    __tablename__ = "data_keys"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.WORKSPACE_DATA, "retired_at")

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # NULL: the service's own scope (secrets of people, who belong to no one workspace)
    workspace_id: Mapped[str | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    wrapped: Mapped[bytes] = mapped_column(LargeBinary())
    wrapping_key_id: Mapped[str] = mapped_column(String(2048), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One append-only, hash-chained record of an action that changed or exposed data.

    `seq` counts per workspace (NULL workspace: events before one is known, e.g. a failed
    sign-in for an unknown email); `hash` covers this entry's fields and `prev_hash`. The actor
    is an id and a label, not a foreign key: the log outlives the people in it.
    """

    __tablename__ = "audit_entries"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.AUDIT_LOG, "at")
    __table_args__ = (
        UniqueConstraint("workspace_id", "seq"),
        Index("ix_audit_entries_workspace_id_at", "workspace_id", "at"),
        CheckConstraint("outcome IN ('success', 'denied', 'failure')", name="outcome"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger())
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(EMAIL_LENGTH))  # email, "cli", "api-token:<id>", ...
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(2048))
    source_ip: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(json_document(), default=dict)
    prev_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
