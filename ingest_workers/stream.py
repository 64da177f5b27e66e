"""Live sources: a stream worker per source that pulls a URL, cuts clips as they arrive and feeds
the same pipeline as files, so a question asked mid-stream sees footage from seconds ago.

    reader thread:  connecting -> streaming -> stalled -> backoff -> connecting ... -> stopped
                    LiveReader (PyAV) -> ClipWindow --(WindowQueue: live drops the oldest)--+
    worker thread:  SessionWriter: ClipProcessor.process(group) + flush  <----------------+
                    (+ checkpoint every ``checkpoint_s``, new record every ``rotate_s``)

Each connection that delivers footage is a *session* (a media record, see
:mod:`ingest_workers.stream_session`). Between two sessions the source was down: the outage is
stored as a clip memory ("Source down: no footage from A to B", ``attributes.gap = True``) and in
the source's settings (``settings["stream"]["gaps"]``), so the timeline shows it and "when was the
camera down?" finds it. Memory stays flat however long the stream runs: bounded queues, bounded
histories, records rotated every ``rotate_s``. The URL leaves the worker only redacted.

The embedded vector store belongs to one process: workers run as threads of the process that owns
the :class:`~memory_core.runtime.Runtime` (``vidmem stream``, ``vidmem serve``); see
:mod:`ingest_workers.stream_manager` for registering sources and running several workers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

import numpy as np
from pydantic import SecretStr

from ingest_workers.stream_policy import (
    Backoff,
    StreamPolicy,
    StreamState,
    WindowQueue,
    safe_error,
    safe_url,
    speech_at_end,
    url_key,
)
from ingest_workers.stream_reader import LiveReader, StreamOpenError, StreamStalled
from ingest_workers.stream_session import SessionEnd, SessionStart, SessionWriter, iso
from memory_core.domain import ClipWindow
from memory_core.logging import get_logger
from memory_core.settings import StreamSettings
from memory_core.timeutil import utcnow

log = get_logger(__name__)

_DONE = object()
STATUS_SAVE_S = 10.0  # state, lag and last-frame time reach the source record this often while streaming


def _percentile(values, q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values, dtype=np.float64), q)), 3) if values else None


class StreamWorker:
    """Pulls one live source into memory until stopped; see the module docstring.

    Args:
        rt: the opened runtime (this process owns its stores).
        tenant, source: where the memories belong (the source is created as kind ``stream``).
        url: the stream URL; credentials are allowed and never logged or stored unredacted here.
        start_time: wall time of media 0 of the FIRST session (else from receive times).
        settings: stream settings (default ``rt.settings.stream``).
        stop_event: set it to stop; the worker finishes what it has and returns.
        url_check: called with the URL before EVERY connection attempt (the first and each
            reconnection), so a host name that re-resolves to a refused address (DNS rebinding)
            is caught on the next connect; it raises to refuse. A refusal stops the worker,
            unless the exception has ``transient = True`` (a name that does not resolve right
            now), which backs off and retries like a failed connection. FFmpeg resolves the name
            once more when it connects, so a window of one resolution remains (see
            :meth:`_refused`). Messages are redacted before they are logged or kept.
        create_source: create the source (and tenant) when missing (default). ``False`` for a
            registered stream (:class:`~ingest_workers.stream_manager.StreamManager`): its row
            holds the registration, so a missing row means the source was deleted, and the worker
            stops at once instead of creating it again.
        on_clip: called after each clip is written (queryable) with a dict: ``media_file_id``,
            ``index``, ``node_id``, ``media_start_s``/``media_end_s`` (seconds into the session),
            ``capture_start``/``capture_end`` (datetimes), ``written_at``
            (epoch s), ``lag_s`` (written_at - capture_end).
    """

    def __init__(self, rt, tenant: str, source: str, url: str, *, start_time: datetime | None = None,
                 settings: StreamSettings | None = None, stop_event: threading.Event | None = None,
                 on_clip: Callable[[dict], None] | None = None, clock: Callable[[], float] = time.time,
                 url_check: Callable[[str], object] | None = None, create_source: bool = True) -> None:
        self.rt = rt
        self.url_check = url_check
        self.create_source = create_source
        self.tenant = tenant
        self.source = source
        self._url = SecretStr(url)  # the URL may carry credentials: its repr is '**********'
        self.settings = settings or rt.settings.stream
        self.policy = StreamPolicy.for_url(url, self.settings)
        self.display_url = safe_url(url)
        self.key = url_key(url)
        self.start_time = start_time
        self.stop_event = stop_event or threading.Event()
        self.on_clip = on_clip
        self._clock = clock
        self.queue = WindowQueue(self.settings.queue_windows, drop_oldest=self.policy.live)
        self.state = StreamState.IDLE
        self.connections = self.windows_in = 0
        self.errors: deque[str] = deque(maxlen=20)
        self.skipped: deque[str] = deque(maxlen=50)
        self.last_frame_at: datetime | None = None
        self._reader: LiveReader | None = None
        self.writer = SessionWriter(rt, tenant, source, key=self.key, display_url=self.display_url,
                                    settings=self.settings, on_clip=on_clip, on_error=self._fail, clock=clock,
                                    on_gone=self._source_gone)
        self._started = time.monotonic()
        self._last_save = 0.0
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    def start(self) -> threading.Thread:
        """Run :meth:`run` in a daemon thread and return it."""
        self._thread = threading.Thread(target=self.run, name=f"vidmem-stream-{self.source}", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 60.0) -> dict:
        """Ask the worker to stop, wait up to ``timeout`` s for it, and return :meth:`status`."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status()

    @property
    def alive(self) -> bool:
        """Whether the worker's thread was started and is still running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def sessions(self) -> int:
        return self.writer.sessions

    @property
    def clips_written(self) -> int:
        return self.writer.clips_written

    @property
    def gaps(self) -> list[dict]:
        """Outages recorded by this worker (the newest 100)."""
        return list(self.writer.gaps)

    @property
    def reader(self) -> LiveReader | None:
        """The current (or last) connection."""
        return self._reader

    @property
    def dropped_windows(self) -> int:
        return self.queue.dropped

    def status(self) -> dict:
        """What the worker is doing, JSON-ready; the URL is redacted."""
        reader = self._reader
        stalled = (time.monotonic() - reader.last_frame_mono) if reader is not None and self.state is StreamState.STREAMING else None
        return {
            "source": self.source, "url": self.display_url, "kind": self.policy.kind, "state": self.state.value,
            "connections": self.connections, "sessions": self.sessions, "windows": self.windows_in,
            "clips_written": self.clips_written, "dropped_windows": self.dropped_windows,
            "queued_windows": self.queue.windows, "media_seconds": round(self.writer.media_seconds, 3),
            "no_frame_for_s": round(stalled, 1) if stalled is not None else None,
            "last_frame_at": self.last_frame_at.isoformat() if self.last_frame_at else None,
            "gaps": self.gaps, "lag_s": {"p50": _percentile(self.writer.lags, 50),
                                         "p95": _percentile(self.writer.lags, 95), "n": len(self.writer.lags)},
            "skipped": list(self.skipped), "errors": list(self.errors),
            "elapsed_s": round(time.monotonic() - self._started, 3),
        }

    # ------------------------------------------------------------------ reader side
    def _set_state(self, state: StreamState, **fields) -> None:
        if state is not self.state:
            self.state = state
            log.info("stream state", source=self.source, url=self.display_url, state=state.value, **fields)

    def _read_loop(self) -> None:
        s, ing, stop = self.settings, self.rt.settings.ingest, self.stop_event
        backoff = Backoff(s.backoff_min_s, s.backoff_max_s)
        try:
            while not stop.is_set():
                self._set_state(StreamState.CONNECTING)
                refused = self._refused()
                if refused == "stop":
                    break
                if refused == "retry":
                    delay = backoff.next()
                    self._set_state(StreamState.BACKOFF, retry_in_s=round(delay, 1))
                    stop.wait(delay)
                    continue
                reader = LiveReader(self._url.get_secret_value(), self.policy, ing, stop_event=stop,
                                    start_time=self.start_time if self.connections == 0 else None, clock=self._clock)
                self._reader = reader
                try:
                    reader.open()
                except StreamOpenError as exc:
                    self.errors.append(str(exc))
                    if exc.permanent:
                        log.error("stream cannot be pulled", source=self.source, url=self.display_url, error=str(exc))
                        break
                    delay = backoff.next()
                    self._set_state(StreamState.BACKOFF, error=str(exc), retry_in_s=round(delay, 1))
                    stop.wait(delay)
                    continue
                self.connections += 1
                self._set_state(StreamState.STREAMING, connection=self.connections)
                reason = self._pump(reader, backoff)
                if reason is None:  # stop requested, or a file source ended
                    break
                self.errors.append(reason)
                self._set_state(StreamState.STALLED, reason=reason)
                if stop.is_set():
                    break
                delay = backoff.next()
                self._set_state(StreamState.BACKOFF, retry_in_s=round(delay, 1))
                stop.wait(delay)
        finally:
            self.queue.put_marker(_DONE)

    def _source_gone(self) -> None:
        """The source was deleted under the worker (``stream_guard``): stop, record why."""
        self.errors.append("source deleted: the worker stopped")
        self.stop_event.set()

    def _refused(self) -> str | None:
        """Run ``url_check`` before a connection: ``None`` (go on), ``"retry"`` (a transient
        refusal) or ``"stop"`` (refused by the policy; recorded in ``errors``).

        A refused address stops the worker for good rather than backing off: retrying a name
        that now points into the private network only gives a rebinding attacker more tries,
        and a tightened policy does not loosen by waiting; the registration stays, so a new
        start (API, service restart) checks again. A name that does not resolve right now is
        retried with backoff (every retry is checked again, so that is no weaker).

        Time of check to time of use: FFmpeg resolves the host again when it connects, so a name
        answering a public address here and a private one a moment later is not caught. The
        address is not pinned into the URL on purpose: for http(s)/HLS, RTMP and RTSPS the name
        must stay in the URL (Host header, TLS SNI and certificate, RTMP ``tcUrl``/vhosts) and
        FFmpeg has no option to connect to a given address under another name; HLS segment URIs
        and HTTP redirects are opened by FFmpeg itself and not seen here at all. A network
        egress policy (firewall) is the complete answer; this check bounds the window to one
        resolution per connection.
        """
        if self.url_check is None:
            return None
        try:
            self.url_check(self._url.get_secret_value())
            return None
        except Exception as exc:  # noqa: BLE001 - any refusal; its message is redacted below
            transient = bool(getattr(exc, "transient", False))
            message = f"refused before connecting: {safe_error(exc, self._url.get_secret_value())}"
            self.errors.append(message)
            (log.warning if transient else log.error)("stream connection refused by the network policy", source=self.source,
                                                       url=self.display_url, error=message, retry=transient)
            return "retry" if transient else "stop"

    def _pump(self, reader: LiveReader, backoff: Backoff) -> str | None:
        """Move one connection's windows to the queue; returns why it ended (None: stop/EOF)."""
        started = False
        reason = None
        try:
            for window in reader:
                if not started:
                    started = True
                    backoff.reset()
                    self.queue.put_marker(SessionStart(reader.anchor, self.connections, reader.has_video,
                                                        reader.has_audio, reader.width, reader.height))
                self.windows_in += 1
                self.last_frame_at = reader.wall(window.media_end_s)
                dropped = self.queue.put_window(window, self.stop_event)
                if dropped is not None:
                    msg = f"clip {dropped.index} ({dropped.media_start_s:.0f}-{dropped.media_end_s:.0f} s) dropped: perception behind"
                    self.skipped.append(msg)
                    log.warning("stream backpressure", source=self.source, dropped=self.queue.dropped, detail=msg)
        except StreamStalled as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken connection must never end the worker
            reason = safe_error(exc, self._url.get_secret_value())
            log.error("stream reader failed", source=self.source, url=self.display_url, error=reason)
        finally:
            reader.close()
        if started:
            self.queue.put_marker(SessionEnd(reader.last_media_s, reader.wall(reader.last_media_s), reason))
        return reason

    # ------------------------------------------------------------------ worker side
    def run(self) -> dict:
        """Pull the stream until ``stop_event`` is set (or a file source ends); returns
        :meth:`status` as the summary. Never raises for stream or perception problems."""
        if self.create_source:
            self.rt.repo.ensure_tenant(self.tenant)
            self.rt.repo.ensure_source(self.tenant, self.source, kind="stream")
        if not self.writer.guard.arm():  # a registered stream whose source was just deleted
            self._source_gone()
            log.warning("stream source deleted before its worker started", source=self.source, url=self.display_url)
            self._set_state(StreamState.STOPPED)
            return self.status()
        self.rt.ensure_collection()
        log.info("stream start", source=self.source, url=self.display_url, kind=self.policy.kind, live=self.policy.live)
        reader_thread = threading.Thread(target=self._read_loop, name=f"vidmem-read-{self.source}", daemon=True)
        reader_thread.start()
        group: list[ClipWindow] = []
        chunk = self.settings.asr_chunk_clips
        try:
            while True:
                item = self.queue.get(timeout=0.5)
                if time.monotonic() - self._last_save >= STATUS_SAVE_S:
                    self._save_status()
                if item is None:
                    if self.writer.maybe_checkpoint():
                        self._save_status()
                    continue
                if item is _DONE:
                    break
                if isinstance(item, SessionStart):
                    if self.writer.begin(item) is not None:
                        self._save_status()
                elif isinstance(item, SessionEnd):
                    self.writer.process(group)
                    group = []
                    self.writer.end(item)
                else:
                    group.append(item)
                    if self._group_ready(group, chunk):
                        self.writer.process(group)
                        group = []
        finally:
            self.stop_event.set()
            reader_thread.join(timeout=self.settings.open_timeout_s + self.settings.stall_timeout_s + 5)
            if self.writer.processor is not None:  # the reader died without closing its session
                self.writer.process(group)
                self.writer.close("stopped")
            self._set_state(StreamState.STOPPED)
            self._save_status()
        summary = self.status()
        log.info("stream stopped", source=self.source, url=self.display_url, clips=self.clips_written,
                 sessions=self.sessions, dropped=self.dropped_windows, gaps=len(self.gaps))
        return summary

    def _group_ready(self, group: list[ClipWindow], chunk: int) -> bool:
        """Perceive now, or hold the group for the next clip because speech runs across the
        boundary (up to ``asr_max_clips``)? Always now once stopping."""
        if self.stop_event.is_set() or len(group) >= max(chunk, self.settings.asr_max_clips):
            return True
        if len(group) < chunk:
            return False
        last = group[-1]
        return not (last.has_audio and last.audio.size and speech_at_end(last.audio))

    def _fail(self, what: str, exc: BaseException) -> None:
        msg = f"{what}: {safe_error(exc, self._url.get_secret_value())}"
        self.errors.append(msg)
        self.skipped.append(msg)
        log.error("stream processing failed", source=self.source, detail=msg)

    # ------------------------------------------------------------------ status
    def _save_status(self) -> None:
        """Keep state, gaps, counters, lag and the last frame's time in ``settings["stream"]`` of
        the source row (every ``STATUS_SAVE_S`` while running, and at session changes and stop),
        so another process (the REST service) can show them."""
        from ingest_workers.stream_manager import update_stream_settings

        self._last_save = time.monotonic()
        if self.writer.guard.gone:
            return  # nothing to show it on
        try:
            update_stream_settings(self.rt, self.tenant, self.source, {
                "state": self.state.value, "display_url": self.display_url, "kind": self.policy.kind,
                "gaps": self.gaps, "dropped_windows": self.dropped_windows, "sessions": self.sessions,
                "clips_written": self.clips_written, "connections": self.connections,
                "media_seconds": round(self.writer.media_seconds, 3),
                "last_frame_at": self.last_frame_at.isoformat() if self.last_frame_at else None,
                "lag_s": {"p50": _percentile(self.writer.lags, 50), "p95": _percentile(self.writer.lags, 95),
                          "n": len(self.writer.lags)},
                "errors": list(self.errors)[-5:], "updated_at": iso(utcnow()),
            }, merge_gaps=True, create=False)  # a source deleted meanwhile is not brought back
        except Exception as exc:  # noqa: BLE001
            log.warning("stream status not saved", source=self.source, error=safe_error(exc, self._url.get_secret_value()))
