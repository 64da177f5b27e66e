"""Operations: liveness, readiness, Prometheus metrics (no credentials needed; no tenant data)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api_schemas.api import ErrorEnvelope, HealthOut, ReadyOut
from memory_core.stores.base import VectorFilter
from services.api.deps import ApiContext, Ctx
from services.api.errors import responses

router = APIRouter(tags=["operations"])

_PROBE_TENANT = "__readyz__"


@router.get("/healthz", response_model=HealthOut, responses=responses())
def healthz() -> HealthOut:
    """The process lives and serves HTTP (nothing else is checked)."""
    return HealthOut()


def _checks(ctx: ApiContext) -> dict[str, str]:
    checks = {"models": ctx.ready.get("models", "loading")}
    try:
        from sqlalchemy import text

        with ctx.rt.repo.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - the reason is the answer
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        ctx.rt.vectors.count(VectorFilter(tenant=_PROBE_TENANT))
        checks["vectors"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["vectors"] = f"error: {exc.__class__.__name__}"
    return checks


@router.get("/readyz", response_model=ReadyOut,
            responses={**responses(), 503: {"model": ReadyOut | ErrorEnvelope, "description": "Not ready: a check is not 'ok'"}})
async def readyz(ctx: Ctx) -> JSONResponse:
    """Ready when the models are loaded and both stores answer; 503 (with the failing checks)
    until then."""
    checks = await run_in_threadpool(_checks, ctx)
    ok = all(v == "ok" for v in checks.values())
    body = ReadyOut(status="ready" if ok else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response,
            responses={200: {"description": "Prometheus text exposition", "content": {"text/plain": {"schema": {"type": "string"}}}},
                       **responses()})
def metrics(ctx: Ctx) -> Response:
    """Prometheus metrics: request latency by route, ingest backlog, job outcomes, retention."""
    data, ctype = ctx.metrics.render()
    return Response(data, media_type=ctype)
