"""A memory node as clients see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api_schemas.common import Kind, Level


class MemoryNodeOut(BaseModel):
    """One memory: its place in the hierarchy, its span in media and wall-clock time, its text.

    ``start``/``end`` are wall-clock times with a timezone; ``media_start_s``/``media_end_s`` are
    seconds from the start of ``media_path``. ``parent_id`` is the node one level up (clip ->
    scene -> event -> story); semantic memories have no parent and list ``evidence_ids``.
    """

    id: str
    source: str
    level: Level
    kind: Kind
    parent_id: str | None = None
    start: datetime
    end: datetime
    media_path: str | None = None
    media_start_s: float | None = None
    media_end_s: float | None = None
    text: str
    entity_ids: list[str] = Field(default_factory=list)
    evidence_ids: list[str] = Field(default_factory=list)
    keyframe_paths: list[str] = Field(default_factory=list)
    attributes: dict = Field(default_factory=dict)
    provenance: dict[str, str] = Field(default_factory=dict)
