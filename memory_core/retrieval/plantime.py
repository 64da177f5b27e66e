"""Future time expressions and the time a plan is for ("what is planned for Thursday").

:mod:`memory_core.retrieval.timeparse` resolves expressions to the past (memory holds only what
already happened). A plan question names two times: when the plan was said (a past scope that
limits the evidence search) and the time the plan is *for* (its target, possibly in the future).
This module finds the future-only expressions timeparse does not know ("tomorrow", "the day after
tomorrow", "next Thursday", "next week", "next month", "in 3 days") and resolves a plan's target.

Conventions: days are calendar days in the user's time zone ``tz``; weeks are ISO weeks; "next
Thursday" is the first Thursday after today; "in N days" is that calendar day. Results are
:class:`~memory_core.retrieval.timeparse.TimeScope` objects (aware UTC, ``[start, end)``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from memory_core.retrieval.timeparse import TimeScope
from memory_core.retrieval.timerules import WEEKDAYS

__all__ = ["FUTURE_EXPRESSIONS", "future_scope"]

_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "a": 1, "a couple of": 2, "a few": 3}
#: future-only time expressions (case-insensitive), one alternative per form.
FUTURE_EXPRESSIONS = re.compile(
    r"\b(?:(?P<dat>the\s+day\s+after\s+tomorrow)|(?P<tom>tomorrow)(?:\s+(?P<pod>morning|afternoon|evening|night))?"
    rf"|next\s+(?P<wd>{'|'.join(WEEKDAYS)})|next\s+(?P<unit>week|month|year)"
    r"|in\s+(?P<n>\d+|one|two|three|four|five|six|seven|a couple of|a few|a)\s+(?P<u>days?|weeks?)(?!\s+ago)"
    r"|(?P<later>later\s+today))\b",
    re.IGNORECASE,
)
_PARTS = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 21), "night": (18, 24)}


def future_scope(text: str, now: datetime, tz: tzinfo = UTC) -> TimeScope | None:
    """The first future-only expression of ``text`` resolved against ``now`` (see module doc).

    Args:
        text: the question.
        now: the reference moment (aware; a naive value is taken to be in ``tz``).
        tz: the user's time zone.

    Returns:
        A :class:`TimeScope` ``[start, end)`` in aware UTC, or ``None`` when ``text`` has none (or
        names a day outside the calendar, e.g. "in 99999999999 days").
    """
    m = FUTURE_EXPRESSIONS.search(text)
    if m is None:
        return None
    try:
        return _resolve(m, now, tz)
    except (OverflowError, ValueError):  # "in 99999999999 days": no representable date
        return None


def _resolve(m: re.Match, now: datetime, tz: tzinfo) -> TimeScope:
    local = (now.replace(tzinfo=tz) if now.tzinfo is None else now).astimezone(tz)
    today = local.date()

    def at(d: date, hour: int = 0) -> datetime:
        return datetime.combine(d, time(0), tz) + timedelta(hours=hour)

    if m.group("later"):
        start, end = local, at(today + timedelta(days=1))
    elif m.group("dat"):
        d = today + timedelta(days=2)
        start, end = at(d), at(d + timedelta(days=1))
    elif m.group("tom"):
        d = today + timedelta(days=1)
        lo, hi = _PARTS.get((m.group("pod") or "").lower(), (0, 24))
        start, end = at(d, lo), at(d, hi)
    elif m.group("wd"):
        ahead = (WEEKDAYS.index(m.group("wd").lower()) - today.weekday()) % 7 or 7
        d = today + timedelta(days=ahead)
        start, end = at(d), at(d + timedelta(days=1))
    elif m.group("unit"):
        unit = m.group("unit").lower()
        if unit == "week":
            d = today - timedelta(days=today.weekday()) + timedelta(days=7)
            start, end = at(d), at(d + timedelta(days=7))
        elif unit == "month":
            y, mo = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            start = at(date(y, mo, 1))
            end = at(date(y + (mo == 12), mo % 12 + 1, 1))
        else:
            start, end = at(date(today.year + 1, 1, 1)), at(date(today.year + 2, 1, 1))
    else:
        n_txt = m.group("n").lower()
        n = int(n_txt) if n_txt.isdigit() else _NUM.get(n_txt, 1)
        d = today + timedelta(days=n * (7 if m.group("u").lower().startswith("week") else 1))
        start, end = at(d), at(d + timedelta(days=1))
    return TimeScope(start=start.astimezone(UTC), end=end.astimezone(UTC), matched=m.group(0),
                     spans=(m.span(),), label="future " + m.group(0).lower())
