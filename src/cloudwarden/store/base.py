"""Declarative base and the retention classes every table must declare."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic alter and drop them later (SQLite batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RetentionClass(StrEnum):
    """How long a kind of data is kept. Each class's age limit is in MAX_AGE."""

    METRIC_DATAPOINTS = "metric_datapoints"
    FINDINGS_AND_EVENTS = "findings_and_events"
    DIAGNOSES = "diagnoses"
    # Kept while the account is connected or disconnected; purged once the account is closed.
    ACCOUNT_METADATA = "account_metadata"
    # Workspaces, people, memberships, data keys: kept until closed, deleted or removed.
    WORKSPACE_DATA = "workspace_data"
    # Invitations, sign-in sessions, API tokens: kept a week past their expiry (to explain a refusal).
    EXPIRED_CREDENTIALS = "expired_credentials"
    AUDIT_LOG = "audit_log"


MAX_AGE: dict[RetentionClass, timedelta | None] = {
    RetentionClass.METRIC_DATAPOINTS: timedelta(days=30),
    RetentionClass.FINDINGS_AND_EVENTS: timedelta(days=7),
    RetentionClass.DIAGNOSES: timedelta(days=90),
    RetentionClass.ACCOUNT_METADATA: None,
    RetentionClass.WORKSPACE_DATA: None,
    RetentionClass.EXPIRED_CREDENTIALS: timedelta(days=7),
    RetentionClass.AUDIT_LOG: timedelta(days=400),
}


@dataclass(frozen=True)
class Retention:
    """A model's retention declaration.

    `timestamp` names the row's own column that retention is measured from. For classes with an
    age limit, rows older than the limit are purged; for ACCOUNT_METADATA the column is the
    closing time, and rows are purged once it is set.
    """

    retention_class: RetentionClass
    timestamp: str

    @property
    def max_age(self) -> timedelta | None:
        return MAX_AGE[self.retention_class]
