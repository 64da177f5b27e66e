"""Flat search: one nearest-neighbour search over every clip node, the baseline the agent beats.

This is what a flat segment index (Twelve Labs-, VideoDB-style) does: embed the question, rank all
clips, return the top ones. It has no hierarchy, no time-expression parsing (unless asked), no
counting, no 'not enough evidence' beyond "no hit at all".
"""

from __future__ import annotations

import time
from datetime import datetime

from api_schemas import Answer, Evidence, Kind, Level, Question, TraceStep
from memory_core.providers.base import TextEmbedder
from memory_core.retrieval.answer import NOT_ENOUGH
from memory_core.retrieval.timeparse import parse_time_scope
from memory_core.stores.base import VectorFilter, VectorStore
from memory_core.timeutil import ensure_aware, from_epoch, utcnow


def flat_search(
    vectors: VectorStore,
    embedder: TextEmbedder,
    question: Question,
    tenant: str,
    limit: int = 10,
    *,
    use_time_scope: bool = False,
) -> Answer:
    """Search all CLIP nodes (episodic and visual) of ``tenant`` for ``question.text``.

    The filter holds the tenant, ``question.sources`` and ``question.start``/``end`` (and, with
    ``use_time_scope``, the scope parsed from the question's time expressions).

    ``Answer.scored_candidates`` is ``vectors.count(filter)``: the number of clip points in scope.
    An exact flat search scores every one of them; a qdrant HNSW search visits fewer points, but
    its graph covers all of them, so the count is the honest size of what a flat search considers
    (the agent reports its own searches the same way, so the two figures compare).

    Returns:
        An :class:`Answer` whose ``answer`` is the top clip's text (or 'not enough evidence' when
        there is no hit), ``evidence`` the top ``limit`` clips with cosine scores (no
        ``media_path``: the vector payload carries only ``media_file_id``), a one-step trace.
    """
    t0 = time.perf_counter()
    start = ensure_aware(question.start) if question.start else None
    end = ensure_aware(question.end) if question.end else None
    if use_time_scope:
        scope = parse_time_scope(question.text, ensure_aware(question.now) if question.now else utcnow())
        if scope is not None:
            start = max(filter(None, (start, scope.start)), default=None)
            end = min(filter(None, (end, scope.end)), default=None)
    flt = VectorFilter(tenant=tenant, sources=question.sources, levels=[Level.CLIP],
                       kinds=[Kind.EPISODIC, Kind.VISUAL], start=start, end=end)
    vector = embedder.embed_query(question.text)
    hits = vectors.search(vector, flt, limit=limit)
    scored = vectors.count(flt)
    evidence = [
        Evidence(
            source=str(h.payload.get("source", "")),
            start=_time(h.payload.get("start")), end=_time(h.payload.get("end")),
            media_start_s=h.payload.get("media_start_s"), media_end_s=h.payload.get("media_end_s"),
            level=Level(h.payload.get("level", "clip")), kind=Kind(h.payload.get("kind", "episodic")),
            text=str(h.payload.get("text", "")), score=round(float(h.score), 4), node_id=h.id,
        )
        for h in hits
    ]
    elapsed = (time.perf_counter() - t0) * 1000.0
    step = TraceStep(step=1, action="search", level=Level.CLIP, candidates=scored,
                     best_score=evidence[0].score if evidence else None, elapsed_ms=round(elapsed, 2),
                     detail=f"flat search over {scored} clip points")
    return Answer(
        question=question.text, answer=evidence[0].text if evidence else NOT_ENOUGH, sufficient=bool(evidence),
        evidence=evidence, trace=[step], elapsed_ms=round(elapsed, 2), scored_candidates=scored,
    )


def _time(value) -> datetime:
    return from_epoch(float(value or 0.0))
