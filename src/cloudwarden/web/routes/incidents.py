"""Incidents: the live list, the incident page, and approving a proposed remediation.

The list refreshes itself (HTMX polls its rows); without JavaScript it is a plain page. Reading an
incident is audited exactly as the API's read (incidents/view.read). Approving is two steps, as
in the API: approve issues a 90-second, single-use consent shown with a countdown; executing
spends it (actions/flows.start) and the worker runs the action through the actions role. A
refused consent (expired, used, someone else's) is shown on the page with its reason.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloudwarden.actions import catalog
from cloudwarden.actions import flows as actions
from cloudwarden.actions.consent import ConsentRefused
from cloudwarden.api.deps import SessionDep, reads_only
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.incidents import view
from cloudwarden.incidents.view import decode_cursor, encode_cursor
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import ProposalStatus
from cloudwarden.web.charts import Marker, line_chart
from cloudwarden.web.deps import CsrfChecked, Page, page_for
from cloudwarden.web.render import render
from cloudwarden.worker import context as worker_context

router = APIRouter(include_in_schema=False)
BASE = "/w/{workspace_id}/incidents"
PAGE_SIZE = 25
MAX_CHARTS = 6

IncidentsPage = Annotated[Page, Depends(page_for("incidents:read"))]
ApprovePage = Annotated[Page, Depends(page_for("actions:approve"))]


def _rows(
    page: Page, db: SessionDep, state: str | None, account_id: str | None, cursor: str | None
) -> dict[str, Any]:
    if state and state not in {s.value for s in models.IncidentState}:
        raise UsageError(
            f"no incident state {state!r}", hint=" or ".join(s.value for s in models.IncidentState)
        )
    rows = store.list_incidents(
        db=db,
        workspace_id=page.workspace_id,
        limit=PAGE_SIZE + 1,
        account_id=account_id or None,
        state=state or None,
        before=decode_cursor(cursor) if cursor else None,
    )
    incidents = rows[:PAGE_SIZE]
    diagnoses = store.latest_diagnoses(
        db=db, workspace_id=page.workspace_id, incident_ids=[i.id for i in incidents]
    )
    accounts = {
        a.id: a for a in store.list_accounts(db=db, workspace_id=page.workspace_id, include_closed=True)
    }
    return {
        "incidents": incidents,
        "diagnoses": diagnoses,
        "accounts": accounts,
        "next_cursor": encode_cursor(incidents[-1]) if len(rows) > PAGE_SIZE else None,
        "filters": {"state": state or "", "account_id": account_id or ""},
        "live": cursor is None,
        "states": [s.value for s in models.IncidentState],
    }


@router.get(BASE, response_class=HTMLResponse)
def incidents(
    request: Request,
    page: IncidentsPage,
    db: SessionDep,
    state: str | None = None,
    account_id: str | None = None,
    cursor: str | None = None,
) -> Response:
    return render(request, "incidents/list.html", **_rows(page, db, state, account_id, cursor))


@router.get(f"{BASE}/rows", response_class=HTMLResponse)
@reads_only
def incident_rows(
    request: Request,
    page: IncidentsPage,
    db: SessionDep,
    state: str | None = None,
    account_id: str | None = None,
) -> Response:
    """The list's rows alone: what the live list swaps in every few seconds."""
    return render(request, "incidents/rows.html", **_rows(page, db, state, account_id, None))


@router.get(BASE + "/{incident_id}", response_class=HTMLResponse)
def incident(request: Request, incident_id: str, page: IncidentsPage, db: SessionDep) -> Response:
    return _incident_page(request, page, db, incident_id)


@router.get(BASE + "/{incident_id}/live", response_class=HTMLResponse)
@reads_only
def live(request: Request, incident_id: str, page: IncidentsPage, db: SessionDep) -> Response:
    """The page's side column alone (remediation, timeline, deliveries): how the page follows an
    action to its recovery without a reload. Not audited again: the page's read was."""
    record = view.load(db=db, workspace_id=page.workspace_id, incident_id=incident_id)
    story = view.follow_up(db=db, record=record)
    return render(request, "incidents/side.html", **_side_context(page, story, None, None))


@router.post(BASE + "/{incident_id}/proposals/{proposal_id}/approve", dependencies=[CsrfChecked])
def approve(
    request: Request, incident_id: str, proposal_id: str, page: ApprovePage, db: SessionDep
) -> Response:
    proposal = actions.get(db=db, workspace_id=page.workspace_id, proposal_id=proposal_id)
    if proposal.incident_id != incident_id:
        raise NotFound("no such action proposal")
    issued = actions.approve(
        db=db,
        workspace_id=page.workspace_id,
        proposal_id=proposal_id,
        user_id=page.access.principal.user_id,
        approver=page.access.principal.label,
        via="console",
    )
    db.commit()  # the consent and its audit entry exist before the page offers to spend it
    return _incident_page(request, page, db, incident_id, consent=issued)


@router.post(BASE + "/{incident_id}/proposals/{proposal_id}/execute", dependencies=[CsrfChecked])
def execute(
    request: Request,
    incident_id: str,
    proposal_id: str,
    page: ApprovePage,
    db: SessionDep,
    consent: Annotated[str, Form(max_length=200)],
    action: Annotated[str, Form(max_length=64)],
    resource: Annotated[str, Form(max_length=2048)],
    params: Annotated[str, Form(max_length=8192)],
) -> Response:
    try:
        parsed = json.loads(params)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise UsageError("the action's parameters are not a JSON object")
    started = actions.start(
        db=db,
        workspace_id=page.workspace_id,
        token=consent,
        user_id=page.access.principal.user_id,
        actor=page.access.principal.label,
        action=action,
        resource=resource,
        params=parsed,
    )
    db.commit()  # the refusal's audit entry, or the spent consent, before anything else
    if started.error is not None:
        if isinstance(started.error, ConsentRefused):
            return _incident_page(
                request, page, db, incident_id, refusal=started.error.message, status_code=403
            )
        raise started.error
    assert started.proposal is not None
    worker_context.get().dispatcher.send(
        "execute_action", workspace_id=page.workspace_id, proposal_id=started.proposal.id
    )
    return RedirectResponse(f"/w/{page.workspace_id}/incidents/{incident_id}", status_code=303)


def _incident_page(
    request: Request,
    page: Page,
    db: SessionDep,
    incident_id: str,
    *,
    consent: Any = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    record = view.read(
        db=db, workspace_id=page.workspace_id, incident_id=incident_id, principal=page.access.principal
    )
    story = view.follow_up(db=db, record=record)
    account = store.get_account(db=db, workspace_id=page.workspace_id, account_id=record.incident.account_id)
    return render(
        request,
        "incidents/detail.html",
        status_code=status_code,
        diagnosis=record.diagnosis,
        result=story.result,
        onset=story.onset,
        account=account,
        charts=_charts(story),
        changes=story.changes,
        logs=story.log_excerpts,
        **_side_context(page, story, consent, refusal),
    )


def _side_context(page: Page, story: view.IncidentStory, consent: Any, refusal: str | None) -> dict[str, Any]:
    return {
        "incident": story.record.incident,
        "timeline": story.timeline(),
        "deliveries": story.deliveries,
        "mask": view.mask_recipient,
        "proposals": story.proposals,
        "consent": consent,
        "refusal": refusal,
        "may_approve": page.may("actions:approve"),
        "moving": any(
            p.status == ProposalStatus.EXECUTING.value or (p.executed_at and p.recovered is None)
            for p in story.proposals
        ),
        "json": json.dumps,
        "remediations": catalog.REMEDIATIONS,
    }


def _charts(story: view.IncidentStory) -> list[Any]:
    """The metrics of the top cause's resource first, then the rest, with onset and changes marked."""
    markers = [Marker(change.observed_at, "change", change.summary) for change in story.changes]
    if story.onset is not None:
        markers.insert(0, Marker(story.onset, "onset", "Onset"))
    top = story.record.diagnosis.top_resource if story.record.diagnosis else None
    ordered = sorted(story.series, key=lambda s: (s.resource != top, s.namespace, s.metric_name))
    charts = []
    for series in ordered[:MAX_CHARTS]:
        name = series.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        title = f"{series.namespace} {series.metric_name} ({series.stat}) — {name}"
        charts.append(line_chart(series.points, title=title, markers=markers))
    return charts
