"""Entities (people, voices, names, on-screen text) and their timelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class EntityKind(StrEnum):
    """What an entity is identified by."""

    FACE = "face"  # a person by face descriptors
    VOICE = "voice"  # a speaker by voice embeddings
    NAME = "name"  # a name heard or read
    TEXT = "text"  # an on-screen text string


class EntityAppearance(BaseModel):
    """One appearance of an entity: wall-clock span, media span and the clip it is in."""

    node_id: str
    start: datetime
    end: datetime
    media_path: str | None = None
    media_start_s: float | None = None
    media_end_s: float | None = None
    confidence: float = 1.0


class EntityOut(BaseModel):
    """An entity with its display name, linked entities and (optionally) its timeline.

    ``linked_ids`` are entities judged to be the same real-world person (e.g. a face and the voice
    heard while it is on screen, or a name introduced by that voice). ``possible_duplicates`` are
    candidates that were *not* merged automatically and await a person's decision.
    """

    id: str
    source: str
    kind: EntityKind
    name: str | None = None
    label: str
    appearance_count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    linked_ids: list[str] = Field(default_factory=list)
    possible_duplicates: list[str] = Field(default_factory=list)
    timeline: list[EntityAppearance] = Field(default_factory=list)
