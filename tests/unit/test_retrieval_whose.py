"""'Whose <noun> ...?': the answer is the possessor of that noun, not the speaker or the subject."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory_core.retrieval.answer_types import answer_type
from memory_core.retrieval.extract import extract
from memory_core.retrieval.question import parse_question

NOW = datetime(2026, 3, 6, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def nlp():
    from memory_core.providers.nlp_spacy import SpacyNLP
    from memory_core.settings import Settings

    return SpacyNLP.from_settings("offline", Settings(), 1)


def ask(question: str, text: str, nlp, names=()):
    plan = parse_question(question, NOW)
    return extract(question, plan.keywords, answer_type(plan), [(0, text, 1.0)], nlp=nlp, names=names)


@pytest.mark.parametrize(("question", "text", "owner"), [
    # a possessive name
    ("Whose car did Mia borrow?", "Mia said: 'I borrowed Lukas's car to get to the airport.'", "Lukas"),
    # a pronoun resolved to the last person named before
    ("Whose dog did Mia walk?", "Mia said: 'Sarah is in Oslo this week. I walked her dog twice a day.'", "Sarah"),
    # "my": the speaker
    ("Whose laptop broke?", "Lukas said: 'My laptop broke again this morning.'", "Lukas"),
])
def test_whose_answers_the_possessor(nlp, question, text, owner):
    ex = ask(question, text, nlp)
    assert ex is not None and ex.answer == owner


def test_whose_does_not_answer_the_person_named_in_the_question(nlp):
    ex = ask("Whose bike did Lukas fix?", "Lukas said: 'I fixed my bike and then Grace's bike.'", nlp)
    assert ex is not None and ex.answer == "Grace"


def test_a_pronoun_resolves_to_a_known_name_the_tagger_missed(nlp):
    """The small English model tags "Grace" as an organisation here; a name known in entity memory
    still counts as the person named before "her"."""
    text = "Mia said: 'Grace is in Oslo this week. I walked her dog twice a day.'"
    ex = ask("Whose dog did Mia walk?", text, nlp, names=["Grace", "Mia"])
    assert ex is not None and ex.answer == "Grace"


def test_a_gendered_pronoun_resolves_to_a_proper_noun_subject(nlp):
    """'his' -> the proper-noun subject named before even when NER does not tag it PERSON."""
    text = "Mia said: 'Lunch break, Oskar drives to Bergen today. I will look after his rabbit while he is gone.'"
    ex = ask("Whose rabbit did Mia look after?", text, nlp)
    assert ex is not None and ex.answer == "Oskar"
