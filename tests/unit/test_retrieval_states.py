"""States over time and across days, end to end on a small week of memory built by the real
building code (clip/scene/event nodes by hand, semantic states and plans by ``SemanticBuilder``),
real stores (SQLite repository, qdrant-edge vectors) and the packaged MiniLM embedder.

The week (Mon 7 - Fri 11 December 2026, one camera): the bike moves garage -> station -> garage;
the door code changes on
Thursday; the plants are watered on three evenings, each time in other words, once over two clips of one
episode; the boiler is repaired on Tuesday, a parcel arrives on Wednesday; on Monday the team
meeting is moved to Thursday.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

import building_support as bs
from api_schemas import EntityKind, Kind, Level, Question, QuestionType
from memory_core.building.semantic import SemanticBuilder
from memory_core.domain import Entity, MemoryNode
from memory_core.ids import entity_id, node_id
import memory_core.retrieval.agent as agent_module
from memory_core.retrieval.agent import RetrievalAgent
from memory_core.retrieval.answer import NOT_ENOUGH
from memory_core.retrieval.question import parse_question
from memory_core.retrieval.timeparse import TimeScope
from memory_core.settings import RetrievalSettings
from memory_core.stores.relational import SqlRepository
from memory_core.stores.vector_edge import open_edge_store

MON = datetime(2026, 12, 7, tzinfo=UTC)
TUE, WED, THU, FRI = (MON + timedelta(days=d) for d in range(1, 5))
NOW = FRI + timedelta(hours=20)
FILLER = "No speech. Moderately lit scene, mostly grey."


@dataclasses.dataclass
class Ep:
    name: str
    start: datetime
    lines: list[tuple[int, str, str]]  # (clip index 0-5, speaker, words)


EPISODES = [
    Ep("bike-garage", MON + timedelta(hours=8), [(1, "Tom", "The bike is in the garage.")]),
    Ep("code-1", MON + timedelta(hours=9), [(2, "Priya", "Note for everyone, the door code is 4719.")]),
    Ep("meeting", MON + timedelta(hours=10), [(2, "Priya", "Quick update, the team meeting moved to Thursday.")]),
    Ep("water-mon", MON + timedelta(hours=18, minutes=30), [(0, "Tom", "I gave the plants some water, the pots were dry.")]),
    Ep("boiler", TUE + timedelta(hours=14), [(3, "Priya", "The engineer repaired the boiler this afternoon.")]),
    Ep("water-tue", TUE + timedelta(hours=18, minutes=40), [(1, "Tom", "Watering the plants on the windowsill before dinner.")]),
    Ep("bike-station", WED + timedelta(hours=9), [(0, "Tom", "The bike is at the station now.")]),
    Ep("parcel", WED + timedelta(hours=11), [(2, "Priya", "The parcel arrived at the front door.")]),
    Ep("lunch", WED + timedelta(hours=12, minutes=30), [(1, "Priya", "We had soup for lunch in the canteen.")]),
    Ep("water-thu", THU + timedelta(hours=19), [(2, "Tom", "I watered the plants again."), (3, "Tom", "Still watering the plants, they drink a lot.")]),
    Ep("code-2", THU + timedelta(hours=8), [(1, "Priya", "Heads up, the door code has changed to 2550.")]),
    Ep("bike-back", FRI + timedelta(hours=8), [(4, "Tom", "The bike is in the garage again.")]),
    Ep("run-tue", TUE + timedelta(hours=7), [(1, "Tom", "Went for a run before work, about six kilometres.")]),
    Ep("run-fri", FRI + timedelta(hours=7), [(2, "Tom", "Another run by the canal, shorter this time.")]),
]
CLIPS = 6
VOICES = {name: entity_id(bs.TENANT, bs.SOURCE, EntityKind.VOICE.value, name) for name in ("Tom", "Priya")}


def _nid(*key) -> str:
    return node_id(bs.TENANT, bs.SOURCE, *key)


def _build(repo, vectors, embedder) -> dict[str, MemoryNode]:
    repo.ensure_source(bs.TENANT, bs.SOURCE, kind="stream")
    nodes: list[MemoryNode] = []
    key: dict[str, MemoryNode] = {}

    def node(level, kind, k, start, end, text, **kw) -> MemoryNode:
        n = MemoryNode(id=_nid(level.value, kind.value, *k), tenant=bs.TENANT, source=bs.SOURCE, level=level, kind=kind,
                       start=start, end=end, text=text, **kw)
        nodes.append(n)
        return n

    for ep in EPISODES:
        end = ep.start + timedelta(seconds=10 * CLIPS)
        event = node(Level.EVENT, Kind.EPISODIC, (ep.name,), ep.start, end, "")
        scene = node(Level.SCENE, Kind.EPISODIC, (ep.name, 0), ep.start, end, "", parent_id=event.id)
        said = {i: (who, words) for i, who, words in ep.lines}
        for i in range(CLIPS):
            c0 = ep.start + timedelta(seconds=10 * i)
            who, words = said.get(i, (None, None))
            text = f"{who} said: '{words}' People visible: {who}." if who else FILLER
            speakers = [{"label": who, "text": words, "start_s": 0.0}] if who else []
            clip = node(Level.CLIP, Kind.EPISODIC, (ep.name, i), c0, c0 + timedelta(seconds=10), text,
                        parent_id=scene.id, attributes={"speakers": speakers}, entity_ids=[VOICES[who]] if who else [])
            if who:
                key.setdefault(ep.name, clip)
                key[f"{ep.name}/{i}"] = clip
        scene.text = event.text = " ".join(n.text for n in nodes[-CLIPS:] if n.text != FILLER)
    for name, eid in VOICES.items():
        repo.upsert_entity(Entity(id=eid, tenant=bs.TENANT, source=bs.SOURCE, kind=EntityKind.VOICE, label=name, name=name))
    semantic = SemanticBuilder(None, None, bs.ctx(start=MON)).update(nodes)
    nodes += semantic
    for n in semantic:
        key[f"semantic:{n.attributes['subject']}:{n.attributes['value']}"] = n
    unique = list(dict.fromkeys(n.text for n in nodes))
    vecs = dict(zip(unique, embedder.embed(unique)))
    for n in nodes:
        if n.vector is None:
            n.vector = vecs[n.text]
    repo.upsert_nodes(nodes)
    vectors.ensure_collection(embedder.dim)
    vectors.upsert(nodes)
    vectors.flush()
    return key


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    root = tmp_path_factory.mktemp("states")
    repo = SqlRepository(f"sqlite:///{root / 'vidmem.db'}")
    vectors = open_edge_store(root / "vectors")
    embedder = bs.embedder()
    key = _build(repo, vectors, embedder)
    agent = RetrievalAgent(repo, vectors, embedder, RetrievalSettings())

    def ask(text: str, now: datetime = NOW):
        return agent.ask(Question(text=text, now=now), bs.TENANT)

    yield key, ask
    vectors.close()
    repo.close()


def test_building_made_location_states_and_a_plan(week):
    key, _ = week
    assert {"semantic:bike:in the garage", "semantic:bike:at the station", "semantic:team meeting:2026-12-10"} <= set(key)
    plan = key["semantic:team meeting:2026-12-10"]
    assert plan.attributes["fact_type"] == "plan" and plan.start == key["meeting"].start  # said on Monday
    assert plan.attributes["target_start"] == THU.isoformat() and plan.attributes["target_text"] == "Thursday"


def test_state_at_a_past_time_is_the_latest_before_the_end_of_that_time(week):
    key, ask = week
    wed = ask("Where was the bike on Wednesday?")
    assert wed.sufficient and "station" in wed.answer and "garage" not in wed.answer.split("(")[0]
    assert wed.evidence[0].node_id == key["bike-station"].id
    # nothing said on Tuesday: the state set on Monday still held
    tue = ask("Where was the bike on Tuesday?")
    assert tue.sufficient and "garage" in tue.answer and tue.evidence[0].node_id == key["bike-garage"].id
    assert any("state: semantic facts up to 2026-12-09T00:00:00" in s.detail for s in tue.trace)
    now = ask("Where is the bike now?")
    assert now.question_type is QuestionType.CURRENT_STATE and "garage" in now.answer
    assert now.evidence[0].node_id == key["bike-back"].id


def test_a_code_before_a_day_is_the_one_valid_then(week):
    key, ask = week
    before = ask("What was the door code before Thursday?")
    assert before.sufficient and "4719" in before.answer and "2550" not in before.answer.split("(then")[0]
    assert before.evidence[0].node_id == key["code-1"].id
    now = ask("What is the door code now?")
    assert "2550" in now.answer and now.evidence[0].node_id == key["code-2"].id


def test_count_across_days_with_paraphrases_one_evidence_per_occurrence(week):
    key, ask = week
    a = ask("How many times this week did I water the plants?")
    assert a.question_type is QuestionType.HOW_MANY and a.sufficient
    assert a.answer.startswith("3 times")  # Monday and Tuesday in other words; Thursday's two clips are one episode
    ids = [e.node_id for e in a.evidence]
    assert ids[:2] == [key["water-mon"].id, key["water-tue"].id]
    assert ids[2] in (key["water-thu/2"].id, key["water-thu/3"].id) and len(ids) == 3
    assert any(s.action == "verify" for s in a.trace)
    since_tue = ask("How many times did I water the plants since Tuesday?")
    assert since_tue.answer.startswith("2 times")
    assert ask("How many times did Tom water the plants?").answer.startswith("3 times")
    priya = ask("How many times did Priya water the plants?")  # Tom did, every time
    assert not priya.sufficient and priya.answer == NOT_ENOUGH


def test_first_and_last_pick_across_the_whole_range(week):
    key, ask = week
    first = ask("When did I first water the plants?")
    assert first.evidence[0].node_id == key["water-mon"].id and first.answer.startswith("Mon 7 Dec 2026")
    last = ask("When did I last water the plants?")
    assert last.evidence[0].node_id in (key["water-thu/2"].id, key["water-thu/3"].id)
    assert last.answer.startswith("Thu 10 Dec 2026")


def test_before_after_compares_both_times(week):
    key, ask = week
    a = ask("Did the parcel arrive before or after the boiler was repaired?")
    assert a.question_type is QuestionType.ORDER and a.sufficient
    assert a.answer.index("boiler") < a.answer.index("came first") < a.answer.index("parcel")
    assert {e.node_id for e in a.evidence} == {key["parcel"].id, key["boiler"].id}
    b = ask("Did the boiler get repaired before the parcel arrived?")
    assert b.answer.startswith("Yes")
    c = ask("Did the parcel arrive before the boiler was repaired?")
    assert c.answer.startswith("No")


def test_plans_are_kept_apart_from_facts(week):
    key, ask = week
    when = ask("When is the team meeting?")
    assert when.sufficient and when.answer.startswith("Thursday 10 December 2026")
    assert "planned; said Mon 7 Dec 2026 10:00" in when.answer
    assert when.evidence[0].node_id == key["meeting"].id
    # Thursday holds no record of the meeting: the plan was said on Monday
    thu = ask("What was said about the team meeting on Thursday?")
    plan_id = key["semantic:team meeting:2026-12-10"].id
    assert all(e.node_id not in (plan_id, key["meeting"].id) for e in thu.evidence)
    assert not thu.sufficient and thu.answer == NOT_ENOUGH


# ---------------------------------------------------------------- with the parser's plan fields
def _with_fields(monkeypatch, **fields):
    """The parser's plan fields (as_of, asks_plan, plan_for) set by the test, the rest parsed."""

    def parse(*args, **kw):
        return dataclasses.replace(parse_question(*args, **kw), **fields)

    monkeypatch.setattr(agent_module, "parse_question", parse)


def test_parser_as_of_decides_and_a_past_state_without_a_fact_uses_the_latest_record(week, monkeypatch):
    key, ask = week
    _with_fields(monkeypatch, as_of=THU)
    a = ask("Where was the parcel on Wednesday?")  # no semantic fact on the parcel: episodic, up to as_of
    assert a.sufficient and a.evidence[0].node_id == key["parcel"].id and "front door" in a.answer
    _with_fields(monkeypatch, as_of=None)  # the parser says: no past state -> no state lookup
    b = ask("Where was the bike on Wednesday?")
    assert not any(s.detail.startswith("state:") for s in b.trace)


def test_what_is_planned_for_a_day_filters_plans_by_their_target(week, monkeypatch):
    _, ask = week
    _with_fields(monkeypatch, asks_plan=True, plan_for=TimeScope(THU, FRI, "Thursday"))
    a = ask("What is planned for the team on Thursday?")
    assert a.sufficient and a.answer.startswith("the team meeting, planned for Thursday 10 December 2026")
    _with_fields(monkeypatch, asks_plan=True, plan_for=TimeScope(FRI, FRI + timedelta(days=1), "Friday"))
    b = ask("What is planned for the team on Friday?")
    assert not b.answer.startswith("the team meeting, planned")


@pytest.mark.parametrize(("text", "expected"), [
    ("Where was the bike on Wednesday?", THU),
    ("What was the door code before Thursday?", THU),
    ("Was the back door open on Tuesday?", WED),
    ("What was said about the bike on Wednesday?", None),  # an event, not a state
    ("Where was Tom on Wednesday?", THU),  # issue #9: "where was X on Thursday" is a state at a past time
    ("Where was the bike?", None),  # no time: nothing to be "as of"
    ("Where is the bike now?", NOW),  # current state
])
def test_which_questions_ask_for_a_state_at_a_time(text, expected):
    from memory_core.retrieval.agent import _state_as_of
    from memory_core.retrieval.context import SearchContext

    plan = parse_question(text, NOW)
    end = plan.scope.end if plan.scope else None
    ctx = SearchContext(None, RetrievalSettings(), bs.TENANT, None, plan.scope.start if plan.scope else None,
                        min(end, NOW) if end else NOW, 10, 10.0)
    assert _state_as_of(plan, ctx, NOW) == expected


def test_is_it_still_there_leads_with_yes_or_no(week):
    _, ask = week
    moved = ask("Is the bike still at the station?")  # at the station on Wednesday, in the garage again on Friday
    assert moved.sufficient and moved.answer.startswith("No. ") and "garage" in moved.answer
    there = ask("Is the bike in the garage?")
    assert there.sufficient and there.answer.startswith("Yes. ")


@pytest.mark.parametrize(("text", "expected"), [
    ("What was the wifi password before it was reset?", ("What was the wifi password", "the wifi password reset")),
    ("Where was the van parked before Anna moved it?", ("Where was the van parked", "Anna moved the van")),
    ("Who was the coach before Lena took over?", ("Who was the coach", "Lena took over")),
    ("What was the wifi password before Friday?", None),  # a time: the parser's scope
    ("What did Tom say before he left?", None),  # an event question, not a state
    ("What is the wifi password?", None),
])
def test_a_state_just_before_an_event(text, expected):
    from memory_core.retrieval.stateforms import event_anchor as _event_anchor

    assert _event_anchor(parse_question(text, NOW)) == expected


def test_the_state_before_a_change_is_the_one_it_replaced(week):
    _, ask = week
    a = ask("What was the door code before it was changed?")  # 4719 on Monday, changed to 2550 on Thursday
    assert a.sufficient and a.answer.startswith("4719")
    assert any(s.action == "anchor" for s in a.trace)


@pytest.mark.parametrize(("text", "ongoing"), [
    ("Who was looking after the dog on Tuesday?", True),
    ("Who was minding the shop yesterday?", True),
    ("Who was cooking on Tuesday evening?", False),  # an activity at that time: the scoped search
    ("Who was looking after the dog?", False),  # no time: nothing to be "as of"
    ("Who looked after the dog on Tuesday?", False),  # simple past: an event
    ("Who is looking after the dog today?", False),
])
def test_who_was_doing_something_ongoing_at_a_past_time(text, ongoing):
    from memory_core.retrieval.stateforms import ongoing_who as _ongoing_who

    assert _ongoing_who(parse_question(text, NOW), NOW) is ongoing


def test_how_many_runs_counts_occurrences_not_a_number_in_them(week):
    key, ask = week
    a = ask("How many runs did Tom do this week?")  # "a run": Tuesday and Friday ("six kilometres" is no answer)
    assert a.sufficient and a.answer.startswith("2 times")
    assert {e.node_id for e in a.evidence} == {key["run-tue"].id, key["run-fri"].id}
