"""Incremental clip -> scene -> event -> story hierarchy (works for files and live streams alike).

Each clip is returned for writing as soon as it arrives (``parent_id`` None, so a question asked
mid-stream already sees it); when a scene, event or story closes, the closed parent is returned
together with its children re-emitted with ``parent_id`` set. Nothing is ever re-opened.

Rules (thresholds in ``settings.ingest``):

- SCENE: consecutive clips. A new scene starts when a hard cut (``window.shot_boundaries``, found by
  PySceneDetect) separates content that differs both in meaning (cosine of the clip's text vector to
  the scene's running mean < ``scene_merge_similarity``) and in colour (cosine of colour histograms
  < ``scene_colour_similarity``); or when the scene would exceed ``scene_max_seconds``; or when
  footage is missing (a wall-clock gap > 1.5 clips). A cut in the first half of a clip puts that
  clip in the new scene; a cut in the second half is judged against the next clip.
- EVENT: consecutive scenes; a new event when the scene's summary vector has cosine <
  ``event_topic_similarity`` to the event's running mean, when the wall-clock gap to the previous
  scene > ``event_gap_seconds``, or when the event would exceed ``event_max_seconds``.
- STORY: the file's clips within one wall-clock hour or day (UTC buckets, ``story_span``) or the
  whole file (``"file"``).

Parent text comes from the :class:`Summariser`; the parent vector is the embedding of that text.
Ids: scene/event ``(media_file_id, first clip index)``, story ``(media_file_id, bucket start ISO)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from api_schemas import Kind, Level
from memory_core import ids
from memory_core.building.context import BuildContext
from memory_core.building.summarise import Summariser
from memory_core.domain import ClipWindow, MemoryNode

_MAX_PARENT_ENTITIES = 200
_MAX_PARENT_KEYFRAMES = 6
_GAP_CLIPS = 1.5  # missing footage longer than this many clip lengths ends a scene


@dataclass
class _Open:
    """A parent being built: its children so far and running sums for similarity tests."""

    level: Level
    key: object
    children: list[MemoryNode] = field(default_factory=list)
    companions: list[MemoryNode] = field(default_factory=list)
    vec_sum: np.ndarray | None = None
    colour_sum: np.ndarray | None = None
    bucket: datetime | None = None

    @property
    def start(self) -> datetime:
        return self.children[0].start

    @property
    def end(self) -> datetime:
        return self.children[-1].end

    def add(self, node: MemoryNode, colour: np.ndarray | None = None) -> None:
        self.children.append(node)
        if node.vector is not None:
            v = np.asarray(node.vector, dtype=np.float32)
            self.vec_sum = v.copy() if self.vec_sum is None else self.vec_sum + v
        if colour is not None:
            if self.colour_sum is None or self.colour_sum.shape != colour.shape:
                self.colour_sum = colour.copy()
            else:
                self.colour_sum = self.colour_sum + colour


def _cos(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    if a is None or b is None or a.shape != b.shape:
        return None
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.dot(a, b) / (na * nb)) if na > 0 and nb > 0 else None


def clip_colour_vector(node: MemoryNode, window: ClipWindow | None) -> np.ndarray | None:
    """The clip's colour histogram: the node's ``attributes["colour"]["hist"]``, else the mean of
    the decoder's ``window.frame_features``; ``None`` when neither exists."""
    hist = (node.attributes.get("colour") or {}).get("hist")
    if hist:
        return np.asarray(hist, dtype=np.float32)
    if window is not None and window.frame_features:
        feats = [np.asarray(f, dtype=np.float32).reshape(-1) for f in window.frame_features]
        if len({f.shape for f in feats}) == 1:
            return np.mean(np.stack(feats), axis=0)
    return None


def _has_content(node: MemoryNode) -> bool:
    """Whether a clip carries perceived content beyond its colour descriptor."""
    a = node.attributes or {}
    return bool(a.get("speakers") or a.get("ocr") or a.get("faces") or a.get("caption"))


class HierarchyBuilder:
    """Builds scene, event and story nodes from a file's clip nodes, incrementally.

    Args:
        ctx: build context (settings, embedder, provenance, media file).
        summariser: default ``Summariser(ctx.embedder, ctx.llm)``.
    """

    def __init__(self, ctx: BuildContext, summariser: Summariser | None = None) -> None:
        self.ctx = ctx
        self.ing = ctx.settings.ingest
        self.summariser = summariser or Summariser(ctx.embedder, ctx.llm)
        self._scene: _Open | None = None
        self._event: _Open | None = None
        self._story: _Open | None = None
        self._cut_pending = False

    # ------------------------------------------------------------------ public
    def add_clip(self, node: MemoryNode, window: ClipWindow, companions: Sequence[MemoryNode] = ()) -> list[MemoryNode]:
        """Add the next clip (episodic node, its window, and nodes of the same clip such as the
        visual node, which follow it into its scene). Returns the nodes to write now: any parents
        this clip closed (with their re-parented children) and the clip itself (``parent_id``
        None). Clips must arrive in time order.

        Raises:
            ProviderError: when the text embedder fails while summarising a closed parent.
        """
        out: list[MemoryNode] = []
        bucket = self._bucket(node.start)
        if self._story is not None and bucket != self._story.bucket:
            out += self._close_all("story_span")
        colour = clip_colour_vector(node, window)
        if self._scene is not None:
            reason = self._scene_break(node, window, colour)
            if reason:
                out += self._close_scene(reason)
        self._cut_pending = self._cut_late(window)
        if self._story is None:
            self._story = _Open(Level.STORY, (self.ctx.media.id, bucket.isoformat()), bucket=bucket)
        if self._scene is None:
            self._scene = _Open(Level.SCENE, (self.ctx.media.id, window.index))
        self._scene.add(node, colour)
        self._scene.companions.extend(companions)
        out += [node, *companions]
        return _dedupe(out)

    def close(self) -> list[MemoryNode]:
        """Close everything still open (end of file or stream); returns the nodes to write."""
        return _dedupe(self._close_all("end"))

    # ------------------------------------------------------------------ rules
    def _bucket(self, t: datetime) -> datetime:
        span = self.ing.story_span
        if span == "file":
            return self.ctx.media.start_time
        if span == "day":
            return t.replace(hour=0, minute=0, second=0, microsecond=0)
        return t.replace(minute=0, second=0, microsecond=0)

    @staticmethod
    def _cut_positions(window: ClipWindow) -> list[float]:
        """Cut offsets as fractions of the window, for cuts inside it."""
        d = max(window.duration_s, 1e-6)
        return [(t - window.media_start_s) / d for t in window.shot_boundaries if window.media_start_s <= t <= window.media_end_s]

    def _cut_late(self, window: ClipWindow) -> bool:  # noqa: D102
        return any(f > 0.5 for f in self._cut_positions(window))

    def _scene_break(self, node: MemoryNode, window: ClipWindow, colour: np.ndarray | None) -> str | None:
        s = self._scene
        gap = (node.start - s.end).total_seconds()
        if gap > _GAP_CLIPS * max(window.duration_s, self.ing.clip_seconds):
            return "gap"
        if (node.end - s.start).total_seconds() > self.ing.scene_max_seconds + 1e-6:
            return "max_length"
        cut = self._cut_pending or any(f <= 0.5 for f in self._cut_positions(window))
        if not cut:
            return None
        # A clip with nothing heard, read or seen (no speech, on-screen text, faces or caption) has
        # only the boilerplate colour descriptor as text, and all such clips embed alike: at a cut
        # between them the picture decides, not the text.
        if _has_content(node):
            text_sim = _cos(None if node.vector is None else np.asarray(node.vector, np.float32), s.vec_sum)
            if text_sim is not None and text_sim >= self.ing.scene_merge_similarity:
                return None
        colour_sim = _cos(colour, s.colour_sum)
        if colour_sim is not None and colour_sim >= self.ing.scene_colour_similarity:
            return None
        return "cut"

    def _event_break(self, scene: MemoryNode) -> str | None:
        e = self._event
        if (scene.start - e.end).total_seconds() > self.ing.event_gap_seconds:
            return "gap"
        if (scene.end - e.start).total_seconds() > self.ing.event_max_seconds + 1e-6:
            return "max_length"
        sim = _cos(None if scene.vector is None else np.asarray(scene.vector, np.float32), e.vec_sum)
        if sim is not None and sim < self.ing.event_topic_similarity:
            return "topic"
        return None

    # ------------------------------------------------------------------ closing
    def _close_scene(self, reason: str) -> list[MemoryNode]:
        s, self._scene = self._scene, None
        if s is None or not s.children:
            return []
        scene = self._parent(s, reason)
        out = [scene, *s.children, *s.companions]
        if self._event is not None:
            why = self._event_break(scene)
            if why:
                out += self._close_event(why)
        if self._event is None:
            self._event = _Open(Level.EVENT, (self.ctx.media.id, scene.attributes["first_clip_index"]))
        self._event.add(scene)
        return out

    def _close_event(self, reason: str) -> list[MemoryNode]:
        e, self._event = self._event, None
        if e is None or not e.children:
            return []
        event = self._parent(e, reason)
        self._story.add(event)
        return [event, *e.children]

    def _close_all(self, reason: str) -> list[MemoryNode]:
        out = self._close_scene(reason) + self._close_event(reason)
        st, self._story = self._story, None
        if st is not None and st.children:
            story = self._parent(st, reason)
            story.attributes["bucket"] = st.bucket.isoformat()
            story.attributes["story_span"] = self.ing.story_span
            out += [story, *st.children]
        self._cut_pending = False
        return out

    def _parent(self, o: _Open, reason: str) -> MemoryNode:
        """Summarise, embed and build the parent node of ``o``; set its children's parent_id."""
        ctx, ch = self.ctx, o.children
        summary = self.summariser.summarise(o.level, ch)
        vec = ctx.embed([summary.text])[0]
        first = ch[0].attributes.get("first_clip_index", ch[0].attributes.get("clip_index"))
        last = ch[-1].attributes.get("last_clip_index", ch[-1].attributes.get("clip_index"))
        clip_count = sum(int(c.attributes.get("clip_count", 1)) for c in ch)
        entity_ids = list(dict.fromkeys(i for c in ch for i in c.entity_ids))[:_MAX_PARENT_ENTITIES]
        frames = [p for c in (o.companions or ch) for p in c.keyframe_paths[:1]]
        if len(frames) > _MAX_PARENT_KEYFRAMES:
            frames = [frames[i] for i in np.linspace(0, len(frames) - 1, _MAX_PARENT_KEYFRAMES).round().astype(int)]
        node = MemoryNode(
            id=ids.node_id(ctx.tenant, ctx.source, o.level.value, Kind.EPISODIC.value, *o.key),
            tenant=ctx.tenant, source=ctx.source, level=o.level, kind=Kind.EPISODIC,
            start=o.start, end=o.end, text=summary.text,
            media_file_id=ctx.media.id, media_path=ctx.media.path,
            media_start_s=ch[0].media_start_s, media_end_s=ch[-1].media_end_s,
            entity_ids=entity_ids, keyframe_paths=frames,
            attributes={
                "child_count": len(ch), "clip_count": clip_count,
                "first_clip_index": first, "last_clip_index": last, "boundary": reason,
                "summary_body": summary.body, "sentences": summary.sentences,
                "content": any(c.attributes.get("content") for c in ch),
                **summary.lists,
            },
            provenance={**ctx.provenance, "summariser": summary.method},
            vector=vec,
        )
        for c in [*ch, *o.companions]:
            c.parent_id = node.id
        return node


def _dedupe(nodes: list[MemoryNode]) -> list[MemoryNode]:
    """Nodes once each (first position kept; entries are the same objects, so the final state —
    parent_id included — is what gets written)."""
    seen: set[str] = set()
    out = []
    for n in nodes:
        if n.id not in seen:
            seen.add(n.id)
            out.append(n)
    return out
