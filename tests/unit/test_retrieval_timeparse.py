"""Time expressions -> scopes, against a fixed now: Saturday 21 November 2026, 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from memory_core.retrieval.timeparse import parse_time_scope, strip_time_expressions

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # a Saturday


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CASES = [
    ("what happened today", "2026-11-21T00:00", "2026-11-22T00:00"),
    ("what happened yesterday?", "2026-11-20T00:00", "2026-11-21T00:00"),
    ("the day before yesterday", "2026-11-19T00:00", "2026-11-20T00:00"),
    ("who came this morning", "2026-11-21T05:00", "2026-11-21T12:00"),
    ("this afternoon", "2026-11-21T12:00", "2026-11-21T17:00"),
    ("this evening", "2026-11-21T17:00", "2026-11-21T21:00"),
    ("tonight", "2026-11-21T18:00", "2026-11-22T00:00"),
    ("what was heard last night", "2026-11-20T18:00", "2026-11-21T06:00"),
    ("on Monday", "2026-11-16T00:00", "2026-11-17T00:00"),
    ("Tuesday", "2026-11-17T00:00", "2026-11-18T00:00"),
    ("last Tuesday", "2026-11-17T00:00", "2026-11-18T00:00"),
    ("on Saturday", "2026-11-21T00:00", "2026-11-22T00:00"),  # today is Saturday
    ("last Saturday", "2026-11-14T00:00", "2026-11-15T00:00"),  # strictly before today
    ("Monday morning", "2026-11-16T05:00", "2026-11-16T12:00"),
    ("Tuesday last week", "2026-11-10T00:00", "2026-11-11T00:00"),
    ("this week", "2026-11-16T00:00", "2026-11-23T00:00"),
    ("last week", "2026-11-09T00:00", "2026-11-16T00:00"),
    ("this month", "2026-11-01T00:00", "2026-12-01T00:00"),
    ("last month", "2026-10-01T00:00", "2026-11-01T00:00"),
    ("in the last 2 hours", "2026-11-21T08:00", "2026-11-21T10:00"),
    ("past 3 days", "2026-11-18T10:00", "2026-11-21T10:00"),
    ("the past week", "2026-11-14T10:00", "2026-11-21T10:00"),
    ("in the last 30 minutes", "2026-11-21T09:30", "2026-11-21T10:00"),
    ("last hour", "2026-11-21T09:00", "2026-11-21T10:00"),
    ("3 days ago", "2026-11-18T00:00", "2026-11-19T00:00"),
    ("two days ago", "2026-11-19T00:00", "2026-11-20T00:00"),
    ("a week ago", "2026-11-14T00:00", "2026-11-15T00:00"),
    ("2 hours ago", "2026-11-21T07:30", "2026-11-21T08:30"),
    ("on 2026-11-16", "2026-11-16T00:00", "2026-11-17T00:00"),
    ("November 16", "2026-11-16T00:00", "2026-11-17T00:00"),
    ("16 Nov", "2026-11-16T00:00", "2026-11-17T00:00"),
    ("Nov 16th", "2026-11-16T00:00", "2026-11-17T00:00"),
    ("on the 16th of November", "2026-11-16T00:00", "2026-11-17T00:00"),
    ("November 16, 2025", "2025-11-16T00:00", "2025-11-17T00:00"),
    ("December 25", "2025-12-25T00:00", "2025-12-26T00:00"),  # the most recent past one
    ("in October", "2026-10-01T00:00", "2026-11-01T00:00"),
    ("at 8am", "2026-11-21T07:30", "2026-11-21T08:30"),
    ("at 9:15 am", "2026-11-21T09:00", "2026-11-21T09:30"),
    ("around 18:30", "2026-11-20T18:00", "2026-11-20T19:00"),  # not yet today: yesterday
    ("at 18:30", "2026-11-20T18:15", "2026-11-20T18:45"),
    ("at noon", "2026-11-20T11:45", "2026-11-20T12:15"),
    ("between 8 and 9", "2026-11-21T08:00", "2026-11-21T09:00"),
    ("from 6 to 7 pm yesterday", "2026-11-20T18:00", "2026-11-20T19:00"),
    ("between 11 and 1pm on Monday", "2026-11-16T11:00", "2026-11-16T13:00"),
    ("yesterday at 8am", "2026-11-20T07:30", "2026-11-20T08:30"),
    ("at 8 yesterday", "2026-11-20T07:30", "2026-11-20T08:30"),
    ("this evening at 8", "2026-11-21T19:30", "2026-11-21T20:30"),
    ("on Monday around 18:30", "2026-11-16T18:00", "2026-11-16T19:00"),
    ("since Monday", "2026-11-16T00:00", "2026-11-21T10:00"),
    ("since 8am", "2026-11-21T08:00", "2026-11-21T10:00"),
    ("after 6pm yesterday", "2026-11-20T18:00", "2026-11-21T00:00"),
    ("before 9am", "2026-11-21T00:00", "2026-11-21T09:00"),
]


@pytest.mark.parametrize(("text", "start", "end"), CASES)
def test_expressions(text, start, end):
    scope = parse_time_scope(text, NOW)
    assert scope is not None, text
    assert (scope.start, scope.end) == (_t(start), _t(end)), text
    assert scope.matched and scope.spans
    assert scope.start.tzinfo is not None


@pytest.mark.parametrize("text", [
    "what did Alice say about the truck", "is the back door open", "what is going on?",
    "how often do I water the plants in the morning",  # a part of day alone is a routine, no scope
    "did the truck come before or after the gate opened", "how many pallets are in bay 3",
    "what did I say on Mondays",
])
def test_no_scope(text):
    assert parse_time_scope(text, NOW) is None


def test_open_ended_and_empty():
    after_monday = parse_time_scope("what happened after Monday", NOW)
    assert after_monday.start == _t("2026-11-17T00:00") and after_monday.end is None
    before = parse_time_scope("anything before Monday", NOW)
    assert before.start is None and before.end == _t("2026-11-16T00:00")
    empty = parse_time_scope("on Monday yesterday", NOW)  # Monday 16th vs Friday 20th
    assert empty.start == empty.end


def test_time_zone_sets_day_boundaries():
    berlin = ZoneInfo("Europe/Berlin")  # UTC+1 in November
    scope = parse_time_scope("yesterday", NOW, tz=berlin)
    assert scope.start == _t("2026-11-19T23:00") and scope.end == _t("2026-11-20T23:00")
    assert parse_time_scope("at 8am", NOW, tz=berlin).start == _t("2026-11-21T06:30")


def test_contains_and_spans():
    text = "what did Bob say yesterday at 8am about the gate"
    scope = parse_time_scope(text, NOW)
    assert scope.contains(_t("2026-11-20T08:00")) and not scope.contains(_t("2026-11-20T09:00"))
    assert [text[a:b] for a, b in scope.spans] == ["yesterday", "at 8am"]


@pytest.mark.parametrize(("text", "expected"), [
    ("What did Alice say yesterday at 8am?", "What did Alice say?"),
    ("What happened on Monday morning at the gate?", "What happened at the gate?"),
    ("How many times in the last 2 hours did the dog bark?", "How many times did the dog bark?"),
    ("Is the back door open now?", "Is the back door open?"),
    ("what is going on?", "what is going on?"),
    ("who was at bay 3 between 8 and 9 on 16 Nov", "who was at bay 3"),
])
def test_strip(text, expected):
    assert strip_time_expressions(text) == expected
