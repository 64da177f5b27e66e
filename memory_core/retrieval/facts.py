"""Counting recurring events and reading the current state.

- :func:`count_occurrences`: strong clip hits across the scope grouped into distinct occurrences
  by their EVENT ancestor (clip -> scene -> event via ``parent_id``); by the scene when the event is
  longer than :data:`COARSE_EVENT_S`, by time gaps (:data:`GAP_S`) when clips have no parent yet.
- :func:`current_state`: the semantic ``state`` facts on the question's subject, valid at the
  reference moment (``valid_from <= as_of`` and not ended before it), latest ``valid_from`` wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from api_schemas import Kind, Level
from memory_core.retrieval.beam import CLIP_KINDS, Steps
from memory_core.retrieval.context import ENTITY_BONUS, Query, Scored, SearchContext
from memory_core.retrieval.lexical import combine
from memory_core.timeutil import ensure_aware, from_epoch, parse_iso

COUNT_RELATIVE = 0.8  # a counted clip scores at least this share of the best clip's score
COUNT_MIN_LEXICAL = 0.5  # ... and covers at least half of the keywords (when there are keywords)
COARSE_EVENT_S = 3600.0  # events longer than this are too coarse to count by: use scenes
GAP_S = 300.0  # parentless clips further apart than this are different occurrences
SUBJECT_MARGIN = 0.08  # facts within this of the best score are on the same subject (no subject given)


@dataclass(slots=True)
class Occurrence:
    """One distinct occurrence: its grouping key and its clips (best first)."""

    key: str
    clips: list[Scored]

    @property
    def best(self) -> Scored:
        """The best-scored clip of the occurrence."""
        return self.clips[0]

    @property
    def start(self) -> datetime:
        """Start of the earliest clip."""
        return min(c.start for c in self.clips)


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
    loose: list[Scored] = []
    for c in clips:
        scene = scenes.get(c.parent_id) if c.parent_id else None
        event = events.get(scene.parent_id) if scene is not None and scene.parent_id else None
        if event is not None and event.duration_s <= COARSE_EVENT_S:
            key = f"event:{event.id}"
        elif c.parent_id:
            key = f"scene:{c.parent_id}"
        else:
            loose.append(c)
            continue
        groups.setdefault(key, []).append(c)
    loose.sort(key=lambda c: (c.source, c.start))
    run: list[Scored] = []
    for c in loose:
        if run and (c.source != run[-1].source or (c.start - run[-1].end).total_seconds() > GAP_S):
            groups[f"time:{run[0].id}"] = run
            run = []
        run.append(c)
    if run:
        groups[f"time:{run[0].id}"] = run
    occ = [Occurrence(k, sorted(v, key=lambda c: -c.score)) for k, v in groups.items()]
    return sorted(occ, key=lambda o: o.start)


def count_occurrences(ctx: SearchContext, query: Query, repo) -> Steps:
    """Yields trace steps; returns ``(occurrences, saturated)``: the distinct occurrences (time
    order) of what ``query`` describes, and whether the hit limit was reached (then the count is a
    lower bound).

    Gathers up to ``settings.count_limit`` clip hits in the scope, keeps the strong ones (combined
    score ``>= max(min_evidence_score, COUNT_RELATIVE * best)`` and lexical coverage
    ``>= COUNT_MIN_LEXICAL`` when the query has keywords), collapses the episodic and visual node of
    the same clip, and groups them (see the module docstring).
    """
    s = ctx.settings
    flt = ctx.filter(levels=[Level.CLIP], kinds=CLIP_KINDS)
    hits = ctx.search(query, flt, s.count_limit, via="count")
    saturated = len(hits) >= s.count_limit
    yield ctx.step("search", level=Level.CLIP, candidates=len(hits), best=hits[0].score if hits else None,
                   detail=f"count: clips across the scope (limit {s.count_limit})"
                          + (" - limit reached, the count may be a lower bound" if saturated else ""))
    if not hits:
        return [], False
    floor = max(s.min_evidence_score, COUNT_RELATIVE * hits[0].score)
    # unseen points have a cosine <= the lowest returned: could any of them still be strong?
    lowest = min(h.cosine for h in hits)
    saturated = saturated and combine(lowest, 1.0, s.lexical_weight) + ENTITY_BONUS >= floor
    strong: dict[tuple, Scored] = {}
    for h in hits:
        if h.score < floor or (not query.scorer.empty and h.lexical < COUNT_MIN_LEXICAL):
            continue
        key = (h.source, h.start, h.end)  # the episodic and the visual node of one clip
        if key not in strong or h.score > strong[key].score:
            strong[key] = h
    occ = _group(repo, ctx.tenant, list(strong.values()))
    yield ctx.step("group", level=Level.EVENT, candidates=len(strong), best=hits[0].score,
                   detail=f"{len(strong)} strong clips (>= {floor:.2f}) -> {len(occ)} distinct occurrences "
                          "(by event ancestor; scene or time gap where no event)")
    return occ, saturated


# --------------------------------------------------------------------------- state
def _as_time(value, default: datetime | None) -> datetime | None:
    if value is None or value == "":
        return default
    if isinstance(value, datetime):
        return ensure_aware(value)
    if isinstance(value, (int, float)):
        return from_epoch(float(value))
    try:
        return parse_iso(str(value))
    except ValueError:
        return default


def _norm(text) -> str:
    return " ".join(str(text or "").lower().split())


@dataclass(slots=True)
class StateResult:
    """The chosen fact (scored), its node, since when it holds, its evidence clips (latest first)
    and the other facts on the subject (older states, best first)."""

    fact: Scored
    node: object
    since: datetime
    evidence: list[Scored] = field(default_factory=list)
    others: list[Scored] = field(default_factory=list)


def current_state(ctx: SearchContext, query: Query, repo, as_of: datetime) -> Steps:
    """Yields trace steps; returns a :class:`StateResult` or ``None`` when semantic memory holds no
    relevant fact (score >= ``min_evidence_score``) valid at ``as_of``."""
    s = ctx.settings
    hits = ctx.search(query, ctx.filter(kinds=[Kind.SEMANTIC], end=as_of), s.per_level_limit, via="state")
    relevant = [h for h in hits if ctx.is_evidence(h, query)]
    yield ctx.step("search", kind=Kind.SEMANTIC, candidates=len(hits), best=hits[0].score if hits else None,
                   detail=f"current state: semantic facts up to {as_of.isoformat()}")
    if not relevant:
        return None
    nodes = {n.id: n for n in repo.get_nodes(ctx.tenant, [h.id for h in relevant])}
    facts = [(h, nodes[h.id]) for h in relevant if h.id in nodes]
    if not facts:
        return None
    top_h, top_n = facts[0]
    subject = _norm(top_n.attributes.get("subject"))
    group = [f for f in facts if subject and _norm(f[1].attributes.get("subject")) == subject]
    if not group:
        group = [f for f in facts if f[0].score >= top_h.score - SUBJECT_MARGIN]
    states = [f for f in group if f[1].attributes.get("fact_type") == "state"] or group

    def valid_from(f) -> datetime:
        return _as_time(f[1].attributes.get("valid_from"), f[1].start)

    def valid_at(f) -> bool:
        a = f[1].attributes
        end = _as_time(a.get("valid_to"), None)
        if valid_from(f) > as_of:
            return False
        if end is not None:
            return end > as_of
        return not a.get("superseded_by")

    valid = [f for f in states if valid_at(f)]
    if not valid:
        yield ctx.step("state", detail=f"no fact on '{subject or top_n.text[:40]}' valid at {as_of.isoformat()}")
        return None
    chosen_h, chosen_n = max(valid, key=valid_from)
    since = valid_from((chosen_h, chosen_n))
    evidence: list[Scored] = []
    if chosen_n.evidence_ids:
        flt = ctx.filter(node_ids=list(chosen_n.evidence_ids), scoped=False)
        evidence = ctx.search(query, flt, len(chosen_n.evidence_ids), via="state evidence")
        evidence = [e for e in evidence if e.start <= as_of] or evidence
        evidence.sort(key=lambda e: e.start, reverse=True)
    others = [f[0] for f in group if f[0].id != chosen_h.id]
    value = chosen_n.attributes.get("value")
    yield ctx.step("state", kind=Kind.SEMANTIC, candidates=len(group), best=chosen_h.score,
                   detail=f"latest of {len(group)} facts on '{subject or '?'}': {value or chosen_n.text[:60]!s} "
                          f"since {since.isoformat()} ({len(evidence)} evidence clips)")
    return StateResult(chosen_h, chosen_n, since, evidence, others)
