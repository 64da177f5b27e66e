"""Staged perception results of distributed ingest jobs (table ``ingest_segments``).

``perceive`` tasks write one row per segment of a job (an upsert: a task that runs twice writes the
same row); the ``write`` task reads them all in clip order once every planned segment is there, then
deletes them. Rows are keyed by ``(job_id, segment)`` and always filtered by tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, delete, select

from memory_core.stores.relational.models import IngestSegmentRow
from memory_core.timeutil import utcnow

T_SEGMENTS: Table = IngestSegmentRow.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class StagedSegment:
    """One staged segment: clips ``first_clip .. first_clip + clip_count - 1``; ``eof`` when the
    file ended inside it; ``errors`` decode problems (plain language); ``payload`` codec bytes."""

    segment: int
    first_clip: int
    clip_count: int
    eof: bool
    errors: list[str]
    payload: bytes


class SegmentStaging:
    """Reads and writes ``ingest_segments`` through a ``SqlRepository``'s engine and sessions."""

    def __init__(self, repo) -> None:
        self.repo = repo

    def put(self, tenant: str, job_id: str, seg: StagedSegment) -> None:
        """Insert or replace a segment's row."""
        row = {"job_id": job_id, "segment": seg.segment, "tenant_id": tenant, "first_clip": seg.first_clip,
               "clip_count": seg.clip_count, "eof": seg.eof, "errors": list(seg.errors), "payload": seg.payload,
               "created_at": utcnow()}
        stmt = self.repo._insert(T_SEGMENTS)
        stmt = stmt.on_conflict_do_update(
            index_elements=["job_id", "segment"],
            set_={k: stmt.excluded[k] for k in ("first_clip", "clip_count", "eof", "errors", "payload", "created_at")},
            where=T_SEGMENTS.c.tenant_id == stmt.excluded.tenant_id,
        )
        with self.repo._tx() as s:
            s.execute(stmt, [row])

    def done(self, tenant: str, job_id: str) -> set[int]:
        """Segment numbers staged for the job."""
        q = select(T_SEGMENTS.c.segment).where(T_SEGMENTS.c.tenant_id == tenant, T_SEGMENTS.c.job_id == job_id)
        with self.repo._tx() as s:
            return {r[0] for r in s.execute(q)}

    def load(self, tenant: str, job_id: str) -> list[StagedSegment]:
        """Every staged segment of the job, in segment order."""
        q = (select(T_SEGMENTS).where(T_SEGMENTS.c.tenant_id == tenant, T_SEGMENTS.c.job_id == job_id)
             .order_by(T_SEGMENTS.c.segment))
        with self.repo._tx() as s:
            return [StagedSegment(r.segment, r.first_clip, r.clip_count, bool(r.eof), list(r.errors or []), bytes(r.payload))
                    for r in s.execute(q)]

    def delete(self, tenant: str, job_id: str) -> int:
        """Drop the job's staged rows; returns how many."""
        with self.repo._tx() as s:
            return s.execute(delete(T_SEGMENTS).where(T_SEGMENTS.c.tenant_id == tenant, T_SEGMENTS.c.job_id == job_id)).rowcount
