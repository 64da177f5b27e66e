"""Open the stores chosen by :class:`~memory_core.settings.Settings`.

Backends import lazily, so the embedded default never loads what a server deployment needs and
the other way round.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from memory_core.settings import Settings
from memory_core.stores.base import VectorStore

if TYPE_CHECKING:
    from memory_core.stores.relational.repository import SqlRepository
    from memory_core.stores.vector_qdrant import QdrantVectorStore

_LOCAL: dict[str, QdrantVectorStore] = {}
_LOCAL_LOCK = threading.Lock()


def open_vector_store(settings: Settings) -> VectorStore:
    """The vector store of ``settings.vector.backend``.

    - ``edge``: the process-wide :class:`EdgeVectorStore` at ``settings.vectors_dir``;
    - ``qdrant``: a :class:`QdrantVectorStore` on the server at ``settings.vector.url``;
    - ``qdrant-local``: qdrant-client's local mode at ``<home>/qdrant-local`` (one per process).

    Raises:
        ValueError: for ``qdrant`` without ``vector.url``, or an unknown backend.
    """
    vs = settings.vector
    if vs.backend == "edge":
        from memory_core.stores.vector_edge import open_edge_store

        return open_edge_store(settings.vectors_dir, hnsw_ef=vs.hnsw_ef)

    from memory_core.stores.vector_qdrant import QdrantVectorStore

    common = dict(
        collection=vs.collection,
        shard_number=vs.shard_number,
        replication_factor=vs.replication_factor,
        hnsw_ef=vs.hnsw_ef,
    )
    if vs.backend == "qdrant":
        if not vs.url:
            raise ValueError("vector.backend='qdrant' needs VIDMEM_VECTOR__URL")
        api_key = vs.api_key.get_secret_value() if vs.api_key else None
        return QdrantVectorStore(url=vs.url, api_key=api_key, **common)
    if vs.backend == "qdrant-local":
        path = (settings.home / "qdrant-local").expanduser().resolve()
        with _LOCAL_LOCK:  # a local-mode folder admits one client per process
            store = _LOCAL.get(str(path))
            if store is None or store.closed or store.collection != vs.collection:
                if store is not None:
                    store.close()
                store = QdrantVectorStore(path=path, **common)
                _LOCAL[str(path)] = store
            return store
    raise ValueError(f"unknown vector backend {vs.backend!r}")


def open_repository(settings: Settings, *, create: bool = True) -> SqlRepository:
    """The relational store at ``settings.db_url``; ``create`` runs the migrations to head."""
    from memory_core.stores.relational.repository import SqlRepository

    return SqlRepository(settings.db_url, create=create)
