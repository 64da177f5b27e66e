"""The retrieval agent: question -> trace steps -> grounded answer with clickable evidence.

Coarse to fine with backtracking over the memory hierarchy (VideoLucy, Zuo et al. 2025; WorldMM
2025 for episodic memory at several scales plus semantic memory), over vector indexes so that a
question costs a handful of filtered searches (see :mod:`memory_core.retrieval.beam`):

1. parse: type, content query, keywords, named entities, time scope (``question``/``timeparse``);
2. by type: ``how_many`` counts distinct occurrences across the whole scope
   (``occurrences.find_occurrences``: scan, sentence-level verification, one per episode);
   ``current_state`` reads the semantic state valid at ``as_of`` (``facts.current_state``; now, or
   the end of the scope for a state in the past: "where was the bike on Thursday?"), else the most
   recent strong episodic evidence before ``as_of``; ``order`` finds the first occurrence of both
   events and compares their times; "when is the meeting?" reads the plan in force
   (``facts.find_plan``); "first"/"last" pick the earliest/latest occurrence in the whole scope;
   a question without content ("what happened yesterday?") lists the summaries in its scope;
   everything else runs ``beam.locate`` (coarse search, beam, descent, backtracking, fallback);
3. answer: the expected answer type (``answer_types``) and the span of that type extracted from
   the evidence (``extract``: NER, dependency parse, question-sentence alignment) give the answer
   first with one line of support; without such a span, the best evidence sentence (``answer``).
   When an LLM is configured it writes the final answer from the evidence and the typed
   extraction, falling back to the deterministic one on :class:`LLMError`.

Thresholds come from :class:`RetrievalSettings`: scores are ``cos + lexical_weight * lex * (1 - cos)``
(0.35); a hit is evidence at ``>= sufficient_score`` (0.55, also: stop searching), or at
``>= min_evidence_score`` (0.35) when it covers half the keywords (``SearchContext.is_evidence``).
Nothing that is evidence: "Not enough evidence in memory to answer this." with ``sufficient=False``
and the best weak hits listed with their scores. For located evidence the typed check follows
(:mod:`sufficiency`): no number/money/place span (or person span for a person asked by name) ->
not enough evidence; a weak hit holding an aligned span of the expected type -> sufficient. Evidence media paths come from
``Repository.get_nodes`` for the final evidence only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from api_schemas import Answer, EntityKind, Kind, Level, Question, QuestionType, TraceStep
from memory_core.building.entity_text import display_label
from memory_core.providers.base import LLMClient, LLMError, ProviderError, TextEmbedder
from memory_core.retrieval import answer as compose
from memory_core.retrieval.answer_types import AnswerType, answer_type
from memory_core.retrieval.extract import PARSED_TYPES, Extraction, extract
from memory_core.retrieval.beam import FINE_LEVELS, entity_windows, locate
from memory_core.retrieval.context import TEXT_ENTITY_PREFIX, Query, Scored, SearchContext
from memory_core.retrieval.facts import current_state, describe_plan, find_plan
from memory_core.retrieval.lexical import LexicalScorer
from memory_core.retrieval.occurrences import find_occurrences, sentence_moment
from memory_core.retrieval.presence import StillQuestion, fact_says_there, latest_side, parse_still
from memory_core.retrieval.stateforms import BEFORE_OR_AFTER as _BEFORE_OR_AFTER
from memory_core.retrieval.stateforms import COUNT_PREFIX as _COUNT_PREFIX
from memory_core.retrieval.stateforms import HOW_MANY_DAYS as _HOW_MANY_DAYS
from memory_core.retrieval.stateforms import asks_plan as _asks_plan
from memory_core.retrieval.stateforms import count_event
from memory_core.retrieval.stateforms import event_anchor as _event_anchor
from memory_core.retrieval.stateforms import ongoing_who as _ongoing_who
from memory_core.retrieval.stateforms import state_as_of as _state_as_of
from memory_core.retrieval.selection import (
    entity_names as _entity_names,
    judge as _judge,
    pick as _pick,
    ordered as _ordered,
    inside_scope as _inside_scope,
    evidence_of as _evidence,
)
from memory_core.retrieval.speakers import current_labels
from memory_core.retrieval.sufficiency import typed_sufficiency
from memory_core.retrieval.units import strip_label
from memory_core.retrieval.question import QuestionPlan, extract_keywords, extract_phrases, match_entities, parse_question
from memory_core.settings import RetrievalSettings
from memory_core.stores.base import VectorStore
from memory_core.timeutil import ensure_aware, utcnow

MAX_EVIDENCE = 50
NEIGHBOUR_S = 60.0  # evidence within this many seconds of the primary (same source) is read for the answer span
NEIGHBOUR_WEIGHT, ADJACENT_WEIGHT = 0.9, 0.85  # weights of neighbouring evidence and of the adjacent clips' text
MAX_CLIP_S = 600.0  # the longest clip window settings allow (ingest.clip_seconds <= 600): bounds the clip query
MAX_AROUND = 16  # clips read around the primary: a scene (<= 120 s) of 10 s clips plus one each side
_NOT_EXTRACTED = (AnswerType.COUNT, AnswerType.BEFORE_AFTER)
@dataclass(slots=True)
class _Outcome:
    """What a dispatch branch found: evidence ``items`` (primary first), whether they suffice, the
    deterministic answer, and ``extract``: whether a typed span may replace that answer (False when
    the answer already leads with the typed value, e.g. a plan's planned day)."""

    items: list[Scored]
    sufficient: bool
    compose: Callable[[dict], str] | None = None
    extract: bool = True  # False: the composed answer is already in its short form (plan, count, order)
    typed_check: bool = False  # located evidence: sufficiency also checks for a typed span (retrieval/sufficiency.py)


class RetrievalAgent:
    """Answers questions over one tenant's memory.

    Args:
        repo: relational store (``Repository``): nodes, entities, appearances.
        vectors: vector store of memory nodes.
        embedder: text embedder (query vectors must match the stored ones).
        settings: retrieval knobs.
        llm: optional chat model that writes the final answer from the evidence.
        tz: time zone for day boundaries and answers when the question's ``now`` has none.
        nlp: spaCy pipeline for answer extraction (``SpacyNLP``), or a zero-argument callable that
            loads it on first use (so asking starts without loading it), or None (then only
            numbers, money, times and dates are extracted). A callable that raises ``ProviderError``
            counts as None.
    """

    def __init__(
        self, repo, vectors: VectorStore, embedder: TextEmbedder, settings: RetrievalSettings,
        llm: LLMClient | None = None, *, tz: tzinfo = UTC, nlp=None,
    ) -> None:
        self.repo, self.vectors, self.embedder, self.settings, self.llm, self.tz = repo, vectors, embedder, settings, llm, tz
        self._nlp_source, self._nlp_loaded, self._nlp = nlp, False, None

    def ask(self, question: Question, tenant: str) -> Answer:
        """Run :meth:`iter_steps` to the end and return its :class:`Answer`."""
        for item in self.iter_steps(question, tenant):
            if isinstance(item, Answer):
                return item
        raise RuntimeError("the agent ended without an answer")  # pragma: no cover

    def iter_steps(self, question: Question, tenant: str) -> Iterator[TraceStep | Answer]:
        """Yield each :class:`TraceStep` as it happens, then the :class:`Answer` (last item).

        ``question.now`` anchors relative times (default: the current time); when given, nothing
        after it is searched. Store errors propagate (the caller ends the stream).
        """
        started = time.perf_counter()  # the time budget covers parsing too
        now_given = question.now is not None
        now = ensure_aware(question.now) if now_given else utcnow()
        tz = question.now.tzinfo if now_given and question.now.tzinfo is not None else self.tz
        entities = self._entities(tenant, question.sources)
        plan = parse_question(question.text, now, _entity_names(entities), tz)
        start, end = self._scope(plan, question, now, now_given)
        ctx = SearchContext(self.vectors, self.settings, tenant, question.sources, start, end,
                            question.max_steps, question.time_budget_s, started=started)
        scope_txt = f"{start.isoformat() if start else '-inf'} .. {end.isoformat() if end else '+inf'}"
        yield ctx.step("parse", detail=(
            f"type={plan.qtype.value}; scope={scope_txt}"
            + (f" ('{plan.scope.matched}')" if plan.scope else "")
            + f"; entities={plan.entity_names}; keywords={plan.keywords}"
            + (f"; phrases={plan.phrases}" if plan.phrases else "")
            + (f"; compare={plan.sub_queries}" if plan.sub_queries else "")
            + (f"; ordinal={plan.ordinal}" if plan.ordinal else "")
            + (f"; state as of {plan.as_of.isoformat()}" if plan.as_of else "")
            + (f"; plan for {plan.plan_for.label}" if plan.asks_plan and plan.plan_for else "")))
        if ctx.empty_scope():
            yield ctx.step("stop", detail="empty time scope")
            outcome = _Outcome([], False)
        else:
            outcome = yield from self._dispatch(ctx, plan, question, now, tz, entities)
        yield from self._finish(ctx, plan, question, outcome, now)

    # ------------------------------------------------------------------ per question type
    def _dispatch(self, ctx: SearchContext, plan: QuestionPlan, question: Question, now: datetime, tz: tzinfo, entities: list):
        event = count_event(plan.content) if plan.qtype is QuestionType.HOW_MANY else None
        content = event or (_COUNT_PREFIX.sub("", plan.content) if plan.qtype is QuestionType.HOW_MANY else plan.content)
        if event:  # "how many runs did Tom do": the words of "a run"; Tom stays a filter (entity_ids)
            query = self._query(event, extract_keywords(event), extract_phrases(event), plan.entity_ids)
        else:
            query = self._query(content or plan.text, plan.keywords, plan.phrases, plan.entity_ids)

        def windows():
            if not plan.entity_ids:
                return []
            return entity_windows(self.repo, ctx.tenant, plan.entity_ids, ctx.start, ctx.end, ctx.sources)

        if plan.qtype is QuestionType.HOW_MANY:
            occ, saturated = yield from find_occurrences(ctx, query, self.repo, self.embedder)
            often = bool(re.search(r"\bhow\s+(often|frequently)\b", plan.text, re.I))
            days = bool(_HOW_MANY_DAYS.search(plan.text))  # "on how many days ...": distinct days lead
            starts = [o.start for o in occ]
            return _Outcome([o.best for o in occ][:MAX_EVIDENCE], bool(occ),
                            lambda nodes: compose.compose_count(starts, tz, often, at_least=saturated, days=days),
                            extract=event is None)  # "how many runs did Tom do": occurrences, not a stated number
        as_of = _state_as_of(plan, ctx, now)
        ongoing = as_of is None and _ongoing_who(plan, now)
        if ongoing:  # "who was looking after the cat on Tuesday": a duty that may have begun before Tuesday
            as_of = min(plan.scope.end, now)
        anchor = _event_anchor(plan) if as_of is None else None
        if anchor is not None:  # "what was the code before it was changed": the state just before that event
            main, event = anchor
            eq = self._query(event, extract_keywords(event), extract_phrases(event), plan.entity_ids, "event: ")
            occ, _ = yield from find_occurrences(ctx, eq, self.repo, self.embedder, via="anchor")
            if occ:
                as_of = occ[0].start - timedelta(milliseconds=1)  # the clip that states the change, and facts from it, are after
                ctx.end = as_of  # nothing from the event on is evidence (nor read around the answer)
                query = self._query(main, extract_keywords(main), extract_phrases(main), plan.entity_ids)
                yield ctx.step("anchor", candidates=len(occ), detail=f"state before {event!r}: first at {as_of.isoformat()}")
                outcome = yield from self._state(ctx, query, tz, as_of, windows, question.top_k, episodic=True, past=True)
                if outcome is not None:
                    return outcome
        if as_of is not None:
            # a past state the parser marked (plan.as_of) may have begun before the scope: (open, as_of)
            past = plan.as_of is not None or ongoing
            if past:
                ctx.start = None
            outcome = yield from self._state(ctx, query, tz, as_of, windows, question.top_k,
                                             episodic=past or plan.qtype is QuestionType.CURRENT_STATE,
                                             past=past or as_of < now, still=parse_still(plan.text) if plan.yes_no else None,
                                             who=entities if plan.qtype is QuestionType.WHO else None)
            if outcome is not None:
                return outcome
        if _asks_plan(plan):
            target = plan.plan_for
            pl = yield from find_plan(ctx, query, self.repo, min(now, ctx.end) if ctx.end else now, target)
            if pl is not None:
                lead = "when" if plan.qtype is QuestionType.WHEN else "what"
                return _Outcome([*pl.evidence, pl.fact, *pl.others], True, lambda nodes: describe_plan(pl, tz, lead),
                                extract=False)  # the planned day leads already; a span would be when it was said
        if plan.qtype is QuestionType.ORDER:
            found: list[Scored | None] = []
            moments: list[datetime | None] = []  # when each event was said within its clip
            known = _entity_names(entities)
            for label, sub in zip("AB", plan.sub_queries):
                # the people each event names ("Priya's visit" or "the code change": only the first names Priya)
                q = self._query(sub, extract_keywords(sub), extract_phrases(sub), match_entities(sub, known)[0], f"{label}: ")
                occ, _ = yield from find_occurrences(ctx, q, self.repo, self.embedder, via="order")
                if occ:
                    pick = _pick({}, "first", _judge(ctx, q), occ)
                    found.append(pick)
                    moments.append(next((o.said_at for o in occ if o.best is pick), None))
                    continue
                pool = yield from locate(ctx, q, self.repo, semantic=False)
                pick = _pick(pool, None, _judge(ctx, q))
                found.append(pick)
                moments.append(None if pick is None else sentence_moment(
                    pick, compose.best_sentence(pick.text, q, self.embedder, self.settings.lexical_weight)))
            a, b = found
            items = [x for x in found if x is not None]
            side = plan.relation is None and bool(_BEFORE_OR_AFTER.search(plan.text))
            return _Outcome(items, a is not None and b is not None, lambda nodes: compose.compose_order(
                plan.sub_queries[0], a, plan.sub_queries[1], b, tz, plan.relation, *moments, ask_side=side),
                extract=False)
        if plan.generic:
            items = yield from self._summary(ctx, query, question.top_k)
            label = plan.scope.matched if plan.scope else None
            if plan.qtype is QuestionType.WHO:
                people = self._present(ctx, entities)
                yield ctx.step("entities", candidates=len(people), detail=f"people seen or heard in scope: {people[:10]}")
                text = (", ".join(people) or "No identified person") + " in memory"
                return _Outcome(items, bool(items or people),
                                lambda nodes: f"{text}. " + compose.compose_summary(items, tz, label))
            return _Outcome(items, bool(items), lambda nodes: compose.compose_summary(items, tz, label))
        pool = yield from locate(ctx, query, self.repo, windows())
        ok = _judge(ctx, query)
        occ = None
        if plan.ordinal in ("first", "last"):  # across the whole scope, not among the top hits
            occ, _ = yield from find_occurrences(ctx, query, self.repo, self.embedder, via=plan.ordinal)
        primary = _pick(pool, plan.ordinal, ok, occ)
        items = [i for i in _ordered(pool, primary, question.top_k, ok) if i is primary or _inside_scope(i, ctx)]

        def deterministic(nodes: dict) -> str:
            sentence = self._sentence(nodes, primary, query)
            if plan.qtype is QuestionType.WHEN:
                return compose.compose_when(sentence, primary, tz)
            if plan.qtype is QuestionType.WHO:
                names = self._names(ctx.tenant, sentence, nodes.get(primary.id), primary, _entity_names(entities))
                return compose.compose_who(names, sentence, primary, tz)
            return compose.compose_what(sentence, primary, tz)

        return _Outcome(items, primary is not None, deterministic, typed_check=True)

    def _state(self, ctx: SearchContext, query: Query, tz: tzinfo, as_of: datetime, windows, top_k: int, episodic: bool,
               past: bool = False, still: StillQuestion | None = None, who: list | None = None):
        """The state valid at ``as_of`` from semantic memory; else, when ``episodic``, the latest
        strong episodic evidence in the scope (``None`` when neither). ``past``: ``as_of`` is a
        past moment the question names, so the answer says "as of" that moment, not "latest".
        ``still``: a yes/no question "is X (still) at Y" (:mod:`presence`): a location fact, or
        else the latest record that says X left or is at Y, leads the answer with Yes or No.
        ``who``: the source's entities for a who-question (the episodic answer then leads with the
        people of the record, as :meth:`_names` finds them)."""
        shown_as_of = as_of if past else None
        st = yield from current_state(ctx, query, self.repo, as_of)
        if st is not None:
            items = [*st.evidence, st.fact, *st.others]
            lead = ""
            if still is not None and st.node.attributes.get("predicate") == "location":
                lead = "Yes. " if fact_says_there(str(st.node.attributes.get("value") or ""), still.place_words) else "No. "
            return _Outcome(items, True, lambda nodes: lead + compose.compose_state(
                self._sentence(nodes, st.fact, query), st.since, tz, as_of=shown_as_of), extract=not lead)
        if not episodic:
            return None
        if still is not None:
            found = yield from latest_side(ctx, query, as_of, still)
            if found is not None:
                clip, sentence, side = found
                lead = "No. " if side == "left" else "Yes. "
                return _Outcome([clip], True, lambda nodes: lead + compose.compose_state(
                    sentence, clip.start, tz, episodic=True, as_of=shown_as_of), extract=False)
        pool = yield from locate(ctx, query, self.repo, windows(), semantic=False)
        pool = {k: v for k, v in pool.items() if v.start < as_of}
        ok = _judge(ctx, query)
        primary = _pick(pool, "last", ok)

        def answer(nodes: dict) -> str:
            sentence = self._sentence(nodes, primary, query)
            text = compose.compose_state(sentence, primary.start, tz, episodic=True, as_of=shown_as_of)
            if who is None:
                return text
            names = self._names(ctx.tenant, sentence, nodes.get(primary.id), primary, _entity_names(who))
            return f"{', '.join(names) or 'No identified person'}: {text}"

        return _Outcome(_ordered(pool, primary, top_k, ok), primary is not None, answer, extract=who is None)

    def _summary(self, ctx: SearchContext, query: Query, top_k: int):
        """A question without content: the summaries in the scope, in time order."""
        long_scope = ctx.start is None or ctx.end is None or ctx.end - ctx.start > timedelta(hours=3)
        levels = [Level.STORY, Level.EVENT, Level.CLIP] if long_scope else [Level.EVENT, Level.SCENE, Level.CLIP]
        limit = max(2 * top_k, self.settings.per_level_limit)
        for level in levels:
            kinds = [Kind.EPISODIC, Kind.VISUAL] if level is Level.CLIP else [Kind.EPISODIC]
            hits = ctx.search(query, ctx.filter(levels=[level], kinds=kinds), limit, via="summary")
            yield ctx.step("search", level=level, kind=Kind.EPISODIC, candidates=len(hits),
                           best=hits[0].score if hits else None, detail="no content words: what the scope holds")
            if hits:
                return sorted(hits[:top_k], key=lambda h: h.start)
        return []

    # ------------------------------------------------------------------ answer
    def _finish(self, ctx: SearchContext, plan: QuestionPlan, question: Question, outcome: _Outcome, now: datetime):
        items = outcome.items if plan.qtype is QuestionType.HOW_MANY else outcome.items[: question.top_k]
        nodes = {n.id: n for n in self.repo.get_nodes(ctx.tenant, [i.id for i in items])} if items else {}
        nodes = current_labels(self.repo, ctx.tenant, nodes)  # names given or changed since ingest
        sufficient = outcome.sufficient
        evidence = [_evidence(i, nodes.get(i.id)) for i in items]
        atype = answer_type(plan)
        # weak hits are read too for located evidence: a typed span there may still answer (rescue)
        found = (self._extract(ctx, plan, atype, items, nodes)
                 if items and outcome.compose and outcome.extract and (sufficient or outcome.typed_check) else None)
        rule = ""
        if outcome.typed_check:
            sufficient, rule = typed_sufficiency(sufficient, atype, found, plan.keywords, items[0].score if items else None,
                                                 self.settings, who=plan.qtype is QuestionType.WHO)
        if not sufficient:
            found, text = None, compose.NOT_ENOUGH
        elif found is not None:
            tz = question.now.tzinfo if question.now is not None and question.now.tzinfo is not None else self.tz
            text = compose.compose_typed(found, items[found.item], tz)
        else:
            text = outcome.compose(nodes) if outcome.compose else compose.NOT_ENOUGH
        typed = f"answer type {atype.value}" + (
            f", extracted {found.answer or 'the recorded time'!r} from [{found.item + 1}]" if found else ", no span extracted"
        ) + (f", {rule}" if rule else "")
        mode = "deterministic"
        if self.llm is not None and sufficient and evidence:
            try:
                text, sufficient = compose.compose_llm(self.llm, plan.text, plan.qtype.value, evidence, text, now,
                                                       typed=compose.describe_extraction(atype.value, found, evidence))
                mode = f"llm {getattr(self.llm, 'name', '')}".strip()
            except LLMError as exc:
                mode = f"deterministic (LLM failed: {str(exc)[:120]})"
        ctx.step("answer", candidates=len(evidence), best=evidence[0].score if evidence else None,
                 detail=f"{mode}; {typed}; sufficient={sufficient}; {ctx.searches} searches, {ctx.scored_candidates} points scored")
        yield ctx.trace[-1]
        yield Answer(
            question=question.text, answer=text, question_type=plan.qtype, sufficient=sufficient,
            evidence=evidence, trace=list(ctx.trace), elapsed_ms=round(ctx.elapsed_ms(), 2),
            scored_candidates=ctx.scored_candidates,
        )

    def _sentence(self, nodes: dict, item: Scored, query: Query) -> str:
        node = nodes.get(item.id)
        text = compose.best_sentence(node.text if node else item.text, query, self.embedder, self.settings.lexical_weight)
        return strip_label(text)  # "Routine (2 days, around 08:00 UTC): ..." -> the fact itself

    def _extract(self, ctx: SearchContext, plan: QuestionPlan, atype: AnswerType, items: list[Scored], nodes: dict) -> Extraction | None:
        """The span of type ``atype`` that answers ``plan`` (:func:`extract.extract`), or None.

        Reads the primary evidence (``items[0]``, weight 1.0), the other clips/scenes of the same
        source within :data:`NEIGHBOUR_S` of it (0.9) and, except for current-state questions (whose
        answer must be the latest state), the primary clip with the clips just before and after it
        inside the scope (0.85: a sentence cut at a clip boundary); for a question about on-screen
        text (``plan.onscreen``) also every other evidence item that shows text (0.9). A person's
        entity memory as primary gives nothing (its text is a timeline); an on-screen text's
        entity memory gives the text. Count, order and generic questions keep their own
        answers; a how-many question is read for a stated quantity ("we unloaded forty boxes") only
        when its type is a number.
        """
        if atype in _NOT_EXTRACTED or plan.generic or plan.qtype is QuestionType.ORDER:
            return None
        if plan.qtype is QuestionType.HOW_MANY and atype is not AnswerType.NUMBER:
            return None
        primary = items[0]
        if primary.kind is Kind.ENTITY and not primary.text.startswith(TEXT_ENTITY_PREFIX):
            return None  # a person's timeline (labels, counts, times) is not a sentence to extract from

        def text_of(s: Scored) -> str:
            node = nodes.get(s.id)
            return node.text if node is not None else s.text

        texts = [(0, text_of(primary), 1.0)]
        for k, s in enumerate(items[1:], 1):
            near = (s.source == primary.source and s.level in FINE_LEVELS and s.kind in (Kind.EPISODIC, Kind.VISUAL)
                    and (s.start - primary.end).total_seconds() <= NEIGHBOUR_S
                    and (primary.start - s.end).total_seconds() <= NEIGHBOUR_S)
            if near:
                texts.append((k, text_of(s), NEIGHBOUR_WEIGHT))
            elif plan.onscreen and (s.text.startswith(TEXT_ENTITY_PREFIX) or "On screen:" in s.text):
                texts.append((k, text_of(s), NEIGHBOUR_WEIGHT))  # "what did the sign say": any sign in the evidence
        if plan.qtype is not QuestionType.CURRENT_STATE and primary.level in (Level.CLIP, Level.SCENE):
            # the clips of the primary (a scene's own clips; a clip with the clips just before and
            # after it), read as one text, so a sentence cut at a clip boundary ("The red truck" |
            # "arrived at bay 3") is read whole
            lo, hi = primary.start - timedelta(milliseconds=1), primary.end + timedelta(milliseconds=1)
            if ctx.end is not None:
                hi = min(hi, ctx.end)
            around = self.repo.list_nodes(ctx.tenant, source=primary.source, level=Level.CLIP, kind=Kind.EPISODIC,
                                          start=lo, end=hi, limit=MAX_AROUND,
                                          starts_after=lo - timedelta(seconds=MAX_CLIP_S))
            if len(around) > 1:
                around = list(current_labels(self.repo, ctx.tenant, {n.id: n for n in around}).values())
                texts.append((0, " ".join(n.text for n in sorted(around, key=lambda n: n.start)), ADJACENT_WEIGHT))
        names = [e.name for e in self._entities(ctx.tenant, ctx.sources) if e.name and e.kind is not EntityKind.TEXT]
        # spaCy (~1 s to load per process) only for the types that need a parse: `vidmem ask` stays fast otherwise
        nlp = self._nlp_provider() if atype in PARSED_TYPES else None
        return extract(plan.text, plan.keywords, atype, texts, nlp=nlp,
                       names=list(dict.fromkeys(names)), onscreen=plan.onscreen)

    def _nlp_provider(self):
        """The spaCy pipeline, loaded on first use (None when not configured or not loadable)."""
        if not self._nlp_loaded:
            source = self._nlp_source
            try:
                self._nlp = source() if callable(source) and not hasattr(source, "docs") else source
            except ProviderError:
                self._nlp = None
            self._nlp_loaded = True
        return self._nlp

    def _names(self, tenant: str, sentence: str, node, item: Scored, known: dict[str, list[str]]) -> list[str]:
        """Who: the speaker of the best sentence; else known entity names in it; else the node's
        speakers, people visible, entity labels; else a name opening the sentence."""
        names: list[str] = []
        speaker = compose.speaker_of(sentence)
        if speaker and speaker.lower() != "someone":
            return [speaker]
        in_sentence = [n for n in match_entities(sentence, known)[1] if n.lower() in sentence.lower()]
        if in_sentence:
            return in_sentence
        attrs = node.attributes if node is not None else {}
        for rec in attrs.get("speakers") or []:
            label = rec.get("label") if isinstance(rec, dict) else str(rec)
            if label and label.lower() != "someone":
                names.append(label)
        if not names:
            names += [str(p) for p in attrs.get("people") or []]
        if not names:
            for eid in (node.entity_ids if node is not None else item.entity_ids)[:6]:
                e = self.repo.get_entity(tenant, eid)
                if e is not None:
                    names.append(display_label(e))
        if not names and compose.leading_name(sentence):
            names.append(compose.leading_name(sentence))
        return list(dict.fromkeys(names))

    def _present(self, ctx: SearchContext, entities: list) -> list[str]:
        """Names of the people (faces, voices, names) with appearances in the scope, most first.
        Screens by ``first_seen``/``last_seen``, then counts appearances (at most 50 entities)."""
        counts: dict[str, int] = {}
        screened = [
            e for e in entities
            if e.kind is not EntityKind.TEXT
            and (ctx.start is None or e.last_seen is None or e.last_seen > ctx.start)
            and (ctx.end is None or e.first_seen is None or e.first_seen < ctx.end)
        ]
        for e in screened[:50]:
            n = sum(1 for a in self.repo.appearances(ctx.tenant, e.id, limit=2000)
                    if (ctx.start is None or a.end > ctx.start) and (ctx.end is None or a.start < ctx.end))
            if n:
                name = display_label(e)
                counts[name] = counts.get(name, 0) + n
        return sorted(counts, key=lambda k: -counts[k])

    # ------------------------------------------------------------------ helpers
    def _query(self, text: str, keywords, phrases, entity_ids, label: str = "") -> Query:
        return Query(text, self.embedder.embed_query(text), LexicalScorer(keywords, phrases), frozenset(entity_ids), label)

    def _entities(self, tenant: str, sources: list[str] | None) -> list:
        if sources:
            return [e for src in sources for e in self.repo.list_entities(tenant, source=src)]
        return list(self.repo.list_entities(tenant))

    @staticmethod
    def _scope(plan: QuestionPlan, question: Question, now: datetime, now_given: bool):
        # a state at a past time may have begun before the scope: search (open, as_of)
        start = plan.scope.start if plan.scope and plan.as_of is None else None
        end = plan.scope.end if plan.scope else None
        if question.start is not None:
            qs = ensure_aware(question.start)
            start = max(start, qs) if start else qs
        if question.end is not None:
            qe = ensure_aware(question.end)
            end = min(end, qe) if end else qe
        if now_given:
            end = min(end, now) if end else now
        return start, end
