"""Person names in transcripts: self-introductions and mentions (rules, no NER model).

Self-introductions name the speaker: "my name is X", "I am X", "I'm X", "this is X speaking",
"call me X", where X is 1-3 capitalised tokens that are not common words (ASR capitalises proper
nouns and sentence starts, so "I am sure" or "I'm Going" are not names). Mentions are capitalised
tokens after a person cue ("ask Bob", "thanks Carol", "with Dana") or before a speech verb
("Bob said"), plus any already known name wherever it occurs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_NAME = rf"{_TOKEN}(?:\s+{_TOKEN}){{0,2}}"
_INTRO = [
    re.compile(rf"(?i:\bmy\s+name(?:'s|\s+is)\s+)(?P<name>{_NAME})"),
    re.compile(rf"(?i:\bI\s+am\s+)(?P<name>{_NAME})"),
    re.compile(rf"(?i:\bI['\u2019]m\s+)(?P<name>{_NAME})"),
    re.compile(rf"(?i:\bthis\s+is\s+)(?P<name>{_NAME})(?i:\s+speaking\b)"),
    re.compile(rf"(?i:\bcall\s+me\s+)(?P<name>{_NAME})"),
]
_CUE_BEFORE = re.compile(
    rf"(?i:\b(?:ask|asked|tell|told|call|called|meet|met|thank|thanks|hey|hi|hello|with|and|saw|see|where's|where\s+is)\s+)(?P<name>{_NAME})"
)
_VERB_AFTER = re.compile(rf"(?P<name>{_NAME})(?i:\s+(?:said|says|told|asked|wants|thinks|called|is\s+coming|will\s+be)\b)")

_TITLES = {"mr", "mrs", "ms", "dr", "miss", "prof"}
COMMON_WORDS = frozenset(
    """i the a an not here there sorry fine okay ok yes no just so very really going happy glad sure
    afraid back home done ready good great well right and but or from in at on with to for of by
    today tomorrow yesterday tonight now then also still always never maybe please thanks thank
    hello hi hey what who where when why how this that these those it its we you he she they me us
    him her them my your our their is are was were be been am will would can could should may might
    must do does did have has had gonna wanna trying looking calling speaking talking working
    coming leaving new old big small first last next other another every all any some many much
    monday tuesday wednesday thursday friday saturday sunday january february march april june july
    august september october november december english french german spanish chinese god oh ah um uh
    sir madam everyone everybody someone somebody nobody anyone guys people team welcome morning
    afternoon evening night gate door room floor bay street road""".split()
)


@dataclass(slots=True)
class NameHit:
    """A name found in one speech segment: ``intro`` when the speaker introduced themselves."""

    name: str
    intro: bool
    start: int
    end: int


def clean_name(raw: str, strip_leading: bool = False) -> tuple[int, str] | None:
    """Trim common words from the end (and, for mentions, the start) of a candidate.

    Returns ``(character offset of the name in raw, name)``, or ``None`` when nothing name-like
    is left.

    >>> clean_name("Alice Parker")
    (0, 'Alice Parker')
    >>> clean_name("Then Bob", strip_leading=True)
    (5, 'Bob')
    >>> clean_name("Sure") is None
    True
    """
    tokens = raw.split()
    while tokens and tokens[-1].casefold() in COMMON_WORDS:
        tokens.pop()
    if strip_leading:
        while tokens and tokens[0].casefold() in COMMON_WORDS:
            tokens.pop(0)
    if not tokens:
        return None
    offset = raw.find(tokens[0])
    if tokens[0].casefold().rstrip(".") in _TITLES:
        return (offset, " ".join(tokens)) if len(tokens) > 1 else None
    if any(t.casefold() in COMMON_WORDS for t in tokens):
        return None
    return offset, " ".join(tokens)


def name_key(name: str) -> str:
    """Normalised key of a name (case and spaces): the id key of NAME entities."""
    return " ".join(name.casefold().split())


def find_names(text: str, known: set[str] | frozenset[str] = frozenset()) -> list[NameHit]:
    """Self-introductions and mentions in ``text``, in order; overlapping hits keep the first
    (introductions win). ``known`` are names already seen (matched as whole words)."""
    hits: list[NameHit] = []

    def add(raw: str, intro: bool, start: int) -> None:
        cleaned = clean_name(raw, strip_leading=not intro)
        if cleaned is None:
            return
        offset, name = cleaned
        start += offset
        end = start + len(name)
        if any(h.start < end and start < h.end for h in hits):
            return
        hits.append(NameHit(name=name, intro=intro, start=start, end=end))

    for pat in _INTRO:
        for m in pat.finditer(text):
            add(m.group("name"), True, m.start("name"))
    for pat in (_CUE_BEFORE, _VERB_AFTER):
        for m in pat.finditer(text):
            add(m.group("name"), False, m.start("name"))
    for name in sorted(known, key=len, reverse=True):
        for m in re.finditer(rf"\b{re.escape(name)}\b", text):
            add(m.group(0), False, m.start())
    return sorted(hits, key=lambda h: h.start)
