"""Recognisers of time expressions for :mod:`memory_core.retrieval.timeparse`.

Each rule is a compiled regular expression and a function that turns its match into a
:class:`Piece` (a day range, a weekday to resolve, a clock-time window, a part of day or an
absolute range), resolved against ``now`` in the user's time zone; :func:`find_pieces` keeps the
longest non-overlapping matches and notes a modifier word (since/after/before/until) in front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

# --------------------------------------------------------------------------- vocabulary
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty-eight": 48, "a couple of": 2, "a few": 3, "few": 3, "several": 3,
}
PARTS_OF_DAY = {  # minutes from midnight, [from, to)
    "morning": (5 * 60, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 21 * 60),
    "night": (18 * 60, 24 * 60),
}
_UNIT_SECONDS = {"minute": 60, "min": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}

_WD = "|".join(WEEKDAYS)
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUM = r"(?:\d+|a couple of|a few|several|few|forty-eight|" + "|".join(
    sorted((k for k in _NUMBER_WORDS if " " not in k and k != "forty-eight"), key=len, reverse=True)
) + ")"
_AMPM = r"(?:a\.?m\.?|p\.?m\.?)"
_CLOCK = rf"(?:\d{{1,2}}(?::\d{{2}})?\s*{_AMPM}|\d{{1,2}}:\d{{2}}|noon|midnight)"  # unambiguous
_CLOCK_LOOSE = rf"(?:\d{{1,2}}(?::\d{{2}})?(?:\s*{_AMPM})?|noon|midnight)"
_MODIFIER = r"(?:(?P<mod>since|after|before|until|till|by)\s+)?"


@dataclass(slots=True)
class Piece:
    """One recognised expression before combination."""

    span: tuple[int, int]
    kind: str  # "days" | "weekday" | "tod" | "pod" | "abs"
    days: tuple[date, date] | None = None  # [first, last+1)
    weekday: tuple[int, str] | None = None  # (0=Monday, mode "on"|"last"|"this")
    tod: tuple[float, float] | None = None  # minutes from midnight, may cross midnight
    anchor: float | None = None  # the clock time itself (minutes), for since/after/before
    bare_hour: bool = False  # "at 8" (no am/pm, no minutes): may be shifted to pm by a part of day
    pod: str | None = None  # part of day name
    abs: tuple[datetime | None, datetime | None] | None = None
    week: bool = False  # a 7-day ISO week range
    mod: str | None = None
    extra: list[tuple[int, int]] = field(default_factory=list)
    recurring: bool = False  # a day name that recurs ("the weekend"): a plan may mean the coming one


def _num(text: str) -> int:
    text = text.lower().strip()
    return int(text) if text.isdigit() else _NUMBER_WORDS.get(text, 1)


def _clock_minutes(text: str, default_meridiem: str | None = None) -> tuple[float, bool, bool] | None:
    """``"8:30 pm"`` -> (1230.0, has_minutes, bare_hour). None when not a valid time."""
    t = text.lower().replace(".", "").strip()
    if t == "noon":
        return 720.0, True, False
    if t == "midnight":
        return 0.0, True, False
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", t)
    if not m:
        return None
    hour, minute, mer = int(m.group(1)), int(m.group(2) or 0), m.group(3) or default_meridiem
    if minute > 59 or hour > 24 or (mer and not 1 <= hour <= 12):
        return None
    if mer == "pm" and hour != 12:
        hour += 12
    elif mer == "am" and hour == 12:
        hour = 0
    return hour * 60.0 + minute, m.group(2) is not None, m.group(2) is None and m.group(3) is None and not default_meridiem


def _meridiem(text: str) -> str | None:
    t = text.lower().replace(".", "")
    return "pm" if t.rstrip().endswith("pm") else "am" if t.rstrip().endswith("am") else None


# "may" is the modal verb far more often than the month: it is the month only when written "May"
# (not opening the sentence), after a day number ("3 May"), with a day suffix ("May 3rd"), a year, or
# after "in"/"of"/"early"/"late"/"mid".
_MAY_CONTEXT = re.compile(r"(?:\b(?:in|of|early|late|mid|since|until|till|before|after)\s*-?\s*|\d\s*)$", re.I)


def _month_word_ok(m: re.Match, group: str, strong: bool) -> bool:
    """Whether the month word in ``group`` of ``m`` is a month ("may" needs context, see above).
    ``strong``: the match carries an unambiguous date mark (day suffix, a year, "3 May")."""
    word = m.group(group)
    if word is None or word.lower() != "may" or strong:
        return True
    before = m.string[: m.start(group)]
    if _MAY_CONTEXT.search(before):
        return True
    opening = not before.strip() or before.rstrip()[-1:] in ".?!"
    return word == "May" and not opening


def _recent_date(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        d = date(today.year, month, day)
        return d if d <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


# --------------------------------------------------------------------------- recognisers
def _rules(now_local: datetime) -> list[tuple[re.Pattern, callable]]:
    today = now_local.date()
    one = timedelta(days=1)

    def days(a: date, b: date | None = None, **kw) -> dict:
        return {"kind": "days", "days": (a, b or a + one), **kw}

    def week_of(d: date) -> date:
        return d - timedelta(days=d.weekday())

    def month_range(y: int, m: int) -> tuple[date, date]:
        return date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)

    def r_relday(m):
        w = m.group("w").lower()
        if w == "today":
            return days(today)
        if w == "yesterday":
            return days(today - one)
        return days(today - 2 * one)  # the day before yesterday

    def r_thispod(m):
        w = m.group("w").lower()
        if w == "tonight":
            return days(today, pod="night", tod=PARTS_OF_DAY["night"])
        return days(today, pod=w, tod=PARTS_OF_DAY[w])

    def r_lastnight(m):
        start = datetime.combine(today - one, time(18), now_local.tzinfo)
        return {"kind": "abs", "abs": (start, start + timedelta(hours=12))}

    def r_ago(m):
        n, unit = _num(m.group("n")), m.group("u").lower().rstrip("s")
        if unit in ("day", "week"):
            return days(today - timedelta(days=n * (7 if unit == "week" else 1)))
        moment = now_local - timedelta(seconds=n * _UNIT_SECONDS[unit])
        half = timedelta(minutes=30 if unit == "hour" else 5)
        return {"kind": "abs", "abs": (moment - half, moment + half)}

    def r_rolling(m):
        n = _num(m.group("n")) if m.group("n") else 1
        unit = m.group("u").lower().rstrip("s")
        if unit == "month":
            return {"kind": "abs", "abs": (now_local - timedelta(days=30 * n), now_local)}
        return {"kind": "abs", "abs": (now_local - timedelta(seconds=n * _UNIT_SECONDS[unit]), now_local)}

    def r_calendar(m):
        which, unit = m.group("which").lower(), m.group("u").lower()
        if unit == "week":
            start = week_of(today) - (timedelta(days=7) if which in ("last", "previous") else timedelta())
            return days(start, start + timedelta(days=7), week=True)
        if unit == "month":
            y, mo = today.year, today.month
            if which in ("last", "previous"):
                y, mo = (y - 1, 12) if mo == 1 else (y, mo - 1)
            return days(*month_range(y, mo))
        y = today.year - (which in ("last", "previous"))
        return days(date(y, 1, 1), date(y + 1, 1, 1))

    def r_weekend(m):
        which = (m.group("which") or "").lower()
        sat = today - timedelta(days=(today.weekday() - 5) % 7)  # the latest Saturday up to today
        if which == "this":
            sat = week_of(today) + timedelta(days=5)
        elif which in ("last", "previous") and today.weekday() >= 5:
            sat -= timedelta(days=7)  # "last weekend" said during a weekend: the one before
        return days(sat, sat + timedelta(days=2), recurring=not which)  # only "the weekend" may mean a coming one

    def r_weekday(m):
        mode = (m.group("which") or "on").lower()
        return {"kind": "weekday", "weekday": (WEEKDAYS.index(m.group("wd").lower()), mode),
                "pod": (m.group("pod") or "").lower() or None}

    def r_iso(m):
        try:
            return days(date(int(m.group("y")), int(m.group("mo")), int(m.group("d"))))
        except ValueError:
            return None

    def r_named_date(m):
        if m.group("m2") and not _month_word_ok(m, "m2", bool(m.group("y") or m.group("suffix2"))):
            return None
        mon = _MONTHS[(m.group("m1") or m.group("m2")).lower()]
        day = int(m.group("d1") or m.group("d2"))
        d = _recent_date(today, mon, day, int(m.group("y")) if m.group("y") else None)
        return days(d) if d else None

    def r_month(m):
        if isinstance(m, re.Match):  # "in May" / "May 2026"
            if not _month_word_ok(m, "m", bool(m.group("y_"))) and not _month_word_ok(m, "m_", bool(m.group("y_"))):
                return None
            m = _Named(m=m.group("m") or m.group("m_"), y=m.group("y") or m.group("y_"))
        mon = _MONTHS[m.group("m").lower()]
        y = int(m.group("y")) if m.group("y") else (today.year if mon <= today.month else today.year - 1)
        return days(*month_range(y, mon))

    def r_between(m):
        a_txt, b_txt = m.group("a"), m.group("b")
        b = _clock_minutes(b_txt)
        mer_b = _meridiem(b_txt)
        a = _clock_minutes(a_txt, None if _meridiem(a_txt) else mer_b)
        if a and b and mer_b and not _meridiem(a_txt) and a[0] > b[0]:
            a = _clock_minutes(a_txt, "am")  # "between 11 and 1pm"
        if not a or not b:
            return None
        end = b[0] if b[0] > a[0] else b[0] + 1440
        return {"kind": "tod", "tod": (a[0], end), "anchor": a[0], "bare_hour": a[2] and b[2]}

    def r_clock(m):
        c = _clock_minutes(m.group("t"))
        if not c:
            return None
        minutes, has_min, bare = c
        half = 15.0 if has_min else 30.0
        if (m.group("approx") or "").lower() in ("around", "about", "approximately", "approx", "circa", "roughly"):
            half *= 2
        return {"kind": "tod", "tod": (minutes - half, minutes + half), "anchor": minutes, "bare_hour": bare}

    def r_pod(m):
        w = m.group("w").lower()
        return {"kind": "pod", "pod": w, "tod": PARTS_OF_DAY[w]}

    I = re.IGNORECASE
    return [
        (re.compile(rf"\b(?:between|from)\s+(?P<a>{_CLOCK_LOOSE})\s+(?:and|to|until|till|-)\s+(?P<b>{_CLOCK_LOOSE})\b"
                    r"(?!\s*(?:minutes?|mins?|hours?|days?|weeks?|months?|times?|people|of)\b)", I), r_between),
        (re.compile(r"\b(?P<w>the day before yesterday|today|yesterday)\b", I), r_relday),
        (re.compile(r"\b(?:this\s+(?P<w1>morning|afternoon|evening)|(?P<w2>tonight))\b", I),
         lambda m: r_thispod(_Named(w=m.group("w1") or m.group("w2")))),
        (re.compile(r"\blast\s+night\b", I), r_lastnight),
        (re.compile(rf"\b(?P<n>{_NUM})\s+(?P<u>minutes?|mins?|hours?|days?|weeks?)\s+ago\b", I), r_ago),
        (re.compile(rf"\b(?:(?:in|during|over|within)\s+)?(?:the\s+)?(?:(?:last|past|previous)\s+(?P<n>{_NUM})\s+|(?:the\s+)(?:last|past|previous)\s+|past\s+"
                    r"|(?:last|previous)\s+(?=(?:minutes?|mins?|hours?|days?)\b))"
                    r"(?P<u>minutes?|mins?|hours?|days?|weeks?|months?)\b", I), r_rolling),
        (re.compile(r"\b(?P<which>this|last|previous)\s+(?P<u>week|month|year)\b", I), r_calendar),
        (re.compile(r"\b(?:(?:at|over|during|on)\s+)?(?:the\s+|(?P<which>this|last|previous)\s+)weekend\b", I), r_weekend),
        (re.compile(rf"\b(?:(?P<which>last|this|on|past)\s+)?(?P<wd>{_WD})(?:\s+(?P<pod>morning|afternoon|evening|night))?\b", I), r_weekday),
        (re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b"), r_iso),
        (re.compile(rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MON})\.?|(?P<m2>{_MON})\.?\s+(?P<d2>\d{{1,2}})(?P<suffix2>st|nd|rd|th)?)\b(?:,?\s+(?P<y>\d{{4}})\b)?", I), r_named_date),
        (re.compile(r"\b(?:in\s+(?P<m>january|february|march|april|may|june|july|august|september|october|november|december)(?:\s+(?P<y>\d{4}))?"
                    r"|(?P<m_>january|february|march|april|may|june|july|august|september|october|november|december)\s+(?P<y_>\d{4}))\b", I),
         r_month),
        (re.compile(rf"\b(?:(?P<approx>at|around|about|approximately|approx\.?|circa|roughly)\s+)?(?P<t>{_CLOCK})(?=\W|$)", I), r_clock),
        (re.compile(r"\b(?P<approx>at|around|about)\s+(?P<t>\d{1,2})(?:\s*o'?clock)?(?=\s*(?:[?.!,;]|$|\b(?:in|on|yesterday|today|tonight|this|last)\b))", I), r_clock),
        # a bare hour after a modifier: "before 9 on Friday", "since 7" (the modifier is found later)
        (re.compile(r"(?:(?<=before\s)|(?<=after\s)|(?<=since\s)|(?<=until\s)|(?<=till\s)|(?<=by\s))(?P<approx>)(?P<t>\d{1,2})(?:\s*o'?clock)?"
                    r"(?=\s*(?:[?.!,;]|$|\b(?:in|on|yesterday|today|tonight|this|last)\b))", I), r_clock),
        (re.compile(r"\b(?P<approx>around|about)?\s*(?P<t>\d{1,2})\s*o'?clock\b", I), r_clock),
        (re.compile(r"\b(?:in\s+the\s+|at\s+|during\s+the\s+)?(?P<w>morning|afternoon|evening|night)\b", I), r_pod),
    ]


class _Named:
    """Adapter so lambdas can hand a dict of groups to a rule written for a match."""

    def __init__(self, **groups):
        self._g = groups

    def group(self, name):
        return self._g.get(name)


NOW_WORDS = re.compile(r"\b(?:right\s+now|just\s+now|at\s+the\s+moment|at\s+present|currently|presently|now)\b", re.IGNORECASE)
DANGLING = re.compile(r"\b(?:on|in|at|during|from|for|over|of|since|after|before|until|till)\s*$", re.IGNORECASE)
_MOD_BEFORE = re.compile(r"\b(since|after|before|until|till|by)\s+$", re.IGNORECASE)
# "come by", "stop by", "drop by"...: "by" is the particle of a visiting/passing verb, not "no later than".
_BY_PARTICLE = re.compile(
    r"\b(?:c[oa]m(?:e|es|ing)|stop(?:s|ped|ping)?|drop(?:s|ped|ping)?|swing(?:s|ing)?|swung|pop(?:s|ped|ping)?|"
    r"pass(?:es|ed|ing)?|go(?:es|ing)?|went|gone|walk(?:s|ed|ing)?|dr[io]ve(?:s|n)?|driving|r[au]n(?:s|ning)?|"
    r"st[ao]od|stand(?:s|ing)?|call(?:s|ed|ing)?|fl(?:y|ies|ew|ying|own)|r[io]de|riding|wander(?:s|ed|ing)?)\s+by\s+$",
    re.IGNORECASE,
)


def find_pieces(text: str, now_local: datetime) -> list[Piece]:
    found: list[Piece] = []
    for pattern, rule in _rules(now_local):
        for m in pattern.finditer(text):
            if not m.group(0).strip():
                continue
            result = rule(m)
            if result is None:
                continue
            s, e = m.span()
            while s < e and text[s].isspace():
                s += 1
            found.append(Piece(span=(s, e), **result))
    # keep the longest non-overlapping matches
    chosen: list[Piece] = []
    for p in sorted(found, key=lambda p: (-(p.span[1] - p.span[0]), p.span[0])):
        if all(p.span[1] <= q.span[0] or p.span[0] >= q.span[1] for q in chosen):
            chosen.append(p)
    chosen.sort(key=lambda p: p.span[0])
    for p in chosen:  # a modifier word just before the piece
        mm = _MOD_BEFORE.search(text[: p.span[0]])
        if mm and mm.group(1).lower() == "by" and _BY_PARTICLE.search(text[: p.span[0]]):
            mm = None
        if mm:
            p.mod = mm.group(1).lower()
            p.span = (mm.start(), p.span[1])
    return chosen
