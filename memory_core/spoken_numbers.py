"""Inverse text normalisation of English ASR transcripts: spoken numbers to one written form.

Whisper writes the same spoken number in several ways ("forty thousand", "40,000", and, once words
are re-joined from word timestamps, "40 ,000"), and people read codes digit by digit ("four seven
one nine"). Memory text, search and extracted answers need one form. :func:`normalise_transcript`
turns a transcript into that form:

=========================================  ==========================
spoken / as ASR wrote it                   written form
=========================================  ==========================
"forty thousand", "40 ,000"                ``40,000``
"twenty five dollars", "$ 40,000"          ``$25``, ``$40,000``
"five dollars and fifty cents"             ``$5.50``
"six thirty", "at 6 .30", "six thirty pm"  ``6:30``, ``at 6:30``, ``6:30 pm``
"half past six", "quarter to nine"         ``6:30``, ``8:45``
"seven o'clock"                            ``7:00``
"four seven one nine", "two oh four"       ``4719``, ``204``
"nineteen ninety nine"                     ``1999``
"twelve percent"                           ``12%``
=========================================  ==========================

Number words become digits with ``text2num`` (``alpha2digit``, MIT; it leaves isolated "one",
"two", "three" and idioms such as "one of them", "a second", "no one" alone). The rules around it
are this module's own, each a general reading of English number talk, not a list of phrases:

* a run of three or more single digits read one by one (with "oh" for zero inside the run) is a
  code or phone number and is joined;
* an hour 1-12 followed by a spoken two-digit minute ("six thirty", "eleven forty five") is a time;
  "H.MM" written by the recogniser becomes "H:MM" only with a time cue (at, by, until, from,
  since, around, before, after; am/pm, o'clock, in the morning/evening, tonight), since "6.30"
  alone may be a decimal;
* "19 99" or "20 26" (a 13-20 followed by a two-digit number) is a year;
* amounts with dollars or euros take the symbol; integers that were spoken with a scale word
  (thousand, million) and all money amounts from 1,000 get thousands separators; digits the
  recogniser wrote itself without separators (codes, zip codes, years) keep their form.

Known limits: "one, two, three" read as counting becomes ``123``; a bare "five twenty" becomes a
time even when it was a price; "pounds" is left alone (weight or money).
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

__all__ = ["normalise_transcript"]

_DIGIT_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9"}
_D = r"(?:\d|zero|one|two|three|four|five|six|seven|eight|nine)"
# a run of >= 3 single digits, separated by a space, ", " or "-", with "oh"/"o" allowed inside it
_RUN = re.compile(rf"(?<![\w.,$€£-]){_D}(?:(?:,? |-)(?:{_D}|oh|o)(?=(?:,? |-)?)){{2,}}(?![\w%$€£]|[.,:]\d)", re.I)
_SEP = re.compile(r",? |-")

_CUE_BEFORE = r"(?:at|by|until|till|til|from|since|around|about|before|after|to|between|and)"
_CUE_AFTER = r"(?:a\.?m\.?|p\.?m\.?|o'clock|in the (?:morning|afternoon|evening)|at night|tonight|today|tomorrow|sharp)"
_MONEY_AFTER = r"(?:dollars?|bucks|euros?|pounds?|cents?|percent|%|point|[a-z]*(?:metres?|meters?|grams?|miles?|litres?|liters?))"

_FRACTION = re.compile(r"\b(?:a|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)s?\b", re.I)
_A_SCALE = re.compile(r"\b([Aa]) (hundred|thousand|million|billion)\b")
_SCALE_DECIMAL = re.compile(r"\b(\d+\.\d+) (1000000000|1000000|1000)\b")
_PLACEHOLDER = 0xF0000  # Supplementary Private Use Area-A: never in a transcript
_SCALE_NAMES = {"1000": "thousand", "1000000": "million", "1000000000": "billion"}


def _join_spacing(text: str) -> str:
    """Undo word-join artefacts: "40 ,000" -> "40,000", "6 .30" -> "6.30", "$ 40" -> "$40",
    "40 %" -> "40%", "Tom 's" -> "Tom's"."""
    text = re.sub(r"(\d) ([.,:]\d)", r"\1\2", text)
    text = re.sub(r"([$€£]) (\d)", r"\1\2", text)
    text = re.sub(r"(\d) %", r"\1%", text)
    return re.sub(r"(\w) ('(?:s|re|ll|ve|d|m|t)\b)", r"\1\2", text)


def _protect(text: str, pattern: re.Pattern) -> tuple[str, list[str]]:
    """Replace matches of ``pattern`` by placeholders text2num leaves alone; returns the text and
    the originals (restored by :func:`_restore`)."""
    kept: list[str] = []

    def sub(m: re.Match) -> str:
        kept.append(m.group(0))
        return chr(_PLACEHOLDER + len(kept) - 1)  # one private-use character: no digit, no word

    return pattern.sub(sub, text), kept


def _restore(text: str, kept: list[str]) -> str:
    return "".join(kept[ord(c) - _PLACEHOLDER] if _PLACEHOLDER <= ord(c) < _PLACEHOLDER + len(kept) else c for c in text)


def _digits_of_run(run: str) -> str:
    toks = [t for t in _SEP.split(run) if t]
    return "".join(_DIGIT_WORDS.get(t.lower(), "0" if t.lower() in ("oh", "o") else t) for t in toks)


def _times(text: str) -> str:
    """Spoken and written clock times to H:MM (see the module table)."""
    text = re.sub(r"\b(?:a )?quarter past (\d{1,2})\b(?![:.]\d)", lambda m: f"{m.group(1)}:15" if 1 <= int(m.group(1)) <= 12 else m.group(0), text, flags=re.I)
    text = re.sub(r"\bhalf past (\d{1,2})\b(?![:.]\d)", lambda m: f"{m.group(1)}:30" if 1 <= int(m.group(1)) <= 12 else m.group(0), text, flags=re.I)
    text = re.sub(r"\b(?:a )?quarter to (\d{1,2})\b(?![:.]\d)",
                  lambda m: f"{int(m.group(1)) - 1 or 12}:45" if 1 <= int(m.group(1)) <= 12 else m.group(0), text, flags=re.I)
    text = re.sub(r"\b(\d{1,2}) (?:minutes )?past (\d{1,2})\b(?![:.]\d)",
                  lambda m: f"{m.group(2)}:{int(m.group(1)):02d}" if 1 <= int(m.group(1)) <= 29 and 1 <= int(m.group(2)) <= 12 else m.group(0),
                  text, flags=re.I)
    text = re.sub(r"\b(\d{1,2}) o'clock\b", lambda m: f"{m.group(1)}:00" if 1 <= int(m.group(1)) <= 12 else m.group(0), text, flags=re.I)
    # "at six oh five" -> at 6:05 (needs a cue: "six oh five" alone is read as a code)
    text = re.sub(rf"\b({_CUE_BEFORE}) (\d{{1,2}}) (?:oh|o) (\d)\b(?![\d:.,])",
                  lambda m: f"{m.group(1)} {m.group(2)}:0{m.group(3)}" if 0 <= int(m.group(2)) <= 23 else m.group(0), text, flags=re.I)
    # "6 30" (from "six thirty"): an hour then a two-digit minute; not next to money or units
    def hour_minute(m: re.Match) -> str:
        h, mm = int(m.group(2)), int(m.group(3))
        if m.group(1) or not (1 <= h <= 12 and 10 <= mm <= 59):
            return m.group(0)
        return f"{h}:{mm:02d}"

    text = re.sub(rf"([$€£]|\.)?(?<![\d,.:])\b(\d{{1,2}}) (\d{{2}})\b(?![\d,.:%])(?! ?{_MONEY_AFTER}\b)", hour_minute, text, flags=re.I)
    # "at 6.30" / "6.30 pm" -> 6:30 (a time cue is needed: "6.30" alone may be a decimal)
    text = re.sub(rf"\b({_CUE_BEFORE}) (\d{{1,2}})\.([0-5]\d)\b(?![\d.,%])",
                  lambda m: f"{m.group(1)} {m.group(2)}:{m.group(3)}" if int(m.group(2)) <= 23 else m.group(0), text, flags=re.I)
    text = re.sub(rf"(?<![$€£\d.,])\b(\d{{1,2}})\.([0-5]\d) ({_CUE_AFTER})",
                  lambda m: f"{m.group(1)}:{m.group(2)} {m.group(3)}" if int(m.group(1)) <= 23 else m.group(0), text, flags=re.I)
    return text


def _years(text: str) -> str:
    """"19 99" / "20 26" (a spoken year in two halves) -> 1999 / 2026."""
    return re.sub(r"(?<![\d,.:$€£])\b(1[3-9]|20) (\d{2})\b(?![\d,.:%])",
                  lambda m: f"{m.group(1)}{m.group(2)}" if int(m.group(2)) >= 10 or m.group(2) == "00" else m.group(0), text)


def _group(n: str) -> str:
    """"40000" -> "40,000"; keeps a decimal part."""
    whole, _, frac = n.partition(".")
    out = f"{int(whole):,}"
    return f"{out}.{frac}" if frac else out


def _money(text: str) -> str:
    """Dollars and euros to a symbol and a grouped amount; "and N cents" becomes the decimals."""
    def dollars(m: re.Match) -> str:
        sym = "€" if m.group(3).lower().startswith("euro") else "$"
        amount = m.group(2).replace(",", "")
        if m.group(4) and "." not in amount:
            amount = f"{amount}.{int(m.group(4)):02d}"
        if m.group(1) and m.group(1) != sym:
            return m.group(0)
        return sym + (_group(amount) if "." not in amount or len(amount.split(".")[1]) == 2 else amount)

    text = re.sub(r"(?<![$€\d,.])(\d[\d,]*(?:\.\d+)?) (million|billion) (dollars?|euros?)\b",
                  lambda m: ("€" if m.group(3).lower().startswith("euro") else "$") + f"{m.group(1)} {m.group(2)}", text, flags=re.I)
    text = re.sub(r"([$€])?(\d[\d,]*(?:\.\d+)?) (dollars?|bucks|euros?)\b(?: and (\d{1,2}) cents?\b)?", dollars, text, flags=re.I)
    text = re.sub(r"([$€])(\d[\d,]*) and (\d{1,2}) cents?\b", lambda m: f"{m.group(1)}{m.group(2)}.{int(m.group(3)):02d}", text, flags=re.I)
    text = re.sub(r"([$€])(\d{4,})(?![\d,])", lambda m: m.group(1) + _group(m.group(2)), text)
    return re.sub(r"([$€])(\d[\d,]*(?:\.\d+)?) (million|billion|thousand)(?: (?:dollars?|euros?))?\b", r"\1\2 \3", text)


def normalise_transcript(text: str) -> str:
    """``text`` (one ASR segment or turn, English) with spoken numbers, times, money and codes in
    one written form (the module docstring lists the forms and rules). Words that are not numbers
    are left as they were; a text without numbers comes back unchanged except for the spacing of
    re-joined ASR words ("40 ,000", "Tom 's"). Raises nothing for any ``str``."""
    if not text or not text.strip():
        return text
    text = _join_spacing(text)
    raw_numbers = set(re.findall(r"\d[\d,]*(?:\.\d+)?", text))
    text, fractions = _protect(text, _FRACTION)
    text = _A_SCALE.sub(lambda m: ("One " if m.group(1) == "A" else "one ") + m.group(2), text)
    # "at six oh five": a time, before the code rule reads it as 605
    text = re.sub(rf"\b({_CUE_BEFORE}) ({_D}) (?:oh|o) ({_D})\b(?!(?:,? |-){_D})",
                  lambda m: f"{m.group(1)} {_digits_of_run(m.group(2))}:0{_digits_of_run(m.group(3))}", text, flags=re.I)
    text, codes = _protect(text, _RUN)
    codes = [_digits_of_run(c) for c in codes]
    try:
        text = alpha2digit(text, "en")
    except Exception:  # the Rust parser never raised in tests; a transcript must survive anyway
        pass
    text = _SCALE_DECIMAL.sub(lambda m: f"{m.group(1)} {_SCALE_NAMES[m.group(2)]}", text)
    # "300 and 12" (whisper wrote the hundreds in digits, then the rest): one number
    text = re.sub(r"(?<![\d,.$€£])\b([1-9]\d*00) and ([1-9]\d?)\b(?![\d,.:%])", lambda m: str(int(m.group(1)) + int(m.group(2))), text)
    text = _times(text)
    text = _years(text)
    text = re.sub(r"(\d) percent\b", r"\1%", text, flags=re.I)
    # integers text2num built from words with a scale ("forty thousand") get separators
    text = re.sub(r"(?<![\d,.$€£])\b(\d{5,})\b(?![\d,.])",
                  lambda m: m.group(1) if m.group(1) in raw_numbers else _group(m.group(1)), text)
    text = _money(text)
    text = _restore(text, codes)
    return _restore(text, fractions)
