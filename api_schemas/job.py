"""Durable job records for long work (ingest)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    """Lifecycle of a job: queued -> running -> succeeded | partial | failed | cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for terminal states."""
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobOut(BaseModel):
    """A job as clients see it: ``percent`` in [0, 100], ``step`` the current pipeline stage."""

    id: str
    source: str
    kind: str = "ingest"
    status: JobStatus
    step: str | None = None
    percent: float = Field(ge=0, le=100, default=0)
    error: str | None = None
    media_path: str | None = None
    created_at: datetime
    updated_at: datetime
    result: dict | None = None
