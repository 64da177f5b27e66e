"""Speaker embeddings with Resemblyzer (a GE2E LSTM voice encoder, 256-d).

Model source: ``pretrained.pt`` (17 MB) ships inside the ``resemblyzer`` package (Apache-2.0),
installed with ``--no-deps`` plus ``librosa`` and ``webrtcvad-wheels`` (``vidmem[voices]``).

Pre-processing follows ``resemblyzer.preprocess_wav`` for audio that is already 16 kHz mono
float32 (so no resampling): volume normalised up to -30 dBFS (never down), then long silences
trimmed with webrtcvad (mode 3, 30 ms windows). Guards added around it: NaN/inf become 0, samples
are clipped to [-1, 1] before the int16 conversion (which would otherwise wrap), digital silence
is rejected before the dBFS computation (log of 0), and audio with less than 1 s of voice left
after trimming gives ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from memory_core.settings import Settings

SAMPLE_RATE = 16_000
MIN_SPEECH_S = 1.0
EMBED_DIM = 256


class ResemblyzerVoices:
    """``embed(audio) -> (256,) float32 L2-normalised`` or ``None`` for < 1 s of speech.

    Thread-safe (inference only). Same speaker typically scores ~0.8-0.9 cosine, different
    speakers lower, but the margin is small: use it with a threshold learned on your data.
    """

    dim = EMBED_DIM

    def __init__(self, *, device: str = "cpu", threads: int = 0, min_speech_s: float = MIN_SPEECH_S) -> None:
        from importlib.metadata import version

        import torch
        from resemblyzer import VoiceEncoder, audio
        from resemblyzer.hparams import audio_norm_target_dBFS

        if threads > 0:
            torch.set_num_threads(threads)
        self._encoder = VoiceEncoder(device=device, verbose=False)
        self._encoder.eval()
        self._audio = audio
        self._target_dbfs = audio_norm_target_dBFS  # -30
        self.min_speech_s = min_speech_s
        self.name = "resemblyzer/ge2e"
        self.version = f"resemblyzer-{version('resemblyzer')}/pretrained.pt"
        # Warm up here, not on the first clip: librosa's first mel spectrogram imports numba (seconds).
        rng = np.random.default_rng(0)
        self._encoder.embed_utterance((rng.standard_normal(int(1.6 * SAMPLE_RATE)) * 0.05).astype(np.float32))

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> ResemblyzerVoices:
        """Build on ``settings.models.device``."""
        return cls(device=settings.models.device, threads=threads)

    def preprocess(self, audio: np.ndarray) -> np.ndarray:
        """``preprocess_wav`` for 16 kHz float32 input, with the guards listed in the module doc.

        Returns the voiced samples (possibly empty), float32, within [-1, 1].
        """
        wav = np.nan_to_num(np.asarray(audio, dtype=np.float32).reshape(-1), nan=0.0, posinf=0.0, neginf=0.0)
        wav = np.clip(wav, -1.0, 1.0)
        if wav.size == 0 or float(np.sqrt(np.mean(wav.astype(np.float64) ** 2))) < 1e-5:
            return np.zeros(0, dtype=np.float32)
        wav = self._audio.normalize_volume(wav, self._target_dbfs, increase_only=True)
        wav = np.clip(wav, -1.0, 1.0).astype(np.float32)
        return np.asarray(self._audio.trim_long_silences(wav), dtype=np.float32)

    def embed(self, audio: np.ndarray) -> np.ndarray | None:
        """Speaker vector of float32 mono 16 kHz ``audio``; None when under ``min_speech_s`` of voice."""
        audio = np.asarray(audio).reshape(-1)
        if audio.size < self.min_speech_s * SAMPLE_RATE:
            return None
        wav = self.preprocess(audio)
        if wav.size < self.min_speech_s * SAMPLE_RATE:
            return None
        vec = np.asarray(self._encoder.embed_utterance(wav), dtype=np.float32)
        norm = float(np.linalg.norm(vec))
        if not np.isfinite(norm) or norm < 1e-6:
            return None
        return (vec / norm).astype(np.float32)
