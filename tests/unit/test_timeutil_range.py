"""Time arithmetic at the ends of the calendar raises TimeRangeError (a ValueError with a plain
message), never a bare OverflowError: from conversions, offsets, epoch seconds and from time
expressions inside a question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from api_schemas import Question
from memory_core.retrieval.question import parse_question
from memory_core.timeutil import TimeRangeError, add_seconds, ensure_aware, from_epoch, parse_iso


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_conversion_to_utc_out_of_range(text):
    with pytest.raises(TimeRangeError):
        parse_iso(text)


@pytest.mark.parametrize("text", ["1969-12-31T23:59:59Z", "2201-01-01T00:00:00Z", "0001-01-01T00:00:00"])
def test_bounded_parse_refuses_years_outside_1970_2200(text):
    with pytest.raises(TimeRangeError):
        parse_iso(text, bounded=True)
    assert parse_iso("2200-12-31T23:59:59-14:00", bounded=True).year == 2201  # the bound is on the written year


def test_arithmetic_and_epoch_out_of_range():
    with pytest.raises(TimeRangeError):
        add_seconds(datetime(9999, 12, 31, tzinfo=UTC), 86400)
    with pytest.raises(TimeRangeError):
        from_epoch(1e20)
    with pytest.raises(TimeRangeError):
        ensure_aware(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
    assert isinstance(TimeRangeError("x"), ValueError)


@pytest.mark.parametrize("text", ["what happened in the last 99999999 days?", "what happened on 31 December 9999?"])
def test_question_time_expression_out_of_range(text):
    with pytest.raises(TimeRangeError):
        parse_question(text, datetime(2026, 11, 20, tzinfo=UTC))


@pytest.mark.parametrize("field", ["now", "start", "end"])
def test_question_schema_bounds_times(field):
    with pytest.raises(ValueError):
        Question(text="what happened?", **{field: "0001-01-01T00:00:00+14:00"})
    with pytest.raises(ValueError):
        Question(text="what happened?", sources=[f"s{i}" for i in range(101)])
    assert Question(text="what happened?", **{field: "1970-01-01T00:00:00+14:00"})
