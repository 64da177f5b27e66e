"""Expected answer types of questions: a table of phrasings (answer_types.answer_type)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api_schemas import QuestionType
from memory_core.retrieval.answer_types import AnswerType as T
from memory_core.retrieval.answer_types import answer_type
from memory_core.retrieval.question import parse_question

TABLE = [
    # number or code (codes, identifiers, quantities stated in the footage)
    ("What is the new door code?", T.NUMBER),
    ("What's the wifi password?", T.NUMBER),
    ("Which platform does the train leave from?", T.NUMBER),
    ("What was the licence plate of the van?", T.NUMBER),
    ("What number is written on the parcel?", T.NUMBER),
    ("What is Priya's phone number?", T.NUMBER),
    ("How many boxes did we unload?", T.NUMBER),
    ("How many people came to the party?", T.NUMBER),
    ("How old is her son?", T.NUMBER),
    ("How far is the lake from the cabin?", T.NUMBER),
    ("What is the gate number for the flight?", T.NUMBER),
    ("which seat did they give me", T.NUMBER),
    # money
    ("How much did the bike cost?", T.MONEY),
    ("How much money did I spend at the market?", T.MONEY),
    ("What was the price of the concert tickets?", T.MONEY),
    ("How much is the rent?", T.MONEY),
    ("What did the repair cost?", T.MONEY),
    ("How expensive was the hotel?", T.MONEY),
    ("How much did Tom pay for the taxi?", T.MONEY),
    ("What's the entrance fee?", T.MONEY),
    # time or day
    ("When did the truck arrive?", T.TIME),
    ("What time does the train leave?", T.TIME),
    ("At what time did the meeting start?", T.TIME),
    ("Which day is the dentist appointment?", T.TIME),
    ("What day did we go hiking?", T.TIME),
    ("How long ago did I call my mother?", T.TIME),
    ("when is the plumber coming", T.TIME),
    ("And when did Alice leave the office?", T.TIME),
    # date
    ("What date is the wedding?", T.DATE),
    ("On what date did the lease start?", T.DATE),
    ("Which month are they moving?", T.DATE),
    ("When is Sam's birthday?", T.DATE),
    ("What year was the house built?", T.DATE),
    # place
    ("Where did Alice go on Tuesday?", T.PLACE),
    ("Where is the spare key?", T.PLACE),
    ("Which city does her brother live in?", T.PLACE),
    ("What restaurant did we eat at on Friday?", T.PLACE),
    ("In what town was the market?", T.PLACE),
    ("where did I leave my glasses", T.PLACE),
    ("Which hotel are we staying at?", T.PLACE),
    # person
    ("Who recommended the bakery?", T.PERSON),
    ("Who did Alice meet at the station?", T.PERSON),
    ("Whom did Bob call about the delay?", T.PERSON),
    ("Whose car was parked in the driveway?", T.PERSON),
    ("Which colleague fixed the printer?", T.PERSON),
    ("What is the new neighbour's name?", T.PERSON),
    ("Who said that the red truck arrived?", T.PERSON),
    ("With whom did Tom go to the cinema?", T.PERSON),
    # object
    ("What did Alice buy at the market?", T.OBJECT),
    ("What did I eat for lunch yesterday?", T.OBJECT),
    ("What kind of cake did Priya bake?", T.OBJECT),
    ("What colour is the new sofa?", T.OBJECT),
    ("Which book did Tom lend me?", T.OBJECT),
    ("What did Bob bring to the meeting?", T.OBJECT),
    ("What did we order at the cafe?", T.OBJECT),
    # yes/no
    ("Is the back door open?", T.YES_NO),
    ("Did I take my medicine this morning?", T.YES_NO),
    ("Has the parcel arrived?", T.YES_NO),
    ("Was the oven switched off?", T.YES_NO),
    ("Are the plants watered?", T.YES_NO),
    ("Didn't Tom say he would call?", T.YES_NO),
    ("Can the kids stay until Sunday?", T.YES_NO),
    # before/after
    ("Did the truck arrive before or after the plants were watered?", T.BEFORE_AFTER),
    ("Which came first, the call or the delivery?", T.BEFORE_AFTER),
    ("In what order did we visit the museum and the park?", T.BEFORE_AFTER),
    ("Was the meeting earlier than lunch?", T.BEFORE_AFTER),
    # count of occurrences
    ("How many times did I water the plants this week?", T.COUNT),
    ("How often does Tom go running?", T.COUNT),
    ("How many days did I go to the gym?", T.COUNT),
    ("What is the number of times the alarm went off?", T.COUNT),
    ("how frequently did the dog bark at night", T.COUNT),
    # list
    ("List the people I met on Monday.", T.LIST),
    ("What are all the things I bought at the market?", T.LIST),
    ("What items were on the shopping list?", T.LIST),
    ("Name all the places we visited.", T.LIST),
    ("Which things did I pack for the trip?", T.LIST),
    # description
    ("What happened yesterday?", T.DESCRIPTION),
    ("What did Bob say about the red truck?", T.DESCRIPTION),
    ("What is Alice Parker's job at the warehouse?", T.DESCRIPTION),
    ("What did I do in the garden?", T.DESCRIPTION),
    ("What is written on the screen?", T.DESCRIPTION),
    ("Describe the morning meeting.", T.DESCRIPTION),
    ("Why was the delivery late?", T.DESCRIPTION),
    ("How did Priya fix the bike?", T.DESCRIPTION),
    ("Is it the red or the blue cup?", T.DESCRIPTION),
]


@pytest.mark.parametrize(("question", "expected"), TABLE)
def test_answer_type_table(question, expected):
    assert answer_type(question) is expected


def test_table_covers_every_type():
    assert {t for _, t in TABLE} == set(T)
    assert len(TABLE) >= 80


@pytest.mark.parametrize(("question", "expected"), [
    ("Did the truck arrive before the plants were watered?", T.BEFORE_AFTER),  # order read off by the parser
    ("Who was here yesterday?", T.PERSON),
    ("Where did the delivery go?", T.PLACE),
])
def test_answer_type_from_a_plan(question, expected):
    plan = parse_question(question, datetime(2026, 11, 18, 20, tzinfo=UTC))
    assert answer_type(plan) is expected


def test_plan_type_is_the_fallback():
    plan = parse_question("Tell me about the truck", datetime(2026, 11, 18, 20, tzinfo=UTC))
    plan.qtype = QuestionType.WHERE  # a parser that read a place question the rules do not cover
    assert answer_type(plan) is T.PLACE
    assert answer_type("Tell me about the truck") is T.DESCRIPTION


@pytest.mark.parametrize("question", [
    "What was the name of Oskar's brother?",
    "Which cousin is coming on Sunday?",
    "What's his wife's name?",
])
def test_kinship_nouns_ask_for_a_person(question):
    assert answer_type(question) is T.PERSON
