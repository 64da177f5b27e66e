"""Staging table of distributed ingest: perception results per segment of a job.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_segments",
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("first_clip", sa.Integer(), nullable=False),
        sa.Column("clip_count", sa.Integer(), nullable=False),
        sa.Column("eof", sa.Boolean(), nullable=False),
        sa.Column("errors", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "segment", name="pk_ingest_segments"),
    )
    op.create_index("ix_ingest_segments_tenant_job", "ingest_segments", ["tenant_id", "job_id"])


def downgrade() -> None:
    op.drop_index("ix_ingest_segments_tenant_job", table_name="ingest_segments")
    op.drop_table("ingest_segments")
