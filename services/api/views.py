"""Conversions from core objects to the API's response models (with the links clients follow)."""

from __future__ import annotations

from urllib.parse import quote

from api_schemas import EntityAppearance, EntityOut, JobOut
from api_schemas.api import EvidenceOut, MemoryOut, SourceOut
from memory_core.domain import Appearance, Entity, MemoryNode

PREFIX = "/v1"


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
    return MemoryOut(**base, clip_url=clip_url(node.id) if has_media else None,
                     keyframe_urls=keyframe_urls(node.id, len(node.keyframe_paths)))


def evidence_out(ev, node: MemoryNode | None) -> EvidenceOut:
    """Evidence with links; ``node`` is the evidence's memory (``None`` when not found)."""
    base = ev.model_dump()
    if node is None:
        return EvidenceOut(**base)
    has_media = node.media_file_id is not None and node.media_start_s is not None
    return EvidenceOut(**base, clip_url=clip_url(node.id) if has_media else None,
                       keyframe_urls=keyframe_urls(node.id, len(node.keyframe_paths)))


def appearance_out(a: Appearance) -> EntityAppearance:
    return EntityAppearance(node_id=a.node_id, start=a.start, end=a.end, media_path=a.media_path,
                            media_start_s=a.media_start_s, media_end_s=a.media_end_s, confidence=a.confidence)


def entity_out(e: Entity, timeline: list[Appearance] | None = None, cls=EntityOut, **extra):
    """The public view of an entity (vectors never leave the service)."""
    return cls(id=e.id, source=e.source, kind=e.kind, name=e.name, label=e.label, appearance_count=e.count,
               first_seen=e.first_seen, last_seen=e.last_seen, linked_ids=list(e.linked_ids),
               possible_duplicates=list(e.possible_duplicates),
               timeline=[appearance_out(a) for a in (timeline or [])], **extra)


def job_out(job: dict) -> JobOut:
    """A job record (repository dict) as :class:`JobOut`."""
    return JobOut(**{k: v for k, v in job.items() if k in JobOut.model_fields})


def source_out(src: dict, *, media_files: int = 0, media_seconds: float = 0.0, memories: int = 0) -> SourceOut:
    """A source record with its counts."""
    return SourceOut(id=src["id"], name=src["name"], kind=src["kind"], retention_seconds=src.get("retention_seconds"),
                     created_at=src["created_at"], media_files=media_files, media_seconds=round(media_seconds, 3),
                     memories=memories)
