"""Typed spans in one sentence: numbers and codes, money, clock times and days, dates.

Patterns (regular expressions, and spelled-out numbers read word by word) are combined with
spaCy's named entities (CARDINAL, MONEY, TIME, DATE) when a parsed ``Doc`` is given; either alone
works. Spelled numbers follow the usual reading of English numerals: a run of single digits is a
code ("four seven one nine" -> ``4719``), a tens word plus a unit is one number ("forty two" ->
``42``), scale words multiply ("forty thousand" -> ``40,000``), and other runs of number groups
are read group after group ("twenty twenty" -> ``2020``). Written numbers of 10,000 and more get
thousands separators; shorter ones are left alone (years and codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NUMBER_WORDS", "RELATIVE", "Span", "clock_times", "dates", "money", "numbers", "spelled_numbers", "weekdays"]

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_TEENS = {w: i + 10 for i, w in enumerate("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: (i + 2) * 10 for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = {**_UNITS, **_TEENS, **_TENS, **_SCALES}
NUMBER_WORDS = frozenset(_NUMBER_WORD) | {"and", "oh"}
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_CURRENCY_WORDS = r"dollars?|bucks|euros?|pounds?|quid|cents?|pence|p|usd|eur|gbp|yen|francs?|rupees?|kronor|krona"
_DIGITS = re.compile(r"(?<![\w.,:$€£¥-])(?:[A-Z]{1,3}-?)?\d(?:[\d,]*\d)?(?:\.\d+)?(?:-?[A-Z])?(?![\w$€£¥]|[.,:]\d)")
_MONEY = re.compile(
    rf"[$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|thousand|billion)\b)?|"
    rf"\b\d[\d,]*(?:\.\d+)?\s?(?:k\s+)?(?:{_CURRENCY_WORDS})\b", re.I)
_HOUR = r"(?:1[0-2]|[1-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s?(?:am|pm|a\.m\.|p\.m\.)(?![\w])|\b(?:[01]?\d|2[0-3]):[0-5]\d\b|"
    rf"\b(?:half|(?:a\s+)?quarter)\s+(?:past|to)\s+{_HOUR}\b|\b(?:noon|midday|midnight)\b", re.I)
# "at 8.15", "by 6 .30pm", "until 1930", "at 815": dotted or run-together clock times after a time preposition
_TIME_PREP = r"(?i:\b(?:at|by|until|till|til|from|before|after|around|about)\s+)"
_NOT_A_TIME = (r"(?!\s*(?:[A-Z][\w-]*|(?i:metres|meters|miles|km|kilometres|kilometers|feet|ft|people|euros|dollars|"
               r"pounds|quid|times|steps|calories|kg|grams|litres|liters))\b)")
_AT_CLOCK = [
    re.compile(rf"{_TIME_PREP}(?P<t>(?P<h>[01]?\d|2[0-3])\s?\.(?P<m>[0-5]\d)(?:\s?(?P<ampm>(?i:am|pm)))?)(?![\w.,]?\w){_NOT_A_TIME}"),
    re.compile(rf"{_TIME_PREP}(?P<t>(?P<h>[01]?\d|2[0-3])(?P<m>[0-5]\d))(?![\w.,]?\w){_NOT_A_TIME}"),
]
_DAY = re.compile(
    r"\b(?:(?:next|last|this|on)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day(?:\s+(?:morning|afternoon|evening|night))?\b", re.I)
_MONTHS = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b(?:,?\s+\d{{4}})?|"
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?|"
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b", re.I)
# relative days say when something happened relative to when it was said: not an answer by themselves
RELATIVE = re.compile(
    r"^(?:today|tonight|now|yesterday|tomorrow|later|soon|earlier|recently|this\s+(?:morning|afternoon|evening|week)|"
    r"last\s+night|the\s+other\s+day|(?:a|one|two|three|few|couple\s+of)\s+\w+\s+ago|the\s+day|daily|every\s+\w+)$", re.I)


@dataclass(frozen=True, slots=True)
class Span:
    """A typed span of a sentence: ``text`` as written at character offsets ``start``..``end``
    (end exclusive), ``value`` its normalised form ("2550" for "two five five zero"), and
    ``source`` "pattern", "spelled" or a spaCy entity label."""

    start: int
    end: int
    text: str
    value: str
    source: str


def _fmt(n: int) -> str:
    return f"{n:,}" if n >= 10_000 else str(n)


def _read(words: list[str]) -> str | None:
    """The written form of a run of number words, or None when it is not a number."""
    if any(w in _SCALES for w in words):
        total, cur = 0, 0
        for w in words:
            if w == "and":
                continue
            v = _NUMBER_WORD[w]
            if w == "hundred":
                cur = max(cur, 1) * 100
            elif w in _SCALES:
                total, cur = total + max(cur, 1) * v, 0
            else:
                cur += v
        return _fmt(total + cur)
    groups: list[int] = []
    prev_tens = False
    for w in words:
        if w == "and":
            return None
        v = _NUMBER_WORD[w]
        if prev_tens and w in _UNITS and v > 0:
            groups[-1] += v  # forty two
            prev_tens = False
            continue
        groups.append(v)
        prev_tens = w in _TENS
    if len(groups) == 1:
        return _fmt(groups[0])
    return "".join(str(g) for g in groups)  # four seven one nine -> 4719; twenty twenty -> 2020


def spelled_numbers(text: str) -> list[Span]:
    """Runs of English number words in ``text`` with their written value (source "spelled").

    Runs are separated by anything but spaces or hyphens; "and" joins only after a scale word
    ("two hundred and five")."""
    out: list[Span] = []
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        while run and run[-1][2] == "and":
            run.pop()
        if run:
            value = _read([w for _, _, w in run])
            if value is not None:
                s, e = run[0][0], run[-1][1]
                out.append(Span(s, e, text[s:e], value, "spelled"))
        run.clear()

    for m in _WORD.finditer(text):
        parts = m.group(0).lower().split("-")
        gap = text[run[-1][1]:m.start()] if run else ""
        joined = not run or gap.strip() == ""
        is_num = all(p in _NUMBER_WORD for p in parts)
        is_and = parts == ["and"] and run and run[-1][2] in _SCALES
        if (is_num or is_and) and not joined:
            flush()
        if is_num:
            pos = m.start()
            for p in parts:
                run.append((pos, pos + len(p), p))
                pos += len(p) + 1
        elif is_and:
            run.append((m.start(), m.end(), "and"))
        else:
            flush()
    flush()
    return out


def numbers(text: str) -> list[Span]:
    """Numbers and codes: written ones ("2550", "40,000", "B12", "A-7") and spelled runs."""
    out = [Span(m.start(), m.end(), m.group(0), m.group(0), "pattern") for m in _DIGITS.finditer(text)]
    return out + spelled_numbers(text)


def money(text: str) -> list[Span]:
    """Amounts of money: "$40", "40 dollars", "€12.50", "forty thousand dollars" (value "40,000 dollars")."""
    out = [Span(m.start(), m.end(), m.group(0), m.group(0), "pattern") for m in _MONEY.finditer(text)]
    for sp in spelled_numbers(text):
        m = re.match(rf"\s+({_CURRENCY_WORDS})\b", text[sp.end:], re.I)
        if m:
            end = sp.end + m.end()
            out.append(Span(sp.start, end, text[sp.start:end], f"{sp.value} {m.group(1)}", "spelled"))
    return out


def clock_times(text: str) -> list[Span]:
    """Clock times: "6:30", "7 pm", "half past six", "noon", and spelled ones ("six thirty" -> "6:30",
    "seven o'clock" -> "7:00"); after a time preposition ("at", "by", "until", ...) also the dotted
    and run-together forms of speech recognisers and British writing ("at 8.15", "at 6 .30pm",
    "at 815", "at 1930" -> "8:15", "6:30pm", "8:15", "19:30") when hours and minutes are valid and
    no word follows that makes it a quantity or an address ("at 815 Elm Street", "at 1200 metres")."""
    dotted: list[Span] = []
    for m in (m for pattern in _AT_CLOCK for m in pattern.finditer(text)):
        hh, mm = int(m.group("h")), int(m.group("m"))
        ampm = (m.groupdict().get("ampm") or "").lower()
        if hh > 23 or mm > 59 or (ampm and hh > 12) or any(m.start("t") < d.end and d.start < m.end("t") for d in dotted):
            continue
        dotted.append(Span(m.start("t"), m.end("t"), m.group("t"), f"{hh}:{mm:02d}{ampm}", "pattern"))
    out = [Span(m.start(), m.end(), m.group(0), m.group(0), "pattern") for m in _CLOCK.finditer(text)
           if not any(m.start() < d.end and d.start < m.end() for d in dotted)] + dotted
    for sp in spelled_numbers(text):
        words = sp.text.lower().replace("-", " ").split()
        tail = re.match(r"\s+o'?\s?clock\b", text[sp.end:], re.I)
        if tail and len(words) == 1 and 1 <= int(sp.value) <= 12:
            end = sp.end + tail.end()
            out.append(Span(sp.start, end, text[sp.start:end], f"{sp.value}:00", "spelled"))
        elif len(words) >= 2 and words[0] in _UNITS | _TEENS and 1 <= _NUMBER_WORD[words[0]] <= 12:
            rest = _read(words[1:])
            if rest is not None and rest.isdigit() and 10 <= int(rest) <= 59:
                out.append(Span(sp.start, sp.end, sp.text, f"{_NUMBER_WORD[words[0]]}:{int(rest):02d}", "spelled"))
    return out


def weekdays(text: str) -> list[Span]:
    """Days of the week with an optional "next/last/this/on" and part of the day."""
    return [Span(m.start(), m.end(), m.group(0), m.group(0), "pattern") for m in _DAY.finditer(text)]


def dates(text: str) -> list[Span]:
    """Calendar dates: "12 March", "March 12th, 2026", "2026-03-12", "12/3"."""
    return [Span(m.start(), m.end(), m.group(0), m.group(0), "pattern") for m in _DATE.finditer(text)]
