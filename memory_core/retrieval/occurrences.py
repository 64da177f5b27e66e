"""Distinct occurrences of one thing across a whole time scope: counting, first/last, order.

:func:`find_occurrences` answers "how many times this week did I water the plants", "when did I
first ...", and locates each side of "did X happen before Y". It works in three stages:

1. **Scan** the scope's clips (episodic and visual) by vector search in pages: the limit grows x4
   from ``settings.count_limit`` to :data:`MAX_SCAN` while the last page still held new
   occurrences (hits come ranked by similarity, so a deeper page that adds none ends the scan), or
   until the scope is exhausted. So the whole scope is searched, not just the top hits; the count
   is a lower bound ("at least") only when the scan stopped at :data:`MAX_SCAN` still finding some.
   Clips scoring below :data:`CANDIDATE_SCORE` (clip level) are not verified.
2. **Verify** each candidate clip sentence by sentence: a clip text mixes speech, on-screen text and
   picture notes, which dilutes its vector; a paraphrase ("gave the plants water" for "water the
   plants") is recognised on the sentence that says it. A sentence's score is
   ``combine(cos(query, sentence), lexical coverage, lexical_weight)``; a clip is an occurrence when
   its best sentence scores ``>= OCCURRENCE_SCORE`` and matches every content word of the query
   (same stem, or a word-vector cosine ``>= KEYWORD_MATCH``: see :func:`sentence_scores`). When the
   question names a known person, the clip must carry that entity (seen or heard) or say the name.
3. **Group** verified clips into distinct occurrences by their EVENT ancestor (clip -> scene ->
   event via ``parent_id``), by the scene when the event is longer than :data:`COARSE_EVENT_S`, by
   time gaps when clips have no parent yet; then groups of one source less than :data:`GAP_S`
   apart are one episode (one occurrence). One piece of evidence per occurrence: its best clip.

:data:`OCCURRENCE_SCORE` (0.52) is the F1-best threshold of the packaged MiniLM (all-MiniLM-L6-v2)
on a calibration table of 12 everyday activities x 2-3 paraphrases and 3 hard negatives each (same
object, other action; same action, other object) - ``tests/unit/test_retrieval_occurrences.py``
keeps that table and checks it. The score alone gives precision 0.68, recall 0.84 at 0.52 (0.55:
0.69/0.80; 0.60: 0.71/0.60); with the word gate at :data:`KEYWORD_MATCH` 0.45, 0.71/0.80 (0.40:
0.70/0.84; 0.50: 0.70/0.76). The gate matters most where a sentence vector is dominated by its
object: on a synthetic week of 4,200 clips of "I <verb> <object>" speech, "how many times did I
fix the printer" counted 140 occurrences without it (cleaned, moved, sold the printer...). Hard
negatives are the worst case: unrelated footage scores far lower (cosine < 0.35).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from api_schemas import EntityKind, Level
from memory_core.building.summarise import split_sentences
from memory_core.retrieval.beam import CLIP_KINDS, Steps
from memory_core.retrieval.context import ENTITY_BONUS, Query, Scored, SearchContext
from memory_core.retrieval.lexical import STOPWORDS, combine, stem, tokenize

OCCURRENCE_SCORE = 0.52  # best sentence of a clip at least this (combined): the clip is an occurrence
KEYWORD_MATCH = 0.45  # word-vector cosine at which a sentence word matches a query word
CANDIDATE_SCORE = 0.25  # clip-level score a clip needs to be verified sentence by sentence
MAX_SCAN = 2000  # most clip hits one scan gathers (then the count is a lower bound)
MAX_VERIFY = 200  # most candidate clips of one scan page verified sentence by sentence (best first)
COARSE_EVENT_S = 3600.0  # events longer than this are too coarse to count by: use scenes
GAP_S = 300.0  # occurrences of one source closer than this (seconds) are one episode

# indefinite pronouns name no one in particular: "did someone change the code" counts any change
INDEFINITE = frozenset("someone somebody anyone anybody everyone everybody something anything".split())
_SPEECH = re.compile(r"(?:^|(?<=[\s.!?']))[^.!?:'\n]{1,80}? said: '")
_BOILERPLATE = re.compile(r"^(?:no speech|no audio|people visible:|\w+ scene, mostly|\w+ lit scene)", re.I)


@dataclass(slots=True)
class Occurrence:
    """One distinct occurrence: its grouping key, its verified clips (best first) and, per clip
    id, the sentence that states it (``sentences``; empty when not known)."""

    key: str
    clips: list[Scored]
    sentences: dict[str, str] = field(default_factory=dict)

    @property
    def best(self) -> Scored:
        """The best-scored clip of the occurrence (its evidence)."""
        return self.clips[0]

    @property
    def start(self) -> datetime:
        """Start of the earliest clip (aware UTC)."""
        return min(c.start for c in self.clips)

    @property
    def end(self) -> datetime:
        """End of the latest clip (aware UTC)."""
        return max(c.end for c in self.clips)

    @property
    def said_at(self) -> datetime:
        """When the best clip's stating sentence was said (aware UTC): :func:`sentence_moment`."""
        best = self.best
        return sentence_moment(best, self.sentences.get(best.id, ""))


def sentence_moment(clip: Scored, sentence: str) -> datetime:
    """The moment ``sentence`` was said inside ``clip`` (aware UTC), estimated from where it sits
    in the clip text: ``clip.start + (offset of the sentence / length of the text) * duration``
    (speech fills a clip at a roughly even rate; 10 s clips keep the error to a few seconds).
    ``clip.start`` when the sentence is empty or not in the text. Two events stated in one clip
    thus keep their spoken order."""
    text = clip.text or ""
    i = text.find(sentence) if sentence else -1
    if i < 0 or not text:
        return clip.start
    return clip.start + (clip.end - clip.start) * (i / len(text))


def sentence_units(text: str) -> list[str]:
    """The sentences of a clip text that can state an event: speech turns without their
    ``"<speaker> said: '...'"`` wrapper, on-screen text and captions; picture notes ("People
    visible: ...", "Bright scene, mostly white.", "No speech.") are left out.

    >>> sentence_units("Ann said: 'I fed the cat. It purred.' People visible: Ann.")
    ['I fed the cat.', 'It purred.']
    """
    plain = _SPEECH.sub(" ", text)
    plain = re.sub(r"(?<=[.!?])'(?=\s|$)|'(?=\s*$)", "", plain)
    return [s.strip(" '") for s in split_sentences(plain) if s.strip(" '") and not _BOILERPLATE.match(s.strip(" '"))]


def _unit_rows(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vecs / norms


def gate_words(query: Query) -> list[str]:
    """The query's content words that a sentence must match (:func:`sentence_scores`): its
    keywords less capitalised words (names: the speaker or a person seen need not be named in the
    sentence), numbers and indefinite pronouns (:data:`INDEFINITE`: "did someone change the code")."""
    capital = {w.lower() for w in re.findall(r"\b[A-Z][\w'-]*", query.text)}
    words = [w for w in dict.fromkeys(tokenize(query.text))
             if w not in STOPWORDS and w not in INDEFINITE and not w.isdigit()]
    return [w for w in words if w not in capital and stem(w) in query.scorer.terms]


def sentence_scores(
    query: Query, texts: list[str], embedder, weight: float, min_score: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, matched)`` for ``texts`` (sentences), each ``(len(texts),)``.

    ``scores``: ``combine(cos(query, sentence), lexical coverage, weight)`` on the cosine scale
    (coverage of one sentence alone, :meth:`LexicalScorer.score`, so it does not depend on which
    other sentences are verified with it).
    ``matched``: every word of :func:`gate_words` is in the sentence (same stem) or close to one
    of its words (word-vector cosine ``>= KEYWORD_MATCH``: "kitty" for "cat", "repaired" for
    "fix"). Sentence vectors are dominated by their object ("I cleaned the printer" has cosine
    0.84 with "I fix the printer"); the gate makes the action count too. With ``min_score``, only
    sentences scoring at least that are gated (the others are ``False``), which saves embedding the
    words of sentences that cannot be occurrences anyway."""
    if not texts:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=bool)
    vecs = _unit_rows(embedder.embed(texts))
    qv = np.asarray(query.vector, dtype=np.float32)
    cos = vecs @ (qv / max(float(np.linalg.norm(qv)), 1e-9))
    lex = [query.scorer.score(t) for t in texts]  # plain coverage: a sentence's score must not depend on its batch
    scores = np.array([combine(float(c), float(lx), weight) for c, lx in zip(cos, lex)], dtype=np.float32)
    gate = gate_words(query)
    if not gate:
        return scores, np.ones(len(texts), dtype=bool)
    tokens = [[t for t in dict.fromkeys(tokenize(x)) if t not in STOPWORDS]
              if min_score is None or sc >= min_score else [] for x, sc in zip(texts, scores)]
    vocab = list(dict.fromkeys([*gate, *(t for ts in tokens for t in ts)]))
    index = {w: i for i, w in enumerate(vocab)}
    sims = _unit_rows(embedder.embed(vocab))
    sims = sims[[index[g] for g in gate]] @ sims.T  # (gate words, vocabulary)
    matched = np.zeros(len(texts), dtype=bool)
    for i, ts in enumerate(tokens):
        if not ts:
            continue
        cols = [index[t] for t in ts]
        stems = {stem(t) for t in ts}
        matched[i] = all(stem(g) in stems or float(sims[j, cols].max()) >= KEYWORD_MATCH for j, g in enumerate(gate))
    return scores, matched


def unnamed_voice_clips(repo, tenant: str, clips: Sequence[Scored]) -> set[str]:
    """Ids of the ``clips`` that carry a voice with no name: a voice entity (``EntityKind.VOICE``)
    without ``name`` and linked to no entity that has one. Such a speaker may be the person a
    question names ("did Priya go to the dentist": Priya's voice was never linked to her name), so
    the person check of :func:`_verify` does not drop these clips. ``repo`` ``None``: empty set."""
    if repo is None:
        return set()
    cache: dict[str, object] = {}

    def entity(eid: str):
        if eid not in cache:
            cache[eid] = repo.get_entity(tenant, eid)
        return cache[eid]

    def unnamed_voice(eid: str) -> bool:
        e = entity(eid)
        if e is None or e.kind is not EntityKind.VOICE or e.name:
            return False
        return not any(getattr(entity(x), "name", None) for x in e.linked_ids[:10])

    return {c.id for c in clips if any(unnamed_voice(eid) for eid in c.entity_ids[:12])}


def _verify(ctx: SearchContext, query: Query, embedder, clips: list[Scored], repo=None) -> list[tuple[Scored, float, str]]:
    """``(clip, best sentence score, best sentence)`` for the clips that are occurrences. When the
    query names a known person, a clip must carry that entity, say the name, or carry a voice
    with no name (:func:`unnamed_voice_clips`: it may be that person's)."""
    units = {c.id: sentence_units(c.text) for c in clips}
    texts = list(dict.fromkeys(u for us in units.values() for u in us))
    scores, matched = sentence_scores(query, texts, embedder, ctx.settings.lexical_weight,
                                      min_score=OCCURRENCE_SCORE - (ENTITY_BONUS if query.entity_ids else 0.0))
    score = {t: float(sc) if ok else -1.0 for t, sc, ok in zip(texts, scores, matched)}
    names = [w.lower() for w in re.findall(r"\b[A-Z][\w'-]{2,}", query.text) if w.lower() not in STOPWORDS]
    maybe = unnamed_voice_clips(repo, ctx.tenant, clips) if query.entity_ids else set()
    out = []
    for c in clips:
        if not units[c.id]:
            continue
        if query.entity_ids and not query.entity_ids.intersection(c.entity_ids) and not any(
                n in tokenize(c.text) for n in names) and c.id not in maybe:
            continue  # "did Alice water the plants": Alice is neither seen, heard, named there nor a voice without a name
        best = max(units[c.id], key=lambda u: score[u])
        bonus = ENTITY_BONUS if query.entity_ids and query.entity_ids.intersection(c.entity_ids) else 0.0
        if score[best] + bonus >= OCCURRENCE_SCORE:
            out.append((replace(c, score=max(c.score, min(1.0, score[best] + bonus))), score[best], best))
    return out


def _group(repo, tenant: str, clips: Sequence[Scored], sentences: dict[str, str] | None = None) -> list[Occurrence]:
    missing = [c.id for c in clips if not c.parent_id]  # the payload may predate the parent link
    if missing:
        linked = {n.id: n.parent_id for n in repo.get_nodes(tenant, missing) if n.parent_id}
        clips = [replace(c, parent_id=linked.get(c.id)) if c.id in linked else c for c in clips]
    scene_ids = list(dict.fromkeys(c.parent_id for c in clips if c.parent_id))
    scenes = {n.id: n for n in repo.get_nodes(tenant, scene_ids)} if scene_ids else {}
    event_ids = list(dict.fromkeys(n.parent_id for n in scenes.values() if n.parent_id))
    events = {n.id: n for n in repo.get_nodes(tenant, event_ids)} if event_ids else {}
    groups: dict[str, list[Scored]] = {}
    for c in clips:
        scene = scenes.get(c.parent_id) if c.parent_id else None
        event = events.get(scene.parent_id) if scene is not None and scene.parent_id else None
        if event is not None and event.duration_s <= COARSE_EVENT_S:
            key = f"event:{event.id}"
        elif c.parent_id:
            key = f"scene:{c.parent_id}"
        else:
            key = f"clip:{c.id}"  # joined to its neighbours by the gap rule below
        groups.setdefault(key, []).append(c)
    occ = sorted((Occurrence(k, v) for k, v in groups.items()), key=lambda o: (o.best.source, o.start))
    merged: list[Occurrence] = []
    for o in occ:  # one episode: same source, less than GAP_S after the previous one ends
        last = merged[-1] if merged else None
        if last is not None and last.best.source == o.best.source and (o.start - last.end).total_seconds() <= GAP_S:
            last.clips.extend(o.clips)
        else:
            merged.append(Occurrence(o.key, list(o.clips)))
    for o in merged:
        o.clips.sort(key=lambda c: -c.score)
        o.sentences = {c.id: (sentences or {}).get(c.id, "") for c in o.clips}
    return sorted(merged, key=lambda o: o.start)


def find_occurrences(ctx: SearchContext, query: Query, repo, embedder, via: str = "count") -> Steps:
    """Yields trace steps; returns ``(occurrences, saturated)``: the distinct occurrences of what
    ``query`` describes within the whole scope, in time order, and whether the scan stopped at
    :data:`MAX_SCAN` hits with more candidates possibly left (then a count is a lower bound).

    Args:
        ctx: the question's search context (tenant, sources, time scope ``[start, end)``).
        query: what to look for (its vector must come from ``embedder``).
        repo: ``Repository`` (parents of the verified clips are read to group them).
        embedder: text embedder of the query; embeds candidate sentences (``embed(list[str])``).
        via: label of the searches in the trace.

    Store and embedder errors propagate.
    """
    s = ctx.settings
    flt = ctx.filter(levels=[Level.CLIP], kinds=CLIP_KINDS)
    limit, seen, verified, candidates, saturated = s.count_limit, set(), [], 0, False
    while True:
        hits = ctx.search(query, flt, limit, via=via)
        page: dict[tuple, Scored] = {}
        for h in hits:
            key = (h.source, h.start, h.end)  # the episodic and the visual node of one clip
            if key in seen or h.score < CANDIDATE_SCORE:
                continue
            if key not in page or h.score > page[key].score:
                page[key] = h
        seen.update((h.source, h.start, h.end) for h in hits)
        batch = sorted(page.values(), key=lambda c: -c.score)[:MAX_VERIFY]
        found = _verify(ctx, query, embedder, batch, repo)
        verified += found
        candidates += len(batch)
        yield ctx.step("search", level=Level.CLIP, candidates=len(hits), best=hits[0].score if hits else None,
                       detail=f"{query.label}{via}: clips across the whole scope (limit {limit}): "
                              f"{len(found)} of {len(batch)} new candidates state it (best sentence >= {OCCURRENCE_SCORE})")
        if len(hits) < limit:
            break  # the whole scope has been seen
        if limit >= MAX_SCAN:
            saturated = bool(found)
            break
        if not found and limit > s.count_limit:
            break  # hits are ranked by similarity: a page deeper than the last one adds nothing either
        limit = min(limit * 4, MAX_SCAN)
    top = max(verified, key=lambda v: v[1], default=None)
    best = top[1] if top else None
    yield ctx.step("verify", level=Level.CLIP, candidates=candidates, best=best,
                   detail=f"{query.label}{len(verified)} of {candidates} candidate clips state it"
                          + (f"; best: {top[2][:60]!r}" if top else "")
                          + (" - scan limit reached, the count may be a lower bound" if saturated else ""))
    occ = _group(repo, ctx.tenant, [v[0] for v in verified], {v[0].id: v[2] for v in verified})
    yield ctx.step("group", level=Level.EVENT, candidates=len(verified), best=best,
                   detail=f"{query.label}{len(verified)} clips -> {len(occ)} distinct occurrences "
                          f"(by event; scene or {GAP_S:.0f} s gap where none; one episode per source and gap)")
    return occ, saturated
