"""Memory browsing: a source's stories -> events -> scenes -> clips, with text and thumbnails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api_schemas import Kind, Level
from api_schemas.api import MemoryOut, Page
from api_schemas.common import BoundedDatetime
from memory_core.timeutil import ensure_aware
from services.api.deps import Ctx, Paging, Tenant
from services.api.errors import TENANT, ApiError, not_found, responses
from services.api.routers.sources import SourceName, get_source_or_404
from services.api.views import memory_out

router = APIRouter(tags=["memories"])

NodeId = Annotated[str, Path(min_length=1, max_length=64, description="memory node id")]


def node_or_404(ctx, tenant: str, node_id: str):
    """A memory of ``tenant`` or a 404 (also for another tenant's memory)."""
    node = ctx.rt.repo.get_node(tenant, node_id)
    if node is None:
        raise not_found("memory")
    return node


def _page(nodes: list, page) -> Page[MemoryOut]:
    more = len(nodes) > page.limit
    return Page[MemoryOut](items=[memory_out(n) for n in nodes[: page.limit]], limit=page.limit, offset=page.offset,
                           next_offset=page.offset + page.limit if more else None)


@router.get("/memories", response_model=Page[MemoryOut], responses=responses(*TENANT, 404))
def list_memories(
    tenant: Tenant, ctx: Ctx, page: Paging,
    source: Annotated[str | None, Query(max_length=255)] = None,
    level: Level | None = None,
    kind: Kind | None = None,
    start: Annotated[BoundedDatetime | None, Query(description="memories ending at or after this (years 1970..2200)")] = None,
    end: Annotated[BoundedDatetime | None, Query(description="memories starting at or before this (years 1970..2200)")] = None,
) -> Page[MemoryOut]:
    """The caller's memories by wall-clock start, filtered by source, level, kind and time."""
    if source is not None:
        get_source_or_404(ctx.rt, tenant, source)
    if start and end and ensure_aware(start) > ensure_aware(end):
        raise ApiError(422, "invalid_request", "start is after end")
    nodes = ctx.rt.repo.list_nodes(tenant, source=source, level=level, kind=kind,
                                   start=ensure_aware(start) if start else None, end=ensure_aware(end) if end else None,
                                   limit=page.limit + 1, offset=page.offset)
    return _page(nodes, page)


@router.get("/sources/{source}/stories", response_model=Page[MemoryOut], responses=responses(*TENANT, 404))
def list_stories(source: SourceName, tenant: Tenant, ctx: Ctx, page: Paging) -> Page[MemoryOut]:
    """The top of a source's hierarchy: its stories (episodic), by time. Follow ``/children``."""
    get_source_or_404(ctx.rt, tenant, source)
    nodes = ctx.rt.repo.list_nodes(tenant, source=source, level=Level.STORY, kind=Kind.EPISODIC,
                                   limit=page.limit + 1, offset=page.offset)
    return _page(nodes, page)


@router.get("/memories/{node_id}", response_model=MemoryOut, responses=responses(*TENANT, 404))
def get_memory(node_id: NodeId, tenant: Tenant, ctx: Ctx) -> MemoryOut:
    """One memory with its text, span, entities, clip link and keyframe thumbnails."""
    return memory_out(node_or_404(ctx, tenant, node_id))


@router.get("/memories/{node_id}/children", response_model=Page[MemoryOut], responses=responses(*TENANT, 404))
def list_children(node_id: NodeId, tenant: Tenant, ctx: Ctx, page: Paging) -> Page[MemoryOut]:
    """The memories one level down (story -> events -> scenes -> clips), by time."""
    node_or_404(ctx, tenant, node_id)
    nodes = ctx.rt.repo.list_nodes(tenant, parent_id=node_id, limit=page.limit + 1, offset=page.offset)
    return _page(nodes, page)
