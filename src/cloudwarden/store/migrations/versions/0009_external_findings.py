"""External findings filled by posture scans: who produced each, the provider's times; per scan,
what the AWS security services said (counts by source and severity, each source's state).

posture_external_findings keeps its first_seen_at / last_seen_at as the first and the last scan
that read the finding (retention runs from the last); the provider's own times are new columns.
Both tables keep the workspace isolation policy of 0008 (added columns change nothing there).

Revision ID: 0009_external_findings
Revises: 0008_posture
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_external_findings"
down_revision: str | None = "0008_posture"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("posture_scans") as batch:
        batch.add_column(sa.Column("external", _json(), nullable=True))
    with op.batch_alter_table("posture_external_findings") as batch:
        batch.add_column(sa.Column("product", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("provider_first_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("provider_last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posture_external_findings") as batch:
        batch.drop_column("provider_last_seen_at")
        batch.drop_column("provider_first_seen_at")
        batch.drop_column("product")
    with op.batch_alter_table("posture_scans") as batch:
        batch.drop_column("external")
