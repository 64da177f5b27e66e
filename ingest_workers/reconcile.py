"""Re-driving distributed ingest jobs whose messages were lost.

Celery with ``acks_late`` recovers from dead workers by itself; it cannot recover messages the
broker lost (Redis restarted without persistence, a flushed database). Because the plan and the
staged segments are in the database, the next step of any job is known: :func:`next_steps` says
what to send, and :func:`reconcile` sends it for every open job that has had no heartbeat for
``celery.stale_after_s`` seconds and has no message in the broker (queued or unacknowledged).
Re-sent work is idempotent, so a false alarm costs a few database reads.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest_workers.distributed import JOB_KIND, plan_of
from memory_core.logging import get_logger
from memory_core.stores.relational.staging import SegmentStaging

log = get_logger(__name__)


def next_steps(rt, job: dict) -> list[tuple[str, tuple]]:
    """``(task name, args)`` that move ``job`` forward: plan it, perceive its missing segments,
    or write it once every segment is staged."""
    tenant, job_id = job["tenant"], job["id"]
    plan = plan_of(job)
    if plan is None:
        return [("vidmem.plan", (tenant, job_id))]
    missing = sorted(set(range(plan.n_segments)) - SegmentStaging(rt.repo).done(tenant, job_id))
    if missing:
        return [("vidmem.perceive", (tenant, job_id, seg)) for seg in missing]
    return [("vidmem.consolidate", (tenant, job_id))]


def broker_job_ids(redis_client, queues: Iterable[str]) -> str:
    """Every message the Redis broker holds for ``queues`` (queued, including kombu's priority
    sub-queues, and delivered but unacknowledged), as one string to search job ids in."""
    parts: list[bytes] = []
    for q in queues:
        for key in redis_client.scan_iter(match=f"{q}*"):
            if redis_client.type(key) == b"list":
                parts.extend(redis_client.lrange(key, 0, -1))
    parts.extend(redis_client.hvals("unacked"))
    return b"\n".join(parts).decode("utf-8", "replace")


def reconcile(rt, app, redis_client) -> int:
    """Re-send the next steps of stale open jobs that have no message in the broker; returns how
    many jobs were re-driven."""
    from ingest_workers.celery_app import QUEUES

    stale = rt.repo.stale_jobs(JOB_KIND, rt.settings.celery.stale_after_s)
    if not stale:
        return 0
    held = broker_job_ids(redis_client, QUEUES)
    n = 0
    for job in stale:
        if job["id"] in held:
            continue
        steps = next_steps(rt, job)
        for name, args in steps:
            app.send_task(name, args=args)
        rt.repo.update_job(job["tenant"], job["id"])  # heartbeat: give the re-sent work time
        log.warning("job re-dispatched", job=job["id"], steps=[s[0] for s in steps], count=len(steps))
        n += 1
    return n
