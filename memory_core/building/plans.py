"""Plan statements in transcripts: "the meeting moved to Thursday" is a plan *for* Thursday, said on
the day it was heard - never a fact observed on Thursday (rules, no model).

Recognised forms (case-insensitive), each with a time expression ``T`` (below):

- "<X> (is|was|has been|got) moved/postponed/rescheduled/pushed (back)/brought forward/put off/
  delayed/changed/shifted to|until T" and "<someone> moved/postponed/... the <X> to T";
- "<X> is/was scheduled/planned/booked/arranged/set/due/fixed for|on|at T";
- "<X> is/'s/will be on|at T"; "<X> will be/happen/take place/start/begin (on|at) T"; "<X> will be
  <one word> (on|at|by|until) T" ("the bike will be ready on Friday");
- "<X> moved/postponed/... from <old time> to T" (the old time is skipped);
- a present-tense schedule or travel verb, or its progressive, with ``T`` later in the clause
  (at most 6 words between, no conjunction): "<X> arrives/leaves/starts/opens/returns/comes back/
  visits ... T", "<X> is coming/arriving/leaving/flying/returning ... T" ("Gran is coming to stay
  with us next weekend", "the shop opens at 9am"). Past tenses ("walked to the station on
  Thursday") are events, not plans.

``T`` is a day (weekday with an optional next/this/coming, tomorrow, today, tonight, the day after
tomorrow, next week, (next/this/the) weekend, "19 November", "Nov 19th", ISO ``2026-11-19``) with an optional clock time
("at 3pm", "15:30", noon, midnight), or a clock time with an optional day. Bare hours ("at 3")
are not times (too ambiguous in speech).

Resolution against the moment the plan was said (``at``, calendar days in UTC, since memory is
built without the user's time zone): a weekday is the first such day *after* the day it was said
("next Thursday" likewise; "this Thursday" is the one of that ISO week when not past); a date
without a year is the next such date on or after that day; a clock time without a day is its next
occurrence after ``at``. The planned window is that day (00:00 to 24:00), "tonight" 18:00-24:00,
"next week" the next ISO week, a weekend the first Saturday after the day it was said (a
Saturday's "this weekend" is that day) to Monday 00:00, and one hour from a clock time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from memory_core.building.facts import Observation, subject_before

PREDICATE = "plan"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WD = "|".join(_WEEKDAYS)
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_DAY = (rf"(?:(?:next|this|coming)\s+)?(?:{_WD})|(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|tonight|next\s+week"
        rf"|(?:(?:next|this|the|coming)\s+)+weekend"
        rf"|\d{{4}}-\d{{2}}-\d{{2}}|(?:the\s+)?\d{{1,2}}{_ORD}\s+(?:of\s+)?(?:{_MON})\b|(?:{_MON})\.?\s+\d{{1,2}}{_ORD}\b")
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}:\d{2}|noon|midnight)"
_TIME = (rf"(?:(?:on\s+)?(?P<day>{_DAY})(?:\s*,?\s+(?:at\s+|from\s+)?(?P<clock>{_CLOCK}))?"
         rf"|(?P<clock2>{_CLOCK})(?:\s*,?\s+(?:on\s+)?(?P<day2>{_DAY}))?)(?![\w:])")
_BE = r"(?:is|are|was|were|has\s+been|have\s+been|got|will\s+be|'s)"
_MOVE = r"(?:moved|postponed|rescheduled|pushed\s+back|pushed|brought\s+forward|put\s+off|delayed|changed|shifted)"
_FROM = r"(?:from\s+(?:[\w']+\s+){1,4}?)?"  # "moved from Tuesday to Thursday": the old time is skipped
# present-tense schedule and travel verbs, and their progressive, with a time later in the clause
# ("Rose arrives next Saturday", "the train leaves at 8:15", "Gran is coming to stay with us next weekend")
_SCHEDULE_VERB = (r"(?:arrives?|leaves?|departs?|starts?|begins?|opens?|closes?|ends?|finishes|returns?|comes?\s+back|"
                  r"gets?\s+back|comes?|fly|flies|lands?|visits?)")
_PROGRESSIVE = r"(?:(?:is|are|'s|'re)\s+(?:coming|arriving|leaving|departing|starting|returning|flying|visiting|getting\s+back|coming\s+back))"
_GAP = r"(?:\s+(?!(?:and|but|then|because|so|while|when|after|before)\b)[\w']+){0,6}?"
_PASSIVE = [
    re.compile(rf"(?i)\s+(?:(?:{_BE}|has|have|had)\s+)?(?:now\s+)?{_MOVE}\s+(?:back\s+)?{_FROM}(?:to|until|till)\s+{_TIME}"),
    re.compile(rf"(?i)\s+{_BE}\s+(?:now\s+)?(?:scheduled|planned|booked|arranged|set|due|fixed)\s+(?:for|on|at)\s+{_TIME}"),
    re.compile(rf"(?i)\s+(?:is|are|'s|will\s+be)\s+(?:now\s+)?(?:on|at)\s+{_TIME}"),
    re.compile(rf"(?i)(?:\s+will|'ll)\s+(?:be(?:\s+(?!(?:on|at|by|until|till)\b|(?:{_DAY}|{_CLOCK})(?![\w:]))[a-z]+)?|happen|take\s+place|start|begin)"
               rf"\s+(?:on\s+|at\s+|by\s+|until\s+|till\s+)?{_TIME}"),
    re.compile(rf"(?i)\s+(?:(?:will\s+)?{_SCHEDULE_VERB}|{_PROGRESSIVE}){_GAP}\s+(?:on\s+|at\s+)?{_TIME}"),
]
_ACTIVE = re.compile(
    rf"(?i)\b(?:moved|postponed|rescheduled|pushed|put\s+off|changed|shifted|booked|scheduled|planned)\s+"
    rf"(?:the|our|my|your|their|this|that)\s+(?P<obj>[\w' -]{{1,40}}?)\s+(?:back\s+)?(?:to|until|till|for)\s+{_TIME}"
)
TIME_EXPRESSION = re.compile(rf"(?i)^\s*{_TIME}")


def is_time_expression(text: str) -> bool:
    """True when ``text`` starts with a time expression of this module ("Thursday at 3pm ...")."""
    return TIME_EXPRESSION.match(text) is not None


def _clock(text: str) -> time | None:
    t = text.lower().replace(".", "").replace(" ", "")
    if t == "noon":
        return time(12, 0)
    if t == "midnight":
        return time(0, 0)
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", t)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and h < 12:
        h += 12
    elif m.group(3) == "am" and h == 12:
        h = 0
    return time(h, mi) if h < 24 and mi < 60 else None


def _day(text: str, said: date) -> tuple[date, int, time | None] | None:
    """``(first day, number of days, default start time)`` of a day expression said on ``said``."""
    t = " ".join(text.lower().split())
    if t.startswith("the "):
        t = t[4:]
    if t == "today":
        return said, 1, None
    if t == "tonight":
        return said, 1, time(18, 0)
    if t == "tomorrow":
        return said + timedelta(days=1), 1, None
    if t == "day after tomorrow":
        return said + timedelta(days=2), 1, None
    if t == "next week":
        return said - timedelta(days=said.weekday()) + timedelta(days=7), 7, None
    if t.endswith("weekend"):  # like a weekday: the first Saturday after the day said (Sat + Sun)
        ahead = (5 - said.weekday()) % 7 or 7
        if t in ("weekend", "this weekend") and said.weekday() == 5:
            ahead = 0
        return said + timedelta(days=ahead), 2, None
    m = re.fullmatch(rf"(?:(next|this|coming)\s+)?({_WD})", t)
    if m:
        wd = _WEEKDAYS.index(m.group(2))
        if m.group(1) == "this" and wd >= said.weekday():
            return said + timedelta(days=wd - said.weekday()), 1, None
        ahead = (wd - said.weekday()) % 7 or 7
        return said + timedelta(days=ahead), 1, None
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), 1, None
        except ValueError:
            return None
    m = re.fullmatch(rf"(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MON})", t) or re.fullmatch(rf"({_MON})\.?\s+(\d{{1,2}}){_ORD}", t)
    if m:
        a, b = m.group(1), m.group(2)
        day_s, mon_s = (a, b) if a.isdigit() else (b, a)
        for year in (said.year, said.year + 1):
            try:
                d = date(year, _MONTHS[mon_s], int(day_s))
            except ValueError:
                return None
            if d >= said:
                return d, 1, None
    return None


def resolve_time(m: re.Match, said: datetime) -> tuple[datetime, datetime, str] | None:
    """The planned window ``(start, end, text)`` (aware UTC) of a :data:`TIME_EXPRESSION`-style
    match, resolved against ``said`` (aware); ``None`` when the expression names no real day."""
    said = said.astimezone(UTC)
    day_text = m.group("day") or m.group("day2")
    clock_text = m.group("clock") or m.group("clock2")
    clock = _clock(clock_text) if clock_text else None
    if clock_text and clock is None:
        return None
    text = " ".join(x for x in (day_text, ("at " + clock_text.rstrip(".")) if clock_text else None) if x)
    if day_text:
        resolved = _day(day_text, said.date())
        if resolved is None:
            return None
        first, days, default = resolved
        if clock is not None:
            start = datetime.combine(first, clock, UTC)
            return start, start + timedelta(hours=1), text
        start = datetime.combine(first, default or time(0, 0), UTC)
        return start, datetime.combine(first + timedelta(days=days), time(0, 0), UTC), text
    start = datetime.combine(said.date(), clock, UTC)
    if start <= said:
        start += timedelta(days=1)
    return start, start + timedelta(hours=1), text


def _label(start: datetime, end: datetime) -> str:
    if end - start >= timedelta(days=1) and start.time() == time(0, 0):
        days = (end - start).days
        return start.date().isoformat() + (f" +{days} days" if days > 1 else "")
    return start.strftime("%Y-%m-%d %H:%M")


def find_plans(sentence: str, at: datetime, evidence_id: str) -> list[Observation]:
    """Plan observations in one spoken or written sentence said at ``at`` (aware): subject /
    ``"plan"`` / value (the planned day ``"2026-11-19"`` or moment ``"2026-11-19 15:00"``), with
    ``target_start``/``target_end``/``target_text`` set. Pronoun subjects ("it") are skipped."""
    out: list[Observation] = []
    seen: set[tuple[str, str]] = set()
    found: list[tuple[tuple[str, str] | None, re.Match]] = []
    for m in _ACTIVE.finditer(sentence):
        obj = subject_before(m.group("obj").strip() + " ")
        found.append((obj if obj else None, m))
    for pat in _PASSIVE:
        for m in pat.finditer(sentence):
            found.append((subject_before(sentence[: m.start()]), m))
    for subj, m in found:
        if subj is None:
            continue
        window = resolve_time(m, at)
        if window is None:
            continue
        start, end, text = window
        value = _label(start, end)
        if (subj[0], value) in seen:
            continue
        seen.add((subj[0], value))
        out.append(Observation(subj[0], subj[1], PREDICATE, value, at, evidence_id, sentence.strip()[:200],
                               target_start=start, target_end=end, target_text=text))
    return out
