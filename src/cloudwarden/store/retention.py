"""Retention: how long each kind of data is kept, and the purge that enforces it.

Every model declares `__retention__ = Retention(<class>, "<timestamp column>")`:

    METRIC_DATAPOINTS    30 days   MetricSeries (from collected_at)
    FINDINGS_AND_EVENTS   7 days   EvidenceRecord (from collected_at)
    DIAGNOSES            90 days   Incident (from received_at), Diagnosis (from created_at)
    ACCOUNT_METADATA     until the account is closed (closed_at set); then the account and
                         everything below it is purged

A row is also purged when a row it belongs to (through a foreign key) is purged, so an
incident past 90 days takes its remaining evidence, metrics and diagnoses with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select
from sqlalchemy.orm import Mapper, Session

from cloudwarden.store import models as _models  # noqa: F401  (registers every table on Base)
from cloudwarden.store.base import MAX_AGE, Base, Retention, RetentionClass
from cloudwarden.store.types import utcnow

__all__ = ["MAX_AGE", "Ages", "Retention", "RetentionClass", "configured_ages", "purge", "retention_of"]
Ages = Mapping[RetentionClass, timedelta | None]


def configured_ages(*, audit_retention_days: int) -> dict[RetentionClass, timedelta | None]:
    """The age limits a deployment sets (the audit log's); the others are fixed by the product."""
    return {RetentionClass.AUDIT_LOG: timedelta(days=audit_retention_days)}


class MissingRetentionError(TypeError):
    pass


def retention_of(model: type[Any]) -> Retention:
    """The model's retention declaration; raises if it has none or names no timestamp column."""
    declared = model.__dict__.get("__retention__")
    if not isinstance(declared, Retention):
        raise MissingRetentionError(
            f"{model.__name__} declares no retention class: add "
            f"__retention__ = Retention(RetentionClass.<CLASS>, '<timestamp column>')"
        )
    table = model.__table__
    if declared.timestamp not in table.c:
        raise MissingRetentionError(
            f"{model.__name__}.__retention__ names {declared.timestamp!r}, which is not a column of "
            f"{table.name}"
        )
    return declared


def mapped_models() -> list[type[Any]]:
    return [mapper.class_ for mapper in Base.registry.mappers]


def _model_by_table() -> dict[str, Mapper[Any]]:
    return {mapper.class_.__table__.name: mapper for mapper in Base.registry.mappers}


def _own_expiry(model: type[Any], now: datetime, ages: Ages) -> ColumnElement[bool]:
    """Rows of `model` that its own retention class says must go."""
    retention = retention_of(model)
    column: ColumnElement[datetime] = model.__table__.c[retention.timestamp]
    max_age = ages.get(retention.retention_class, retention.max_age)
    if max_age is None:
        # Kept until closed: the timestamp is the closing time.
        return column.is_not(None) & (column <= now)
    return column < now - max_age


def _doomed_ids(
    mapper: Mapper[Any], now: datetime, by_table: dict[str, Mapper[Any]], ages: Ages
) -> Select[Any]:
    """Primary keys of rows to purge: expired themselves, or belonging to a row being purged."""
    model = mapper.class_
    table = model.__table__
    conditions = [_own_expiry(model, now, ages)]
    for foreign_key in table.foreign_keys:
        parent = by_table[foreign_key.column.table.name]
        if parent is mapper:
            continue  # self-references are not followed (none exist today)
        conditions.append(foreign_key.parent.in_(_doomed_ids(parent, now, by_table, ages)))
    (primary_key,) = table.primary_key.columns
    return select(primary_key).where(or_(*conditions))


def purge(session: Session, now: datetime | None = None, *, ages: Ages | None = None) -> dict[str, int]:
    """Delete every row past its retention, children before parents; return rows deleted per table.

    `ages` overrides a class's age limit (the audit log's is a setting: CLOUDWARDEN_AUDIT_RETENTION_DAYS).

    Runs inside the caller's transaction: commit it (session_scope does) to make the purge stick.
    """
    now = now or utcnow()
    by_table = _model_by_table()
    counts: dict[str, int] = {}
    # Children first: their subqueries still see the parents that are about to go.
    for table in reversed(Base.metadata.sorted_tables):
        mapper = by_table[table.name]
        (primary_key,) = table.primary_key.columns
        doomed = _doomed_ids(mapper, now, by_table, ages or {})
        statement = delete(table).where(primary_key.in_(doomed))
        result = session.execute(statement)
        counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
    # Deleted rows may still be in the identity map; make the session forget their state.
    session.expire_all()
    return counts
