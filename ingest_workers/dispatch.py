"""Starting a distributed ingest job from any process that can reach the database and the broker
(the API, the CLI, a test).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from ingest_workers.distributed import request_job
from memory_core.logging import get_logger

log = get_logger(__name__)


class BrokerNotConfigured(RuntimeError):
    """``celery.broker_url`` is not set: distributed ingest is off (use the in-process pipeline)."""


def dispatch_ingest(rt, path: str | Path, *, source: str, tenant: str | None = None, start_time: datetime | None = None,
                    job_id: str | None = None) -> str:
    """Record a distributed ingest job for ``path`` and send its first task (``vidmem.plan``).
    Returns the job id; progress is in the job record (``repo.get_job``).

    Raises:
        BrokerNotConfigured: without ``celery.broker_url``.
        kombu.exceptions.OperationalError: when the broker cannot be reached (the job stays
            ``queued``; the reconciler sends it once the broker is back).
    """
    if rt.settings.celery.broker_url is None:
        raise BrokerNotConfigured("set VIDMEM_CELERY__BROKER_URL (redis://host:6379/0) for distributed ingest")
    from ingest_workers.celery_app import app_for

    tenant = tenant or rt.settings.default_tenant
    job_id = job_id or str(uuid.uuid4())
    request_job(rt, tenant, source, job_id, path, start_time)
    app_for(rt.settings).send_task("vidmem.plan", args=(tenant, job_id))
    log.info("distributed ingest queued", job=job_id, source=source, tenant=tenant)
    return job_id
