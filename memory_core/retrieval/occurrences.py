"""Distinct occurrences of one thing across a whole time scope: counting, first/last, order.

:func:`find_occurrences` answers "how many times this week did I water the plants", "when did I
first ...", and locates each side of "did X happen before Y". It works in three stages:

1. **Scan** the scope's clips (episodic and visual) by vector search, paging the limit up (x4,
   from ``settings.count_limit`` to :data:`MAX_SCAN`) until the scope is exhausted or no unseen clip
   can still reach :data:`CANDIDATE_SCORE` (an unseen point's cosine is at most the lowest one
   returned, and the lexical lift is at most ``lexical_weight * (1 - cos)``). So the whole scope is
   searched, not just the top hits.
2. **Verify** each candidate clip sentence by sentence: a clip text mixes speech, on-screen text and
   picture notes, which dilutes its vector; a paraphrase ("gave the plants water" for "water the
   plants") is recognised on the sentence that says it. A sentence's score is
   ``combine(cos(query, sentence), lexical coverage, lexical_weight)``; a clip is an occurrence when
   its best sentence scores ``>= OCCURRENCE_SCORE``.
3. **Group** verified clips into distinct occurrences by their EVENT ancestor (clip -> scene ->
   event via ``parent_id``), by the scene when the event is longer than :data:`COARSE_EVENT_S`, by
   time gaps when clips have no parent yet; then groups of one source less than :data:`GAP_S`
   apart are one episode (one occurrence). One piece of evidence per occurrence: its best clip.

:data:`OCCURRENCE_SCORE` (0.52) is the F1-best threshold of the packaged MiniLM (all-MiniLM-L6-v2)
on a calibration table of 12 everyday activities x 2-3 paraphrases and 3 hard negatives each (same
object, other action; same action, other object) - ``tests/unit/test_retrieval_occurrences.py``
keeps that table and checks the threshold still separates it (precision 0.68, recall 0.84 at 0.52;
0.55 gives 0.69/0.80, 0.60 gives 0.71/0.60). Hard negatives are the worst case: unrelated footage
scores far lower (cosine < 0.35).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from api_schemas import Level
from memory_core.building.summarise import split_sentences
from memory_core.retrieval.beam import CLIP_KINDS, Steps
from memory_core.retrieval.context import ENTITY_BONUS, Query, Scored, SearchContext
from memory_core.retrieval.lexical import combine

OCCURRENCE_SCORE = 0.52  # best sentence of a clip at least this (combined): the clip is an occurrence
CANDIDATE_SCORE = 0.25  # clip-level score a clip needs to be verified sentence by sentence
MAX_SCAN = 2000  # most clip hits one scan gathers (then the count is a lower bound)
MAX_VERIFY = 400  # most candidate clips verified sentence by sentence (best first)
COARSE_EVENT_S = 3600.0  # events longer than this are too coarse to count by: use scenes
GAP_S = 300.0  # occurrences of one source closer than this (seconds) are one episode

_SPEECH = re.compile(r"(?:^|(?<=[\s.!?']))[^.!?:'\n]{1,80}? said: '")
_BOILERPLATE = re.compile(r"^(?:no speech|no audio|people visible:|\w+ scene, mostly|\w+ lit scene)", re.I)


@dataclass(slots=True)
class Occurrence:
    """One distinct occurrence: its grouping key and its verified clips (best first)."""

    key: str
    clips: list[Scored]

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


def _scan(ctx: SearchContext, query: Query, via: str) -> tuple[list[Scored], bool, int]:
    """Clip hits of the scope that may be occurrences, best first; ``(hits, saturated, limit)``."""
    s = ctx.settings
    flt = ctx.filter(levels=[Level.CLIP], kinds=CLIP_KINDS)
    limit = s.count_limit
    while True:
        hits = ctx.search(query, flt, limit, via=via)
        if len(hits) < limit:
            return hits, False, limit
        lowest = min(h.cosine for h in hits)
        reachable = combine(lowest, 1.0, s.lexical_weight) + ENTITY_BONUS >= CANDIDATE_SCORE
        if not reachable:
            return hits, False, limit
        if limit >= MAX_SCAN:
            return hits, True, limit
        limit = min(limit * 4, MAX_SCAN)


def _verify(ctx: SearchContext, query: Query, embedder, clips: list[Scored]) -> list[tuple[Scored, float, str]]:
    """``(clip, best sentence score, best sentence)`` for the clips that are occurrences."""
    units = {c.id: sentence_units(c.text) for c in clips}
    texts = list(dict.fromkeys(u for us in units.values() for u in us))
    if not texts:
        return []
    vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1)
    norms[norms == 0] = 1.0
    qv = np.asarray(query.vector, dtype=np.float32)
    cos = (vecs @ qv) / norms / max(float(np.linalg.norm(qv)), 1e-9)
    lex = query.scorer.score_texts(texts)
    score = {t: combine(float(c), float(lx), ctx.settings.lexical_weight) for t, c, lx in zip(texts, cos, lex)}
    out = []
    for c in clips:
        if not units[c.id]:
            continue
        best = max(units[c.id], key=lambda u: score[u])
        bonus = ENTITY_BONUS if query.entity_ids and query.entity_ids.intersection(c.entity_ids) else 0.0
        if score[best] + bonus >= OCCURRENCE_SCORE:
            out.append((replace(c, score=max(c.score, min(1.0, score[best] + bonus))), score[best], best))
    return out


def _group(repo, tenant: str, clips: Sequence[Scored]) -> list[Occurrence]:
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
    hits, saturated, limit = _scan(ctx, query, via)
    yield ctx.step("search", level=Level.CLIP, candidates=len(hits), best=hits[0].score if hits else None,
                   detail=f"{query.label}{via}: clips across the whole scope (limit {limit})"
                          + (" - limit reached, the count may be a lower bound" if saturated else ""))
    per_clip: dict[tuple, Scored] = {}
    for h in hits:
        if h.score < CANDIDATE_SCORE:
            continue
        key = (h.source, h.start, h.end)  # the episodic and the visual node of one clip
        if key not in per_clip or h.score > per_clip[key].score:
            per_clip[key] = h
    candidates = sorted(per_clip.values(), key=lambda c: -c.score)[:MAX_VERIFY]
    verified = _verify(ctx, query, embedder, candidates)
    top = max(verified, key=lambda v: v[1], default=None)
    best = top[1] if top else None
    yield ctx.step("verify", level=Level.CLIP, candidates=len(candidates), best=best,
                   detail=f"{query.label}{len(verified)} of {len(candidates)} candidate clips state it "
                          f"(best sentence >= {OCCURRENCE_SCORE})"
                          + (f"; best: {top[2][:60]!r}" if top else ""))
    occ = _group(repo, ctx.tenant, [v[0] for v in verified])
    yield ctx.step("group", level=Level.EVENT, candidates=len(verified), best=best,
                   detail=f"{query.label}{len(verified)} clips -> {len(occ)} distinct occurrences "
                          f"(by event; scene or {GAP_S:.0f} s gap where none; one episode per source and gap)")
    return occ, saturated
