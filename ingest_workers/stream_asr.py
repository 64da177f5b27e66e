"""Speech recognition across clip boundaries of a live stream.

Streams perceive one clip at a time for low lag, but whisper drops a sentence cut off at the end of
its audio: a sentence that runs across a clip boundary would be lost from both clips.
:class:`ContextASR` wraps the session's ASR provider: every call is transcribed with the last
``context_s`` seconds of the previous call's audio in front, and only words after what was already
emitted are returned. A sentence cut at a boundary therefore comes out whole with the next clip
(word times stay true; the words land in that clip's memory), and nothing is transcribed twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from memory_core.domain import SpeechSegment

RATE = 16_000


class ContextASR:
    """An ``ASRProvider`` for one continuous session; ``name``/``version`` are the wrapped model's.

    Args:
        inner: the ASR provider (``transcribe(audio, offset_s)``).
        context_s: seconds of preceding audio given as context (sentences are rarely longer).
    """

    def __init__(self, inner, context_s: float = 8.0) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.context = int(context_s * RATE)
        self._tail = np.zeros(0, dtype=np.float32)
        self._tail_end: float | None = None
        self._emitted_until = -math.inf

    def transcribe(self, audio: np.ndarray, offset_s: float = 0.0, hotwords: Sequence[str] | None = None) -> list[SpeechSegment]:
        """Speech in ``audio`` (float32 mono 16 kHz starting at media ``offset_s``), plus any
        sentence from the context that earlier calls did not emit. ``hotwords`` go to the wrapped
        provider unchanged."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        contiguous = self._tail_end is not None and abs(self._tail_end - offset_s) < 0.05
        ctx = self._tail if contiguous else self._tail[:0]
        if not contiguous:  # first call, or clips were dropped in between: nothing to continue
            self._emitted_until = -math.inf
        full = np.concatenate([ctx, audio]) if ctx.size else audio
        extra = {"hotwords": list(hotwords)} if hotwords else {}
        segments = self.inner.transcribe(full, offset_s=offset_s - ctx.size / RATE, **extra)
        self._tail = full[-self.context:].copy() if self.context else full[:0]
        self._tail_end = offset_s + audio.size / RATE
        out: list[SpeechSegment] = []
        for seg in segments:
            if seg.words:
                words = [w for w in seg.words if (w.start_s + w.end_s) / 2 > self._emitted_until]
                if not words:
                    continue
                if len(words) < len(seg.words):
                    seg = SpeechSegment(start_s=words[0].start_s, end_s=words[-1].end_s,
                                        text=" ".join(w.text for w in words), words=words,
                                        avg_logprob=seg.avg_logprob, speaker_vector=seg.speaker_vector)
            elif (seg.start_s + seg.end_s) / 2 <= self._emitted_until:
                continue
            out.append(seg)
        if out:
            self._emitted_until = max(self._emitted_until, max(s.words[-1].end_s if s.words else s.end_s for s in out))
        return out
