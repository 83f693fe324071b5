"""`cloudwarden audit verify|export`: the local store's audit log (its default workspace)."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings
from cloudwarden.errors import IntegrityFailure

app = output.sub_app("The audit log: append-only, hash-chained; verify it or export it.")


@app.command("verify")
def verify(json_: output.JsonFlag = False) -> None:
    """Check every link of the chain; name the first entry that was changed, removed or moved."""
    from cloudwarden import runtime
    from cloudwarden.audit import service as audit

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        verdict = audit.verify(db, workspace_id=runtime.LOCAL_WORKSPACE_ID)
    if not verdict.ok:
        raise IntegrityFailure(
            f"the audit log is broken at entry {verdict.first_broken}: {verdict.reason}",
            hint=f"{verdict.checked} entries before it are intact; entries from this one on cannot be trusted",
            details={"checked": verdict.checked, "first_broken": verdict.first_broken},
        )
    if json_:
        output.print_json({"ok": True, "checked": verdict.checked})
    else:
        output.out.print(f"The audit log is intact: {verdict.checked} entries, every link holds.")


@app.command("export")
def export(
    format_: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """Print the audit log as CSV or JSON, oldest entry first."""
    from cloudwarden import runtime
    from cloudwarden.audit import service as audit

    if format_ not in ("csv", "json"):
        raise typer.BadParameter("must be csv or json", param_hint="--format")
    fmt: Literal["csv", "json"] = "csv" if format_ == "csv" else "json"
    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        sys.stdout.write(audit.export(db, workspace_id=runtime.LOCAL_WORKSPACE_ID, fmt=fmt))
