"""A table of question phrasings, as users of a home-camera / life-log memory would type them,
with the type and time scope each must parse to.

Fixed reference: ``NOW`` = Saturday 21 November 2026, 10:00 UTC (the user's zone is UTC). Scopes
are ``[start, end)``; ``None`` is an open end, ``NO_SCOPE`` means the question names no time.
The bug table at the end pins the six parser bugs of issue #9 and the past-state / plan / order
fields of :class:`~memory_core.retrieval.question.QuestionPlan`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api_schemas import QuestionType as T
from memory_core.retrieval.question import parse_question

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # a Saturday
NO_SCOPE = "no scope"


def _t(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


TABLE = [
    # --- recall in a time range
    ("what happened in the living room last night?", T.WHAT, "2026-11-20T18:00", "2026-11-21T06:00"),
    ("anything unusual at the front door yesterday", T.WHAT, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("What did I have for breakfast this morning?", T.WHAT, "2026-11-21T05:00", "2026-11-21T12:00"),
    ("what was going on in the garden on Tuesday afternoon", T.WHAT, "2026-11-17T12:00", "2026-11-17T17:00"),
    ("show me what the dog did while I was out on Wednesday", T.WHAT, "2026-11-18T00:00", "2026-11-19T00:00"),
    ("What did the kids watch on TV friday evening?", T.WHAT, "2026-11-20T17:00", "2026-11-20T21:00"),
    ("what did we talk about at dinner the day before yesterday", T.WHAT, "2026-11-19T00:00", "2026-11-20T00:00"),
    ("what was on the kitchen whiteboard on 18 Nov?", T.WHAT, "2026-11-18T00:00", "2026-11-19T00:00"),
    ("What happened around 7 this morning?", T.WHAT, "2026-11-21T06:00", "2026-11-21T08:00"),
    ("any movement in the garage between 2 and 4am?", T.WHAT, "2026-11-21T02:00", "2026-11-21T04:00"),
    ("what did the camera pick up in the last 3 hours", T.WHAT, "2026-11-21T07:00", "2026-11-21T10:00"),
    ("recap of last week please", T.WHAT, "2026-11-09T00:00", "2026-11-16T00:00"),
    ("what was I working on a couple of days ago", T.WHAT, "2026-11-19T00:00", "2026-11-20T00:00"),
    ("What did Priya say on the phone yesterday at 6pm?", T.WHAT, "2026-11-20T17:30", "2026-11-20T18:30"),
    ("what did I do after 9pm yesterday", T.WHAT, "2026-11-20T21:00", "2026-11-21T00:00"),
    ("what was on the news at breakfast on Monday the 16th of November", T.WHAT, "2026-11-16T00:00", "2026-11-17T00:00"),
    ("What did we buy at the market in October?", T.WHAT, "2026-10-01T00:00", "2026-11-01T00:00"),
    ("what did the plumber fix this week", T.WHAT, "2026-11-16T00:00", "2026-11-23T00:00"),
    ("What did I cook for the guests tonight", T.WHAT, "2026-11-21T18:00", "2026-11-22T00:00"),
    ("what did we get up to last weekend", T.WHAT, "2026-11-14T00:00", "2026-11-16T00:00"),
    ("What was the name of the cafe Tom recommended?", T.WHAT, NO_SCOPE, None),
    # --- when
    ("When did the parcel arrive?", T.WHEN, NO_SCOPE, None),
    ("when did I last take my pills", T.WHEN, NO_SCOPE, None),
    ("What time did the kids get home yesterday?", T.WHEN, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("which day did the window cleaner come?", T.WHEN, NO_SCOPE, None),
    ("at what time did Tom leave for work on Thursday", T.WHEN, "2026-11-19T00:00", "2026-11-20T00:00"),
    ("when was the first time the cat came in through the flap this week", T.WHEN, "2026-11-16T00:00", "2026-11-23T00:00"),
    ("How long ago did I charge the car?", T.WHEN, NO_SCOPE, None),
    ("When did someone ring the doorbell since 8am?", T.WHEN, "2026-11-21T08:00", "2026-11-21T10:00"),
    ("so when did mum call", T.WHEN, NO_SCOPE, None),
    ("tell me when the gas meter was read", T.WHEN, NO_SCOPE, None),
    ("do you know when Tom got back on Tuesday", T.WHEN, "2026-11-17T00:00", "2026-11-18T00:00"),
    ("What date did we put the tree up?", T.WHEN, NO_SCOPE, None),
    # --- who
    ("Who came by this morning?", T.WHO, "2026-11-21T05:00", "2026-11-21T12:00"),
    ("who was at the door around 3pm yesterday", T.WHO, "2026-11-20T14:00", "2026-11-20T16:00"),
    ("Who said the boiler was making a noise?", T.WHO, NO_SCOPE, None),
    ("who did I meet at the park on Sunday?", T.WHO, "2026-11-15T00:00", "2026-11-16T00:00"),
    ("Whose car was parked in the drive last night?", T.WHO, "2026-11-20T18:00", "2026-11-21T06:00"),
    ("who recommended the bakery", T.WHO, NO_SCOPE, None),
    ("Who dropped by while I was away last week?", T.WHO, "2026-11-09T00:00", "2026-11-16T00:00"),
    ("who was Tom talking to in the kitchen", T.WHO, NO_SCOPE, None),
    # --- where
    ("Where did I leave my glasses?", T.WHERE, NO_SCOPE, None),
    ("where did I put the spare key yesterday", T.WHERE, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("Where was the dog at noon?", T.WHERE, "2026-11-20T11:45", "2026-11-20T12:15"),
    ("where are my car keys", T.WHERE, NO_SCOPE, None),
    ("Where did we go for lunch on Friday?", T.WHERE, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("where was the blue umbrella on Thursday", T.WHERE, "2026-11-19T00:00", "2026-11-20T00:00"),
    # --- how many / how often
    ("How many times did the doorbell ring today?", T.HOW_MANY, "2026-11-21T00:00", "2026-11-22T00:00"),
    ("how many times this week did I water the plants", T.HOW_MANY, "2026-11-16T00:00", "2026-11-23T00:00"),
    ("how often did the dog bark last night", T.HOW_MANY, "2026-11-20T18:00", "2026-11-21T06:00"),
    ("How many parcels were delivered since Monday?", T.HOW_MANY, "2026-11-16T00:00", "2026-11-21T10:00"),
    ("how many times did I walk the dog since Monday 9am", T.HOW_MANY, "2026-11-16T09:00", "2026-11-21T10:00"),
    ("Count the cars that parked outside yesterday", T.HOW_MANY, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("how many people came to the party on Saturday", T.HOW_MANY, "2026-11-21T00:00", "2026-11-22T00:00"),
    ("how frequently does the fridge door get left open", T.HOW_MANY, NO_SCOPE, None),
    ("how many cups of coffee did I drink in the past 2 days", T.HOW_MANY, "2026-11-19T10:00", "2026-11-21T10:00"),
    ("number of times the cat used the flap this month?", T.HOW_MANY, "2026-11-01T00:00", "2026-12-01T00:00"),
    # --- current state
    ("Is the back door open?", T.CURRENT_STATE, NO_SCOPE, None),
    ("is the oven still on", T.CURRENT_STATE, NO_SCOPE, None),
    ("Are the garage lights on?", T.CURRENT_STATE, NO_SCOPE, None),
    ("what's the wifi password now", T.CURRENT_STATE, NO_SCOPE, None),
    ("Is there any milk left in the fridge?", T.CURRENT_STATE, NO_SCOPE, None),
    ("what is the current temperature setting on the thermostat", T.CURRENT_STATE, NO_SCOPE, None),
    ("Is the car in the garage right now?", T.CURRENT_STATE, NO_SCOPE, None),
    ("isn't the bathroom window closed?", T.CURRENT_STATE, NO_SCOPE, None),
    ("what's the latest on the leak under the sink", T.CURRENT_STATE, NO_SCOPE, None),
    ("Are the kids at school at the moment?", T.CURRENT_STATE, NO_SCOPE, None),
    # --- past states and yes/no about the past
    ("Was the front door locked last night?", T.WHAT, "2026-11-20T18:00", "2026-11-21T06:00"),
    ("was the gate open yesterday evening", T.WHAT, "2026-11-20T17:00", "2026-11-20T21:00"),
    ("What was the door code before Friday?", T.WHAT, None, "2026-11-20T00:00"),
    ("Did the postman come yesterday?", T.WHAT, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("did anyone feed the cat this morning", T.WHAT, "2026-11-21T05:00", "2026-11-21T12:00"),
    ("Do I usually lock the shed?", T.WHAT, NO_SCOPE, None),
    ("Has the plumber been?", T.WHAT, NO_SCOPE, None),
    ("Did the parcel arrive by 9am?", T.WHAT, "2026-11-21T00:00", "2026-11-21T09:00"),
    ("was the report finished by Wednesday", T.WHAT, None, "2026-11-19T00:00"),
    # --- order
    ("Did I feed the cat before or after I went to the gym?", T.ORDER, NO_SCOPE, None),
    ("which came first, the pizza delivery or the phone call?", T.ORDER, NO_SCOPE, None),
    ("Was the dishwasher started before the movie?", T.ORDER, NO_SCOPE, None),
    ("did Tom get home after the rain started yesterday", T.ORDER, "2026-11-20T00:00", "2026-11-21T00:00"),
    ("the bin collection or the window cleaner: which happened first?", T.ORDER, NO_SCOPE, None),
    ("Which did I do first on Monday, call the bank or go shopping?", T.ORDER, "2026-11-16T00:00", "2026-11-17T00:00"),
    ("was the delivery earlier or later than lunch", T.ORDER, NO_SCOPE, None),
    ("In what order did the guests arrive and the cake get cut?", T.ORDER, NO_SCOPE, None),
    # --- plans (the plan's own time is not the search scope)
    ("What is planned for Thursday?", T.WHAT, NO_SCOPE, None),
    ("When is the dentist appointment moved to?", T.WHEN, NO_SCOPE, None),
    ("what are we doing tomorrow", T.WHAT, NO_SCOPE, None),
    ("What did we plan for next week on Monday?", T.WHAT, "2026-11-16T00:00", "2026-11-17T00:00"),
    ("Who is going to pick up the kids on Friday?", T.WHO, NO_SCOPE, None),
    ("what's on the agenda for the meeting next Tuesday", T.WHAT, NO_SCOPE, None),
    ("when is the boiler service scheduled", T.WHEN, NO_SCOPE, None),
    ("what did Tom say yesterday he will bring to the party", T.WHAT, "2026-11-20T00:00", "2026-11-21T00:00"),
    # --- on-screen text, numbers, and "may" / "count" as ordinary words
    ("What did the sign on the shop door say on Tuesday?", T.WHAT, "2026-11-17T00:00", "2026-11-18T00:00"),
    ("what number was written on the delivery van", T.WHAT, NO_SCOPE, None),
    ("What may I have said about the head count at the meeting?", T.WHAT, NO_SCOPE, None),
    ("what did Tom say may happen with the roof", T.WHAT, NO_SCOPE, None),
    ("What happened on May 3rd?", T.WHAT, "2026-05-03T00:00", "2026-05-04T00:00"),
    ("what did I do in May", T.WHAT, "2026-05-01T00:00", "2026-06-01T00:00"),
]


@pytest.mark.parametrize(("text", "qtype", "start", "end"), TABLE, ids=[row[0][:48] for row in TABLE])
def test_question_table(text, qtype, start, end):
    plan = parse_question(text, NOW)
    assert plan.qtype is qtype, f"{text!r}: {plan.qtype.value}"
    if start == NO_SCOPE:
        assert plan.scope is None, f"{text!r}: {plan.scope}"
    else:
        assert plan.scope is not None, text
        assert (plan.scope.start, plan.scope.end) == (_t(start), _t(end)), text


def test_table_is_large_and_varied():
    assert len(TABLE) >= 80
    assert len({row[0].lower() for row in TABLE}) == len(TABLE)
    assert {row[1] for row in TABLE} == set(T)  # every question type appears


# --- issue #9 parser bugs: (question, field, expected)
BUGS = [
    # 1. "come by" is a visit, not "before": the scope is the morning itself
    ("Who came by this morning?", "scope", ("2026-11-21T05:00", "2026-11-21T12:00")),
    ("did anyone stop by on Tuesday", "scope", ("2026-11-17T00:00", "2026-11-18T00:00")),
    ("Did the courier drop by yesterday?", "scope", ("2026-11-20T00:00", "2026-11-21T00:00")),
    ("Did the parcel arrive by 9am?", "scope", ("2026-11-21T00:00", "2026-11-21T09:00")),  # a deadline stays one
    # 2. "count" as a noun or an ordinary verb does not make a how-many question
    ("What did the coach say about the head count?", "qtype", T.WHAT),
    ("Does my step count show on the watch?", "qtype", T.WHAT),
    ("who did the stock count yesterday", "qtype", T.WHO),
    ("count the visitors today", "qtype", T.HOW_MANY),
    # 3. a present-tense yes/no question about a state is a current-state question
    ("Is the back door open?", "qtype", T.CURRENT_STATE),
    ("are the bikes in the shed", "qtype", T.CURRENT_STATE),
    ("Is the baby asleep?", "qtype", T.CURRENT_STATE),
    ("Is Tom cooking dinner?", "qtype", T.WHAT),  # an activity, not a state
    ("Was the back door open?", "qtype", T.WHAT),  # past: not the current state
    ("Is the window usually open at night?", "qtype", T.WHAT),  # a routine
    # 4. "since Monday 9am" starts at 09:00
    ("what happened since Monday 9am", "scope", ("2026-11-16T09:00", "2026-11-21T10:00")),
    ("anything since yesterday at 18:30?", "scope", ("2026-11-20T18:30", "2026-11-21T10:00")),
    # 5. "may" is the modal verb unless a date says otherwise
    ("What may 5 people eat at the party?", "scope", None),
    ("where may I have put 2 boxes", "scope", None),
    ("what did I eat on 3 May", "scope", ("2026-05-03T00:00", "2026-05-04T00:00")),
    ("What happened in May?", "scope", ("2026-05-01T00:00", "2026-06-01T00:00")),
    # 6 (found on review). "by <day>" means no later than that day, so the day itself counts
    ("was the report finished by Wednesday", "scope", (None, "2026-11-19T00:00")),
    # 7 (found on review). a bare hour after "before"/"after"/"since" is a clock time, not an event
    ("Did the kids go to bed before 9 on Friday?", "scope", ("2026-11-20T00:00", "2026-11-20T09:00")),
    ("Did the kids go to bed before 9 on Friday?", "qtype", T.WHAT),  # not "order: kids vs 9"
    ("did Tom call after 5 minutes", "scope", None),  # a duration stays one
    # 8 (found on review). days joined by or/and/to span both instead of intersecting to nothing
    ("was the party on Saturday or Sunday", "scope", ("2026-11-15T00:00", "2026-11-22T00:00")),
    ("what did I do from Monday to Wednesday", "scope", ("2026-11-16T00:00", "2026-11-19T00:00")),
    ("who visited on Monday and Tuesday", "scope", ("2026-11-16T00:00", "2026-11-18T00:00")),
]


@pytest.mark.parametrize(("text", "field", "expected"), BUGS, ids=[b[0][:48] for b in BUGS])
def test_parser_bugs(text, field, expected):
    plan = parse_question(text, NOW)
    if field == "qtype":
        assert plan.qtype is expected, f"{text!r}: {plan.qtype.value}"
    elif expected is None:
        assert plan.scope is None, f"{text!r}: {plan.scope}"
    else:
        assert plan.scope is not None, text
        assert (plan.scope.start, plan.scope.end) == (_t(expected[0]), _t(expected[1])), text


# --- the question's form: (question, tense, state, as_of, asks_plan, plan_for)
FORMS = [
    ("where was Tom on Thursday", "past", True, "2026-11-20T00:00", False, None),
    ("Was the door open yesterday evening?", "past", True, "2026-11-20T21:00", False, None),
    ("what was the code before Friday", "past", True, "2026-11-20T00:00", False, None),
    ("Where were the car keys this morning?", "past", True, "2026-11-21T10:00", False, None),  # now, not noon
    ("was the garage locked at 10pm", "past", True, "2026-11-20T22:30", False, None),
    ("where did I leave the keys on Thursday", "past", False, None, False, None),  # an event
    ("Was the parcel delivered yesterday?", "past", False, None, False, None),  # an event (passive)
    ("what was Tom doing on Thursday", "past", False, None, False, None),  # an activity
    ("where are my keys", "present", True, None, False, None),  # state as of now
    ("What is planned for Thursday?", "present", False, None, True, ("2026-11-26T00:00", "2026-11-27T00:00")),
    ("what was planned for Thursday", "past", False, None, True, ("2026-11-19T00:00", "2026-11-20T00:00")),
    ("When is the meeting moved to?", "present", False, None, True, None),
    ("what are we doing tomorrow evening", "present", False, None, True, ("2026-11-22T17:00", "2026-11-22T21:00")),
    ("Who will walk the dog next Monday?", "future", False, None, True, ("2026-11-23T00:00", "2026-11-24T00:00")),
    ("what's happening next week", "present", False, None, True, ("2026-11-23T00:00", "2026-11-30T00:00")),
    ("is the bin collection due in 3 days?", "present", True, None, True, ("2026-11-24T00:00", "2026-11-25T00:00")),
    ("what did we plan on Monday?", "past", False, None, True, None),  # Monday is when it was said
    ("What colour was the van that came yesterday?", "past", False, None, False, None),  # the time is the van's
    ("Did Will call on Friday?", "past", False, None, False, None),  # Will is a name here
    ("what was the wifi password last week", "past", True, "2026-11-16T00:00", False, None),
    ("was the shed locked last week", "past", True, None, False, None),  # at any time in the week
    ("was there anyone in the house while we were away yesterday", "past", True, None, False, None),  # existence
    ("what is the plan for the weekend", "present", True, None, True, ("2026-11-21T00:00", "2026-11-23T00:00")),
]


@pytest.mark.parametrize(("text", "tense", "state", "as_of", "asks_plan", "plan_for"), FORMS, ids=[f[0][:48] for f in FORMS])
def test_question_form(text, tense, state, as_of, asks_plan, plan_for):
    plan = parse_question(text, NOW)
    assert (plan.tense, plan.state, plan.as_of, plan.asks_plan) == (tense, state, _t(as_of), asks_plan), text
    if plan_for is None:
        assert plan.plan_for is None, f"{text!r}: {plan.plan_for}"
    else:
        assert (plan.plan_for.start, plan.plan_for.end) == (_t(plan_for[0]), _t(plan_for[1])), text


def test_plan_time_is_not_the_search_scope():
    plan = parse_question("what did Tom say yesterday about the plan for Thursday", NOW)
    assert (plan.scope.start, plan.scope.end) == (_t("2026-11-20T00:00"), _t("2026-11-21T00:00"))
    assert (plan.plan_for.start, plan.plan_for.end) == (_t("2026-11-26T00:00"), _t("2026-11-27T00:00"))
    assert "tomorrow" not in parse_question("what are we doing tomorrow", NOW).keywords
    # said during the week of 9 November: the Friday after that, not the latest Friday
    plan = parse_question("what did Tom say last week about the plan for Friday", NOW)
    assert (plan.plan_for.start, plan.plan_for.end) == (_t("2026-11-13T00:00"), _t("2026-11-14T00:00"))


@pytest.mark.parametrize(("text", "subs", "pick", "relation"), [
    ("Did I feed the cat before or after I went to the gym?", ["I feed the cat", "I went to the gym"], None, None),
    ("which came first, the pizza delivery or the phone call?", ["the pizza delivery", "the phone call"], "first", None),
    ("Which did I do last: call the bank or go shopping?", ["call the bank", "go shopping"], "last", None),
    ("Was the dishwasher started before the movie?", ["the dishwasher", "the movie"], None, "before"),
    ("was the delivery earlier or later than lunch", ["the delivery", "lunch"], None, None),
])
def test_order_questions(text, subs, pick, relation):
    plan = parse_question(text, NOW)
    assert plan.qtype is T.ORDER
    assert (plan.sub_queries, plan.order_pick, plan.relation) == (subs, pick, relation)


def test_count_scopes_across_days():
    assert parse_question("how many times this week did I water the plants", NOW).across_days
    assert parse_question("how many times did I walk the dog since Monday", NOW).across_days
    assert not parse_question("how many times did the doorbell ring this morning", NOW).across_days


@pytest.mark.parametrize("text", [
    "in 99999999999999999999 days", "what is planned for Friday 16 Nov 2001", "next week next month tomorrow",
    "before 99 on Friday", "since Monday 25:99", "", "?", "may may may 3", "é" * 2000,
])
def test_odd_input_parses_without_error(text):
    plan = parse_question(text, NOW)
    assert plan.qtype in set(T)
    for s in (plan.scope, plan.plan_for):
        assert s is None or s.start is None or s.end is None or s.start <= s.end
