"""Entities (people, voices, names, on-screen texts): list, get with timeline, rename, merge, split."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api_schemas import EntityKind
from api_schemas.api import EntityDetail, EntityMerge, EntityRename, EntitySplit, EntityView, Page
from memory_core.building import curation
from services.api.deps import Ctx, Paging, Tenant
from services.api.errors import TENANT, ApiError, not_found, responses
from services.api.routers.sources import get_source_or_404
from services.api.views import entity_out

router = APIRouter(prefix="/entities", tags=["entities"])

EntityId = Annotated[str, Path(min_length=1, max_length=64, description="entity id")]


def _entity_or_404(ctx, tenant: str, eid: str):
    ent = ctx.rt.repo.get_entity(tenant, eid)
    if ent is None:
        raise not_found("entity")
    return ent


@router.get("", response_model=Page[EntityView], responses=responses(*TENANT, 404))
def list_entities(tenant: Tenant, ctx: Ctx, page: Paging,
                  source: Annotated[str | None, Query(max_length=255)] = None,
                  kind: EntityKind | None = None) -> Page[EntityView]:
    """The caller's entities (of one source/kind if given), most frequent first."""
    if source is not None:
        get_source_or_404(ctx.rt, tenant, source)
    ents = ctx.rt.repo.list_entities(tenant, source=source, kind=kind)
    chunk = ents[page.offset : page.offset + page.limit]
    nxt = page.offset + page.limit if len(ents) > page.offset + page.limit else None
    return Page[EntityView](items=[entity_out(e) for e in chunk], limit=page.limit, offset=page.offset, next_offset=nxt)


@router.get("/{entity_id}", response_model=EntityDetail, responses=responses(*TENANT, 404))
def get_entity(entity_id: EntityId, tenant: Tenant, ctx: Ctx,
               timeline_limit: Annotated[int, Query(ge=0, le=5000)] = 200,
               timeline_offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> EntityDetail:
    """One entity with its timeline (appearances by time: wall clock, media span, clip node)."""
    ent = _entity_or_404(ctx, tenant, entity_id)
    apps = ctx.rt.repo.appearances(tenant, entity_id, limit=timeline_offset + timeline_limit + 1)
    chunk = apps[timeline_offset : timeline_offset + timeline_limit]
    more = len(apps) > timeline_offset + timeline_limit
    nodes = ctx.rt.repo.get_nodes(tenant, list({a.node_id for a in chunk})) if chunk else []
    return entity_out(ent, chunk, cls=EntityDetail, media_ids={n.id: n.media_file_id for n in nodes},
                      timeline_next_offset=timeline_offset + timeline_limit if more else None)


@router.patch("/{entity_id}", response_model=EntityView, responses=responses(*TENANT, 404))
def rename_entity(entity_id: EntityId, body: EntityRename, tenant: Tenant, ctx: Ctx) -> EntityView:
    """Name an entity (``null`` clears the name and restores its automatic label)."""
    try:
        rt = ctx.rt
        return entity_out(curation.rename_entity(rt.repo, tenant, entity_id, body.name, rt.vectors, rt.providers.text_embedder()))
    except KeyError:
        raise not_found("entity") from None


@router.post("/{entity_id}/merge", response_model=EntityView, responses=responses(*TENANT, 404, 409))
def merge_entities(entity_id: EntityId, body: EntityMerge, tenant: Tenant, ctx: Ctx) -> EntityView:
    """Merge ``other_ids`` (same source and kind) into this entity: their appearances, exemplars and
    links move here, memories that named them name this one, and they are deleted.

    Errors: 404 when an entity is unknown (to this tenant); 409 across sources or kinds.
    """
    rt = ctx.rt
    try:
        ent = curation.merge_entities(rt.repo, rt.vectors, rt.providers.text_embedder(), tenant, entity_id, body.other_ids)
    except KeyError:
        raise not_found("entity") from None
    except curation.CurationError as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    return entity_out(ent)


@router.post("/{entity_id}/split", status_code=status.HTTP_201_CREATED, response_model=EntityView,
             responses=responses(*TENANT, 404, 409))
def split_entity(entity_id: EntityId, body: EntitySplit, tenant: Tenant, ctx: Ctx) -> EntityView:
    """Move this entity's appearances in ``node_ids`` (clip memories) to a new entity, optionally
    named; returns the new entity.

    Errors: 404 for an unknown entity; 409 when none or all of its appearances are named.
    """
    rt = ctx.rt
    try:
        ent = curation.split_entity(rt.repo, rt.vectors, rt.providers.text_embedder(), tenant, entity_id, body.node_ids, body.name)
    except KeyError:
        raise not_found("entity") from None
    except curation.CurationError as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    return entity_out(ent)
