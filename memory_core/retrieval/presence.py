"""Yes/no questions about where someone or something still is: "Is Daniel still in Lisbon?",
"Is my bike still at the repair shop?" (rules, no model).

The answer comes from the latest record that mentions the place, read for the direction of the
preposition before it (English source vs. goal/location):

- **left**: "from Y" ("got back from Lisbon", "picked up the bike from the repair shop"),
  "out of Y", or Y as the object of "left/leave/leaving/moved out of" ("she left Leeds") -> **No**;
- **there**: "in/at/to/into/inside/on/for Y" ("flies to Lisbon", "dropped it off at the repair
  shop", "left for Leeds") -> **Yes**;
- anything else decides nothing, and an earlier record is read.

A semantic ``location`` fact ("spare key / location / in the kitchen drawer") decides by whether
its value names the asked place (:func:`fact_says_there`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datetime import datetime

from api_schemas import Kind, Level
from memory_core.building.facts import STATES
from memory_core.building.plans import is_time_expression
from memory_core.retrieval.context import Query, SearchContext
from memory_core.retrieval.lexical import STOPWORDS, stem, tokenize
from memory_core.retrieval.occurrences import sentence_units

__all__ = ["StillQuestion", "fact_says_there", "latest_side", "parse_still", "side_of"]

_STILL = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:is|are|was|were)\s+(?P<subj>.+?)\s+(?:still\s+)?(?P<prep>in|at|inside|with|staying\s+(?:in|at|with))"
    r"\s+(?P<place>[^?.!,]+?)\s*(?:now|right\s+now|at\s+the\s+moment|today|currently)?\s*[?.!]*\s*$", re.I)
_STATE_WORDS = frozenset(w for st in STATES for w in st.split()[-1:])
_SOURCE = {"from"}
_GOAL = {"in", "at", "to", "into", "inside", "on", "for", "onto", "towards", "toward", "near"}
_LEAVE = {"left", "leave", "leaves", "leaving", "exited", "quit"}
_SKIP = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that", "back", "over", "up", "down"}


@dataclass(frozen=True, slots=True)
class StillQuestion:
    """``subject`` and ``place`` as written in the question ("Daniel", "Lisbon"), and the place's
    content words (lower case, stop words removed) that a record must mention."""

    subject: str
    place: str
    place_words: tuple[str, ...]


def parse_still(text: str) -> StillQuestion | None:
    """The subject and place of "Is/Are X (still) in/at/with Y (now)?"; ``None`` for other questions,
    when the place has no content word ("is it still in there?") or is a time ("is the call at
    3pm?"). "on" is left out: "are the lights on in the kitchen" asks about a switch."""
    m = _STILL.match(text)
    if not m or re.match(r"\s*\d", m.group("place")) or is_time_expression(m.group("place")):
        return None  # "is the meeting at 3pm / on Friday": a time, not a place
    subject_words = tokenize(m.group("subj"))
    if subject_words and subject_words[-1] in _STATE_WORDS:
        return None  # "are the lights on in the kitchen": a state in a place, not whether they are there
    words = tuple(w for w in tokenize(m.group("place")) if w not in STOPWORDS and not w.isdigit())
    if not words or not tokenize(m.group("subj")):
        return None
    return StillQuestion(m.group("subj").strip(), m.group("place").strip(), words)


def side_of(sentence: str, place_words: tuple[str, ...]) -> str | None:
    """``"left"``, ``"there"`` or ``None``: what ``sentence`` says about the place (see the module
    docstring). The place is where its first content word occurs (same stem); the words before it,
    less determiners and particles ("the", "back"), give the direction."""
    tokens = tokenize(sentence)
    stems = [stem(t) for t in tokens]
    first = stem(place_words[0])
    if not all(stem(w) in stems for w in place_words):
        return None
    i = stems.index(first)
    # walk back over the place's own modifiers and determiners ("the little repair shop")
    j = i - 1
    while j >= 0 and (tokens[j] in _SKIP or (tokens[j] not in _SOURCE | _GOAL | _LEAVE and j >= i - 2
                                              and tokens[j] not in STOPWORDS)):
        j -= 1
    if j < 0:
        return None
    prev = tokens[j]
    if prev in _SOURCE or (prev == "of" and j > 0 and tokens[j - 1] == "out") or prev in _LEAVE:
        return "left"
    if prev in _GOAL:
        return "there"
    return None


def fact_says_there(value: str, place_words: tuple[str, ...]) -> bool:
    """Whether a location fact's value ("in the kitchen drawer") names the asked place: every
    content word of the place occurs in it (same stem)."""
    stems = {stem(t) for t in tokenize(value)}
    return all(stem(w) in stems for w in place_words)


def latest_side(ctx: SearchContext, query: Query, as_of: datetime, still: StillQuestion):
    """Yields trace steps; returns ``(clip, sentence, "left"|"there")`` from the latest clip
    before ``as_of`` (aware) with a sentence that mentions the asked place with a direction
    (:func:`side_of`), or ``None``. Reads the ``settings.count_limit`` episodic clips of the scope
    most similar to the question (a record that the subject left a place mentions the place, so
    it ranks near the question). Store errors propagate."""
    flt = ctx.filter(levels=[Level.CLIP], kinds=[Kind.EPISODIC])
    hits = ctx.search(query, flt, ctx.settings.count_limit, via="still")
    hits = sorted((h for h in hits if h.start < as_of), key=lambda h: h.start, reverse=True)
    for h in hits:
        for sentence in reversed(sentence_units(h.text)):
            side = side_of(sentence, still.place_words)
            if side is not None:
                yield ctx.step("state", level=Level.CLIP, candidates=len(hits), best=h.score,
                               detail=f"still at '{still.place}'? latest record {h.start.isoformat()}: {sentence[:60]!r} -> {side}")
                return h, sentence, side
    yield ctx.step("state", level=Level.CLIP, candidates=len(hits), detail=f"still at '{still.place}'? no record says")
    return None
