"""Question parsing (types, entities, keywords, phrases, order sub-queries) and the lexical scorer."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from api_schemas import QuestionType
from memory_core.retrieval.lexical import LexicalScorer, combine, stem, tokenize
from memory_core.retrieval.question import extract_phrases, match_entities, parse_question

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
NAMES = {
    "Alice Parker": ["e-alice-voice", "e-alice-face"],
    "Person 1": ["e-p1"],
    "GATE 7 OPEN": ["e-gate"],
    "Bob": ["e-bob"],
}


@pytest.mark.parametrize(("text", "qtype"), [
    ("What did Alice say about the truck?", QuestionType.WHAT),
    ("How many times were the plants watered?", QuestionType.HOW_MANY),
    ("How often did Bob visit this week?", QuestionType.HOW_MANY),
    ("Is the back door open now?", QuestionType.CURRENT_STATE),
    ("Is the gate still closed?", QuestionType.CURRENT_STATE),
    ("What is the latest reading of the meter?", QuestionType.CURRENT_STATE),
    ("When did the truck arrive?", QuestionType.WHEN),
    ("What time did Bob leave yesterday?", QuestionType.WHEN),
    ("What day was the delivery?", QuestionType.WHEN),
    ("Who said the red truck arrived?", QuestionType.WHO),
    ("Where did I leave my keys?", QuestionType.WHERE),
    ("Did the truck arrive before or after the plants were watered?", QuestionType.ORDER),
    ("Which came first, the delivery or the meeting?", QuestionType.ORDER),
    ("The delivery or the meeting: which happened first?", QuestionType.ORDER),
    ("Did the gate open after the truck arrived?", QuestionType.ORDER),
    ("In what order did the delivery and the inspection happen?", QuestionType.ORDER),
])
def test_question_types(text, qtype):
    assert parse_question(text, NOW, NAMES).qtype is qtype


def test_order_sub_queries_and_relation():
    plan = parse_question("Did the truck arrive before or after the plants were watered?", NOW)
    assert plan.sub_queries == ["the truck arrive", "the plants were watered"] and plan.relation is None
    plan = parse_question("Which came first, the delivery or the meeting?", NOW)
    assert plan.sub_queries == ["the delivery", "the meeting"]
    plan = parse_question("Did the gate open after the truck arrived?", NOW)
    assert plan.sub_queries == ["the gate open", "the truck arrived"] and plan.relation == "after"


def test_ordinal_for_when():
    assert parse_question("When did I last water the plants?", NOW).ordinal == "last"
    assert parse_question("When did the truck first arrive?", NOW).ordinal == "first"
    assert parse_question("When did the truck arrive?", NOW).ordinal is None


def test_keywords_time_scope_and_content():
    plan = parse_question("What did Alice say about the red truck yesterday at 8am?", NOW, NAMES)
    assert plan.keywords == ["alice", "red", "truck"]
    assert plan.content == "What did Alice say about the red truck?"
    assert plan.scope.start == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    generic = parse_question("What happened yesterday?", NOW, NAMES)
    assert generic.keywords == [] and generic.generic and generic.scope is not None


def test_entity_matching():
    ids, names = match_entities("what did alice say", NAMES)  # first name, lower case
    assert ids == ["e-alice-voice", "e-alice-face"] and names == ["Alice Parker"]
    assert match_entities("was person 1 at the gate?", NAMES)[1] == ["Person 1"]
    assert match_entities("is there a person at the gate?", NAMES) == ([], [])  # generic word
    assert match_entities("when was the gate open", NAMES) == ([], [])  # on-screen text needs the full string
    assert match_entities("when did GATE 7 OPEN show", NAMES)[0] == ["e-gate"]
    ids, names = match_entities("did Bob talk to Alice Parker?", NAMES)
    assert names == ["Bob", "Alice Parker"]  # in order of mention
    assert match_entities("what did the bobcat do", NAMES) == ([], [])  # tokens, not substrings


def test_phrases():
    assert extract_phrases('When did GATE 7 appear on screen?') == ["gate 7", "7"]
    assert extract_phrases('Describe the "delivery bay" sign') == ["delivery bay"]
    assert "alice parker" in extract_phrases("What did Alice Parker say?")
    assert extract_phrases("Where is the truck?") == []


def test_tokenize_and_stem():
    assert tokenize("GATE 7's sign, Bay-3!") == ["gate", "7", "sign", "bay", "3"]
    assert {stem(w) for w in ("watered", "watering", "waters", "water")} == {"water"}
    assert stem("arrived") == stem("arrive") == stem("arriving")
    assert stem("plants") == "plant" and stem("boxes") == "box" and stem("stopped") == "stop"


def test_lexical_scorer_bm25_coverage_and_phrases():
    texts = [
        "Alice said: the red truck arrived at bay three.",
        "Bob said: the truck driver called.",
        "No speech. On screen: GATE 7 OPEN.",
        "No speech. Dim scene, mostly grey.",
    ]
    scores = LexicalScorer(["red", "truck", "arrived"]).score_texts(texts)
    assert scores.shape == (4,) and scores.dtype == np.float32
    assert scores[0] == scores.max() and scores[0] > 0.85  # every keyword (longer than average: BM25 length norm)
    assert 0 < scores[1] < scores[0] and scores[2] == scores[3] == 0
    gate = LexicalScorer(["gate", "7"], ["gate 7"]).score_texts(texts)
    assert int(np.argmax(gate)) == 2 and gate[2] > 0.95
    assert LexicalScorer([]).empty and LexicalScorer([]).score("anything") == 0.0


def test_combine_keeps_cosine_scale():
    assert combine(0.6, 0.0, 0.35) == pytest.approx(0.6)
    assert combine(0.4, 1.0, 0.35) == pytest.approx(0.4 + 0.35 * 0.6)
    assert combine(0.9, 1.0, 1.0) == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "expected"), [
    ("When is the team meeting?", True),
    ("When does the plumber come?", True),
    ("When's the dentist?", True),
    ("What time is the train to the coast?", True),
    ("When did the plumber come?", False),  # past: an event, not a schedule
    ("Where is the bike?", False),
])
def test_present_when_questions_ask_for_the_plan(text, expected):
    """A present/future "when is/does X" asks for a scheduled time: the plans in memory answer it
    first (the agent falls back to episodic memory when there is none)."""
    from datetime import UTC, datetime

    from memory_core.retrieval.question import parse_question

    assert parse_question(text, datetime(2026, 11, 21, 10, tzinfo=UTC)).asks_plan is expected
