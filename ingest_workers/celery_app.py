"""The Celery application of distributed ingest (broker: Redis, ``celery.broker_url``).

Delivery is at least once and every task is idempotent (``ingest_workers.distributed``), so a
worker that dies mid-task costs time, never memories:

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a task is acknowledged after it ran; if its
  process dies, the message goes back to the queue (a whole worker killed: Redis redelivers it
  after ``visibility_timeout``, set above the longest task).
* ``worker_prefetch_multiplier = 1``: a worker holds one message per process, so long perception
  tasks don't queue up behind a busy process while others idle.
* No result backend: progress and outcome are in the job record.
* A beat schedule runs ``vidmem.reconcile`` (``vidmem worker --beat`` on one worker), which
  re-dispatches jobs whose messages were lost (a Redis restart without persistence).

Queues: ``decode`` (plan, reconcile), ``perceive`` (models), ``write`` (memory building and store
writes). The app is built from :func:`memory_core.settings.get_settings` at import, as
``celery -A ingest_workers.celery_app`` expects.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from memory_core.settings import Settings, get_settings

QUEUES = ("decode", "perceive", "write")
TASK_ROUTES = {
    "vidmem.plan": {"queue": "decode"},
    "vidmem.reconcile": {"queue": "decode"},
    "vidmem.perceive": {"queue": "perceive"},
    "vidmem.consolidate": {"queue": "write"},
}


def broker_url(settings: Settings) -> str | None:
    """The broker URL (a secret: it may carry a password), or ``None`` in embedded mode."""
    return settings.celery.broker_url.get_secret_value() if settings.celery.broker_url else None


def make_app(settings: Settings) -> Celery:
    """A configured Celery app for ``settings`` (``memory://`` when no broker is set, so the
    module imports everywhere; dispatching then refuses with a clear error)."""
    c = settings.celery
    app = Celery("vidmem", broker=broker_url(settings) or "memory://", include=["ingest_workers.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(q) for q in QUEUES],
        task_default_queue="decode",
        task_routes=TASK_ROUTES,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        # Messages of a worker that died whole wait ``visibility_timeout`` in kombu's "unacked"
        # set; sweep it every few seconds (default ~100 s) so they come back soon after.
        broker_transport_options={
            "visibility_timeout": c.visibility_timeout_s,
            "unacked_restore_interval": max(1, min(10, int(c.visibility_timeout_s / 4))),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        # vidmem logs through logging already; Celery's stdout/stderr proxy would turn every line the
        # log writer thread prints to stderr into a new record, without end
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        beat_schedule={
            "vidmem-reconcile": {
                "task": "vidmem.reconcile",
                "schedule": c.reconcile_every_s,
                "options": {"expires": c.reconcile_every_s},
            }
        },
        beat_schedule_filename=str(settings.home / "celerybeat-schedule"),
    )
    app.vidmem_settings = settings  # type: ignore[attr-defined]
    return app


app = make_app(get_settings())
_APPS: dict[str, Celery] = {}


def app_for(settings: Settings) -> Celery:
    """The module's ``app`` when ``settings`` name its broker, else an app made for them (cached
    per broker URL): callers with their own settings object (tests, embedded tools) send to the
    broker they were configured with."""
    url = broker_url(settings) or "memory://"
    if url == (broker_url(app.vidmem_settings) or "memory://"):
        return app
    if url not in _APPS:
        _APPS[url] = make_app(settings)
    return _APPS[url]
