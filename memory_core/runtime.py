"""The wired-up core: settings, stores and providers, opened once per process.

``Runtime`` is what the CLI, the REST service and the workers share. It is cheap to build (stores
open; models load lazily on first use) and safe to use from several threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from memory_core.logging import configure_from_settings, get_logger
from memory_core.settings import Settings, get_settings

log = get_logger(__name__)


@dataclass
class Runtime:
    """Stores and providers for one ``Settings``.

    Attributes:
        settings: the configuration.
        repo: relational store (``SqlRepository``).
        vectors: vector store (qdrant-edge embedded by default).
        providers: lazy, thread-safe model registry.
        keyframes: keyframe JPEG store under ``settings.keyframes_dir``.
    """

    settings: Settings
    repo: object
    vectors: object
    providers: object
    keyframes: object
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _agent: object | None = field(default=None, repr=False)
    _collection_ready: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, settings: Settings | None = None, *, vectors: bool = True) -> "Runtime":
        """Open the stores named by ``settings`` (default: from the environment).

        ``vectors=False`` leaves the vector store closed (``rt.vectors`` is ``None``): for the
        ``decode`` and ``perceive`` workers of a distributed ingest, which never touch it, so the
        embedded store stays owned by one process.

        Raises:
            sqlalchemy.exc.OperationalError: when the database cannot be reached.
        """
        from memory_core.providers.registry import ProviderRegistry
        from memory_core.stores.factory import open_repository, open_vector_store
        from memory_core.stores.keyframes import KeyframeStore

        settings = settings or get_settings()
        configure_from_settings(settings)
        settings.home.mkdir(parents=True, exist_ok=True)
        repo = open_repository(settings)
        rt = cls(
            settings=settings,
            repo=repo,
            vectors=open_vector_store(settings) if vectors else None,
            providers=ProviderRegistry(settings),
            keyframes=KeyframeStore(settings.keyframes_dir),
        )
        repo.ensure_tenant(settings.default_tenant)
        return rt

    def ensure_collection(self) -> None:
        """Create the vector collection with the text embedder's dimension (loads the embedder).

        The image vector is added when an image-text model is configured.
        """
        if self._collection_ready:
            return
        with self._lock:
            if self._collection_ready:
                return
            embedder = self.providers.text_embedder()
            image = self.providers.image_text()
            self.vectors.ensure_collection(embedder.dim, image.dim if image is not None else None)
            self._collection_ready = True

    @property
    def agent(self):
        """The retrieval agent (built on first use)."""
        if self._agent is None:
            with self._lock:
                if self._agent is None:
                    from memory_core.retrieval.agent import RetrievalAgent

                    self._agent = RetrievalAgent(
                        self.repo,
                        self.vectors,
                        self.providers.text_embedder(),
                        self.settings.retrieval,
                        llm=self.providers.llm(),
                        nlp=self.providers.nlp,  # loaded on the first answer that needs it
                    )
        self.ensure_collection()
        return self._agent

    def close(self) -> None:
        """Close the stores. The embedded vector store's ``close`` flushes pending writes itself (a
        separate ``flush`` first cost a second ~0.2 s flush on every CLI command); the server
        backend has nothing to flush."""
        if self.vectors is None:
            return
        self.vectors.close()
