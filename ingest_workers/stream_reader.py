"""One connection to a live source, decoded into clip windows as data arrives.

:class:`LiveReader` opens the URL with PyAV (options and ``(open, read)`` timeouts from the
:class:`~ingest_workers.stream_policy.StreamPolicy`), decodes video with frame threads, samples
frames at ``ingest.sample_fps`` for perception and ``ingest.shot_fps`` for PySceneDetect, resamples
audio to 16 kHz mono, and cuts :class:`~memory_core.domain.ClipWindow` objects with the same
:class:`~ingest_workers.windows.WindowAssembler` the file decoder uses. Media time 0 is the first
decoded frame of the connection (its "session").

Wall clock: ``anchor`` is the wall time of media 0. For live sources it is the smallest
``receive time - media time`` seen over the first window, i.e. the receive time of the first frame
when the source delivers in real time, corrected for any backlog a server sends in a burst on
connect (an HLS playlist starts a few segments behind its live edge). It is fixed once the first
window is cut, so the wall times of written memories never move. An explicit ``start_time`` wins.

Watchdog: a read that blocks longer than ``stall_timeout_s`` (PyAV's read timeout) and a stream
that delivers packets but no decodable frame for that long both end the connection with
:class:`StreamStalled`; so do the end of a live stream and a timestamp discontinuity (a restarted
publisher). The windows decoded so far, including the partial last one, are yielded first.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import av
import numpy as np

from ingest_workers.features import frame_histogram
from ingest_workers.frames import ShotFramer, frame_size
from ingest_workers.probe import is_attached_picture
from ingest_workers.shots import SHOT_FRAME_WIDTH, ShotBoundaryDetector
from ingest_workers.stream_policy import StreamPolicy, safe_error, safe_url
from ingest_workers.stream_relay import FFmpegRelay, relay_protocols
from ingest_workers.windows import WindowAssembler
from memory_core.domain import ClipWindow, SampledFrame
from memory_core.settings import IngestSettings
from memory_core.timeutil import ensure_aware

AUDIO_RATE = 16000
MAX_FRAME_SIDE = 1280
MAX_BAD_PACKETS = 200  # consecutive undecodable packets before the connection is given up
BACKWARD_JUMP_S = 1.0  # media time going back this much: the publisher restarted


class StreamError(Exception):
    """A stream problem; the message never contains credentials."""


class StreamOpenError(StreamError):
    """The URL could not be opened (refused, timed out, nothing decodable). ``permanent``: retrying
    cannot help (the FFmpeg inside PyAV lacks the protocol)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class StreamStalled(StreamError):
    """The connection stopped delivering frames (timeout, end of a live stream, discontinuity)."""


class LiveReader:
    """Iterable of clip windows from one connection; see the module docstring.

    Args:
        url: the stream URL (credentials allowed: only :func:`safe_url` forms leave this object).
        policy: how to open and when to give up.
        ingest: ``clip_seconds``, ``sample_fps``, ``shot_fps``, ``shot_threshold``,
            ``decode_threads``, ``decode_skip_frames`` are used.
        stop_event: checked before each packet; when set, iteration ends after the partial window.
        start_time: wall time of media 0 (else estimated from receive times, see above).
        clock: wall clock in epoch seconds (tests).
    """

    def __init__(self, url: str, policy: StreamPolicy, ingest: IngestSettings, *,
                 stop_event: threading.Event | None = None, start_time: datetime | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._url = url
        self.display_url = safe_url(url)
        self.policy = policy
        self.ing = ingest
        self.stop_event = stop_event or threading.Event()
        self._explicit = ensure_aware(start_time) if start_time is not None else None
        self._clock = clock
        self.container = None
        self.anchor: datetime | None = None
        self._anchor_s = math.inf  # min(receive time - media time) until the anchor is fixed
        self.has_video = self.has_audio = False
        self.width = self.height = None
        self.frames_decoded = 0
        self.last_media_s = 0.0
        self.last_frame_mono = time.monotonic()
        self.notes: list[str] = []
        self.start_pts_s: float | None = None  # the container's start time (its timestamp of media 0)
        self.origin_pts_s: float | None = None  # timestamp of the first decoded frame = media time 0 here
        self._relay: FFmpegRelay | None = None  # the system ffmpeg, for a protocol PyAV's FFmpeg lacks

    # ------------------------------------------------------------------ connection
    def open(self) -> None:
        """Connect and probe.

        Raises:
            StreamOpenError: with a redacted message.
        """
        t0 = time.monotonic()
        relay = False
        try:
            self.container = av.open(self._url, mode="r", options=self.policy.av_options(), timeout=self.policy.timeout)
        except av.error.ProtocolNotFoundError:
            scheme = self.display_url.split(":", 1)[0]
            relay = scheme in relay_protocols()  # the system ffmpeg speaks it: opened through it below
            if not relay:
                raise StreamOpenError(
                    f"cannot open {self.display_url}: neither the FFmpeg inside PyAV nor a system ffmpeg has the "
                    f"{scheme!r} protocol; install Debian's ffmpeg (it has SRT), or relay the stream to UDP "
                    f"(ffmpeg -i <url> -c copy -f mpegts udp://127.0.0.1:PORT)", permanent=True) from None
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            waited = time.monotonic() - t0
            why = (f"no stream within {waited:.0f} s" if waited >= min(self.policy.timeout) - 0.5
                   else safe_error(exc, self._url))
            raise StreamOpenError(f"cannot open {self.display_url}: {why}") from None
        if relay:
            self._open_relay()
        c = self.container
        self._video = next((s for s in c.streams.video if not is_attached_picture(s)), None)
        self._audio = c.streams.audio[0] if c.streams.audio else None
        if self._video is None and self._audio is None:
            self.close()
            raise StreamOpenError(f"{self.display_url} has no audio or video stream")
        self.has_video, self.has_audio = self._video is not None, self._audio is not None
        self._opened_at = self._clock()
        self.start_pts_s = c.start_time / 1_000_000 if c.start_time is not None else None
        self._setup()
        self.last_frame_mono = time.monotonic()

    def _open_relay(self) -> None:
        """Open the URL through the system ffmpeg (``stream_relay``), for protocols the FFmpeg
        inside PyAV lacks (SRT).

        Raises:
            StreamOpenError: ffmpeg did not start, or nothing decodable came within the open timeout.
        """
        self._relay = FFmpegRelay(self._url, self.policy)
        try:
            pipe = self._relay.start()
        except OSError as exc:
            self._relay = None
            raise StreamOpenError(f"cannot open {self.display_url}: the ffmpeg relay did not start ({type(exc).__name__})") from None
        opts = {k: v for k, v in self.policy.av_options().items() if k in ("analyzeduration", "probesize")}
        try:
            self.container = av.open(pipe, mode="r", format="mpegts", options=opts)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            self._relay.close()
            why = (f"no stream within {self.policy.timeout[0]:.0f} s" if pipe.timed_out
                   else self._relay.last_error() or safe_error(exc, self._url))
            self._relay = None
            raise StreamOpenError(f"cannot open {self.display_url} through the ffmpeg relay: {why}") from None
        self.notes.append("pulled through the system ffmpeg (the FFmpeg inside PyAV lacks the protocol)")

    def close(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except Exception as exc:  # noqa: BLE001 - closing a broken connection must not mask why it broke
                self.notes.append(f"close failed: {safe_error(exc, self._url)}")
            self.container = None
        if self._relay is not None:
            self._relay.close()
            self._relay = None

    def _setup(self) -> None:
        s = self.ing
        self._origin: float | None = None
        self._sample_step, self._shot_step = 1.0 / s.sample_fps, 1.0 / s.shot_fps
        self._next_sample = self._next_shot = 0.0
        self._last_video_t: float | None = None
        self._shots = ShotBoundaryDetector(s.shot_fps, s.shot_threshold)
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE) if self._audio else None
        self._asm = WindowAssembler(s.clip_seconds, AUDIO_RATE, 0, has_video=self.has_video, has_audio=self.has_audio)
        self._sparse = 0
        self._skip_nonref = False
        v = self._video
        if v is not None:
            v.thread_type = "AUTO"
            v.thread_count = s.decode_threads
            rate = v.average_rate or v.guessed_rate
            self._frame_dur = 1.0 / float(rate) if rate else 0.04
            if s.decode_skip_frames == "nonref":
                v.codec_context.skip_frame = "NONREF"
                self._skip_nonref = True
            self._framers: dict[tuple[int, int], tuple[tuple[int, int], ShotFramer]] = {}

    # ------------------------------------------------------------------ main loop
    def __iter__(self) -> Iterator[ClipWindow]:
        if self.container is None:
            self.open()
        stall = self.policy.settings.stall_timeout_s
        packets = self.container.demux(*[s for s in (self._video, self._audio) if s is not None])
        bad_run = 0
        reason = None
        while reason is None:
            if self.stop_event.is_set():
                break
            if time.monotonic() - self.last_frame_mono > stall:
                reason = f"no frame for {stall:.0f} s"
                break
            try:
                packet = next(packets)
            except StopIteration:
                if self.policy.live:
                    reason = "end of stream"
                break
            except av.error.ExitError:  # PyAV's read timeout interrupted a blocking read
                reason = f"no data for {stall:.0f} s"
                break
            except (av.error.FFmpegError, OSError) as exc:
                reason = f"read failed: {safe_error(exc, self._url)}"
                break
            try:
                frames = packet.decode()
                bad_run = 0
            except (av.error.FFmpegError, ValueError) as exc:
                bad_run += 1
                if bad_run >= MAX_BAD_PACKETS:
                    reason = f"{bad_run} undecodable packets in a row: {safe_error(exc, self._url)}"
                continue
            for frame in frames:
                reason = self._on_frame(frame, packet.stream is self._video)
                if reason:
                    break
            yield from self._ready()
        if self._resampler is not None and reason is None:
            self._flush_audio()
        yield from self._finish()
        self.close()
        if reason is not None:
            raise StreamStalled(reason)

    def _ready(self) -> list[ClipWindow]:
        out = self._asm.ready()
        if out and self.anchor is None:
            self._fix_anchor()
        return out

    def _finish(self) -> list[ClipWindow]:
        out = self._asm.finish()
        if out and self.anchor is None:
            self._fix_anchor()
        return out

    def _fix_anchor(self) -> None:
        if self._explicit is not None:
            self.anchor = self._explicit
        else:
            # live: receive-time estimate; a file (not live): media 0 is "when it was opened"
            base = self._anchor_s if math.isfinite(self._anchor_s) else getattr(self, "_opened_at", self._clock())
            self.anchor = datetime.fromtimestamp(base, tz=UTC)

    def wall(self, media_s: float) -> datetime | None:
        """Wall time of media second ``media_s`` of this connection (``None`` before the anchor)."""
        return None if self.anchor is None else self.anchor + timedelta(seconds=float(media_s))

    # ------------------------------------------------------------------ per frame
    def _media_t(self, frame, fallback: float | None) -> float | None:
        if frame.time is None:
            return fallback
        if self._origin is None:
            self._origin = self.origin_pts_s = float(frame.time)
        return float(frame.time) - self._origin

    def _on_frame(self, frame, is_video: bool) -> str | None:
        """Handle one decoded frame; returns a reason to end the connection, if any."""
        if not is_video:
            reason = None
            for out in self._resampler.resample(frame):
                reason = self._push_audio(out) or reason
            return reason
        prev = self._last_video_t
        t = self._media_t(frame, (prev + self._frame_dur) if prev is not None else 0.0)
        if prev is not None and t <= prev:
            if prev - t > BACKWARD_JUMP_S:
                return f"timestamps went back {prev - t:.1f} s (publisher restarted)"
            return None
        if self.policy.live and prev is not None and t - prev > self.policy.settings.max_drift_s:
            return f"timestamps jumped {t - prev:.1f} s ahead"
        self._last_video_t = t
        framer = self._framer(frame)
        reason = self._progress(t)
        self.last_media_s = max(self.last_media_s, t + self._frame_dur)
        self._asm.video_progress(t + self._frame_dur)
        if self._skip_nonref and prev is not None:
            self._check_density(t - prev)
        if t >= self._next_shot - 1e-3:
            for cut in self._shots.push(t, framer(frame)):
                self._asm.add_cut(cut)
            self._next_shot = _advance(self._next_shot, self._shot_step, t)
        if t >= self._next_sample - 1e-3:
            w, h = self._framers[(frame.width, frame.height)][0]
            rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
            self._asm.add_frame(SampledFrame(t_s=t, rgb=rgb), frame_histogram(rgb))
            self._next_sample = _advance(self._next_sample, self._sample_step, t)
        return reason

    def _progress(self, t: float) -> str | None:
        """A frame of media time ``t`` arrived (video; audio when there is no video): feed the
        watchdog and the wall-clock anchor; returns a reason to end the connection, if any."""
        self.last_frame_mono = time.monotonic()
        self.frames_decoded += 1
        if not self.policy.live or self._explicit is not None:
            return None
        now = self._clock()
        if self.anchor is None:
            self._anchor_s = min(self._anchor_s, now - t)
            return None
        late = now - t - self.anchor.timestamp()
        if late > self.policy.settings.max_drift_s:
            return f"footage arrives {late:.0f} s behind its wall clock"
        return None

    def _framer(self, frame) -> ShotFramer:
        key = (frame.width, frame.height)
        if key not in self._framers:  # a resolution change mid-stream gets its own sizes
            if len(self._framers) > 8:
                self._framers.clear()
            self._framers[key] = (frame_size(*key, MAX_FRAME_SIDE), ShotFramer(*key, SHOT_FRAME_WIDTH))
            self.width, self.height = key
            if len(self._framers) > 1:
                self._shots = ShotBoundaryDetector(self.ing.shot_fps, self.ing.shot_threshold)
        return self._framers[key][1]

    def _check_density(self, gap: float) -> None:
        if gap <= min(self._sample_step, self._shot_step) + 1e-3:
            return
        self._sparse += 1
        if self._sparse >= 3:
            self._video.codec_context.skip_frame = "DEFAULT"
            self._skip_nonref = False
            self.notes.append("reference frames alone were too sparse for sampling: decoding every frame")

    def _push_audio(self, out) -> str | None:
        samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        t = self._media_t(out, None)
        end_s = self._asm.add_audio(samples, t)
        self.last_media_s = max(self.last_media_s, end_s)
        if not self.has_video:
            return self._progress(t if t is not None else end_s - samples.size / AUDIO_RATE)
        return None

    def _flush_audio(self) -> None:
        try:
            for out in self._resampler.resample(None):
                self._push_audio(out)
        except (av.error.FFmpegError, ValueError):
            pass


def _advance(target: float, step: float, t: float) -> float:
    """Next sampling time after ``t`` on the grid ``target + k*step`` (no bursts after a gap)."""
    nxt = target + step
    if nxt <= t + 1e-3:
        nxt = target + (math.floor((t - target) / step + 1e-6) + 1) * step
    return nxt
