"""Coarse-to-fine search with backtracking over the memory hierarchy (story > event > scene > clip).

The method follows VideoLucy (Zuo et al., 2025: hierarchical memory explored coarse to fine, going
back up when the evidence found below is not enough) and WorldMM (2025: episodic memory at several
time scales plus semantic memory, consulted by an agent over rounds), done over vector indexes so a
question costs a few filtered searches instead of an LLM loop:

1. :func:`locate` scores STORY and EVENT summaries, SEMANTIC facts and ENTITY summaries in the
   scope; named entities' appearance windows (:func:`entity_windows`) add candidates and lift
   summaries that overlap them. The best ``beam_width`` candidates form the beam.
2. :func:`descend` goes down from a candidate one level at a time, searching only its children
   (``parent_ids`` filter; the candidate's span when links are missing) and keeping the best
   :data:`DESCEND_WIDTH` as the next frontier, down to clips.
3. No evidence below (``SearchContext.is_evidence``: ``>= min_evidence_score`` and, under
   ``sufficient_score``, half the keywords): *backtrack* (drop the candidate, take the next one);
   ``>= sufficient_score``: stop, unless the next candidate of the beam scored higher from above
   than the evidence found (then *continue* with it: the best clip wins, not the first). A beam that ends without sufficient evidence ends in one scoped
   clip search (the flat search, but only over the question's scope and only when needed).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from api_schemas import Kind, Level, TraceStep
from memory_core.retrieval.context import ENTITY_BONUS, Query, Scored, SearchContext

DESCEND_WIDTH = 3  # children kept as the next frontier at each level
WINDOW_GAP_S = 300.0  # appearances closer than this form one entity window
MAX_WINDOWS = 16  # entity windows kept (most appearances first)
ENTITY_NODE_LIMIT = 4  # entity summary nodes scored per question
FINE_LEVELS = (Level.CLIP, Level.SCENE)
CLIP_KINDS = [Kind.EPISODIC, Kind.VISUAL]

Steps = Generator[TraceStep, None, object]


@dataclass(slots=True)
class Candidate:
    """A place to look: a memory node (``id``) or an entity window (``id`` None, ``level`` None)."""

    id: str | None
    level: Level | None
    kind: Kind
    source: str
    start: datetime
    end: datetime
    score: float
    text: str = ""
    via: str = ""
    evidence_ids: list[str] = field(default_factory=list)
    parent_id: str | None = None

    @classmethod
    def of(cls, s: Scored, evidence_ids: Sequence[str] = ()) -> "Candidate":
        """Candidate from a scored node."""
        return cls(s.id, s.level, s.kind, s.source, s.start, s.end, s.score, s.text, s.via, list(evidence_ids), s.parent_id)

    def describe(self) -> str:
        """Short description for the trace, e.g. ``event 1a2b3c4d 2026-11-16 08:00-08:20 (0.61)``."""
        what = f"{self.kind.value if self.kind is not Kind.EPISODIC else self.level.value} {self.id[:8]}" if self.id else "entity window"
        return f"{what} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} ({self.score:.2f})"

    def overlaps(self, source: str, start: datetime, end: datetime) -> bool:
        """True when the candidate's span meets ``[start, end]`` in ``source``."""
        return self.source == source and self.start <= end and start <= self.end


def entity_windows(
    repo, tenant: str, entity_ids: Sequence[str], start: datetime | None, end: datetime | None,
    sources: Sequence[str] | None,
) -> list[tuple[str, datetime, datetime, int]]:
    """Windows where the named entities were seen or heard: ``(source, start, end, appearances)``.

    Appearances (``Repository.appearances``, at most 2000 per entity) inside the scope are merged
    when closer than :data:`WINDOW_GAP_S`; the :data:`MAX_WINDOWS` windows with most appearances
    are kept.
    """
    spans: list[tuple[str, datetime, datetime]] = []
    for eid in dict.fromkeys(entity_ids):
        entity = repo.get_entity(tenant, eid)
        if entity is None or (sources is not None and entity.source not in sources):
            continue
        for a in repo.appearances(tenant, eid, limit=2000):
            if (start is None or a.end > start) and (end is None or a.start < end):
                spans.append((entity.source, a.start, a.end))
    spans.sort()
    windows: list[list] = []
    for source, s, e in spans:
        last = windows[-1] if windows else None
        if last and last[0] == source and s <= last[2] + timedelta(seconds=WINDOW_GAP_S):
            last[2] = max(last[2], e)
            last[3] += 1
        else:
            windows.append([source, s, e, 1])
    windows.sort(key=lambda w: -w[3])
    return [tuple(w) for w in windows[:MAX_WINDOWS]]


def _best(items: Sequence[Scored]) -> float | None:
    return max((s.score for s in items), default=None)


def descend(ctx: SearchContext, query: Query, cand: Candidate, explored: set[str]) -> Steps:
    """Search below ``cand`` level by level; yields ``descend`` steps, returns the hits found
    (scenes and clips, best first per level). Semantic candidates are scored through their
    evidence clips; entity windows and clips through the clips in their span."""
    limit = ctx.settings.per_level_limit
    label = query.label
    if cand.kind is Kind.SEMANTIC:
        if not cand.evidence_ids:
            return []
        # A routine's evidence spans many days: only the moments inside the question's scope count
        # ("yesterday" must not cite today's occurrence of the same routine).
        flt = ctx.filter(node_ids=cand.evidence_ids)
        hits = ctx.search(query, flt, len(cand.evidence_ids), via="semantic evidence")
        yield ctx.step("descend", level=Level.CLIP, kind=Kind.SEMANTIC, candidates=len(hits), best=_best(hits),
                       detail=f"{label}evidence of {cand.describe()}")
        return hits
    if cand.level is None or cand.level is Level.CLIP:
        flt = ctx.filter(levels=[Level.CLIP], kinds=CLIP_KINDS, sources=[cand.source], start=cand.start, end=cand.end)
        hits = ctx.search(query, flt, limit, via="window")
        yield ctx.step("descend", level=Level.CLIP, candidates=len(hits), best=_best(hits),
                       detail=f"{label}clips in {cand.describe()}")
        return hits
    found: list[Scored] = []
    frontier: list[Candidate | Scored] = [cand]
    level = cand.level
    explored.add(cand.id)
    while level.child is not None:
        child = level.child
        kinds = CLIP_KINDS if child is Level.CLIP else [Kind.EPISODIC]
        ids = [f.id for f in frontier]
        hits = ctx.search(query, ctx.filter(levels=[child], kinds=kinds, parent_ids=ids), limit, via=f"descend {child.value}")
        how = "children"
        if not hits:  # links not written (yet): the frontier's span in its source
            lo, hi = min(f.start for f in frontier), max(f.end for f in frontier)
            flt = ctx.filter(levels=[child], kinds=kinds, sources=[cand.source], start=lo, end=hi)
            hits = ctx.search(query, flt, limit, via=f"descend {child.value}")
            how = "span"
        yield ctx.step("descend", level=child, candidates=len(hits), best=_best(hits),
                       detail=f"{label}{how} of {level.value} {', '.join(i[:8] for i in ids)}")
        found.extend(hits)
        frontier = [h for h in hits if h.id not in explored][:DESCEND_WIDTH]
        if not frontier or ctx.exhausted():
            break
        explored.update(h.id for h in frontier)
        level = child
    return found


def coarse(ctx: SearchContext, query: Query, repo, windows, *, semantic: bool = True) -> Steps:
    """Score the coarse memories; yields ``search`` steps, returns ``(candidates, hits)``."""
    limit = ctx.settings.per_level_limit
    cands: list[Candidate] = []
    hits_all: list[Scored] = []
    for level in (Level.STORY, Level.EVENT):
        if ctx.exhausted():
            return cands, hits_all
        hits = ctx.search(query, ctx.filter(levels=[level], kinds=[Kind.EPISODIC]), limit, via=f"search {level.value}")
        yield ctx.step("search", level=level, kind=Kind.EPISODIC, candidates=len(hits), best=_best(hits),
                       detail=f"{query.label}{level.value} summaries in scope")
        cands += [Candidate.of(h) for h in hits]
        hits_all += hits
    if semantic and not ctx.exhausted():
        hits = ctx.search(query, ctx.filter(kinds=[Kind.SEMANTIC]), limit, via="search semantic")
        strong = [h for h in hits if h.score >= ctx.settings.min_evidence_score]
        nodes = {n.id: n for n in repo.get_nodes(ctx.tenant, [h.id for h in strong])} if strong else {}
        cands += [Candidate.of(h, nodes[h.id].evidence_ids) for h in strong if h.id in nodes and nodes[h.id].evidence_ids]
        hits_all += hits
        yield ctx.step("search", kind=Kind.SEMANTIC, candidates=len(hits), best=_best(hits),
                       detail=f"{query.label}semantic memory (states, routines, facts)")
        hits = ctx.search(query, ctx.filter(kinds=[Kind.ENTITY]), ENTITY_NODE_LIMIT, via="search entity")
        hits_all += hits
        yield ctx.step("search", kind=Kind.ENTITY, candidates=len(hits), best=_best(hits),
                       detail=f"{query.label}entity memory")
    floor = ctx.settings.min_evidence_score
    for source, start, end, n in windows:
        prior = max((c.score for c in cands if c.kind is Kind.EPISODIC and c.overlaps(source, start, end)), default=floor)
        cands.append(Candidate(None, None, Kind.EPISODIC, source, start, end, prior, via=f"entity window ({n} appearances)"))
    if windows:
        for c in cands:
            if c.id and c.kind is Kind.EPISODIC and any(c.overlaps(s, a, b) for s, a, b, _ in windows):
                c.score = min(1.0, c.score + ENTITY_BONUS)
    return cands, hits_all


def locate(ctx: SearchContext, query: Query, repo, windows=(), *, semantic: bool = True) -> Steps:
    """Coarse search, beam, descent with backtracking, fallback. Yields trace steps; returns every
    hit seen (``dict`` node id -> best :class:`Scored`)."""
    s = ctx.settings
    pool: dict[str, Scored] = {}

    def add(items: Sequence[Scored]) -> None:
        for it in items:
            if it.id not in pool or it.score > pool[it.id].score:
                pool[it.id] = it

    cands, hits = yield from coarse(ctx, query, repo, windows, semantic=semantic)
    add(hits)
    beam = _dedupe(sorted(cands, key=lambda c: -c.score))[: s.beam_width]
    if beam:
        yield ctx.step("beam", candidates=len(cands), best=beam[0].score,
                       detail=f"{query.label}" + "; ".join(c.describe() for c in beam))
    explored: set[str] = set()
    for i, cand in enumerate(beam):
        reason = ctx.exhausted()
        if reason:
            yield ctx.step("stop", detail=f"{query.label}budget spent ({reason})")
            break
        if cand.id is not None and cand.id in explored:
            continue
        found = yield from descend(ctx, query, cand, explored)
        add(found)
        fine = [h for h in found if h.level in FINE_LEVELS]
        best = _best([h for h in fine if ctx.is_evidence(h, query)])
        if best is None:
            best = _best(fine)
            rest = [c for c in beam[i + 1:] if c.id is None or c.id not in explored]
            nxt = rest[0].describe() if rest else "beam exhausted"
            yield ctx.step("backtrack", level=cand.level, candidates=len(found), best=best,
                           detail=f"{query.label}weak evidence under {cand.describe()} "
                                  f"(best {best if best is not None else 0:.2f}, not evidence); next: {nxt}")
            continue
        if best >= s.sufficient_score:
            # stop unless a candidate still in the beam looked better from above than what was
            # found here: then its clips may answer better (a near-tie at the coarse level)
            rest = [c for c in beam[i + 1:] if c.id is None or c.id not in explored]
            if rest and rest[0].score > best:
                yield ctx.step("continue", best=best, detail=f"{query.label}evidence {best:.2f} under {cand.describe()}; "
                                                             f"next candidate scores higher: {rest[0].describe()}")
                continue
            yield ctx.step("stop", best=best, detail=f"{query.label}sufficient evidence under {cand.describe()} "
                                                     f"({best:.2f} >= {s.sufficient_score})")
            break
    fine_best = _best([h for h in pool.values() if h.level in FINE_LEVELS and ctx.is_evidence(h, query)])
    if fine_best is None or fine_best < s.sufficient_score:
        reason = ctx.exhausted()
        if reason:
            if ctx.trace[-1].action != "stop":
                yield ctx.step("stop", detail=f"{query.label}budget spent ({reason}): no fallback")
        else:
            flt = ctx.filter(levels=[Level.CLIP], kinds=CLIP_KINDS)
            hits = ctx.search(query, flt, 2 * s.per_level_limit, via="fallback")
            add(hits)
            got = "no evidence" if fine_best is None else f"evidence {fine_best:.2f} < {s.sufficient_score}"
            yield ctx.step("fallback", level=Level.CLIP, candidates=len(hits), best=_best(hits),
                           detail=f"{query.label}beam gave {got}: scoped clip search")
    return pool


def _dedupe(ranked: list[Candidate]) -> list[Candidate]:
    """Drop a story whose child event is a candidate scoring at least as well (descending the
    event directly is the same search one level shorter); keeps order."""
    by_id = {c.id: c for c in ranked if c.id}
    redundant = set()
    for c in ranked:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        if parent is not None and parent.level is Level.STORY and c.score >= parent.score - 1e-6:
            redundant.add(parent.id)
    return [c for c in ranked if c.id not in redundant]
