"""Inverse text normalisation of transcripts (memory_core.spoken_numbers): a table of spoken or
ASR-written forms and the one written form each must become, plus phrases that must not change."""

from __future__ import annotations

import pytest

from memory_core.spoken_numbers import normalise_transcript

CONVERTED = [
    # amounts
    ("It costs forty thousand dollars.", "It costs $40,000."),
    ("We raised 40 ,000 last year.", "We raised 40,000 last year."),
    ("two hundred fifty thousand", "250,000"),
    ("three hundred and forty two people", "342 people"),
    ("a hundred people came", "100 people came"),
    ("I'm twenty one", "I'm 21"),
    ("two point five percent", "2.5%"),
    ("twelve percent", "12%"),
    # money
    ("twenty five dollars", "$25"),
    ("five dollars and fifty cents", "$5.50"),
    ("$ 40,000 in the account", "$40,000 in the account"),
    ("It costs $5 and 99 cents", "It costs $5.99"),
    ("one point five million dollars", "$1.5 million"),
    ("It was eighty euros.", "It was €80."),
    # clock times
    ("We meet at six thirty tomorrow.", "We meet at 6:30 tomorrow."),
    ("Dinner at 6 .30 tonight.", "Dinner at 6:30 tonight."),
    ("eleven forty five", "11:45"),
    ("It's four fifteen pm", "It's 4:15 pm"),
    ("half past six", "6:30"),
    ("quarter to nine", "8:45"),
    ("ten past six", "6:10"),
    ("seven o'clock", "7:00"),
    ("see you at six oh five", "see you at 6:05"),
    ("the bus leaves 7.45 am", "the bus leaves 7:45 am"),
    # codes and numbers read digit by digit
    ("The code is four seven one nine.", "The code is 4719."),
    ("It is now two five five zero.", "It is now 2550."),
    ("Then the code changed to three three eight one.", "Then the code changed to 3381."),
    ("Room two oh four", "Room 204"),
    ("Call nine one one", "Call 911"),
    ("the PIN is 4, 7, 1, 9.", "the PIN is 4719."),
    ("call me at five five five, one two three four", "call me at 5551234"),
    ("Call Doctor Okafor on 5-5-5-2-1-3-4", "Call Doctor Okafor on 5552134"),
    ("arrived with 300 and 12 screws", "arrived with 312 screws"),
    ("my flight leaves at 11.45 from gate 22", "my flight leaves at 11:45 from gate 22"),
    # years
    ("nineteen ninety nine", "1999"),
    ("twenty twenty six", "2026"),
    ("It was two thousand and twenty", "It was 2020"),
    # re-joined ASR words
    ("Tom 's car", "Tom's car"),
]

UNCHANGED = [
    "One of them said a second time that I won.",
    "Give me a second.",
    "I have one dog and two cats.",
    "no one came",
    "one or two",
    "the first time",
    "a third of them",
    "It's 6.30 now",  # no time cue: may be a decimal
    "He ran 5.30 miles",
    "version 2.1 of the app",
    "zip code 90210",  # digits the recogniser wrote keep their form
    "We sold 12000 units",
    "He paid $25 for it.",
    "Between 9 and 5.",
    "It happened in 2019 and 2020.",
    "She has 3 kids, 2 dogs and 1 cat.",
    "I was born on the 3rd of May",
    "The meeting is on Thursday.",
    "",
    "   ",
]


@pytest.mark.parametrize(("spoken", "written"), CONVERTED)
def test_spoken_forms_become_one_written_form(spoken: str, written: str) -> None:
    assert normalise_transcript(spoken) == written


@pytest.mark.parametrize("text", UNCHANGED)
def test_phrases_that_are_not_numbers_stay(text: str) -> None:
    assert normalise_transcript(text) == text


def test_idempotent_on_its_own_output() -> None:
    for spoken, _ in CONVERTED:
        once = normalise_transcript(spoken)
        assert normalise_transcript(once) == once, spoken
