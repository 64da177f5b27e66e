"""Interfaces of the two stores: vectors (Qdrant) and records (SQLAlchemy).

Every read takes a ``tenant``; implementations put it in every vector filter and every SQL
``WHERE`` clause, so no call can reach another tenant's memories.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np

from api_schemas import EntityKind, JobStatus, Kind, Level
from memory_core.domain import Appearance, Entity, MediaFile, MemoryNode

TEXT_VECTOR = "text"
IMAGE_VECTOR = "image"


def as_float_list(vector: np.ndarray, dim: int, what: str) -> list[float]:
    """``vector`` flattened to a list of ``dim`` floats for a store's client.

    Raises:
        ValueError: when the vector does not have ``dim`` dimensions.
    """
    arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    if arr.shape[0] != dim:
        raise ValueError(f"{what} has {arr.shape[0]} dimensions, the store expects {dim}")
    return arr.tolist()


@dataclass(slots=True)
class VectorFilter:
    """Payload filter for vector search. ``tenant`` is required; the rest narrow the search.

    ``start``/``end`` select nodes whose span *overlaps* ``[start, end]`` (wall-clock).
    """

    tenant: str
    sources: Sequence[str] | None = None
    levels: Sequence[Level] | None = None
    kinds: Sequence[Kind] | None = None
    start: datetime | None = None
    end: datetime | None = None
    parent_ids: Sequence[str] | None = None
    node_ids: Sequence[str] | None = None
    entity_ids: Sequence[str] | None = None
    media_file_id: str | None = None


@dataclass(slots=True)
class VectorHit:
    """A scored point: node id, cosine score and the stored payload."""

    id: str
    score: float
    payload: dict = field(default_factory=dict)


class VectorStore(ABC):
    """Vector store of memory nodes: named vectors ``text`` (always) and ``image`` (optional)."""

    @abstractmethod
    def ensure_collection(self, text_dim: int, image_dim: int | None = None) -> None:
        """Create the collection and its payload indexes if missing (idempotent). Indexes: tenant
        (keyword, is_tenant), source, level, kind, parent_id, media_file_id, entity_ids (keyword),
        start, end (float)."""

    @abstractmethod
    def upsert(self, nodes: Sequence[MemoryNode]) -> None:
        """Insert or replace nodes by id (nodes without ``vector`` are skipped)."""

    @abstractmethod
    def search(
        self, vector: np.ndarray, flt: VectorFilter, limit: int = 10, using: str = TEXT_VECTOR
    ) -> list[VectorHit]:
        """Nearest nodes by cosine within ``flt``, best first."""

    @abstractmethod
    def delete(self, flt: VectorFilter) -> None:
        """Delete every point matching ``flt``."""

    @abstractmethod
    def count(self, flt: VectorFilter) -> int:
        """Exact number of points matching ``flt``."""

    @abstractmethod
    def scroll_ids(self, flt: VectorFilter, limit: int = 10_000) -> list[str]:
        """Ids of points matching ``flt`` (up to ``limit``)."""

    def get_vectors(self, flt: VectorFilter, limit: int = 10_000) -> dict[str, dict[str, np.ndarray]]:
        """Stored vectors of the points matching ``flt`` (up to ``limit``): node id -> vector name
        (``text``, ``image`` where stored) -> ``(dim,)`` float32 array, exactly as stored; the
        payload is not returned (it is :meth:`MemoryNode.payload` of the node's row). Used to
        snapshot nodes before they are overwritten. Stores without it raise
        ``NotImplementedError``."""
        raise NotImplementedError

    def set_payload(self, flt: VectorFilter, payload: dict) -> None:
        """Merge ``payload`` into the payload of every point matching ``flt`` (vectors untouched),
        e.g. ``{"entity_ids": [...]}`` after an entity merge. Stores without it raise
        ``NotImplementedError``."""
        raise NotImplementedError

    def optimize(self) -> None:
        """Build indexes now (embedded engine); a no-op where the server does it."""

    def flush(self) -> None:
        """Persist pending writes."""

    def close(self) -> None:
        """Release files and connections."""


class Repository(Protocol):
    """Relational store of tenants, sources, media files, jobs, memory nodes and entities.

    Methods open short sessions of their own (no session is held across calls). ``tenant`` is a
    tenant id string; every method filters by it.
    """

    # tenants and sources
    def ensure_tenant(self, tenant: str, name: str | None = None) -> None: ...
    def ensure_source(self, tenant: str, source: str, *, kind: str = "file", settings: dict | None = None) -> dict: ...
    def get_source(self, tenant: str, source: str) -> dict | None: ...
    def list_sources(self, tenant: str) -> list[dict]: ...
    def delete_source(self, tenant: str, source: str) -> bool: ...

    # media files
    def upsert_media_file(self, media: MediaFile) -> None: ...
    def get_media_file(self, tenant: str, media_file_id: str) -> MediaFile | None: ...
    def list_media_files(self, tenant: str, source: str | None = None) -> list[MediaFile]: ...
    def delete_media_file(self, tenant: str, media_file_id: str) -> bool: ...

    # jobs
    def create_job(self, tenant: str, source: str, *, kind: str = "ingest", media_path: str | None = None, job_id: str | None = None) -> str: ...
    def update_job(self, tenant: str, job_id: str, *, status: JobStatus | None = None, step: str | None = None, percent: float | None = None, error: str | None = None, result: dict | None = None) -> None: ...
    def get_job(self, tenant: str, job_id: str) -> dict | None: ...
    def list_jobs(self, tenant: str, source: str | None = None, limit: int = 100) -> list[dict]: ...
    def fail_orphaned_jobs(self, reason: str = "interrupted: process exited while the job ran") -> int: ...

    # memory nodes
    def upsert_nodes(self, nodes: Iterable[MemoryNode]) -> None: ...
    def get_node(self, tenant: str, node_id: str) -> MemoryNode | None: ...
    def get_nodes(self, tenant: str, node_ids: Sequence[str]) -> list[MemoryNode]: ...
    def list_nodes(self, tenant: str, *, source: str | None = None, sources: Sequence[str] | None = None, level: Level | None = None, kind: Kind | None = None, parent_id: str | None = None, media_file_id: str | None = None, start: datetime | None = None, end: datetime | None = None, limit: int = 1000, offset: int = 0, order: str = "start", starts_after: datetime | None = None) -> list[MemoryNode]: ...
    def count_nodes(self, tenant: str, *, source: str | None = None, level: Level | None = None, kind: Kind | None = None, media_file_id: str | None = None) -> int: ...
    def delete_nodes(self, tenant: str, node_ids: Sequence[str]) -> int: ...

    # entities
    def upsert_entity(self, entity: Entity) -> None: ...
    def get_entity(self, tenant: str, entity_id: str) -> Entity | None: ...
    def list_entities(self, tenant: str, *, source: str | None = None, kind: EntityKind | None = None) -> list[Entity]: ...
    def add_appearances(self, tenant: str, appearances: Iterable[Appearance]) -> None: ...
    def appearances(self, tenant: str, entity_id: str, limit: int = 1000) -> list[Appearance]: ...
    def delete_entity(self, tenant: str, entity_id: str) -> bool: ...
