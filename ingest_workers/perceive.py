"""Perception stage: run the configured models over clip windows.

Which frames go to which model is decided here, because the models differ in cost by orders of
magnitude on a CPU (figures: docs/models.md): every sampled frame feeds the cheap colour features
(decoder), ``face_frames_per_clip`` evenly spaced frames go to face detection, ``keyframes_per_clip``
frames that differ most become keyframes, and only ``ocr_frames_per_clip`` frames that pass the
OCR's text pre-check are read. Speech is transcribed over groups of ``asr_chunk_clips`` windows
(whisper works best on ~30 s of context), with the names already known for the source as hotwords,
then split back to clips by word timestamps; each clip's speech then has its spoken numbers
normalised (``ingest.normalise_numbers``; the recogniser's own words stay in ``raw_text``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

from memory_core.domain import ClipPerception, ClipWindow, FaceObservation, Keyframe, SpeechSegment, Word
from memory_core.logging import get_logger
from memory_core.settings import Settings
from memory_core.spoken_numbers import normalise_transcript

log = get_logger(__name__)

SAMPLE_RATE = 16_000


def evenly_spaced(n_items: int, k: int) -> list[int]:
    """Indices of ``k`` evenly spaced items out of ``n_items`` (centre-biased, no repeats)."""
    if n_items <= 0 or k <= 0:
        return []
    k = min(k, n_items)
    return sorted({int((i + 0.5) * n_items / k) for i in range(k)})


def pick_keyframes(window: ClipWindow, k: int) -> list[int]:
    """Indices of up to ``k`` frames of ``window`` that differ most (greedy farthest-point on the
    colour features), starting from the middle frame."""
    n = len(window.frames)
    if n == 0:
        return []
    feats = np.asarray(window.frame_features, dtype=np.float32) if len(window.frame_features) == n else None
    chosen = [n // 2]
    while feats is not None and len(chosen) < min(k, n):
        sims = (feats @ feats[chosen].T).max(axis=1)  # each frame's similarity to its nearest pick
        sims[chosen] = np.inf
        nxt = int(np.argmin(sims))
        if sims[nxt] > 0.995:  # nothing visibly different left
            break
        chosen.append(nxt)
    return sorted(chosen)


def encode_jpeg(rgb: np.ndarray, max_px: int, quality: int) -> tuple[bytes, int, int]:
    """JPEG bytes of ``rgb`` downscaled so its long side is at most ``max_px``; returns
    ``(bytes, width, height)`` in pixels."""
    img = Image.fromarray(rgb)
    img.thumbnail((max_px, max_px), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue(), img.width, img.height


def _downscale(rgb: np.ndarray, max_px: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    scale = min(1.0, max_px / max(h, w))
    if scale >= 1.0:
        return rgb, 1.0
    img = Image.fromarray(rgb).resize((int(w * scale), int(h * scale)), Image.Resampling.BILINEAR)
    return np.asarray(img), scale


def _unscale(box, scale: float) -> tuple[int, int, int, int]:
    """A box found on a frame downscaled by ``scale``, in the original frame's pixels."""
    x0, y0, x1, y1 = (int(round(v / scale)) for v in box)
    return x0, y0, x1, y1


_GLUED = re.compile(r"^(?:[,.:]\d|%|'(?:s|re|ll|ve|d|m|t)\b)", re.I)


def _glued(token: str) -> bool:
    """True for a whisper word token that continues the previous word without a space: the
    rest of a number or a clitic (",000", ".30", ":15", "%", "'s")."""
    return bool(_GLUED.match(token))


def _join_words(words: Sequence[Word]) -> str:
    """Words as text: a space between words, none before a glued token ("40" ",000" -> "40,000")."""
    out = ""
    for w in words:
        t = w.text.strip()
        if t:
            out = f"{out}{t}" if out and _glued(t) else f"{out} {t}" if out else t
    return out


def split_speech(segments: Sequence[SpeechSegment], windows: Sequence[ClipWindow]) -> list[list[SpeechSegment]]:
    """Assign speech to clip windows: each word goes to the window containing its midpoint, so a
    segment that crosses a clip boundary is split into per-clip pieces (sharing its speaker vector).
    A glued token (",000" after "40", ".30" after "6") stays with the word before it, so a number
    is never cut in two. Segments without words go whole to the window holding their midpoint."""
    out: list[list[SpeechSegment]] = [[] for _ in windows]

    def index_of(t: float) -> int:
        for i, w in enumerate(windows):
            if t < w.media_end_s:
                return i
        return len(windows) - 1

    for seg in segments:
        if not seg.words:
            i = index_of((seg.start_s + seg.end_s) / 2)
            out[i].append(seg)
            continue
        groups: dict[int, list[Word]] = {}
        last = None
        for w in seg.words:
            i = last if last is not None and _glued(w.text.strip()) else index_of((w.start_s + w.end_s) / 2)
            groups.setdefault(i, []).append(w)
            last = i
        for i, words in sorted(groups.items()):
            text = _join_words(words)
            if not text:
                continue
            out[i].append(
                SpeechSegment(
                    start_s=words[0].start_s,
                    end_s=words[-1].end_s,
                    text=text,
                    words=words,
                    avg_logprob=seg.avg_logprob,
                    speaker_vector=seg.speaker_vector,
                )
            )
    return out


def normalise_segment(seg: SpeechSegment) -> SpeechSegment:
    """Normalise ``seg.text`` in place (spoken numbers, times, money, codes: see
    :func:`memory_core.spoken_numbers.normalise_transcript`); the recogniser's text is kept in
    ``seg.raw_text`` when it changed. Words keep the recogniser's tokens (their times are true).
    Returns ``seg``."""
    raw = seg.raw_text if seg.raw_text is not None else seg.text
    text = normalise_transcript(raw)
    seg.text, seg.raw_text = text, (raw if text != raw else None)
    return seg


class Perceiver:
    """Runs the configured providers over groups of clip windows.

    Args:
        providers: a ``ProviderRegistry`` (models load lazily on first use).
        settings: vidmem settings (``ingest`` decides frame budgets).
    """

    def __init__(self, providers, settings: Settings) -> None:
        self.providers = providers
        self.s = settings.ingest
        self.asr = providers.asr()
        self.ocr = providers.ocr()
        self.faces = providers.faces()
        self.voices = providers.voices()
        self.image_text = providers.image_text()
        self.captioner = providers.captioner()
        self.provenance = {
            role: f"{p.name}@{p.version}"
            for role, p in (
                ("asr", self.asr),
                ("ocr", self.ocr),
                ("faces", self.faces),
                ("voices", self.voices),
                ("image_text", self.image_text),
                ("captioner", self.captioner),
            )
            if p is not None
        }

    # ------------------------------------------------------------------ audio
    def _speech(self, windows: Sequence[ClipWindow], hotwords: Sequence[str] | None) -> list[list[SpeechSegment]]:
        if self.asr is None or not any(w.audio.size for w in windows):
            return [[] for _ in windows]
        audio = np.concatenate([w.audio for w in windows]).astype(np.float32, copy=False)
        offset = windows[0].media_start_s
        extra = {"hotwords": list(hotwords)} if hotwords else {}  # providers without hotwords still work
        segments = self.asr.transcribe(audio, offset_s=offset, **extra)
        if self.voices is not None:
            for seg in segments:
                a = int(max(0.0, seg.start_s - offset) * SAMPLE_RATE)
                b = int(max(0.0, seg.end_s - offset) * SAMPLE_RATE)
                seg.speaker_vector = self.voices.embed(audio[a:b]) if b > a else None
        per_clip = split_speech(segments, windows)
        if self.s.normalise_numbers:
            for segs in per_clip:
                for seg in segs:
                    normalise_segment(seg)
        return per_clip

    # ------------------------------------------------------------------ frames
    def _visual(self, window: ClipWindow, out: ClipPerception) -> None:
        frames = window.frames
        if not frames:
            return
        chosen = pick_keyframes(window, self.s.keyframes_per_clip)
        for i in chosen:
            f = frames[i]
            jpeg, w, h = encode_jpeg(f.rgb, self.s.keyframe_max_px, self.s.keyframe_quality)
            feats = window.frame_features[i] if i < len(window.frame_features) else None
            out.keyframes.append(Keyframe(t_s=f.t_s, jpeg=jpeg, width=w, height=h, features=feats))
        if self.image_text is not None and out.keyframes:
            vecs = self.image_text.embed_images([frames[i].rgb for i in chosen])
            for kf, v in zip(out.keyframes, vecs, strict=False):
                kf.image_vector = np.asarray(v, dtype=np.float32)
        if self.faces is not None and self.s.face_frames_per_clip > 0:
            for i in evenly_spaced(len(frames), self.s.face_frames_per_clip):
                small, scale = _downscale(frames[i].rgb, self.s.face_max_px)
                for box, desc, score in self.faces.detect(small):
                    out.faces.append(FaceObservation(t_s=frames[i].t_s, box=_unscale(box, scale), descriptor=desc, score=score))
        if self.ocr is not None and self.s.ocr_frames_per_clip > 0:
            seen: set[str] = set()
            for i in evenly_spaced(len(frames), self.s.ocr_frames_per_clip):
                rgb, scale = _downscale(frames[i].rgb, self.s.ocr_max_px)
                check = getattr(self.ocr, "likely_has_text", None)
                if check is not None and not check(rgb):
                    continue
                for line in self.ocr.read(rgb, t_s=frames[i].t_s):
                    key = " ".join(line.text.lower().split())
                    if key not in seen:
                        seen.add(key)
                        if line.box is not None:
                            line.box = _unscale(line.box, scale)
                        out.ocr.append(line)
        if self.captioner is not None:
            try:
                out.caption = self.captioner.caption([frames[i].rgb for i in chosen]) or None
            except Exception as exc:  # a captioner failure degrades the clip, never the ingest
                out.skipped.append(f"caption: {exc}")
                log.warning("caption failed", clip=window.index, error=str(exc))

    def perceive(self, windows: Sequence[ClipWindow], hotwords: Sequence[str] | None = None) -> list[ClipPerception]:
        """Perception for a group of consecutive windows (one ASR call for the group).

        ``hotwords``: names known for the windows' source (``ingest_workers.hotwords``), given
        to ASR for this call only (a perceiver may serve several sources and tenants).
        Returns one ``ClipPerception`` per window, in order.
        """
        speech = self._speech(windows, hotwords)
        results = []
        for window, segs in zip(windows, speech, strict=True):
            out = ClipPerception(window=window, speech=segs, provenance=dict(self.provenance))
            if not window.has_audio:
                out.skipped.append("audio: no audio stream")
            if not window.has_video:
                out.skipped.append("video: no video stream")
            self._visual(window, out)
            results.append(out)
        return results
