"""Pushed chunks for devices: a media segment with its capture start time and a sequence number.

``ingest_chunk`` is idempotent on (tenant, source, sequence): the chunk's job record has the
deterministic id :func:`chunk_job_id`, so a chunk sent again (a device retrying after a lost reply)
returns the result stored in that job without being processed again; a chunk whose earlier attempt
failed, or was interrupted, is processed again under the same job. Each chunk goes through the
regular file pipeline with ``start_time = capture_start``, so chunks that arrive late or out of
order land at their capture time; scene, event and story memories are per chunk (per media file).

Concurrency: calls for the same key in one process are serialised (striped locks); across
processes the job id is the claim, and a job another process is running (fresh heartbeat) is
reported as ``running`` instead of being started twice. :func:`claim_chunk` is the claim alone,
for callers that run the claimed job elsewhere (the REST service's ingest pool). The pipeline itself is idempotent (content
fingerprint ids, upserts), so even a duplicated run writes no duplicate memories.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from api_schemas import IngestSummary, JobStatus
from ingest_workers.distributed import JOB_KIND as DISTRIBUTED
from ingest_workers.pipeline import ingest_file
from memory_core.ids import stable_id
from memory_core.logging import get_logger
from memory_core.timeutil import ensure_aware, utcnow

log = get_logger(__name__)

_LOCKS = [threading.Lock() for _ in range(64)]
_DONE = (JobStatus.SUCCEEDED.value, JobStatus.PARTIAL.value)
_OPEN = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
STALE_AFTER_S = 120.0  # an open job without a heartbeat for this long is taken over


def chunk_job_id(tenant: str, source: str, sequence: int) -> str:
    """Deterministic job id of chunk ``sequence`` of ``source``: the idempotency key."""
    return stable_id("chunk", tenant, source, int(sequence))


def _lock(job_id: str) -> threading.Lock:
    return _LOCKS[zlib.crc32(job_id.encode()) % len(_LOCKS)]


def _status(job: dict) -> str:
    status = job.get("status")
    return status.value if isinstance(status, JobStatus) else str(status)


def chunk_taken(job: dict | None, busy: Callable[[str], bool] | None = None) -> bool:
    """Whether a chunk's job needs no new attempt: it is done (with its stored result), or open
    and alive (``busy(job_id)`` says this process runs it, it was handed to the Celery workers,
    or its heartbeat is fresh)."""
    if job is None:
        return False
    status = _status(job)
    if status in _DONE and job.get("result"):
        return True
    if status not in _OPEN:
        return False
    if busy is not None and busy(job["id"]):
        return True
    if job.get("kind") == DISTRIBUTED:
        return True  # the Celery workers run it, and their reconciler re-drives it if stalled
    beat = job.get("heartbeat_at") or job.get("updated_at")
    return beat is not None and utcnow() - ensure_aware(beat) < timedelta(seconds=STALE_AFTER_S)


def _claim(rt, tenant: str, source: str, sequence: int, media_path: str | None,
           busy: Callable[[str], bool] | None) -> tuple[str, dict | None]:
    job_id = chunk_job_id(tenant, source, sequence)
    job = rt.repo.get_job(tenant, job_id)
    if chunk_taken(job, busy):
        return job_id, job
    rt.repo.ensure_tenant(tenant)
    if rt.repo.get_source(tenant, source) is None:
        rt.repo.ensure_source(tenant, source, kind="device")
    rt.repo.create_job(tenant, source, kind="chunk", media_path=media_path, job_id=job_id)
    rt.repo.update_job(tenant, job_id, status=JobStatus.QUEUED, step="queued chunk", percent=0.0)
    return job_id, None


def claim_chunk(rt, tenant: str, source: str, *, sequence: int, media_path: str | None = None,
                busy: Callable[[str], bool] | None = None) -> tuple[str, dict | None]:
    """Take chunk ``sequence`` of ``source`` for a new attempt, once.

    Returns ``(job_id, None)`` when the caller now owns the attempt: the chunk's job is created
    (or, after a failed, cancelled or abandoned attempt, reset) as ``queued``, and the caller runs
    ``ingest_file(..., job_id=job_id, start_time=capture_start)``, as the REST service's ingest
    pool does. Returns ``(job_id, job)`` when the chunk needs nothing: ingested before (the job
    holds its ``IngestSummary`` in ``result``) or being ingested (see :func:`chunk_taken`).

    Raises:
        ValueError: for a negative sequence.
    """
    if int(sequence) < 0:
        raise ValueError("sequence must be >= 0")
    job_id = chunk_job_id(tenant, source, sequence)
    with _lock(job_id):
        return _claim(rt, tenant, source, int(sequence), media_path, busy)


def ingest_chunk(rt, tenant: str | None, source: str, path: str | Path, *, capture_start: datetime,
                 sequence: int, cancel: threading.Event | None = None) -> IngestSummary:
    """Ingest one pushed chunk, once.

    Args:
        rt: the opened runtime.
        tenant: tenant id (default ``settings.default_tenant``).
        source: the device's source name (created as kind ``device`` if missing).
        path: the chunk, a local media file.
        capture_start: wall-clock time of the chunk's first frame (a naive value is UTC).
        sequence: the device's sequence number of the chunk, >= 0.
        cancel: set it to stop the ingest (as ``ingest_file``).

    Returns:
        The chunk's ``IngestSummary``: the stored one when this sequence was ingested before;
        status ``running`` (with the job id to poll) while another process ingests it.

    Raises:
        ValueError: for a negative sequence.
    """
    if int(sequence) < 0:
        raise ValueError("sequence must be >= 0")
    tenant = tenant or rt.settings.default_tenant
    capture_start = ensure_aware(capture_start)
    job_id = chunk_job_id(tenant, source, sequence)
    with _lock(job_id):  # the same key in this process: one at a time, the second finds the result
        job_id, job = _claim(rt, tenant, source, int(sequence), str(path), None)
        if job is not None:
            if _status(job) in _DONE and job.get("result"):
                log.info("chunk already ingested", source=source, sequence=sequence, job=job_id)
                return IngestSummary.model_validate(job["result"])
            log.info("chunk being ingested elsewhere", source=source, sequence=sequence, job=job_id)
            return IngestSummary(source=source, job_id=job_id, status=JobStatus.RUNNING.value,
                                 media_path=str(path), media_seconds=0.0, start_time=capture_start, elapsed_s=0.0)
        rt.repo.update_job(tenant, job_id, status=JobStatus.RUNNING, step="queued chunk", percent=0.0)
        log.info("chunk ingest", source=source, sequence=sequence, job=job_id, capture_start=capture_start.isoformat())
        return ingest_file(rt, path, source=source, tenant=tenant, start_time=capture_start, job_id=job_id, cancel=cancel)
