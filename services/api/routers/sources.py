"""Sources: create, list, get, change retention, delete (with everything they hold)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from starlette.concurrency import run_in_threadpool

from api_schemas.api import DeletionReport, Page, SourceCreate, SourceOut, SourceUpdate
from memory_core import forget
from services.api.deps import Ctx, Paging, Tenant
from services.api.errors import TENANT, ApiError, not_found, responses
from services.api.views import source_out

router = APIRouter(prefix="/sources", tags=["sources"])

SourceName = Annotated[str, Path(min_length=1, max_length=255, description="source name")]


def _stats(rt, tenant: str, src: dict) -> SourceOut:
    media = rt.repo.list_media_files(tenant, src["name"])
    return source_out(src, media_files=len(media), media_seconds=sum(m.duration_s or 0.0 for m in media),
                      memories=rt.repo.count_nodes(tenant, source=src["name"]))


def stop_stream_worker(ctx, tenant: str, source: str) -> None:
    """Stop the source's stream worker when this process runs one (it would write again)."""
    manager = ctx.extras.get("streams")
    if manager is not None and manager.get(tenant, source) is not None:
        manager.stop(tenant, source, disable=False, timeout=60.0)


def get_source_or_404(rt, tenant: str, source: str) -> dict:
    """The source of ``tenant`` or a 404 (also for another tenant's source)."""
    src = rt.repo.get_source(tenant, source)
    if src is None:
        raise not_found("source")
    return src


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SourceOut, responses=responses(*TENANT, 409))
def create_source(body: SourceCreate, tenant: Tenant, ctx: Ctx) -> SourceOut:
    """Create a source (a camera, a device, a film) of the caller's tenant.

    Errors: 409 when the name is taken.
    """
    rt = ctx.rt
    if rt.repo.get_source(tenant, body.name) is not None:
        raise ApiError(409, "conflict", f"source {body.name!r} exists")
    src = rt.repo.ensure_source(tenant, body.name, kind=body.kind)
    if body.retention_seconds is not None:
        forget.set_retention(rt.repo, tenant, body.name, body.retention_seconds)
        src = rt.repo.get_source(tenant, body.name)
    return source_out(src)


@router.get("", response_model=Page[SourceOut], responses=responses(*TENANT))
def list_sources(tenant: Tenant, ctx: Ctx, page: Paging) -> Page[SourceOut]:
    """The caller's sources by name, with media and memory counts."""
    sources = ctx.rt.repo.list_sources(tenant)
    chunk = sources[page.offset : page.offset + page.limit]
    nxt = page.offset + page.limit if len(sources) > page.offset + page.limit else None
    return Page[SourceOut](items=[_stats(ctx.rt, tenant, s) for s in chunk], limit=page.limit, offset=page.offset, next_offset=nxt)


@router.get("/{source}", response_model=SourceOut, responses=responses(*TENANT, 404))
def get_source(source: SourceName, tenant: Tenant, ctx: Ctx) -> SourceOut:
    """One source with its counts."""
    return _stats(ctx.rt, tenant, get_source_or_404(ctx.rt, tenant, source))


@router.patch("/{source}", response_model=SourceOut, responses=responses(*TENANT, 404))
def update_source(source: SourceName, body: SourceUpdate, tenant: Tenant, ctx: Ctx) -> SourceOut:
    """Set the source's retention: footage and memories older than ``retention_seconds`` are
    removed by the periodic sweep (``null`` keeps them forever)."""
    get_source_or_404(ctx.rt, tenant, source)
    forget.set_retention(ctx.rt.repo, tenant, source, body.retention_seconds)
    return _stats(ctx.rt, tenant, get_source_or_404(ctx.rt, tenant, source))


@router.delete("/{source}", response_model=DeletionReport, responses=responses(*TENANT, 404))
async def delete_source(source: SourceName, tenant: Tenant, ctx: Ctx) -> DeletionReport:
    """Delete the source with its vectors, rows, keyframes and owned media; its live stream and
    running ingest jobs are stopped first. ``remaining`` counts what is left in every store (all zeros)."""
    rt = ctx.rt
    await run_in_threadpool(get_source_or_404, rt, tenant, source)
    deleting: set = ctx.extras.setdefault("deleting", set())
    deleting.add((tenant, source))  # ingest of this source answers 409 meanwhile
    try:
        await run_in_threadpool(stop_stream_worker, ctx, tenant, source)
        await run_in_threadpool(ctx.pool.cancel_source, tenant, source)
        report = await run_in_threadpool(forget.delete_source, rt, tenant, source)
    finally:
        deleting.discard((tenant, source))
    if report is None:
        raise not_found("source")
    ctx.quotas.invalidate(tenant)
    return DeletionReport(source=source, vectors_deleted=report.vectors_deleted, rows_deleted=report.rows_deleted,
                          files_deleted=report.files_deleted, remaining=report.remaining)
