"""Public contract of vidmem: pydantic v2 models shared by the CLI, the REST API and clients.

This package imports nothing from the rest of vidmem. Times are ``datetime`` values with a
timezone (serialised as ISO 8601), media offsets are seconds from the start of the media file.
"""

from api_schemas.common import Kind, Level
from api_schemas.entity import EntityAppearance, EntityKind, EntityOut
from api_schemas.ingest import IngestSummary
from api_schemas.job import JobOut, JobStatus
from api_schemas.memory import MemoryNodeOut
from api_schemas.query import Answer, Evidence, Question, QuestionType, TraceStep

__all__ = [
    "Answer",
    "EntityAppearance",
    "EntityKind",
    "EntityOut",
    "Evidence",
    "IngestSummary",
    "JobOut",
    "JobStatus",
    "Kind",
    "Level",
    "MemoryNodeOut",
    "Question",
    "QuestionType",
    "TraceStep",
]
