"""Answers about on-screen text: read from signs (OCR units and text-entity memories), not speech."""

from __future__ import annotations

from memory_core.retrieval.answer_types import AnswerType
from memory_core.retrieval.extract import extract
from memory_core.retrieval.units import units_of

SPEECH = "Mia said: 'The plumber rang, he will come at 9 tomorrow.' People visible: Mia."
SIGN_MEMORY = "On-screen text 'CITY LIBRARY - DESK 14': shown in 2 clips between 2026-03-02 09:00:00 UTC and 2026-03-02 09:00:20 UTC."


def test_a_text_entity_memory_is_one_on_screen_unit():
    (u,) = units_of(SIGN_MEMORY, 3)
    assert (u.text, u.onscreen, u.speaker, u.item) == ("CITY LIBRARY - DESK 14", True, None, 3)


def test_a_person_timeline_is_not_read_as_a_sign():
    units = units_of("Oskar Lind (name): mentioned in 4 clips between 2026-03-02 09:00:00 UTC and 2026-03-04 18:00:00 UTC.")
    assert not any(u.onscreen for u in units)


def test_the_number_on_the_sign_wins_over_a_number_that_was_said():
    """'Which desk number did the library sign show?': the spoken '9' sits in the primary evidence
    (weight 1.0), the sign in a supporting one; the sign's number is the answer."""
    texts = [(0, SPEECH + " Mia said: 'The library desk number changed to 9.'", 1.0), (2, SIGN_MEMORY, 0.9)]
    ex = extract("Which desk number did the library sign show?", ["desk", "number", "library", "sign", "show"],
                 AnswerType.NUMBER, texts, onscreen=True)
    assert ex is not None and (ex.answer, ex.onscreen, ex.item) == ("14", True, 2)


def test_without_an_on_screen_question_the_said_number_can_answer():
    texts = [(0, "Mia said: 'The library desk number is 9 now.'", 1.0), (2, SIGN_MEMORY, 0.9)]
    ex = extract("What is the library desk number now?", ["library", "desk", "number"], AnswerType.NUMBER, texts)
    assert ex is not None and ex.answer == "9" and not ex.onscreen
