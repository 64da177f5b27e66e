"""Models of the REST service only (``services.api``): tenants and keys, sources, pages, errors,
search, media links, curation requests and operations.

The core contract (memories, entities, jobs, answers) lives in the sibling modules; the models here
wrap or extend it with what only HTTP clients need (URLs to play a clip or show a keyframe).
Durations are seconds; sizes bytes; times aware ``datetime`` values (ISO 8601 on the wire).
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field, HttpUrl
from pydantic.json_schema import SkipJsonSchema

from api_schemas.common import BoundedDatetime, Kind, Level, ShortName, SourceList
from api_schemas.entity import EntityAppearance, EntityOut
from api_schemas.job import JobOut
from api_schemas.memory import MemoryNodeOut
from api_schemas.query import Answer, Evidence

T = TypeVar("T")

#: Tenant ids: lower-case letters, digits, ``-`` and ``_``; 2 to 63 characters.
TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,62}$"
#: Source names: letters, digits, ``.``, ``-`` and ``_``; 1 to 128 characters, no leading dot.
SOURCE_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"
#: The most items one page may hold.
MAX_PAGE = 500


# --------------------------------------------------------------------------- errors and pages
class ErrorEnvelope(BaseModel):
    """Every error answer: a stable machine-readable ``code``, a message for people and the
    ``request_id`` to quote to operators. ``details`` lists per-field problems (validation)."""

    code: str = Field(examples=["not_found"])
    message: str
    request_id: str | None = None
    details: list[dict] | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list: ``next_offset`` is the ``offset`` of the next page, ``None`` at the end."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = None


# --------------------------------------------------------------------------- tenants and keys
class TenantCreate(BaseModel):
    """A new tenant (a company, a household, a device); ``id`` is generated when omitted."""

    id: str | None = Field(default=None, pattern=TENANT_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class TenantOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    """A new API key for a tenant; ``name`` says who or what uses it."""

    name: str = Field(default="default", min_length=1, max_length=200)


class ApiKeyOut(BaseModel):
    """An API key without its secret: ``prefix`` is the visible start of the key."""

    id: str
    tenant: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    """A key just created: ``key`` is shown this once and never again (only its hash is stored)."""

    key: str


# --------------------------------------------------------------------------- sources
class SourceCreate(BaseModel):
    """A source of footage. ``retention_seconds``: footage older than that is forgotten (None: kept)."""

    name: str = Field(pattern=SOURCE_NAME_PATTERN)
    kind: Literal["file", "camera", "stream", "device"] = "file"
    retention_seconds: float | None = Field(default=None, ge=60, le=100 * 365 * 86400)


class SourceUpdate(BaseModel):
    """Change a source's retention (time to live of its footage and memories, seconds; None: forever)."""

    retention_seconds: float | None = Field(default=None, ge=60, le=100 * 365 * 86400)


class SourceOut(BaseModel):
    id: str
    name: str
    kind: str
    retention_seconds: float | None = None
    created_at: datetime
    media_files: int = 0
    media_seconds: float = 0.0
    memories: int = 0


class DeletionReport(BaseModel):
    """What a deletion removed, and what is ``remaining`` afterwards (all zeros when complete)."""

    source: str
    vectors_deleted: int = 0
    rows_deleted: int = 0
    files_deleted: int = 0
    remaining: dict[str, int] = Field(default_factory=dict)


class SweepReport(BaseModel):
    """One retention sweep: sources examined and memories, media files and files removed."""

    sources: int = 0
    nodes_deleted: int = 0
    media_files_deleted: int = 0
    files_deleted: int = 0


# --------------------------------------------------------------------------- ingest
class UrlIngest(BaseModel):
    """Ingest footage fetched from an http(s) URL (public addresses only unless allowed)."""

    url: HttpUrl = Field(description="http or https URL of a media file")
    start_time: BoundedDatetime | None = Field(default=None, description="wall-clock time of the first frame")


class PathIngest(BaseModel):
    """Ingest a file already on the server (admin only)."""

    path: str = Field(min_length=1, max_length=4096)
    start_time: BoundedDatetime | None = None


# --------------------------------------------------------------------------- no server paths
# The core models carry the server's file paths (``media_path``, ``keyframe_paths``) for the CLI
# and the local user. Tenants of the REST service see an opaque media id and URLs instead: the
# models below drop the path fields from both the JSON and the OpenAPI schema.
_NO_PATH = Field(default=None, exclude=True)


class MediaRef(BaseModel):
    """The media file behind an item: ``media_id`` (opaque) and ``media_url`` (``/v1/media/{id}``,
    the whole file with range requests), both ``None`` when the item has no media."""

    media_id: str | None = None
    media_url: str | None = None


class MemoryOut(MemoryNodeOut, MediaRef):
    """A memory with links: ``clip_url`` plays its span (HTTP range requests), ``keyframe_urls``
    are JPEG thumbnails, ``media_url`` the whole media file (``media_start_s`` seconds into it)."""

    media_path: SkipJsonSchema[str | None] = _NO_PATH
    keyframe_paths: SkipJsonSchema[list[str]] = Field(default_factory=list, exclude=True)
    clip_url: str | None = None
    keyframe_urls: list[str] = Field(default_factory=list)


class JobView(JobOut):
    """A job as tenants see it (no server path; ``result`` without path fields)."""

    media_path: SkipJsonSchema[str | None] = _NO_PATH


class EntityAppearanceOut(EntityAppearance, MediaRef):
    """One appearance of an entity, with its media file as an id and a URL."""

    media_path: SkipJsonSchema[str | None] = _NO_PATH


class EntityView(EntityOut):
    """An entity as tenants see it (timeline items with media ids, not paths)."""

    timeline: list[EntityAppearanceOut] = Field(default_factory=list)


# --------------------------------------------------------------------------- memories and search


class SearchRequest(BaseModel):
    """Raw memory search by text within levels, kinds, sources and a wall-clock range."""

    text: str = Field(min_length=1, max_length=2000)
    levels: list[Level] | None = Field(default=None, max_length=4)
    kinds: list[Kind] | None = Field(default=None, max_length=4)
    sources: SourceList | None = None
    start: BoundedDatetime | None = None
    end: BoundedDatetime | None = None
    limit: int = Field(default=10, ge=1, le=100)


class SearchHit(BaseModel):
    """A memory and its cosine similarity to the query text (in [-1, 1])."""

    score: float
    memory: MemoryOut


class SearchResponse(BaseModel):
    items: list[SearchHit]
    elapsed_ms: float = 0.0


class EvidenceOut(Evidence, MediaRef):
    """Evidence with links a person can click: the clip to watch, its keyframes and the whole
    media file (``media_start_s`` seconds into it)."""

    media_path: SkipJsonSchema[str | None] = _NO_PATH
    clip_url: str | None = None
    keyframe_urls: list[str] = Field(default_factory=list)


class AnswerOut(Answer):
    """The agent's answer; its evidence carries playable links."""

    evidence: list[EvidenceOut] = Field(default_factory=list)


# --------------------------------------------------------------------------- entities
class EntityRename(BaseModel):
    """Give an entity a name a person chose (``None`` clears it)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)


class EntityMerge(BaseModel):
    """Merge these entities (same source and kind) into the one addressed."""

    other_ids: list[ShortName] = Field(min_length=1, max_length=50)


class EntitySplit(BaseModel):
    """Move the appearances in these clip nodes to a new entity (optionally named)."""

    node_ids: list[ShortName] = Field(min_length=1, max_length=5000)
    name: str | None = Field(default=None, min_length=1, max_length=200)


class EntityDetail(EntityView):
    """An entity with its timeline; ``timeline_next_offset`` pages through long timelines."""

    timeline_next_offset: int | None = None


# --------------------------------------------------------------------------- operations
class UsageOut(BaseModel):
    """A tenant's use against its quotas (``None`` quota: unlimited)."""

    storage_bytes: int
    media_hours: float
    quota_storage_bytes: int | None = None
    quota_media_hours: float | None = None


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyOut(BaseModel):
    """Readiness: ``checks`` maps ``database``, ``vectors`` and ``models`` to ``ok`` or a reason."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
