"""Semantic memory: latest states, facts and routines abstracted from episodic memories.

- States (level event, ``fact_type`` "state"): observations from :mod:`memory_core.building.facts`
  are kept per source and (subject, predicate) as a chain of runs ordered by *wall-clock* time:
  consecutive observations of the same value form one fact; each fact is superseded by the next
  (``valid_to``, ``superseded_by``); the last one is current. Ingesting an older file later inserts
  its observations at their time, so stale state never becomes current. Facts keep up to 50
  observations (the first 10 and the latest 40) to re-split runs when older footage arrives.
- Plans (level event, ``fact_type`` "plan"): "the meeting moved to Thursday" from
  :mod:`memory_core.building.plans`, chained per subject the same way (by when they were said: a
  later "moved to Friday" supersedes it). A plan's span is when it was *said*; the planned time is
  kept apart in ``target_start``/``target_end``/``target_text``, so a question about Thursday never
  reads the plan as something seen on Thursday.
- Facts (level event, ``fact_type`` "fact"): with an LLM configured, {subject, predicate, value}
  triples from event summaries, chained the same way; any LLM failure is skipped silently.
- Routines (level story, ``fact_type`` "routine"): content-bearing scene memories of the source
  whose text vectors have cosine >= ``routine_similarity`` on at least ``routine_min_days``
  distinct (UTC) days. Candidates come from the vector store, are read back through the
  repository, and a routine grows as new days match its members (its id stays that of its
  founding members).

Ids: fact ``(subject, predicate, valid_from ISO)``, routine ``("routine", sha1 of sorted founding
member ids)``. Facts whose run start moved are deleted from both stores.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from api_schemas import Kind, Level
from memory_core import ids
from memory_core.building.context import BuildContext
from memory_core.building.facts import Observation, find_ocr_state, find_states, last_person_name, resolve_pronoun, speaker_says_i
from memory_core.building.plans import PREDICATE as PLAN, find_plans
from memory_core.building.summarise import split_sentences
from memory_core.domain import MemoryNode
from memory_core.logging import get_logger
from memory_core.providers.base import LLMError
from memory_core.stores.base import VectorFilter
from memory_core.timeutil import add_seconds, parse_iso

log = get_logger(__name__)

_KEEP_FIRST, _KEEP_LAST = 10, 40
_PAGE = 1000
_ROUTINE_NEIGHBOURS = 50
_LLM_SYSTEM = (
    "Extract lasting facts and states from this video memory. Answer only a JSON list of objects "
    'with keys "subject", "predicate", "value" (at most 10); answer [] when there are none.'
)


def _when(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC")


class SemanticBuilder:
    """Builds semantic nodes for one source from the episodic nodes of each ingest step.

    Args:
        repo: ``Repository`` (existing facts and routines are read once, routine candidates read
            back); ``None`` keeps state in memory only.
        vectors: ``VectorStore`` searched for routine candidates (``None``: only nodes seen by
            this builder).
        ctx: build context (tenant, source, embedder, LLM, settings).
        delete: deletes superseded fact nodes by id (the ingest's ``MemoryWriter.delete``, which
            keeps them for a rollback); default: straight from ``repo`` and ``vectors``.
    """

    def __init__(self, repo, vectors, ctx: BuildContext, delete: Callable[[list[str]], None] | None = None) -> None:
        self.repo, self.vectors, self.ctx = repo, vectors, ctx
        self._delete_fn = delete
        self.ing = ctx.settings.ingest
        self._facts: dict[tuple[str, str], list[MemoryNode]] | None = None
        self._routines: list[MemoryNode] = []
        self._seen: set[str] = set()
        self._scenes: dict[str, MemoryNode] = {}

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        self._facts = {}
        if self.repo is None:
            return
        offset = 0
        while True:
            page = self.repo.list_nodes(self.ctx.tenant, source=self.ctx.source, kind=Kind.SEMANTIC, limit=_PAGE, offset=offset)
            for n in page:
                ft = n.attributes.get("fact_type")
                if ft == "routine":
                    self._routines.append(n)
                elif ft in ("state", "fact", "plan"):
                    self._facts.setdefault((n.attributes["subject"], n.attributes["predicate"]), []).append(n)
            if len(page) < _PAGE:
                break
            offset += _PAGE

    # ------------------------------------------------------------------ public
    def update(self, new_nodes: Sequence[MemoryNode]) -> list[MemoryNode]:
        """Semantic nodes created or changed by ``new_nodes`` (episodic nodes just built and
        already written to both stores; each id is processed once per builder). Superseded facts
        are returned re-written; facts whose run start moved are deleted from both stores here.

        Raises:
            ProviderError: when the text embedder fails; store errors propagate; ``LLMError``
            never escapes (LLM facts are skipped).
        """
        if self._facts is None:
            self._load()
        fresh = [n for n in new_nodes if n.kind is Kind.EPISODIC and n.id not in self._seen]
        self._seen.update(n.id for n in fresh)
        obs: list[tuple[str, Observation]] = [
            ("plan" if o.predicate == PLAN else "state", o) for n in fresh if n.level is Level.CLIP for o in self._clip_observations(n)
        ]
        if self.ctx.llm is not None:
            obs += [("fact", o) for n in fresh if n.level is Level.EVENT for o in self._llm_observations(n)]
        out = self._apply(obs)
        out += self._update_routines([n for n in fresh if n.level is Level.SCENE])
        return out

    # ------------------------------------------------------------------ observations
    @staticmethod
    def _clip_observations(n: MemoryNode) -> list[Observation]:
        out: list[Observation] = []
        for rec in n.attributes.get("speakers", []):
            at = n.start if n.media_start_s is None else add_seconds(n.start, float(rec.get("start_s", 0.0)) - n.media_start_s)
            name = None  # "Daniel flies today. He'll be away until Thursday.": "he" is Daniel
            for sentence in split_sentences(rec.get("text", "")):
                resolved = speaker_says_i(resolve_pronoun(sentence, name), rec.get("label"))
                found = [*find_states(resolved, at, n.id), *find_plans(resolved, at, n.id)]
                for o in found:
                    o.quote = sentence.strip()[:200]  # quote what was said, not the resolved text
                out.extend(found)
                name = last_person_name(sentence) or (name if resolved != sentence else None)
        for line in n.attributes.get("ocr", []):
            o = find_ocr_state(line, n.start, n.id)
            if o is not None:
                out.append(o)
            for p in find_plans(line, n.start, n.id):  # a sign: "MEETING MOVED TO THURSDAY"
                if p.subject_text.isupper():
                    p.subject_text = p.subject_text.lower()
                out.append(p)
        return out

    def _llm_observations(self, n: MemoryNode) -> list[Observation]:
        try:
            reply = self.ctx.llm.complete(_LLM_SYSTEM, n.attributes.get("summary_body") or n.text)
            start, end = reply.find("["), reply.rfind("]")
            items = json.loads(reply[start : end + 1]) if 0 <= start < end else []
        except (LLMError, ValueError) as exc:
            log.info("semantic_llm_skipped", node=n.id, error=str(exc)[:200])
            return []
        out = []
        for it in items[:10] if isinstance(items, list) else []:
            keys = ("subject", "predicate", "value")
            if not isinstance(it, dict) or not all(isinstance(it.get(k), str) and it[k].strip() for k in keys):
                continue
            subj, pred, value = (" ".join(it[k].split()) for k in keys)
            out.append(Observation(subj.casefold(), subj, pred.casefold(), value, n.start, n.id))
        return out

    # ------------------------------------------------------------------ fact chains
    def _apply(self, obs: list[tuple[str, Observation]]) -> list[MemoryNode]:
        by_key: dict[tuple[str, str], list[tuple[str, Observation]]] = {}
        for ft, o in obs:
            by_key.setdefault((o.subject, o.predicate), []).append((ft, o))
        out: list[MemoryNode] = []
        for key, items in by_key.items():
            old = self._facts.get(key, [])
            records = {(r[0], r[1], r[2]): r for f in old for r in f.attributes.get("observations", [])}
            fact_type = items[0][0]
            subject_text = old[0].attributes.get("subject_text", items[0][1].subject_text) if old else items[0][1].subject_text
            for _ft, o in items:
                rec = [o.at.isoformat(), o.evidence_id, o.value, o.quote]
                if o.target_start is not None and o.target_end is not None:  # a plan: its planned window
                    rec += [o.target_start.isoformat(), o.target_end.isoformat(), o.target_text]
                records.setdefault((o.at.isoformat(), o.evidence_id, o.value), rec)
            ordered = sorted(records.values(), key=lambda r: (parse_iso(r[0]), r[1]))
            runs: list[list[list]] = []
            for r in ordered:
                if runs and runs[-1][-1][2] == r[2]:
                    runs[-1].append(r)
                else:
                    runs.append([r])
            facts = [self._fact_node(key, fact_type, subject_text, run) for run in runs]
            for i, f in enumerate(facts):
                nxt = facts[i + 1] if i + 1 < len(facts) else None
                f.attributes["valid_to"] = nxt.attributes["valid_from"] if nxt else None
                f.attributes["superseded_by"] = nxt.id if nxt else None
                if nxt:
                    f.end = max(f.start, nxt.start)
                f.text = self._fact_text(f, nxt)
            old_by_id = {f.id: f for f in old}
            stale = [i for i in old_by_id if i not in {f.id for f in facts}]
            if stale:
                self._delete(stale)
            changed = [f for f in facts if f.id not in old_by_id or old_by_id[f.id].text != f.text
                       or old_by_id[f.id].attributes.get("observations") != f.attributes["observations"]]
            for f, v in zip(changed, self.ctx.embed([f.text for f in changed])):
                f.vector = v
            self._facts[key] = facts
            out += changed
        return out

    def _fact_node(self, key: tuple[str, str], fact_type: str, subject_text: str, run: list[list]) -> MemoryNode:
        kept = run if len(run) <= _KEEP_FIRST + _KEEP_LAST else run[:_KEEP_FIRST] + run[-_KEEP_LAST:]
        start, last = parse_iso(run[0][0]), parse_iso(run[-1][0])
        evidence = list(dict.fromkeys(r[1] for r in kept))
        ctx = self.ctx
        node = MemoryNode(
            id=ids.node_id(ctx.tenant, ctx.source, Level.EVENT.value, Kind.SEMANTIC.value, key[0], key[1], start.isoformat()),
            tenant=ctx.tenant, source=ctx.source, level=Level.EVENT, kind=Kind.SEMANTIC,
            start=start, end=last, text="", evidence_ids=evidence,
            attributes={
                "fact_type": fact_type, "subject": key[0], "subject_text": subject_text, "predicate": key[1],
                "value": run[0][2], "valid_from": start.isoformat(), "valid_to": None, "superseded_by": None,
                "last_observed": last.isoformat(), "observation_count": len(run),
                "days": sorted({parse_iso(r[0]).date().isoformat() for r in kept}),
                "observations": kept, "quote": run[-1][3] if len(run[-1]) > 3 else "",
            },
            provenance={**ctx.provenance, "facts": f"llm:{getattr(ctx.llm, 'name', '?')}" if fact_type == "fact" else "rules-v1"},
        )
        if fact_type == "plan" and len(run[-1]) > 6:
            node.attributes.update(target_start=run[-1][4], target_end=run[-1][5], target_text=run[-1][6])
        return node

    @staticmethod
    def _fact_text(f: MemoryNode, nxt: MemoryNode | None) -> str:
        a = f.attributes
        subj, value, pred = a["subject_text"], a["value"], a["predicate"]
        if a["fact_type"] == "plan":
            the = "the " if subj[:1].islower() else ""
            target = a.get("target_start") or value
            try:
                when = f"{parse_iso(target):%A %d %B %Y}" + ("" if str(value).count(":") == 0 else f" at {parse_iso(target):%H:%M} UTC")
            except ValueError:
                when = str(value)
            said = f"said {_when(f.start)}" + (f", last said {_when(f.end)}" if f.end != f.start and nxt is None else "")
            if nxt is None:
                return f"Plan: {the}{subj} is planned for {when} ({a.get('target_text') or value}; {said})."
            return f"Earlier plan: {the}{subj} was planned for {when} ({said}; then changed to {nxt.attributes['value']})."
        if a["fact_type"] == "fact":
            phrase_now, phrase_then = f"{subj} {pred} {value}", f"{subj} {pred} {value}"
        elif pred == "location":
            phrase_now, phrase_then = f"{subj} is {value}", f"{subj} was {value}"
        else:
            the = "the " if subj[:1].islower() else ""  # "the front door", not "the Bob"
            phrase_now, phrase_then = f"{the}{subj} is {value}", f"{the}{subj} was {value}"
        if nxt is None:
            return f"Current state: {phrase_now} (since {_when(f.start)}, last seen {_when(f.end)})."
        return f"Earlier state: {phrase_then} from {_when(f.start)} until {_when(nxt.start)} (then {nxt.attributes['value']})."

    def _delete(self, node_ids: list[str]) -> None:
        if self._delete_fn is not None:
            self._delete_fn(node_ids)
            return
        if self.repo is not None:
            self.repo.delete_nodes(self.ctx.tenant, node_ids)
        if self.vectors is not None:
            self.vectors.delete(VectorFilter(tenant=self.ctx.tenant, node_ids=node_ids))

    # ------------------------------------------------------------------ routines
    def _neighbours(self, n: MemoryNode) -> list[MemoryNode]:
        """Content-bearing episodic scenes of the source similar to ``n`` (cosine >= threshold)."""
        thr = self.ing.routine_similarity
        found: dict[str, MemoryNode] = {}
        v = np.asarray(n.vector, dtype=np.float32)
        for other in self._scenes.values():
            if other.id != n.id and other.vector is not None and float(np.dot(v, other.vector)) >= thr:
                found[other.id] = other
        if self.vectors is not None:
            flt = VectorFilter(tenant=self.ctx.tenant, sources=[self.ctx.source], levels=[Level.SCENE], kinds=[Kind.EPISODIC])
            hits = self.vectors.search(v, flt, limit=_ROUTINE_NEIGHBOURS)
            hit_ids = [h.id for h in hits if h.score >= thr and h.id != n.id and h.id not in found]
            if hit_ids and self.repo is not None:
                found.update({m.id: m for m in self.repo.get_nodes(self.ctx.tenant, hit_ids)})
        return [m for m in found.values() if m.attributes.get("content")]

    def _update_routines(self, scenes: list[MemoryNode]) -> list[MemoryNode]:
        changed: dict[str, MemoryNode] = {}
        for n in scenes:
            if n.vector is None or not n.attributes.get("content"):
                continue
            self._scenes[n.id] = n
            members = {n.id: n, **{m.id: m for m in self._neighbours(n)}}
            spans = {m.id: [m.start.isoformat(), m.end.isoformat()] for m in members.values()}
            owners = [r for r in self._routines if set(r.evidence_ids) & set(members)]
            if owners:  # a known routine recurs: extend it (its id stays that of its founders)
                routine = max(owners, key=lambda r: len(r.evidence_ids))
                a = routine.attributes
                grown = {**a.get("member_spans", {}), **spans}
                if len(grown) == len(a.get("member_spans", {})):
                    continue
                changed[routine.id] = self._routine_node(a["seed_ids"], grown, a["representative"], a["representative_id"])
                self._routines = [changed[routine.id] if r.id == routine.id else r for r in self._routines]
                continue
            if len({m.start.date() for m in members.values()}) < self.ing.routine_min_days:
                continue
            rep = (n.attributes.get("summary_body") or n.text).strip()[:300]
            node = self._routine_node(sorted(members), spans, rep, n.id)
            self._routines.append(node)
            changed[node.id] = node
        nodes = list(changed.values())
        for node, v in zip(nodes, self.ctx.embed([x.text for x in nodes])):
            node.vector = v
        return nodes

    def _routine_node(self, seed_ids: list[str], spans: dict[str, list[str]], rep: str, rep_id: str) -> MemoryNode:
        ctx = self.ctx
        times = sorted((parse_iso(s), parse_iso(e), i) for i, (s, e) in spans.items())
        days = sorted({t[0].date().isoformat() for t in times})
        angles = [2 * math.pi * (t[0].hour * 60 + t[0].minute) / 1440 for t in times]
        mean = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles))) % (2 * math.pi)
        minutes = int(round(mean * 1440 / (2 * math.pi))) % 1440
        tod = f"{minutes // 60:02d}:{minutes % 60:02d}"
        digest = hashlib.sha1("/".join(sorted(seed_ids)).encode()).hexdigest()[:20]
        return MemoryNode(
            id=ids.node_id(ctx.tenant, ctx.source, Level.STORY.value, Kind.SEMANTIC.value, "routine", digest),
            tenant=ctx.tenant, source=ctx.source, level=Level.STORY, kind=Kind.SEMANTIC,
            start=times[0][0], end=max(t[1] for t in times),
            text=f"Routine ({len(days)} days, around {tod} UTC): {rep}",
            evidence_ids=[t[2] for t in times][-200:],
            attributes={
                "fact_type": "routine", "subject": "routine", "value": rep, "valid_from": times[0][0].isoformat(),
                "valid_to": None, "superseded_by": None, "days": days, "time_of_day": tod,
                "member_count": len(times), "member_spans": dict(list(spans.items())[-200:]),
                "seed_ids": sorted(seed_ids), "representative": rep, "representative_id": rep_id,
            },
            provenance={**ctx.provenance, "routines": "cosine-days-v1"},
        )
