"""Raw memory search by text within levels, kinds, sources and a wall-clock range."""

from __future__ import annotations

import time

from fastapi import APIRouter

from api_schemas.api import SearchHit, SearchRequest, SearchResponse
from memory_core.stores.base import VectorFilter
from memory_core.timeutil import ensure_aware
from services.api.deps import Ctx, QueryTenant
from services.api.errors import TENANT, ApiError, responses
from services.api.routers.query import check_sources
from services.api.views import memory_out

router = APIRouter(prefix="/search", tags=["search"])


@router.post("", response_model=SearchResponse, responses=responses(*TENANT, 404, 503))
def search(body: SearchRequest, tenant: QueryTenant, ctx: Ctx) -> SearchResponse:
    """Nearest memories to ``text`` (cosine over the text embedding), best first.

    The vector filter always holds the caller's tenant; ``levels``, ``kinds``, ``sources``
    (404 for a source the tenant does not have) and ``start``/``end`` (memories overlapping the
    range) narrow it.
    """
    t0 = time.perf_counter()
    check_sources(ctx, tenant, body.sources)
    if body.start and body.end and ensure_aware(body.start) > ensure_aware(body.end):
        raise ApiError(422, "invalid_request", "start is after end")
    rt = ctx.rt
    rt.ensure_collection()
    vector = rt.providers.text_embedder().embed_query(body.text)
    flt = VectorFilter(tenant=tenant, sources=body.sources, levels=body.levels, kinds=body.kinds,
                       start=ensure_aware(body.start) if body.start else None,
                       end=ensure_aware(body.end) if body.end else None)
    hits = rt.vectors.search(vector, flt, limit=body.limit)
    nodes = {n.id: n for n in rt.repo.get_nodes(tenant, [h.id for h in hits])}
    items = [SearchHit(score=round(h.score, 6), memory=memory_out(nodes[h.id])) for h in hits if h.id in nodes]
    return SearchResponse(items=items, elapsed_ms=round((time.perf_counter() - t0) * 1000, 2))
