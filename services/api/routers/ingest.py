"""Ingest: a multipart upload streamed to disk, an http(s) URL (SSRF-checked), a server path
(admin). Each answers 202 with the queued job; progress is at ``/v1/jobs/{id}``."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from starlette.concurrency import run_in_threadpool

from api_schemas.api import TENANT_ID_PATTERN, JobView, PathIngest, UrlIngest
from ingest_workers.errors import MediaError
from ingest_workers.probe import probe_media
from memory_core.forget import owned_source_dir
from memory_core.timeutil import TimeRangeError, ensure_aware, parse_iso
from services.api.deps import Admin, ApiContext, Ctx, IngestTenant
from services.api.errors import ADMIN, TENANT, ApiError, not_found, responses
from services.api.guard import streams_own_body
from services.api.ingest_pool import JobSpec
from services.api.routers.sources import SourceName, get_source_or_404
from services.api.ssrf import UrlPolicy, UrlRefused, open_checked
from services.api.uploads import UPLOAD_OPENAPI, check_complete, receive_upload
from services.api.views import job_out

router = APIRouter(tags=["ingest"])


def _probe(ctx: ApiContext, tenant: str, path: FsPath, *, delete_on_error: bool, complete: bool = True) -> float:
    """Probe a media file, check (``complete``) that its end is there, and check the media-hours
    quota; returns its duration (seconds).

    Raises:
        ApiError: 422 with the media error's code (``not_media``, ``corrupt_media``,
            ``empty_file``..., ``truncated_media``); 413 over quota.
    """
    try:
        info = probe_media(path, ctx.settings.ingest)
        seconds = info.duration_s or 0.0
        if complete:
            check_complete(path, info.duration_s)
        ctx.quotas.check_media_seconds(tenant, seconds)
        return seconds
    except MediaError as exc:
        if delete_on_error:
            path.unlink(missing_ok=True)
        raise ApiError(422, exc.code, exc.detail) from None
    except ApiError:
        if delete_on_error:
            path.unlink(missing_ok=True)
        raise


def _queue(ctx: ApiContext, spec: JobSpec, media_path: str | None) -> JobView:
    ctx.rt.repo.create_job(spec.tenant, spec.source, media_path=media_path, job_id=spec.job_id)
    ctx.pool.submit(spec)
    job = ctx.rt.repo.get_job(spec.tenant, spec.job_id)
    return job_out(job)


def _check_not_deleting(ctx: ApiContext, tenant: str, source: str) -> None:
    if (tenant, source) in ctx.extras.setdefault("deleting", set()):
        raise ApiError(409, "conflict", "the source is being deleted")


def _new_job_id() -> str:
    return str(uuid.uuid4())


@router.post("/sources/{source}/uploads", status_code=status.HTTP_202_ACCEPTED, response_model=JobView,
             responses=responses(*TENANT, 404, 409, 413, 415, 503), openapi_extra=UPLOAD_OPENAPI)
@streams_own_body
async def upload(source: SourceName, request: Request, tenant: IngestTenant, ctx: Ctx) -> JobView:
    """Upload footage (``multipart/form-data``: part ``file``, optional field ``start_time``,
    ISO 8601) and ingest it in the background.

    The body streams to disk; past ``api.max_upload_bytes`` (or what the storage quota leaves) it
    answers 413 and keeps nothing. Non-media, truncated and empty files answer 422 with the
    probe's code (``not_media``, ``corrupt_media``, ``empty_file``...).
    """
    rt = ctx.rt
    await run_in_threadpool(get_source_or_404, rt, tenant, source)
    _check_not_deleting(ctx, tenant, source)
    allowance = await run_in_threadpool(ctx.quotas.upload_allowance, tenant)
    up = await receive_upload(request, owned_source_dir(ctx.settings, tenant, source) / "uploads", allowance)
    try:
        start = _start_time(up.fields.get("start_time"))
        await run_in_threadpool(_probe, ctx, tenant, up.path, delete_on_error=True)
        spec = JobSpec(tenant=tenant, source=source, job_id=_new_job_id(), path=up.path, start_time=start, owned=True)
        job = await run_in_threadpool(_queue, ctx, spec, str(up.path))
    except BaseException:
        up.path.unlink(missing_ok=True)
        raise
    finally:
        ctx.quotas.invalidate(tenant)
    return job


def _start_time(value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_iso(value, bounded=True)
    except TimeRangeError as exc:
        raise ApiError(422, "invalid_request", f"start_time: {exc}") from None
    except ValueError:
        raise ApiError(422, "invalid_request", "start_time must be ISO 8601, e.g. 2026-11-16T08:00:00+00:00") from None


@router.post("/sources/{source}/url-ingests", status_code=status.HTTP_202_ACCEPTED, response_model=JobView,
             responses=responses(*TENANT, 404, 409, 413, 503))
def ingest_url(source: SourceName, body: UrlIngest, tenant: IngestTenant, ctx: Ctx) -> JobView:
    """Fetch footage from an http(s) URL and ingest it in the background.

    The URL and every redirect are checked before anything is fetched: loopback, private,
    link-local, multicast, reserved and cloud-metadata addresses answer 403 ``url_refused``
    (unless ``api.allow_private_urls``/``api.url_allow_networks`` admit them); a malformed URL, an
    unreachable origin or one answering an error answers 422. The download itself re-checks every
    hop, is capped in bytes and time, and a failed download leaves nothing behind.
    """
    rt = ctx.rt
    get_source_or_404(rt, tenant, source)
    _check_not_deleting(ctx, tenant, source)
    policy = UrlPolicy.from_settings(ctx.settings.api)
    url = str(body.url)
    try:
        open_checked(url, policy).close()
    except UrlRefused as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from None
    ctx.quotas.upload_allowance(tenant)

    def check(path: FsPath) -> None:
        _probe(ctx, tenant, path, delete_on_error=True)

    spec = JobSpec(tenant=tenant, source=source, job_id=_new_job_id(), url=url,
                   dest_dir=owned_source_dir(ctx.settings, tenant, source) / "downloads",
                   start_time=ensure_aware(body.start_time) if body.start_time else None, owned=True, check_media=check)
    return _queue(ctx, spec, None)


TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="tenant id")]


@router.post("/admin/tenants/{tenant_id}/sources/{source}/path-ingests", status_code=status.HTTP_202_ACCEPTED,
             response_model=JobView, responses=responses(*ADMIN, 404, 409, 503), tags=["admin"])
def ingest_path(tenant_id: TenantId, source: SourceName, body: PathIngest, _admin: Admin, ctx: Ctx) -> JobView:
    """Ingest a file already on the server into a tenant's source (admin only; the source is
    created when missing). The file is referenced, not copied, and never deleted by vidmem.

    Errors: 404 for an unknown tenant or a missing file; 403 outside ``api.server_path_roots``;
    422 when it is not media.
    """
    if ctx.tenants.get_tenant(tenant_id) is None:
        raise not_found("tenant")
    path = FsPath(body.path).expanduser()
    try:
        path = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise not_found("file") from None
    roots = [r.expanduser().resolve() for r in ctx.settings.api.server_path_roots]
    if roots and not any(path.is_relative_to(r) for r in roots):
        raise ApiError(403, "forbidden", "the path is outside the configured server_path_roots")
    if not path.is_file():
        raise ApiError(422, "missing_file", "the path is not a regular file")
    _check_not_deleting(ctx, tenant_id, source)
    _probe(ctx, tenant_id, path, delete_on_error=False, complete=False)
    ctx.rt.repo.ensure_source(tenant_id, source)
    spec = JobSpec(tenant=tenant_id, source=source, job_id=_new_job_id(), path=path,
                   start_time=ensure_aware(body.start_time) if body.start_time else None, owned=False)
    return _queue(ctx, spec, str(path))
