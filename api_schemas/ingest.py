"""Summary printed by ``vidmem ingest`` and returned by the ingest endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class IngestSummary(BaseModel):
    """Outcome of ingesting one media file into a source.

    ``counts`` maps ``"<level>"`` and ``"<kind>"`` names (e.g. ``"clip"``, ``"episodic"``) and
    ``"entities"`` to the number of memories written; ``skipped`` lists what a partial ingest left
    out (e.g. ``"audio: no audio stream"``) so a partial result is never silent.
    """

    source: str
    job_id: str
    status: str = Field(description="'succeeded', 'partial' or 'failed'")
    media_path: str
    media_seconds: float = Field(ge=0, description="duration of the ingested media, seconds")
    start_time: datetime = Field(description="wall-clock time of the first frame, with timezone")
    counts: dict[str, int] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
    error: str | None = None
    elapsed_s: float = Field(ge=0, description="wall-clock seconds the ingest took")
