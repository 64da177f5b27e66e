"""Conversions from core objects to the API's response models (with the links clients follow).

No server path leaves through these views: media files are named by their opaque id and
``/v1/media/{id}``, keyframes by their URLs, and a job's ``result`` and ``error`` lose path
fields and absolute paths (the CLI, for the local user, still shows paths).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from api_schemas.api import EntityAppearanceOut, EntityView, EvidenceOut, JobView, MemoryOut, SourceOut
from memory_core.domain import Appearance, Entity, MemoryNode

PREFIX = "/v1"
#: Keys of a job's ``result`` (an ingest summary, a distributed job's request) that hold paths.
PATH_KEYS = frozenset({"media_path", "path", "paths", "dest_dir", "keyframe_paths", "file", "owned_path"})
_ABS_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"]+/)+(?P<name>[^\s/'\",;)]*)")


def media_ref(media_file_id: str | None) -> dict[str, str | None]:
    """``media_id`` and ``media_url`` of a media file (both ``None`` for none)."""
    if not media_file_id:
        return {"media_id": None, "media_url": None}
    return {"media_id": media_file_id, "media_url": f"{PREFIX}/media/{quote(media_file_id, safe='')}"}


def strip_paths(text: str | None) -> str | None:
    """``text`` with absolute server paths cut to their file name (``/srv/x/a.mp4`` -> ``a.mp4``);
    URLs are left alone."""
    if not text:
        return text
    return _ABS_PATH.sub(lambda m: m.group("name") or "<path>", text)


def public_result(value: Any) -> Any:
    """A job result without path fields (:data:`PATH_KEYS`, at any depth) or absolute paths."""
    if isinstance(value, dict):
        return {k: public_result(v) for k, v in value.items() if k not in PATH_KEYS}
    if isinstance(value, list):
        return [public_result(v) for v in value]
    if isinstance(value, str):
        return strip_paths(value)
    return value


def clip_url(node_id: str) -> str:
    """Where the clip of a memory plays (MP4, range requests)."""
    return f"{PREFIX}/memories/{quote(node_id, safe='')}/clip"


def keyframe_urls(node_id: str, count: int) -> list[str]:
    """Thumbnail URLs of a memory's ``count`` keyframes."""
    return [f"{PREFIX}/memories/{quote(node_id, safe='')}/keyframes/{i}" for i in range(count)]


def memory_out(node: MemoryNode) -> MemoryOut:
    """A node with its clip and keyframe links (no clip link when it has no media span)."""
    base = node.to_out().model_dump()
    has_media = node.media_file_id is not None and node.media_start_s is not None
    return MemoryOut(**base, **media_ref(node.media_file_id), clip_url=clip_url(node.id) if has_media else None,
                     keyframe_urls=keyframe_urls(node.id, len(node.keyframe_paths)))


def evidence_out(ev, node: MemoryNode | None) -> EvidenceOut:
    """Evidence with links; ``node`` is the evidence's memory (``None`` when not found)."""
    base = ev.model_dump(exclude={"media_path"})
    if node is None:
        return EvidenceOut(**base)
    has_media = node.media_file_id is not None and node.media_start_s is not None
    return EvidenceOut(**base, **media_ref(node.media_file_id), clip_url=clip_url(node.id) if has_media else None,
                       keyframe_urls=keyframe_urls(node.id, len(node.keyframe_paths)))


def appearance_out(a: Appearance, media_file_id: str | None = None) -> EntityAppearanceOut:
    """An appearance with its media file as id and URL (``media_file_id`` of its clip node)."""
    return EntityAppearanceOut(node_id=a.node_id, start=a.start, end=a.end, **media_ref(media_file_id),
                               media_start_s=a.media_start_s, media_end_s=a.media_end_s, confidence=a.confidence)


def entity_out(e: Entity, timeline: list[Appearance] | None = None, cls=EntityView, *,
               media_ids: dict[str, str | None] | None = None, **extra):
    """The public view of an entity (vectors never leave the service); ``media_ids`` maps the
    timeline's clip node ids to their media file ids."""
    media_ids = media_ids or {}
    return cls(id=e.id, source=e.source, kind=e.kind, name=e.name, label=e.label, appearance_count=e.count,
               first_seen=e.first_seen, last_seen=e.last_seen, linked_ids=list(e.linked_ids),
               possible_duplicates=list(e.possible_duplicates),
               timeline=[appearance_out(a, media_ids.get(a.node_id)) for a in (timeline or [])], **extra)


def job_out(job: dict) -> JobView:
    """A job record (repository dict) as :class:`JobView`: no media path, ``result`` and
    ``error`` without server paths."""
    fields = {k: v for k, v in job.items() if k in JobView.model_fields and k != "media_path"}
    fields["result"] = public_result(fields.get("result"))
    fields["error"] = strip_paths(fields.get("error"))
    return JobView(**fields)


def source_out(src: dict, *, media_files: int = 0, media_seconds: float = 0.0, memories: int = 0) -> SourceOut:
    """A source record with its counts."""
    return SourceOut(id=src["id"], name=src["name"], kind=src["kind"], retention_seconds=src.get("retention_seconds"),
                     created_at=src["created_at"], media_files=media_files, media_seconds=round(media_seconds, 3),
                     memories=memories)
