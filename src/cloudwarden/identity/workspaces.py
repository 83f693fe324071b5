"""Workspaces, their members and invitations. Never commits: the boundary does.

Every function that changes something writes its audit entry in the same transaction. A role
can only be given by someone at least as strong (an admin cannot make an owner), and the last
owner can be neither demoted nor removed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudwarden.audit import service as audit
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.identity import users
from cloudwarden.identity.access import MODULES, RANKS, Access, Forbidden, Principal
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store import rls
from cloudwarden.store.tenancy import Invitation, Membership, Role, User, Workspace

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
INVITATION_PREFIX = "cw_inv_"


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once to the inviter, who passes it on; stored as a digest


def create(db: Session, *, principal: Principal, name: str, slug: str) -> tuple[Workspace, Membership]:
    """A new workspace with the principal as its owner."""
    if principal.scopes is not None:
        raise Forbidden("an API token cannot create a workspace", hint="sign in")
    clean = users.check_display_name(name)
    if not _SLUG.match(slug):
        raise UsageError(
            "the slug must be 1 to 64 lower-case letters, digits or inner hyphens, e.g. acme-prod"
        )
    workspace = Workspace(id=str(uuid.uuid4()), name=clean, slug=slug)
    rls.scope(db, workspace_id=workspace.id)  # the new row is the only one this request may write
    try:
        with db.begin_nested():  # the slug's owner may be invisible here (another tenant's): ask the index
            db.add(workspace)
    except IntegrityError:
        raise users.Conflict(f"the slug {slug} is taken", hint="choose another") from None
    membership = Membership(workspace_id=workspace.id, user_id=principal.user_id, role=Role.OWNER.value)
    db.add(membership)
    db.flush()
    _record(db, principal, workspace.id, "workspace.create", "workspace", workspace.id, {"slug": slug})
    return workspace, membership


def of_user(db: Session, *, user_id: str) -> list[tuple[Workspace, Membership]]:
    rows = db.execute(
        select(Workspace, Membership)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id, Membership.removed_at.is_(None), Workspace.closed_at.is_(None))
        .order_by(Workspace.name)
    ).all()
    return [(w, m) for w, m in rows]


def update(db: Session, *, access: Access, name: str | None, require_2fa: bool | None) -> Workspace:
    workspace = access.workspace
    changes: dict[str, object] = {}
    if name is not None:
        workspace.name = users.check_display_name(name)
        changes["name"] = workspace.name
    if require_2fa is not None:
        if require_2fa and not access.principal.two_factor:
            raise UsageError(
                "turn on two-factor authentication for yourself before requiring it of everyone",
                hint="POST /api/v1/me/2fa/enrolment",
            )
        workspace.require_2fa = require_2fa
        changes["require_2fa"] = require_2fa
    _record(db, access.principal, workspace.id, "workspace.update", "workspace", workspace.id, changes)
    return workspace


def close(db: Session, *, access: Access) -> None:
    """Soft-close at once; the retention purge deletes everything it owns within 7 days."""
    access.workspace.closed_at = datetime.now(UTC)
    _record(
        db, access.principal, access.workspace_id, "workspace.close", "workspace", access.workspace_id, {}
    )


def members(db: Session, *, workspace_id: str) -> list[tuple[Membership, User]]:
    rows = db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id, Membership.removed_at.is_(None))
        .order_by(User.email)
    ).all()
    return [(m, u) for m, u in rows]


def member(db: Session, *, workspace_id: str, user_id: str) -> Membership:
    found = db.scalars(
        select(Membership).where(
            Membership.workspace_id == workspace_id,
            Membership.user_id == user_id,
            Membership.removed_at.is_(None),
        )
    ).first()
    if found is None:
        raise NotFound("no such member in this workspace")
    return found


def change_member(
    db: Session, *, access: Access, user_id: str, role: Role | None, module_roles: dict[str, Role] | None
) -> Membership:
    target = member(db, workspace_id=access.workspace_id, user_id=user_id)
    _may_manage(access, Role(target.role))
    changes: dict[str, object] = {}
    if role is not None:
        _may_manage(access, role)
        if Role(target.role) is Role.OWNER and role is not Role.OWNER:
            _keep_an_owner(db, access.workspace_id)
        target.role = role.value
        changes["role"] = role.value
    if module_roles is not None:
        unknown = sorted(set(module_roles) - set(MODULES))
        if unknown:
            raise UsageError(f"unknown module {', '.join(unknown)}; modules: {', '.join(MODULES)}")
        target.module_roles = {module: r.value for module, r in module_roles.items()}
        changes["module_roles"] = target.module_roles
    _record(db, access.principal, access.workspace_id, "member.update", "user", user_id, changes)
    return target


def remove_member(db: Session, *, access: Access, user_id: str) -> None:
    target = member(db, workspace_id=access.workspace_id, user_id=user_id)
    if user_id != access.principal.user_id:
        _may_manage(access, Role(target.role))
    if Role(target.role) is Role.OWNER:
        _keep_an_owner(db, access.workspace_id)
    target.removed_at = datetime.now(UTC)
    _record(db, access.principal, access.workspace_id, "member.remove", "user", user_id, {})


def invite(db: Session, *, access: Access, config: IdentityConfig, email: str, role: Role) -> NewInvitation:
    address = users.normalize_email(email)
    _may_manage(access, role)
    existing = users.find_by_email(db, address)
    if existing is not None and _is_member(db, access.workspace_id, existing.id):
        raise users.Conflict(f"{address} is already a member")
    # The workspace travels in the token: the lookup can then be scoped to it (store/rls.py).
    token = f"{INVITATION_PREFIX}{access.workspace_id}.{secrets.token_urlsafe(32)}"
    invitation = Invitation(
        workspace_id=access.workspace_id,
        email=address,
        role=role.value,
        token_hash=_digest(token),
        invited_by=access.principal.user_id,
        expires_at=datetime.now(UTC) + config.invitation_ttl,
    )
    db.add(invitation)
    db.flush()
    _record(
        db,
        access.principal,
        access.workspace_id,
        "invitation.create",
        "invitation",
        invitation.id,
        {"email": address, "role": role.value},
    )
    return NewInvitation(invitation=invitation, token=token)


def invitations(db: Session, *, workspace_id: str) -> list[Invitation]:
    now = datetime.now(UTC)
    return list(
        db.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at)
        )
    )


def revoke_invitation(db: Session, *, access: Access, invitation_id: str) -> None:
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.workspace_id != access.workspace_id:
        raise NotFound("no such invitation")
    if invitation.revoked_at is None:
        invitation.revoked_at = datetime.now(UTC)
    _record(db, access.principal, access.workspace_id, "invitation.revoke", "invitation", invitation_id, {})


def invitation_for(db: Session, *, token: str, lock: bool = False) -> tuple[Invitation, Workspace]:
    """The invitation a token names and its workspace, while it can be accepted; else NotFound (a
    wrong, revoked or closed workspace's token) or UsageError (used, expired). `lock`: for accepting."""
    clean = token.strip()
    workspace_part, dot, _ = clean.removeprefix(INVITATION_PREFIX).partition(".")
    try:
        uuid.UUID(workspace_part)
    except ValueError:
        dot = ""
    if not clean.startswith(INVITATION_PREFIX) or not dot:
        raise NotFound("the invitation is not valid", hint="ask for a new one")
    rls.scope(db, workspace_id=workspace_part)
    query = select(Invitation).where(Invitation.token_hash == _digest(clean))
    invitation = db.scalars(query.with_for_update() if lock else query).first()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("the invitation is not valid", hint="ask for a new one")
    if invitation.accepted_at is not None:
        raise UsageError("the invitation was already used", hint="ask for a new one")
    if invitation.expires_at <= datetime.now(UTC):
        raise UsageError("the invitation has expired", hint="ask for a new one")
    workspace = db.get(Workspace, invitation.workspace_id)
    if workspace is None or workspace.closed_at is not None:
        raise NotFound("the invitation is not valid", hint="ask for a new one")
    return invitation, workspace


def accept(
    db: Session,
    *,
    config: IdentityConfig,
    token: str,
    principal: Principal | None,
    password: str | None,
    display_name: str | None,
    source_ip: str | None,
) -> tuple[Workspace, Membership, User]:
    """Join with an invitation: as the signed-in person it was sent to, or as a new person."""
    invitation, workspace = invitation_for(db, token=token, lock=True)
    now = datetime.now(UTC)
    if principal is not None:
        if principal.scopes is not None:
            raise Forbidden("an API token cannot accept an invitation", hint="sign in")
        if principal.email != invitation.email:
            raise Forbidden(f"this invitation is for another email than {principal.email}")
        user = users.get(db, principal.user_id)
    else:
        if users.find_by_email(db, invitation.email) is not None:
            raise users.Conflict(
                f"{invitation.email} already has an account", hint="sign in and accept the invitation then"
            )
        if not password or not display_name:
            raise UsageError("a new account needs a password and a display name")
        user = users.create(
            db, config=config, email=invitation.email, password=password, display_name=display_name
        )
    if _is_member(db, workspace.id, user.id):
        raise users.Conflict("you are already a member of this workspace")
    previous = db.scalars(
        select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
    ).first()
    if previous is not None:  # a member who left or was removed comes back with the invited role
        previous.role, previous.module_roles, previous.removed_at = invitation.role, {}, None
        membership = previous
    else:
        membership = Membership(workspace_id=workspace.id, user_id=user.id, role=invitation.role)
        db.add(membership)
    invitation.accepted_at = now
    db.flush()
    audit.record(
        db,
        workspace_id=workspace.id,
        action="invitation.accept",
        actor=user.email,
        actor_id=user.id,
        target_type="invitation",
        target_id=invitation.id,
        source_ip=source_ip,
        details={"role": invitation.role},
    )
    return workspace, membership, user


def _may_manage(access: Access, role: Role) -> None:
    """Only an owner gives or takes the owner role; an admin manages admins and below."""
    if RANKS[role] > RANKS[access.role] or (role is Role.OWNER and access.role is not Role.OWNER):
        raise Forbidden(f"a {access.role.value} cannot manage the {role.value} role")


def _keep_an_owner(db: Session, workspace_id: str) -> None:
    owners = db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.workspace_id == workspace_id,
            Membership.role == Role.OWNER.value,
            Membership.removed_at.is_(None),
        )
    )
    if (owners or 0) <= 1:
        raise UsageError("a workspace keeps at least one owner", hint="make someone else owner first")


def _is_member(db: Session, workspace_id: str, user_id: str) -> bool:
    try:
        member(db, workspace_id=workspace_id, user_id=user_id)
    except NotFound:
        return False
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _record(
    db: Session,
    principal: Principal,
    workspace_id: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, object],
) -> None:
    audit.record(
        db,
        workspace_id=workspace_id,
        action=action,
        actor=principal.label,
        actor_id=principal.user_id,
        target_type=target_type,
        target_id=target_id,
        source_ip=principal.source_ip,
        details=dict(details),
    )
