"""Embedded vector store on qdrant-edge (``qdrant_edge.EdgeShard``), the default backend.

Layout of ``path``: ``shard/`` holds the EdgeShard (segments, WAL, its own config) and
``vidmem-vectors.json`` the vector sizes (``{"text_dim": 384, "image_dim": null}``) so a later
process can reopen it. An EdgeShard locks its WAL, so only one instance per folder may be open in a
process: use :func:`open_edge_store`, which hands out one shared :class:`EdgeVectorStore` per path.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from memory_core.domain import MemoryNode
from memory_core.logging import get_logger
from memory_core.stores.base import IMAGE_VECTOR, TEXT_VECTOR, VectorFilter, VectorHit, VectorStore, as_float_list
from memory_core.timeutil import to_epoch

log = get_logger(__name__)

_META_FILE = "vidmem-vectors.json"
_SHARD_DIR = "shard"
_UPSERT_BATCH = 1024
_SCROLL_PAGE = 1000

# Multitenant HNSW (Qdrant's recipe): no global graph (m=0); one graph per tenant value
# (payload_m=16 on the is_tenant keyword index). Every search filters by tenant, so every search
# has a graph; the other indexes serve filtering only (enable_hnsw=False), which keeps optimize()
# about 3-4x cheaper than building links per level/kind/source value as well.
_HNSW = dict(m=0, ef_construct=100, full_scan_threshold=10_000, payload_m=16)
_KEYWORD_FIELDS = ("source", "level", "kind", "parent_id", "media_file_id", "entity_ids")
_FLOAT_FIELDS = ("start", "end")


def _to_filter(flt: VectorFilter) -> qe.Filter:
    """Translate a :class:`VectorFilter` into an edge ``Filter``; the tenant is always a ``must``.

    ``None`` fields do not narrow; an empty sequence matches nothing. Time overlap:
    ``payload.end >= flt.start`` and ``payload.start <= flt.end`` (epoch seconds).

    Raises:
        ValueError: when ``flt.tenant`` is empty.
    """
    if not flt.tenant:
        raise ValueError("VectorFilter.tenant is required")
    must: list = [qe.FieldCondition("tenant", match=qe.MatchValue(str(flt.tenant)))]

    def any_of(key: str, values: Sequence | None) -> None:
        if values is not None:
            must.append(qe.FieldCondition(key, match=qe.MatchAny([str(v) for v in values])))

    any_of("source", flt.sources)
    any_of("level", flt.levels)
    any_of("kind", flt.kinds)
    any_of("parent_id", flt.parent_ids)
    any_of("entity_ids", flt.entity_ids)
    if flt.media_file_id is not None:
        must.append(qe.FieldCondition("media_file_id", match=qe.MatchValue(str(flt.media_file_id))))
    if flt.node_ids is not None:
        must.append(qe.HasIdCondition({str(i) for i in flt.node_ids}))
    if flt.start is not None:
        must.append(qe.FieldCondition("end", range=qe.RangeFloat(gte=to_epoch(flt.start))))
    if flt.end is not None:
        must.append(qe.FieldCondition("start", range=qe.RangeFloat(lte=to_epoch(flt.end))))
    return qe.Filter(must=must)


class EdgeVectorStore(VectorStore):
    """Vector store of memory nodes in one embedded qdrant-edge shard at ``path``.

    Args:
        path: folder of the store (created on first :meth:`ensure_collection` or :meth:`upsert`).
        hnsw_ef: HNSW beam width used by :meth:`search`.

    Every call holds one re-entrant lock, so an instance may be shared between threads. The
    collection is created by :meth:`ensure_collection` or, lazily, by the first :meth:`upsert`
    from the nodes' vector sizes; before that, reads return nothing.

    Raises:
        RuntimeError: when the shard is already open elsewhere (another instance or process).
    """

    def __init__(self, path: Path | str, *, hnsw_ef: int = 128) -> None:
        self.path = Path(path)
        self.hnsw_ef = hnsw_ef
        self._lock = threading.RLock()
        self._shard: qe.EdgeShard | None = None
        self._text_dim: int | None = None
        self._image_dim: int | None = None
        self._closed = False
        with self._lock:
            self._open_existing()

    # ------------------------------------------------------------------ lifecycle
    @property
    def shard_path(self) -> Path:
        """Folder of the EdgeShard itself."""
        return self.path / _SHARD_DIR

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    @property
    def dims(self) -> tuple[int | None, int | None]:
        """``(text_dim, image_dim)``; ``None`` where the vector does not exist yet."""
        return self._text_dim, self._image_dim

    def _open_existing(self) -> None:
        meta = self.path / _META_FILE
        if not (self.shard_path / "segments").exists():
            return
        if meta.exists():
            data = json.loads(meta.read_text())
            self._text_dim, self._image_dim = data.get("text_dim"), data.get("image_dim")
        else:  # fall back on the shard's own config
            vectors = json.loads((self.shard_path / "edge_config.json").read_text()).get("vectors", {})
            self._text_dim = vectors.get(TEXT_VECTOR, {}).get("size")
            self._image_dim = vectors.get(IMAGE_VECTOR, {}).get("size")
        try:
            self._shard = qe.EdgeShard.load(str(self.shard_path))
        except Exception as exc:  # the WAL lock says another instance holds it
            raise RuntimeError(f"cannot open vector shard at {self.shard_path}: {exc}") from exc
        log.info("vectors.opened", path=str(self.path), text_dim=self._text_dim, image_dim=self._image_dim)

    def _write_meta(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".meta-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump({"text_dim": self._text_dim, "image_dim": self._image_dim, "format": 1}, fh)
        os.replace(tmp, self.path / _META_FILE)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"vector store at {self.path} is closed")

    def ensure_collection(self, text_dim: int, image_dim: int | None = None) -> None:
        """Create the shard and its payload indexes if missing; add ``image`` if it is new.

        Raises:
            ValueError: when the existing shard has other vector sizes.
        """
        with self._lock:
            self._check_open()
            if self._shard is None:
                vectors = {TEXT_VECTOR: qe.EdgeVectorParams(size=text_dim, distance=qe.Distance.Cosine)}
                if image_dim:
                    vectors[IMAGE_VECTOR] = qe.EdgeVectorParams(size=image_dim, distance=qe.Distance.Cosine)
                self.path.mkdir(parents=True, exist_ok=True)
                config = qe.EdgeConfig(vectors=vectors, hnsw_config=qe.HnswIndexConfig(**_HNSW))
                self._shard = qe.EdgeShard.create(str(self.shard_path), config)
                self._text_dim, self._image_dim = text_dim, image_dim or None
                self._write_meta()
                log.info("vectors.created", path=str(self.path), text_dim=text_dim, image_dim=image_dim)
            elif self._text_dim != text_dim:
                raise ValueError(f"vector store has text_dim={self._text_dim}, asked for {text_dim}")
            if image_dim:
                if self._image_dim is None:
                    self._shard.update(qe.UpdateOperation.create_dense_vector(IMAGE_VECTOR, image_dim, qe.Distance.Cosine))
                    self._image_dim = image_dim
                    self._write_meta()
                elif self._image_dim != image_dim:
                    raise ValueError(f"vector store has image_dim={self._image_dim}, asked for {image_dim}")
            self._ensure_indexes()

    def _ensure_indexes(self) -> None:
        assert self._shard is not None
        have = set(self._shard.info().payload_schema)
        if "tenant" not in have:
            self._shard.update(qe.UpdateOperation.create_field_index("tenant", qe.KeywordIndexParams(is_tenant=True)))
        for name in _KEYWORD_FIELDS:
            if name not in have:
                self._shard.update(qe.UpdateOperation.create_field_index(name, qe.KeywordIndexParams(enable_hnsw=False)))
        for name in _FLOAT_FIELDS:
            if name not in have:
                self._shard.update(qe.UpdateOperation.create_field_index(name, qe.FloatIndexParams(enable_hnsw=False)))

    # ------------------------------------------------------------------ writes
    def upsert(self, nodes: Sequence[MemoryNode]) -> None:
        """Insert or replace nodes by id; nodes without ``vector`` are skipped.

        Creates the collection from the first node's vector sizes when it does not exist yet.

        Raises:
            ValueError: when a vector's size differs from the store's.
        """
        todo = [n for n in nodes if n.vector is not None]
        if not todo:
            return
        with self._lock:
            self._check_open()
            image_dim = next((int(np.size(n.image_vector)) for n in todo if n.image_vector is not None), None)
            if self._shard is None or (image_dim and self._image_dim is None):
                self.ensure_collection(self._text_dim or int(np.size(todo[0].vector)), image_dim)
            assert self._shard is not None and self._text_dim is not None
            for i in range(0, len(todo), _UPSERT_BATCH):
                points = []
                for node in todo[i : i + _UPSERT_BATCH]:
                    vec = {TEXT_VECTOR: as_float_list(node.vector, self._text_dim, f"node {node.id} vector")}
                    if node.image_vector is not None:
                        vec[IMAGE_VECTOR] = as_float_list(node.image_vector, self._image_dim or 0, f"node {node.id} image_vector")
                    points.append(qe.Point(node.id, vec, node.payload()))
                self._shard.update(qe.UpdateOperation.upsert_points(points))

    def delete(self, flt: VectorFilter) -> None:
        """Delete every point matching ``flt``."""
        with self._lock:
            self._check_open()
            if self._shard is not None:
                self._shard.update(qe.UpdateOperation.delete_points_by_filter(_to_filter(flt)))

    def set_payload(self, flt: VectorFilter, payload: dict) -> None:
        """Merge ``payload`` into the payload of every point matching ``flt``."""
        with self._lock:
            self._check_open()
            if self._shard is not None:
                self._shard.update(qe.UpdateOperation.set_payload_by_filter(_to_filter(flt), dict(payload)))

    # ------------------------------------------------------------------ reads
    def search(
        self, vector: np.ndarray, flt: VectorFilter, limit: int = 10, using: str = TEXT_VECTOR
    ) -> list[VectorHit]:
        """Nearest nodes by cosine within ``flt``, best first (scores in [-1, 1]).

        Returns nothing when the store or the ``using`` vector does not exist yet.

        Raises:
            ValueError: for an unknown ``using`` or a query of the wrong size.
        """
        if using not in (TEXT_VECTOR, IMAGE_VECTOR):
            raise ValueError(f"unknown vector name {using!r}")
        with self._lock:
            self._check_open()
            dim = self._text_dim if using == TEXT_VECTOR else self._image_dim
            if self._shard is None or dim is None or limit <= 0:
                return []
            request = qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(as_float_list(vector, dim, "query vector"), using=using),
                filter=_to_filter(flt),
                with_payload=True,
                params=qe.SearchParams(hnsw_ef=self.hnsw_ef),
            )
            points = self._shard.query(request)
        return [VectorHit(id=str(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in points]

    def count(self, flt: VectorFilter) -> int:
        """Exact number of points matching ``flt``."""
        with self._lock:
            self._check_open()
            if self._shard is None:
                return 0
            return int(self._shard.count(qe.CountRequest(exact=True, filter=_to_filter(flt))))

    def _scroll(self, flt: VectorFilter, limit: int, with_vector: bool) -> list:
        """Records matching ``flt`` (up to ``limit``), in id order, page by page."""
        out: list = []
        with self._lock:
            self._check_open()
            if self._shard is None:
                return out
            query_filter, offset = _to_filter(flt), None
            while len(out) < limit:
                request = qe.ScrollRequest(offset=offset, limit=min(_SCROLL_PAGE, limit - len(out)), filter=query_filter,
                                           with_payload=False, with_vector=with_vector)
                records, offset = self._shard.scroll(request)
                out.extend(records)
                if offset is None or not records:
                    break
        return out

    def scroll_ids(self, flt: VectorFilter, limit: int = 10_000) -> list[str]:
        """Ids of points matching ``flt`` (up to ``limit``), in id order."""
        return [str(r.id) for r in self._scroll(flt, limit, with_vector=False)]

    def get_vectors(self, flt: VectorFilter, limit: int = 10_000) -> dict[str, dict[str, np.ndarray]]:
        """Stored vectors of the points matching ``flt`` (up to ``limit``): id -> name ->
        ``(dim,)`` float32 (see :meth:`VectorStore.get_vectors`)."""
        return {str(r.id): {name: np.asarray(v, dtype=np.float32) for name, v in (r.vector or {}).items()}
                for r in self._scroll(flt, limit, with_vector=True)}

    # ------------------------------------------------------------------ maintenance
    def optimize(self) -> None:
        """Merge segments and build the HNSW and payload indexes now (blocks other calls)."""
        with self._lock:
            self._check_open()
            if self._shard is not None:
                self._shard.optimize()

    def flush(self) -> None:
        """Persist pending writes to disk."""
        with self._lock:
            if self._shard is not None and not self._closed:
                self._shard.flush()

    def close(self) -> None:
        """Flush, release the shard's files and forget this instance in the process cache."""
        with self._lock:
            if self._closed:
                return
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None
            self._closed = True
        with _CACHE_LOCK:
            key = _cache_key(self.path)
            if _CACHE.get(key) is self:
                del _CACHE[key]


_CACHE: dict[str, EdgeVectorStore] = {}
_CACHE_LOCK = threading.Lock()


def _cache_key(path: Path | str) -> str:
    return str(Path(path).expanduser().resolve())


def open_edge_store(path: Path | str, *, hnsw_ef: int = 128) -> EdgeVectorStore:
    """The process-wide :class:`EdgeVectorStore` of ``path`` (opened once, shared by callers).

    A closed instance is replaced by a fresh one. ``hnsw_ef`` applies when the store is opened.
    """
    key = _cache_key(path)
    with _CACHE_LOCK:
        store = _CACHE.get(key)
        if store is None or store.closed:
            store = EdgeVectorStore(key, hnsw_ef=hnsw_ef)
            _CACHE[key] = store
        return store
