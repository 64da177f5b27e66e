"""Live streams and pushed chunks.

* ``/v1/sources/{source}/stream``: register (or replace) a source's live stream URL, read its
  state, start and stop its worker, remove the registration. The URL is checked against the same
  network policy as URL ingest (SSRF), stored encrypted (:mod:`memory_core.crypto`) and only ever
  shown redacted. When the service runs the stream workers itself (``stream.run_in_api``, the
  default) start/stop act at once; otherwise they flip ``enabled`` and ``vidmem stream-worker``
  picks the change up within seconds.
* ``/v1/streams``: the caller's streams.
* ``/v1/sources/{source}/chunks``: a device pushes a media segment with its ``sequence`` and
  ``capture_start``; idempotent on (source, sequence), ingested in the background at its capture
  time (:func:`ingest_workers.chunks.claim_chunk` + the ingest pool).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool

from api_schemas.api import JobView, Page
from api_schemas.streams import StreamCreate, StreamOut
from ingest_workers.chunks import chunk_taken, claim_chunk
from ingest_workers.stream_manager import (
    combine_gaps,
    is_registered,
    public_stream,
    register_stream,
    registered_streams,
    stored_stream,
    unregister_stream,
    update_stream_settings,
)
from ingest_workers.stream_policy import safe_url
from memory_core.crypto import SecretError, SecretKeyMissing
from memory_core.forget import owned_source_dir
from memory_core.logging import get_logger
from services.api.deps import ApiContext, ChunkTenant, Ctx, IngestTenant, Paging, Tenant
from services.api.errors import TENANT, ApiError, not_found, responses
from services.api.guard import streams_own_body
from services.api.ingest_pool import JobSpec
from services.api.routers.ingest import _check_not_deleting, _probe
from services.api.routers.sources import SourceName, get_source_or_404, stop_stream_worker
from services.api.ssrf import UrlPolicy, UrlRefused, check_stream_url
from services.api.uploads import multipart_openapi, receive_upload
from services.api.views import job_out

log = get_logger(__name__)

router = APIRouter(tags=["streams"])

_LIVE_FIELDS = ("state", "connections", "sessions", "clips_written", "dropped_windows", "media_seconds",
                "last_frame_at", "lag_s", "errors")
_STATES = {"idle", "connecting", "streaming", "stalled", "backoff", "stopped"}
MAX_SEQUENCE = 2**53


def stream_manager(ctx: ApiContext):
    """The service's :class:`~ingest_workers.stream_manager.StreamManager`, or ``None`` when the
    stream workers run elsewhere (``vidmem stream-worker``)."""
    return ctx.extras.get("streams")


# --------------------------------------------------------------------------- views
def _stored(ctx: ApiContext, tenant: str, source: str) -> dict | None:
    stream = stored_stream(ctx.rt, tenant, source)
    return dict(stream) if is_registered(stream) else None


def _view(ctx: ApiContext, tenant: str, source: str, stream: dict) -> StreamOut:
    """The public view: the stored record, with the live status of a worker of this process."""
    out = public_stream(source, stream)
    manager = stream_manager(ctx)
    worker = manager.get(tenant, source) if manager is not None else None
    if worker is not None:
        live = worker.status()
        out.update({k: live[k] for k in _LIVE_FIELDS if k in live})
        out["gaps"] = combine_gaps(out.get("gaps"), live.get("gaps"))
    if out.get("state") not in _STATES:
        out["state"] = None
    out["errors"] = [safe_url(str(e))[:500] for e in out.get("errors") or []]
    out["enabled"] = bool(out.get("enabled", True))
    out["lag_s"] = out.get("lag_s") or {}
    out["gaps"] = [g for g in out.get("gaps") or [] if g.get("start") and g.get("end")]
    return StreamOut.model_validate({k: v for k, v in out.items() if k in StreamOut.model_fields and v is not None})


def _stream_or_404(ctx: ApiContext, tenant: str, source: str) -> dict:
    get_source_or_404(ctx.rt, tenant, source)
    stream = _stored(ctx, tenant, source)
    if stream is None:
        raise not_found("stream")
    return stream


def _refused(exc: UrlRefused) -> ApiError:
    return ApiError(exc.status, exc.code, safe_url(str(exc)))


def _secret_error(exc: SecretError) -> ApiError:
    if isinstance(exc, SecretKeyMissing):
        return ApiError(503, "secret_key_missing", str(exc))
    return ApiError(409, "secret_unreadable", str(exc))


def _start(ctx: ApiContext, tenant: str, source: str) -> None:
    """Start the worker here, or mark the stream enabled for ``vidmem stream-worker``."""
    manager = stream_manager(ctx)
    try:
        if manager is None:
            update_stream_settings(ctx.rt, tenant, source, {"enabled": True})
        else:
            manager.start(tenant, source)
    except UrlRefused as exc:
        raise _refused(exc) from None
    except SecretError as exc:
        raise _secret_error(exc) from None
    except ValueError as exc:
        raise ApiError(422, "url_invalid", safe_url(str(exc))) from None


# --------------------------------------------------------------------------- streams
@router.post("/sources/{source}/stream", status_code=status.HTTP_201_CREATED, response_model=StreamOut,
             responses={200: {"model": StreamOut, "description": "An existing registration replaced"},
                        **responses(*TENANT, 404, 409)})
def register(source: SourceName, body: StreamCreate, response: Response, tenant: IngestTenant, ctx: Ctx) -> StreamOut:
    """Register the live stream of a source (201), or replace its URL (200); with ``enabled`` its
    worker starts pulling it at once.

    The URL is never returned (``url`` is redacted) and is stored encrypted. Errors: 422 for a
    malformed URL, a scheme vidmem cannot pull (or a local file) or a host that does not resolve;
    403 ``url_refused`` for a loopback, private, link-local, multicast or metadata address (unless
    ``api.allow_private_urls``/``api.url_allow_networks`` admit it); 503 ``secret_key_missing``
    when the server has no ``VIDMEM_SECRET_KEY`` in production.
    """
    rt = ctx.rt
    get_source_or_404(rt, tenant, source)
    _check_not_deleting(ctx, tenant, source)
    try:
        check_stream_url(body.url, UrlPolicy.from_settings(ctx.settings.api))
    except UrlRefused as exc:
        raise _refused(exc) from None
    existed = _stored(ctx, tenant, source) is not None
    try:
        register_stream(rt, tenant, source, body.url, enabled=body.enabled)
    except SecretError as exc:
        raise _secret_error(exc) from None
    except ValueError as exc:
        raise ApiError(422, "url_invalid", safe_url(str(exc))) from None
    manager = stream_manager(ctx)
    if manager is not None and manager.get(tenant, source) is not None:  # a running worker has the old URL
        manager.stop(tenant, source, disable=False, timeout=60.0)
    if body.enabled:
        _start(ctx, tenant, source)
    if existed:
        response.status_code = status.HTTP_200_OK
    return _view(ctx, tenant, source, _stream_or_404(ctx, tenant, source))


@router.get("/streams", response_model=Page[StreamOut], responses=responses(*TENANT))
def list_streams(tenant: Tenant, ctx: Ctx, page: Paging) -> Page[StreamOut]:
    """The caller's live streams by source name (URLs redacted)."""
    rows = registered_streams(ctx.rt, tenant)
    chunk = rows[page.offset : page.offset + page.limit]
    nxt = page.offset + page.limit if len(rows) > page.offset + page.limit else None
    return Page[StreamOut](items=[_view(ctx, tenant, src, stream) for _, src, stream in chunk], limit=page.limit,
                           offset=page.offset, next_offset=nxt)


@router.get("/sources/{source}/stream", response_model=StreamOut, responses=responses(*TENANT, 404))
def get_stream(source: SourceName, tenant: Tenant, ctx: Ctx) -> StreamOut:
    """A source's live stream: redacted URL, enabled, state, counters, capture-to-memory lag, the
    newest frame's time, outages (gaps) and recent errors."""
    return _view(ctx, tenant, source, _stream_or_404(ctx, tenant, source))


@router.post("/sources/{source}/stream/start", response_model=StreamOut, responses=responses(*TENANT, 404, 409))
def start_stream(source: SourceName, tenant: IngestTenant, ctx: Ctx) -> StreamOut:
    """Enable the stream and start pulling it (no-op when it runs). The network policy is checked
    again. Errors: 409 ``secret_unreadable`` when the stored URL does not decrypt with the
    server's key (register it again)."""
    _stream_or_404(ctx, tenant, source)
    _check_not_deleting(ctx, tenant, source)
    _start(ctx, tenant, source)
    return _view(ctx, tenant, source, _stream_or_404(ctx, tenant, source))


@router.post("/sources/{source}/stream/stop", response_model=StreamOut, responses=responses(*TENANT, 404))
def stop_stream(source: SourceName, tenant: Tenant, ctx: Ctx) -> StreamOut:
    """Disable the stream and stop its worker (what it has received is finished and kept); the
    answer comes once it has stopped."""
    _stream_or_404(ctx, tenant, source)
    manager = stream_manager(ctx)
    if manager is not None:
        manager.stop(tenant, source, disable=True, timeout=60.0)
    else:
        update_stream_settings(ctx.rt, tenant, source, {"enabled": False})
    return _view(ctx, tenant, source, _stream_or_404(ctx, tenant, source))


@router.delete("/sources/{source}/stream", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=responses(*TENANT, 404))
def delete_stream(source: SourceName, tenant: Tenant, ctx: Ctx) -> Response:
    """Stop the stream and forget its registration (URL, state, gap list). The source and the
    memories already made from the stream stay (``DELETE /v1/sources/{source}`` removes those)."""
    _stream_or_404(ctx, tenant, source)
    stop_stream_worker(ctx, tenant, source)
    unregister_stream(ctx.rt, tenant, source)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- pushed chunks
CHUNK_OPENAPI = multipart_openapi({
    "file": {"type": "string", "format": "binary", "description": "the media segment"},
    "sequence": {"type": "integer", "minimum": 0, "maximum": MAX_SEQUENCE,
                 "description": "the device's number of this chunk (idempotency key)"},
    "capture_start": {"type": "string", "format": "date-time",
                      "description": "wall-clock time of the chunk's first frame, ISO 8601 with a timezone"},
}, ["file", "sequence", "capture_start"])


def _sequence(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isdigit() or int(text) > MAX_SEQUENCE:
        raise ApiError(422, "invalid_request", f"sequence must be an integer from 0 to {MAX_SEQUENCE}")
    return int(text)


def _capture_start(value: str | None) -> datetime:
    from memory_core.timeutil import TimeRangeError, check_range, ensure_aware

    text = (value or "").strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or when.utcoffset() is None:
        raise ApiError(422, "invalid_request",
                       "capture_start must be ISO 8601 with a timezone, e.g. 2026-11-16T08:00:00+00:00")
    try:
        return ensure_aware(check_range(when))
    except TimeRangeError as exc:
        raise ApiError(422, "invalid_request", f"capture_start: {exc}") from None


def _existing_chunk(ctx: ApiContext, tenant: str, source: str, sequence: int) -> JobView | None:
    from ingest_workers.chunks import chunk_job_id

    job = ctx.rt.repo.get_job(tenant, chunk_job_id(tenant, source, sequence))
    return job_out(job) if chunk_taken(job, lambda jid: ctx.pool.active(tenant, jid)) else None


def _claim_and_queue(ctx: ApiContext, tenant: str, source: str, sequence: int, path, capture_start: datetime) -> tuple[JobView, bool]:
    """Claim the chunk and queue it; ``(job, True)`` when queued, ``(existing job, False)`` when
    another request got there first."""
    job_id, job = claim_chunk(ctx.rt, tenant, source, sequence=sequence, media_path=str(path),
                              busy=lambda jid: ctx.pool.active(tenant, jid))
    if job is not None:
        return job_out(job), False
    ctx.pool.submit(JobSpec(tenant=tenant, source=source, job_id=job_id, path=path, start_time=capture_start, owned=True))
    log.info("chunk queued", source=source, sequence=sequence, job=job_id)
    return job_out(ctx.rt.repo.get_job(tenant, job_id)), True


@router.post("/sources/{source}/chunks", status_code=status.HTTP_202_ACCEPTED, response_model=JobView,
             responses={200: {"model": JobView, "description": "This sequence was received before: its job, unchanged"},
                        **responses(*TENANT, 404, 409, 413, 415, 503)},
             openapi_extra=CHUNK_OPENAPI, tags=["ingest"])
@streams_own_body
async def push_chunk(source: SourceName, request: Request, response: Response, tenant: ChunkTenant, ctx: Ctx) -> JobView:
    """Push a chunk recorded by a device (``multipart/form-data``: part ``file``, fields
    ``sequence`` (integer >= 0) and ``capture_start`` (ISO 8601 with a timezone)); it is ingested
    in the background at its capture time, so chunks sent late or out of order land where they
    belong.

    Idempotent on (source, sequence): a chunk sent again answers 200 with the job of the first
    (done, queued or running) and changes nothing; after a failed attempt it is ingested again
    under the same job (202). Limits and media checks as uploads: 413 over the size or storage
    quota, 422 for non-media, truncated or empty files and for a bad ``sequence`` or
    ``capture_start``.
    """
    rt = ctx.rt
    await run_in_threadpool(get_source_or_404, rt, tenant, source)
    _check_not_deleting(ctx, tenant, source)
    allowance = await run_in_threadpool(ctx.quotas.upload_allowance, tenant)
    up = await receive_upload(request, owned_source_dir(ctx.settings, tenant, source) / "chunks", allowance)
    queued = False
    try:
        sequence = _sequence(up.fields.get("sequence"))
        capture_start = _capture_start(up.fields.get("capture_start"))
        existing = await run_in_threadpool(_existing_chunk, ctx, tenant, source, sequence)
        if existing is not None:
            response.status_code = status.HTTP_200_OK
            return existing
        await run_in_threadpool(_probe, ctx, tenant, up.path, delete_on_error=True)
        job, queued = await run_in_threadpool(_claim_and_queue, ctx, tenant, source, sequence, up.path, capture_start)
        if not queued:
            response.status_code = status.HTTP_200_OK
        return job
    finally:
        if not queued:  # refused, a duplicate, or the pool refused it (it removes what it owns then)
            up.path.unlink(missing_ok=True)
        ctx.quotas.invalidate(tenant)
