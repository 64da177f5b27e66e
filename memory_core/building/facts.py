"""State observations in transcripts and on-screen text (rules, no model).

Recognised forms (case-insensitive), each giving ``(subject, predicate, value)``:

- "<the X> is/are (now|still) <state>" and "<the X>'s <state>": predicate ``state``, value one of
  :data:`STATES` ("The front door is locked now" -> front door / state / locked).
- "<X> is/are (now) in/at/inside/on <place>": predicate ``location`` ("The keys are on the kitchen
  table" -> keys / location / on the kitchen table).
- "<X> moved/was moved/went to <place>": predicate ``location``, value "at <place>" - unless the
  place is a time ("the meeting moved to Thursday"): that is a plan (:mod:`memory_core.building.plans`).
- "<someone> left/put/kept/hid/stored/parked/moved the <X> (from <A>) in/into/on/at/under/behind
  <place>": predicate ``location`` of X ("I moved the spare key from the bowl into the drawer" ->
  spare key / location / in the drawer); a second place ("by the front door") is cut off.
- "<X> is/are (now) <number or code>", "<X> (has|was) changed to <number or code>": predicate
  ``value`` ("The door code is 4719" -> door code / value / 4719; "the price is 40,000 euros"). A
  value is one token with a digit (digits, separators, letters: "4719", "40,000", "B12", "6:30")
  and an optional unit from :data:`UNITS`, ending the clause; times are plans, not values.
- on-screen lines "<SUBJECT> (IS) <STATE>" ("GATE 7 OPEN" -> gate 7 / state / open).

Subjects are the last 1-4 words before the verb, cut at determiners, punctuation and
conjunctions; pronouns ("it", "this", "everything") are no subject, except "it" right after a
change clause of the same sentence ("I changed the door code, it's now 4719": door code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

STATES = (
    "out of order", "out of stock", "switched on", "switched off", "turned on", "turned off",
    "open", "opened", "closed", "shut", "locked", "unlocked", "on", "off", "empty", "full",
    "charging", "charged", "broken", "fixed", "ready", "running", "stopped", "paused", "working",
    "available", "unavailable", "occupied", "free", "clean", "dirty", "missing", "blocked", "clear",
    "armed", "disarmed", "enabled", "disabled", "active", "inactive", "late", "delayed", "cancelled",
    "canceled", "boarding", "sold out", "done", "finished",
)
_CANON = {"opened": "open", "shut": "closed", "switched on": "on", "turned on": "on", "switched off": "off",
          "turned off": "off", "canceled": "cancelled"}
_STATE_RE = "|".join(re.escape(s) for s in sorted(STATES, key=len, reverse=True))
_ADV = r"(?:(?:now|still|currently|already|finally|also)\s+)?"
_VERB_STATE = re.compile(rf"(?i)(?:\s+(?:is|are|has\s+been|have\s+been)\s+|'s\s+){_ADV}(?P<state>{_STATE_RE})(?![\w-])")
_VERB_PLACE = re.compile(rf"(?i)\s+(?:is|are)\s+{_ADV}(?P<prep>in|at|inside|on)\s+(?P<place>[\w' -]+)")
_VERB_MOVE = re.compile(r"(?i)\s+(?:moved|was\s+moved|were\s+moved|has\s+been\s+moved|have\s+been\s+moved|went)\s+to\s+(?P<place>[\w' -]+)")
UNITS = ("euros", "euro", "dollars", "dollar", "pounds", "pound", "percent", "degrees", "kilometres",
         "kilometers", "km", "miles", "kg", "kilos", "litres", "liters")
_VERB_VALUE = re.compile(
    r"(?i)(?:\s+(?:is|are|was|were)\s+(?:now\s+|still\s+)?|'s\s+(?:now\s+|still\s+)|\s+(?:has|have|had)\s+(?:now\s+)?changed\s+to\s+"
    r"|(?:was|were|has\s+been|have\s+been)\s+changed\s+to\s+|changed\s+to\s+)"
    rf"(?P<value>[$€£]?[A-Za-z]*\d[\w,.:/-]*(?:\s+(?:{'|'.join(UNITS)}))?)"
    r"(?=\s*(?:[.,;!?]|$|\s+(?:and|but|so|now|today|then|again|this|yesterday|tonight|last|since|earlier|already"
    r"|in\s+case|if|because|as|which|until|unless)\b))"
)
# "I changed the door code, it's now 4719": the pronoun stands for the object of the change clause
_ANTECEDENT = re.compile(
    r"(?i)\b(?:changed|reset|updated|set|moved|renamed|switched)\s+(?:the|my|our|your|his|her|their)\s+"
    r"(?P<x>[\w' -]{1,40}?)\s*(?:[,;:]|\s+and|\s+so)\s*(?:and\s+|so\s+)?it\s*$")
# "I left the spare key in the blue bowl", "we moved the bikes from the hall into the shed"
_PLACE_VERBS = r"(?:left|put|placed|kept|keep|hid|hidden|stored|parked|moved|locked|hung)"
_PLACE_PREP = r"(?:in|into|inside|on|onto|at|under|behind|next\s+to)"
_VERB_PUT = re.compile(
    rf"(?i)\b{_PLACE_VERBS}\s+(?P<obj>(?:the|my|our|your|his|her|their)\s+[\w' -]{{1,40}}?)\s+"
    rf"(?:from\s+(?:the\s+|my\s+|our\s+)?[\w' -]{{1,30}}?\s+)?(?P<prep>{_PLACE_PREP})\s+(?P<place>[\w' -]+)")
_PREP_CANON = {"into": "in", "inside": "in", "onto": "on"}
_CLOCK_WORD = re.compile(r"(?i)(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midnight|half|quarter)\b")
_OCR_STATE = re.compile(rf"(?i)^\s*(?P<subj>[\w' -]{{2,40}}?)\s*[:\-]?\s+(?:is\s+)?(?P<state>{_STATE_RE})\s*[.!]?\s*$")

_DETERMINERS = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that", "these", "those", "some"}
_STOP_SUBJECT = {"it", "this", "that", "everything", "everyone", "nothing", "something", "he", "she", "they", "we",
                 "you", "i", "there", "here", "what", "which", "who", "one", "all", "thing"}
_BREAK_WORDS = {"and", "but", "so", "because", "then", "okay", "ok", "well", "yes", "no", "now", "oh", "if",
                "when", "while", "said", "says", "think", "guess", "hey", "hi", "hello", "look", "see"}
_PLACE_STOP = re.compile(
    r"(?i)\s+(?:and|but|so|because|then|now|again|already|since|until|for|with|when|while|yesterday|today|"
    r"tonight|tomorrow|this|last|right|at\s+\d)\b.*$"
)


@dataclass(slots=True)
class Observation:
    """One stated fact: ``subject`` normalised (lower case), ``subject_text`` as written, said or
    shown at ``at`` (aware UTC). Plans (predicate ``"plan"``) also carry the planned window
    ``[target_start, target_end)`` (aware UTC) and its words ``target_text`` ("Thursday at 3pm")."""

    subject: str
    subject_text: str
    predicate: str
    value: str
    at: datetime
    evidence_id: str
    quote: str = ""
    target_start: datetime | None = None
    target_end: datetime | None = None
    target_text: str = ""


def subject_before(text: str) -> tuple[str, str] | None:
    """``(normalised, as written)`` subject at the end of ``text`` (the last 1-4 words of its last
    clause, cut at determiners and conjunctions); ``None`` for pronouns and empty text."""
    clause = re.split(r"[,;:.!?\"()]", text)[-1]
    words = clause.split()
    picked: list[str] = []
    for w in reversed(words):
        lw = w.casefold().strip("'")
        if lw in _DETERMINERS or lw in _BREAK_WORDS or len(picked) == 4:
            break
        picked.insert(0, w.strip("'"))
    if not picked or picked[-1].casefold() in _STOP_SUBJECT or picked[0].casefold() in _STOP_SUBJECT:
        return None
    # "the code for the side gate" -> "side gate code": a head noun of/for the picked words leads
    head = re.search(r"(?i)(?:^|\s)(?:the|my|our|your|his|her|their)\s+([a-z][\w'-]*)\s+(?:of|for)\s+(?:the|my|our|your|his|her|their)\s+$",
                     clause[: len(clause.rstrip()) - len(" ".join(words[len(words) - len(picked):]))] + " ")
    if head and head.group(1).casefold() not in _STOP_SUBJECT and len(picked) < 4:
        picked.append(head.group(1))
    subj_text = " ".join(picked)
    return " ".join(subj_text.casefold().split()), subj_text


def _place(raw: str) -> str:
    place = _PLACE_STOP.sub("", raw).strip(" '-")
    return " ".join(place.split()[:5])


def find_states(sentence: str, at: datetime, evidence_id: str) -> list[Observation]:
    """State, location and value observations in one spoken or written sentence (a move to a time is a
    plan, found by :func:`memory_core.building.plans.find_plans`, not a location)."""
    from memory_core.building.plans import is_time_expression  # plans imports this module

    out: list[Observation] = []
    for pat, pred in ((_VERB_STATE, "state"), (_VERB_PLACE, "location"), (_VERB_MOVE, "location"), (_VERB_VALUE, "value")):
        for m in pat.finditer(sentence):
            subj = subject_before(sentence[: m.start()])
            if subj is None:
                ante = _ANTECEDENT.search(sentence[: m.start()])
                subj = subject_before(ante.group("x") + " ") if ante else None
            if subj is None:
                continue
            if pred == "state":
                value = _CANON.get(m.group("state").casefold(), m.group("state").casefold())
                if value in ("on", "off") and (re.match(r"\s*(?:the|a|my)\b", sentence[m.end():], re.I)
                                               or is_time_expression(sentence[m.end():])):
                    continue  # "is on the table" is a place, "is on Friday" a plan, not a switch
            elif pred == "value":
                if is_time_expression(sentence[m.start("value"):]):
                    continue  # "the call is at 15:30" is a plan
                value = m.group("value").rstrip(".,:/-")
            else:
                if is_time_expression(sentence[m.start("place"):]):
                    continue
                place = _place(m.group("place"))
                if not place:
                    continue
                prep = m.groupdict().get("prep")
                value = f"{prep.casefold()} {place}" if prep else f"at {place}"
            out.append(Observation(subj[0], subj[1], pred, value, at, evidence_id, sentence.strip()[:200]))
    for m in _VERB_PUT.finditer(sentence):
        subj = subject_before(m.group("obj") + " ")
        place = re.split(r"(?i)\s+(?:by|near|beside|next\s+to)\s+", _place(m.group("place")))[0].strip()
        cut = [c.start() for c in re.finditer(r"(?i)\s+(?:on|at|in)\s+", place) if is_time_expression(place[c.start():])]
        place = place[: cut[0]].strip() if cut else place
        if (subj is None or not place or is_time_expression(m.group("place")) or _CLOCK_WORD.match(place)
                or subj[0] in {o.subject for o in out}):
            continue  # "left the party at ten" is a time, not a place
        prep = " ".join(m.group("prep").casefold().split())
        out.append(Observation(subj[0], subj[1], "location", f"{_PREP_CANON.get(prep, prep)} {place}", at, evidence_id,
                               sentence.strip()[:200]))
    return out


def find_ocr_state(line: str, at: datetime, evidence_id: str) -> Observation | None:
    """``"GATE 7 OPEN"`` -> gate 7 / state / open; ``None`` for lines that state nothing."""
    m = _OCR_STATE.match(line)
    if not m:
        return None
    subj_text = " ".join(m.group("subj").split()).strip(" :-")
    words = [w for w in subj_text.split() if w.casefold() not in _DETERMINERS]
    if not words or words[-1].casefold() in _STOP_SUBJECT:
        return None
    value = m.group("state").casefold()
    subject = " ".join(words)
    subject = subject.lower() if subject.isupper() else subject  # "GATE 7" reads "gate 7" in a sentence
    return Observation(subject.casefold(), subject, "state", _CANON.get(value, value), at, evidence_id, line.strip()[:200])


_LEADING_PRONOUN = re.compile(r"^(?P<p>He|She|They)(?=(?:'ll|'s|'re|'d)?\b)")
_NAME = re.compile(r"\b([A-Z][a-z][\w'-]*(?:\s+[A-Z][a-z][\w'-]*)*)\b")


def last_person_name(sentence: str) -> str | None:
    """The first run of Titlecase words of ``sentence`` that does not open it and is not a function
    word ("Lunch break, Daniel flies to Lisbon today." -> "Daniel"; "Mum says Grandma Rose is
    coming" -> "Grandma Rose"): the person a following "he"/"she" most likely refers to (the
    subject comes first in English). ``None`` when there is none."""
    names = [m.group(1) for m in _NAME.finditer(sentence.strip())
             if m.start() > 0 and m.group(1).casefold() not in _DETERMINERS | _STOP_SUBJECT | _BREAK_WORDS]
    names = [n for n in names if n.casefold() not in {"i", "i'm", "i'll", "i've", "i'd"}]
    return names[0] if names else None


_SPEAKER_NAME = re.compile(r"^[A-Z][a-z][\w'-]*(?: [A-Z][a-z][\w'-]*)?$")
_GENERIC_LABELS = {"someone", "somebody", "speaker", "person", "unknown", "voice", "an", "the", "a"}
_FIRST_PERSON_FUTURE = re.compile(r"^(?:I'll|I\s+will|I'm\s+going\s+to\s+be|I\s+am\s+going\s+to\s+be)\b")


def speaker_says_i(sentence: str, label: str | None) -> str:
    """``sentence`` with an opening "I'll"/"I will" replaced by the speaker's name ``label``
    ("I'll be back on Monday." said by Hannah -> "Hannah will be back on Monday."), so a plan said
    in the first person is the speaker's plan. Unchanged when ``label`` is not a person's name
    (1-2 Titlecase words; "Someone", "An unidentified speaker (voice 2)" are not)."""
    if not label or not _SPEAKER_NAME.match(label) or label.split()[0].casefold() in _GENERIC_LABELS:
        return sentence
    return _FIRST_PERSON_FUTURE.sub(lambda m: f"{label} will" + (" be" if m.group(0).endswith("be") else ""),
                                    sentence.lstrip(), count=1)


def resolve_pronoun(sentence: str, name: str | None) -> str:
    """``sentence`` with an opening "He"/"She"/"They" replaced by ``name`` (the person named in the
    sentence before, :func:`last_person_name`), so "He'll be away until Thursday." after "Daniel
    flies to Lisbon today." states Daniel's plan. Unchanged without a name."""
    if not name:
        return sentence
    return _LEADING_PRONOUN.sub(name, sentence.lstrip(), count=1)
