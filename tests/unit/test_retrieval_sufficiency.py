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


# ------------------------------------------------------------------ typed sufficiency (gate and rescue)
from memory_core.retrieval.answer_types import AnswerType  # noqa: E402
from memory_core.retrieval.extract import Extraction  # noqa: E402
from memory_core.retrieval.sufficiency import alignment, typed_sufficiency  # noqa: E402

S = RetrievalSettings()


def _ex(atype: AnswerType, answer: str, sentence: str, speaker: str | None = "Mia", onscreen: bool = False,
        timestamp: bool = False) -> Extraction:
    return Extraction(atype, answer, answer, sentence, speaker, onscreen, 0, 0.5, timestamp)


def test_alignment_counts_the_sentence_the_speaker_and_screen_words():
    ex = _ex(AnswerType.NUMBER, "14", "The locker is number 14.", speaker="Oskar")
    assert alignment(["oskar", "locker", "gym"], ex) == pytest.approx(2 / 3)
    sign = _ex(AnswerType.NUMBER, "14", "LOCKERS 1-20 - ROW 14", speaker=None, onscreen=True)
    assert alignment(["row", "sign"], sign) == 1.0
    assert alignment([], ex) == 0.0


@pytest.mark.parametrize("atype", [AnswerType.NUMBER, AnswerType.MONEY, AnswerType.PLACE])
def test_gate_a_number_money_or_place_question_without_such_a_span_is_not_answered(atype):
    """'What is Oskar's email?' scored high on 'Oskar sent me an email' but no span holds the answer."""
    assert typed_sufficiency(True, atype, None, ["oskar", "email"], 0.72, S) == (False, f"gate: no {atype.value} span in the evidence")


@pytest.mark.parametrize("atype", [AnswerType.PERSON, AnswerType.DESCRIPTION, AnswerType.OBJECT])
def test_gate_leaves_other_types_to_the_score_rule(atype):
    assert typed_sufficiency(True, atype, None, ["oskar", "email"], 0.72, S) == (True, "")


def test_rescue_a_weak_hit_with_an_aligned_span_of_the_type():
    """'How long was the hike on Sunday?' -> 'We hiked about twelve kilometres.' scored 0.45 (mid zone,
    keyword coverage under the lexical bar); the number sits in a sentence with the question's words."""
    ex = _ex(AnswerType.NUMBER, "12", "We hiked about twelve kilometres along the ridge.")
    ok, rule = typed_sufficiency(False, AnswerType.NUMBER, ex, ["long", "hike", "ridge"], 0.45, S)
    assert ok and rule.startswith("rescue: number span")


@pytest.mark.parametrize("ex, keywords, top", [
    # the span's sentence holds too few of the question's words ("code of the *bike lock*" vs a door code)
    (_ex(AnswerType.NUMBER, "4471", "The code for the back door is 4471."), ["code", "bike", "lock"], 0.48),
    # too weak a hit, however well aligned
    (_ex(AnswerType.NUMBER, "12", "We hiked twelve kilometres."), ["hike"], 0.2),
    # a time read off the recording, not a span in the words
    (_ex(AnswerType.TIME, "", "We went swimming.", timestamp=True), ["swim"], 0.5),
    # a description is always some sentence: not a typed span
    (_ex(AnswerType.DESCRIPTION, "We went swimming.", "We went swimming."), ["swim"], 0.5),
])
def test_no_rescue(ex, keywords, top):
    assert typed_sufficiency(False, ex.atype, ex, keywords, top, S) == (False, "")


def test_typed_sufficiency_can_be_switched_off():
    off = RetrievalSettings(typed_sufficiency=False)
    assert typed_sufficiency(True, AnswerType.NUMBER, None, ["code"], 0.7, off) == (True, "")
    ex = _ex(AnswerType.NUMBER, "12", "We hiked about twelve kilometres.")
    assert typed_sufficiency(False, AnswerType.NUMBER, ex, ["hike"], 0.45, off) == (False, "")


def test_light_verbs_do_not_count_as_alignment():
    """'Who said they were going to Rome?' must not align with 'I'm going to bed.' on 'going'."""
    ex = _ex(AnswerType.PERSON, "Mia", "I'm going to bed early.", speaker="Mia")
    assert alignment(["going", "rome"], ex) == 0.0
    assert typed_sufficiency(False, AnswerType.PERSON, ex, ["going", "rome"], 0.4, S) == (False, "")


def test_gate_a_person_asked_by_name_not_by_who():
    """'What was the name of Oskar's brother?' has no speaker fallback: without a person span it is not answered;
    'Who ...?' keeps its fallback on the speakers."""
    assert typed_sufficiency(True, AnswerType.PERSON, None, ["name", "oskar", "brother"], 0.6, S, who=False)[0] is False
    assert typed_sufficiency(True, AnswerType.PERSON, None, ["oskar", "brother"], 0.6, S, who=True) == (True, "")
