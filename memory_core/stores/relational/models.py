"""SQLAlchemy 2 models of the relational store (SQLite and PostgreSQL).

Every table holding tenant data has a non-null ``tenant_id`` that leads its indexes; the repository
puts it in every query. Wall-clock columns are :class:`UTCDateTime` (aware UTC in and out, also on
SQLite, which stores naive values). Vectors are float32 bytes (``LargeBinary``). The schema itself
is created by the Alembic migrations in ``migrations/``, never by ``create_all``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from memory_core.timeutil import ensure_aware, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")

ID = String(64)
NAME = String(255)


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that binds aware UTC and returns aware UTC on every backend.

    Naive values given to it are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_aware(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else ensure_aware(value)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable names for migrations)."""

    metadata = MetaData(naming_convention=NAMING)


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKeyRow(Base):
    """An API key of a tenant: only its hash and a short display prefix are stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(NAME)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SourceRow(Base):
    """A source (camera, device, film) of a tenant; ``id`` is :func:`memory_core.ids.source_id`."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(32), default="file")
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    retention_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaFileRow(Base):
    __tablename__ = "media_files"
    __table_args__ = (Index("ix_media_files_tenant_source", "tenant_id", "source"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    source: Mapped[str] = mapped_column(NAME)
    path: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(128))
    duration_s: Mapped[float] = mapped_column(Float)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    has_video: Mapped[bool] = mapped_column(Boolean, default=True)
    has_audio: Mapped[bool] = mapped_column(Boolean, default=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRow(Base):
    """A durable job record: ``status`` is a :class:`api_schemas.JobStatus` value, ``percent`` 0-100."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_tenant_source_created", "tenant_id", "source", "created_at"),
        Index("ix_jobs_status", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    source: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(32), default="ingest")
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(64), nullable=True)
    percent: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MemoryNodeRow(Base):
    """A :class:`~memory_core.domain.MemoryNode` without its vectors (those live in the vector store)."""

    __tablename__ = "memory_nodes"
    __table_args__ = (
        Index("ix_memory_nodes_tenant_source_level_start", "tenant_id", "source", "level", "start_at"),
        Index("ix_memory_nodes_tenant_start", "tenant_id", "start_at"),
        Index("ix_memory_nodes_tenant_parent", "tenant_id", "parent_id"),
        Index("ix_memory_nodes_tenant_media_file", "tenant_id", "media_file_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    source: Mapped[str] = mapped_column(NAME)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    media_file_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    media_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_start_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    media_end_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    entity_ids: Mapped[list] = mapped_column(JSONType, default=list)
    evidence_ids: Mapped[list] = mapped_column(JSONType, default=list)
    keyframe_paths: Mapped[list] = mapped_column(JSONType, default=list)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    provenance: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntityRow(Base):
    """An entity; ``centroid`` is ``dim`` float32 values, ``exemplars`` ``n * dim`` (row-major)."""

    __tablename__ = "entities"
    __table_args__ = (Index("ix_entities_tenant_source_kind", "tenant_id", "source", "kind"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    source: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    dim: Mapped[int | None] = mapped_column(Integer, nullable=True)
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    exemplars: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    linked_ids: Mapped[list] = mapped_column(JSONType, default=list)
    possible_duplicates: Mapped[list] = mapped_column(JSONType, default=list)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppearanceRow(Base):
    """An entity in a clip node; one row per ``(entity_id, node_id)``."""

    __tablename__ = "entity_appearances"
    __table_args__ = (
        UniqueConstraint("entity_id", "node_id"),
        Index("ix_entity_appearances_tenant_entity_start", "tenant_id", "entity_id", "start_at"),
        Index("ix_entity_appearances_tenant_node", "tenant_id", "node_id"),
        Index("ix_entity_appearances_tenant_source", "tenant_id", "source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    source: Mapped[str] = mapped_column(NAME)
    entity_id: Mapped[str] = mapped_column(ID, ForeignKey("entities.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(ID)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    media_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_start_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    media_end_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)


class IngestSegmentRow(Base):
    """Perception results of one segment of a distributed ingest job, staged between the
    ``perceive`` and ``write`` stages (``ingest_workers.distributed``); deleted once the job's
    memories are written. ``payload`` is ``ingest_workers.perception_codec`` bytes; ``eof`` says
    the decoder reached the end of the file inside this segment."""

    __tablename__ = "ingest_segments"
    __table_args__ = (Index("ix_ingest_segments_tenant_job", "tenant_id", "job_id"),)

    job_id: Mapped[str] = mapped_column(ID, primary_key=True)
    segment: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    first_clip: Mapped[int] = mapped_column(Integer)
    clip_count: Mapped[int] = mapped_column(Integer)
    eof: Mapped[bool] = mapped_column(Boolean, default=False)
    errors: Mapped[list] = mapped_column(JSONType, default=list)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
