"""The app factory of vidmem's REST service.

``create_app(settings, runtime)`` builds a FastAPI app whose lifespan:

1. opens the :class:`~memory_core.runtime.Runtime` (unless one is given: tests inject theirs);
2. marks jobs orphaned by an earlier process failed (``repo.fail_orphaned_jobs()``), except
   distributed ingest jobs, which Celery workers run and re-drive;
3. resolves the admin key (setting, else ``<home>/admin.key``, generated once with mode 0600);
4. starts the ingest pool (which hands its jobs to Celery workers when
   ``ingest_workers.dispatch.api_dispatch`` says so) and the retention sweeper;
5. warms the models on a background thread, so ``/readyz`` turns ready once they are loaded;
6. unless ``stream.run_in_api`` is off (then ``vidmem stream-worker`` runs them), owns a
   :class:`~ingest_workers.stream_manager.StreamManager` and resumes every enabled registered
   stream (on a background thread);

and on shutdown stops the stream workers (their streams stay enabled), cancels running ingests,
stops the sweeper and closes a runtime it opened.

Everything tenant-facing is under ``/v1``; ``/healthz``, ``/readyz`` and ``/metrics`` are at the root.
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import SecretStr

from memory_core.logging import configure_from_settings, flush_logs, get_logger, register_secret
from memory_core.runtime import Runtime
from memory_core.settings import Settings, get_settings
from services.api import guard
from services.api.deps import ApiContext
from services.api.errors import install_handlers
from services.api.ingest_pool import IngestPool
from services.api.metrics import Metrics, RequestContextMiddleware
from services.api.quotas import Quotas
from services.api.ratelimit import TenantRateLimiter
from services.api.retention import RetentionSweeper
from services.api.routers import admin, entities, ingest, jobs, media, memories, ops, query, search, sources, streams
from services.api.ssrf import UrlPolicy, check_stream_url
from services.api.tenancy import TenantStore, resolve_admin_key

log = get_logger(__name__)

API_VERSION = "1.0.0"
TAGS = [
    {"name": "sources", "description": "Cameras, devices, films: create, list, retention, delete"},
    {"name": "ingest", "description": "Upload, URL and server-path ingest (background jobs)"},
    {"name": "streams", "description": "Live streams of sources: register (URL encrypted at rest), state, start, stop"},
    {"name": "jobs", "description": "Job status, progress stream, cancel"},
    {"name": "query", "description": "Questions answered by the retrieval agent, with evidence"},
    {"name": "search", "description": "Raw memory search"},
    {"name": "memories", "description": "Browse stories, events, scenes and clips"},
    {"name": "entities", "description": "People, voices, names, texts: timelines and curation"},
    {"name": "media", "description": "Clips and keyframes behind memories and evidence"},
    {"name": "usage", "description": "Quotas"},
    {"name": "admin", "description": "Tenants and API keys (admin key)"},
    {"name": "operations", "description": "Health, readiness, metrics"},
]


def _warm(ctx: ApiContext) -> None:
    """Load the text embedder and build the agent (models, collection); record the outcome."""
    try:
        ctx.rt.ensure_collection()
        _ = ctx.rt.agent
        ctx.ready["models"] = "ok"
        log.info("models ready")
    except Exception as exc:  # noqa: BLE001 - readiness reports it
        ctx.ready["models"] = f"error: {exc.__class__.__name__}: {str(exc)[:200]}"
        log.error("model warm-up failed", error=repr(exc)[:500])


def _resume_streams(manager) -> None:
    try:
        started = manager.resume_all()
        if started:
            log.info("streams resumed", count=len(started))
    except Exception as exc:  # noqa: BLE001 - the service runs without them; logged
        log.error("streams not resumed", error=f"{type(exc).__name__}")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the REST app.

    Args:
        settings: configuration (default: ``runtime.settings``, else from the environment).
        runtime: an opened runtime to serve (not closed on shutdown); default: opened by the
            lifespan from ``settings`` and closed on shutdown.

    Raises:
        ValueError: for malformed rate limits or URL networks in ``settings.api``.
    """
    settings = settings or (runtime.settings if runtime is not None else get_settings())
    configure_from_settings(settings)
    api = settings.api
    metrics = Metrics()
    limiter = TenantRateLimiter(api)
    policy = UrlPolicy.from_settings(api)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from ingest_workers.dispatch import api_dispatch, dispatch_ingest
        from ingest_workers.distributed import JOB_KIND as DISTRIBUTED

        rt = runtime or Runtime.open(settings)
        admin_key = SecretStr(resolve_admin_key(settings))
        register_secret(admin_key)  # masked in every log line from now on
        orphaned = rt.repo.fail_orphaned_jobs(exclude_kinds=(DISTRIBUTED,))  # Celery workers own those
        ctx = ApiContext(settings=settings, rt=rt, tenants=TenantStore(rt.repo.engine), limiter=limiter, pool=None,
                         quotas=Quotas(rt, api), metrics=metrics, admin_key=admin_key)
        dispatching, why = api_dispatch(settings)
        if dispatching and settings.vector.backend != "qdrant":
            log.warning("ingest jobs go to Celery workers while this process holds the embedded vector store: "
                        "run the write worker when this service is stopped, or use a Qdrant server", reason=why)
        ctx.pool = IngestPool(rt, workers=api.ingest_workers, queue_max=api.ingest_queue_max, policy=policy,
                              on_outcome=lambda status: metrics.jobs.labels(status).inc(),
                              dispatch=dispatch_ingest if dispatching else None)
        metrics.set_backlog_source(ctx.pool.backlog)
        sweeper = RetentionSweeper(rt, api.retention_sweep_s, metrics).start()
        ctx.extras["sweeper"] = sweeper
        ctx.ready["models"] = "loading"
        threading.Thread(target=_warm, args=(ctx,), name="vidmem-warm", daemon=True).start()
        resuming = None
        if settings.stream.run_in_api:
            from ingest_workers.stream_manager import StreamManager

            manager = StreamManager(rt, url_check=lambda url: check_stream_url(url, policy))
            ctx.extras["streams"] = manager
            resuming = threading.Thread(target=_resume_streams, args=(manager,), name="vidmem-stream-resume", daemon=True)
            resuming.start()
        app.state.ctx = ctx
        log.info("service started", orphaned_jobs_failed=orphaned, ingest_workers=api.ingest_workers,
                 ingest_on_celery=dispatching, ingest_on_celery_reason=why,
                 cors=bool(api.cors_origins), allow_private_urls=api.allow_private_urls)
        try:
            yield
        finally:
            app.state.ctx = None
            if resuming is not None:
                resuming.join(60)
                ctx.extras["streams"].stop_all(timeout=30)
            sweeper.stop()
            ctx.pool.shutdown()
            if runtime is None:
                rt.close()
            log.info("service stopped")
            flush_logs()  # the writer thread's queue: uvicorn may re-raise SIGTERM (no atexit) next

    app = FastAPI(
        title="vidmem",
        version=API_VERSION,
        summary="Memory service for long and streaming video: questions answered with evidence you can watch.",
        description="Every `/v1` route takes a tenant API key (`Authorization: Bearer <key>` or `X-API-Key`), "
                    "except `/v1/admin`, which takes the admin key. Errors are `{code, message, request_id}`.",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.ctx = None
    routes = guard.RouteIndex()  # filled as the routers are included below
    # Body limits by the matched route (uploads and chunks are marked with guard.streams_own_body),
    # and a body-carrying /v1 request with no valid credential is refused before its body is read.
    app.add_middleware(RequestContextMiddleware, metrics=metrics,
                       limit_of=lambda scope: routes.body_limit(scope, api.max_body_bytes),
                       precheck=lambda scope, headers: guard.precheck_credential(app.state.ctx, scope, headers),
                       body_idle_timeout_s=api.body_idle_timeout_s)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(api.cors_origins), allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Range", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Content-Range", "Accept-Ranges", "Retry-After"],
        )
    install_handlers(app)
    for module in (sources, ingest, streams, jobs, query, search, memories, entities, media, admin):
        app.include_router(module.router, prefix="/v1")
        routes.add_router(module.router, "/v1")
    app.include_router(admin.usage_router, prefix="/v1")
    routes.add_router(admin.usage_router, "/v1")
    app.include_router(ops.router)
    routes.add_router(ops.router)
    return app
