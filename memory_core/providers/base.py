"""What each perception model is, apart from how it runs.

Providers are small classes behind these interfaces; ``memory_core.providers.registry`` maps a
name from settings to a class and loads it lazily, once, under a per-model lock. Every provider
exposes ``name`` and ``version`` for provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from memory_core.domain import Box, OcrLine, SpeechSegment


@runtime_checkable
class ASRProvider(Protocol):
    """Speech recognition with VAD and word timestamps."""

    name: str
    version: str

    def transcribe(self, audio: np.ndarray, offset_s: float = 0.0, hotwords: Sequence[str] | None = None) -> list[SpeechSegment]:
        """Transcribe float32 mono 16 kHz ``audio``; returned times are ``offset_s`` + audio time.
        ``hotwords``: names to favour (callers pass it only when there are some)."""


@runtime_checkable
class TextEmbedder(Protocol):
    """Sentence embeddings compared by cosine."""

    name: str
    version: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised, for passages."""

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised, for a search query."""


@runtime_checkable
class OCRProvider(Protocol):
    """On-screen text reader."""

    name: str
    version: str

    def read(self, rgb: np.ndarray, t_s: float = 0.0) -> list[OcrLine]:
        """Lines of text in an HxWx3 uint8 RGB frame at media time ``t_s``."""


@runtime_checkable
class FaceProvider(Protocol):
    """Face detection plus a 128-d identity descriptor per face."""

    name: str
    version: str
    dim: int

    def detect(self, rgb: np.ndarray) -> list[tuple[Box, np.ndarray, float]]:
        """``(box, descriptor, score)`` for each face in an RGB frame; boxes in that frame's pixels."""


@runtime_checkable
class VoiceProvider(Protocol):
    """Speaker embedding of a speech segment."""

    name: str
    version: str
    dim: int

    def embed(self, audio: np.ndarray) -> np.ndarray | None:
        """(dim,) L2-normalised embedding of float32 mono 16 kHz speech, or None if too short."""


@runtime_checkable
class ImageTextEmbedder(Protocol):
    """CLIP/SigLIP-style joint image-text embedding."""

    name: str
    version: str
    dim: int

    def embed_images(self, images: list[np.ndarray]) -> np.ndarray:
        """(n, dim) L2-normalised vectors of RGB frames."""

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """(n, dim) L2-normalised vectors of texts in the same space."""


@runtime_checkable
class Captioner(Protocol):
    """Vision-language model that describes frames."""

    name: str
    version: str

    def caption(self, images: list[np.ndarray], prompt: str | None = None) -> str:
        """One caption for a short sequence of RGB frames."""


@runtime_checkable
class LLMClient(Protocol):
    """Chat completions (OpenAI-compatible)."""

    name: str
    version: str

    def complete(self, system: str, user: str, *, max_tokens: int | None = None) -> str:
        """The assistant's reply text. Raises ``LLMError`` on transport or protocol errors."""


class ProviderError(RuntimeError):
    """A provider could not be loaded or failed at inference; the message says which and why."""


class LLMError(ProviderError):
    """The LLM endpoint failed (after retries) or answered something unusable."""
