"""Reading semantic memory: the state at a moment, and plans (scheduled times).

- :func:`current_state`: the semantic ``state`` facts on the question's subject, valid at the
  reference moment ``as_of`` (``valid_from <= as_of`` and not ended before it), latest
  ``valid_from`` wins. ``as_of`` is now for "is the door open?", and the end of the question's
  time scope for a state in the past ("where was the bike on Thursday?" -> the latest state before
  Friday 00:00). Facts are searched over all time up to ``as_of`` (a state set on Monday still
  holds on Thursday), not only inside the scope. Plans are never states.
- :func:`find_plan`: the plan (``fact_type`` "plan", made by ``building/plans.py``) on the
  question's subject that was the latest said at ``as_of``: "the meeting moved to Thursday", said
  on Monday, is a plan for Thursday, kept with both times (``valid_from`` = when it was said,
  ``target_start``/``target_end`` = the planned time).

Counting and first/last live in :mod:`memory_core.retrieval.occurrences`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from api_schemas import Kind
from memory_core.retrieval.beam import Steps
from memory_core.retrieval.context import Query, Scored, SearchContext
from memory_core.timeutil import ensure_aware, from_epoch, parse_iso

SUBJECT_MARGIN = 0.08  # facts within this of the best score are on the same subject (no subject given)
PLAN = "plan"  # fact_type of plan nodes


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
    relevant fact (:meth:`SearchContext.is_evidence`) valid at ``as_of`` (aware).

    Searches the semantic memories of the question's sources from the beginning of memory to
    ``as_of`` (the time scope's start does not apply: a state set earlier may still hold); plan
    nodes are left out (a plan is not a state). Store errors propagate."""
    s = ctx.settings
    flt = ctx.filter(kinds=[Kind.SEMANTIC], end=as_of, scoped=False)
    hits = ctx.search(query, flt, 2 * s.per_level_limit, via="state")
    relevant = [h for h in hits if ctx.is_evidence(h, query)]
    yield ctx.step("search", kind=Kind.SEMANTIC, candidates=len(hits), best=hits[0].score if hits else None,
                   detail=f"state: semantic facts up to {as_of.isoformat()}")
    if not relevant:
        return None
    nodes = {n.id: n for n in repo.get_nodes(ctx.tenant, [h.id for h in relevant])}
    facts = [(h, nodes[h.id]) for h in relevant if h.id in nodes and nodes[h.id].attributes.get("fact_type") != PLAN]
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


# --------------------------------------------------------------------------- plans
@dataclass(slots=True)
class PlanResult:
    """The plan in force: its hit, node, when it was said (``said``), the planned time
    ``[target_start, target_end)`` (aware UTC), its evidence clips (latest first) and older plans
    on the same subject (e.g. the time it was moved from)."""

    fact: Scored
    node: object
    said: datetime
    target_start: datetime
    target_end: datetime
    evidence: list[Scored] = field(default_factory=list)
    others: list[Scored] = field(default_factory=list)


def find_plan(ctx: SearchContext, query: Query, repo, as_of: datetime, target=None) -> Steps:
    """Yields trace steps; returns a :class:`PlanResult` or ``None``.

    Looks for plan nodes relevant to ``query`` (:meth:`SearchContext.is_evidence`) said up to
    ``as_of`` in the question's sources; among those on the best plan's subject, the one said last
    before ``as_of`` is in force (a later "moved to Friday" supersedes "moved to Thursday"). The
    question's time scope does not apply to when a plan was said. ``target`` (anything with aware
    ``start``/``end``, ``None`` = open, e.g. the parser's ``plan_for`` :class:`TimeScope`) keeps only
    plans whose planned window overlaps it ("what is planned for Thursday?"). Store errors propagate."""
    s = ctx.settings
    flt = ctx.filter(kinds=[Kind.SEMANTIC], end=as_of, scoped=False)
    hits = ctx.search(query, flt, 2 * s.per_level_limit, via="plan")
    relevant = [h for h in hits if ctx.is_evidence(h, query)]
    nodes = {n.id: n for n in repo.get_nodes(ctx.tenant, [h.id for h in relevant])} if relevant else {}
    plans = [(h, nodes[h.id]) for h in relevant if h.id in nodes and nodes[h.id].attributes.get("fact_type") == PLAN]
    if target is not None:
        plans = [p for p in plans if _overlaps(p[1], target)]
    yield ctx.step("search", kind=Kind.SEMANTIC, candidates=len(hits), best=plans[0][0].score if plans else None,
                   detail=f"plan: {len(plans)} relevant plans said up to {as_of.isoformat()}")
    if not plans:
        return None
    subject = _norm(plans[0][1].attributes.get("subject"))
    group = [p for p in plans if _norm(p[1].attributes.get("subject")) == subject]

    def said(p) -> datetime:
        return _as_time(p[1].attributes.get("valid_from"), p[1].start)

    said_before = [p for p in group if said(p) <= as_of]
    if not said_before:
        return None
    h, n = max(said_before, key=said)
    a = n.attributes
    t0 = _as_time(a.get("target_start"), None)
    t1 = _as_time(a.get("target_end"), None)
    if t0 is None or t1 is None:
        return None
    evidence: list[Scored] = []
    if n.evidence_ids:
        ev_flt = ctx.filter(node_ids=list(n.evidence_ids), scoped=False)
        evidence = [e for e in ctx.search(query, ev_flt, len(n.evidence_ids), via="plan evidence") if e.start <= as_of]
        evidence.sort(key=lambda e: e.start, reverse=True)
    others = [p[0] for p in group if p[0].id != h.id]
    yield ctx.step("plan", kind=Kind.SEMANTIC, candidates=len(group), best=h.score,
                   detail=f"plan on '{subject}' said {said((h, n)).isoformat()}: {a.get('target_text') or ''} "
                          f"-> {t0.isoformat()} .. {t1.isoformat()}")
    return PlanResult(h, n, said((h, n)), t0, t1, evidence, others)


def _overlaps(node, target) -> bool:
    a = node.attributes
    t0, t1 = _as_time(a.get("target_start"), None), _as_time(a.get("target_end"), None)
    if t0 is None or t1 is None:
        return False
    lo, hi = getattr(target, "start", None), getattr(target, "end", None)
    return (hi is None or t0 < hi) and (lo is None or t1 > lo)


def describe_plan(result: PlanResult, tz: tzinfo, lead: str = "when") -> str:
    """Short answer for a plan, then when it was said, e.g. ``Thursday 19 November 2026 (planned;
    said Mon 16 Nov 2026 10:00 UTC: "The meeting moved to Thursday.")``; with ``lead="what"`` the
    subject first: ``the meeting, planned for Thursday 19 November 2026 (said ...)``. A planned
    time with a clock time (window under a day) shows it."""
    start = result.target_start.astimezone(tz)
    whole_day = (result.target_end - result.target_start).total_seconds() >= 86400 - 1
    when = f"{start:%A} {start.day} {start:%B %Y}" + ("" if whole_day else f" at {start:%H:%M} {start:%Z}".rstrip())
    said = result.said.astimezone(tz)
    quote = str(result.node.attributes.get("quote") or "").strip()
    if lead == "what":
        subject = str(result.node.attributes.get("subject_text") or result.node.attributes.get("subject") or "")
        the = "the " if subject[:1].islower() else ""
        return (f"{the}{subject}, planned for {when} (said {said:%a} {said.day} {said:%b %Y %H:%M} {said:%Z}".rstrip()
                + (f': "{quote}")' if quote else ")"))
    return f"{when} (planned; said {said:%a} {said.day} {said:%b %Y %H:%M} {said:%Z}".rstrip() + (f': "{quote}")' if quote else ")")
