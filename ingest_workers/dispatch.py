"""Starting a distributed ingest job from any process that can reach the database and the broker
(the API, the CLI, a test).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from ingest_workers.distributed import request_job
from memory_core.logging import get_logger
from memory_core.settings import Settings

log = get_logger(__name__)


class BrokerNotConfigured(RuntimeError):
    """``celery.broker_url`` is not set: distributed ingest is off (use the in-process pipeline)."""


def api_dispatch(settings: Settings) -> tuple[bool, str]:
    """Whether the REST service sends its ingest jobs (uploads, URLs, server paths, pushed chunks)
    to Celery workers instead of its in-process pool, and why, from ``celery.api_dispatch``:

    * ``off``: never;
    * ``auto`` (default): when a broker is set and the vector store is a Qdrant server
      (``vector.backend=qdrant``), which the API and the write workers share;
    * ``on``: whenever a broker is set. With the embedded vector store the write worker and the
      API cannot hold ``VIDMEM_HOME`` at the same time; memories written by the workers are seen
      by an API process opened after them (a single-host set-up, tests).

    Raises:
        BrokerNotConfigured: ``on`` without ``celery.broker_url``.
    """
    mode, broker = settings.celery.api_dispatch, settings.celery.broker_url
    if mode == "off":
        return False, "celery.api_dispatch=off"
    if broker is None:
        if mode == "on":
            raise BrokerNotConfigured("celery.api_dispatch=on needs VIDMEM_CELERY__BROKER_URL")
        return False, "no broker (celery.broker_url)"
    if mode == "on":
        return True, "celery.api_dispatch=on"
    if settings.vector.backend == "qdrant":
        return True, "broker and a Qdrant server"
    return False, f"vector.backend={settings.vector.backend} cannot be shared with the write workers"


def dispatch_ingest(rt, path: str | Path, *, source: str, tenant: str | None = None, start_time: datetime | None = None,
                    job_id: str | None = None, owned: bool = False) -> str:
    """Record a distributed ingest job for ``path`` and send its first task (``vidmem.plan``).
    Returns the job id; progress is in the job record (``repo.get_job``). A job record that
    exists (created ``queued`` by the API) is handed over to the workers.

    Args:
        owned: vidmem owns the file (upload, download, chunk): deleted if the job fails or is
            cancelled. The file must be readable by the workers at the same path (a shared
            volume; docs/deploy.md).

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
    request_job(rt, tenant, source, job_id, path, start_time, owned=owned)
    app_for(rt.settings).send_task("vidmem.plan", args=(tenant, job_id))
    log.info("distributed ingest queued", job=job_id, source=source, tenant=tenant)
    return job_id
