"""Extractive answers: the span of the expected type in the evidence that answers the question.

Method (classic extractive QA over retrieved passages, e.g. Harabagiu et al. 2000 "FALCON":
answer type -> typed candidate spans -> ranking by question-sentence alignment):

1. The evidence texts are cut into *units*: one sentence each, with who said it (from
   ``"<speaker> said: '...'"``) or whether it was on screen (``"On screen: ..."``), and the
   previous sentence of the same speaker as context ("The code changed. It is now 2550.").
   Labels of derived memories ("Routine (2 days, around 08:00 UTC): ...") are removed.
2. Alignment: the share of the question's content words (stemmed, :func:`lexical.stem`) found in
   the sentence or its speaker's name, plus half the share found in the context sentence.
3. Candidates by type (:mod:`spans` patterns and spaCy NER; for person and object the dependency
   parse: the subject or object of the sentence's verb that matches the question's verb, or for
   "whose <noun>" the possessor of that noun; pronouns resolve to the speaker ("I", "my") or to
   the last person named before ("she", "his")).
4. Score = item weight x (alignment + proximity to an aligned word); the best candidate wins.
   Spans that only repeat the question (its numbers, its names) are not answers. A sentence that
   shares no content word with the question (nor its context) yields nothing.

spaCy is optional (``nlp=None``): numbers, money, times and dates still come from patterns; place,
person, object, list and yes/no need it and return None without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from memory_core.retrieval.answer_types import AnswerType
from memory_core.retrieval import spans as sp
from memory_core.retrieval.lexical import STOPWORDS, stem, tokenize
from memory_core.retrieval.units import Unit, strip_label, units_of
from memory_core.retrieval.yesno import yes_no

__all__ = ["PARSED_TYPES", "SCREEN_WORDS", "Extraction", "Unit", "extract", "strip_label", "units_of"]

# types whose spans need the parse (NER, dependencies); the others are read by patterns, and
# spaCy adds little to them (its CARDINAL/TIME entities) for a load of ~1 s per process
PARSED_TYPES = frozenset({AnswerType.PLACE, AnswerType.PERSON, AnswerType.OBJECT, AnswerType.LIST, AnswerType.YES_NO})

MAX_UNITS = 40  # sentences parsed per question (spaCy ~8.5 ms each on 2 threads)
CONTEXT_SHARE = 0.5  # weight of the context sentence's alignment
CUT_WEIGHT = 0.8  # weight factor of a sentence without an end (cut at a clip boundary)
PROXIMITY = 0.2  # bonus for a span next to an aligned word, divided by (1 + word distance)
_UNKNOWN_SPEAKERS = {"someone", "somebody", "unknown", "speaker"}
_FIRST_PERSON = {"i", "me", "we", "us", "myself", "my", "mine", "our", "ours"}
_THIRD_PERSON = {"he", "she", "him", "her", "they", "them", "his", "hers", "their", "theirs"}
_GENDERED = {"he", "him", "his", "she", "her", "hers"}  # refer to a person, never to an organisation
_NOT_PERSON_ENTS = {"GPE", "LOC", "FAC", "DATE", "TIME", "NORP", "MONEY", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "EVENT"}
_SPEECH_VERBS = {"say", "tell", "mention", "ask", "announce", "explain", "talk", "speak", "claim", "report",
                 "shout", "call", "reply", "answer", "add", "remark", "state", "promise", "warn"}
_LOCATIVE = {"to", "at", "in", "into", "from", "near", "inside", "outside", "under", "behind", "beside", "above",
             "below", "on", "across", "around", "onto", "towards", "toward", "by", "next", "opposite", "past"}
_PLAIN_LOCATIVE = {"to", "at", "in", "into", "from"}  # the phrase is the place; others keep the preposition
_PLACE_ENTS = {"GPE", "LOC", "FAC"}
# words by which a question points at on-screen text; an on-screen unit counts as holding them
SCREEN_WORDS = frozenset(stem(w) for w in ("screen", "sign", "signs", "written", "display", "displayed", "label",
                                            "banner", "caption", "placard", "show", "shown", "text"))
_TIME_WORDS = re.compile(r"^(?:morning|afternoon|evening|night|day|week|weekend|moment|time|minute|hour|while|way)s?$", re.I)


@dataclass(frozen=True, slots=True)
class Extraction:
    """A typed answer: ``answer`` (normalised, e.g. "2550"), ``span`` as written in ``sentence``
    (the supporting sentence, which contains it; empty for yes/no and for ``timestamp`` answers,
    where the answer is the moment the evidence was recorded), the unit's ``speaker``/``onscreen``,
    ``item`` index into the evidence list and the ranking ``score``."""

    atype: AnswerType
    answer: str
    span: str
    sentence: str
    speaker: str | None
    onscreen: bool
    item: int
    score: float
    timestamp: bool = False


def _stems(text: str) -> set[str]:
    return {stem(t) for t in tokenize(text) if t not in STOPWORDS}


def _speaker_name(label: str | None) -> str | None:
    if not label or label.strip().lower() in _UNKNOWN_SPEAKERS:
        return None
    return label


@dataclass(slots=True)
class _Cand:
    unit: int
    start: int
    end: int
    answer: str
    weight: float = 1.0


def extract(
    question: str,
    keywords: Sequence[str],
    atype: AnswerType,
    texts: Sequence[tuple[int, str, float]],
    *,
    nlp: Any = None,
    names: Sequence[str] = (),
    onscreen: bool = False,
) -> Extraction | None:
    """The best span of type ``atype`` answering ``question`` in ``texts``, or None.

    Args:
        question: the question as asked.
        keywords: its content words (``QuestionPlan.keywords``).
        atype: the expected type (:func:`answer_types.answer_type`).
        texts: ``(evidence index, text, weight)``: the evidence texts to read, weight 1.0 for the
            primary evidence and less for supporting ones.
        nlp: a :class:`~memory_core.providers.nlp_spacy.SpacyNLP` (``doc``/``docs``), or None.
        names: person names known in memory (entity names), matched as persons in sentences.
        onscreen: the question asks for on-screen text (``QuestionPlan.onscreen``): on-screen
            sentences count as holding the words that point at a screen ("screen", "sign",
            "shown", ... :data:`SCREEN_WORDS`), a typed span from on-screen text wins over one
            that was said, and a description answer is the best-aligned on-screen text itself.

    Returns:
        The top-scoring :class:`Extraction` (for a description: the best-aligned sentence itself,
        or the on-screen text when ``onscreen``); None for count and before/after, when nothing of
        the type is found in a sentence that shares a content word with the question (or whose
        context does), or when a type in :data:`PARSED_TYPES` has no ``nlp``.
    """
    if atype in (AnswerType.COUNT, AnswerType.BEFORE_AFTER):
        return None
    if atype in PARSED_TYPES and nlp is None:
        return None
    units: list[Unit] = []
    weights: list[float] = []
    for item, text, weight in texts:
        for u in units_of(text, item):
            if len(units) < MAX_UNITS:
                units.append(u)
                # a sentence cut at a clip boundary is worth less than the whole one read across clips
                weights.append(weight * (1.0 if u.onscreen or u.text[-1:] in ".!?\"'’”" else CUT_WEIGHT))
    if not units:
        return None
    q = {stem(k) for k in keywords} or _stems(question)
    q_tokens = set(tokenize(question))
    align = []
    for u in units:
        seen = _stems(u.text) | _stems(u.speaker or "") | (SCREEN_WORDS if u.onscreen else set())
        own = len(q & seen) / len(q) if q else 1.0
        ctx = len(q & _stems(u.context)) / len(q) if q and u.context else 0.0
        align.append(own + CONTEXT_SHARE * ctx)
    docs = nlp.docs([u.text for u in units]) if nlp is not None else [None] * len(units)
    qdoc = nlp.doc(question) if nlp is not None else None
    if atype is AnswerType.YES_NO:
        return _yes_no(qdoc, q, units, docs, weights, align)
    if atype is AnswerType.DESCRIPTION:
        # the sentence itself is the answer: on-screen text when that is asked for, else the sentence
        # sharing most content words with the question (its own words, not only its context)
        pool = [k for k, u in enumerate(units) if u.onscreen == onscreen and align[k] > 0
                and (onscreen or len(q & _stems(u.text)) > 0
                     or bool(q) and bool(u.speaker) and q <= _stems(u.speaker))]  # "what did <speaker> say?"
        # a one-word spoken fragment ("Parker.", the tail of a name cut at a clip boundary) says
        # nothing; it answers only when no longer sentence aligns
        pool = [k for k in pool if units[k].onscreen or len(units[k].text.split()) > 1] or pool
        if not pool:
            return None
        k = max(pool, key=lambda j: (weights[j] * align[j], -j))
        u = units[k]
        return Extraction(atype, u.text, u.text, u.text, u.speaker, u.onscreen, u.item, round(weights[k] * align[k], 4))
    cands: list[_Cand] = []
    for i, (u, doc) in enumerate(zip(units, docs)):
        if align[i] <= 0:
            continue
        cands += _candidates(atype, u, doc, qdoc, units, docs, i, names)
    if atype is AnswerType.TIME:
        cands = _join_times(cands, units)
    cands = [c for c in cands if not _repeats_question(c.answer, units[c.unit].text[c.start:c.end], q_tokens)]
    if onscreen and any(units[c.unit].onscreen for c in cands):
        cands = [c for c in cands if units[c.unit].onscreen]  # "the number on the sign": not one that was said
    if not cands:
        if atype in (AnswerType.TIME, AnswerType.DATE):
            return _timestamp(atype, units, weights, align)
        return None
    best, best_score = None, -1.0
    for c in cands:
        u = units[c.unit]
        score = weights[c.unit] * c.weight * (align[c.unit] + _proximity(u.text, c.start, c.end, q))
        if score > best_score:
            best, best_score = c, score
    u = units[best.unit]
    return Extraction(atype, best.answer, u.text[best.start:best.end], u.text, u.speaker, u.onscreen, u.item, round(best_score, 4))


def _repeats_question(answer: str, span: str, q_tokens: set[str]) -> bool:
    """Whether a candidate only repeats the question (its span's or its answer's content words are
    all in the question): "Who did Alice meet?" is not answered by "Alice"."""
    return any(bool(toks) and all(t in q_tokens for t in toks)
               for toks in ([t for t in tokenize(x) if t not in STOPWORDS] for x in (span, answer)))


def _proximity(text: str, start: int, end: int, q: set[str]) -> float:
    words = [(m.start(), stem(m.group(0).lower())) for m in re.finditer(r"[A-Za-z0-9]+", text)]
    hits = [i for i, (pos, s) in enumerate(words) if s in q and not start <= pos < end]
    if not hits:
        return 0.0
    span_idx = [i for i, (pos, _) in enumerate(words) if start <= pos < end] or [0]
    dist = min(abs(h - s) for h in hits for s in span_idx)
    return PROXIMITY / (1 + dist)


def _overlaps(a: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def _ents(doc, labels: set[str]) -> list:
    return [e for e in doc.ents if e.label_ in labels] if doc is not None else []


def _candidates(atype: AnswerType, u: Unit, doc, qdoc, units, docs, i: int, names: Sequence[str]) -> list[_Cand]:
    t = u.text
    if atype is AnswerType.NUMBER:
        other = [(s.start, s.end) for s in sp.money(t) + sp.clock_times(t) + sp.dates(t) + sp.weekdays(t)]
        other += [(e.start_char, e.end_char) for e in _ents(doc, {"MONEY", "TIME", "DATE", "PERCENT"}) if _has_unit(e)]
        found = [s for s in sp.numbers(t) if not _overlaps((s.start, s.end), other)]
        out = [_Cand(i, s.start, s.end, s.value, 1.0) for s in found]
        known = [(c.start, c.end) for c in out]
        out += [_Cand(i, e.start_char, e.end_char, e.text, 0.9) for e in _ents(doc, {"CARDINAL", "QUANTITY"})
                if not _overlaps((e.start_char, e.end_char), known + other)]
        return out
    if atype is AnswerType.MONEY:
        found = sp.money(t)
        out = [_Cand(i, s.start, s.end, s.value) for s in found]
        out += [_Cand(i, e.start_char, e.end_char, e.text, 0.9) for e in _ents(doc, {"MONEY"})
                if not _overlaps((e.start_char, e.end_char), [(s.start, s.end) for s in found])]
        return out
    if atype in (AnswerType.TIME, AnswerType.DATE):
        found = sp.clock_times(t) + sp.weekdays(t) if atype is AnswerType.TIME else sp.dates(t)
        out = [_Cand(i, s.start, s.end, s.value) for s in found]
        labels = {"TIME", "DATE"} if atype is AnswerType.TIME else {"DATE"}
        out += [_Cand(i, e.start_char, e.end_char, e.text, 0.9) for e in _ents(doc, labels)
                if _is_moment(e) and not _overlaps((e.start_char, e.end_char), [(s.start, s.end) for s in found])]
        return out
    if doc is None:
        return []
    if atype is AnswerType.PLACE:
        return _places(doc, i)
    if atype is AnswerType.PERSON:
        return _persons(u, doc, qdoc, units, docs, i, names)
    return _objects(doc, qdoc, i, with_conj=True)


def _is_moment(ent) -> bool:
    """Whether a spaCy TIME/DATE entity can answer "when": not only a relative day ("this
    morning"), and not a number that belongs to the noun before it ("bay 3 this morning")."""
    if sp.RELATIVE.match(ent.text.strip()):
        return False
    before = ent.doc[ent.start - 1] if ent.start > 0 else None
    return not (ent[0].like_num and before is not None and before.pos_ in ("NOUN", "PROPN"))


def _has_unit(ent) -> bool:
    """Whether a spaCy DATE/TIME/MONEY entity holds more than numbers ("3 pm", "March 3", "$5"):
    the small model tags bare spelled codes ("two five five zero") as DATE, which must not hide them."""
    return any((t.is_alpha and t.lower_ not in sp.NUMBER_WORDS) or t.text in "$€£¥%:" for t in ent)


def _join_times(cands: list[_Cand], units) -> list[_Cand]:
    """Adjacent time candidates of one sentence ("Thursday" + "at 3 pm") become one answer."""
    out = sorted(cands, key=lambda c: (c.unit, c.start))
    merged: list[_Cand] = []
    for c in out:
        prev = merged[-1] if merged else None
        if prev and prev.unit == c.unit and c.start >= prev.end and re.fullmatch(r"\s*(?:at|on|,|, at)?\s*", units[c.unit].text[prev.end:c.start]):
            text = units[c.unit].text
            merged[-1] = _Cand(c.unit, prev.start, c.end, f"{prev.answer}{text[prev.end:c.start]}{c.answer}", max(prev.weight, c.weight))
        elif prev and prev.unit == c.unit and c.start < prev.end:
            continue  # overlapping: keep the first (patterns come before entities)
        else:
            merged.append(c)
    return merged


def _places(doc, i: int) -> list[_Cand]:
    out = [_Cand(i, e.start_char, e.end_char, e.text) for e in _ents(doc, _PLACE_ENTS)]
    taken = [(c.start, c.end) for c in out]
    blocked = [(e.start_char, e.end_char) for e in _ents(doc, {"DATE", "TIME", "PERSON", "CARDINAL", "MONEY"})]
    for tok in doc:
        if tok.dep_ != "pobj" or tok.head.lower_ not in _LOCATIVE or tok.pos_ == "PRON":
            continue
        if _TIME_WORDS.match(tok.text) or _overlaps((tok.idx, tok.idx + len(tok)), blocked):
            continue
        chunk = _chunk(tok)
        if tok.ent_type_ == "ORG" or not _overlaps((chunk.start_char, chunk.end_char), taken):
            prep = tok.head
            start = chunk.start_char if prep.lower_ in _PLAIN_LOCATIVE else prep.idx
            end = max([chunk.end_char] + [c.right_edge.idx + len(c.right_edge) for c in tok.rights
                                          if c.dep_ in ("nummod", "compound", "appos", "npadvmod", "amod", "nmod")])
            out.append(_Cand(i, start, end, doc.text[start:end], 1.0 if tok.ent_type_ == "ORG" else 0.85))
    return out


def _chunk(tok):
    for nc in tok.doc.noun_chunks:
        if nc.start <= tok.i < nc.end:
            return nc
    return tok.doc[tok.i:tok.i + 1]


def _question_verbs(qdoc) -> tuple[set[str], str]:
    """Lemmas (and stems) of the question's main verbs, and the wh-word's role ("subj"/"obj")."""
    verbs = {t.lemma_.lower() for t in qdoc if t.pos_ == "VERB"} if qdoc is not None else set()
    role = "subj"
    for t in qdoc or []:
        if t.lower_ in ("who", "whom", "what", "which") and t.dep_ in ("dobj", "pobj", "dative", "obj"):
            role = "obj"
        if t.lower_ in ("who", "whom") and t.dep_.startswith("nsubj"):
            role = "subj"
            break
    return verbs | {stem(v) for v in verbs}, role


def _matching_verbs(doc, verbs: set[str]):
    return [t for t in doc if t.pos_ in ("VERB", "AUX") and (t.lemma_.lower() in verbs or stem(t.lower_) in verbs)]


def _subject(verb):
    for c in verb.children:
        if c.dep_ == "agent":
            return next((g for g in c.children if g.dep_ == "pobj"), None)
    for c in verb.children:
        if c.dep_ in ("nsubj", "csubj"):
            return c
    if verb.dep_ in ("conj", "xcomp", "advcl") and verb.head is not verb:
        return _subject(verb.head)
    return None


def _persons(u: Unit, doc, qdoc, units, docs, i: int, names: Sequence[str]) -> list[_Cand]:
    verbs, role = _question_verbs(qdoc)
    verbs = verbs or {"be"}  # "Who is the warehouse manager?" -> "I am the warehouse manager."
    q_people = {e.text.lower() for e in (qdoc.ents if qdoc is not None else []) if e.label_ == "PERSON"}
    owners = _owners(doc, qdoc, u, units, docs, i, names, q_people)
    if owners is not None:
        return owners
    out: list[_Cand] = []
    for v in _matching_verbs(doc, verbs):
        heads = [_subject(v)] if role == "subj" else [c for c in v.children if c.dep_ in ("dobj", "dative", "obj")] + [
            g for c in v.children if c.dep_ == "prep" and c.lower_ in ("with", "to", "for") for g in c.children if g.dep_ == "pobj"]
        for h in heads:
            if h is None:
                continue
            name = _resolve(h, u, units, docs, i, names)
            if name and name[2].lower() not in q_people:
                out.append(_Cand(i, name[0], name[1], name[2], 1.3))
    speaker = _speaker_name(u.speaker)
    if speaker and verbs & _SPEECH_VERBS and role == "subj":
        out.append(_Cand(i, 0, 0, speaker, 1.2))  # "who said ...": the speaker; the sentence is what was said
    for e in _ents(doc, {"PERSON"}):
        if e.text.lower() not in q_people:
            out.append(_Cand(i, e.start_char, e.end_char, e.text, 1.0))
    for n in names:
        m = re.search(rf"\b{re.escape(n)}\b", doc.text, re.I)
        if m and n.lower() not in q_people and not _overlaps((m.start(), m.end()), [(c.start, c.end) for c in out]):
            out.append(_Cand(i, m.start(), m.end(), n, 1.0))
    return out


def _owners(doc, qdoc, u: Unit, units, docs, i: int, names: Sequence[str], q_people: set[str]) -> list[_Cand] | None:
    """For "whose <noun> ...?" the possessor of that noun in the sentence ("Daniel's cat", "his cat"
    with "his" resolved to the last person named before), or None when the question has no
    "whose" (then the usual person candidates apply)."""
    whose = next((t for t in qdoc if t.lower_ == "whose"), None) if qdoc is not None else None
    if whose is None or whose.head is whose:
        return None
    owned = {stem(whose.head.lower_), whose.head.lemma_.lower()}
    out: list[_Cand] = []
    for tok in doc:
        if stem(tok.lower_) not in owned and tok.lemma_.lower() not in owned:
            continue
        for c in tok.children:
            if c.dep_ != "poss":
                continue
            if c.pos_ == "PRON":  # "his cat", "my laptop"
                name = _resolve(c, u, units, docs, i, names)
            else:  # "Lukas's car", "Grace Hall's dog": the possessor's own words, without the "'s"
                own = doc[c.left_edge.i:c.i + 1]
                name = (own.start_char, own.end_char, own.text)
            if name and name[2].lower() not in q_people:
                out.append(_Cand(i, name[0], name[1], name[2], 1.4))
    return out


def _people_in(text: str, doc, names: Sequence[str], speaker: str | None, gendered: bool) -> list[str]:
    """Persons named in one sentence, in order: PERSON entities and known ``names``; for a gendered
    pronoun ("he", "her", ...) also a proper-noun subject the tagger did not call a place or a
    time (the small English model tags many first names ORG: "Daniel flies to Lisbon")."""
    found: list[tuple[int, str]] = []
    if doc is not None:
        found += [(e.start_char, e.text) for e in doc.ents if e.label_ == "PERSON"]
        if gendered:
            found += [(t.idx, t.text) for t in doc if t.pos_ == "PROPN" and t.dep_ in ("nsubj", "nsubjpass")
                      and t.ent_type_ not in _NOT_PERSON_ENTS]
    for n in names:
        m = re.search(rf"\b{re.escape(n)}\b", text, re.I)
        if m:
            found.append((m.start(), n))
    return [n for _, n in sorted(found) if n != speaker]


def _resolve(tok, u: Unit, units, docs, i: int, names: Sequence[str]):
    """``(start, end, name)`` of the person ``tok`` refers to, or None."""
    doc = tok.doc
    sub = doc[tok.left_edge.i:tok.right_edge.i + 1]
    for e in doc.ents:
        if e.label_ == "PERSON" and sub.start <= e.start and e.end <= sub.end:
            return e.start_char, e.end_char, e.text
    for n in names:
        m = re.search(rf"\b{re.escape(n)}\b", sub.text, re.I)
        if m:
            return sub.start_char + m.start(), sub.start_char + m.end(), n
    low = tok.lower_
    if low in _FIRST_PERSON:
        speaker = _speaker_name(u.speaker)
        return (tok.idx, tok.idx + len(tok), speaker) if speaker else None
    if low in _THIRD_PERSON:
        speaker = _speaker_name(u.speaker)
        for j in range(i - 1, -1, -1):  # the last person named before, in the same evidence text
            if units[j].item != u.item:
                break
            people = _people_in(units[j].text, docs[j], names, speaker, gendered=low in _GENDERED)
            if people:
                return tok.idx, tok.idx + len(tok), people[-1]
        return None
    if tok.pos_ in ("NOUN", "PROPN"):
        chunk = _chunk(tok)
        return chunk.start_char, chunk.end_char, chunk.text
    return None


def _objects(doc, qdoc, i: int, with_conj: bool) -> list[_Cand]:
    verbs, _ = _question_verbs(qdoc)
    verbs -= {"do", "be", "have"}
    out: list[_Cand] = []
    for v in _matching_verbs(doc, verbs):
        for c in v.children:
            if c.dep_ not in ("dobj", "obj", "attr", "oprd") or c.pos_ == "PRON":
                continue
            chunk = _chunk(c)
            end = chunk.end_char
            for g in c.rights:  # "a box of apples", "a cup of tea": the measure with what it measures
                if g.dep_ == "prep" and g.lower_ == "of" and any(p.dep_ == "pobj" for p in g.children):
                    end = max(end, g.right_edge.idx + len(g.right_edge))
            if with_conj:  # "a bike and a helmet"; "the tent, a stove and two bags" (parsed as appos + conj)
                for g in c.rights:
                    if g.dep_ in ("conj", "appos"):
                        end = max(end, g.right_edge.idx + len(g.right_edge))
            out.append(_Cand(i, chunk.start_char, end, doc.text[chunk.start_char:end], 1.0))
    out += _named_as(doc, qdoc, i)
    return out


def _named_as(doc, qdoc, i: int) -> list[_Cand]:
    """For "which <noun> ...?" the thing the sentence identifies as that noun: the other side of a
    copula ("Lena is the best electrician", "the best cafe was Blue Door") or an apposition
    ("Lena, the electrician"). Empty without a "which/what <noun>" in the question."""
    det = next((t for t in qdoc or [] if t.lower_ in ("which", "what") and t.dep_ == "det" and t.head.pos_ == "NOUN"), None)
    if det is None:
        return []
    noun = {stem(det.head.lower_), det.head.lemma_.lower()}
    out: list[_Cand] = []
    for tok in doc:
        if stem(tok.lower_) not in noun and tok.lemma_.lower() not in noun:
            continue
        other = []
        if tok.head.lemma_ == "be" and tok.dep_ in ("attr", "nsubj"):
            want = "nsubj" if tok.dep_ == "attr" else "attr"
            other = [c for c in tok.head.children if c.dep_ == want]
        other += [c for c in tok.children if c.dep_ == "appos"] + ([tok.head] if tok.dep_ == "appos" else [])
        for o in other:
            if o.pos_ in ("PRON", "DET") or o.i == tok.i:
                continue
            chunk = _chunk(o)
            out.append(_Cand(i, chunk.start_char, chunk.end_char, chunk.text, 1.2))
    return out


def _yes_no(qdoc, q: set[str], units, docs, weights, align) -> Extraction | None:
    """Yes/No from the sentence that states the question's predicate (:func:`yesno.yes_no`)."""
    found = yes_no(qdoc, q, units, docs, weights, align)
    if found is None:
        return None
    k, score, answer = found
    u = units[k]
    return Extraction(AnswerType.YES_NO, answer, "", u.text, u.speaker, u.onscreen, u.item, round(score, 4))


def _timestamp(atype: AnswerType, units, weights, align) -> Extraction | None:
    """No time in the words: the answer is when the best-aligned sentence was recorded."""
    k = max(range(len(units)), key=lambda j: (weights[j] * align[j], -j))
    if align[k] <= 0:
        return None
    u = units[k]
    return Extraction(atype, "", "", u.text, u.speaker, u.onscreen, u.item, round(weights[k] * align[k], 4), timestamp=True)
