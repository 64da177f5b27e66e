"""Write stage: buffered, idempotent writes of memory nodes to both stores.

Nodes are keyed by their deterministic id, so a node re-emitted later (a clip whose scene just
closed now has a ``parent_id``) replaces the buffered copy, and a flush upserts: re-ingest never
duplicates. ``rollback`` removes everything this media file wrote.

Cross-file memories (entity summaries and semantic memory: routines, facts) have ids that do not
depend on the media file, so earlier files of the source wrote them too. Before this run first
overwrites or deletes one, its stored version (row and vectors as stored) is kept
(:mod:`ingest_workers.rollback`); ``rollback`` puts those versions back instead of deleting them,
and deletes only what did not exist before the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from api_schemas import Kind
from ingest_workers.rollback import CrossFileSnapshots
from memory_core.domain import ClipPerception, MediaFile, MemoryNode
from memory_core.forget import forget_media_memories
from memory_core.logging import get_logger
from memory_core.stores.base import VectorFilter
from memory_core.stores.keyframes import clip_keyframe_key

log = get_logger(__name__)

#: Kinds whose nodes summarise several files of a source (deterministic ids without the file).
_CROSS_FILE_KINDS = (Kind.ENTITY, Kind.SEMANTIC)


class MemoryWriter:
    """Buffers nodes of one media file and writes them to the relational and vector stores.

    Args:
        rt: the runtime (``repo``, ``vectors``, ``keyframes``).
        tenant, source: where the memories belong.
        media: the media file being ingested (its id scopes rollback).
    """

    def __init__(self, rt, tenant: str, source: str, media: MediaFile) -> None:
        self.rt = rt
        self.tenant = tenant
        self.source = source
        self.media = media
        self._pending: dict[str, MemoryNode] = {}
        self._written: dict[str, MemoryNode] = {}
        self._snapshots = CrossFileSnapshots(rt, tenant)  # cross-file nodes as stored before this run
        self._clips_since_flush = 0

    def clip_key(self, index: int) -> str:
        """Folder key of a clip's keyframes: ``<media id>-<clip index>``."""
        return clip_keyframe_key(self.media.id, index)

    def store_keyframes(self, perception: ClipPerception) -> None:
        """Write the clip's keyframe JPEGs and set each ``Keyframe.path`` (relative to the store)."""
        key = self.clip_key(perception.window.index)
        for i, kf in enumerate(perception.keyframes):
            kf.path = self.rt.keyframes.put(self.tenant, self.source, key, i, kf.jpeg)

    def add(self, nodes: Iterable[MemoryNode]) -> None:
        """Buffer nodes (the latest copy of an id wins)."""
        for n in nodes:
            if n.level.value == "clip" and n.kind.value == "episodic" and n.id not in self._pending and n.id not in self._written:
                self._clips_since_flush += 1
            self._pending[n.id] = n

    def maybe_flush(self, every_clips: int) -> None:
        """Flush when at least ``every_clips`` new clips are buffered."""
        if self._clips_since_flush >= every_clips:
            self.flush()

    def flush(self) -> None:
        """Upsert buffered nodes into the relational store, then the vector store."""
        if not self._pending:
            return
        nodes = list(self._pending.values())
        self._snapshots.keep(n.id for n in nodes if self._cross_file(n))
        self.rt.repo.upsert_nodes(nodes)
        self.rt.vectors.upsert(nodes)
        self._written.update(self._pending)
        self._pending.clear()
        self._clips_since_flush = 0

    def delete(self, node_ids: list[str]) -> None:
        """Delete stored nodes (semantic facts superseded by this run) from both stores, keeping
        their versions for :meth:`rollback`."""
        if not node_ids:
            return
        self._snapshots.keep(node_ids)
        self.rt.repo.delete_nodes(self.tenant, list(node_ids))
        self.rt.vectors.delete(VectorFilter(tenant=self.tenant, node_ids=list(node_ids)))
        for i in node_ids:
            self._written.pop(i, None)
            self._pending.pop(i, None)

    def _cross_file(self, node: MemoryNode) -> bool:
        return node.kind in _CROSS_FILE_KINDS or node.media_file_id != self.media.id

    def written_nodes(self) -> list[MemoryNode]:
        """Every node written or buffered for this media file, once each (the latest copy of an id;
        a clip re-emitted with its scene as parent is not counted twice)."""
        return list({**self._written, **self._pending}.values())

    def counts(self) -> dict[str, int]:
        """Nodes written per level and per kind, e.g. ``{"clip": 6, "episodic": 9, ...}``."""
        c: Counter[str] = Counter()
        for n in self.written_nodes():
            c[n.level.value] += 1
            c[n.kind.value] += 1
        return dict(c)

    def replace_previous(self) -> None:
        """Remove memories an earlier ingest of the same file wrote (re-ingest replaces)."""
        forget_media_memories(self.rt, self.tenant, self.source, self.media.id)

    def rollback(self) -> None:
        """Undo this ingest (failure, cancel): remove the memories of this media file and its
        record, delete cross-file memories this run created, and put back the stored versions of
        those it changed or deleted (see the module docstring). Never raises: what could not be
        undone is logged (``rollback incomplete``)."""
        self._pending.clear()
        try:
            forget_media_memories(self.rt, self.tenant, self.source, self.media.id)
            self.rt.repo.delete_media_file(self.tenant, self.media.id)
            own = [i for i in self._written if i not in self._snapshots]
            if own:  # this run's own nodes again by id, should the media-file query have missed one
                self.rt.repo.delete_nodes(self.tenant, own)
                self.rt.vectors.delete(VectorFilter(tenant=self.tenant, node_ids=own))
        except Exception as exc:  # never mask the original failure
            log.error("rollback incomplete", media=self.media.id, error=repr(exc)[:300])
        report = self._snapshots.restore()
        if report.errors:
            log.error("rollback incomplete", media=self.media.id, step="cross-file", errors=report.errors)
        elif report.deleted or report.restored:
            log.info("cross-file memories restored", media=self.media.id, restored=report.restored,
                     deleted=report.deleted, reembedded=report.reembedded)
        self._written.clear()
