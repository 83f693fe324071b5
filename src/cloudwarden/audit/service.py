"""Writing, reading, verifying and exporting the audit log. Never commits: the boundary does.

An entry is written in the same transaction as the change it records, so a change that rolls
back leaves no entry and an entry never describes something that did not happen. A refusal
(a failed sign-in, a denied request) must survive the request's rollback: record it in its own
transaction (`session_scope`) before answering.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Select, event, func, or_, select, text
from sqlalchemy.orm import Session

from cloudwarden.audit import chain
from cloudwarden.store import rls
from cloudwarden.store.tenancy import AuditEntry
from cloudwarden.store.types import utcnow

Outcome = Literal["success", "denied", "failure"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
ExportFormat = Literal["csv", "json", "jsonl"]
EXPORT_MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
}
# What an export shows: every chained field but the chain's own bookkeeping, then the digest.
EXPORT_COLUMNS = (*(f for f in chain.FIELDS if f not in ("workspace_id", "prev_hash")), "hash")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries are removed only by retention")


def record(
    db: Session,
    *,
    workspace_id: str | None,
    action: str,
    actor: str,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    source_ip: str | None = None,
    outcome: Outcome = "success",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the workspace's chain (NULL workspace: the service's own chain).

    On PostgreSQL the caller has set the workspace (store/rls.py); the service's chain opens the
    service scope, which shows rows of no workspace only.
    """
    if workspace_id is None:
        rls.scope(db, service=True)
    _lock_chain(db, workspace_id)
    last = db.execute(_chain(workspace_id).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
    fields: dict[str, Any] = {
        "workspace_id": workspace_id,
        "seq": (last.seq + 1) if last else 1,
        "at": at or utcnow(),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "source_ip": source_ip,
        "outcome": outcome,
        "details": details or {},
        "prev_hash": last.hash if last else chain.GENESIS,
    }
    entry = AuditEntry(**fields, hash=chain.digest(fields))
    db.add(entry)
    db.flush()
    return entry


def entries(
    db: Session,
    *,
    workspace_id: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    outcome: str | None = None,
    after_seq: int = 0,
    before_seq: int | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[AuditEntry]:
    """The chain's entries in seq order (or newest first), all the given conditions holding.

    `action` matches an action ("channel.create") or its family ("channel" matches every
    "channel.*"); `actor` matches part of the actor's label, in any case.
    """
    query = _chain(workspace_id).where(AuditEntry.seq > after_seq)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if action:
        query = query.where(
            or_(AuditEntry.action == action, AuditEntry.action.startswith(f"{action}.", autoescape=True))
        )
    if actor:
        query = query.where(func.lower(AuditEntry.actor).contains(actor.lower(), autoescape=True))
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    query = query.order_by(AuditEntry.seq.desc() if newest_first else AuditEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def verify(db: Session, *, workspace_id: str | None, batch: int = 1000) -> chain.Verdict:
    """Walk the whole chain in seq order; the verdict names the first broken link."""
    return chain.verify(_as_dict(e) for e in _stream(db, workspace_id, batch))


def export(db: Session, *, workspace_id: str | None, fmt: ExportFormat, **filters: Any) -> str:
    """The entries `entries(**filters)` selects, oldest first: CSV, a JSON array or JSON Lines."""
    rows = [_export_row(e) for e in entries(db, workspace_id=workspace_id, **filters)]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        cells = {**row, "details": json.dumps(row["details"], sort_keys=True)}
        writer.writerow({name: _inert(value) for name, value in cells.items()})
    return out.getvalue()


@dataclass(frozen=True)
class ExportFile:
    """An export as it leaves the service: a download with its own name and type."""

    content: str
    media_type: str
    filename: str


def export_file(
    db: Session,
    *,
    workspace_id: str,
    fmt: ExportFormat,
    actor: str,
    actor_id: str | None,
    source_ip: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    actor_filter: str | None = None,
    outcome: str | None = None,
) -> ExportFile:
    """The workspace's log as a file (the API's and the console's export).

    Taking the log out of the service is itself audited ("audit.export", written first, so the
    file holds its own export entry when the filters select it).
    """
    record(
        db,
        workspace_id=workspace_id,
        action="audit.export",
        actor=actor,
        actor_id=actor_id,
        source_ip=source_ip,
        details={
            "format": fmt,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            **{
                name: value
                for name, value in (("action", action), ("actor", actor_filter), ("outcome", outcome))
                if value
            },
        },
    )
    content = export(
        db,
        workspace_id=workspace_id,
        fmt=fmt,
        since=since,
        until=until,
        action=action,
        actor=actor_filter,
        outcome=outcome,
    )
    return ExportFile(
        content=content,
        media_type=EXPORT_MEDIA_TYPES[fmt],
        filename=f"cloudwarden-audit-{workspace_id}.{fmt}",
    )


def _inert(value: Any) -> Any:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading quote (OWASP)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _chain(workspace_id: str | None) -> Select[AuditEntry]:
    if workspace_id is None:
        return select(AuditEntry).where(AuditEntry.workspace_id.is_(None))
    return select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)


def _lock_chain(db: Session, workspace_id: str | None) -> None:
    """One writer per chain at a time, held to the end of the transaction.

    SQLite has one writer per database: a write that matches nothing takes its write lock now
    (waiting for the busy timeout), before the read of the chain's head, so two writers never
    both read the same head. Do it before anything else in the transaction where possible: a
    transaction that has read already cannot wait for the lock.
    """
    if db.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"audit:{workspace_id}".encode())
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        db.execute(text("UPDATE audit_entries SET seq = seq WHERE 0 = 1"))


def _stream(db: Session, workspace_id: str | None, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        page = entries(db, workspace_id=workspace_id, after_seq=after, limit=batch)
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq


def _as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in (*chain.FIELDS, "hash")}


def _export_row(entry: AuditEntry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in EXPORT_COLUMNS}
    row["at"] = chain.canonical_time(entry.at)
    return row
