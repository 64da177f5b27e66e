"""Dependencies injected with ``Annotated``: the context, the runtime, the caller's tenant, admin.

The tenant of a request is the tenant of its API key (``Authorization: Bearer <key>`` or
``X-API-Key: <key>``), never a tenant named in the path, query or body. Admin routes take the
admin key instead. Tests build the app with their own runtime and override nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import structlog
from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from api_schemas.api import MAX_PAGE
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from services.api import security
from services.api.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="API key of a tenant (or the admin key on /v1/admin)")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key, as a header")


@dataclass
class ApiContext:
    """What the routers share, built by the app's lifespan.

    Attributes:
        settings: the configuration.
        rt: the opened runtime (stores, providers, agent).
        tenants: tenants and API keys (:class:`services.api.tenancy.TenantStore`).
        limiter: per-tenant rate limits.
        pool: the ingest pool.
        quotas: per-tenant quotas.
        metrics: Prometheus metrics of this app.
        admin_key: the admin secret (``SecretStr``: its ``repr`` is ``'**********'``, so neither a
            traceback nor a debugger prints it; read it with ``get_secret_value()``).
        ready: readiness checks by name: ``"ok"`` or the reason it is not.
    """

    settings: Settings
    rt: Runtime
    tenants: Any
    limiter: Any
    pool: Any
    quotas: Any
    metrics: Any
    admin_key: SecretStr = field(repr=False)
    ready: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


def get_ctx(request: Request) -> ApiContext:
    """The app's context.

    Raises:
        ApiError: 503 before the lifespan has opened the stores.
    """
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is None:
        raise ApiError(503, "starting", "the service is starting")
    return ctx


Ctx = Annotated[ApiContext, Depends(get_ctx)]


def get_runtime(ctx: Ctx) -> Runtime:
    """The runtime of the app."""
    return ctx.rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _credential(bearer: HTTPAuthorizationCredentials | None, header: str | None) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials.strip()
    if header:
        return header.strip()
    return None


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def current_tenant(
    request: Request,
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> str:
    """The tenant of the request's API key; the request also counts against its rate limit.

    Raises:
        ApiError: 401 without a valid key; 403 for the admin key (it is no tenant's key);
            429 when the tenant's overall rate limit is spent.
    """
    key = _credential(bearer, header)
    if not key:
        raise _unauthorized("an API key is required (Authorization: Bearer <key> or X-API-Key)")
    tenant = ctx.tenants.resolve(key)
    if tenant is None:
        if security.same_secret(key, ctx.admin_key.get_secret_value()):
            raise ApiError(403, "admin_key", "the admin key manages tenants; use a tenant's key here")
        raise _unauthorized("invalid or revoked API key")
    request.state.tenant = tenant
    structlog.contextvars.bind_contextvars(tenant=tenant)
    ctx.limiter.hit(tenant, "all")
    return tenant


Tenant = Annotated[str, Depends(current_tenant)]


def query_tenant(tenant: Tenant, ctx: Ctx) -> str:
    """:func:`current_tenant` plus the ``query`` rate limit (questions and searches)."""
    ctx.limiter.hit(tenant, "query")
    return tenant


def ingest_tenant(tenant: Tenant, ctx: Ctx) -> str:
    """:func:`current_tenant` plus the ``ingest`` rate limit."""
    ctx.limiter.hit(tenant, "ingest")
    return tenant


def chunk_tenant(tenant: Tenant, ctx: Ctx) -> str:
    """:func:`current_tenant` plus the ``chunk`` rate limit (pushed device chunks: many small
    requests, so they do not spend the ``ingest`` limit of uploads)."""
    ctx.limiter.hit(tenant, "chunk")
    return tenant


QueryTenant = Annotated[str, Depends(query_tenant)]
IngestTenant = Annotated[str, Depends(ingest_tenant)]
ChunkTenant = Annotated[str, Depends(chunk_tenant)]


def require_admin(
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> None:
    """Admit only the admin key (constant-time comparison).

    Raises:
        ApiError: 401 without a key; 403 for any other key.
    """
    key = _credential(bearer, header)
    if not key:
        raise _unauthorized("the admin key is required")
    if not security.same_secret(key, ctx.admin_key.get_secret_value()):
        raise ApiError(403, "forbidden", "admin only")


Admin = Annotated[None, Depends(require_admin)]


@dataclass(frozen=True, slots=True)
class PageParams:
    """``limit`` (1..MAX_PAGE) and ``offset`` (>= 0) of a list request."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> PageParams:
    """Validated pagination; out-of-range values answer 422."""
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]
