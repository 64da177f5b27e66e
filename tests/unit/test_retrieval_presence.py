"""Yes/no "is X still at Y" questions (memory_core.retrieval.presence): which questions, and what a
record says about the place (left it / is there / nothing)."""

from __future__ import annotations

import pytest

from memory_core.retrieval.presence import fact_says_there, parse_still, side_of

QUESTIONS = [
    ("Is Grandpa still in Madrid?", ("Grandpa", ("madrid",))),
    ("Is the van still at the garage?", ("the van", ("garage",))),
    ("Are the twins still with their aunt right now?", ("the twins", ("aunt",))),
    ("Is my laptop still in the car?", ("my laptop", ("car",))),
    ("Is Noor at the gym at the moment?", ("Noor", ("gym",))),
]


@pytest.mark.parametrize(("text", "expected"), QUESTIONS)
def test_still_questions_give_subject_and_place(text, expected):
    q = parse_still(text)
    assert q is not None and (q.subject, q.place_words) == expected


@pytest.mark.parametrize("text", ["Where is Grandpa now?", "Is it in there?", "Did the van go to the garage?",
                                  "Is the heating on?", "What is in the fridge?", "Are the lights on in the kitchen?",
                                  "Is the call at 3pm?", "Is the dentist appointment on Friday?", "Is the match at 15:30?"])
def test_other_questions_are_not_still_questions(text):
    assert parse_still(text) is None


SIDES = [
    # (sentence, place words, expected)
    ("Grandpa flew back from Madrid this morning.", ("madrid",), "left"),
    ("We collected the van from the garage at noon.", ("garage",), "left"),
    ("The kids got out of the pool.", ("pool",), "left"),
    ("She left Madrid after lunch.", ("madrid",), "left"),
    ("Grandpa flies to Madrid on Monday.", ("madrid",), "there"),
    ("I dropped the van off at the little garage on Hill Road.", ("garage",), "there"),
    ("Noor went to the gym.", ("gym",), "there"),
    ("Tom left for Madrid yesterday.", ("madrid",), "there"),  # "left for": going there
    ("Madrid was hot.", ("madrid",), None),
    ("The garage called about the brakes.", ("garage",), None),
    ("Nothing about that place here.", ("garage",), None),
]


@pytest.mark.parametrize(("sentence", "words", "expected"), SIDES)
def test_the_preposition_before_the_place_says_left_or_there(sentence, words, expected):
    assert side_of(sentence, words) == expected


def test_a_location_fact_names_the_place_or_not():
    assert fact_says_there("in the kitchen drawer", ("kitchen", "drawer"))
    assert not fact_says_there("in the blue bowl", ("kitchen", "drawer"))
