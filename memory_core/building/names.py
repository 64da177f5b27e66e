"""Person names in transcripts, from real evidence only.

A name is taken from one of these kinds of evidence, and from nothing else:

``intro``
    a self-introduction, which names the *speaker*: "my name is X", "my name's X", "call me X",
    "I am X", "I'm X", "this is X speaking/here/calling/again", and a bare "this is X." (X ends
    the clause, as on a phone call or a voice note) when "this is" opens the utterance. "I am/I'm
    X" needs X tagged as a proper noun or PERSON when a parser is given ("I'm Tired" is an
    adjective); a bare "this is X." needs X tagged PERSON or already known ("This is Paris.").
``presented``
    "this is X" that presents someone else ("This is Priya, my colleague", "he said this is
    Tom"): a mention.
``address``
    the person spoken to: "Thanks, Priya", "Hi Sam", "Priya, can you ...", "..., Maria?".
``ner``
    a PERSON span of the named-entity recogniser (spaCy, :class:`~memory_core.providers.nlp_spacy.SpacyNLP`).
``known``
    a name already in the source's entity memory (named by a person, or found before), matched as
    a whole word.

Every candidate must have a proper-noun shape: 1-3 capitalised tokens that are not common words
(ASR capitalises proper nouns and sentence starts, so a mis-heard common phrase such as "otto
milk" is never a name). A candidate overlapping a date, time or number of the recogniser is not a
name; for the weak frames (bare "this is X.", address, presenting) neither is one it tags a place
or an organisation. A possessive ("This is Tom's desk") introduces nobody. Being spoken *about*
("she recommends Priya") never names the speaker: only ``intro`` hits do. Without a parser
(``nlp`` None) only the shape rules apply and there are no NER hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_TOKEN = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+|['\u2019][A-Z][a-z]+)?"
_NAME = rf"{_TOKEN}(?:[ \t]+{_TOKEN}){{0,2}}"
_POSSESSIVE = re.compile(r"['\u2019]s\b")
_CLAUSE_END = r"(?=\s*(?:[,.!?;:]|$))"
# after "this is X": words that present someone else ("..., my colleague", "..., who runs the
# bakery", "..., and she ..."); "This is Tom, your neighbour" / "..., and I'm calling" stay intros
_PRESENTING = re.compile(r"\s*,?\s*(?i:(?:my|our|his|her|their|the|a|an|who|with|from)\b|and\s+(?:she|he|they|her|his|their)\b)")
_OPENERS = re.compile(r"(?i:^|.*[.!?,;:]\s*|.*\b(?:hi|hey|hello|okay|ok|so|well|yeah|yes|right|morning|evening|again)\s*,?\s*)$", re.S)

# (pattern, strength): "strong" frames need only the shape; "propn" frames need a proper-noun tag
# when a parser is given; "this_is" needs PERSON / known / a cue after the name.
_INTRO = [
    (re.compile(rf"(?i:\bmy\s+name(?:['\u2019]s|\s+is)\s+)(?P<name>{_NAME})"), "strong"),
    (re.compile(rf"(?i:\bcall\s+me\s+)(?P<name>{_NAME})"), "strong"),
    (re.compile(rf"(?i:\bthis\s+is\s+)(?P<name>{_NAME})(?i:\s+(?:speaking|here|calling|again)\b)"), "strong"),
    (re.compile(rf"(?i:\bI\s+am\s+)(?P<name>{_NAME})"), "propn"),
    (re.compile(rf"(?i:\bI['\u2019]m\s+)(?P<name>{_NAME})"), "propn"),
    (re.compile(rf"(?i:\bthis\s+is\s+)(?P<name>{_NAME}){_CLAUSE_END}"), "this_is"),
]
_GREETING = (r"thanks|thank\s+you|thank\s+u|hi|hey|hello|bye|goodbye|good\s+(?:morning|afternoon|evening|night)|"
             r"morning|evening|cheers|sorry|welcome(?:\s+back)?|excuse\s+me|congratulations|congrats|dear|okay|ok|"
             r"yes|no|well|look|listen|come\s+on|see\s+you|bye\s+bye|night|night\s+night")
_VOCATIVE_NEXT = (r"can|could|would|will|do|did|does|are|is|have|has|please|you|what|where|when|why|how|who|"
                  r"let['\u2019]s|let|come|look|take|get|don['\u2019]t|go|wait|listen|tell|give|bring|remember|"
                  r"check|stop|hold|try|make|put|grab|pass|call|send|meet|hurry|careful|sit|stay|keep")
_ADDRESS = [
    re.compile(rf"(?i:\b(?:{_GREETING})\s*,?\s+)(?P<name>{_NAME}){_CLAUSE_END}"),
    re.compile(rf"(?:^|(?<=[.!?])\s+|(?<=,)\s*)(?P<name>{_NAME})(?=\s*,\s*(?i:(?:{_VOCATIVE_NEXT})\b))"),
    re.compile(rf"(?<=,)\s*(?P<name>{_NAME})(?=\s*[?!])"),
]

#: Recogniser labels that are never a person: a candidate overlapping one is not a name.
NON_PERSON = frozenset("DATE TIME PERCENT MONEY QUANTITY ORDINAL CARDINAL".split())
#: Labels the small model also gives to unfamiliar first names ("Kenji" GPE): they veto the weak
#: frames ("this is X.", address, presenting), not "my name is X", "call me X" or "I'm X".
NOT_PERSON_IF_WEAK = frozenset("GPE LOC FAC ORG NORP PRODUCT EVENT WORK_OF_ART LAW LANGUAGE".split())
_TITLES = {"mr", "mrs", "ms", "dr", "miss", "prof", "doctor", "professor", "mister", "sir", "madam", "aunt", "uncle"}
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
    afternoon evening night gate door room floor bay street road mom mum dad mommy daddy baby honey
    darling dear love guy man buddy mate bro dude folks kids boys girls ladies gentlemen""".split()
)


@dataclass(slots=True)
class NameHit:
    """A name found in one text.

    Attributes:
        name: the name as written (e.g. ``"Alice Parker"``).
        intro: True for a self-introduction (the speaker's own name).
        start, end: character offsets in the text (end exclusive).
        how: the evidence: ``"intro"``, ``"address"``, ``"ner"`` or ``"known"``.
    """

    name: str
    intro: bool
    start: int
    end: int
    how: str = "ner"


def clean_name(raw: str, strip_leading: bool = False) -> tuple[int, str] | None:
    """Trim common words from the end (and, for mentions, the start) of a candidate.

    Returns ``(character offset of the name in raw, name)``, or ``None`` when nothing name-like
    is left (a common word inside the name, a lone title, a lower-case token).

    >>> clean_name("Alice Parker")
    (0, 'Alice Parker')
    >>> clean_name("Then Bob", strip_leading=True)
    (5, 'Bob')
    >>> clean_name("Sure") is None
    True
    >>> clean_name("otto milk") is None
    True
    """
    tokens = raw.split()
    while tokens and tokens[-1].casefold() in COMMON_WORDS:
        tokens.pop()
    if strip_leading:
        while tokens and tokens[0].casefold() in COMMON_WORDS:
            tokens.pop(0)
    if not tokens or not all(t[:1].isupper() for t in tokens):
        return None
    offset = raw.find(tokens[0])
    if tokens[0].casefold().rstrip(".") in _TITLES:
        rest = tokens[1:]
        if not rest or any(t.casefold() in COMMON_WORDS for t in rest):
            return None
        return offset, " ".join(tokens)
    if any(t.casefold() in COMMON_WORDS for t in tokens):
        return None
    return offset, " ".join(tokens)


def name_key(name: str) -> str:
    """Normalised key of a name (case and spaces): the id key of NAME entities."""
    return " ".join(name.casefold().split())


def _opens_utterance(text: str, at: int) -> bool:
    """``text[at:]`` starts an utterance: nothing before it, or a clause boundary or a greeting."""
    return bool(_OPENERS.match(text[max(0, at - 80):at]))


class _Parse:
    """What the recogniser says about character spans of one text (empty without a parser)."""

    def __init__(self, doc: Any | None) -> None:
        self.ok = doc is not None
        self.ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents] if doc is not None else []
        self.tokens = [(t.idx, t.idx + len(t.text), t.pos_) for t in doc] if doc is not None else []

    def labels(self, start: int, end: int) -> set[str]:
        return {lab for s, e, lab in self.ents if s < end and start < e}

    def person_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The PERSON entity overlapping ``start..end``, if any."""
        return next(((s, e) for s, e, lab in self.ents if lab == "PERSON" and s < end and start < e), None)

    def proper(self, start: int, end: int) -> bool:
        """Every token inside the span is tagged PROPN."""
        toks = [pos for s, e, pos in self.tokens if s >= start and e <= end]
        return bool(toks) and all(p == "PROPN" for p in toks)


def find_names(
    text: str, known: Iterable[str] = frozenset(), nlp: Any | None = None, doc: Any | None = None
) -> list[NameHit]:
    """Names in ``text`` from self-introductions, address, NER and known names, in text order.

    Args:
        text: one speech segment (or a few joined).
        known: names already in the source's entity memory (matched case-sensitively as words).
        nlp: a ``SpacyNLP`` (the ``nlp`` provider role); ``None``: rules only, no NER hits.
        doc: the spaCy ``Doc`` of ``text`` when the caller parsed it already (batching).

    Overlapping hits keep the strongest evidence (intro or presented, then address, NER, known).
    """
    known_set = {k for k in known if k}
    known_keys = {name_key(k) for k in known_set}
    if doc is None and nlp is not None and text.strip():
        doc = nlp.doc(text)
    parse = _Parse(doc)
    hits: list[NameHit] = []

    def add(raw: str, start: int, how: str, strength: str = "strong") -> None:
        cleaned = (0, raw) if how == "known" else clean_name(raw, strip_leading=how != "intro")
        if cleaned is None:
            return
        offset, name = cleaned
        start += offset
        end = start + len(name)
        if how in ("intro", "address", "presented"):
            if _POSSESSIVE.match(text, end):
                return  # "This is Tom's desk": about Tom, introduces nobody
            is_known = name_key(name) in known_keys
            person = parse.person_span(start, end)
            vetoes = NON_PERSON | (NOT_PERSON_IF_WEAK if strength == "this_is" or how != "intro" else frozenset())
            if parse.labels(start, end) & vetoes and person is None and not is_known:
                return
            if parse.ok and person is not None and person[0] == start and person[1] < end:
                end = person[1]  # "Alice Parker Then" -> the recogniser's span
                name = text[start:end]
            if strength == "propn" and parse.ok and not (is_known or person or parse.proper(start, end)):
                return
            if strength == "this_is" and not (is_known or person):
                return
            if how in ("address", "presented") and parse.ok and not (is_known or person or parse.proper(start, end)):
                return
        if any(h.start < end and start < h.end for h in hits):
            return
        hits.append(NameHit(name=name, intro=how == "intro", start=start, end=end, how=how))

    for pat, strength in _INTRO:
        for m in pat.finditer(text):
            how = "intro"
            if strength == "this_is" and not _opens_utterance(text, m.start()):
                how = "presented"  # "... said this is Tom": about someone, names nobody's voice
            elif strength == "this_is" and _PRESENTING.match(text, m.end("name")):
                how = "presented"  # "This is Priya, my colleague": the speaker presents someone
            add(m.group("name"), m.start("name"), how, strength)
    for pat in _ADDRESS:
        for m in pat.finditer(text):
            add(m.group("name"), m.start("name"), "address")
    for s, e, lab in parse.ents:
        if lab == "PERSON":
            add(_POSSESSIVE.sub("", text[s:e]).strip(), s, "ner")
    for name in sorted(known_set, key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            add(m.group(0), m.start(), "known")
    return sorted(hits, key=lambda h: h.start)
