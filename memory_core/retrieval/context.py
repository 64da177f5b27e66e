"""Per-question search context: scoped filters, scored searches, the trace and the budgets.

Every vector search of the agent goes through :meth:`SearchContext.search`, which (1) puts the
tenant, sources and time scope in the filter, (2) re-ranks hits by the combined cosine + lexical
score, and (3) adds the number of points the search had to consider (``VectorStore.count`` of its
filter: an exact filtered search scores all of them; HNSW scores at most that many) to
``scored_candidates`` - the figure the benchmark compares with flat search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from api_schemas import Kind, Level, TraceStep
from memory_core.retrieval.lexical import LexicalScorer, combine, stem, tokenize
from memory_core.settings import RetrievalSettings
from memory_core.stores.base import VectorFilter, VectorStore
from memory_core.timeutil import from_epoch

ENTITY_BONUS = 0.05  # added to a hit whose entity_ids include an entity named in the question
MID_ZONE_MIN_LEXICAL = 0.5  # keyword coverage a hit between min_evidence and sufficient needs
TEXT_ENTITY_PREFIX = "On-screen text '"  # how building.entity_text.entity_text opens a TEXT entity's memory
_EDGE = timedelta(milliseconds=1)  # store filters overlap closed intervals; scopes are [start, end)


@dataclass(slots=True)
class Query:
    """One thing to look for: its text, query vector ``(dim,)`` float32 (L2-normalised), lexical
    scorer and the entities named in it."""

    text: str
    vector: np.ndarray
    scorer: LexicalScorer
    entity_ids: frozenset[str] = frozenset()
    label: str = ""  # prefix of trace details ("A: ", "B: " for order questions)


@dataclass(slots=True)
class Scored:
    """A vector hit with its scores: ``cosine`` from the store, ``lexical`` in [0, 1], ``score``
    the combined score on the cosine scale. Times are aware UTC datetimes."""

    id: str
    level: Level
    kind: Kind
    source: str
    start: datetime
    end: datetime
    text: str
    cosine: float
    lexical: float
    score: float
    parent_id: str | None = None
    entity_ids: list[str] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    via: str = ""

    @classmethod
    def from_payload(cls, node_id: str, cosine: float, payload: dict, via: str = "") -> "Scored":
        """Build from a vector hit (payload of :meth:`MemoryNode.payload`); scores set to ``cosine``."""
        return cls(
            id=node_id,
            level=Level(payload.get("level", "clip")),
            kind=Kind(payload.get("kind", "episodic")),
            source=str(payload.get("source", "")),
            start=from_epoch(float(payload.get("start", 0.0))),
            end=from_epoch(float(payload.get("end", payload.get("start", 0.0)))),
            text=str(payload.get("text", "")),
            cosine=float(cosine),
            lexical=0.0,
            score=float(cosine),
            parent_id=payload.get("parent_id"),
            entity_ids=list(payload.get("entity_ids") or []),
            payload=payload,
            via=via,
        )


def entity_covers(text: str, query: Query) -> bool:
    """Whether an entity memory's ``text`` holds every keyword of ``query`` (stemmed, as the
    lexical scorer stems them); True for a query without keywords and for the memory of an
    on-screen text (:data:`TEXT_ENTITY_PREFIX`)."""
    if text.startswith(TEXT_ENTITY_PREFIX):
        return True  # an on-screen text's memory holds the text itself
    words = {stem(t) for t in tokenize(text)}
    return all(t in words for t in query.scorer.terms)


class SearchContext:
    """State of one question: tenant, scope, budgets, trace and the scored-candidate count.

    Args:
        vectors: the vector store.
        settings: retrieval knobs (weights, thresholds, limits).
        tenant: the caller's tenant (from the credential), put in every filter.
        sources: sources to search, ``None`` = all of the tenant's.
        start, end: the time scope ``[start, end)`` (aware; ``None`` = open).
        max_steps: trace steps allowed before the agent must answer.
        time_budget_s: seconds allowed before the agent must answer.
        started: ``time.perf_counter()`` when the question arrived (default: now), so the budget
            also covers the work before the search (entities, parsing the question).
    """

    def __init__(
        self,
        vectors: VectorStore,
        settings: RetrievalSettings,
        tenant: str,
        sources: list[str] | None,
        start: datetime | None,
        end: datetime | None,
        max_steps: int,
        time_budget_s: float,
        started: float | None = None,
    ) -> None:
        self.vectors = vectors
        self.settings = settings
        self.tenant = tenant
        self.sources = sources
        self.start = start
        self.end = end
        self.max_steps = max_steps
        self.time_budget_s = time_budget_s
        self.t0 = time.perf_counter() if started is None else started
        self.trace: list[TraceStep] = []
        self.scored_candidates = 0
        self.searches = 0

    # ------------------------------------------------------------------ budget and trace
    def elapsed_ms(self) -> float:
        """Milliseconds since the question started."""
        return (time.perf_counter() - self.t0) * 1000.0

    def exhausted(self) -> str | None:
        """``"max_steps"`` or ``"time_budget"`` when a budget is spent, else ``None``."""
        if len(self.trace) >= self.max_steps:
            return "max_steps"
        if self.elapsed_ms() >= self.time_budget_s * 1000.0:
            return "time_budget"
        return None

    def step(
        self,
        action: str,
        *,
        level: Level | None = None,
        kind: Kind | None = None,
        detail: str = "",
        candidates: int = 0,
        best: float | None = None,
    ) -> TraceStep:
        """Record a trace step (``elapsed_ms`` = since the question started) and return it."""
        s = TraceStep(
            step=len(self.trace) + 1, action=action, level=level, kind=kind, detail=detail,
            candidates=candidates, best_score=None if best is None else round(float(best), 4),
            elapsed_ms=round(self.elapsed_ms(), 2),
        )
        self.trace.append(s)
        return s

    # ------------------------------------------------------------------ filters and search
    def filter(
        self,
        *,
        levels: list[Level] | None = None,
        kinds: list[Kind] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        sources: list[str] | None = None,
        parent_ids: list[str] | None = None,
        node_ids: list[str] | None = None,
        entity_ids: list[str] | None = None,
        scoped: bool = True,
    ) -> VectorFilter:
        """A filter with the tenant, the question's sources (narrowed by ``sources``) and, when
        ``scoped``, the question's time scope intersected with ``[start, end)``."""
        lo, hi = start, end
        if scoped:
            lo = max((t for t in (self.start, start) if t is not None), default=None)
            hi = min((t for t in (self.end, end) if t is not None), default=None)
        if sources is not None and self.sources is not None:
            sources = [s for s in sources if s in self.sources]
        elif sources is None:
            sources = self.sources
        return VectorFilter(
            tenant=self.tenant,
            sources=sources,
            levels=levels,
            kinds=kinds,
            start=lo + _EDGE if lo is not None else None,
            end=hi - _EDGE if hi is not None else None,
            parent_ids=parent_ids,
            node_ids=node_ids,
            entity_ids=entity_ids,
        )

    def empty_scope(self) -> bool:
        """True when the scope cannot contain anything (``start >= end``)."""
        return self.start is not None and self.end is not None and self.start >= self.end

    def is_evidence(self, item: Scored, query: Query) -> bool:
        """Whether a hit counts as evidence for ``query``: a score ``>= sufficient_score``, or
        ``>= min_evidence_score`` with lexical corroboration (keyword coverage
        ``>= MID_ZONE_MIN_LEXICAL``) when the query has two or more keywords. A loose semantic
        neighbour ("eating lunch" for "what did the astronaut eat on the moon") is not evidence.

        A person's entity memory (``Kind.ENTITY``: a timeline, "Hannah (name): mentioned in 5 clips
        between ..."; on-screen text entities are left alone, their text is the sign) is evidence
        only when its text holds every keyword of the query (:func:`entity_covers`): it can say who
        someone is and when they appeared, not what their car or phone number is, however well the
        name alone matches."""
        s = self.settings
        if item.kind is Kind.ENTITY and not entity_covers(item.text, query):
            return False
        if item.score >= s.sufficient_score:
            return True
        if item.score < s.min_evidence_score:
            return False
        return len(query.scorer.terms) < 2 or item.lexical >= MID_ZONE_MIN_LEXICAL

    def search(self, query: Query, flt: VectorFilter, limit: int, via: str = "") -> list[Scored]:
        """Search ``flt`` for ``query``; hits re-ranked by combined score, best first.

        ``combined = cos + w * lex * (1 - cos)`` (:func:`lexical.combine`, ``w`` =
        ``settings.lexical_weight``) plus :data:`ENTITY_BONUS` when a hit carries a named entity.
        """
        if flt.start is not None and flt.end is not None and flt.start > flt.end:
            return []
        self.searches += 1
        self.scored_candidates += len(flt.node_ids) if flt.node_ids is not None else self.vectors.count(flt)
        hits = self.vectors.search(query.vector, flt, limit=limit)
        return self.rescore(query, [Scored.from_payload(h.id, h.score, h.payload, via) for h in hits])

    def rescore(self, query: Query, items: list[Scored]) -> list[Scored]:
        """Recompute lexical and combined scores of ``items`` for ``query``; best first."""
        if not items:
            return []
        lex = query.scorer.score_texts([s.text for s in items])
        weight = self.settings.lexical_weight
        out = []
        for s, lx in zip(items, lex):
            score = combine(s.cosine, float(lx), weight)
            if query.entity_ids and query.entity_ids.intersection(s.entity_ids):
                score = min(1.0, score + ENTITY_BONUS)
            out.append(replace(s, lexical=float(lx), score=score))
        out.sort(key=lambda s: -s.score)
        return out
