"""The ingest stages of one media file as separate, idempotent steps, for Celery workers
(``ingest_workers.tasks``) on different processes and machines:

    plan (queue ``decode``)        probe, place in time, cut the file into segments of clips
    perceive (queue ``perceive``)  decode one segment and run the models; stage the results
    consolidate (queue ``write``)  resolve entities, build clip -> scene -> event -> story,
                                   semantic memory; write both stores; drop the staged rows

Each step reads what it needs from the job record and the staging table and writes by
deterministic key, so running it twice (a redelivered task, a reconciler's re-dispatch) leaves the
same state: the plan is kept once made, a segment is an upsert of ``(job, segment)`` and skipped
when already staged, and the write stage replaces the file's memories like a re-ingest does
(deterministic node ids, upserts) under a per-job lock. Progress, the plan and the outcome live in
the job record (``result.request``, ``result.plan``, then the ``IngestSummary``), not in Celery.

Why the perceive step decodes its own segment instead of receiving frames from a decode worker:
perception samples 1 frame per second at up to 1280 px plus 16 kHz audio, about 25 MB per 10 s clip
raw; decoding the segment again next to the models costs a few per cent of perception time
(``bench/ingest.py``), while shipping the frames would cost the broker or the database that much per
clip. Segments are a whole number of ASR groups, so speech is transcribed in the same groups as
the in-process path.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from api_schemas import IngestSummary, JobStatus
from ingest_workers.clock import resolve_start_time
from ingest_workers.decode import ClipDecoder
from ingest_workers.errors import MediaChangedError, MediaError
from ingest_workers.hotwords import source_hotwords
from ingest_workers.perceive import Perceiver
from ingest_workers.perception_codec import decode_perceptions, encode_perceptions
from ingest_workers.pipeline import ingest_outcome, media_record
from ingest_workers.probe import probe_media
from ingest_workers.processor import ClipProcessor
from memory_core.domain import MediaFile
from memory_core.logging import get_logger
from memory_core.stores.relational.locks import job_lock
from memory_core.stores.relational.staging import SegmentStaging, StagedSegment
from memory_core.timeutil import parse_iso, utcnow

log = get_logger(__name__)

#: ``jobs.kind`` of distributed ingest jobs (the API's start-up sweep leaves them to the workers).
JOB_KIND = "ingest-distributed"
TERMINAL = {JobStatus.SUCCEEDED, JobStatus.PARTIAL, JobStatus.FAILED, JobStatus.CANCELLED}


class JobGone(Exception):
    """The job no longer exists for its tenant (its source was deleted): nothing to do."""


class LockBusy(Exception):
    """Another worker holds the job's write lock; try again later."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How a file is cut for distributed ingest: ``n_segments`` segments of ``segment_clips``
    clips of ``clip_s`` seconds; the last segment decodes to the end of the file whatever the
    probed duration said."""

    media: dict
    n_segments: int
    segment_clips: int
    clip_s: float
    start_origin: str

    def first_clip(self, segment: int) -> int:
        """Index of the segment's first clip window."""
        return segment * self.segment_clips

    def media_file(self) -> MediaFile:
        """The :class:`MediaFile` this plan ingests."""
        m = dict(self.media)
        m["start_time"] = parse_iso(m["start_time"])
        return MediaFile(**m)

    def to_dict(self) -> dict:
        """JSON-safe form kept in ``jobs.result["plan"]``."""
        return {"media": self.media, "n_segments": self.n_segments, "segment_clips": self.segment_clips,
                "clip_s": self.clip_s, "start_origin": self.start_origin}

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        """Inverse of :meth:`to_dict`."""
        return cls(media=dict(d["media"]), n_segments=int(d["n_segments"]), segment_clips=int(d["segment_clips"]),
                   clip_s=float(d["clip_s"]), start_origin=str(d["start_origin"]))


def _job(rt, tenant: str, job_id: str) -> dict:
    job = rt.repo.get_job(tenant, job_id)
    if job is None:
        raise JobGone(job_id)
    return job


def _result(job: dict) -> dict:
    return dict(job.get("result") or {})


def request_job(rt, tenant: str, source: str, job_id: str, path: str | Path, start_time: datetime | None,
                owned: bool = False) -> None:
    """Record what a distributed job ingests (``result.request``) on a ``queued`` job of kind
    :data:`JOB_KIND`: what the reconciler re-drives from. The job is created if missing; a job
    that exists (the API records its jobs before sending them) is handed over to the workers, so
    its kind becomes :data:`JOB_KIND` and an earlier attempt's plan is dropped.

    ``owned``: vidmem owns the file (an upload, a download, a pushed chunk), so a job that fails
    or is cancelled deletes it.
    """
    rt.repo.ensure_tenant(tenant)
    rt.repo.create_job(tenant, source, kind=JOB_KIND, media_path=str(path), job_id=job_id)
    request = {"path": str(path), "start_time": start_time.isoformat() if start_time else None, "owned": bool(owned)}
    rt.repo.update_job(tenant, job_id, kind=JOB_KIND, status=JobStatus.QUEUED, step="queued (workers)",
                       result={"request": request})


def plan_job(rt, tenant: str, job_id: str) -> Plan | None:
    """Probe the job's file and cut it into segments (stage ``decode``); ``None`` when the job has
    ended (or the file is refused, which fails the job with the probe's reason).

    Idempotent: a plan already recorded is returned as it is.

    Raises:
        JobGone: the job was deleted with its source.
    """
    job = _job(rt, tenant, job_id)
    if job["status"] in TERMINAL:
        return None
    res = _result(job)
    if "plan" in res:
        return Plan.from_dict(res["plan"])
    s = rt.settings
    request = res.get("request") or {"path": job["media_path"], "start_time": None}
    path = Path(request["path"])
    try:
        info = probe_media(path, s.ingest)
    except MediaError as exc:
        log.warning("distributed ingest refused", job=job_id, code=exc.code, error=str(exc))
        rt.repo.update_job(tenant, job_id, status=JobStatus.FAILED, step="probe", error=str(exc))
        return None
    explicit = parse_iso(request["start_time"]) if request.get("start_time") else None
    start, origin = resolve_start_time(explicit, info, utcnow())
    source = job["source"]
    media = media_record(tenant, source, path, info, start)
    group = s.ingest.asr_chunk_clips
    seg_clips = max(group, (s.celery.segment_clips // group) * group)
    n_windows = max(1, math.ceil((info.duration_s or 0.0) / s.ingest.clip_seconds))
    plan = Plan(media={**asdict(media), "start_time": start.isoformat()}, n_segments=math.ceil(n_windows / seg_clips),
                segment_clips=seg_clips, clip_s=s.ingest.clip_seconds, start_origin=origin)
    res["plan"] = plan.to_dict()
    rt.repo.update_job(tenant, job_id, status=JobStatus.RUNNING, step="perceive", percent=2.0, result=res)
    log.info("distributed ingest planned", job=job_id, source=source, duration_s=info.duration_s,
             segments=plan.n_segments, segment_clips=seg_clips, start=start.isoformat(), start_origin=origin)
    return plan


def plan_of(job: dict) -> Plan | None:
    """The plan recorded on a job record (``None`` before ``plan_job`` ran)."""
    p = _result(job).get("plan")
    return Plan.from_dict(p) if p else None


def job_plan(rt, tenant: str, job_id: str) -> tuple[dict, Plan | None]:
    """The job record and its plan (``None`` before ``plan_job`` ran)."""
    job = _job(rt, tenant, job_id)
    return job, plan_of(job)


def perceive_segment(rt, tenant: str, job_id: str, segment: int, perceiver: Perceiver | None = None) -> bool:
    """Decode and perceive one segment and stage the results (stage ``perceive``). Returns
    ``True`` when, after it, every segment of the job is staged (the caller then dispatches the
    write stage). A segment already staged is not perceived again.

    Raises:
        JobGone: the job was deleted.
        ValueError: the job has no plan yet or ``segment`` is out of range.
        MediaError: the file is gone, unreadable, or changed since planning
            (``MediaChangedError``); no retry fixes these.
    """
    job, plan = job_plan(rt, tenant, job_id)
    if job["status"] in TERMINAL:
        return False
    if plan is None or not 0 <= segment < plan.n_segments:
        raise ValueError(f"job {job_id} has no segment {segment}")
    staging = SegmentStaging(rt.repo)
    if segment not in staging.done(tenant, job_id):
        t0 = time.monotonic()
        s = rt.settings
        media = plan.media_file()
        info = probe_media(media.path, s.ingest)
        if info.fingerprint != media.fingerprint:
            raise MediaChangedError(media.path, "the file changed after the job was planned; ingest it again")
        first = plan.first_clip(segment)
        last = segment == plan.n_segments - 1
        decoder = ClipDecoder(media.path, info, s.ingest, start_index=first)
        windows, eof = [], True
        for w in decoder:
            if not last and w.index >= first + plan.segment_clips:
                eof = False
                break
            windows.append(w)
        perceiver = perceiver or Perceiver(rt.providers, s)
        group = s.ingest.asr_chunk_clips
        hotwords = source_hotwords(rt.repo, tenant, media.source, s.models.asr_hotwords)
        perceptions = []
        for i in range(0, len(windows), group):
            perceptions.extend(perceiver.perceive(windows[i:i + group], hotwords=hotwords))
        staging.put(tenant, job_id, StagedSegment(segment=segment, first_clip=first, clip_count=len(perceptions), eof=eof,
                                                  errors=[f"decode: {e}" for e in decoder.report.errors],
                                                  payload=encode_perceptions(perceptions)))
        log.info("segment perceived", job=job_id, segment=segment, clips=len(perceptions), elapsed_s=round(time.monotonic() - t0, 2))
    done = staging.done(tenant, job_id)
    rt.repo.update_job(tenant, job_id, status=JobStatus.RUNNING, step="perceive",
                       percent=2.0 + 88.0 * len(done) / plan.n_segments)
    return len(done) >= plan.n_segments


def consolidate_job(rt, tenant: str, job_id: str) -> IngestSummary | None:
    """Write the job's memories from its staged perceptions (stage ``write``); ``None`` when the
    job has ended or is not fully perceived yet.

    Runs under the job's write lock; a failure rolls back what this run wrote and re-raises (the
    task retries; after the last retry the job fails with the reason).

    Raises:
        LockBusy: another worker is writing this job now.
        JobGone: the job was deleted.
    """
    t0 = time.monotonic()
    with job_lock(rt.repo, rt.settings.home, f"write:{job_id}") as held:
        if not held:
            raise LockBusy(job_id)
        job, plan = job_plan(rt, tenant, job_id)
        if job["status"] in TERMINAL or plan is None:
            return None
        staging = SegmentStaging(rt.repo)
        segments = staging.load(tenant, job_id)
        if {g.segment for g in segments} != set(range(plan.n_segments)):
            return None
        source, media = job["source"], plan.media_file()
        rt.repo.update_job(tenant, job_id, status=JobStatus.RUNNING, step="write", percent=90.0)
        processor = ClipProcessor(rt, tenant, source, media, perceive=False)
        try:
            processor.writer.replace_previous()
            rt.repo.upsert_media_file(media)
            errors: list[str] = []
            seen: set[int] = set()
            for g in segments:
                errors.extend(e for e in g.errors if e not in errors)
                clips = [p for p in decode_perceptions(g.payload) if p.window.index not in seen]
                seen.update(p.window.index for p in clips)
                processor.absorb(clips)
                if g.eof:
                    break
            rt.repo.update_job(tenant, job_id, status=JobStatus.RUNNING, step="close", percent=95.0)
            counts = processor.finish()
        except BaseException:
            processor.rollback()
            raise
        status, skipped, media_s = ingest_outcome(processor, media.duration_s, errors)
        summary = IngestSummary(
            source=source, job_id=job_id, status=status.value, media_path=job["media_path"] or media.path,
            media_seconds=round(media_s, 3), start_time=media.start_time, counts=counts, skipped=skipped,
            error=None, elapsed_s=round(time.monotonic() - t0, 3),
        )
        rt.vectors.flush()
        # staged rows go first, so a finished job never shows leftovers (a crash in between
        # leaves a running job without staging: the reconciler perceives and writes it again,
        # with the same result)
        staging.delete(tenant, job_id)
        rt.repo.update_job(tenant, job_id, status=status, step="done", percent=100.0, result=summary.model_dump(mode="json"))
        log.info("distributed ingest done", job=job_id, source=source, status=status.value, media_s=media_s, counts=counts)
        return summary


def fail_job(rt, tenant: str, job_id: str, reason: str) -> None:
    """Mark the job failed with ``reason`` (after the last retry of a stage), drop its staged
    rows and delete the file when vidmem owns it; quiet when the job is gone or has ended.

    The memories of a failed write stage were rolled back by that stage itself, so nothing of
    the job is left half-written.
    """
    try:
        job = _job(rt, tenant, job_id)
    except JobGone:
        return
    if job["status"] in TERMINAL:
        return
    SegmentStaging(rt.repo).delete(tenant, job_id)
    rt.repo.update_job(tenant, job_id, status=JobStatus.FAILED, error=reason)
    _drop_owned_file(rt, job)
    log.error("distributed ingest failed", job=job_id, error=reason)


def cancel_job(rt, tenant: str, job_id: str) -> bool:
    """Cancel an open distributed job from any process: under the job's write lock, mark it
    ``cancelled``, drop its staged rows and delete the file when vidmem owns it. Tasks of the job
    still queued or running see the final status and do nothing (each stage checks it first, the
    write stage after taking the same lock), so no memory of the job is written after this.

    Returns ``False`` when the job had ended already.

    Raises:
        JobGone: the job does not exist for ``tenant``.
        LockBusy: the write stage is writing the job's memories now (it finishes in seconds to
            minutes; then the job has ended and cancelling is moot).
    """
    with job_lock(rt.repo, rt.settings.home, f"write:{job_id}") as held:
        if not held:
            raise LockBusy(job_id)
        job = _job(rt, tenant, job_id)
        if job["status"] in TERMINAL:
            return False
        SegmentStaging(rt.repo).delete(tenant, job_id)
        rt.repo.update_job(tenant, job_id, status=JobStatus.CANCELLED, step="cancelled", error="cancelled by request")
        _drop_owned_file(rt, job)
    log.info("distributed ingest cancelled", job=job_id, source=job["source"])
    return True


def cancel_source_jobs(rt, tenant: str, source: str, timeout_s: float = 60.0) -> int:
    """Cancel every open distributed job of a source (before the source is deleted), waiting up
    to ``timeout_s`` for a write stage in progress to finish. Returns how many were cancelled.

    Raises:
        LockBusy: a write stage still held a job's lock after ``timeout_s``.
    """
    open_jobs = [j for j in rt.repo.list_jobs(tenant, source, limit=100_000)
                 if j["kind"] == JOB_KIND and j["status"] not in TERMINAL]
    cancelled = 0
    deadline = time.monotonic() + timeout_s
    for job in open_jobs:
        while True:
            try:
                cancelled += int(cancel_job(rt, tenant, job["id"]))
                break
            except JobGone:
                break
            except LockBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    return cancelled


def _drop_owned_file(rt, job: dict) -> None:
    """Delete the job's file when the request says vidmem owns it and it lies in the media folder
    (the write stage never committed memories for it: a failed write rolls back)."""
    from memory_core.forget import is_owned

    request = _result(job).get("request") or {}
    path = request.get("path")
    if not (request.get("owned") and path and is_owned(rt.settings, path)):
        return
    paths = {path, str(Path(path).resolve())}  # media records hold the resolved path
    if any(m.path in paths for m in rt.repo.list_media_files(job["tenant"], job["source"])):
        return  # an earlier, successful ingest of this very file owns memories: keep it
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("owned file not deleted", job=job["id"], error=type(exc).__name__)
