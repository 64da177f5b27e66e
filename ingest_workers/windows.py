"""Assembling decoded frames, shot cuts and audio samples into fixed clip windows.

Independent of PyAV so that a live-stream reader can reuse it: feed it media-time-stamped data in
roughly increasing order and collect the windows that are complete.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from memory_core.domain import ClipWindow, SampledFrame

MAX_LAG_S = 10.0  # a window waits at most this long (media s) for a lagging stream
MIN_TAIL_S = 0.25  # a trailing remainder shorter than this (e.g. AAC padding) is not a window


class WindowAssembler:
    """Collects data for windows ``[i*clip_s, (i+1)*clip_s)``, ``i >= start_index``.

    Window ``i`` is complete when video has progressed past its end and audio has covered it, or
    when one stream is more than ``MAX_LAG_S`` ahead of the window end (badly interleaved or
    ending streams): memory is bounded by a few windows. Data arriving for a window already
    emitted is dropped. Audio is placed by its timestamp: gaps and a late start are zero-filled.
    """

    def __init__(self, clip_s: float, rate: int, start_index: int = 0, *, has_video: bool, has_audio: bool):
        self.clip_s = float(clip_s)
        self.rate = int(rate)
        self.has_video = has_video
        self.has_audio = has_audio
        self._next = int(start_index)
        self.start_s = self._next * self.clip_s
        self.emitted = 0
        self._video_t = self.start_s  # media s up to which video has been decoded
        self._frames: dict[int, list[tuple[SampledFrame, np.ndarray]]] = defaultdict(list)
        self._cuts: dict[int, list[float]] = defaultdict(list)
        self._chunks: list[tuple[int, np.ndarray]] = []  # (absolute first sample, samples)
        self._base = self._sample(self.start_s)  # samples before this were emitted
        self._audio_end: int | None = None  # absolute index after the last sample received

    def _sample(self, t_s: float) -> int:
        return int(round(t_s * self.rate))

    def _index(self, t_s: float) -> int:
        return int(math.floor(t_s / self.clip_s + 1e-9))

    # ------------------------------------------------------------------ input
    def video_progress(self, t_end_s: float) -> None:
        """Video has been decoded up to ``t_end_s`` media seconds."""
        self._video_t = max(self._video_t, t_end_s)

    def add_frame(self, frame: SampledFrame, feature: np.ndarray) -> None:
        """A sampled frame and its descriptor, placed by ``frame.t_s``."""
        i = self._index(frame.t_s)
        if i >= self._next:
            self._frames[i].append((frame, feature))

    def add_cut(self, t_s: float) -> None:
        """A shot boundary at ``t_s`` media seconds."""
        i = self._index(t_s)
        if i >= self._next:
            self._cuts[i].append(float(t_s))

    def add_audio(self, samples: np.ndarray, t_s: float | None) -> float:
        """Append float32 mono samples whose first one plays at ``t_s`` (``None``: right after the
        previous ones). Returns the media second audio now reaches."""
        n = int(samples.size)
        pos = self._audio_end
        if t_s is not None:
            stamped = self._sample(t_s)
            if pos is None or stamped > pos + self.rate // 2:  # first chunk, or a real gap
                pos = stamped
        if pos is None:
            pos = self._base
        self._audio_end = pos + n if self._audio_end is None else max(self._audio_end, pos + n)
        if pos + n > self._base and n:
            cut = max(0, self._base - pos)
            self._chunks.append((pos + cut, samples[cut:]))
        return self._audio_end / self.rate

    # ------------------------------------------------------------------ output
    def ready(self) -> list[ClipWindow]:
        """Windows complete so far, in order."""
        out = []
        while True:
            end = (self._next + 1) * self.clip_s
            audio_t = self._audio_end / self.rate if self._audio_end is not None else -math.inf
            video_ok = not self.has_video or self._video_t >= end - 1e-6
            audio_ok = not self.has_audio or audio_t >= end - 0.5 / self.rate
            lead = max(self._video_t if self.has_video else -math.inf, audio_t if self.has_audio else -math.inf)
            if (video_ok and audio_ok) or lead - end > MAX_LAG_S:
                out.append(self._make(end))
            else:
                return out

    def finish(self) -> list[ClipWindow]:
        """All remaining windows once every stream has ended; the last one is shorter."""
        audio_t = self._audio_end / self.rate if self._audio_end is not None else -math.inf
        end_s = max(self._video_t if self.has_video else -math.inf, audio_t if self.has_audio else -math.inf)
        out = []
        while self._next * self.clip_s < end_s:
            start = self._next * self.clip_s
            end = min(start + self.clip_s, end_s)
            if end - start < MIN_TAIL_S and self.emitted + len(out) > 0:
                break
            out.append(self._make(end))
        return out

    def _make(self, end: float) -> ClipWindow:
        i = self._next
        start = i * self.clip_s
        items = self._frames.pop(i, [])
        window = ClipWindow(
            index=i,
            media_start_s=start,
            media_end_s=end,
            frames=[f for f, _ in items],
            frame_features=[v for _, v in items],
            shot_boundaries=sorted(self._cuts.pop(i, [])),
            audio=self._take(self._sample(start), self._sample(end)) if self.has_audio else np.zeros(0, np.float32),
            has_video=self.has_video,
            has_audio=self.has_audio,
        )
        self._next += 1
        self.emitted += 1
        return window

    def _take(self, s0: int, s1: int) -> np.ndarray:
        """Samples ``[s0, s1)`` (zeros where none arrived); drops everything before ``s1``."""
        out = np.zeros(max(0, s1 - s0), dtype=np.float32)
        keep = []
        for a, arr in self._chunks:
            b = a + arr.size
            lo, hi = max(a, s0), min(b, s1)
            if hi > lo:
                out[lo - s0 : hi - s0] = arr[lo - a : hi - a]
            if b > s1:
                keep.append((a, arr) if a >= s1 else (s1, arr[s1 - a :]))
        self._chunks = keep
        self._base = s1
        return out
