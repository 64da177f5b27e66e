"""Stream policy: what kind of source a URL is, how PyAV opens it, how long to wait before giving
up, how to back off, and what to do when perception falls behind.

* Source kinds: ``rtsp`` (TCP transport), ``hls`` (an ``.m3u8`` playlist over HTTP), ``http``
  (progressive HTTP: MPEG-TS, MJPEG, FLV...), ``udp``/``rtp`` (MPEG-TS datagrams), ``srt`` (PyAV's wheels
  have no libsrt: pulled through the system ffmpeg, ``stream_relay``; without one the worker stops
  with a clear error), ``rtmp``,
  and ``file`` (a local path or ``file://``: not live).
* Backpressure: live sources never block the reader; when more than ``queue_windows`` clip windows
  wait for perception the OLDEST are dropped (counted, logged, reported as skipped). Files wait.
* Watchdog: no decoded frame for ``stall_timeout_s`` -> stalled -> reconnect after an exponential
  backoff (``backoff_min_s`` doubling up to ``backoff_max_s``, with jitter), reset once a
  connection delivers footage again.
* Credentials: :func:`safe_url` is the only form of a URL that leaves this package (logs, records,
  errors, ids); PyAV's error messages echo the URL and go through :func:`safe_error`.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from collections import deque
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

import numpy as np

from memory_core.logging import redact
from memory_core.settings import StreamSettings

LIVE_KINDS = frozenset({"rtsp", "hls", "http", "udp", "rtp", "srt", "rtmp"})


class StreamState(str, Enum):
    """Where a stream worker is: ``connecting -> streaming -> stalled -> backoff -> connecting``
    ... until ``stopped`` (stop requested, or a file source ended)."""

    IDLE = "idle"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    STALLED = "stalled"
    BACKOFF = "backoff"
    STOPPED = "stopped"


# stream-specific secrets on top of memory_core.logging.redact: SRT passphrase/streamid, camera
# query credentials (``?user=admin&pwd=...``), stream keys
_STREAM_SECRET = re.compile(
    r"(?P<key>[?&;](?:passphrase|pass|pwd|psw|key|stream_?key|streamid|secret|user(?:name)?|login)=)[^&#\s\"']+",
    re.IGNORECASE,
)


# user info up to the LAST '@' of the authority (a password may hold an unencoded '@')
_NETLOC_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@")


def safe_url(url: str) -> str:
    """``url`` with user info and secret query parameters replaced by ``***``."""
    text = _NETLOC_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}***@", str(url))
    return _STREAM_SECRET.sub(lambda m: f"{m.group('key')}***", redact(text))


def safe_error(exc: BaseException, url: str | None = None) -> str:
    """A one-line description of ``exc`` without credentials (FFmpeg errors quote the URL)."""
    text = f"{type(exc).__name__}: {exc}"
    if url:
        text = text.replace(url, safe_url(url))
    return safe_url(text)


def url_key(url: str) -> str:
    """Short stable key of a stream (sha256 of its REDACTED form: a hash of a password is no
    secret-free identifier, low-entropy passwords are guessable from it)."""
    return hashlib.sha256(safe_url(url).encode()).hexdigest()[:16]


def source_kind(url: str) -> str:
    """``rtsp``, ``hls``, ``http``, ``udp``, ``rtp``, ``srt`` or ``file`` for ``url``."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    if scheme in ("rtsp", "rtsps", "rtspt"):
        return "rtsp"
    if scheme in ("http", "https"):
        return "hls" if parts.path.lower().endswith((".m3u8", ".m3u")) else "http"
    if scheme in ("udp", "rtp", "srt"):
        return scheme
    if scheme in ("rtmp", "rtmps"):
        return "rtmp"
    if scheme in ("", "file"):
        return "file"
    raise ValueError(f"unsupported stream URL scheme {scheme!r} in {safe_url(url)}")


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    """How one source is read. ``live``: drop instead of wait, wall clock from receive times."""

    kind: str
    live: bool
    settings: StreamSettings

    @classmethod
    def for_url(cls, url: str, settings: StreamSettings) -> StreamPolicy:
        kind = source_kind(url)
        return cls(kind=kind, live=kind in LIVE_KINDS, settings=settings)

    @property
    def timeout(self) -> tuple[float, float]:
        """PyAV ``timeout=(open, read)`` in seconds: a read that blocks longer is a stall."""
        return (self.settings.open_timeout_s, self.settings.stall_timeout_s)

    def av_options(self) -> dict[str, str]:
        """FFmpeg options for ``av.open`` (protocol and demuxer level)."""
        s = self.settings
        us = str(int(s.stall_timeout_s * 1_000_000))
        opts = {"analyzeduration": "3000000", "probesize": "5000000"}
        if self.kind == "rtsp":
            opts |= {"rtsp_transport": s.rtsp_transport, "timeout": us, "max_delay": "500000"}
        elif self.kind in ("hls", "http"):
            opts |= {"reconnect": "1", "reconnect_streamed": "1", "reconnect_on_network_error": "1",
                     "reconnect_delay_max": str(int(max(1, s.backoff_max_s))), "rw_timeout": us}
        elif self.kind in ("udp", "rtp"):
            opts |= {"fifo_size": str(s.udp_fifo_packets), "overrun_nonfatal": "1", "timeout": us,
                     "buffer_size": str(4 * 1024 * 1024)}
        elif self.kind == "srt":
            opts |= {"timeout": us}
        elif self.kind == "rtmp":
            opts |= {"rw_timeout": us}
        return opts


_VAD = None


def speech_at_end(audio: np.ndarray, rate: int = 16000, *, tail_s: float = 3.0, edge_s: float = 0.3) -> bool:
    """Whether speech is still running at the end of ``audio`` (float32 mono): Silero VAD (bundled
    with faster-whisper, ~10 ms) over the last ``tail_s`` seconds finds speech within ``edge_s``
    of the end. A stream worker then holds the clip back to transcribe it together with the next
    one, so a sentence on a clip boundary is not cut in two (whisper drops a cut-off sentence).
    False when the VAD is unavailable."""
    global _VAD
    tail = np.asarray(audio[-int(tail_s * rate):], dtype=np.float32)
    if tail.size < int(0.5 * rate):
        return False
    try:
        if _VAD is None:
            from faster_whisper.vad import VadOptions, get_speech_timestamps

            _VAD = (get_speech_timestamps, VadOptions(threshold=0.5, min_silence_duration_ms=250, speech_pad_ms=0,
                                                       min_speech_duration_ms=100))
        fn, opts = _VAD
        spans = fn(tail, opts)
    except Exception:  # noqa: BLE001 - no VAD: never hold clips back
        return False
    return bool(spans) and spans[-1]["end"] >= tail.size - int(edge_s * rate)


class Backoff:
    """Exponential backoff with full jitter between ``lo`` and ``hi`` seconds."""

    def __init__(self, lo: float, hi: float, factor: float = 2.0, rng: random.Random | None = None):
        self.lo, self.hi, self.factor = float(lo), float(max(hi, lo)), float(factor)
        self.attempt = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """Seconds to wait before the next attempt (grows with every call until :meth:`reset`)."""
        ceiling = min(self.hi, self.lo * self.factor ** self.attempt)
        self.attempt += 1
        return max(self.lo, self._rng.uniform(ceiling / 2, ceiling))

    def reset(self) -> None:
        self.attempt = 0


class WindowQueue:
    """Bounded hand-off from the reader to perception.

    ``put_window`` on a full queue drops the oldest queued window when ``drop_oldest`` (live)
    and returns it, else waits for room (files). Markers (session start/end) are never dropped
    and do not count towards ``max_windows``. Memory is bounded: at most ``max_windows`` windows
    plus the markers of the sessions in between.
    """

    def __init__(self, max_windows: int, *, drop_oldest: bool):
        self.max_windows = max(1, int(max_windows))
        self.drop_oldest = drop_oldest
        self._items: deque = deque()
        self._windows = 0
        self._cond = threading.Condition()
        self.dropped = 0

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    @property
    def windows(self) -> int:
        return self._windows

    def put_window(self, window, stop: threading.Event | None = None):
        """Queue a window; returns the window dropped to make room (or ``None``)."""
        with self._cond:
            dropped = None
            while self._windows >= self.max_windows:
                if self.drop_oldest:
                    for i, (is_window, item) in enumerate(self._items):
                        if is_window:
                            del self._items[i]
                            self._windows -= 1
                            self.dropped += 1
                            dropped = item
                            break
                    break
                if stop is not None and stop.is_set():
                    return None
                self._cond.wait(0.2)
            self._items.append((True, window))
            self._windows += 1
            self._cond.notify_all()
            return dropped

    def put_marker(self, marker) -> None:
        with self._cond:
            self._items.append((False, marker))
            self._cond.notify_all()

    def get(self, timeout: float | None = None):
        """The next item, or ``None`` after ``timeout`` seconds without one."""
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            is_window, item = self._items.popleft()
            if is_window:
                self._windows -= 1
            self._cond.notify_all()
            return item
