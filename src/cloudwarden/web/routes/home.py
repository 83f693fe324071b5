"""The console's front door: the person's workspaces (straight to the one they have, if one)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cloudwarden.web.deps import ConsoleDep
from cloudwarden.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, console: ConsoleDep, left: str | None = None) -> Response:
    """`left`: the person just left a workspace; say so here rather than move on."""
    if len(console.memberships) == 1 and left is None:
        return RedirectResponse(f"/w/{console.memberships[0].workspace_id}/incidents", status_code=303)
    return render(request, "home.html", left=left is not None)
