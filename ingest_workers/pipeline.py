"""The ingest pipeline for one media file, in process:

    probe -> decode (thread) -> clips -> perceive -> write clip memories
          -> close scenes, events, story -> update entities and semantic memory

Each stage is a plain function or class from ``ingest_workers``/``memory_core.building`` so the same
code runs here and inside Celery tasks. Progress and outcome live in the job record. Re-ingesting a
file into the same source replaces its memories (deterministic ids, upserts): no duplicates. A
failure after writing began removes this file's memories again and leaves a failed job record.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from api_schemas import IngestSummary, JobStatus
from ingest_workers.clock import resolve_start_time
from ingest_workers.decode import ClipDecoder
from ingest_workers.errors import MediaError
from ingest_workers.probe import probe_media
from ingest_workers.processor import ClipProcessor
from memory_core.domain import MediaFile
from memory_core.ids import media_file_id
from memory_core.logging import get_logger
from memory_core.runtime import Runtime
from memory_core.timeutil import utcnow

log = get_logger(__name__)

ProgressFn = Callable[[str, float], None]
_DONE = object()


class IngestCancelled(Exception):
    """Raised inside the pipeline when the job's cancel event is set."""


def _decode_thread(decoder: ClipDecoder, out: queue.Queue, stop: threading.Event) -> None:
    try:
        for window in decoder:
            while not stop.is_set():
                try:
                    out.put(window, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(_DONE)
    except BaseException as exc:  # handed to the consumer, which re-raises
        out.put(exc)


def media_record(tenant: str, source: str, path: Path, info, start: datetime) -> MediaFile:
    """The :class:`MediaFile` of a probed file (``info``: ``probe.MediaInfo``) whose media 0 s
    happened at ``start``; its id is deterministic in (tenant, source, fingerprint)."""
    return MediaFile(
        id=media_file_id(tenant, source, info.fingerprint), tenant=tenant, source=source, path=str(Path(path).resolve()),
        fingerprint=info.fingerprint, duration_s=info.duration_s or 0.0, start_time=start,
        has_video=info.has_video, has_audio=info.has_audio, width=info.width, height=info.height,
    )


def ingest_outcome(processor: ClipProcessor, duration_s: float | None, decode_errors: list[str]) -> tuple[JobStatus, list[str], float]:
    """``(status, skipped, media seconds)`` of a finished ingest: ``partial`` when perception
    skipped something or decoding reported ``decode_errors`` (listed after the processor's
    skips); the media seconds stop at the last clip when decoding failed early, else the probed
    duration (or the last clip when the container declares none)."""
    skipped = processor.skipped + list(decode_errors)
    status = JobStatus.PARTIAL if skipped else JobStatus.SUCCEEDED
    last_end = processor.last_end_s
    media_s = min(last_end, duration_s or last_end) if decode_errors else (duration_s or last_end)
    return status, skipped, media_s


def ingest_file(
    rt: Runtime,
    path: str | Path,
    *,
    source: str,
    tenant: str | None = None,
    start_time: datetime | None = None,
    job_id: str | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> IngestSummary:
    """Ingest one media file into ``source`` and return what was built.

    Args:
        rt: the opened runtime.
        path: a local media file (any container PyAV opens).
        source: the source name (a camera, a device, a film) within the tenant.
        tenant: tenant id; default ``settings.default_tenant``.
        start_time: wall-clock time of the first frame; default the container's ``creation_time``,
            else now.
        job_id: an existing job record to drive (created when None).
        progress: called as ``progress(step, percent)`` with percent in [0, 100].
        cancel: set it to stop the ingest; its memories are removed and the job is cancelled.

    Returns:
        ``IngestSummary`` with status ``succeeded``, ``partial`` (what was skipped is listed) or
        ``failed`` (the error says why; nothing of this file is left half-written).
    """
    t0 = time.monotonic()
    s = rt.settings
    tenant = tenant or s.default_tenant
    path = Path(path)
    rt.repo.ensure_tenant(tenant)
    rt.repo.ensure_source(tenant, source)
    job_id = job_id or rt.repo.create_job(tenant, source, media_path=str(path))
    cancel = cancel or threading.Event()

    def report(step: str, pct: float) -> None:
        rt.repo.update_job(tenant, job_id, status=JobStatus.RUNNING, step=step, percent=round(min(max(pct, 0.0), 100.0), 1))
        if progress:
            progress(step, pct)

    def summary(status: str, *, media_s=0.0, start=None, counts=None, skipped=(), error=None) -> IngestSummary:
        return IngestSummary(
            source=source, job_id=job_id, status=status, media_path=str(path), media_seconds=round(media_s, 3),
            start_time=start or (start_time or utcnow()), counts=dict(counts or {}), skipped=list(skipped),
            error=error, elapsed_s=round(time.monotonic() - t0, 3),
        )

    report("probe", 0.0)
    try:
        info = probe_media(path, s.ingest)
    except MediaError as exc:
        log.warning("ingest refused", source=source, path=str(path), code=exc.code, error=str(exc))
        rt.repo.update_job(tenant, job_id, status=JobStatus.FAILED, step="probe", error=str(exc))
        return summary("failed", error=str(exc))

    start, origin = resolve_start_time(start_time, info, utcnow())
    media = media_record(tenant, source, path, info, start)
    log.info("ingest start", source=source, path=str(path), job=job_id, duration_s=info.duration_s, start=start.isoformat(), start_origin=origin)
    stop = threading.Event()
    worker: threading.Thread | None = None
    processor: ClipProcessor | None = None
    try:
        report("load models", 1.0)
        processor = ClipProcessor(rt, tenant, source, media)
        processor.writer.replace_previous()
        rt.repo.upsert_media_file(media)

        decoder = ClipDecoder(path, info, s.ingest)
        windows: queue.Queue = queue.Queue(maxsize=max(4, s.ingest.asr_chunk_clips * 2))
        worker = threading.Thread(target=_decode_thread, args=(decoder, windows, stop), name="vidmem-decode", daemon=True)
        worker.start()
        duration = max(info.duration_s or 0.0, 1e-6)
        finished = False
        while not finished:
            group = []
            while len(group) < s.ingest.asr_chunk_clips:
                item = windows.get()
                if item is _DONE:
                    finished = True
                    break
                if isinstance(item, BaseException):
                    raise item
                group.append(item)
            if cancel.is_set():
                raise IngestCancelled()
            processor.process(group)
            report("perceive", 2.0 + 90.0 * min(processor.last_end_s / duration, 1.0))

        report("close", 93.0)
        counts = processor.finish()
        status, skipped, media_s = ingest_outcome(processor, info.duration_s, [f"decode: {e}" for e in decoder.report.errors])
        result = summary(status.value, media_s=media_s, start=start, counts=counts, skipped=skipped)
        rt.repo.update_job(tenant, job_id, status=status, step="done", percent=100.0, result=result.model_dump(mode="json"))
        rt.vectors.flush()
        log.info("ingest done", source=source, job=job_id, status=status.value, media_s=media_s, elapsed_s=result.elapsed_s, counts=counts)
        return result
    except IngestCancelled:
        if processor is not None:
            processor.rollback()
        rt.repo.update_job(tenant, job_id, status=JobStatus.CANCELLED, step="cancelled", error="cancelled by request")
        return summary("cancelled", start=start, error="cancelled by request")
    except BaseException as exc:
        log.error("ingest failed", source=source, job=job_id, error=repr(exc))
        if processor is not None:
            processor.rollback()
        message = str(exc) if isinstance(exc, MediaError) else f"{type(exc).__name__}: {exc}"
        rt.repo.update_job(tenant, job_id, status=JobStatus.FAILED, error=message)
        if not isinstance(exc, Exception):
            raise
        return summary("failed", start=start, error=message)
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=10)
