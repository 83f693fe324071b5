"""The first owner: `cloudwarden admin bootstrap` makes a person owner of the default workspace.

The default workspace is the one the CLI works in, so what the CLI connected and investigated is
what the first owner sees through the API. It runs once: with an owner in place it refuses (add
people by invitation). There is no default password: the caller supplies one, and the policy checks it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.audit import service as audit
from cloudwarden.identity import users
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, Membership, Role, User, Workspace


def bootstrap_owner(
    db: Session, *, config: IdentityConfig, email: str, password: str, display_name: str, actor: str
) -> tuple[User, Workspace]:
    workspace = db.get(Workspace, DEFAULT_WORKSPACE_ID)
    if workspace is None:  # a store migrated by this version always has it
        raise users.Conflict("the default workspace is missing: run `cloudwarden db migrate`")
    owner = db.scalars(
        select(Membership.id).where(
            Membership.workspace_id == DEFAULT_WORKSPACE_ID,
            Membership.role == Role.OWNER.value,
            Membership.removed_at.is_(None),
        )
    ).first()
    if owner is not None:
        raise users.Conflict(
            "the service already has an owner", hint="sign in as the owner and invite people instead"
        )
    user = users.create(db, config=config, email=email, password=password, display_name=display_name)
    db.add(Membership(workspace_id=DEFAULT_WORKSPACE_ID, user_id=user.id, role=Role.OWNER.value))
    db.flush()
    audit.record(
        db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        action="workspace.bootstrap_owner",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"email": user.email},
    )
    return user, workspace
