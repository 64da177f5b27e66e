"""Per-clip processing shared by file ingest and live streams:

    perceive (a group of windows) -> resolve entities -> clip memories -> hierarchy -> write

``ClipProcessor`` holds the incremental state of one media file or stream session (open scene,
event and story; the source's entity clusters) so the same code serves a 10-hour file and a
stream that never ends. ``finish`` closes what is open and updates entity and semantic memory;
``checkpoint`` does the entity/semantic part without closing, for long-running streams.
"""

from __future__ import annotations

from collections.abc import Sequence

from api_schemas import Kind
from ingest_workers.hotwords import source_hotwords
from ingest_workers.perceive import Perceiver
from ingest_workers.writer import MemoryWriter
from memory_core.building.clips import build_clip_nodes, clip_node_id
from memory_core.building.context import BuildContext
from memory_core.building.entities import EntityResolver
from memory_core.building.hierarchy import HierarchyBuilder
from memory_core.building.semantic import SemanticBuilder
from memory_core.domain import ClipPerception, ClipWindow, MediaFile
from memory_core.logging import get_logger
from memory_core.providers.base import ProviderError

log = get_logger(__name__)


def _nlp(rt):
    """The ``nlp`` provider for names (NER), or None (disabled, or it failed to load: names then come
    from self-introductions, address and known names only, and a warning says so)."""
    try:
        return rt.providers.nlp()
    except ProviderError as exc:
        log.warning("nlp provider unavailable: person names from rules only, no NER", error=str(exc)[:300])
        return None


class ClipProcessor:
    """Turns clip windows of one media file (or stream session) into stored memories.

    Args:
        rt: the runtime (stores and providers).
        tenant, source: where the memories belong.
        media: the media file or stream session (its id scopes node ids and rollback).
        perceive: load the perception models (``process``); ``False`` for the write stage of a
            distributed ingest, which only ``absorb``s perceptions made elsewhere.
    """

    def __init__(self, rt, tenant: str, source: str, media: MediaFile, *, perceive: bool = True) -> None:
        s = rt.settings
        self.rt = rt
        self.settings = s
        self.writer = MemoryWriter(rt, tenant, source, media)
        rt.ensure_collection()
        self.perceiver = Perceiver(rt.providers, s) if perceive else None
        self.ctx = BuildContext(
            tenant=tenant, source=source, media=media, settings=s, embedder=rt.providers.text_embedder(),
            llm=rt.providers.llm(), provenance=dict(self.perceiver.provenance) if self.perceiver else {},
        )
        self.resolver = EntityResolver(rt.repo, tenant, source, s, nlp=_nlp(rt))
        self.hierarchy = HierarchyBuilder(self.ctx)
        self.skipped: list[str] = []
        self.last_end_s = 0.0
        self._semantic_marker = 0
        self._absorbed_provenance = False
        self.hotwords: list[str] = []  # names known for the source, given to ASR (refreshed at each consolidation)
        self._refresh_hotwords()

    def _refresh_hotwords(self) -> None:
        if self.perceiver is not None:
            w = self.writer
            self.hotwords = source_hotwords(self.rt.repo, w.tenant, w.source, self.settings.models.asr_hotwords)

    def process(self, windows: Sequence[ClipWindow]) -> None:
        """Perceive a group of consecutive windows and buffer their memories (flushes every
        ``ingest.write_batch_clips`` clips, so fresh clips become searchable quickly)."""
        if not windows:
            return
        if self.perceiver is None:
            raise RuntimeError("this processor was built without perception (perceive=False)")
        self.absorb(self.perceiver.perceive(windows, hotwords=self.hotwords))

    def absorb(self, perceptions: Sequence[ClipPerception]) -> None:
        """Turn perceptions (made here or by a ``perceive`` worker) into buffered clip memories and
        advance the hierarchy; flushes like :meth:`process`."""
        ctx = self.ctx
        for perception in perceptions:
            if self.perceiver is None and not self._absorbed_provenance:
                ctx.provenance.update(perception.provenance)  # the models of the perceive workers
                self._absorbed_provenance = True
            w = perception.window
            self.skipped.extend(x for x in perception.skipped if x not in self.skipped)
            self.writer.store_keyframes(perception)
            resolved = self.resolver.resolve(
                perception, clip_node_id(ctx, w.index), ctx.wall(w.media_start_s), ctx.wall(w.media_end_s), ctx.wall
            )
            nodes = build_clip_nodes(perception, ctx, resolved)
            episodic = next(n for n in nodes if n.kind is Kind.EPISODIC)
            self.writer.add(nodes)
            self.writer.add(self.hierarchy.add_clip(episodic, w, companions=[n for n in nodes if n is not episodic]))
            self.last_end_s = max(self.last_end_s, w.media_end_s)
        self.writer.maybe_flush(self.settings.ingest.write_batch_clips)

    def flush(self) -> None:
        """Write buffered memories now."""
        self.writer.flush()

    def _consolidate(self, only_fresh: bool) -> None:
        """Write buffered memories and entity updates, then semantic memory over the nodes written
        since the last consolidation (``only_fresh``) or over all of them."""
        self.writer.flush()
        self.resolver.flush()
        self.writer.add(self.resolver.entity_nodes(self.ctx))
        nodes = self.writer.written_nodes()
        basis = nodes[self._semantic_marker:] if only_fresh else nodes
        self._semantic_marker = len(nodes)
        if basis:
            self.writer.add(SemanticBuilder(self.rt.repo, self.rt.vectors, self.ctx, delete=self.writer.delete).update(basis))
        self.writer.flush()
        self._refresh_hotwords()  # names this consolidation added are heard right from now on

    def checkpoint(self) -> None:
        """Write buffered memories, entity updates and semantic memory for what came since the
        last checkpoint, without closing the open scene/event/story (live streams)."""
        self._consolidate(only_fresh=True)

    def finish(self) -> dict[str, int]:
        """Close open scenes, events and stories, then update entity and semantic memory.
        Returns the counts written per level and kind, plus ``entities`` touched."""
        self.writer.add(self.hierarchy.close())
        self._consolidate(only_fresh=False)
        counts = self.writer.counts()
        counts["entities"] = self.resolver.touched_count()
        return counts

    def rollback(self) -> None:
        """Undo everything this processor wrote (failure, cancel): its memories, and the entity
        rows it created or changed (their earlier versions come back)."""
        self.writer.rollback()
        try:
            self.resolver.rollback()
        except Exception as exc:  # never mask the original failure
            log.error("entity rollback incomplete", media=self.writer.media.id, error=repr(exc)[:300])
