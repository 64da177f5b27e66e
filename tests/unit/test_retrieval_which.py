"""'Which <noun> ...?' answers the thing the evidence names as that noun; objects keep their measure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory_core.retrieval.answer_types import AnswerType, answer_type
from memory_core.retrieval.extract import extract
from memory_core.retrieval.question import parse_question

NOW = datetime(2026, 3, 6, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def nlp():
    from memory_core.providers.nlp_spacy import SpacyNLP
    from memory_core.settings import Settings

    return SpacyNLP.from_settings("offline", Settings(), 1)


def ask(question: str, text: str, nlp):
    plan = parse_question(question, NOW)
    return extract(question, plan.keywords, answer_type(plan), [(0, text, 1.0)], nlp=nlp)


@pytest.mark.parametrize("question", ["Which electrician did Oskar suggest?", "Which route did the bus take?"])
def test_which_noun_is_an_object_question(question):
    assert answer_type(question) is AnswerType.OBJECT


@pytest.mark.parametrize("question, expected", [
    ("Which day is the party?", AnswerType.TIME),         # typed nouns keep their types
    ("Which doctor did Mia see?", AnswerType.PERSON),
])
def test_which_keeps_the_other_types(question, expected):
    assert answer_type(question) is expected


@pytest.mark.parametrize("question, text, answer", [
    ("Which electrician did Oskar suggest?", "Mia said: 'Oskar says Lena Berg is the best electrician in town.'", "Lena Berg"),
    ("Which film did we enjoy most?", "Mia said: 'The best film was Arrival, we enjoyed it most.'", "Arrival"),
])
def test_which_noun_answers_what_the_sentence_names_as_that_noun(nlp, question, text, answer):
    ex = ask(question, text, nlp)
    assert ex is not None and ex.answer == answer


def test_an_object_keeps_what_its_measure_holds(nlp):
    ex = ask("What did Mia buy at the market?", "Mia said: 'I bought a box of pears at the market.'", nlp)
    assert ex is not None and ex.answer == "a box of pears"
