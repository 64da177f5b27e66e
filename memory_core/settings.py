"""The one settings object (pydantic-settings). Nothing else in vidmem reads ``os.environ``.

Every field can be set by an environment variable with the ``VIDMEM_`` prefix and ``__`` for
nesting, e.g. ``VIDMEM_HOME=/data/vidmem``, ``VIDMEM_INGEST__CLIP_SECONDS=5``,
``VIDMEM_MODELS__ASR=small``, ``VIDMEM_LLM__BASE_URL=http://127.0.0.1:8000/v1``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseModel):
    """How footage is cut and sampled. Seconds unless stated; sizes in pixels."""

    clip_seconds: float = Field(10.0, gt=0.5, le=600, description="clip window length")
    sample_fps: float = Field(1.0, gt=0, le=30, description="frames per second handed to perception")
    shot_fps: float = Field(4.0, gt=0, le=60, description="frames per second scored for shot boundaries")
    shot_threshold: float = Field(27.0, gt=0, description="PySceneDetect ContentDetector threshold")
    scene_max_seconds: float = Field(120.0, gt=0, description="upper bound on a scene's length")
    scene_merge_similarity: float = Field(0.55, ge=0, le=1, description="cosine above which adjacent clips join a scene")
    event_gap_seconds: float = Field(120.0, gt=0, description="wall-clock gap that always starts a new event")
    event_max_seconds: float = Field(1800.0, gt=0, description="upper bound on an event's length")
    event_topic_similarity: float = Field(0.35, ge=0, le=1, description="cosine below which a topic change starts a new event")
    story_span: Literal["file", "hour", "day"] = Field("hour", description="story granularity within a file")
    keyframe_max_px: int = Field(320, ge=32, le=4096, description="long side of stored keyframe JPEGs")
    keyframe_quality: int = Field(80, ge=10, le=100)
    keyframes_per_clip: int = Field(2, ge=1, le=16)
    ocr_frames_per_clip: int = Field(1, ge=0, le=16, description="frames per clip given to OCR (the costliest model)")
    face_max_px: int = Field(640, ge=64, description="frames are downscaled to this long side for face detection")
    max_pixels: int = Field(8192 * 8192, description="frames larger than this are rejected as absurd")
    max_media_seconds: float = Field(14 * 24 * 3600.0, description="longer media is refused")
    decode_threads: int = Field(0, ge=0, description="PyAV decoder threads, 0 = auto")


class ModelSettings(BaseModel):
    """Perception models, chosen by provider name (see memory_core.providers.registry).

    ``"offline"`` names resolve to weights shipped inside packages (docs/models.md); any hub name
    (e.g. ``asr="small"``, ``text_embedder="sentence-transformers/all-mpnet-base-v2"``) works
    where a model hub is reachable. ``"none"`` disables a provider.
    """

    asr: str = "offline"  # faster-whisper model: "offline" (packaged tiny.en), a size name, or a path
    asr_compute_type: str = "int8"
    asr_beam_size: int = Field(1, ge=1, le=10)
    asr_language: str | None = None
    text_embedder: str = "offline"  # sentence-transformers name or path; "offline" = packaged all-MiniLM-L6-v2
    ocr: str = "rapidocr"  # "rapidocr" | "none"
    faces: str = "dlib"  # "dlib" | "none"
    voices: str = "resemblyzer"  # "resemblyzer" | "none"
    image_text: str = "none"  # a CLIP/SigLIP name or path for transformers, or "none"
    captioner: str = "none"  # a VLM (image-to-text) name or path for transformers, or "none"
    device: str = "cpu"
    threads: int = Field(0, ge=0, description="intra-op threads for torch/ctranslate2/onnxruntime; 0 = cores")


class LLMSettings(BaseModel):
    """OpenAI-compatible chat completions endpoint (vLLM, llama.cpp server, Ollama)."""

    base_url: str | None = None
    model: str = "default"
    api_key: SecretStr | None = None
    timeout_s: float = Field(60.0, gt=0)
    max_tokens: int = Field(512, ge=16)
    temperature: float = Field(0.1, ge=0, le=2)


class VectorSettings(BaseModel):
    """Vector store: ``edge`` (embedded qdrant-edge, default), ``qdrant`` (server via qdrant-client
    ``url``) or ``qdrant-local`` (qdrant-client's local mode; small collections only)."""

    backend: Literal["edge", "qdrant", "qdrant-local"] = "edge"
    url: str | None = None
    api_key: SecretStr | None = None
    collection: str = "vidmem_memories"
    shard_number: int = Field(1, ge=1)
    replication_factor: int = Field(1, ge=1)
    hnsw_ef: int = Field(128, ge=8)


class RetrievalSettings(BaseModel):
    """Retrieval agent knobs; budgets can be overridden per question."""

    beam_width: int = Field(4, ge=1, le=32)
    max_steps: int = Field(24, ge=1)
    time_budget_s: float = Field(5.0, gt=0)
    min_evidence_score: float = Field(0.35, ge=-1, le=1, description="cosine below which evidence is weak")
    sufficient_score: float = Field(0.55, ge=-1, le=1, description="cosine at which evidence suffices")
    per_level_limit: int = Field(8, ge=1, le=200)


class Settings(BaseSettings):
    """All of vidmem's configuration. ``home`` is the data folder (database, vectors, keyframes)."""

    model_config = SettingsConfigDict(env_prefix="VIDMEM_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".vidmem")
    environment: Literal["development", "test", "production"] = "development"
    default_tenant: str = "default"
    database_url: str | None = None  # default: sqlite:///<home>/vidmem.db
    admin_key: SecretStr | None = None
    log_level: str = "INFO"
    log_json: bool = False

    ingest: IngestSettings = Field(default_factory=IngestSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    vector: VectorSettings = Field(default_factory=VectorSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.environment == "production" and self.admin_key is not None:
            if len(self.admin_key.get_secret_value()) < 24:
                raise ValueError("VIDMEM_ADMIN_KEY must be at least 24 characters in production")
        return self

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL of the relational store."""
        return self.database_url or f"sqlite:///{self.home / 'vidmem.db'}"

    @property
    def vectors_dir(self) -> Path:
        """Folder of the embedded vector store."""
        return self.home / "vectors"

    @property
    def keyframes_dir(self) -> Path:
        """Folder of keyframe JPEGs: ``<tenant>/<source>/<clip id>/<n>.jpg``."""
        return self.home / "keyframes"

    @property
    def media_dir(self) -> Path:
        """Folder of uploaded media owned by vidmem (ingested paths are referenced, not copied)."""
        return self.home / "media"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings read once from the environment."""
    return Settings()
