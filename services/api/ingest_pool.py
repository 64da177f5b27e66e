"""The in-process ingest pool: a bounded ``ThreadPoolExecutor`` running
:func:`ingest_workers.pipeline.ingest_file`, with a cancel ``Event`` per job.

The job record (created ``queued`` before submission) is the source of truth for clients; the pool
keeps only what a record cannot hold: the cancel events and futures of the jobs of this process.
A job that fails or is cancelled leaves nothing half-written: the pipeline rolls its memories back
and the pool removes the media file vidmem owns for it (an upload or a download).

With a ``dispatch`` function (``ingest_workers.dispatch.dispatch_ingest``, when
``ingest_workers.dispatch.api_dispatch`` says so) a job's thread only downloads and checks the
file, then hands the job to the Celery workers; cancelling it, or deleting its source, then goes
through ``ingest_workers.distributed.cancel_job`` under the job's write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from api_schemas import JobStatus
from memory_core.forget import forget_media_path
from memory_core.logging import get_logger, redact
from services.api.errors import ApiError
from services.api.ssrf import UrlPolicy, UrlRefused, download

log = get_logger(__name__)


@dataclass
class JobSpec:
    """One ingest job: a local ``path`` or a ``url`` to download into ``dest_dir`` first.

    ``owned`` files (uploads, downloads) are deleted when the job fails or is cancelled.
    ``check_media`` (optional) is called with the downloaded path before ingest and raises to refuse it
    (quota).
    """

    tenant: str
    source: str
    job_id: str
    path: Path | None = None
    url: str | None = None
    dest_dir: Path | None = None
    start_time: datetime | None = None
    owned: bool = False
    check_media: Callable[[Path], None] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    started: bool = False


class IngestPool:
    """Runs ingest jobs on ``workers`` threads; at most ``queue_max`` jobs queued or running.

    Args:
        rt: the runtime given to ``ingest_file``.
        workers: threads (jobs at once).
        queue_max: backlog bound; :meth:`submit` answers 503 beyond it.
        policy: URL policy for download jobs.
        on_outcome: called with the final status of each job (metrics), ``"dispatched"`` for a
            job handed to the Celery workers.
        ingest: the ingest function (tests may pass another with the same signature).
        dispatch: hands a job to the Celery workers instead of ``ingest`` (signature of
            ``ingest_workers.dispatch.dispatch_ingest``); ``None`` ingests in this process.
    """

    def __init__(self, rt, *, workers: int, queue_max: int, policy: UrlPolicy,
                 on_outcome: Callable[[str], None] | None = None, ingest: Callable | None = None,
                 dispatch: Callable | None = None) -> None:
        if ingest is None:
            from ingest_workers.pipeline import ingest_file as ingest
        self.rt = rt
        self.policy = policy
        self.queue_max = queue_max
        self._ingest = ingest
        self._dispatch = dispatch
        self._on_outcome = on_outcome or (lambda _status: None)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vidmem-ingest")
        self._jobs: dict[tuple[str, str], tuple[JobSpec, Future]] = {}
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ queries
    def backlog(self) -> int:
        """Jobs queued or running in this process."""
        with self._lock:
            return len(self._jobs)

    def active(self, tenant: str, job_id: str) -> bool:
        """True while the job is queued or running here."""
        with self._lock:
            return (tenant, job_id) in self._jobs

    # ------------------------------------------------------------------ control
    def submit(self, spec: JobSpec) -> None:
        """Queue a job whose record already exists (status ``queued``).

        Raises:
            ApiError: 503 ``busy`` when the backlog is full or the pool is shutting down (the job
                record is then marked failed and an owned file removed).
        """
        with self._lock:
            full = self._closed or len(self._jobs) >= self.queue_max
            if not full:
                future = self._executor.submit(self._run, spec)
                self._jobs[(spec.tenant, spec.job_id)] = (spec, future)
        if full:
            self._finish(spec, JobStatus.FAILED, "ingest queue is full; retry later")
            raise ApiError(503, "busy", "the ingest queue is full; retry later", headers={"Retry-After": "30"})

    def cancel(self, tenant: str, job_id: str) -> bool:
        """Ask a job of ``tenant`` to stop: one queued or running here, or one handed to the
        Celery workers (cancelled at once in the job record). False when neither.

        Raises:
            ApiError: 409 ``conflict`` when the workers are writing the job's memories now.
        """
        with self._lock:
            entry = self._jobs.get((tenant, job_id))
        if entry is not None:
            entry[0].cancel.set()
            return True
        from ingest_workers.distributed import JOB_KIND, JobGone, LockBusy, cancel_job

        job = self.rt.repo.get_job(tenant, job_id)
        if job is None or job["kind"] != JOB_KIND:
            return False
        try:
            return cancel_job(self.rt, tenant, job_id)
        except JobGone:
            return False
        except LockBusy:
            raise ApiError(409, "conflict", "the workers are writing this job's memories; it can no longer be cancelled") from None

    def cancel_source(self, tenant: str, source: str, timeout_s: float = 60.0) -> int:
        """Cancel every job of a source, here and on the Celery workers, and wait (up to
        ``timeout_s``) until they stopped. Returns how many were cancelled."""
        from ingest_workers.distributed import cancel_source_jobs

        with self._lock:
            entries = [e for (t, _), e in self._jobs.items() if t == tenant and e[0].source == source]
        for spec, _ in entries:
            spec.cancel.set()
        for _, future in entries:
            try:
                future.result(timeout=timeout_s)
            except Exception:  # noqa: BLE001 - the job records its own failure
                pass
        return len(entries) + cancel_source_jobs(self.rt, tenant, source, timeout_s=timeout_s)

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Cancel every job and stop the threads; queued jobs are marked cancelled."""
        with self._lock:
            self._closed = True
            entries = list(self._jobs.values())
        for spec, _ in entries:
            spec.cancel.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for spec, future in entries:
            if future.cancelled():
                self._finish(spec, JobStatus.CANCELLED, "service stopped before the job started")
                self._forget(spec)

    # ------------------------------------------------------------------ work
    def _forget(self, spec: JobSpec) -> None:
        with self._lock:
            self._jobs.pop((spec.tenant, spec.job_id), None)

    def _finish(self, spec: JobSpec, status: JobStatus, error: str | None) -> None:
        try:
            self.rt.repo.update_job(spec.tenant, spec.job_id, status=status, error=error,
                                    step="cancelled" if status is JobStatus.CANCELLED else None)
        except KeyError:  # the source (and its jobs) were deleted meanwhile
            pass
        self._cleanup(spec)

    def _cleanup(self, spec: JobSpec) -> None:
        """Nothing half-written: a file vidmem owns (upload, download, chunk) goes with whatever
        is recorded for it. A server path is the operator's: the pipeline has rolled back what the
        failed run wrote, and an earlier successful ingest of the same path stays (a job that
        failed at the probe or the quota, or was cancelled while queued, wrote nothing)."""
        if spec.path is None or not spec.owned:
            return
        try:
            forget_media_path(self.rt, spec.tenant, spec.source, spec.path)
        except Exception as exc:  # noqa: BLE001 - best effort; logged
            log.error("ingest cleanup incomplete", job=spec.job_id, error=repr(exc)[:300])

    def _run(self, spec: JobSpec) -> str:
        spec.started = True
        status = JobStatus.FAILED.value
        try:
            if spec.cancel.is_set():
                self._finish(spec, JobStatus.CANCELLED, "cancelled by request")
                return (status := JobStatus.CANCELLED.value)
            if spec.url is not None:
                self._download(spec)
            if spec.check_media is not None and spec.path is not None:
                spec.check_media(spec.path)
            if self._dispatch is not None:
                return (status := self._hand_over(spec))
            summary = self._ingest(self.rt, spec.path, source=spec.source, tenant=spec.tenant, start_time=spec.start_time,
                                   job_id=spec.job_id, cancel=spec.cancel)
            status = summary.status
            if status in (JobStatus.FAILED.value, JobStatus.CANCELLED.value):
                self._cleanup(spec)
            return status
        except InterruptedError:
            self._finish(spec, JobStatus.CANCELLED, "cancelled by request")
            return (status := JobStatus.CANCELLED.value)
        except (UrlRefused, ApiError) as exc:
            self._finish(spec, JobStatus.FAILED, str(exc) if isinstance(exc, UrlRefused) else exc.message)
            return status
        except Exception as exc:  # noqa: BLE001 - recorded on the job, never lost
            log.error("ingest job crashed", job=spec.job_id, error=redact(repr(exc))[:500])
            self._finish(spec, JobStatus.FAILED, f"{type(exc).__name__}: {redact(str(exc))[:500]}")
            return status
        finally:
            self._forget(spec)
            self._on_outcome(status)

    def _hand_over(self, spec: JobSpec) -> str:
        """Send the job to the Celery workers; a broker that does not answer leaves the job
        ``queued`` with its request recorded, for the reconciler to send once it is back."""
        from kombu.exceptions import OperationalError

        from ingest_workers.distributed import cancel_job

        try:
            self._dispatch(self.rt, spec.path, source=spec.source, tenant=spec.tenant, start_time=spec.start_time,
                           job_id=spec.job_id, owned=spec.owned)
        except OperationalError as exc:
            log.warning("broker unreachable; the reconciler sends the job when it is back", job=spec.job_id,
                        error=type(exc).__name__)
        if spec.cancel.is_set() and not self._closed:  # cancelled by request while being handed over
            cancel_job(self.rt, spec.tenant, spec.job_id)
        return "dispatched"

    def _download(self, spec: JobSpec) -> None:
        assert spec.url is not None and spec.dest_dir is not None
        repo = self.rt.repo
        last = [0]

        def progress(nbytes: int) -> None:
            if nbytes - last[0] >= 8 << 20:
                last[0] = nbytes
                repo.update_job(spec.tenant, spec.job_id, status=JobStatus.RUNNING, step=f"download {nbytes >> 20} MiB")

        repo.update_job(spec.tenant, spec.job_id, status=JobStatus.RUNNING, step="download", percent=0.0)
        path, size = download(spec.url, spec.dest_dir, self.policy, cancel=spec.cancel, progress=progress)
        spec.path, spec.owned = path, True
        log.info("ingest download done", job=spec.job_id, bytes=size)
