"""Who is using the console, in which workspace, and whether a form really came from them.

    @router.get("/w/{workspace_id}/incidents")
    def incidents(page: Annotated[Page, Depends(page_for("incidents:read"))], db: SessionDep): ...

    @router.post("/w/{workspace_id}/actions/{proposal_id}/approve", dependencies=[CsrfChecked])

A request without a valid session cookie is sent to the sign-in page (SignInRequired); the
workspace permission is checked by the API's own `check`, so a refusal is audited the same
way and answered the same (404 for another tenant's workspace, 403 for a weaker role).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from cloudwarden.api.auth import IdentityDep, audit_apart, check
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.ratelimit import client_address
from cloudwarden.auth.errors import InvalidToken
from cloudwarden.errors import shorten
from cloudwarden.identity import sessions, workspaces
from cloudwarden.identity.access import Access, Forbidden, Principal, holds
from cloudwarden.store.tenancy import Workspace
from cloudwarden.web import session


class SignInRequired(Exception):
    """No session (or an ended one): the console answers with the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Seat:
    """A workspace the person belongs to, copied out of the session: an error page rendered after
    the request's transaction rolled back can still draw the navigation."""

    workspace_id: str
    name: str
    role: str
    module_roles: dict[str, str] | None


@dataclass(frozen=True)
class Console:
    """The signed-in person as the pages see them."""

    principal: Principal
    session_token: str
    csrf: str
    memberships: tuple[Seat, ...]


@dataclass(frozen=True)
class Page:
    """A workspace page: the person, their access to it, and what the navigation may show."""

    console: Console
    access: Access
    membership: Seat

    @property
    def workspace(self) -> Workspace:
        return self.access.workspace

    @property
    def workspace_id(self) -> str:
        return self.membership.workspace_id

    @property
    def workspace_name(self) -> str:
        return self.membership.name

    def may(self, permission: str) -> bool:
        """Whether the navigation and buttons should offer what `permission` guards."""
        return holds(self.membership, permission)


def optional_console(request: Request, db: SessionDep, config: IdentityDep) -> Console | None:
    token = session.cookie_token(request)
    if token is None:
        return None
    try:
        principal = sessions.authenticate_session_token(
            db, config=config, token=token, source_ip=client_address(request)
        )
    except InvalidToken:
        return None
    console = Console(
        principal=principal,
        session_token=token,
        csrf=session.csrf_token(config, token),
        memberships=tuple(
            Seat(workspace.id, workspace.name, membership.role, dict(membership.module_roles or {}))
            for workspace, membership in workspaces.of_user(db, user_id=principal.user_id)
        ),
    )
    request.state.console = console
    return console


def console_user(request: Request, console: Annotated[Console | None, Depends(optional_console)]) -> Console:
    if console is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/")
    return console


ConsoleDep = Annotated[Console, Depends(console_user)]


def page_for(permission: str) -> Callable[..., Page]:
    """A dependency: the signed-in person's page in the path's workspace, if they hold `permission`."""

    def dependency(request: Request, workspace_id: str, console: ConsoleDep, db: SessionDep) -> Page:
        access = check(request, db, console.principal, workspace_id, permission)
        copied = Seat(
            access.workspace_id,
            access.workspace.name,
            access.membership.role,
            dict(access.membership.module_roles or {}),
        )
        request.state.page = page = Page(console=console, access=access, membership=copied)
        return page

    dependency.__name__ = f"page_{permission.replace(':', '_')}"
    return dependency


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token the request carries: HTMX's header, or a form's hidden field."""
    sent = request.headers.get(session.CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(session.CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def csrf_checked(
    request: Request,
    console: ConsoleDep,
    config: IdentityDep,
    db: SessionDep,
    sent: Annotated[str | None, Depends(sent_csrf)],
) -> None:
    """A state-changing request must come from this origin and carry this session's token."""
    reason = None
    if not session.same_origin(request):
        reason = "cross_origin"
    elif not session.csrf_matches(config, console.session_token, sent):
        reason = "csrf_token"
    if reason is None:
        return
    db.rollback()  # SQLite: the request's transaction holds the writer's lock the entry needs
    audit_apart(
        request,
        workspace_id=None,
        action="console.csrf_refused",
        actor=console.principal.label,
        actor_id=console.principal.user_id,
        outcome="denied",
        details={"reason": reason, "path": shorten(request.url.path, 200)},
    )
    raise Forbidden(
        "the form could not be accepted: it did not come from this console page",
        hint="reload the page and submit it again",
    )


CsrfChecked = Depends(csrf_checked)
