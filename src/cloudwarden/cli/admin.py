"""`cloudwarden admin bootstrap` (the first owner) and `cloudwarden keys rotate` (re-wrap data keys)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings
from cloudwarden.errors import UsageError

app = output.sub_app("Administer the service: create its first owner.")
keys_app = output.sub_app("The keys that protect stored secrets.")


@app.command("bootstrap")
def bootstrap(
    email: Annotated[str, typer.Option("--email", help="The owner's email (they sign in with it)")],
    name: Annotated[str, typer.Option("--name", help="The owner's display name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts)")
    ] = False,
    json_: output.JsonFlag = False,
) -> None:
    """Create the first owner of the service (owner of the default workspace). Runs once."""
    from cloudwarden import runtime
    from cloudwarden.identity import bootstrap as identity_bootstrap
    from cloudwarden.identity import users
    from cloudwarden.identity.config import from_settings

    try:  # checked before a password is asked for
        email = users.normalize_email(email)
        name = users.check_display_name(name)
    except UsageError as exc:
        raise typer.BadParameter(
            exc.message, param_hint="--email" if "email" in exc.message else "--name"
        ) from None
    settings = get_settings()
    config = from_settings(settings)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise UsageError("no password: type it at the prompt, or pass --password-stdin and pipe it in")
    if not password:
        raise UsageError("the password is empty")
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        user, workspace = identity_bootstrap.bootstrap_owner(
            db, config=config, email=email, password=password, display_name=name, actor=runtime.local_actor()
        )
        result = {"user_id": user.id, "email": user.email, "workspace_id": workspace.id}
    if json_:
        output.print_json(result)
    else:
        output.out.print(
            f"{result['email']} is the owner of workspace {workspace.name} ({result['workspace_id']}).\n"
            "Sign in with POST /api/v1/auth/sign-in, then enrol 2FA with POST /api/v1/me/2fa/enrolment."
        )


@keys_app.command("rotate")
def rotate(
    create: Annotated[
        bool, typer.Option("--create", help="Create the local key file when it does not exist yet")
    ] = False,
    json_: output.JsonFlag = False,
) -> None:
    """Make a new wrapping key current and re-wrap every data key with it (stored secrets stay as they are).

    The local key file keeps the old key until every data key is re-wrapped, then drops it; with
    KMS, a new key ARN in CLOUDWARDEN_KMS_KEY_ARN is what rotates (KMS's own rotation needs no re-wrap).
    """
    from cloudwarden import runtime
    from cloudwarden.crypto.providers import LocalKeyProvider, default_local_key_path
    from cloudwarden.identity.config import key_provider
    from cloudwarden.vault import service as vault

    settings = get_settings()
    if create and settings.key_provider == "local":
        path = settings.key_file or default_local_key_path(settings.data_dir)
        LocalKeyProvider(path, create=True).key_id  # noqa: B018  (creates the file)
    provider = key_provider(settings)
    old_keys: tuple[str, ...] = ()
    if isinstance(provider, LocalKeyProvider):
        old_keys = provider.key_ids
        provider.add_key()
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        rotation = vault.rotate(db, provider=provider)
    # A data key another process created with an old key meanwhile is re-wrapped before the old
    # key goes: a key is removed only when no stored data key needs it (checked after the commit).
    with factory.begin() as db:
        if old_keys and vault.wrapped_by(db, old_keys):
            vault.rotate(db, provider=provider)
    if isinstance(provider, LocalKeyProvider):
        with factory.begin() as db:
            still_needed = vault.wrapped_by(db, old_keys)
        for key_id in old_keys if not still_needed else ():
            provider.remove_key(key_id)
    result = {
        "rewrapped": rotation.rewrapped,
        "current": rotation.current,
        "key_id": rotation.wrapping_key_id,
    }
    if json_:
        output.print_json(result)
    else:
        output.out.print(
            f"Re-wrapped {rotation.rewrapped} data keys with {rotation.wrapping_key_id} "
            f"({rotation.current} already were)."
        )
