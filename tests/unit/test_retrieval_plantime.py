"""Future-only time expressions (plans), against Saturday 21 November 2026 10:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from memory_core.retrieval.plantime import future_scope

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # a Saturday


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("what's on tomorrow", "2026-11-22T00:00", "2026-11-23T00:00"),
    ("who is coming tomorrow morning", "2026-11-22T05:00", "2026-11-22T12:00"),
    ("the day after tomorrow", "2026-11-23T00:00", "2026-11-24T00:00"),
    ("next Saturday", "2026-11-28T00:00", "2026-11-29T00:00"),  # today is Saturday: a week ahead
    ("next Monday", "2026-11-23T00:00", "2026-11-24T00:00"),
    ("next week", "2026-11-23T00:00", "2026-11-30T00:00"),
    ("next month", "2026-12-01T00:00", "2027-01-01T00:00"),
    ("in 3 days", "2026-11-24T00:00", "2026-11-25T00:00"),
    ("in a couple of weeks", "2026-12-05T00:00", "2026-12-06T00:00"),
    ("later today", "2026-11-21T10:00", "2026-11-22T00:00"),
])
def test_future_expressions(text, start, end):
    scope = future_scope(text, NOW)
    assert scope is not None, text
    assert (scope.start, scope.end) == (_t(start), _t(end)), text


@pytest.mark.parametrize("text", ["what happened 3 days ago", "what did I do yesterday", "on Monday", "in the last 2 days"])
def test_past_expressions_are_not_future(text):
    assert future_scope(text, NOW) is None


def test_year_end_and_time_zone():
    assert future_scope("next month", datetime(2026, 12, 20, tzinfo=UTC)).end == _t("2027-02-01T00:00")
    berlin = ZoneInfo("Europe/Berlin")  # UTC+1 in November
    assert future_scope("tomorrow", NOW, berlin).start == _t("2026-11-21T23:00")
