"""AWS accounts and the onboarding wizard: connect an account in three steps.

1. The AWS account id (and a name, a region): CloudWarden registers the read role's ARN and
   generates the ExternalId (accounts.flows.register, as the API and the CLI do).
2. Deploy the stack: the CloudFormation template and the Terraform module (aws/template*.py,
   with CloudWarden's principal), a quick-create link when the operator published the template
   in S3 (CLOUDWARDEN_TEMPLATE_URL), and the AWS CLI command.
3. Test the connection (accounts.flows.connect with the probe): AssumeRole with the ExternalId,
   then one read per evidence source; each unusable source is shown with the exact denied action.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloudwarden.accounts import flows
from cloudwarden.accounts import service as accounts
from cloudwarden.api import downloads
from cloudwarden.api.deps import SessionDep, settings_of
from cloudwarden.api.downloads import TEMPLATE_MEDIA_TYPES
from cloudwarden.aws.session import SessionBroker
from cloudwarden.aws.template import ACTIONS_ROLE_NAME, READ_ROLE_NAME
from cloudwarden.errors import CloudWardenError, UsageError
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.web.deps import CsrfChecked, Page, page_for
from cloudwarden.web.render import render

router = APIRouter(include_in_schema=False)
BASE = "/w/{workspace_id}/accounts"
ONE = BASE + "/{account_id}"

AccountsPage = Annotated[Page, Depends(page_for("accounts:read"))]
AdminPage = Annotated[Page, Depends(page_for("accounts:write"))]


@router.get(BASE, response_class=HTMLResponse)
def account_list(request: Request, page: AccountsPage, db: SessionDep, done: str | None = None) -> Response:
    rows = store.list_accounts(db=db, workspace_id=page.workspace_id)
    return render(
        request,
        "onboarding/list.html",
        accounts=rows,
        aws_account_id=accounts.aws_account_id,
        may_write=page.may("accounts:write"),
        done=done,
    )


@router.get(BASE + "/new", response_class=HTMLResponse)
def new_account(request: Request, page: AdminPage) -> Response:
    return _new_page(request, {}, None)


@router.post(BASE + "/new", dependencies=[CsrfChecked], response_class=HTMLResponse)
def register(
    request: Request,
    page: AdminPage,
    db: SessionDep,
    aws_account_id: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=accounts.NAME_MAX)] = "",
    region: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    typed = {"aws_account_id": aws_account_id.strip(), "name": name.strip(), "region": region.strip()}
    digits = typed["aws_account_id"].replace("-", "").replace(" ", "")
    if not (digits.isdigit() and len(digits) == 12):
        return _new_page(request, typed, UsageError("an AWS account id is 12 digits, e.g. 123456789012"))
    try:
        account, _ = flows.register(
            db=db,
            workspace_id=page.workspace_id,
            actor=page.access.principal.label,
            role_arn=f"arn:aws:iam::{digits}:role/{READ_ROLE_NAME}",
            region=typed["region"] or settings_of(request).default_region,
            name=typed["name"] or None,
        )
    except UsageError as refused:
        db.rollback()
        return _new_page(request, typed, refused)
    return RedirectResponse(f"/w/{page.workspace_id}/accounts/{account.id}", status_code=303)


@router.get(ONE, response_class=HTMLResponse)
def account_page(
    request: Request, account_id: str, page: AccountsPage, db: SessionDep, done: str | None = None
) -> Response:
    account = accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id)
    return _account_page(request, page, account, done=done)


@router.get(ONE + "/template")
def template(
    request: Request,
    account_id: str,
    page: AccountsPage,
    db: SessionDep,
    fmt: Annotated[Literal["cloudformation", "terraform"], Query(alias="format")] = "cloudformation",
) -> Response:
    accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id)
    return downloads.onboarding_template(fmt, settings_of(request))


@router.post(ONE + "/test", dependencies=[CsrfChecked], response_class=HTMLResponse)
def test_connection(request: Request, account_id: str, page: AdminPage, db: SessionDep) -> Response:
    account = accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id)
    connection = flows.connect(db=db, broker=SessionBroker(settings_of(request)), account=account, probe=True)
    db.commit()  # what was learnt (connected with its probe, or a revoked role: disconnected) is kept
    if connection.error is not None:
        return _account_page(request, page, account, failure=connection.error, status_code=409)
    session = connection.raise_for_error()
    return _account_page(
        request,
        page,
        account,
        report={"caller": session.caller_arn, "sources": connection.probe},
    )


@router.post(ONE + "/actions-role", dependencies=[CsrfChecked], response_class=HTMLResponse)
def actions_role(
    request: Request,
    account_id: str,
    page: AdminPage,
    db: SessionDep,
    actions_role_arn: Annotated[str, Form(max_length=models.ARN_LENGTH)] = "",
) -> Response:
    account = accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id)
    try:
        flows.set_actions_role(
            db=db,
            account=account,
            actor=page.access.principal.label,
            actions_role_arn=actions_role_arn.strip() or None,
        )
    except UsageError as refused:
        db.rollback()
        account = accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id)
        return _account_page(request, page, account, failure=refused, status_code=400)
    done = "actions-on" if actions_role_arn.strip() else "actions-off"
    return RedirectResponse(f"/w/{page.workspace_id}/accounts/{account.id}?done={done}", status_code=303)


@router.post(ONE + "/disconnect", dependencies=[CsrfChecked])
def disconnect(account_id: str, page: AdminPage, db: SessionDep) -> Response:
    account = accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id)
    flows.disconnect(db=db, account=account, actor=page.access.principal.label)
    return RedirectResponse(
        f"/w/{page.workspace_id}/accounts/{account.id}?done=disconnected", status_code=303
    )


@router.post(ONE + "/remove", dependencies=[CsrfChecked])
def remove(account_id: str, page: AdminPage, db: SessionDep) -> Response:
    # flows.close, as the API: the purge that deletes its data runs as the tables' owner.
    flows.close(
        db=db,
        account=accounts.require_open(db=db, workspace_id=page.workspace_id, account_id=account_id),
        actor=page.access.principal.label,
    )
    return RedirectResponse(f"/w/{page.workspace_id}/accounts?done=removed", status_code=303)


def _new_page(request: Request, typed: dict[str, str], error: CloudWardenError | None) -> Response:
    return render(
        request,
        "onboarding/new.html",
        status_code=400 if error else 200,
        typed=typed,
        error=error,
        default_region=settings_of(request).default_region,
    )


def _account_page(
    request: Request,
    page: Page,
    account: models.Account,
    *,
    done: str | None = None,
    report: dict[str, Any] | None = None,
    failure: CloudWardenError | None = None,
    status_code: int = 200,
) -> Response:
    settings = settings_of(request)
    template_url = settings.template_url
    base = f"/w/{page.workspace_id}/accounts/{account.id}/template?format="
    return render(
        request,
        "onboarding/account.html",
        status_code=status_code,
        account=account,
        facts=accounts.describe(account),
        templates={fmt: base + fmt for fmt in TEMPLATE_MEDIA_TYPES},
        quick_create=(
            {
                "read": accounts.quick_create_url(account, template_url=template_url),
                "actions": accounts.quick_create_url(account, template_url=template_url, enable_actions=True),
            }
            if template_url
            else None
        ),
        actions_role_name=ACTIONS_ROLE_NAME,
        principal_arn=settings.principal_arn,
        may_write=page.may("accounts:write"),
        report=report,
        failure=failure,
        done=done,
    )
