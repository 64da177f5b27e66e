"""Choosing and ordering evidence for an answer: which hit is the primary evidence, the order of
the evidence list, and the public :class:`~api_schemas.Evidence` of a scored memory.

Used by :class:`memory_core.retrieval.agent.RetrievalAgent` after a search path (beam, states,
occurrences) has gathered its pool of scored memories (:class:`~memory_core.retrieval.context.Scored`).
"""

from __future__ import annotations

from collections.abc import Callable

from api_schemas import Evidence, Kind, Level
from memory_core.retrieval.beam import FINE_LEVELS
from memory_core.retrieval.context import Query, Scored, SearchContext
from memory_core.retrieval.occurrences import Occurrence

__all__ = ["CLIP_PREFERENCE", "ORDINAL_RELATIVE", "entity_names", "evidence_of", "inside_scope", "judge",
           "ordered", "pick"]

ORDINAL_RELATIVE = 0.85  # "first/last" and "most recent" pick among evidence within this share of the best
CLIP_PREFERENCE = 0.05  # a clip within this of the best scene is preferred (its time is precise)

def entity_names(entities: list) -> dict[str, list[str]]:
    """Display name or label -> ids of the entities carrying it (and the entities linked to them)."""
    names: dict[str, list[str]] = {}
    for e in entities:
        for n in {e.name, e.label} - {None, ""}:
            ids = names.setdefault(n, [])
            ids.extend(i for i in [e.id, *e.linked_ids] if i not in ids)
    return names


def judge(ctx: SearchContext, query: Query) -> Callable[[Scored], bool]:
    return lambda item: ctx.is_evidence(item, query)


def pick(pool: dict[str, Scored], ordinal: str | None, ok: Callable[[Scored], bool],
          occurrences: list[Occurrence] | None = None) -> Scored | None:
    """The primary evidence.

    For ``ordinal`` "first"/"last" with ``occurrences`` (from ``find_occurrences`` over the whole
    scope, time order): the best clip of the earliest/latest occurrence among those scoring at
    least :data:`ORDINAL_RELATIVE` of the best occurrence (a weak, doubtful match does not become
    "the first"). Otherwise among the hits that are evidence (``ok``): the best clip/scene (a clip
    when within :data:`CLIP_PREFERENCE` of the best), the earliest/latest near-best one for
    ``ordinal``; else the best coarse memory; ``None`` when nothing is evidence."""
    if ordinal in ("first", "last") and occurrences:
        top = max(o.best.score for o in occurrences)
        near = [o for o in occurrences if o.best.score >= ORDINAL_RELATIVE * top]
        return (min if ordinal == "first" else max)(near, key=lambda o: o.start).best
    fine = [s for s in pool.values() if s.level in FINE_LEVELS and s.kind in (Kind.EPISODIC, Kind.VISUAL) and ok(s)]
    if fine:
        best = max(s.score for s in fine)
        if ordinal in ("first", "last"):
            near = [s for s in fine if s.score >= ORDINAL_RELATIVE * best]
            return (min if ordinal == "first" else max)(near, key=lambda s: s.start)
        clips = [s for s in fine if s.level is Level.CLIP]
        top_clip = max(clips, key=lambda s: s.score, default=None)
        if top_clip is not None and top_clip.score >= best - CLIP_PREFERENCE:
            return top_clip
        return max(fine, key=lambda s: s.score)
    rest = [s for s in pool.values() if ok(s)]
    return max(rest, key=lambda s: s.score, default=None)


def ordered(pool: dict[str, Scored], primary: Scored | None, top_k: int, ok: Callable[[Scored], bool]) -> list[Scored]:
    """Evidence list, ``primary`` first, one node per span (episodic over visual).

    With a primary: the other clips/scenes that are evidence (``ok``), then the events/stories that
    contain one of them (context), then semantic/entity memories that are evidence; summaries whose clips
    did not hold up (backtracked decoys) are left out. Without: the best weak hits of any kind.
    """
    ranked = sorted(pool.values(), key=lambda s: -s.score)
    if primary is not None:
        fine = [s for s in ranked if s.level in FINE_LEVELS and ok(s) and s.id != primary.id]
        support = [primary, *fine]
        context = [
            s for s in ranked
            if s.level in (Level.EVENT, Level.STORY) and s.kind is Kind.EPISODIC
            and any(f.source == s.source and s.start <= f.start and f.end <= s.end for f in support)
        ]
        other = [s for s in ranked if s.kind in (Kind.SEMANTIC, Kind.ENTITY) and ok(s)]
        ranked = [primary, *fine, *context, *other]
    out, seen = [], set()
    for s in ranked:
        key = (s.source, s.level, s.start, s.end)
        if key in seen or s.id in {o.id for o in out}:
            continue
        seen.add(key)
        out.append(s)
        if len(out) >= top_k:
            break
    return out


def inside_scope(item: Scored, ctx: SearchContext) -> bool:
    """Whether ``item`` may stand as evidence for a time-scoped question. Clips and scenes already
    overlap the scope (the search filter); semantic and entity memories summarise long spans
    (a routine over a week, a person's whole timeline), so they count only when they begin inside
    the scope: "what did I do yesterday" must not cite a routine or a person that began last week."""
    if ctx.start is None or item.kind in (Kind.EPISODIC, Kind.VISUAL):
        return True
    return item.start >= ctx.start


def evidence_of(item: Scored, node) -> Evidence:
    return Evidence(
        source=item.source, start=item.start, end=item.end,
        media_path=node.media_path if node is not None else None,
        media_start_s=item.payload.get("media_start_s"), media_end_s=item.payload.get("media_end_s"),
        level=item.level, kind=item.kind, text=node.text if node is not None else item.text,
        score=round(item.score, 4), node_id=item.id,
    )
