"""The signed-in person: who they are, their workspaces, their password and two-factor authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cloudwarden.api import ratelimit
from cloudwarden.api.auth import IdentityDep, PrincipalDep
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.schemas import ApiInput
from cloudwarden.identity import twofactor, users, workspaces
from cloudwarden.identity.access import Forbidden, Principal

router = APIRouter(prefix="/me", tags=["me"])


def _person(who: PrincipalDep) -> Principal:
    if who.scopes is not None:
        raise Forbidden("an API token cannot change its person's sign-in settings", hint="sign in")
    return who


PersonDep = Annotated[Principal, Depends(_person)]
_two_factor_limit = Depends(ratelimit.rate_limit("two_factor", ratelimit.client_address))


class MembershipOut(BaseModel):
    workspace_id: str
    name: str
    slug: str
    role: str
    module_roles: dict[str, str]
    require_2fa: bool


class Me(BaseModel):
    id: str
    email: str
    display_name: str
    two_factor: bool
    backup_codes_left: int
    workspaces: list[MembershipOut]


class Enrolment(BaseModel):
    secret: str = Field(description="For typing into the authenticator app by hand")
    provisioning_uri: str = Field(description="otpauth:// URI, for a QR code")


class Code(ApiInput):
    code: str = Field(min_length=6, max_length=32)


class BackupCodes(BaseModel):
    backup_codes: list[str] = Field(description="Shown once: each signs in once when the phone is lost")


class Disable(ApiInput):
    password: str = Field(max_length=1024)
    code: str = Field(min_length=6, max_length=32)


class PasswordChange(ApiInput):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@router.get("", summary="The signed-in person and their workspaces")
def me(who: PrincipalDep, db: SessionDep) -> Me:
    user = users.get(db, who.user_id)
    return Me(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        two_factor=user.totp_enabled_at is not None,
        backup_codes_left=twofactor.remaining_backup_codes(user),
        workspaces=[
            MembershipOut(
                workspace_id=w.id,
                name=w.name,
                slug=w.slug,
                role=m.role,
                module_roles=m.module_roles or {},
                require_2fa=w.require_2fa,
            )
            for w, m in workspaces.of_user(db, user_id=user.id)
            if who.token_workspace_id in (None, w.id)
        ],
    )


@router.post(
    "/2fa/enrolment", summary="Start enrolling an authenticator app", dependencies=[_two_factor_limit]
)
def start_enrolment(who: PersonDep, db: SessionDep, config: IdentityDep) -> Enrolment:
    enrolment = twofactor.start(db, config=config, user=users.get(db, who.user_id), source_ip=who.source_ip)
    return Enrolment(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)


@router.post(
    "/2fa/confirm",
    summary="Turn 2FA on with a first code; answers the backup codes once and ends other sessions",
    dependencies=[_two_factor_limit],
)
def confirm_enrolment(body: Code, who: PersonDep, db: SessionDep, config: IdentityDep) -> BackupCodes:
    codes = twofactor.confirm(
        db,
        config=config,
        user=users.get(db, who.user_id),
        code=body.code,
        session_id=who.session_id,
        source_ip=who.source_ip,
    )
    return BackupCodes(backup_codes=list(codes))


@router.post(
    "/2fa/disable",
    status_code=204,
    summary="Turn 2FA off (password and a code)",
    dependencies=[_two_factor_limit],
)
def disable(body: Disable, who: PersonDep, db: SessionDep, config: IdentityDep) -> None:
    twofactor.disable(
        db,
        config=config,
        user=users.get(db, who.user_id),
        password=body.password,
        code=body.code,
        source_ip=who.source_ip,
    )


class PhoneIn(ApiInput):
    phone: str | None = Field(
        max_length=20,
        description="E.164 (+447700900123) or null: WhatsApp replies from it act as you (approvals)",
    )


@router.put("/phone", status_code=204, summary="Set (or clear) the phone number WhatsApp approvals come from")
def set_phone(body: PhoneIn, who: PersonDep, db: SessionDep) -> None:
    users.set_phone(db, user=users.get(db, who.user_id), phone=body.phone, source_ip=who.source_ip)


@router.post("/password", status_code=204, summary="Change the password; every session ends")
def change_password(body: PasswordChange, who: PersonDep, db: SessionDep, config: IdentityDep) -> None:
    users.change_password(
        db,
        config=config,
        user=users.get(db, who.user_id),
        current=body.current_password,
        new=body.new_password,
        source_ip=who.source_ip,
    )
