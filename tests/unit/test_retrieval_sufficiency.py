"""Sufficiency: which hits count as evidence (``SearchContext.is_evidence``)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from api_schemas import Kind, Level
from memory_core.retrieval.context import Query, Scored, SearchContext
from memory_core.retrieval.lexical import LexicalScorer
from memory_core.settings import RetrievalSettings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ctx() -> SearchContext:
    return SearchContext(None, RetrievalSettings(), "t1", None, None, None, 24, 5.0)


def _query(keywords: list[str]) -> Query:
    return Query(" ".join(keywords), np.zeros(4, dtype=np.float32), LexicalScorer(keywords), frozenset())


def _hit(kind: Kind, text: str, score: float, lexical: float = 0.0) -> Scored:
    return Scored("n1", Level.STORY if kind is Kind.ENTITY else Level.CLIP, kind, "cam", T0, T0, text,
                  score, lexical, score)


TIMELINE = "Oskar Lind (name): mentioned in 4 clips between 2026-03-02 09:00:00 UTC and 2026-03-04 18:00:00 UTC."


@pytest.mark.parametrize("keywords, expected", [
    (["oskar", "bicycle"], False),          # "what colour is Oskar's bicycle?": the timeline holds only the name
    (["oskar", "email", "address"], False),  # "what is Oskar's email address?"
    (["oskar"], True),                       # "when did I last see Oskar?": the timeline answers it
    (["oskar", "lind"], True),
])
def test_entity_timeline_is_evidence_only_for_what_it_holds(keywords, expected):
    ctx = _ctx()
    assert ctx.is_evidence(_hit(Kind.ENTITY, TIMELINE, 0.74, 0.6), _query(keywords)) is expected


def test_a_strong_episodic_hit_with_the_name_alone_still_counts():
    """Only entity timelines are gated by their words: a clip keeps the score rule."""
    ctx = _ctx()
    clip = "Mia said: 'Oskar rode off on the new bicycle.'"
    assert ctx.is_evidence(_hit(Kind.EPISODIC, clip, 0.74, 0.3), _query(["oskar", "email", "address"]))


def test_an_on_screen_text_memory_stays_evidence():
    """A text entity's memory holds the sign itself: "which exit did the sign show?"."""
    ctx = _ctx()
    sign = "On-screen text 'EXIT B - HARBOUR ROAD': shown in 2 clips between 2026-03-02 09:00:00 UTC and 2026-03-02 09:01:00 UTC."
    assert ctx.is_evidence(_hit(Kind.ENTITY, sign, 0.6, 0.3), _query(["exit", "sign", "show"]))
