"""One streaming pass over a media file, cut into fixed clip windows.

:class:`ClipDecoder` demuxes audio and video together with PyAV, decodes video with frame threads
(optionally skipping non-reference frames, see ``ingest.decode_skip_frames``), converts to RGB only
the frames sampled at ``ingest.sample_fps`` (long side <= ``MAX_FRAME_SIDE`` px) and small frames at
``ingest.shot_fps`` for shot-boundary detection, resamples audio to float32 mono 16 kHz, and yields
:class:`~memory_core.domain.ClipWindow` objects in order. Memory stays flat whatever the file
length: only the windows not yet complete (a few seconds of media) are held.

Damage in the middle of a file does not raise: decoding stops (or skips the bad packets), the
windows decoded so far are still yielded, and :class:`DecodeReport` says what went wrong.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from ingest_workers.errors import CorruptMediaError
from ingest_workers.features import frame_histogram
from ingest_workers.frames import ShotFramer, frame_size, place_cut
from ingest_workers.probe import MediaInfo, is_attached_picture
from ingest_workers.shots import SHOT_FRAME_WIDTH, ShotBoundaryDetector
from ingest_workers.windows import WindowAssembler
from memory_core.domain import ClipWindow, SampledFrame
from memory_core.settings import IngestSettings

AUDIO_RATE = 16000  # Hz, mono float32 in [-1, 1]
MAX_FRAME_SIDE = 1280  # px, long side of frames handed to perception
MAX_BAD_PACKETS = 50  # consecutive undecodable packets before giving up on the file
_SPARSE_TOLERANCE = 3  # too-wide frame gaps under skip_frame=NONREF before decoding every frame
_MAX_HELD_FRAMES = 16  # decoded frames held between two scored ones to place cuts precisely
SEEK_PREROLL_S = 2.0  # a resumed pass starts decoding this much before its first window


@dataclass(slots=True)
class DecodeReport:
    """What a decode pass did; complete once iteration ends.

    ``errors`` are plain-language problems (damaged data, packets skipped); ``notes`` harmless
    remarks (e.g. a fallback to decoding every frame); ``last_media_s`` the
    furthest media second decoded (video or audio); ``frames_decoded`` video frames out of the
    decoder; ``frames_sampled`` those converted for perception; ``skip_mode`` the frame-skipping
    mode finally in effect; ``stopped`` whether a ``stop_event`` ended the pass early.
    """

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_media_s: float = 0.0
    frames_decoded: int = 0
    frames_sampled: int = 0
    audio_s: float = 0.0
    windows: int = 0
    bad_packets: int = 0
    skip_mode: str = "none"
    stopped: bool = False

    @property
    def partial(self) -> bool:
        """True when something in the file could not be decoded."""
        return bool(self.errors)


class ClipDecoder:
    """Iterable of :class:`ClipWindow` for one file; see the module docstring.

    Args:
        path: the media file, already checked with :func:`~ingest_workers.probe.probe_media`.
        info: its :class:`MediaInfo`.
        settings: ``clip_seconds``, ``sample_fps``, ``shot_fps``, ``shot_threshold``,
            ``decode_threads``, ``decode_skip_frames`` are used.
        start_index: first window to produce (resume); the file is seeked to its start.
        stop_event: checked before each packet; when set, iteration ends at once and the window
            in progress is not yielded (``report.stopped``); resume later with
            ``start_index = start_index + report.windows``.

    Iterating yields windows ``start_index, start_index+1, ...`` covering the decoded media; the
    last one is shorter. Attribute ``report`` is a :class:`DecodeReport`.

    Raises (from iteration):
        CorruptMediaError: the file cannot be opened, or nothing at all could be decoded.
    """

    def __init__(
        self,
        path: str | Path,
        info: MediaInfo,
        settings: IngestSettings,
        *,
        start_index: int = 0,
        stop_event: threading.Event | None = None,
    ):
        self.path = Path(path)
        self.info = info
        self.settings = settings
        self.start_index = max(0, int(start_index))
        self.stop_event = stop_event
        self.report = DecodeReport()

    # ------------------------------------------------------------------ main loop
    def __iter__(self) -> Iterator[ClipWindow]:
        rep = self.report
        try:
            container = av.open(str(self.path), mode="r")
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(self.path, f"cannot be opened for decoding ({exc})") from exc
        with container:
            video = next((s for s in container.streams.video if not is_attached_picture(s)), None)
            audio = container.streams.audio[0] if container.streams.audio else None
            video = video if self.info.has_video else None
            audio = audio if self.info.has_audio else None
            if video is None and audio is None:
                raise CorruptMediaError(self.path, "has no stream left to decode")
            self._setup(video, audio)
            start_s = self.start_index * self.settings.clip_seconds
            if start_s > 0:
                try:
                    # from a keyframe at least SEEK_PREROLL_S earlier: the audio decoder and the
                    # resampler run in before the first window (see _on_audio)
                    target = max(0.0, start_s - SEEK_PREROLL_S)
                    container.seek(int((self.info.start_s + target) * av.time_base), backward=True)
                except av.error.FFmpegError as exc:
                    raise CorruptMediaError(self.path, f"cannot seek to {start_s:.1f} s ({exc})") from exc
            streams = [s for s in (video, audio) if s is not None]
            packets = container.demux(*streams)
            bad_run = 0
            while True:
                if self.stop_event is not None and self.stop_event.is_set():
                    rep.stopped = True
                    return
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except (av.error.FFmpegError, OSError) as exc:
                    rep.errors.append(f"reading stopped at {rep.last_media_s:.1f} s: {exc}")
                    break
                try:
                    frames = packet.decode()
                    bad_run = 0
                except (av.error.FFmpegError, ValueError) as exc:
                    rep.bad_packets += 1
                    bad_run += 1
                    if rep.bad_packets == 1:
                        rep.errors.append(f"undecodable data near {rep.last_media_s:.1f} s skipped: {exc}")
                    if bad_run >= MAX_BAD_PACKETS:
                        rep.errors.append(f"gave up at {rep.last_media_s:.1f} s after {bad_run} bad packets in a row")
                        break
                    continue
                for frame in frames:
                    if packet.stream is video:
                        self._on_video(frame)
                    else:
                        self._on_audio(frame)
                yield from self._emit(self._asm.ready())
            if audio is not None:
                self._flush_audio()
            if rep.bad_packets > 1:
                rep.errors.append(f"{rep.bad_packets} undecodable packets skipped in all")
            yield from self._emit(self._asm.finish())
            self._check_complete()
        if rep.windows == 0 and not rep.stopped:
            why = "; ".join(rep.errors) or "no audio samples or video frames came out of the decoder"
            raise CorruptMediaError(self.path, f"nothing could be decoded ({why})")

    def _check_complete(self) -> None:
        """Flag a file whose data ends well before the duration its container declares (a
        truncated upload decodes cleanly up to the cut, without any decoder error)."""
        rep, declared = self.report, self.info.duration_s
        if declared and rep.windows and rep.last_media_s < declared - max(1.0, 0.01 * declared):
            rep.errors.append(
                f"media data ends at {rep.last_media_s:.1f} s but the file declares {declared:.1f} s: "
                f"the last {declared - rep.last_media_s:.1f} s are missing (truncated file?)"
            )

    # ------------------------------------------------------------------ setup and per-frame work
    def _setup(self, video, audio) -> None:
        s, info, rep = self.settings, self.info, self.report
        self._origin = info.start_s
        self._sample_step = 1.0 / s.sample_fps
        self._shot_step = 1.0 / s.shot_fps
        start_s = self.start_index * s.clip_seconds
        self._next_sample = self._next_shot = start_s
        self._last_video_t: float | None = None
        self._frame_dur = 1.0 / info.fps if info.fps else 0.04
        self._shots = ShotBoundaryDetector(s.shot_fps, s.shot_threshold)
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE) if audio else None
        self._align_audio = audio is not None and self.start_index > 0
        self._asm = WindowAssembler(
            s.clip_seconds, AUDIO_RATE, self.start_index, has_video=video is not None, has_audio=audio is not None
        )
        self._sparse = 0
        self._recent: list[tuple[float, av.VideoFrame]] = []  # decoded frames since the last scored one
        self._recent_full = False
        self._video = video
        if video is not None:
            video.thread_type = "AUTO"
            video.thread_count = s.decode_threads
            if s.decode_skip_frames == "nonref":
                video.codec_context.skip_frame = "NONREF"
                rep.skip_mode = "nonref"
            w, h = info.width or video.codec_context.width, info.height or video.codec_context.height
            self._size = frame_size(w, h, MAX_FRAME_SIDE)
            self._shot_framer = ShotFramer(w, h, SHOT_FRAME_WIDTH)

    def _on_video(self, frame) -> None:
        rep = self.report
        prev = self._last_video_t
        t = frame.time - self._origin if frame.time is not None else (
            (prev + self._frame_dur) if prev is not None else 0.0)
        if prev is not None and t <= prev:
            return  # duplicate or reordered timestamp
        self._last_video_t = t
        if t < self._asm.start_s - 1e-6:
            return  # pre-roll after a seek
        rep.frames_decoded += 1
        rep.last_media_s = max(rep.last_media_s, t + self._frame_dur)
        self._asm.video_progress(t + self._frame_dur)
        if rep.skip_mode == "nonref" and prev is not None:
            self._check_density(t - prev)
        if len(self._recent) < _MAX_HELD_FRAMES:  # frames since the last scored one
            self._recent.append((t, frame))
        else:
            self._recent_full = True
        if t >= self._next_shot - 1e-3:
            for cut in self._shots.push(t, self._shot_framer(frame)):
                self._asm.add_cut(place_cut(self._recent, cut) if not self._recent_full else cut)
            self._recent, self._recent_full = [(t, frame)], False
            self._next_shot = self._advance(self._next_shot, self._shot_step, t)
        if t >= self._next_sample - 1e-3:
            w, h = self._size
            rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
            feature = frame_histogram(rgb)
            self._asm.add_frame(SampledFrame(t_s=t, rgb=rgb), feature)
            rep.frames_sampled += 1
            self._next_sample = self._advance(self._next_sample, self._sample_step, t)

    @staticmethod
    def _advance(target: float, step: float, t: float) -> float:
        """Next sampling time after ``t``, on the grid ``target + k*step`` (no bursts after a gap)."""
        nxt = target + step
        if nxt <= t + 1e-3:
            nxt = target + (math.floor((t - target) / step + 1e-6) + 1) * step
        return nxt

    def _check_density(self, gap: float) -> None:
        """Decode every frame if skipping non-reference frames leaves gaps wider than sampling needs."""
        if gap <= min(self._sample_step, self._shot_step) + 1e-3:
            return
        self._sparse += 1
        if self._sparse >= _SPARSE_TOLERANCE:
            self._video.codec_context.skip_frame = "DEFAULT"
            self.report.skip_mode = "none"
            self.report.notes.append("reference frames alone were too sparse for sampling: decoding every frame")

    def _on_audio(self, frame) -> None:
        if self._align_audio:
            frame = self._aligned(frame)
            if frame is None:
                return
        for out in self._resampler.resample(frame):
            self._push_audio(out)

    def _aligned(self, frame):
        """After a seek, drop the first input samples up to one whose index (counted from the
        start of the file) falls on a 16 kHz output sample, so the resampler produces samples on
        the same grid, with the same values, as a pass from the start of the file; then let every
        later frame through. ``None`` when the whole frame is dropped."""
        rate = frame.sample_rate
        if frame.pts is None or frame.time_base is None or not rate:
            self._align_audio = False
            return frame
        period = rate // math.gcd(rate, AUDIO_RATE)  # input samples per whole output-grid step
        first = round((frame.time - self._origin) * rate)
        drop = (-first) % period
        if drop >= frame.samples:
            return None
        self._align_audio = False
        if drop == 0:
            return frame
        data = frame.to_ndarray()
        channels = len(frame.layout.channels)
        data = data[:, drop:] if frame.format.is_planar else data[:, drop * channels:]
        out = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=frame.format.name, layout=frame.layout.name)
        out.sample_rate = rate
        out.time_base = frame.time_base
        out.pts = frame.pts + round(drop / rate / frame.time_base)
        return out

    def _flush_audio(self) -> None:
        try:
            for out in self._resampler.resample(None):
                self._push_audio(out)
        except (av.error.FFmpegError, ValueError) as exc:
            self.report.errors.append(f"audio resampler flush failed: {exc}")

    def _push_audio(self, out) -> None:
        samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        t = out.time - self._origin if out.time is not None else None
        end_s = self._asm.add_audio(samples, t)
        self.report.audio_s += samples.size / AUDIO_RATE
        self.report.last_media_s = max(self.report.last_media_s, end_s)

    def _emit(self, windows: list[ClipWindow]) -> Iterator[ClipWindow]:
        for window in windows:
            self.report.windows += 1
            yield window


def iter_clip_windows(
    path: str | Path,
    info: MediaInfo,
    settings: IngestSettings,
    *,
    start_index: int = 0,
    stop_event: threading.Event | None = None,
    report: DecodeReport | None = None,
) -> Iterator[ClipWindow]:
    """Generator form of :class:`ClipDecoder`; pass ``report`` to read what happened afterwards."""
    decoder = ClipDecoder(path, info, settings, start_index=start_index, stop_event=stop_event)
    if report is not None:
        decoder.report = report
    yield from decoder
