"""Questions, answers, evidence and the agent's trace."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from api_schemas.common import BoundedDatetime, Kind, Level, SourceList


class QuestionType(StrEnum):
    """What the question asks for; decides how the deterministic answer is composed."""

    WHEN = "when"
    WHO = "who"
    WHERE = "where"
    WHAT = "what"
    HOW_MANY = "how_many"
    CURRENT_STATE = "current_state"
    ORDER = "order"


class Question(BaseModel):
    """A plain-language question with optional scope and budget.

    ``now`` anchors relative time expressions ('yesterday', 'on Tuesday'); ``start``/``end`` limit
    the wall-clock range searched; ``max_steps`` and ``time_budget_s`` bound the agent's work.
    Times fall in the years 1970..2200 and ``sources`` holds at most 100 names of at most 255
    characters (``api_schemas.common``); anything else is a validation error.
    """

    text: str = Field(min_length=1, max_length=2000)
    sources: SourceList | None = None
    now: BoundedDatetime | None = None
    start: BoundedDatetime | None = None
    end: BoundedDatetime | None = None
    max_steps: int = Field(default=24, ge=1, le=200)
    time_budget_s: float = Field(default=5.0, gt=0, le=120)
    top_k: int = Field(default=5, ge=1, le=50)


class Evidence(BaseModel):
    """A moment that supports the answer: wall-clock span and the media span that shows it."""

    source: str
    start: datetime
    end: datetime
    media_path: str | None = None
    media_start_s: float | None = None
    media_end_s: float | None = None
    level: Level
    kind: Kind
    text: str
    score: float
    node_id: str | None = None


class TraceStep(BaseModel):
    """One step of the retrieval agent: what it searched, what it found, what it decided."""

    step: int
    action: str  # e.g. "parse", "search", "descend", "backtrack", "stop", "answer"
    level: Level | None = None
    kind: Kind | None = None
    detail: str = ""
    candidates: int = 0
    best_score: float | None = None
    elapsed_ms: float = 0.0


class Answer(BaseModel):
    """The agent's answer with its evidence (best first) and trace.

    ``sufficient`` is False when the answer is 'not enough evidence'.
    """

    question: str
    answer: str
    question_type: QuestionType = QuestionType.WHAT
    sufficient: bool = True
    evidence: list[Evidence] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)
    elapsed_ms: float = 0.0
    scored_candidates: int = 0
