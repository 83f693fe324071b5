"""Workspaces, their members, invitations and the members' personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cloudwarden.api import ratelimit
from cloudwarden.api.auth import IdentityDep, PrincipalDep, allow, check, optional_principal
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.ratelimit import client_address
from cloudwarden.api.schemas import ApiInput
from cloudwarden.auth.api_tokens import SCOPES
from cloudwarden.identity import tokens, users, workspaces
from cloudwarden.identity.access import Access, Principal
from cloudwarden.store.tenancy import ApiToken, Invitation, Membership, Role, User, Workspace

router = APIRouter(tags=["workspaces"])
WS = "/workspaces/{workspace_id}"


WorkspaceRead = Annotated[Access, Depends(allow("workspace:read"))]
WorkspaceWrite = Annotated[Access, Depends(allow("workspace:write"))]
MembersRead = Annotated[Access, Depends(allow("members:read"))]
MembersWrite = Annotated[Access, Depends(allow("members:write"))]
OwnTokens = Annotated[Access, Depends(allow("tokens:write"))]


class WorkspaceIn(ApiInput):
    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=64, description="Lower-case letters, digits, inner hyphens")


class WorkspaceChange(ApiInput):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    require_2fa: bool | None = Field(
        default=None, description="Require two-factor authentication of every member"
    )


class WorkspaceOut(BaseModel):
    id: str
    name: str
    slug: str
    require_2fa: bool
    created_at: datetime
    your_role: str

    @classmethod
    def of(cls, workspace: Workspace, membership: Membership) -> WorkspaceOut:
        return cls(
            id=workspace.id,
            name=workspace.name,
            slug=workspace.slug,
            require_2fa=workspace.require_2fa,
            created_at=workspace.created_at,
            your_role=membership.role,
        )


class MemberOut(BaseModel):
    user_id: str
    email: str
    display_name: str
    role: Role
    module_roles: dict[str, Role]
    two_factor: bool
    joined_at: datetime

    @classmethod
    def of(cls, membership: Membership, user: User) -> MemberOut:
        return cls(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=Role(membership.role),
            module_roles={k: Role(v) for k, v in (membership.module_roles or {}).items()},
            two_factor=user.totp_enabled_at is not None,
            joined_at=membership.created_at,
        )


class MemberChange(ApiInput):
    role: Role | None = None
    module_roles: dict[str, Role] | None = Field(
        default=None,
        description='A weaker role per module, e.g. {"actions": "viewer"}: incidents, posture, actions',
    )


class InvitationIn(ApiInput):
    email: str = Field(max_length=320)
    role: Role


class InvitationOut(BaseModel):
    id: str
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=Role(invitation.role),
            expires_at=invitation.expires_at,
            created_at=invitation.created_at,
        )


class NewInvitationOut(InvitationOut):
    token: str = Field(description="Shown once: send it to the person; it works once, until expires_at")


class Acceptance(ApiInput):
    token: str = Field(max_length=256)
    password: str | None = Field(default=None, max_length=1024, description="For a new account")
    display_name: str | None = Field(default=None, max_length=255, description="For a new account")


class TokenIn(ApiInput):
    name: str = Field(min_length=1, max_length=255)
    scopes: list[str] = Field(
        min_length=1, max_length=len(SCOPES), description=f"Of: {', '.join(sorted(SCOPES))}"
    )
    expires_in_days: int = Field(default=90, ge=1, le=366)


class TokenOut(BaseModel):
    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenOut:
        return cls(
            id=row.token_id,
            name=row.name,
            scopes=list(row.scopes),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once: CloudWarden keeps only its digest")


@router.get("/workspaces", summary="The workspaces you are a member of")
def list_workspaces(who: PrincipalDep, db: SessionDep) -> list[WorkspaceOut]:
    return [
        WorkspaceOut.of(w, m)
        for w, m in workspaces.of_user(db, user_id=who.user_id)
        if who.token_workspace_id in (None, w.id)
    ]


@router.post("/workspaces", status_code=201, summary="Create a workspace; you are its owner")
def create_workspace(body: WorkspaceIn, who: PrincipalDep, db: SessionDep) -> WorkspaceOut:
    return WorkspaceOut.of(*workspaces.create(db, principal=who, name=body.name, slug=body.slug))


@router.get(WS, summary="One workspace")
def get_workspace(granted: WorkspaceRead) -> WorkspaceOut:
    return WorkspaceOut.of(granted.workspace, granted.membership)


@router.patch(WS, summary="Rename, or require 2FA of every member (owner)")
def update_workspace(body: WorkspaceChange, granted: WorkspaceWrite, db: SessionDep) -> WorkspaceOut:
    workspace = workspaces.update(db, access=granted, name=body.name, require_2fa=body.require_2fa)
    return WorkspaceOut.of(workspace, granted.membership)


@router.delete(WS, status_code=204, summary="Close the workspace: at once; its data is deleted within 7 days")
def close_workspace(granted: WorkspaceWrite, db: SessionDep) -> None:
    workspaces.close(db, access=granted)


@router.get(f"{WS}/members", summary="Members and their roles")
def list_members(granted: MembersRead, db: SessionDep) -> list[MemberOut]:
    return [MemberOut.of(m, u) for m, u in workspaces.members(db, workspace_id=granted.workspace_id)]


@router.patch(f"{WS}/members/{{user_id}}", summary="Change a member's role or narrow it per module")
def change_member(user_id: str, body: MemberChange, granted: MembersWrite, db: SessionDep) -> MemberOut:
    membership = workspaces.change_member(
        db, access=granted, user_id=user_id, role=body.role, module_roles=body.module_roles
    )
    return MemberOut.of(membership, users.get(db, user_id))


@router.delete(f"{WS}/members/{{user_id}}", status_code=204, summary="Remove a member (or leave)")
def remove_member(
    user_id: str, request: Request, workspace_id: str, who: PrincipalDep, db: SessionDep
) -> None:
    permission = "workspace:read" if user_id == who.user_id else "members:write"  # leaving needs no admin
    workspaces.remove_member(db, access=check(request, db, who, workspace_id, permission), user_id=user_id)


@router.get(f"{WS}/invitations", summary="Invitations not yet used, revoked or expired")
def list_invitations(granted: MembersWrite, db: SessionDep) -> list[InvitationOut]:
    return [InvitationOut.of(i) for i in workspaces.invitations(db, workspace_id=granted.workspace_id)]


@router.post(
    f"{WS}/invitations",
    status_code=201,
    summary="Invite someone by email with a role (the token is shown once)",
    dependencies=[Depends(ratelimit.rate_limit("invitation", ratelimit.client_address))],
)
def invite(
    body: InvitationIn, granted: MembersWrite, db: SessionDep, config: IdentityDep
) -> NewInvitationOut:
    new = workspaces.invite(db, access=granted, config=config, email=body.email, role=body.role)
    return NewInvitationOut(**InvitationOut.of(new.invitation).model_dump(), token=new.token)


@router.delete(f"{WS}/invitations/{{invitation_id}}", status_code=204, summary="Revoke an invitation")
def revoke_invitation(invitation_id: str, granted: MembersWrite, db: SessionDep) -> None:
    workspaces.revoke_invitation(db, access=granted, invitation_id=invitation_id)


@router.post(
    "/invitations/accept",
    summary="Join a workspace: signed in as the invited email, or as a new account (password, name)",
    dependencies=[Depends(ratelimit.rate_limit("invitation", ratelimit.client_address))],
)
def accept_invitation(
    body: Acceptance,
    request: Request,
    db: SessionDep,
    config: IdentityDep,
    who: Annotated[Principal | None, Depends(optional_principal)],
) -> WorkspaceOut:
    workspace, membership, _ = workspaces.accept(
        db,
        config=config,
        token=body.token,
        principal=who,
        password=body.password,
        display_name=body.display_name,
        source_ip=client_address(request),
    )
    return WorkspaceOut.of(workspace, membership)


@router.get(f"{WS}/tokens", summary="Your API tokens in this workspace")
def list_tokens(granted: OwnTokens, db: SessionDep) -> list[TokenOut]:
    return [TokenOut.of(row) for row in tokens.mine(db, access=granted)]


@router.post(f"{WS}/tokens", status_code=201, summary="Create a personal API token (shown once)")
def create_token(body: TokenIn, granted: OwnTokens, db: SessionDep, config: IdentityDep) -> NewTokenOut:
    row, secret = tokens.create(
        db, access=granted, config=config, name=body.name, scopes=body.scopes, days=body.expires_in_days
    )
    return NewTokenOut(**TokenOut.of(row).model_dump(), token=secret)


@router.delete(f"{WS}/tokens/{{token_id}}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: str, granted: OwnTokens, db: SessionDep) -> None:
    tokens.revoke(db, access=granted, token_id=token_id)
