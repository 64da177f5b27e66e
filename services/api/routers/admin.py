"""Administration (admin key only): tenants, their API keys, a retention sweep on demand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api_schemas.api import TENANT_ID_PATTERN, ApiKeyCreate, ApiKeyCreated, ApiKeyOut, Page, SweepReport, TenantCreate, TenantOut, UsageOut
from memory_core import forget
from services.api.deps import Admin, Ctx, Paging, Tenant
from services.api.errors import ADMIN, TENANT, ApiError, not_found, responses
from services.api.routers.sources import stop_stream_worker
from services.api.tenancy import TenantExists

router = APIRouter(prefix="/admin", tags=["admin"])

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="tenant id")]
KeyId = Annotated[str, Path(min_length=1, max_length=64)]


class TenantDeleted(BaseModel):
    """A deleted tenant: how many sources went with it and what is left (zeros)."""

    tenant: str
    sources_deleted: int
    remaining: dict[str, int]


def _tenant_or_404(ctx, tenant_id: str) -> TenantOut:
    t = ctx.tenants.get_tenant(tenant_id)
    if t is None:
        raise not_found("tenant")
    return t


@router.post("/tenants", status_code=status.HTTP_201_CREATED, response_model=TenantOut, responses=responses(*ADMIN, 409))
def create_tenant(body: TenantCreate, _admin: Admin, ctx: Ctx) -> TenantOut:
    """Create a tenant (a company, a household, a device); 409 when the id is taken."""
    try:
        return ctx.tenants.create_tenant(body.name, body.id)
    except TenantExists:
        raise ApiError(409, "conflict", f"tenant {body.id!r} exists") from None


@router.get("/tenants", response_model=Page[TenantOut], responses=responses(*ADMIN))
def list_tenants(_admin: Admin, ctx: Ctx, page: Paging) -> Page[TenantOut]:
    """Tenants by id."""
    rows = ctx.tenants.list_tenants(page.limit + 1, page.offset)
    more = len(rows) > page.limit
    return Page[TenantOut](items=rows[: page.limit], limit=page.limit, offset=page.offset,
                           next_offset=page.offset + page.limit if more else None)


@router.get("/tenants/{tenant_id}", response_model=TenantOut, responses=responses(*ADMIN, 404))
def get_tenant(tenant_id: TenantId, _admin: Admin, ctx: Ctx) -> TenantOut:
    """One tenant."""
    return _tenant_or_404(ctx, tenant_id)


@router.delete("/tenants/{tenant_id}", response_model=TenantDeleted, responses=responses(*ADMIN, 404))
async def delete_tenant(tenant_id: TenantId, _admin: Admin, ctx: Ctx) -> TenantDeleted:
    """Delete a tenant with all its sources (vectors, rows, files) and keys."""
    await run_in_threadpool(_tenant_or_404, ctx, tenant_id)
    remaining: dict[str, int] = {}
    sources = await run_in_threadpool(ctx.rt.repo.list_sources, tenant_id)
    for src in sources:
        await run_in_threadpool(stop_stream_worker, ctx, tenant_id, src["name"])
        await run_in_threadpool(ctx.pool.cancel_source, tenant_id, src["name"])
        report = await run_in_threadpool(forget.delete_source, ctx.rt, tenant_id, src["name"])
        for k, v in (report.remaining if report else {}).items():
            remaining[k] = remaining.get(k, 0) + v
    await run_in_threadpool(ctx.tenants.delete_tenant_row, tenant_id)
    ctx.quotas.invalidate(tenant_id)
    return TenantDeleted(tenant=tenant_id, sources_deleted=len(sources), remaining=remaining)


@router.post("/tenants/{tenant_id}/keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated,
             responses=responses(*ADMIN, 404))
def create_key(tenant_id: TenantId, body: ApiKeyCreate, _admin: Admin, ctx: Ctx) -> ApiKeyCreated:
    """A new API key for the tenant. The key is in this answer only; store it now."""
    try:
        return ctx.tenants.create_key(tenant_id, body.name)
    except KeyError:
        raise not_found("tenant") from None


@router.get("/tenants/{tenant_id}/keys", response_model=list[ApiKeyOut], responses=responses(*ADMIN, 404))
def list_keys(tenant_id: TenantId, _admin: Admin, ctx: Ctx) -> list[ApiKeyOut]:
    """The tenant's keys (prefixes only, never the secrets)."""
    _tenant_or_404(ctx, tenant_id)
    return ctx.tenants.list_keys(tenant_id)


@router.delete("/tenants/{tenant_id}/keys/{key_id}", response_model=ApiKeyOut, responses=responses(*ADMIN, 404))
def revoke_key(tenant_id: TenantId, key_id: KeyId, _admin: Admin, ctx: Ctx) -> ApiKeyOut:
    """Revoke a key; requests with it answer 401 from now on."""
    key = ctx.tenants.revoke_key(tenant_id, key_id)
    if key is None:
        raise not_found("key")
    return key


@router.post("/retention/sweep", response_model=SweepReport, responses=responses(*ADMIN))
def sweep_now(_admin: Admin, ctx: Ctx) -> SweepReport:
    """Run the retention sweep now (it also runs every ``api.retention_sweep_s`` seconds)."""
    return ctx.extras["sweeper"].run_once()


usage_router = APIRouter(tags=["usage"])


@usage_router.get("/usage", response_model=UsageOut, responses=responses(*TENANT))
def usage(tenant: Tenant, ctx: Ctx) -> UsageOut:
    """The caller's storage and media hours against its quotas."""
    return ctx.quotas.usage(tenant)
