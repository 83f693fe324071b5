"""Rendering the console's pages: one Jinja2 environment, autoescaped, templates in the package.

    return render(request, "incidents/list.html", incidents=rows)

The templates never hold a script or a style of their own (the Content-Security-Policy allows
only files from /static); `tests/web/test_templates.py` holds them to that. What the base
layout needs (the person, their workspaces, the CSRF token, the current workspace) comes from
`request.state`, where the console's dependencies put it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_version"] = version("cloudwarden")
    env.filters["when"] = when
    env.filters["ago"] = ago
    env.filters["sentence"] = sentence
    return env


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            console=getattr(request.state, "console", None),
            page=getattr(request.state, "page", None),
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code)


def sentence(text: str) -> str:
    """The first letter upper-cased, the rest as written (Jinja's capitalize lowercases names)."""
    return text[:1].upper() + text[1:]


def when(moment: datetime | None) -> str:
    """A moment as people on call read it: UTC, to the second."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 0:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"
