"""Conversions between domain objects and rows of the relational store.

Rows go in as plain dicts keyed by column name (for bulk Core inserts) and come out of Core
selects as ``Row`` objects with attribute access. Vectors are float32 bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from api_schemas import EntityKind, JobStatus, Kind, Level
from memory_core.domain import Appearance, Entity, MediaFile, MemoryNode
from memory_core.timeutil import ensure_aware, utcnow


def vector_to_bytes(vector: np.ndarray | None) -> bytes | None:
    """float32 bytes of a 1-d vector, or ``None``."""
    return None if vector is None else np.asarray(vector, dtype=np.float32).reshape(-1).tobytes()


def bytes_to_vector(data: bytes | None) -> np.ndarray | None:
    """A writable float32 vector from :func:`vector_to_bytes` output, or ``None``."""
    return None if data is None else np.frombuffer(data, dtype=np.float32).copy()


def node_to_row(node: MemoryNode) -> dict[str, Any]:
    """Column values of a memory node (vectors are not stored here)."""
    now = utcnow()
    return {
        "id": node.id,
        "tenant_id": node.tenant,
        "source": node.source,
        "level": str(node.level),
        "kind": str(node.kind),
        "start_at": ensure_aware(node.start),
        "end_at": ensure_aware(node.end),
        "text": node.text,
        "parent_id": node.parent_id,
        "media_file_id": node.media_file_id,
        "media_path": node.media_path,
        "media_start_s": node.media_start_s,
        "media_end_s": node.media_end_s,
        "entity_ids": list(node.entity_ids),
        "evidence_ids": list(node.evidence_ids),
        "keyframe_paths": list(node.keyframe_paths),
        "attributes": dict(node.attributes),
        "provenance": dict(node.provenance),
        "created_at": now,
        "updated_at": now,
    }


def row_to_node(row: Any) -> MemoryNode:
    """A :class:`MemoryNode` (without vectors) from a ``memory_nodes`` row."""
    return MemoryNode(
        id=row.id,
        tenant=row.tenant_id,
        source=row.source,
        level=Level(row.level),
        kind=Kind(row.kind),
        start=row.start_at,
        end=row.end_at,
        text=row.text,
        parent_id=row.parent_id,
        media_file_id=row.media_file_id,
        media_path=row.media_path,
        media_start_s=row.media_start_s,
        media_end_s=row.media_end_s,
        entity_ids=list(row.entity_ids or []),
        evidence_ids=list(row.evidence_ids or []),
        keyframe_paths=list(row.keyframe_paths or []),
        attributes=dict(row.attributes or {}),
        provenance=dict(row.provenance or {}),
    )


def entity_to_row(entity: Entity) -> dict[str, Any]:
    """Column values of an entity; ``exemplars`` are stacked into one ``(n, dim)`` float32 blob.

    Raises:
        ValueError: when the centroid and the exemplars differ in size.
    """
    centroid = None if entity.centroid is None else np.asarray(entity.centroid, dtype=np.float32).reshape(-1)
    exemplars = np.stack([np.asarray(x, dtype=np.float32).reshape(-1) for x in entity.exemplars]) if entity.exemplars else None
    dims = {a.shape[-1] for a in (centroid, exemplars) if a is not None}
    if len(dims) > 1:
        raise ValueError(f"entity {entity.id}: centroid and exemplars differ in size {sorted(dims)}")
    now = utcnow()
    return {
        "id": entity.id,
        "tenant_id": entity.tenant,
        "source": entity.source,
        "kind": str(entity.kind),
        "label": entity.label,
        "name": entity.name,
        "dim": dims.pop() if dims else None,
        "centroid": None if centroid is None else centroid.tobytes(),
        "exemplars": None if exemplars is None else exemplars.tobytes(),
        "count": int(entity.count),
        "first_seen": None if entity.first_seen is None else ensure_aware(entity.first_seen),
        "last_seen": None if entity.last_seen is None else ensure_aware(entity.last_seen),
        "linked_ids": list(entity.linked_ids),
        "possible_duplicates": list(entity.possible_duplicates),
        "attributes": dict(entity.attributes),
        "created_at": now,
        "updated_at": now,
    }


def row_to_entity(row: Any) -> Entity:
    """An :class:`Entity` from an ``entities`` row (vectors as writable float32 arrays)."""
    exemplars: list[np.ndarray] = []
    if row.exemplars is not None and row.dim:
        matrix = np.frombuffer(row.exemplars, dtype=np.float32).reshape(-1, row.dim)
        exemplars = [v.copy() for v in matrix]
    return Entity(
        id=row.id,
        tenant=row.tenant_id,
        source=row.source,
        kind=EntityKind(row.kind),
        label=row.label,
        name=row.name,
        centroid=bytes_to_vector(row.centroid),
        exemplars=exemplars,
        count=row.count,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        linked_ids=list(row.linked_ids or []),
        possible_duplicates=list(row.possible_duplicates or []),
        attributes=dict(row.attributes or {}),
    )


def appearance_to_row(tenant: str, source: str, a: Appearance) -> dict[str, Any]:
    """Column values of an appearance (``source`` is the entity's)."""
    return {
        "tenant_id": tenant,
        "source": source,
        "entity_id": a.entity_id,
        "node_id": a.node_id,
        "start_at": ensure_aware(a.start),
        "end_at": ensure_aware(a.end),
        "media_path": a.media_path,
        "media_start_s": a.media_start_s,
        "media_end_s": a.media_end_s,
        "confidence": float(a.confidence),
    }


def row_to_appearance(row: Any) -> Appearance:
    """An :class:`Appearance` from an ``entity_appearances`` row."""
    return Appearance(
        entity_id=row.entity_id,
        node_id=row.node_id,
        start=row.start_at,
        end=row.end_at,
        media_path=row.media_path,
        media_start_s=row.media_start_s,
        media_end_s=row.media_end_s,
        confidence=row.confidence,
    )


def media_to_row(m: MediaFile) -> dict[str, Any]:
    """Column values of a media file."""
    return {
        "id": m.id,
        "tenant_id": m.tenant,
        "source": m.source,
        "path": m.path,
        "fingerprint": m.fingerprint,
        "duration_s": float(m.duration_s),
        "start_time": ensure_aware(m.start_time),
        "has_video": bool(m.has_video),
        "has_audio": bool(m.has_audio),
        "width": m.width,
        "height": m.height,
        "created_at": utcnow(),
    }


def row_to_media(row: Any) -> MediaFile:
    """A :class:`MediaFile` from a ``media_files`` row."""
    return MediaFile(
        id=row.id,
        tenant=row.tenant_id,
        source=row.source,
        path=row.path,
        fingerprint=row.fingerprint,
        duration_s=row.duration_s,
        start_time=row.start_time,
        has_video=row.has_video,
        has_audio=row.has_audio,
        width=row.width,
        height=row.height,
    )


def row_to_job(row: Any) -> dict[str, Any]:
    """A job as a dict with :class:`api_schemas.JobOut`'s fields plus ``tenant`` and ``heartbeat_at``."""
    return {
        "id": row.id,
        "tenant": row.tenant_id,
        "source": row.source,
        "kind": row.kind,
        "status": JobStatus(row.status),
        "step": row.step,
        "percent": row.percent,
        "error": row.error,
        "media_path": row.media_path,
        "result": row.result,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "heartbeat_at": row.heartbeat_at,
    }


def row_to_source(row: Any) -> dict[str, Any]:
    """A source as a dict: id, tenant, name, kind, settings, retention_seconds, created_at."""
    return {
        "id": row.id,
        "tenant": row.tenant_id,
        "name": row.name,
        "kind": row.kind,
        "settings": dict(row.settings or {}),
        "retention_seconds": row.retention_seconds,
        "created_at": row.created_at,
    }
