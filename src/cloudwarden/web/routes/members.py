"""Members, roles and invitations of a workspace; accepting an invitation; one's own API tokens.

Everything goes through the functions the API's workspaces router calls (identity/workspaces.py
and identity/tokens.py, which write the audit entries), under the same permissions and rate
limits; the forms are validated by the API's own body models, so a refused field reads as the
API's 422 would. A new invitation's link and a new API token are secrets shown once: the POST
that makes one answers with the page showing it, and it is stored nowhere but as a digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from cloudwarden.api import ratelimit
from cloudwarden.api.auth import IdentityDep, identity
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.errors import status_for
from cloudwarden.api.routers.workspaces import Acceptance, InvitationIn, MemberChange, TokenIn
from cloudwarden.auth.api_tokens import SCOPES
from cloudwarden.auth.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from cloudwarden.errors import UsageError
from cloudwarden.identity import tokens, users, workspaces
from cloudwarden.identity.access import MODULES, Forbidden
from cloudwarden.store.tenancy import Role
from cloudwarden.web import session
from cloudwarden.web.deps import Console, ConsoleDep, CsrfChecked, Page, optional_console, page_for
from cloudwarden.web.render import render
from cloudwarden.web.routes.auth import safe_next

router = APIRouter(include_in_schema=False)
WS = "/w/{workspace_id}"
ROLES = tuple(role.value for role in Role)
DONE = {
    "role": "Role changed.",
    "removed": "Member removed.",
    "revoked": "Invitation revoked: its link no longer works.",
    "joined": "You joined this workspace.",
}
TOKEN_DONE = {"revoked": "Token revoked: it no longer opens the API."}

MembersPage = Annotated[Page, Depends(page_for("members:read"))]
MembersAdmin = Annotated[Page, Depends(page_for("members:write"))]
TokensPage = Annotated[Page, Depends(page_for("tokens:write"))]
OptionalConsole = Annotated[Console | None, Depends(optional_console)]
InvitationLimit = Depends(ratelimit.rate_limit("invitation", ratelimit.client_address))
Model = TypeVar("Model", bound=BaseModel)
ModuleField = Annotated[str | None, Form(max_length=32)]


@dataclass(frozen=True)
class NewInvitation:
    """What the inviter sees once: the link to send, and to whom."""

    email: str
    role: str
    expires_at: datetime
    link: str


def validated(model: type[Model], data: dict[str, Any]) -> Model:
    """A form as the API's body `model`; refused like the API's 422 (the input is never echoed)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("form", *error["loc"])} for error in exc.errors(include_input=False)]
        ) from None


# --- members and invitations ------------------------------------------------------------------


@router.get(f"{WS}/members", response_class=HTMLResponse)
def members_page(request: Request, page: MembersPage, db: SessionDep, done: str | None = None) -> Response:
    return _members_page(request, page, db, done=DONE.get(done or ""))


@router.post(f"{WS}/members/{{user_id}}/role", dependencies=[CsrfChecked])
def change_role(
    user_id: str,
    page: MembersAdmin,
    db: SessionDep,
    role: Annotated[str, Form(max_length=32)],
    module_incidents: ModuleField = None,
    module_posture: ModuleField = None,
    module_actions: ModuleField = None,
    per_module: Annotated[bool, Form()] = False,
) -> Response:
    """The role, and per module a narrower one (empty: the role itself). A form without
    `per_module` (the module fields) leaves the module roles as they are."""
    chosen = {"incidents": module_incidents, "posture": module_posture, "actions": module_actions}
    assert set(chosen) == set(MODULES), "a module without its form field"
    data: dict[str, Any] = {"role": role}
    if per_module:
        data["module_roles"] = {module: value for module, value in chosen.items() if value}
    body = validated(MemberChange, data)
    workspaces.change_member(
        db, access=page.access, user_id=user_id, role=body.role, module_roles=body.module_roles
    )
    return _back(page, "members", "role")


@router.post(f"{WS}/members/{{user_id}}/remove", dependencies=[CsrfChecked])
def remove_member(user_id: str, page: MembersAdmin, db: SessionDep) -> Response:
    workspaces.remove_member(db, access=page.access, user_id=user_id)
    return _back(page, "members", "removed")


@router.post(f"{WS}/leave", dependencies=[CsrfChecked])
def leave(page: MembersPage, db: SessionDep) -> Response:
    """Leave the workspace (any member; the last owner is refused: a workspace keeps an owner)."""
    workspaces.remove_member(db, access=page.access, user_id=page.console.principal.user_id)
    return RedirectResponse(f"/?left={page.workspace_id}", status_code=303)


@router.post(f"{WS}/invitations", dependencies=[CsrfChecked, InvitationLimit], response_class=HTMLResponse)
def invite(
    request: Request,
    page: MembersAdmin,
    db: SessionDep,
    config: IdentityDep,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=32)],
) -> Response:
    body = validated(InvitationIn, {"email": email, "role": role})
    new = workspaces.invite(db, access=page.access, config=config, email=body.email, role=body.role)
    link = request.url_for("invitation_page").include_query_params(token=new.token)
    invited = NewInvitation(
        email=new.invitation.email,
        role=new.invitation.role,
        expires_at=new.invitation.expires_at,
        link=str(link),
    )
    return _members_page(request, page, db, invited=invited)


@router.post(f"{WS}/invitations/{{invitation_id}}/revoke", dependencies=[CsrfChecked])
def revoke_invitation(invitation_id: str, page: MembersAdmin, db: SessionDep) -> Response:
    workspaces.revoke_invitation(db, access=page.access, invitation_id=invitation_id)
    return _back(page, "members", "revoked")


def _members_page(
    request: Request,
    page: Page,
    db: SessionDep,
    *,
    done: str | None = None,
    invited: NewInvitation | None = None,
) -> Response:
    may_manage = page.may("members:write")
    return render(
        request,
        "members/list.html",
        members=workspaces.members(db, workspace_id=page.workspace_id),
        invitations=workspaces.invitations(db, workspace_id=page.workspace_id) if may_manage else [],
        may_manage=may_manage,
        roles=ROLES,
        modules=MODULES,
        narrower=[role for role in ROLES if role != Role.OWNER.value],
        me=page.console.principal.user_id,
        done=done,
        invited=invited,
    )


# --- accepting an invitation ------------------------------------------------------------------


@router.get("/invitations/accept", response_class=HTMLResponse, name="invitation_page")
def invitation_page(
    request: Request,
    db: SessionDep,
    console: OptionalConsole,
    token: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    return _accept_page(request, db, console, token)


@router.post("/invitations/accept", dependencies=[InvitationLimit], response_class=HTMLResponse)
def accept_as_new_person(
    request: Request,
    db: SessionDep,
    config: IdentityDep,
    console: OptionalConsole,
    token: Annotated[str, Form(max_length=256)],
    display_name: Annotated[str, Form(max_length=255)],
    password: Annotated[str, Form(max_length=1024)],
    password_confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    """A new account for the invited email (no session needed); then the person signs in."""
    if not session.same_origin(request):
        raise Forbidden("the invitation form must be sent from this console's own page")
    body = validated(Acceptance, {"token": token, "password": password, "display_name": display_name})
    if password != password_confirm:
        return _accept_page(
            request, db, console, token, error="the two passwords differ: type the same one twice"
        )
    try:
        workspace, _, _ = workspaces.accept(
            db,
            config=config,
            token=body.token,
            principal=None,
            password=body.password,
            display_name=body.display_name,
            source_ip=ratelimit.client_address(request),
        )
    except UsageError as exc:  # a password the policy refuses, an expired invitation: said on the form
        db.rollback()
        return _accept_page(request, db, console, token, refusal=exc)
    return RedirectResponse(f"/invitations/joined?next=/w/{workspace.id}/incidents", status_code=303)


@router.post("/invitations/join", dependencies=[CsrfChecked, InvitationLimit])
def accept_as_signed_in(
    request: Request,
    db: SessionDep,
    config: IdentityDep,
    console: ConsoleDep,
    token: Annotated[str, Form(max_length=256)],
) -> Response:
    """The signed-in person the invitation was sent to joins the workspace."""
    workspace, _, _ = workspaces.accept(
        db,
        config=config,
        token=token,
        principal=console.principal,
        password=None,
        display_name=None,
        source_ip=ratelimit.client_address(request),
    )
    return RedirectResponse(f"/w/{workspace.id}/members?done=joined", status_code=303)


@router.get("/invitations/joined", response_class=HTMLResponse)
def joined(request: Request, next: str = "/") -> Response:
    return render(request, "members/joined.html", next=safe_next(next))


def _accept_page(
    request: Request,
    db: SessionDep,
    console: Console | None,
    token: str,
    *,
    error: str | None = None,
    refusal: UsageError | None = None,
) -> Response:
    """The invitation (to join with, or why it cannot be used) and the form that fits the person."""
    status_code = status_for(refusal) if refusal is not None else 400 if error else 200
    context: dict[str, Any] = {"token": token, "invitation": None, "workspace": None, "has_account": False}
    try:
        invitation, workspace = workspaces.invitation_for(db, token=token)
    except UsageError as invalid:
        refusal, status_code = invalid, status_for(invalid)
    else:
        context |= {
            "invitation": invitation,
            "workspace": workspace,
            "has_account": users.find_by_email(db, invitation.email) is not None,
        }
    return render(
        request,
        "members/accept.html",
        status_code=status_code,
        error=error or (refusal.message if refusal is not None else None),
        hint=refusal.hint if refusal is not None else None,
        signed_in_as=console.principal.email if console is not None else None,
        password_min=MIN_PASSWORD_LENGTH,
        **context,
    )


# --- one's own API tokens ---------------------------------------------------------------------


@router.get(f"{WS}/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, page: TokensPage, db: SessionDep, done: str | None = None) -> Response:
    return _tokens_page(request, page, db, done=TOKEN_DONE.get(done or ""))


@router.post(f"{WS}/tokens", dependencies=[CsrfChecked], response_class=HTMLResponse)
def create_token(
    request: Request,
    page: TokensPage,
    db: SessionDep,
    config: IdentityDep,
    name: Annotated[str, Form(max_length=255)],
    expires_in_days: Annotated[str, Form(max_length=8)],
    scopes: Annotated[list[str] | None, Form(max_length=len(SCOPES))] = None,
) -> Response:
    body = validated(TokenIn, {"name": name, "scopes": scopes or [], "expires_in_days": expires_in_days})
    row, secret = tokens.create(
        db, access=page.access, config=config, name=body.name, scopes=body.scopes, days=body.expires_in_days
    )
    return _tokens_page(request, page, db, created=(row.name, secret))


@router.post(f"{WS}/tokens/{{token_id}}/revoke", dependencies=[CsrfChecked])
def revoke_token(token_id: str, page: TokensPage, db: SessionDep) -> Response:
    tokens.revoke(db, access=page.access, token_id=token_id)
    return _back(page, "tokens", "revoked")


def _tokens_page(
    request: Request,
    page: Page,
    db: SessionDep,
    *,
    done: str | None = None,
    created: tuple[str, str] | None = None,
) -> Response:
    return render(
        request,
        "members/tokens.html",
        tokens=tokens.mine(db, access=page.access),
        scopes=sorted(SCOPES),
        max_days=identity(request).api_token_max_days,
        now=datetime.now(UTC),
        done=done,
        created=created,
    )


def _back(page: Page, where: str, done: str) -> Response:
    return RedirectResponse(f"/w/{page.workspace_id}/{where}?done={done}", status_code=303)
