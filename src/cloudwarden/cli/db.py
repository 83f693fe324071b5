"""`cloudwarden db migrate` and `cloudwarden purge`."""

from __future__ import annotations

from cloudwarden.cli import output
from cloudwarden.config import get_settings

app = output.sub_app("Database maintenance.")


@app.command("migrate")
def migrate() -> None:
    """Create or upgrade the database schema."""
    from cloudwarden import runtime

    runtime.open_store(get_settings())
    output.console.print("database is at the latest schema")


def purge(json_: output.JsonFlag = False) -> None:
    """Delete what is past its retention: metrics 30 d, events 7 d, diagnoses 90 d, audit log as configured.

    Closed accounts and workspaces go with everything they own.
    """
    from cloudwarden import runtime
    from cloudwarden.store import retention

    settings = get_settings()
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        counts = retention.purge(
            db, ages=retention.configured_ages(audit_retention_days=settings.audit_retention_days)
        )
    if json_:
        output.print_json(counts)
        return
    table = output.Table(title="Purged rows")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, str(count))
    output.out.print(table)
