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
    """Delete what is past its retention class (metrics 30 d, events 7 d, diagnoses 90 d, closed accounts)."""
    from cloudwarden import runtime
    from cloudwarden.store import retention

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        counts = retention.purge(db)
    if json_:
        output.print_json(counts)
        return
    table = output.Table(title="Purged rows")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, str(count))
    output.out.print(table)
