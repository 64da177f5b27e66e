"""What every memory builder needs for one media file: who, where, which models, which settings."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from memory_core.domain import MediaFile
from memory_core.providers.base import LLMClient, TextEmbedder
from memory_core.settings import Settings

EMBED_CACHE = 512


@dataclass
class BuildContext:
    """The tenant, source and media file being built, with the models and settings to use.

    Attributes:
        tenant: tenant id; every node and entity is written under it.
        source: source name (a camera, a device, a film) within the tenant.
        media: the media file; ``media.start_time`` is the wall-clock time of media second 0.
        settings: vidmem settings (``settings.ingest`` holds the scene/event/story knobs).
        embedder: text embedder; node vectors are its L2-normalised float32 output.
        llm: optional chat model for summaries and facts; ``None`` means extractive only.
        provenance: role -> "model@version" of the perception models that fed this file;
            ``text_embedder`` is filled in from ``embedder`` when missing.
    """

    tenant: str
    source: str
    media: MediaFile
    settings: Settings
    embedder: TextEmbedder
    llm: LLMClient | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.provenance = dict(self.provenance)
        self.provenance.setdefault("text_embedder", model_tag(self.embedder))
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def wall(self, media_s: float) -> datetime:
        """Wall-clock time (aware UTC) of media second ``media_s`` of this file."""
        return self.media.start_time + timedelta(seconds=float(media_s))

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, each row L2-normalised (re-normalised defensively).

        The last ``EMBED_CACHE`` distinct texts are remembered: a parent whose summary equals its
        only child's (an event of one scene, a story of one event) costs no model call."""
        if not texts:
            return np.zeros((0, int(getattr(self.embedder, "dim", 0))), dtype=np.float32)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vecs = normalise_rows(np.asarray(self.embedder.embed(missing), dtype=np.float32))
            for t, v in zip(missing, vecs):
                self._cache[t] = v
        for t in texts:
            self._cache.move_to_end(t)
        rows = np.stack([self._cache[t].copy() for t in texts])
        while len(self._cache) > EMBED_CACHE:
            self._cache.popitem(last=False)
        return rows


def model_tag(model: object) -> str:
    """``"name@version"`` of a provider (``name`` alone when it has no version)."""
    name = str(getattr(model, "name", type(model).__name__))
    version = getattr(model, "version", None)
    return f"{name}@{version}" if version else name


def normalise_rows(vecs: np.ndarray) -> np.ndarray:
    """Rows of ``vecs`` divided by their L2 norm (zero rows stay zero), as float32."""
    vecs = np.asarray(vecs, dtype=np.float32)
    if vecs.ndim == 1:
        n = float(np.linalg.norm(vecs))
        return vecs / n if n > 0 else vecs
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vecs / norms).astype(np.float32)
