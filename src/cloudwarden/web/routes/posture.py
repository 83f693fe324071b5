"""Posture: each account's scores per framework with their trend, the latest findings under a
filter, and suppressions.

Reads go through posture/view (over the service functions the API reads with); "Scan now" queues
a scan through posture/flows.request_scan and adding a suppression goes through flows.suppress,
the API's own paths, after the API's own input model (SuppressionIn) has checked the form. A
refused suppression is shown on the form with what to fix, the values kept.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from cloudwarden.api.deps import SessionDep
from cloudwarden.api.errors import status_for
from cloudwarden.api.routers.posture import SuppressionIn
from cloudwarden.errors import UsageError
from cloudwarden.posture import flows, frameworks, view
from cloudwarden.posture.checks import all_checks
from cloudwarden.store import service as store
from cloudwarden.web.deps import CsrfChecked, Page, page_for
from cloudwarden.web.render import render
from cloudwarden.web.trend_chart import Line, TrendChart, trend_chart
from cloudwarden.worker import context as worker_context

router = APIRouter(include_in_schema=False)
BASE = "/w/{workspace_id}/posture"
DONE = {
    "scan": "Scan queued. Its scores appear here when the worker has finished it: reload in a minute.",
    "suppressed": "Suppression added. The next scan counts the failures it covers as accepted.",
}
FORM_FIELDS = ("check_id", "resource_id", "account_id", "reason", "owner", "days")

PostureRead = Annotated[Page, Depends(page_for("posture:read"))]
PostureScan = Annotated[Page, Depends(page_for("posture:scan"))]
PostureSuppress = Annotated[Page, Depends(page_for("posture:suppress"))]
Text = Annotated[str, Form(max_length=4096)]


@router.get(BASE, response_class=HTMLResponse)
def overview(request: Request, page: PostureRead, db: SessionDep, done: str | None = None) -> Response:
    accounts = view.overview(db=db, workspace_id=page.workspace_id)
    return render(
        request,
        "posture/overview.html",
        accounts=accounts,
        trends={a.account.id: _trends(a) for a in accounts},
        done=DONE.get(done or ""),
        may_scan=page.may("posture:scan"),
    )


@router.post(BASE + "/accounts/{account_id}/scan", dependencies=[CsrfChecked])
def scan_now(account_id: str, page: PostureScan, db: SessionDep) -> Response:
    flows.request_scan(
        db=db,
        dispatcher=worker_context.get().dispatcher,
        workspace_id=page.workspace_id,
        account_id=account_id,
    )
    return RedirectResponse(f"/w/{page.workspace_id}/posture?done=scan#account-{account_id}", status_code=303)


@router.get(BASE + "/findings", response_class=HTMLResponse)
def findings(
    request: Request,
    page: PostureRead,
    db: SessionDep,
    account_id: Annotated[str, Query(max_length=64)] = "",
    framework: Annotated[str, Query(max_length=64)] = "",
    severity: Annotated[str, Query(max_length=32)] = "",
    status: Annotated[str | None, Query(max_length=32)] = None,  # absent: failures; "": any
    change: Annotated[str, Query(max_length=32)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    wanted = view.FindingFilter(
        account_id=account_id,
        framework=framework,
        severity=severity,
        status="FAIL" if status is None else status,
        change=change,
        text=q.strip(),
    )
    found = view.findings(db=db, workspace_id=page.workspace_id, wanted=wanted, page=number)
    query = {
        "account_id": wanted.account_id,
        "framework": wanted.framework,
        "severity": wanted.severity,
        "status": wanted.status,
        "change": wanted.change,
        "q": wanted.text,
    }

    def link(**changes: Any) -> str:
        merged = {**query, **changes}
        return f"/w/{page.workspace_id}/posture/findings?" + urlencode(
            {key: value for key, value in merged.items() if value or key == "status"}
        )

    return render(
        request,
        "posture/findings.html",
        found=found,
        filters=wanted,
        link=link,
        accounts=store.list_accounts(db=db, workspace_id=page.workspace_id),
        frameworks=frameworks.load_all(),
        severities=view.SEVERITIES,
        statuses=view.STATUSES,
        changes=view.CHANGES,
        may_suppress=page.may("posture:suppress"),
    )


@router.get(BASE + "/suppressions", response_class=HTMLResponse)
def suppressions(
    request: Request,
    page: PostureRead,
    db: SessionDep,
    done: str | None = None,
    check_id: Annotated[str, Query(max_length=128)] = "",
    resource_id: Annotated[str, Query(max_length=2048)] = "",
    account_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The suppressions; the form prefilled from a finding's "Suppress" link."""
    form = {
        "check_id": check_id,
        "resource_id": resource_id or "*",
        "account_id": account_id,
        "reason": "",
        "owner": page.access.principal.label,
        "days": "90",
    }
    return _suppressions_page(request, page, db, form=form, done=DONE.get(done or ""))


@router.post(BASE + "/suppressions", dependencies=[CsrfChecked])
def add_suppression(
    request: Request,
    page: PostureSuppress,
    db: SessionDep,
    check_id: Text = "",
    resource_id: Text = "",
    account_id: Text = "",
    reason: Text = "",
    owner: Text = "",
    days: Text = "",
) -> Response:
    form = {
        "check_id": check_id,
        "resource_id": resource_id,
        "account_id": account_id,
        "reason": reason,
        "owner": owner,
        "days": days,
    }
    sent: dict[str, str] = {key: value for key, value in form.items() if value.strip()}
    try:
        body = SuppressionIn.model_validate(sent)
        flows.suppress(
            db=db,
            workspace_id=page.workspace_id,
            actor=page.access.principal.label,
            account_id=body.account_id,
            check_id=body.check_id,
            resource_id=body.resource_id,
            reason=body.reason,
            owner=body.owner,
            days=body.days,
        )
    except ValidationError as exc:
        errors = [(str(e["loc"][0]) if e["loc"] else "form", e["msg"]) for e in exc.errors()]
        return _suppressions_page(request, page, db, form=form, errors=errors, status_code=422)
    except UsageError as exc:  # an unknown check or account, a reason that is only spaces
        db.rollback()
        errors = [("form", exc.message + (f" ({exc.hint})" if exc.hint else ""))]
        return _suppressions_page(request, page, db, form=form, errors=errors, status_code=status_for(exc))
    return RedirectResponse(f"/w/{page.workspace_id}/posture/suppressions?done=suppressed", status_code=303)


def _suppressions_page(
    request: Request,
    page: Page,
    db: SessionDep,
    *,
    form: dict[str, str],
    errors: list[tuple[str, str]] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "posture/suppressions.html",
        status_code=status_code,
        rows=view.suppression_rows(db=db, workspace_id=page.workspace_id),
        accounts=store.list_accounts(db=db, workspace_id=page.workspace_id),
        checks=all_checks(),
        form=form,
        errors=errors or [],
        field_errors={field: message for field, message in errors or [] if field in FORM_FIELDS},
        done=done,
        may_suppress=page.may("posture:suppress"),
    )


def _trends(account: view.AccountPosture) -> list[TrendChart]:
    """One chart per framework of the latest scan: its weighted score and requirements passed."""
    moments = [scan.started_at for scan in account.history]
    charts = []
    for score in account.scores:
        stored = [scan.scores.get(score.framework) or {} for scan in account.history]
        lines = [
            Line("Weighted score", "score", [_number(s.get("score")) for s in stored]),
            Line("Requirements passed (%)", "share", [_percent(s.get("share")) for s in stored]),
        ]
        charts.append(trend_chart(moments, lines, title=score.title))
    return charts


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _percent(value: object) -> float | None:
    share = _number(value)
    return None if share is None else round(share * 100, 1)
