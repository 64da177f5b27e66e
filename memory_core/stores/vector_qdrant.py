"""Vector store on qdrant-client: a Qdrant server (``url``) or qdrant-client's local mode
(``path`` on disk or ``location=":memory:"``; brute force, for small collections and tests).

Same collection layout, payload indexes and filter semantics as :mod:`memory_core.stores.vector_edge`.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import UnexpectedResponse

from memory_core.domain import MemoryNode
from memory_core.logging import get_logger
from memory_core.stores.base import IMAGE_VECTOR, TEXT_VECTOR, VectorFilter, VectorHit, VectorStore, as_float_list
from memory_core.timeutil import to_epoch

log = get_logger(__name__)

_UPSERT_BATCH = 256
_SCROLL_PAGE = 1000
_KEYWORD_FIELDS = ("source", "level", "kind", "parent_id", "media_file_id", "entity_ids")
_FLOAT_FIELDS = ("start", "end")


def _to_filter(flt: VectorFilter) -> qm.Filter:
    """Translate a :class:`VectorFilter` into a qdrant-client ``Filter``; the tenant is always a
    ``must``. ``None`` fields do not narrow; an empty sequence matches nothing. Time overlap:
    ``payload.end >= flt.start`` and ``payload.start <= flt.end`` (epoch seconds).

    Raises:
        ValueError: when ``flt.tenant`` is empty.
    """
    if not flt.tenant:
        raise ValueError("VectorFilter.tenant is required")
    must: list = [qm.FieldCondition(key="tenant", match=qm.MatchValue(value=str(flt.tenant)))]

    def any_of(key: str, values: Sequence | None) -> None:
        if values is not None:
            must.append(qm.FieldCondition(key=key, match=qm.MatchAny(any=[str(v) for v in values])))

    any_of("source", flt.sources)
    any_of("level", flt.levels)
    any_of("kind", flt.kinds)
    any_of("parent_id", flt.parent_ids)
    any_of("entity_ids", flt.entity_ids)
    if flt.media_file_id is not None:
        must.append(qm.FieldCondition(key="media_file_id", match=qm.MatchValue(value=str(flt.media_file_id))))
    if flt.node_ids is not None:
        must.append(qm.HasIdCondition(has_id=[str(i) for i in flt.node_ids]))
    if flt.start is not None:
        must.append(qm.FieldCondition(key="end", range=qm.Range(gte=to_epoch(flt.start))))
    if flt.end is not None:
        must.append(qm.FieldCondition(key="start", range=qm.Range(lte=to_epoch(flt.end))))
    return qm.Filter(must=must)


class QdrantVectorStore(VectorStore):
    """Vector store of memory nodes in one Qdrant collection.

    Args:
        url: Qdrant server URL (``http://host:6333``); or
        path: folder for qdrant-client's local mode; or
        location: ``":memory:"`` for an in-process local collection; or
        client: a ready ``QdrantClient`` (the store does not close it).
        api_key: server API key.
        collection: collection name.
        shard_number, replication_factor: used when the collection is created (server only).
        hnsw_ef: HNSW beam width used by :meth:`search`.

    Local mode is not thread-safe, so calls on it hold a lock; server calls run concurrently.
    A folder in local mode may be open by one client at a time.

    Raises:
        ValueError: when none or several of ``url``/``path``/``location``/``client`` are given.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        path: Path | str | None = None,
        location: str | None = None,
        client: QdrantClient | None = None,
        api_key: str | None = None,
        collection: str = "vidmem_memories",
        shard_number: int = 1,
        replication_factor: int = 1,
        hnsw_ef: int = 128,
        timeout_s: int = 30,
    ) -> None:
        if sum(x is not None for x in (url, path, location, client)) != 1:
            raise ValueError("give exactly one of url, path, location or client")
        self._owns_client = client is None
        if client is not None:
            self._client = client
        elif url is not None:
            self._client = QdrantClient(url=url, api_key=api_key, timeout=timeout_s)
        elif path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
            self._client = QdrantClient(path=str(path))
        else:
            self._client = QdrantClient(location=location)
        self.local = url is None and type(self._client._client).__name__ == "QdrantLocal"
        self.collection = collection
        self.shard_number = shard_number
        self.replication_factor = replication_factor
        self.hnsw_ef = hnsw_ef
        self._lock: contextlib.AbstractContextManager = threading.RLock() if self.local else contextlib.nullcontext()
        self._dims: tuple[int | None, int | None] | None = None
        self._closed = False

    # ------------------------------------------------------------------ collection
    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    @property
    def dims(self) -> tuple[int | None, int | None]:
        """``(text_dim, image_dim)`` of the collection; ``(None, None)`` when it does not exist."""
        if self._dims is None:
            with self._lock:
                if not self._client.collection_exists(self.collection):
                    return None, None
                vectors = self._client.get_collection(self.collection).config.params.vectors
                assert isinstance(vectors, dict), "collection has no named vectors"
                text, image = vectors.get(TEXT_VECTOR), vectors.get(IMAGE_VECTOR)
                self._dims = (text.size if text else None, image.size if image else None)
        return self._dims

    def ensure_collection(self, text_dim: int, image_dim: int | None = None) -> None:
        """Create the collection and its payload indexes if missing; add ``image`` if it is new.

        Raises:
            ValueError: when the existing collection has other vector sizes.
        """
        with self._lock:
            have_text, have_image = self.dims
            if have_text is None:
                vectors = {TEXT_VECTOR: qm.VectorParams(size=text_dim, distance=qm.Distance.COSINE)}
                if image_dim:
                    vectors[IMAGE_VECTOR] = qm.VectorParams(size=image_dim, distance=qm.Distance.COSINE)
                try:
                    self._client.create_collection(
                        self.collection,
                        vectors_config=vectors,
                        shard_number=self.shard_number,
                        replication_factor=self.replication_factor,
                        # one HNSW graph per tenant, none global: every search filters by tenant
                        hnsw_config=qm.HnswConfigDiff(m=0, payload_m=16),
                    )
                    log.info("vectors.created", collection=self.collection, text_dim=text_dim, image_dim=image_dim)
                except (UnexpectedResponse, ValueError) as exc:  # created concurrently
                    if not self._client.collection_exists(self.collection):
                        raise
                    log.info("vectors.create_raced", collection=self.collection, error=str(exc))
                self._dims = None
                have_text, have_image = self.dims
            if have_text != text_dim:
                raise ValueError(f"collection {self.collection} has text_dim={have_text}, asked for {text_dim}")
            if image_dim:
                if have_image is None:
                    config = qm.DenseVectorNameConfig(dense=qm.DenseVectorConfig(size=image_dim, distance=qm.Distance.COSINE))
                    self._client.create_vector_name(self.collection, IMAGE_VECTOR, config, wait=True)
                    self._dims = (have_text, image_dim)
                elif have_image != image_dim:
                    raise ValueError(f"collection {self.collection} has image_dim={have_image}, asked for {image_dim}")
            self._ensure_indexes()

    def _ensure_indexes(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # local mode: "indexes have no effect"
            have = set(self._client.get_collection(self.collection).payload_schema or {})
            wanted: list[tuple[str, object]] = [
                ("tenant", qm.KeywordIndexParams(type=qm.KeywordIndexType.KEYWORD, is_tenant=True))
            ]
            # filtering-only indexes: no extra HNSW links per value (needs Qdrant >= 1.15)
            wanted += [(name, qm.KeywordIndexParams(type=qm.KeywordIndexType.KEYWORD, enable_hnsw=False)) for name in _KEYWORD_FIELDS]
            wanted += [(name, qm.FloatIndexParams(type=qm.FloatIndexType.FLOAT, enable_hnsw=False)) for name in _FLOAT_FIELDS]
            for name, schema in wanted:
                if name not in have:
                    self._client.create_payload_index(self.collection, name, field_schema=schema, wait=True)

    # ------------------------------------------------------------------ writes
    def upsert(self, nodes: Sequence[MemoryNode]) -> None:
        """Insert or replace nodes by id; nodes without ``vector`` are skipped.

        Creates the collection from the first node's vector sizes when it does not exist yet.

        Raises:
            ValueError: when a vector's size differs from the collection's.
        """
        todo = [n for n in nodes if n.vector is not None]
        if not todo:
            return
        with self._lock:
            image_dim = next((int(np.size(n.image_vector)) for n in todo if n.image_vector is not None), None)
            text_dim, have_image = self.dims
            if text_dim is None or (image_dim and have_image is None):
                self.ensure_collection(text_dim or int(np.size(todo[0].vector)), image_dim)
            text_dim, have_image = self.dims
            assert text_dim is not None
            for i in range(0, len(todo), _UPSERT_BATCH):
                points = []
                for node in todo[i : i + _UPSERT_BATCH]:
                    vec = {TEXT_VECTOR: as_float_list(node.vector, text_dim, f"node {node.id} vector")}
                    if node.image_vector is not None:
                        vec[IMAGE_VECTOR] = as_float_list(node.image_vector, have_image or 0, f"node {node.id} image_vector")
                    points.append(qm.PointStruct(id=node.id, vector=vec, payload=node.payload()))
                self._client.upsert(self.collection, points=points, wait=True)

    def delete(self, flt: VectorFilter) -> None:
        """Delete every point matching ``flt``."""
        with self._lock:
            if self.dims[0] is None:
                return
            selector = qm.FilterSelector(filter=_to_filter(flt))
            self._client.delete(self.collection, points_selector=selector, wait=True)

    def set_payload(self, flt: VectorFilter, payload: dict) -> None:
        """Merge ``payload`` into the payload of every point matching ``flt``."""
        with self._lock:
            if self.dims[0] is None:
                return
            selector = qm.FilterSelector(filter=_to_filter(flt))
            self._client.set_payload(self.collection, payload=dict(payload), points=selector, wait=True)

    # ------------------------------------------------------------------ reads
    def search(
        self, vector: np.ndarray, flt: VectorFilter, limit: int = 10, using: str = TEXT_VECTOR
    ) -> list[VectorHit]:
        """Nearest nodes by cosine within ``flt``, best first (scores in [-1, 1]).

        Returns nothing when the collection or the ``using`` vector does not exist yet.

        Raises:
            ValueError: for an unknown ``using`` or a query of the wrong size.
        """
        if using not in (TEXT_VECTOR, IMAGE_VECTOR):
            raise ValueError(f"unknown vector name {using!r}")
        with self._lock:
            text_dim, image_dim = self.dims
            dim = text_dim if using == TEXT_VECTOR else image_dim
            if dim is None or limit <= 0:
                return []
            response = self._client.query_points(
                self.collection,
                query=as_float_list(vector, dim, "query vector"),
                using=using,
                query_filter=_to_filter(flt),
                limit=limit,
                with_payload=True,
                search_params=None if self.local else qm.SearchParams(hnsw_ef=self.hnsw_ef),
            )
        return [VectorHit(id=str(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in response.points]

    def count(self, flt: VectorFilter) -> int:
        """Exact number of points matching ``flt``."""
        with self._lock:
            if self.dims[0] is None:
                return 0
            return int(self._client.count(self.collection, count_filter=_to_filter(flt), exact=True).count)

    def _scroll(self, flt: VectorFilter, limit: int, with_vectors: bool) -> list:
        """Records matching ``flt`` (up to ``limit``), page by page."""
        out: list = []
        with self._lock:
            if self.dims[0] is None:
                return out
            query_filter, offset = _to_filter(flt), None
            while len(out) < limit:
                records, offset = self._client.scroll(
                    self.collection, scroll_filter=query_filter, limit=min(_SCROLL_PAGE, limit - len(out)),
                    offset=offset, with_payload=False, with_vectors=with_vectors,
                )
                out.extend(records)
                if offset is None or not records:
                    break
        return out

    def scroll_ids(self, flt: VectorFilter, limit: int = 10_000) -> list[str]:
        """Ids of points matching ``flt`` (up to ``limit``)."""
        return [str(r.id) for r in self._scroll(flt, limit, with_vectors=False)]

    def get_vectors(self, flt: VectorFilter, limit: int = 10_000) -> dict[str, dict[str, np.ndarray]]:
        """Stored vectors of the points matching ``flt`` (up to ``limit``): id -> name ->
        ``(dim,)`` float32 (see :meth:`VectorStore.get_vectors`)."""
        out: dict[str, dict[str, np.ndarray]] = {}
        for r in self._scroll(flt, limit, with_vectors=True):
            vectors = r.vector if isinstance(r.vector, dict) else {TEXT_VECTOR: r.vector}
            out[str(r.id)] = {name: np.asarray(v, dtype=np.float32) for name, v in vectors.items() if v is not None}
        return out

    def close(self) -> None:
        """Close the client (when this store created it)."""
        with self._lock:
            if not self._closed and self._owns_client:
                self._client.close()
            self._closed = True
