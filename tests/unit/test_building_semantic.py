"""Semantic memory: latest state by wall-clock time (whatever the ingest order), on-screen states,
routines across days, LLM facts with silent fallback. Real stores: SqlRepository (SQLite) and
Qdrant local mode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api_schemas import Kind, Level
from memory_core.building.clips import build_clip_nodes
from memory_core.building.hierarchy import HierarchyBuilder
from memory_core.building.semantic import SemanticBuilder
from memory_core.providers.base import LLMError
from memory_core.stores.base import VectorFilter

import building_support as bs


@pytest.fixture
def stores(tmp_path):
    repo, vectors = bs.repo(tmp_path), bs.vectors()
    yield repo, vectors
    vectors.close()


def ingest(stores, start, fingerprint, clips, llm=None):
    """Build one file like the pipeline does: clips -> hierarchy -> write -> semantic -> write.

    ``clips``: ``[(offset seconds, speech text or None, [on-screen lines])]``, 10 s each.
    Returns (episodic nodes, semantic nodes).
    """
    repo, vectors = stores
    c = bs.ctx(start=start, fingerprint=fingerprint, llm=llm)
    h = HierarchyBuilder(c)
    written = {}
    for i, (off, text, lines) in enumerate(clips):
        p = bs.perception(bs.window(i, off, "grey"), speech=[bs.seg(off + 1, text)] if text else [],
                          lines=[bs.ocr(off + 2, x) for x in lines])
        ep = build_clip_nodes(p, c)[0]
        for n in [*h.add_clip(ep, p.window)]:
            written[n.id] = n
    for n in h.close():
        written[n.id] = n
    repo.upsert_nodes(written.values())
    vectors.upsert(list(written.values()))
    sem = SemanticBuilder(repo, vectors, c).update(list(written.values()))
    repo.upsert_nodes(sem)
    vectors.upsert(sem)
    return list(written.values()), sem


def facts(repo, subject=None):
    out = [n for n in repo.list_nodes(bs.TENANT, source=bs.SOURCE, kind=Kind.SEMANTIC, limit=1000)
           if n.attributes["fact_type"] in ("state", "fact") and (subject is None or n.attributes["subject"] == subject)]
    return sorted(out, key=lambda n: n.start)


def test_latest_state_supersedes_and_an_older_file_never_becomes_current(stores):
    repo, vectors = stores
    _, sem = ingest(stores, bs.T0, "morning", [(0.0, "Okay, the front door is locked.", []), (300.0, "The front door is open now.", [])])
    locked, opened = facts(repo, "front door")
    assert (locked.attributes["value"], opened.attributes["value"]) == ("locked", "open")
    assert locked.attributes["superseded_by"] == opened.id and locked.attributes["valid_to"] == opened.attributes["valid_from"]
    assert opened.attributes["valid_to"] is None and opened.text.startswith("Current state: the front door is open")
    assert locked.text.startswith("Earlier state: the front door was locked") and locked.level is Level.EVENT
    assert opened.start == bs.T0 + timedelta(seconds=301) and opened.evidence_ids and opened.parent_id is None

    # an older file (07:00-07:30) ingested afterwards: its facts slot in before, 'open' stays current
    ingest(stores, bs.T0 - bs.hours(1), "early", [(0.0, "The front door is open.", []), (1800.0, "Now the front door is locked.", [])])
    chain = facts(repo, "front door")
    assert [n.attributes["value"] for n in chain] == ["open", "locked", "open"]
    current = [n for n in chain if n.attributes["valid_to"] is None]
    assert len(current) == 1 and current[0].id == opened.id and current[0].attributes["value"] == "open"
    # the two 'locked' observations (07:30 and 08:00) are one run: the 08:00-only fact was replaced
    assert chain[1].attributes["observation_count"] == 2 and locked.id not in {n.id for n in chain}
    assert vectors.count(VectorFilter(tenant=bs.TENANT, node_ids=[locked.id])) == 0
    assert [n.attributes["superseded_by"] for n in chain] == [chain[1].id, chain[2].id, None]


def test_on_screen_state_is_a_fact_and_repeats_confirm_it(stores):
    repo, _ = stores
    ingest(stores, bs.T0, "gate", [(0.0, None, ["DELIVERY BAY 3", "GATE 7 OPEN"]), (10.0, None, ["GATE 7 OPEN"]),
                                   (20.0, None, ["GATE 7 CLOSED"])])
    chain = facts(repo, "gate 7")
    assert [(n.attributes["value"], n.attributes["observation_count"]) for n in chain] == [("open", 2), ("closed", 1)]
    assert chain[-1].attributes["valid_to"] is None and facts(repo, "delivery bay 3") == []


def test_routine_across_two_days_not_within_one_day(stores):
    repo, _ = stores
    day1 = bs.T0.replace(hour=18, minute=30)
    feed = "Alice feeds the cat in the kitchen and fills its water bowl."
    _, sem1 = ingest(stores, day1, "d1", [(0.0, feed, []), (5400.0, "Alice is feeding the cat in the kitchen, filling the water bowl.", [])])
    assert [n for n in sem1 if n.attributes["fact_type"] == "routine"] == []  # same day twice is no routine
    _, sem2 = ingest(stores, day1 + bs.hours(24) + timedelta(minutes=5), "d2", [(0.0, "Alice feeds the cat in the kitchen and fills the water bowl.", [])])
    (routine,) = [n for n in sem2 if n.attributes["fact_type"] == "routine"]
    a = routine.attributes
    assert a["days"] == ["2026-11-16", "2026-11-17"] and routine.level is Level.STORY and routine.kind is Kind.SEMANTIC
    assert routine.text.startswith("Routine (2 days, around ") and "cat" in routine.text
    assert len(routine.evidence_ids) == 3 and all(n.level is Level.SCENE for n in repo.get_nodes(bs.TENANT, routine.evidence_ids))
    assert "18:" in a["time_of_day"] or "19:" in a["time_of_day"]
    # a third day extends the same routine (same id), an unrelated scene does not
    _, sem3 = ingest(stores, day1 + bs.hours(48), "d3", [(0.0, feed, []), (3000.0, "The truck driver unloads pallets at gate seven.", [])])
    (again,) = [n for n in sem3 if n.attributes["fact_type"] == "routine"]
    assert again.id == routine.id and again.attributes["days"] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert len(again.evidence_ids) == 4


class ScriptedLLM:
    name, version = "tiny-chat", "test"

    def __init__(self, reply):
        self.reply = reply

    def complete(self, system, user, *, max_tokens=None):
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply if "JSON" in system else "A summary."


def test_llm_facts_from_event_summaries_and_silent_fallback(stores):
    repo, _ = stores
    llm = ScriptedLLM('Sure: [{"subject": "Bob Stone", "predicate": "works as", "value": "forklift driver"}, {"bad": 1}]')
    ingest(stores, bs.T0, "llm", [(0.0, "Bob drives the forklift every day.", [])], llm=llm)
    (fact,) = facts(repo, "bob stone")
    assert fact.attributes["fact_type"] == "fact" and fact.attributes["value"] == "forklift driver"
    assert fact.text.startswith("Current state: Bob Stone works as forklift driver") and fact.provenance["facts"] == "llm:tiny-chat"
    ingest(stores, bs.T0 + bs.hours(2), "llm-down", [(0.0, "Nothing to see.", [])], llm=ScriptedLLM(LLMError("down")))
    assert len(facts(repo)) == 1


def test_plans_are_chained_by_when_they_were_said_and_kept_apart_from_states(stores):
    repo, _ = stores
    # Monday 08:00: moved to Thursday; Tuesday 08:00: postponed to Friday 3pm
    ingest(stores, bs.T0, "mon", [(0.0, "The team meeting moved to Thursday.", []), (60.0, "The front door is locked.", []),
                                  (120.0, None, ["YOGA CLASS MOVED TO FRIDAY"])])
    ingest(stores, bs.T0 + bs.hours(24), "tue", [(0.0, "The team meeting was postponed until Friday at 3pm.", [])])
    plans = [n for n in repo.list_nodes(bs.TENANT, source=bs.SOURCE, kind=Kind.SEMANTIC, limit=100)
             if n.attributes["fact_type"] == "plan"]
    (yoga,) = [n for n in plans if n.attributes["subject"] == "yoga class"]  # from a sign
    assert yoga.attributes["target_start"] == "2026-11-20T00:00:00+00:00" and yoga.text.startswith("Plan: the yoga class is planned for Friday")
    thursday, friday = sorted((n for n in plans if n.id != yoga.id), key=lambda n: n.start)
    assert thursday.start == bs.T0 + timedelta(seconds=1)  # when it was said, not Thursday
    assert thursday.attributes["target_start"] == "2026-11-19T00:00:00+00:00" and thursday.attributes["target_text"] == "Thursday"
    assert thursday.attributes["superseded_by"] == friday.id and thursday.text.startswith("Earlier plan: the team meeting was planned for Thursday 19 November 2026")
    assert friday.attributes["target_start"] == "2026-11-20T15:00:00+00:00" and friday.attributes["valid_to"] is None
    assert friday.text.startswith("Plan: the team meeting is planned for Friday 20 November 2026 at 15:00 UTC")
    assert [n.attributes["subject"] for n in facts(repo)] == ["front door"]  # the plan made no state or location


def test_he_after_a_name_is_that_person_and_the_quote_stays_as_said(stores):
    repo, _ = stores
    ingest(stores, bs.T0, "mon", [(0.0, "Quick note, Amira flies to Oslo today. She'll be away until Friday.", [])])
    plans = [n for n in repo.list_nodes(bs.TENANT, source=bs.SOURCE, kind=Kind.SEMANTIC, limit=100)
             if n.attributes["fact_type"] == "plan" and n.attributes["subject"] == "amira"]
    current = [n for n in plans if not n.attributes.get("superseded_by")]
    assert [n.attributes["target_text"] for n in current] == ["Friday"]
    assert current[0].attributes["quote"] == "She'll be away until Friday."
