"""Typed span extraction from evidence sentences (extract.extract, spans), one test per answer type,
with the packaged spaCy pipeline (NER + dependency parse) and, for pattern types, without it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory_core.retrieval import spans
from memory_core.retrieval.answer_types import AnswerType as T
from memory_core.retrieval.answer_types import answer_type
from memory_core.retrieval.extract import extract, strip_label, units_of
from memory_core.retrieval.question import parse_question

NOW = datetime(2026, 11, 18, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def nlp():
    from memory_core.providers.nlp_spacy import SpacyNLP
    from memory_core.settings import Settings

    return SpacyNLP.from_settings("offline", Settings(), 1)


def ask(question: str, *texts: str, nlp=None, names=()):
    """Extract from ``texts`` (the first is the primary evidence)."""
    weighted = [(k, t, 1.0 if k == 0 else 0.9) for k, t in enumerate(texts)]
    plan = parse_question(question, NOW)
    return extract(question, plan.keywords, answer_type(plan), weighted, nlp=nlp, names=names, onscreen=plan.onscreen)


# ---------------------------------------------------------------- spans without a model
@pytest.mark.parametrize(("text", "values"), [
    ("It is now two five five zero.", ["2550"]),
    ("They asked for forty thousand.", ["40,000"]),
    ("Two hundred and five chairs.", ["205"]),
    ("Forty-two people came.", ["42"]),
    ("We moved in twenty twenty.", ["2020"]),
    ("Bay 12, gate B7 and 40,000 units.", ["12", "B7", "40,000"]),
])
def test_numbers_written_and_spelled(text, values):
    assert [s.value for s in spans.numbers(text)] == values


def test_money_times_and_dates():
    assert [s.value for s in spans.money("It cost $45.50, or 12 euros, or forty dollars.")] == ["$45.50", "12 euros", "40 dollars"]
    assert [s.value for s in spans.clock_times("At six thirty, then 7 pm, then seven o'clock, noon, half past nine.")] == [
        "7 pm", "noon", "half past nine", "6:30", "7:00"]
    assert [s.text for s in spans.weekdays("See you next Friday morning or on Sunday.")] == ["next Friday morning", "on Sunday"]
    assert [s.text for s in spans.dates("Due 3rd of May 2027, paid 2026-03-12, or March 5.")] == [
        "3rd of May 2027", "2026-03-12", "March 5"]


def test_units_keep_speaker_screen_and_context():
    text = ("Routine (2 days, around 08:00 UTC): Tom Hale said: 'The code changed. It is now 2550.' "
            "On screen: EXIT / BAY 3. People visible: Tom Hale.")
    units = units_of(text, 4)
    assert [(u.text, u.speaker, u.onscreen) for u in units] == [
        ("The code changed.", "Tom Hale", False), ("It is now 2550.", "Tom Hale", False),
        ("EXIT / BAY 3", None, True)]
    assert units[1].context == "The code changed." and units[1].item == 4
    assert strip_label("Most recent record (Mon): The door is open.") == "The door is open."
    assert strip_label("Alice said: 'Hi (really): yes.'") == "Alice said: 'Hi (really): yes.'"
    assert strip_label("Current state: the back door is open (since 2026-11-18 18:35 UTC).") == (
        "The back door is open (since 2026-11-18 18:35 UTC).")
    assert strip_label("On screen: EXIT.") == "On screen: EXIT."
    assert [u.text for u in units_of("On screen: EXIT. People visible: Ana.")] == ["EXIT"]


# ---------------------------------------------------------------- number or code
@pytest.mark.parametrize(("question", "text", "answer"), [
    ("What is the new door code?", "Tom said: 'The door code changed. It is now two five five zero.'", "2550"),
    ("What is the wifi password?", "Ana said: 'The wifi password is 7781 until Friday.'", "7781"),
    ("How many boxes did we unload?", "Bob said: 'We unloaded forty boxes from the van this morning.'", "40"),
    ("Which platform does the train leave from?", "On screen: PLATFORM 9. Someone said: 'Our train leaves from platform nine at noon.'", "9"),
    ("What is the gate number for the flight?", "Mia said: 'Boarding is at gate B12, not A4 like the email says.'", "B12"),
])
def test_number_or_code(question, text, answer):
    x = ask(question, text)  # patterns alone (no spaCy)
    assert x is not None and x.answer == answer and x.atype is T.NUMBER
    assert x.span in x.sentence


def test_number_skips_the_question_own_numbers_and_times():
    x = ask("What is the code for gate 7?", "Lee said: 'For gate 7 the code is 3141, from 9:30 on.'")
    assert x.answer == "3141"


# ---------------------------------------------------------------- money
@pytest.mark.parametrize(("question", "text", "answer"), [
    ("How much did the bike cost?", "Alice said: 'The new bike cost four hundred and fifty dollars, a bargain.'", "450 dollars"),
    ("How much is the rent?", "Sam said: 'Our rent went up to €1,200 a month.'", "€1,200"),
    ("What was the price of the tickets?", "Kim said: 'The tickets were 35 pounds each, I bought two.'", "35 pounds"),
])
def test_money(question, text, answer):
    x = ask(question, text)  # patterns alone, as the agent reads money
    assert x is not None and x.answer == answer and x.span in x.sentence


# ---------------------------------------------------------------- time or day, date
@pytest.mark.parametrize("parsed", [True, False])  # the agent reads times by patterns alone (no spaCy load)
def test_time_from_the_words_and_plans(nlp, parsed):
    model = nlp if parsed else None
    x = ask("When is the dentist appointment?", "Alice said: 'The dentist appointment moved to Thursday at 3 pm.'", nlp=model)
    assert x.answer == "Thursday at 3 pm" and not x.timestamp
    x = ask("What time does the train leave?", "Someone said: 'Our train leaves at six thirty tomorrow.'", nlp=model)
    assert x.answer == "6:30" and x.span == "six thirty"
    x = ask("When does the bakery open?", "Jo said: 'The bakery opens at half past seven on weekdays.'", nlp=model)
    assert x.answer.startswith("half past seven")  # the tagger may add "on weekdays": right too


def test_time_is_the_recording_time_when_the_words_hold_none(nlp):
    x = ask("When did the truck arrive?", "Alice said: 'The red truck just arrived at bay three.' No speech.", nlp=nlp)
    assert x.timestamp and x.answer == "" and x.sentence == "The red truck just arrived at bay three."
    # a relative day ("this morning") says nothing without the recording time
    x = ask("When did I water the plants?", "Ben said: 'I watered the plants this morning.'", nlp=nlp)
    assert x.timestamp
    # a number that names something ("bay 3") is not a time, whatever the tagger says
    x = ask("When did the truck arrive?", "Bob said: 'The red truck arrived at delivery bay 3 this morning.'", nlp=nlp)
    assert x.timestamp


def test_date(nlp):
    x = ask("What date is the wedding?", "Ravi said: 'The wedding is on 14 June, in the old church.'", nlp=nlp)
    assert x.answer == "14 June"


# ---------------------------------------------------------------- place
@pytest.mark.parametrize(("question", "text", "answer"), [
    ("Where did Alice go on Tuesday?", "Alice said: 'On Tuesday I went to Berlin for the fair.'", "Berlin"),
    ("Where is the spare key?", "Bob said: 'I left the spare key under the mat by the door.'", "under the mat"),
    ("Where did the truck arrive?", "Alice said: 'The red truck arrived at bay three.'", "bay three"),
    ("Which city does her brother live in?", "Nora said: 'My brother lives in Lisbon now, near the river.'", "Lisbon"),
])
def test_place(question, text, answer, nlp):
    x = ask(question, text, nlp=nlp)
    assert x is not None and x.answer == answer and x.span in x.sentence


def test_place_needs_the_parser():
    assert ask("Where did Alice go?", "Alice said: 'I went to Berlin.'") is None


# ---------------------------------------------------------------- person
def test_person_is_who_the_sentence_says_did_it(nlp):
    # the speaker (Tom) is not who recommended it: "she" is Priya, named before
    x = ask("Who recommended the bakery?", "Tom said: 'I met Priya at the gym. She recommends the bakery on Main Street.'", nlp=nlp)
    assert x.answer == "Priya" and x.speaker == "Tom"
    x = ask("Who recommended the bakery?", "Tom said: 'My sister Anna recommended the bakery near the station.'", nlp=nlp)
    assert x.answer == "Anna"
    # first person: the speaker did it
    x = ask("Who fixed the printer?", "Grace Lin said: 'I fixed the printer after lunch.'", nlp=nlp)
    assert x.answer == "Grace Lin"


def test_person_as_object_and_speaker_of_a_quote(nlp):
    x = ask("Who did Alice meet at the station?", "Alice said: 'At the station I met Daniel and his dog.'", nlp=nlp)
    assert x.answer == "Daniel"
    x = ask("Who said that the red truck arrived?", "Bob Stone said: 'The red truck arrived at bay three.'", nlp=nlp)
    assert x.answer == "Bob Stone"
    # a known name from entity memory counts even when NER misses it
    x = ask("Who called about the delay?", "Speaker 2 said: 'Kofi called about the delay twice.'", nlp=nlp, names=["Kofi"])
    assert x.answer == "Kofi"


def test_person_never_repeats_the_question(nlp):
    x = ask("Who did Alice meet?", "Alice said: 'Alice met nobody today.'", nlp=nlp)
    assert x is None or x.answer != "Alice"


# ---------------------------------------------------------------- object, list
@pytest.mark.parametrize(("question", "text", "answer"), [
    ("What did Alice buy at the market?", "Alice said: 'I bought a blue bicycle and a helmet at the market.'", "a blue bicycle and a helmet"),
    ("What did Carol replace on the forklift?", "Carol said: 'I replaced the brake pads on the forklift.'", "the brake pads"),
    ("What did we order at the cafe?", "Jo said: 'At the cafe we ordered two flat whites and a croissant.'", "two flat whites and a croissant"),
    ("Which things did I pack for the trip?", "Sam said: 'I packed the tent, a stove and two sleeping bags.'", "the tent, a stove and two sleeping bags"),
])
def test_object_and_list(question, text, answer, nlp):
    x = ask(question, text, nlp=nlp)
    assert x is not None and x.answer == answer and x.span in x.sentence


# ---------------------------------------------------------------- yes/no
def test_yes_no_needs_every_content_word(nlp):
    x = ask("Is the back door open?", "Bob said: 'I opened the back door for the cleaners.'", nlp=nlp)
    assert x.answer == "Yes"
    x = ask("Is the back door open?", "Bob said: 'The back door is not open, I checked.'", nlp=nlp)
    assert x.answer == "No"
    # "locked" is not "open": no yes/no is invented
    assert ask("Is the back door open?", "Bob said: 'I locked the back door for the night.'", nlp=nlp) is None
    # every word is there, but "open" is not said of the door
    assert ask("Is the back door open?", "Bob said: 'The back door was locked while the shop was open.'", nlp=nlp) is None
    x = ask("Did Alice feed the cat?", "Alice said: 'I fed the cat at six.'", nlp=nlp)
    assert x.answer == "Yes"
    assert ask("Is the back door open?", "Bob said: 'I opened the back door.'") is None  # needs the parse


def test_turns_cut_at_a_clip_boundary_are_joined(nlp):
    text = ("Bob Stone said: 'I am Bob Stone. The red truck' People visible: Bob Stone. Dim scene, mostly blue. "
            "Bob Stone said: 'arrived at delivery bay 3 this morning.'")
    x = ask("Where did the red truck arrive?", text, nlp=nlp)
    assert x.answer == "delivery bay 3" and x.sentence == "The red truck arrived at delivery bay 3 this morning."


# ---------------------------------------------------------------- ranking, alignment, on screen
def test_unaligned_sentences_answer_nothing(nlp):
    # a number that has nothing to do with the question is not the answer
    assert ask("What is the new door code?", "Ana said: 'We need 12 more chairs for Friday.'") is None
    assert ask("Where is the spare key?", "Ana said: 'We drove to Porto last summer.'", nlp=nlp) is None


def test_primary_evidence_wins_and_neighbours_help():
    x = ask("What is the locker code?", "Dev said: 'The locker code is 4471.'", "Dev said: 'The old locker code was 1234.'")
    assert x.answer == "4471" and x.item == 0
    # the number is in the next clip (a neighbour), the question's words in the primary
    x = ask("What is the locker code?", "Dev said: 'I changed the locker code.'", "Dev said: 'The locker code is now 9902.'")
    assert x.answer == "9902" and x.item == 1


def test_on_screen_text_is_the_answer():
    x = ask("What is written on the sign?", "No speech. On screen: WET FLOOR. People visible: Person 1.")
    assert x.answer == "WET FLOOR" and x.onscreen


def test_description_is_the_best_aligned_sentence():
    text = ("Ben said: 'Morning everyone. The boiler in the basement is leaking again. I called the plumber.' "
            "On screen: EXIT. People visible: Ben.")
    x = ask("What did Ben say about the boiler?", text)
    assert x.answer == x.sentence == "The boiler in the basement is leaking again." and x.speaker == "Ben"
    # a sentence with none of the question's words is not an answer, even next to one that has them
    assert ask("What did Ben say about the garage?", text) is None


def test_description_passes_over_a_one_word_fragment():
    """"Nora Vance said: 'Vance.'" (a name cut at a clip boundary) matches "what did Nora Vance say"
    best by its words, but a sentence that says something answers."""
    text = "Nora Vance said: 'Vance.' Nora Vance said: 'The boiler needs a new valve.'"
    x = ask("What did Nora Vance say?", text)
    assert x is not None and x.answer == "The boiler needs a new valve."


def test_types_not_extracted():
    assert ask("How many times did I water the plants?", "Ben said: 'I watered the plants twice.'") is None
    assert ask("Did the call come before or after lunch?", "Ben said: 'The call came after lunch.'") is None
