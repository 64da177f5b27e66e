"""Time expressions in questions -> a wall-clock scope. Pure Python (``re`` + ``datetime``).

``parse_time_scope("what did Alice say yesterday at 8am", now)`` finds every expression it knows,
resolves each against ``now`` in the user's time zone ``tz`` and combines them into one
:class:`TimeScope` (``[start, end)``, aware UTC). ``strip_time_expressions`` removes the same
expressions (and a few "now"-words) so the rest can be embedded as the content query.

Conventions (chosen, and relied on by the tests):

- Days are calendar days in ``tz``; weeks are ISO weeks (Monday 00:00 to the next Monday 00:00).
- ``Monday`` / ``on Monday``: the most recent Monday up to and including today (today when today is
  a Monday). ``last Monday``: the most recent Monday strictly before today. ``this Monday``: the
  Monday of the current ISO week. A weekday next to ``this week`` / ``last week`` is that day of
  that week.
- ``the weekend`` / ``at the weekend``: the latest Saturday-Sunday that has begun; ``this weekend``
  the one of the current ISO week; ``last weekend`` the latest completed one.
- Dates without a year (``November 16``, ``16 Nov``, ``Nov 16th``): the most recent such date up to
  and including today.
- Parts of day: morning 05:00-12:00, afternoon 12:00-17:00, evening 17:00-21:00, night and
  ``tonight`` 18:00-24:00; ``last night`` is yesterday 18:00 to today 06:00. A part of day alone
  (``in the morning``) gives no scope (it is a routine across days); with a day it narrows it.
- Clock times use the 24-hour clock unless ``am``/``pm`` is written (``at 8`` is 08:00, but
  ``this evening at 8`` is 20:00). ``at 8am`` is a window of +-30 min, ``at 18:30`` +-15 min;
  ``around``/``about`` doubles the window. A clock time without a day is the most recent past
  occurrence (today if that window has started, else yesterday). ``between 8 and 9`` /
  ``from 8 to 9:30`` is that range.
- ``in the last 2 hours`` / ``past 3 days`` / ``the past week`` are rolling windows ending at
  ``now``; ``last week`` / ``last month`` (no number, no "the") are the previous calendar ones.
  ``3 days ago`` is that calendar day; ``2 hours ago`` is a +-30 min window around that moment.
- ``since X`` is ``[start of X, now]``; ``after X`` is ``[X, end of its day)`` for clock times and
  ``[end of X, open)`` for days; ``before X`` / ``until X`` is ``[start of its day, X)`` for clock
  times and ``(open, start of X)`` for days; ``by X`` (no later than) is the same for clock times and
  ``(open, end of X)`` for days ("done by Friday" includes Friday). Open ends are ``None``.
  ``since Monday 9am`` starts at the clock time itself (09:00), not at its +-30 min window.
- ``by`` after a visiting/passing verb ("who came by this morning", "stop by") is a particle, not
  a modifier. ``may`` is the month only with date context ("in May", "3 May", "May 3rd", "May
  2026", or capitalised "May" not opening the sentence); "what may 5 people eat" has no date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from memory_core.retrieval.timerules import DANGLING, NOW_WORDS, PARTS_OF_DAY, Piece, find_pieces

__all__ = ["TimeScope", "parse_time_scope", "strip_time_expressions"]


@dataclass(frozen=True, slots=True)
class TimeScope:
    """A resolved wall-clock range ``[start, end)`` (aware UTC; ``None`` = open end).

    ``matched`` is the question's text of the expressions used (joined by a space), ``spans`` their
    ``(begin, end)`` character offsets in the question, ``label`` a short description.
    """

    start: datetime | None
    end: datetime | None
    matched: str
    spans: tuple[tuple[int, int], ...] = ()
    label: str = ""

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` lies in ``[start, end)``."""
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def _resolve_weekday(p: Piece, today: date, week_start: date | None) -> tuple[date, date]:
    wd, mode = p.weekday
    if week_start is not None:
        d = week_start + timedelta(days=wd)
    elif mode == "this":
        d = today - timedelta(days=today.weekday()) + timedelta(days=wd)
    else:
        back = (today.weekday() - wd) % 7
        if mode in ("last", "past") and back == 0:
            back = 7
        d = today - timedelta(days=back)
    return d, d + timedelta(days=1)


_OR_BETWEEN = re.compile(r"\s*,?\s*(?:or|and|and/or|to|through|thru|-|&)\s*(?:on\s+|in\s+|the\s+)?", re.IGNORECASE)


def _alternatives(text: str, day_ranges: list[Piece]) -> bool:
    """True when the day expressions are joined by "or", "and", "to", "through" or "-" ("Saturday or
    Sunday", "Monday and Tuesday", "from Monday to Wednesday"): the scope spans all of them."""
    ordered = sorted(day_ranges, key=lambda p: p.span[0])
    return len(ordered) > 1 and all(
        _OR_BETWEEN.fullmatch(text[a.span[1]:b.span[0]]) for a, b in zip(ordered, ordered[1:]))


def parse_time_scope(text: str, now: datetime, tz: tzinfo = UTC) -> TimeScope | None:
    """Resolve the time expressions of ``text`` against ``now`` (see the module docstring).

    Args:
        text: the question.
        now: the reference moment (aware; a naive value is taken to be in ``tz``).
        tz: the user's time zone; day boundaries are computed in it.

    Returns:
        The combined scope (aware UTC datetimes, ``[start, end)``), or ``None`` when the text has
        no time expression. Conflicting day expressions are intersected; an empty intersection
        gives a scope with ``start == end`` (nothing can match).
    """
    now_local = (now.replace(tzinfo=tz) if now.tzinfo is None else now).astimezone(tz)
    today = now_local.date()
    pieces = find_pieces(text, now_local)
    if not pieces:
        return None
    spans = tuple(p.span for p in pieces)
    matched = " ".join(text[s:e] for s, e in spans)

    def out(start: datetime | None, end: datetime | None, label: str) -> TimeScope:
        return TimeScope(
            start=start.astimezone(UTC) if start else None,
            end=end.astimezone(UTC) if end else None,
            matched=matched, spans=spans, label=label,
        )

    def at(d: date, minutes: float = 0.0) -> datetime:
        return datetime.combine(d, time(0), tz) + timedelta(minutes=minutes)

    abs_pieces = [p for p in pieces if p.kind == "abs"]
    if abs_pieces:
        p = abs_pieces[0]
        start, end = p.abs
        if p.mod == "since":
            end = now_local
        return out(start, end, f"{p.mod + ' ' if p.mod else ''}{text[p.span[0]:p.span[1]]}")

    day_ranges = [p for p in pieces if p.kind == "days"]
    weeks = [p for p in day_ranges if p.week]
    week_start = weeks[0].days[0] if weeks else None
    for p in pieces:
        if p.kind == "weekday":
            p.days = _resolve_weekday(p, today, week_start)
            p.kind = "days"
            if p.pod:
                p.tod = PARTS_OF_DAY[p.pod]
            if week_start is not None:
                day_ranges = [q for q in day_ranges if not q.week]
            day_ranges.append(p)
    clocks = [p for p in pieces if p.kind == "tod"]
    pods = [p for p in pieces if p.kind == "pod"] + [p for p in day_ranges if p.pod]
    pod = pods[0].pod if pods else None
    window: tuple[float, float] | None = None
    anchor: float | None = None
    if clocks:
        c = clocks[0]
        shift = 720.0 if c.bare_hour and pod in ("afternoon", "evening", "night") and c.anchor < 720 else 0.0
        window = (c.tod[0] + shift, c.tod[1] + shift)
        anchor = c.anchor + shift
    elif pod:
        window = PARTS_OF_DAY[pod]
    mod = next((p.mod for p in pieces if p.mod), None)

    if day_ranges:
        first = max(p.days[0] for p in day_ranges)
        last = min(p.days[1] for p in day_ranges)
        if _alternatives(text, day_ranges):  # "Saturday or Sunday", "Monday to Wednesday": the span
            first, last = min(p.days[0] for p in day_ranges), max(p.days[1] for p in day_ranges)
        if last <= first:
            return out(at(first), at(first), "empty: the day expressions do not overlap")
        start, end = at(first), at(last)
        if window is not None and (last - first).days == 1:
            if mod in ("since", "after", "before", "until", "till", "by") and anchor is not None:
                if mod == "since":  # "since Monday 9am": from the clock time itself, not its window
                    return out(at(first, anchor), now_local, f"since {first.isoformat()} {text[clocks[0].span[0]:clocks[0].span[1]]}")
                return out(at(first, anchor), end, "after") if mod == "after" else out(start, at(first, anchor), "before")
            start, end = at(first, window[0]), at(first, window[1])
        if mod == "since":
            return out(start, now_local, f"since {first.isoformat()}")
        if mod == "after":
            return out(end, None, f"after {first.isoformat()}")
        if mod == "by":  # "done by Friday": no later than the end of that day
            return out(None, end, f"by {first.isoformat()}")
        if mod in ("before", "until", "till"):
            return out(None, start, f"before {first.isoformat()}")
        return out(start, end, f"{first.isoformat()}..{last.isoformat()}")

    if window is None or not clocks:  # a part of day alone is a routine across days: no scope
        return None
    day = today if at(today, window[0]) <= now_local else today - timedelta(days=1)
    if mod == "since" and anchor is not None:
        return out(at(day, anchor), now_local, "since")
    if mod == "after" and anchor is not None:
        return out(at(day, anchor), at(day + timedelta(days=1)), "after")
    if mod in ("before", "until", "till", "by") and anchor is not None:
        return out(at(day), at(day, anchor), "before")
    return out(at(day, window[0]), at(day, window[1]), f"{day.isoformat()} window")


def strip_time_expressions(text: str) -> str:
    """``text`` without its time expressions, "now"-words and the prepositions left dangling.

    >>> strip_time_expressions("What did Alice say yesterday at 8am?")
    'What did Alice say?'
    """
    now_local = datetime(2000, 1, 1, 12, tzinfo=UTC)  # only spans matter here
    pieces = find_pieces(text, now_local)
    spans = [p.span for p in pieces] + [m.span() for m in NOW_WORDS.finditer(text)]
    spans.sort()
    out, pos = [], 0
    for s, e in spans:
        if e <= pos:
            continue
        out.append(DANGLING.sub(" ", text[pos:s]) if s > pos else "")
        pos = e
    out.append(text[pos:])
    result = "".join(out)
    result = re.sub(r"\s+([?.!,;])", r"\1", result)
    return re.sub(r"\s{2,}", " ", result).strip(" ,;")
