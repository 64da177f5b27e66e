"""Plan statements (memory_core.building.plans): what is a plan, for when, and what is not; and the
value facts of memory_core.building.facts (codes, numbers), which must not swallow times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memory_core.building.facts import find_states
from memory_core.building.plans import find_plans, is_time_expression

SAID = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC

# sentence -> (subject, value, target_start ISO, target_text)
PLANS = [
    ("The meeting moved to Thursday.", ("meeting", "2026-11-19", "2026-11-19T00:00:00+00:00", "Thursday")),
    ("Okay so the dentist appointment is on Friday at 3pm.", ("dentist appointment", "2026-11-20 15:00", "2026-11-20T15:00:00+00:00", "Friday at 3pm")),
    ("We moved the team lunch to Wednesday.", ("team lunch", "2026-11-18", "2026-11-18T00:00:00+00:00", "Wednesday")),
    ("The delivery is scheduled for November 20th.", ("delivery", "2026-11-20", "2026-11-20T00:00:00+00:00", "November 20th")),
    ("The party will be tomorrow at 8 pm.", ("party", "2026-11-17 20:00", "2026-11-17T20:00:00+00:00", "tomorrow at 8 pm")),
    ("The review was postponed until next week.", ("review", "2026-11-23 +7 days", "2026-11-23T00:00:00+00:00", "next week")),
    ("The call is at 15:30.", ("call", "2026-11-16 15:30", "2026-11-16T15:30:00+00:00", "at 15:30")),
    ("The call is at 9:15.", ("call", "2026-11-17 09:15", "2026-11-17T09:15:00+00:00", "at 9:15")),  # 9:15 has passed: tomorrow
    ("The yoga class is on Monday.", ("yoga class", "2026-11-23", "2026-11-23T00:00:00+00:00", "Monday")),  # said on a Monday: next one
    ("Board meeting rescheduled to the 3rd of December, everyone.", ("board meeting", "2026-12-03", "2026-12-03T00:00:00+00:00", "the 3rd of December")),
    ("The school trip is due on 2027-01-15.", ("school trip", "2027-01-15", "2027-01-15T00:00:00+00:00", "2027-01-15")),
    # moved from an old time to a new one: the new one is the plan
    ("Her check-up has moved from Wednesday to Friday.", ("check-up", "2026-11-20", "2026-11-20T00:00:00+00:00", "Friday")),
    # "will be <state> on T"
    ("The van will be ready on Thursday.", ("van", "2026-11-19", "2026-11-19T00:00:00+00:00", "Thursday")),
    # present-tense schedule and travel verbs, and their progressive, with the time later in the clause
    ("Uncle Joe arrives next Tuesday on the early flight.", ("uncle joe", "2026-11-17", "2026-11-17T00:00:00+00:00", "next Tuesday")),
    ("The ferry leaves at 17:40.", ("ferry", "2026-11-16 17:40", "2026-11-16T17:40:00+00:00", "at 17:40")),
    ("Aunt May is coming over to see the baby this weekend.", ("aunt may", "2026-11-21 +2 days", "2026-11-21T00:00:00+00:00", "this weekend")),
]
NOT_PLANS = [
    "The keys are on the kitchen table.",  # a place
    "It moved to Thursday.",  # a pronoun is no subject
    "The heater is on.",  # a switch
    "I walked to the station on Thursday.",  # something done, no plan verb
    "The bike went to the garage.",
    "The meeting was great.",
    "The bus is at 3.",  # a bare hour is not a time
    "Uncle Joe arrived on Tuesday.",  # a past arrival is an event, not a plan
    "The ferry left and then we had lunch on Friday.",  # the time belongs to another clause
]


@pytest.mark.parametrize(("sentence", "expected"), PLANS)
def test_plan_statements_resolve_to_their_target_time(sentence, expected):
    (o,) = find_plans(sentence, SAID, "clip-1")
    assert (o.subject, o.value, o.target_start.isoformat(), o.target_text) == expected
    assert o.predicate == "plan" and o.at == SAID and o.evidence_id == "clip-1" and o.target_end > o.target_start


@pytest.mark.parametrize("sentence", NOT_PLANS)
def test_other_sentences_are_no_plans(sentence):
    assert find_plans(sentence, SAID, "clip-1") == []


@pytest.mark.parametrize("sentence", ["The meeting moved to Thursday.", "The dentist appointment is on Friday at 3pm.",
                                      "The call is at 15:30."])
def test_a_plan_is_never_a_state_or_a_location(sentence):
    assert find_states(sentence, SAID, "clip-1") == []


def test_states_and_places_still_found():
    assert [(o.subject, o.predicate, o.value) for o in find_states("The keys are on the kitchen table.", SAID, "c")] == [
        ("keys", "location", "on the kitchen table")]
    assert [(o.subject, o.value) for o in find_states("The heater is on.", SAID, "c")] == [("heater", "on")]


def test_time_expressions():
    assert is_time_expression("Thursday at 3pm and then")
    assert is_time_expression("next week")
    assert not is_time_expression("the garage")
    assert not is_time_expression("Thursdays")


VALUES = [
    ("The door code is 4719.", ("door code", "4719")),
    ("The door code has changed to 2550 this morning.", ("door code", "2550")),
    ("The wifi password is now tiger42, okay?", ("wifi password", "tiger42")),
    ("The price is 40,000 euros.", ("price", "40,000 euros")),
    ("The score was 3-1 and then they left.", ("score", "3-1")),
    ("The pin for the garage is 6604 in case you need it.", ("garage pin", "6604")),  # "the N of/for the X" -> "X N"
    ("We reset the router password, it's now kestrel9.", ("router password", "kestrel9")),  # "it" after a change clause
]
NOT_VALUES = ["The train is 10 minutes late.", "The meeting is 6:30.", "It is 4719.", "There are 3 boxes.", "I am 40.",
              "I met the new tenant, it's 40 minutes from here."]


@pytest.mark.parametrize(("sentence", "expected"), VALUES)
def test_values_are_facts(sentence, expected):
    assert [(o.subject, o.value) for o in find_states(sentence, SAID, "c") if o.predicate == "value"] == [expected]


@pytest.mark.parametrize("sentence", NOT_VALUES)
def test_no_value_without_a_subject_or_for_a_time(sentence):
    assert [o for o in find_states(sentence, SAID, "c") if o.predicate == "value"] == []


PLACED = [
    ("I left the torch in the glovebox by the spare tyre.", ("torch", "in the glovebox")),
    ("Nadia moved the printer from the hall into the study.", ("printer", "in the study")),
    ("We parked the van behind the bakery on Sunday.", ("van", "behind the bakery")),
    ("I hid the presents under our bed.", ("presents", "under our bed")),
]


@pytest.mark.parametrize(("sentence", "expected"), PLACED)
def test_putting_a_thing_somewhere_is_its_location(sentence, expected):
    assert [(o.subject, o.value) for o in find_states(sentence, SAID, "c") if o.predicate == "location"] == [expected]


@pytest.mark.parametrize("sentence", ["I put it on the shelf.", "She left the party at ten.", "I moved the meeting to Friday."])
def test_no_location_without_a_thing_and_a_place(sentence):
    assert [o for o in find_states(sentence, SAID, "c") if o.predicate == "location"] == []


def test_a_leading_he_or_she_is_the_person_named_just_before():
    from memory_core.building.facts import last_person_name, resolve_pronoun

    assert last_person_name("Quick note, Amira drives to Leeds tomorrow.") == "Amira"
    assert last_person_name("Dad says Uncle Joe is coming.") == "Uncle Joe"
    assert last_person_name("The kettle is broken.") is None
    sentence = resolve_pronoun("She'll be away until Friday.", last_person_name("Quick note, Amira drives to Leeds today."))
    assert [(o.subject, o.value) for o in find_plans(sentence, SAID, "c")] == [("amira", "2026-11-20")]
    assert resolve_pronoun("He'll be late.", None) == "He'll be late."
    assert resolve_pronoun("Here it is.", "Amira") == "Here it is."


@pytest.mark.parametrize(("sentence", "label", "expected"), [
    ("I'll be back on Thursday.", "Hannah", [("hannah", "2026-11-19")]),
    ("I will visit Oslo next week.", "Tom Reed", [("tom reed", "2026-11-23 +7 days")]),
    ("I'll be back on Thursday.", "An unidentified speaker (voice 3)", []),  # not a name: no subject
    ("I'll be back on Thursday.", "Someone", []),
])
def test_a_first_person_plan_is_the_speakers(sentence, label, expected):
    from memory_core.building.facts import speaker_says_i

    assert [(o.subject, o.value) for o in find_plans(speaker_says_i(sentence, label), SAID, "c")] == expected
