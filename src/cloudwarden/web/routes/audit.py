"""The audit log: entries newest first with filters, the chain's check, and exports.

Reading goes through audit/service.entries, checking the chain through audit/service.verify (what
the API's /audit/verify answers), exporting through audit/service.export_file (the API's export:
the same file, and the same "audit.export" entry). Filters arrive from a plain GET form, so an
empty field means "any" and a time without a zone is UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from cloudwarden.api.deps import SessionDep
from cloudwarden.audit import service as audit
from cloudwarden.errors import UsageError
from cloudwarden.web.deps import Page, page_for
from cloudwarden.web.render import render

router = APIRouter(include_in_schema=False)
BASE = "/w/{workspace_id}/audit"
PAGE_SIZE = 50
EXPORT_FORMATS: dict[str, audit.ExportFormat] = {"csv": "csv", "jsonl": "jsonl", "json": "json"}

AuditPage = Annotated[Page, Depends(page_for("audit:read"))]
FilterText = Annotated[str, Query(max_length=320)]


@dataclass(frozen=True)
class Filters:
    """The filter form as sent (echoed back into the form and the links) and as the service reads it."""

    action: str = ""
    actor: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""

    def query(self) -> dict[str, Any]:
        """Keyword arguments for audit.entries / audit.export_file."""
        if self.outcome and self.outcome not in audit.OUTCOMES:
            raise UsageError(f"no outcome {self.outcome!r}", hint=" or ".join(audit.OUTCOMES))
        return {
            "action": self.action or None,
            "outcome": self.outcome or None,
            "since": _moment(self.since, "since"),
            "until": _moment(self.until, "until"),
        }

    def link(self, **extra: str | int) -> str:
        """A query string holding the filters that are set (and `extra`)."""
        pairs = {name: value for name, value in self.__dict__.items() if value}
        return urlencode({**pairs, **extra})


def _filters(
    action: FilterText = "",
    actor: FilterText = "",
    outcome: FilterText = "",
    since: FilterText = "",
    until: FilterText = "",
) -> Filters:
    return Filters(
        action=action.strip(),
        actor=actor.strip(),
        outcome=outcome.strip(),
        since=since.strip(),
        until=until.strip(),
    )


FiltersDep = Annotated[Filters, Depends(_filters)]


def _moment(value: str, name: str) -> datetime | None:
    """A time from the form (a datetime-local field: 2026-03-01T09:30), UTC unless it says otherwise."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{name} is not a time: {value[:40]!r}", hint="write it as 2026-03-01T09:30 (UTC)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _pretty(details: dict[str, Any]) -> str:
    return json.dumps(details, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _before(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise UsageError(f"'before' is not an entry number: {value[:40]!r}")
    return int(value)


@router.get(BASE, response_class=HTMLResponse)
def audit_log(
    request: Request,
    page: AuditPage,
    db: SessionDep,
    filters: FiltersDep,
    before: Annotated[str | None, Query(max_length=32)] = None,
    verify: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    before_seq = _before(before)
    rows = audit.entries(
        db,
        workspace_id=page.workspace_id,
        actor=filters.actor or None,
        before_seq=before_seq,
        newest_first=True,
        limit=PAGE_SIZE + 1,
        **filters.query(),
    )
    shown = rows[:PAGE_SIZE]
    verdict = audit.verify(db, workspace_id=page.workspace_id) if verify else None
    base = f"/w/{page.workspace_id}/audit"
    return render(
        request,
        "audit/list.html",
        entries=shown,
        filters=filters,
        outcomes=audit.OUTCOMES,
        older=f"{base}?{filters.link(before=shown[-1].seq)}" if len(rows) > PAGE_SIZE else None,
        newest=f"{base}?{filters.link()}" if before_seq is not None else None,
        verify_link=f"{base}?{filters.link(verify=1)}",
        exports={fmt: f"{base}/export?{filters.link(format=fmt)}" for fmt in EXPORT_FORMATS},
        verdict=verdict,
        filtered=any(filters.__dict__.values()),
        pretty=_pretty,
    )


@router.get(f"{BASE}/export")
def export(
    page: AuditPage,
    db: SessionDep,
    filters: FiltersDep,
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "csv",
) -> Response:
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"no export format {fmt!r}", hint=" or ".join(EXPORT_FORMATS))
    principal = page.access.principal
    exported = audit.export_file(
        db,
        workspace_id=page.workspace_id,
        fmt=EXPORT_FORMATS[fmt],
        actor=principal.label,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
        actor_filter=filters.actor or None,
        **filters.query(),
    )
    return Response(
        content=exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
        },
    )
