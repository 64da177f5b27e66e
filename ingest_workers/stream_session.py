"""The writing side of a stream worker: sessions, clips, checkpoints, rotation and gaps.

A *session* is one connection that delivered footage: one :class:`MediaFile` record, id
``media_file_id(tenant, source, "stream:<url key>:<session start ISO>")``, path the redacted URL,
``start_time`` the wall time of its media second 0. Clips are perceived by the same
:class:`~ingest_workers.processor.ClipProcessor` files use and flushed at once, so they are
queryable within seconds; entity and semantic memory are updated every ``checkpoint_s``; after
``rotate_s`` of footage the open scene/event/story are closed and the session continues in a new
record (``...#1``, ``#2``; same ``start_time``, media offsets continue), which keeps the memory the
processor holds bounded however long the stream runs.

Between two sessions the source was down: :func:`gap_node` is the memory that says so.

Every write happens inside :meth:`SourceGuard.writing <ingest_workers.stream_guard.SourceGuard.writing>`
(the source's write lock, and a check that the source still exists), perception outside it: a
source deleted under the worker is never written again, and the worker is told to stop
(``on_gone``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from api_schemas import Kind, Level
from ingest_workers.processor import ClipProcessor
from ingest_workers.stream_asr import ContextASR
from ingest_workers.stream_guard import SourceGuard
from memory_core.building.clips import clip_node_id
from memory_core.domain import ClipWindow, MediaFile, MemoryNode
from memory_core.ids import media_file_id, node_id
from memory_core.logging import get_logger
from memory_core.settings import StreamSettings

log = get_logger(__name__)

MAX_GAPS_KEPT = 100


@dataclass(frozen=True, slots=True)
class SessionStart:
    """A connection delivered its first clip: ``anchor`` is the wall time of its media 0."""

    anchor: datetime
    connection: int
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """A connection ended after ``last_media_s`` seconds, at wall time ``wall_end``."""

    last_media_s: float
    wall_end: datetime
    reason: str | None


def iso(t: datetime) -> str:
    """ISO 8601 in UTC, whole seconds."""
    return t.astimezone(UTC).isoformat(timespec="seconds")


def gap_node(rt, tenant: str, source: str, key: str, display_url: str, a: datetime, b: datetime,
             reason: str | None) -> tuple[MemoryNode, dict]:
    """The clip-level episodic memory of an outage ``[a, b]`` (``attributes.gap = True``) and its
    summary dict (``start``, ``end``, ``seconds``, ``reason``)."""
    seconds = (b - a).total_seconds()
    text = (f"Source down: no footage from {iso(a)} to {iso(b)} ({seconds:.0f} s). The camera or stream "
            f"{source} was offline, disconnected or not recording" + (f" ({reason})." if reason else "."))
    gap = {"start": iso(a), "end": iso(b), "seconds": round(seconds, 1), "reason": reason}
    vec = np.asarray(rt.providers.text_embedder().embed([text])[0], dtype=np.float32)
    vec = vec / (float(np.linalg.norm(vec)) or 1.0)
    node = MemoryNode(
        id=node_id(tenant, source, Level.CLIP.value, Kind.EPISODIC.value, "gap", key, iso(a)),
        tenant=tenant, source=source, level=Level.CLIP, kind=Kind.EPISODIC, start=a, end=b, text=text,
        media_path=display_url, attributes={"gap": True, **gap, "url": display_url},
        provenance={"stream": "vidmem.stream"}, vector=vec,
    )
    return node, gap


class SessionWriter:
    """Turns the sessions and clip windows of one stream into memories; see the module docstring.

    Args:
        rt, tenant, source: where the memories go.
        key: the stream's :func:`~ingest_workers.stream_policy.url_key`.
        display_url: the redacted URL (media path of every record).
        settings: stream settings (``checkpoint_s``, ``rotate_s``, ``gap_min_s``).
        on_clip: called with a dict per clip once it is written (see ``StreamWorker``).
        on_error: called as ``on_error(what, exc)`` for a failure that skipped work.
        on_gone: called once when the source turned out deleted under the worker (nothing is
            written after that; the worker should stop).
    """

    def __init__(self, rt, tenant: str, source: str, *, key: str, display_url: str, settings: StreamSettings,
                 on_clip: Callable[[dict], None] | None = None,
                 on_error: Callable[[str, BaseException], None] | None = None,
                 clock: Callable[[], float] = time.time,
                 on_gone: Callable[[], None] | None = None) -> None:
        self.rt, self.tenant, self.source = rt, tenant, source
        self.guard = SourceGuard(rt, tenant, source)
        self.on_gone = on_gone
        self.key, self.display_url, self.settings = key, display_url, settings
        self.on_clip, self.on_error, self._clock = on_clip, on_error, clock
        self.sessions = self.clips_written = 0
        self.media_seconds = 0.0
        self.gaps: deque[dict] = deque(maxlen=MAX_GAPS_KEPT)
        self.lags: deque[float] = deque(maxlen=2000)
        self.processor: ClipProcessor | None = None
        self._session: SessionStart | None = None
        self._segment = 0
        self._segment_start_s = 0.0
        self._asr: ContextASR | None = None
        self._last_end: SessionEnd | None = None
        self._last_checkpoint = time.monotonic()
        self._gone_handled = False

    def _fail(self, what: str, exc: BaseException) -> None:
        if self.on_error is not None:
            self.on_error(what, exc)

    @contextmanager
    def _turn(self) -> Iterator[bool]:
        """One write: yields whether it may happen (the source's write lock held and the source
        still there, see :mod:`ingest_workers.stream_guard`). A source found gone drops the
        session, has what an unlocked write left removed and calls ``on_gone``, once."""
        with self.guard.writing() as ok:
            yield ok
        if self.guard.gone and not self._gone_handled:
            self._gone_handled = True
            proc, self.processor = self.processor, None
            self.guard.purge(proc.ctx.media.id if proc is not None else None)
            log.warning("stream source deleted: writing stops", source=self.source)
            if self.on_gone is not None:
                self.on_gone()

    # ------------------------------------------------------------------ sessions
    def _open(self, start: SessionStart, segment: int) -> None:
        base = f"stream:{self.key}:{iso(start.anchor)}"
        fingerprint = base if segment == 0 else f"{base}#{segment}"
        media = MediaFile(id=media_file_id(self.tenant, self.source, fingerprint), tenant=self.tenant,
                          source=self.source, path=self.display_url, fingerprint=fingerprint, duration_s=0.0,
                          start_time=start.anchor, has_video=start.has_video, has_audio=start.has_audio,
                          width=start.width, height=start.height)
        proc = ClipProcessor(self.rt, self.tenant, self.source, media)
        if proc.perceiver.asr is not None:  # sentences on clip boundaries: see ingest_workers.stream_asr
            if segment == 0 or self._asr is None:
                self._asr = ContextASR(proc.perceiver.asr)
            proc.perceiver.asr = self._asr
        proc.writer.replace_previous()  # the same explicit start again replaces, never duplicates
        self.rt.repo.upsert_media_file(media)
        self.processor, self._segment = proc, segment

    def begin(self, start: SessionStart) -> dict | None:
        """Start a session; returns the gap recorded since the previous one, if any."""
        if self.processor is not None:
            self.end(SessionEnd(self.media_seconds, self.processor.ctx.wall(self.media_seconds), "superseded"))
        with self._turn() as ok:
            if not ok:
                return None
            self.sessions += 1
            self._session, self._segment_start_s, self.media_seconds = start, 0.0, 0.0
            gap = None
            last = self._last_end
            if last is not None and (start.anchor - last.wall_end).total_seconds() >= self.settings.gap_min_s:
                gap = self._store_gap(last.wall_end, start.anchor, last.reason)
            try:
                self._open(start, 0)
            except Exception as exc:  # noqa: BLE001 - the session's clips are skipped, the stream goes on
                self._fail("session start", exc)
        log.info("stream session", source=self.source, session=self.sessions, start=iso(start.anchor))
        return gap

    def end(self, end: SessionEnd) -> None:
        """Close the open session: scenes, events, stories, entities, semantic memory."""
        with self._turn() as ok:
            if not ok:
                return
            proc, self.processor = self.processor, None
            self._last_end = end
            if proc is None:
                return
            try:
                proc.finish()
                proc.ctx.media.duration_s = round(max(end.last_media_s, proc.last_end_s), 3)
                self.rt.repo.upsert_media_file(proc.ctx.media)
                self.rt.vectors.flush()
            except Exception as exc:  # noqa: BLE001
                self._fail("session close", exc)

    def close(self, reason: str = "stopped") -> None:
        """End a session left open (the reader died without saying so)."""
        if self.processor is not None:
            self.end(SessionEnd(self.media_seconds, self.processor.ctx.wall(self.media_seconds), reason))

    # ------------------------------------------------------------------ clips
    def process(self, group: list[ClipWindow]) -> None:
        """Perceive and write ``group`` now (queryable when this returns). Perception (the slow
        part) runs first without the source's write lock; the group is written under it, and
        not at all when the source was deleted meanwhile."""
        proc = self.processor
        if not group or proc is None or self.guard.gone:
            return
        what = f"clips {group[0].index}-{group[-1].index}"
        try:
            perceptions = proc.perceiver.perceive(group, hotwords=proc.hotwords)
        except Exception as exc:  # noqa: BLE001 - one bad group is skipped, the stream goes on
            self._fail(what, exc)
            return
        with self._turn() as ok:
            if not ok:
                return
            try:
                proc.absorb(perceptions)
                proc.flush()
            except Exception as exc:  # noqa: BLE001
                self._fail(what, exc)
                return
        if self.guard.gone:  # an unlocked write saw the source deleted: what it wrote is removed
            return
        written_at = self._clock()
        for w in group:
            self.clips_written += 1
            self.media_seconds = max(self.media_seconds, w.media_end_s)
            end = proc.ctx.wall(w.media_end_s)
            self.lags.append(written_at - end.timestamp())
            if self.on_clip is not None:
                info = {"media_file_id": proc.ctx.media.id, "index": w.index, "node_id": clip_node_id(proc.ctx, w.index),
                        "media_start_s": w.media_start_s, "media_end_s": w.media_end_s,
                        "capture_start": proc.ctx.wall(w.media_start_s), "capture_end": end,
                        "written_at": written_at, "lag_s": written_at - end.timestamp()}
                try:
                    self.on_clip(info)
                except Exception as exc:  # noqa: BLE001
                    log.warning("on_clip callback failed", error=repr(exc))
        self.maybe_checkpoint()
        if self.media_seconds - self._segment_start_s >= self.settings.rotate_s:
            self._rotate()

    def maybe_checkpoint(self) -> bool:
        """Update entity and semantic memory when ``checkpoint_s`` has passed; True if it ran."""
        if self.processor is None or time.monotonic() - self._last_checkpoint < self.settings.checkpoint_s:
            return False
        self._last_checkpoint = time.monotonic()
        with self._turn() as ok:
            if not ok or self.processor is None:
                return False
            try:
                self.processor.checkpoint()
            except Exception as exc:  # noqa: BLE001
                self._fail("checkpoint", exc)
        return True

    def _rotate(self) -> None:
        proc = self.processor
        self.end(SessionEnd(self.media_seconds, proc.ctx.wall(self.media_seconds), None))
        self._last_end = None  # continuous footage: no gap
        self._segment_start_s = self.media_seconds
        with self._turn() as ok:
            if not ok:
                return
            try:
                self._open(self._session, self._segment + 1)
            except Exception as exc:  # noqa: BLE001
                self._fail("rotate", exc)

    # ------------------------------------------------------------------ gaps
    def record_gap(self, a: datetime, b: datetime, reason: str | None) -> dict:
        """Store the outage ``[a, b]`` as a memory; returns its summary (kept in ``gaps``)."""
        with self._turn() as ok:
            if not ok:
                return {"start": iso(a), "end": iso(b), "seconds": round((b - a).total_seconds(), 1), "reason": reason}
            return self._store_gap(a, b, reason)

    def _store_gap(self, a: datetime, b: datetime, reason: str | None) -> dict:
        """:meth:`record_gap` inside a write turn."""
        try:
            node, gap = gap_node(self.rt, self.tenant, self.source, self.key, self.display_url, a, b, reason)
            self.rt.repo.upsert_nodes([node])
            self.rt.vectors.upsert([node])
        except Exception as exc:  # noqa: BLE001
            self._fail("gap record", exc)
            gap = {"start": iso(a), "end": iso(b), "seconds": round((b - a).total_seconds(), 1), "reason": reason}
        self.gaps.append(gap)
        log.warning("stream gap", source=self.source, **gap)
        return gap
