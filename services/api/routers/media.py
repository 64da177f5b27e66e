"""Media: the clip behind a memory or evidence item (MP4, playable in a browser, HTTP range
requests), keyframe JPEGs, and whole media files."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from memory_core.forget import clip_cache_path
from memory_core.stores.keyframes import safe_component
from services.api.clips import ClipError, cut_clip
from services.api.deps import Ctx, Tenant
from services.api.errors import TENANT, not_found, responses
from services.api.routers.memories import NodeId, node_or_404

router = APIRouter(tags=["media"])


def _binary(media_type: str, description: str) -> dict:
    ok = {200: {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}},
          206: {"description": "Partial content (a Range request)",
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}
    return {**ok, **responses(*TENANT, 404, 416)}


_CACHE = {"Cache-Control": "private, max-age=3600"}


@router.get("/memories/{node_id}/clip", response_class=FileResponse, responses=_binary("video/mp4", "The memory's span as MP4"))
async def memory_clip(node_id: NodeId, tenant: Tenant, ctx: Ctx) -> FileResponse:
    """The footage of a memory's media span, cut without re-encoding (starts at the keyframe at or
    before the span; at most 10 minutes). Supports ``Range`` for seeking in a browser.

    When the span cannot be cut (a container MP4 cannot hold), the whole media file is served and
    ``X-Vidmem-Clip-Start``/``-End`` say where the span lies.
    """
    rt = ctx.rt
    node = await run_in_threadpool(node_or_404, ctx, tenant, node_id)
    if node.media_file_id is None or node.media_start_s is None:
        raise not_found("clip")
    media = await run_in_threadpool(rt.repo.get_media_file, tenant, node.media_file_id)
    if media is None or not FsPath(media.path).is_file():
        raise not_found("media file")
    dst = clip_cache_path(rt.settings, tenant, node.source, node.id)
    end = node.media_end_s if node.media_end_s is not None else node.media_start_s + 10.0
    try:
        path = await run_in_threadpool(cut_clip, FsPath(media.path), dst, node.media_start_s, end)
    except ClipError:
        headers = {**_CACHE, "X-Vidmem-Clip-Start": f"{node.media_start_s:.3f}", "X-Vidmem-Clip-End": f"{end:.3f}"}
        return FileResponse(media.path, headers=headers, content_disposition_type="inline")
    return FileResponse(path, media_type="video/mp4", headers=_CACHE, content_disposition_type="inline")


@router.get("/memories/{node_id}/keyframes/{index}", response_class=Response,
            responses=_binary("image/jpeg", "A keyframe thumbnail (JPEG)"))
def memory_keyframe(node_id: NodeId, index: Annotated[int, Path(ge=0, le=1000)], tenant: Tenant, ctx: Ctx) -> Response:
    """Keyframe ``index`` of a memory as JPEG."""
    node = node_or_404(ctx, tenant, node_id)
    if index >= len(node.keyframe_paths):
        raise not_found("keyframe")
    try:
        path = ctx.rt.keyframes.path(node.keyframe_paths[index])
    except ValueError:
        raise not_found("keyframe") from None
    if not path.is_file() or not path.is_relative_to(ctx.rt.keyframes.root / safe_component(tenant)):
        raise not_found("keyframe")  # also a path outside the tenant's folder (defence in depth)
    return FileResponse(path, media_type="image/jpeg", headers=_CACHE, content_disposition_type="inline")


@router.get("/media/{media_file_id}", response_class=FileResponse, responses=_binary("application/octet-stream", "The media file"))
def media_file(media_file_id: Annotated[str, Path(min_length=1, max_length=64)], tenant: Tenant, ctx: Ctx) -> FileResponse:
    """A whole ingested media file (``Range`` supported); seek with a media fragment (``#t=``)."""
    media = ctx.rt.repo.get_media_file(tenant, media_file_id)
    if media is None or not FsPath(media.path).is_file():
        raise not_found("media file")
    return FileResponse(media.path, headers=_CACHE, content_disposition_type="inline")
