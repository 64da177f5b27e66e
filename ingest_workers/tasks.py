"""Celery tasks of distributed ingest: thin shells around ``ingest_workers.distributed``.

Every task is idempotent by ``(tenant, job, stage[, segment])``, retried with exponential backoff
(capped at ``celery.retry_backoff_max_s``, with jitter) for up to ``celery.max_retries`` times on
unexpected errors, and after the last retry the job is marked failed with the reason. Errors that a
retry cannot fix (a deleted job, a payload that does not decode, a file that is gone or changed
since planning) fail at once. Each worker process
opens one :class:`~memory_core.runtime.Runtime`; the vector store only in processes that run the
write stage, so ``decode``/``perceive`` workers never hold the embedded store.
"""

from __future__ import annotations

import threading

from celery import Task
from celery.exceptions import Reject

from ingest_workers.celery_app import app
from ingest_workers.distributed import JobGone, LockBusy, consolidate_job, fail_job, perceive_segment, plan_job
from ingest_workers.errors import MediaError
from ingest_workers.perception_codec import CodecError
from memory_core.logging import get_logger, redact

log = get_logger(__name__)

_RT_LOCK = threading.Lock()
_RUNTIME = None
_PERCEIVER = None


def worker_runtime(vectors: bool):
    """This process's runtime (opened on first use; reopened with the vector store when a task
    needs it and it was opened without)."""
    global _RUNTIME
    from memory_core.runtime import Runtime

    with _RT_LOCK:
        if _RUNTIME is None or (vectors and _RUNTIME.vectors is None):
            if _RUNTIME is not None:
                _RUNTIME.close()
            _RUNTIME = Runtime.open(app.vidmem_settings, vectors=vectors)
        return _RUNTIME


def _perceiver(rt):
    global _PERCEIVER
    if _PERCEIVER is None:
        from ingest_workers.perceive import Perceiver

        _PERCEIVER = Perceiver(rt.providers, rt.settings)
    return _PERCEIVER


class IngestTask(Task):
    """Base task: late acks, requeue on a lost worker, backoff retries, failed job after the last."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (Exception,)
    dont_autoretry_for = (JobGone, CodecError, LockBusy, Reject, MediaError)
    retry_backoff = 2
    retry_jitter = True

    def __init__(self) -> None:
        c = app.vidmem_settings.celery
        self.max_retries = c.max_retries
        self.retry_backoff_max = int(c.retry_backoff_max_s)

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:  # noqa: D401 - Celery hook
        """After the last retry (or an error no retry fixes): the job fails with the reason."""
        if isinstance(exc, JobGone) or len(args) < 2:
            return
        tenant, job_id = args[0], args[1]
        reason = f"{self.name.split('.')[-1]} failed: {type(exc).__name__}: {redact(str(exc))[:500]}"
        try:
            fail_job(worker_runtime(vectors=False), tenant, job_id, reason)
        except Exception as err:  # noqa: BLE001 - logged; the reconciler will see the job again
            log.error("could not record job failure", job=job_id, error=repr(err)[:300])


@app.task(base=IngestTask, bind=True, name="vidmem.plan")
def plan(self, tenant: str, job_id: str) -> int:
    """Probe and segment the job's file, then send one ``vidmem.perceive`` per segment.
    Returns the number of segments (0 when the job ended or the file was refused)."""
    rt = worker_runtime(vectors=False)
    try:
        p = plan_job(rt, tenant, job_id)
    except JobGone:
        return 0
    if p is None:
        return 0
    for seg in range(p.n_segments):
        perceive.apply_async((tenant, job_id, seg))
    return p.n_segments


@app.task(base=IngestTask, bind=True, name="vidmem.perceive")
def perceive(self, tenant: str, job_id: str, segment: int) -> bool:
    """Perceive one segment; the task that completes the job's perception sends
    ``vidmem.consolidate``. Returns whether it did."""
    rt = worker_runtime(vectors=False)
    try:
        complete = perceive_segment(rt, tenant, job_id, segment, perceiver=_perceiver(rt))
    except JobGone:
        return False
    if complete:
        consolidate.apply_async((tenant, job_id))
    return complete


@app.task(base=IngestTask, bind=True, name="vidmem.consolidate")
def consolidate(self, tenant: str, job_id: str) -> str:
    """Write the job's memories; returns the job's final status (or ``"skipped"``)."""
    rt = worker_runtime(vectors=True)
    try:
        summary = consolidate_job(rt, tenant, job_id)
    except JobGone:
        return "skipped"
    except LockBusy:
        raise self.retry(countdown=rt.settings.celery.lock_wait_s, max_retries=None) from None
    return summary.status if summary is not None else "skipped"


@app.task(bind=True, name="vidmem.reconcile", acks_late=False, ignore_result=True)
def reconcile(self) -> int:
    """Re-dispatch stale jobs with no message in the broker (``ingest_workers.reconcile``)."""
    import redis

    from ingest_workers.celery_app import broker_url
    from ingest_workers.reconcile import reconcile as run

    rt = worker_runtime(vectors=False)
    client = redis.Redis.from_url(broker_url(rt.settings) or "redis://127.0.0.1:6379/0")
    try:
        return run(rt, app, client)
    finally:
        client.close()
