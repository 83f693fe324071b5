"""A workspace's AWS accounts: register, the onboarding template, test the connection, disconnect, remove.

Thin over cloudwarden.accounts (flows and service). Testing the connection calls AWS inside the
request (AssumeRole, then one read per evidence source): the user asked for it and waits for it.
A revoked role is recorded (the account is disconnected) and committed before the 409 is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from cloudwarden.accounts import flows
from cloudwarden.accounts import service as accounts
from cloudwarden.api import downloads
from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep, settings_of
from cloudwarden.api.downloads import TEMPLATE_MEDIA_TYPES
from cloudwarden.api.schemas import ApiInput
from cloudwarden.aws.session import SessionBroker
from cloudwarden.identity.access import Access
from cloudwarden.store import models
from cloudwarden.store import service as store

router = APIRouter(tags=["accounts"])
ACCOUNTS = "/workspaces/{workspace_id}/accounts"
ONE = f"{ACCOUNTS}/{{account_id}}"

AccountsRead = Annotated[Access, Depends(allow("accounts:read"))]
AccountsWrite = Annotated[Access, Depends(allow("accounts:write"))]


def find_account(db: SessionDep, granted: Access, account_id: str) -> models.Account:
    """The workspace's open account; another workspace's, a closed or an unknown one is a 404."""
    return accounts.require_open(db=db, workspace_id=granted.workspace_id, account_id=account_id)


class AccountIn(ApiInput):
    role_arn: str = Field(
        min_length=1, max_length=models.ARN_LENGTH, description=f"e.g. {accounts.ROLE_ARN_EXAMPLE}"
    )
    region: str | None = Field(
        default=None, max_length=32, description="Region to investigate (default: the service's)"
    )
    name: str | None = Field(default=None, max_length=accounts.NAME_MAX)


class AccountOut(BaseModel):
    id: str
    name: str
    aws_account_id: str
    role_arn: str
    external_id: str = Field(description="The sts:ExternalId the role's trust policy must require")
    regions: list[str]
    status: str
    status_reason: str | None
    created_at: datetime
    connected_at: datetime | None
    last_probe: dict[str, Any] | None = Field(description="Per evidence source, from the last test")
    actions_role_arn: str | None = Field(
        default=None, description="The stack's actions role (EnableActions=true): approved remediations only"
    )
    deploy_command: str = Field(description="Deploys the onboarding template with this ExternalId")

    @classmethod
    def of(cls, account: models.Account) -> AccountOut:
        return cls.model_validate(accounts.describe(account))


class RegisteredOut(AccountOut):
    created: bool = Field(description="False: the role was registered already (this is that account)")
    template_urls: dict[str, str] = Field(description="The onboarding template, per format")

    @classmethod
    def registered(cls, account: models.Account, *, created: bool, workspace_id: str) -> RegisteredOut:
        base = f"/api/v1/workspaces/{workspace_id}/accounts/{account.id}/template?format="
        return cls(
            **AccountOut.of(account).model_dump(),
            created=created,
            template_urls={fmt: base + fmt for fmt in TEMPLATE_MEDIA_TYPES},
        )


class SourceOut(BaseModel):
    source: str
    action: str
    usable: bool
    detail: str


class ConnectionOut(BaseModel):
    account: AccountOut
    connected: bool
    aws_account_id: str
    caller: str
    sources: list[SourceOut]


@router.get(ACCOUNTS, summary="The workspace's AWS accounts")
def list_accounts(granted: AccountsRead, db: SessionDep) -> list[AccountOut]:
    return [AccountOut.of(a) for a in store.list_accounts(db=db, workspace_id=granted.workspace_id)]


@router.post(
    ACCOUNTS,
    status_code=201,
    summary="Register an account by its role ARN: its ExternalId and how to deploy the template",
    responses={200: {"description": "The role was registered already: that account"}},
)
def register_account(
    body: AccountIn, request: Request, response: Response, granted: AccountsWrite, db: SessionDep
) -> RegisteredOut:
    account, created = flows.register(
        db=db,
        workspace_id=granted.workspace_id,
        actor=granted.principal.label,
        role_arn=body.role_arn,
        region=body.region or settings_of(request).default_region,
        name=body.name,
    )
    if not created:
        response.status_code = 200
    return RegisteredOut.registered(account, created=created, workspace_id=granted.workspace_id)


@router.get(ONE, summary="One account: role, ExternalId, status, last test, deploy command")
def get_account(account_id: str, granted: AccountsRead, db: SessionDep) -> AccountOut:
    return AccountOut.of(find_account(db, granted, account_id))


@router.get(
    f"{ONE}/template",
    summary="The onboarding template to deploy (pass the account's ExternalId as its parameter)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/yaml": {}, "text/plain": {}},
            "description": "CloudFormation (YAML) or Terraform (HCL)",
        }
    },
)
def get_template(
    account_id: str,
    request: Request,
    granted: AccountsRead,
    db: SessionDep,
    fmt: Annotated[Literal["cloudformation", "terraform"], Query(alias="format")] = "cloudformation",
) -> Response:
    find_account(db, granted, account_id)  # the template is the same for every account; 404 all the same
    return downloads.onboarding_template(fmt, settings_of(request))


@router.post(
    f"{ONE}/test",
    summary="AssumeRole with the ExternalId, then check each evidence source (calls AWS now)",
)
def test_connection(
    account_id: str, request: Request, granted: AccountsWrite, db: SessionDep
) -> ConnectionOut:
    account = find_account(db, granted, account_id)
    connection = flows.connect(db=db, broker=SessionBroker(settings_of(request)), account=account, probe=True)
    if connection.error is not None:
        db.commit()  # what was learnt (a revoked role: disconnected) is kept; then the error is answered
        raise connection.error
    session = connection.raise_for_error()
    return ConnectionOut(
        account=AccountOut.of(account),
        connected=True,
        aws_account_id=session.account_id,
        caller=session.caller_arn,
        sources=[SourceOut(**r.__dict__) for r in connection.probe],
    )


class ActionsRoleIn(ApiInput):
    actions_role_arn: str | None = Field(
        max_length=models.ARN_LENGTH, description="The stack's ActionsRoleArn output; null turns actions off"
    )


@router.put(f"{ONE}/actions-role", summary="Register the actions role (EnableActions) or turn actions off")
def set_actions_role(
    account_id: str, body: ActionsRoleIn, granted: AccountsWrite, db: SessionDep
) -> AccountOut:
    account = find_account(db, granted, account_id)
    flows.set_actions_role(
        db=db, account=account, actor=granted.principal.label, actions_role_arn=body.actions_role_arn
    )
    return AccountOut.of(account)


@router.post(f"{ONE}/disconnect", summary="Stop using the account until its connection is tested again")
def disconnect_account(account_id: str, granted: AccountsWrite, db: SessionDep) -> AccountOut:
    account = find_account(db, granted, account_id)
    return AccountOut.of(flows.disconnect(db=db, account=account, actor=granted.principal.label))


@router.delete(
    ONE,
    status_code=204,
    summary="Remove the account: closed now, deleted with its incidents and diagnoses by the next purge",
)
def remove_account(account_id: str, granted: AccountsWrite, db: SessionDep) -> None:
    # flows.close, not flows.remove: the purge remove runs needs the tables' owner, not the API's role.
    flows.close(db=db, account=find_account(db, granted, account_id), actor=granted.principal.label)
