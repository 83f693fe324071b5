"""Who may do what in a workspace: roles, per-module narrowing, API-token scopes.

    access = authorize(db, principal=p, workspace_id=ws, permission="incidents:read")

One table (PERMISSIONS) says, for each permission, the module it belongs to (a member's role may
be narrowed per module) and the weakest role that holds it; an API token must also carry the
matching scope. A workspace the principal is not a member of answers NotFound, never Forbidden:
another tenant's workspace and one that does not exist look the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.auth.api_tokens import SCOPES, grants
from cloudwarden.auth.errors import MissingScope
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.store import rls
from cloudwarden.store.tenancy import Membership, Role, Workspace

Module = Literal["incidents", "posture", "actions"]
MODULES: tuple[Module, ...] = ("incidents", "posture", "actions")
# Strongest first; a role holds what every weaker role holds.
RANKS = {Role.OWNER: 4, Role.ADMIN: 3, Role.RESPONDER: 2, Role.VIEWER: 1}

# permission -> (module it belongs to, weakest role that holds it, API-token scope or None)
PERMISSIONS: dict[str, tuple[Module | None, Role, str | None]] = {
    "workspace:read": (None, Role.VIEWER, None),
    "workspace:write": (None, Role.OWNER, None),
    "members:read": (None, Role.VIEWER, None),
    "members:write": (None, Role.ADMIN, None),
    "tokens:write": (None, Role.VIEWER, None),  # one's own API tokens
    "accounts:read": (None, Role.VIEWER, "accounts:read"),
    "accounts:write": (None, Role.ADMIN, "accounts:write"),
    "incidents:read": ("incidents", Role.VIEWER, "incidents:read"),
    "investigations:write": ("incidents", Role.RESPONDER, "investigations:write"),
    "actions:read": ("actions", Role.VIEWER, "actions:read"),
    "actions:approve": ("actions", Role.RESPONDER, "actions:write"),
    "channels:read": (None, Role.VIEWER, None),
    "channels:write": (None, Role.ADMIN, None),
    "posture:read": ("posture", Role.VIEWER, "posture:read"),
    "posture:scan": ("posture", Role.RESPONDER, "posture:write"),
    "posture:suppress": ("posture", Role.ADMIN, "posture:write"),
    "audit:read": (None, Role.ADMIN, "audit:read"),
}
assert all(scope is None or scope in SCOPES for _, _, scope in PERMISSIONS.values())


class Forbidden(UsageError):
    """A member whose role does not hold the permission."""

    code = "forbidden"


class TwoFactorRequired(UsageError):
    """The workspace requires 2FA and this member has not enrolled (or the sign-in needs a code)."""

    code = "two_factor_required"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user (session) or an API token acting for one."""

    user_id: str
    email: str
    two_factor: bool  # the user has 2FA enrolled (their sign-ins need a code)
    session_id: str | None = None  # the refresh family of a signed-in session
    token_id: str | None = None
    token_workspace_id: str | None = None  # an API token works in one workspace only
    scopes: frozenset[str] | None = None  # None: a session, not limited by scopes
    source_ip: str | None = None

    @property
    def label(self) -> str:
        """What the audit log names as the actor."""
        return f"{self.email} (api-token:{self.token_id})" if self.token_id else self.email


@dataclass(frozen=True)
class Access:
    principal: Principal
    workspace: Workspace
    membership: Membership

    @property
    def workspace_id(self) -> str:
        return self.workspace.id

    @property
    def role(self) -> Role:
        return Role(self.membership.role)


class RoleHolder(Protocol):
    """A membership, or a detached copy of its role and module roles (the console keeps one)."""

    @property
    def role(self) -> str: ...

    @property
    def module_roles(self) -> dict[str, str] | None: ...


def effective_role(membership: RoleHolder, module: Module | None) -> Role:
    """The member's role, or the narrower role they have in `module`."""
    role = Role(membership.role)
    narrowed = (membership.module_roles or {}).get(module) if module else None
    if narrowed is not None and RANKS[Role(narrowed)] < RANKS[role]:
        return Role(narrowed)
    return role


def holds(membership: RoleHolder, permission: str) -> bool:
    module, weakest, _ = PERMISSIONS[permission]
    return RANKS[effective_role(membership, module)] >= RANKS[weakest]


def membership_of(db: Session, *, user_id: str, workspace_id: str) -> tuple[Workspace, Membership] | None:
    row = db.execute(
        select(Workspace, Membership)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(
            Workspace.id == workspace_id,
            Workspace.closed_at.is_(None),
            Membership.user_id == user_id,
            Membership.removed_at.is_(None),
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def authorize(db: Session, *, principal: Principal, workspace_id: str, permission: str) -> Access:
    """The principal's access to the workspace for `permission`, or the error to answer."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")  # a bug in the caller
    found = None
    if principal.token_workspace_id in (None, workspace_id):
        found = membership_of(db, user_id=principal.user_id, workspace_id=workspace_id)
    if found is None:
        raise NotFound("no such workspace", hint="list yours with GET /api/v1/workspaces")
    workspace, membership = found
    rls.scope(db, workspace_id=workspace_id)
    if workspace.require_2fa and not principal.two_factor:
        raise TwoFactorRequired(
            "this workspace requires two-factor authentication of every member",
            hint="enrol with POST /api/v1/me/2fa/enrolment, then sign in again",
        )
    if not holds(membership, permission):
        raise Forbidden(
            f"your role ({effective_role(membership, PERMISSIONS[permission][0])}) does not allow {permission}",
            hint="ask an owner or admin of the workspace",
        )
    scope = PERMISSIONS[permission][2]
    if principal.scopes is not None:
        if scope is None:
            raise Forbidden(
                f"an API token cannot be used for {permission}",
                hint="sign in: workspaces, members and tokens are managed by people, not automation",
            )
        if not grants(principal.scopes, scope):
            raise MissingScope(scope)
    return Access(principal=principal, workspace=workspace, membership=membership)
