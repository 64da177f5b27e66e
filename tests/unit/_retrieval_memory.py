"""A small hand-built memory of three days for the retrieval agent's tests.

Three days (Mon 16 - Wed 18 November 2026) of one camera ``cam1``: episodes of 30 clips (10 s) with
a few meaningful clips among filler, scenes of 6 clips, one event per episode, one story per hour,
semantic facts (the back door locked, then open; a routine) and entity memory (people, on-screen
text) with appearances. Summaries are extractive (the distinct non-filler clip texts), except two
events whose summaries are deliberately lossy or misleading: the *decoy* event's summary talks about
repairing the forklift brakes while its clips are about lunch, and the event where the brakes were
really repaired has a vague summary - the agent must backtrack from the decoy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from api_schemas import EntityKind, Kind, Level
from memory_core.domain import Appearance, Entity, MediaFile, MemoryNode
from memory_core.ids import entity_id, media_file_id, node_id

TENANT = "acme"
SOURCE = "cam1"
DAY1 = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
DAY2, DAY3 = DAY1 + timedelta(days=1), DAY1 + timedelta(days=2)
NOW = DAY3 + timedelta(hours=21)  # Wednesday 18 November 2026 21:00 UTC
CLIPS_PER_EPISODE = 30
CLIP_S = 10.0

FILLER = [
    "No speech. Dim scene, mostly grey.",
    "No speech. Moderately lit scene, mostly grey.",
    "No speech. Bright scene, mostly white.",
    "No speech. Moderately lit scene, mostly blue and grey.",
]

TRUCK = "Alice Parker said: 'The red truck arrived at bay three.' On screen: DELIVERY BAY 3. People visible: Alice Parker."
GATE = "No speech. On screen: GATE 7 OPEN. People visible: Person 1. Bright scene, mostly white."
LOCKED = "Bob Stone said: 'I locked the back door for the night.' People visible: Bob Stone."
OPENED = "Bob Stone said: 'I opened the back door for the cleaners.' People visible: Bob Stone."
WATER1 = "Alice Parker said: 'I watered the plants on the balcony.' People visible: Alice Parker."
WATER2 = "Alice Parker said: 'I watered the plants again, the soil was dry.' People visible: Alice Parker."
BRAKES = "Carol Reed said: 'I replaced the brake pads on the forklift, the brakes work now.' People visible: Carol Reed."
DECOY_SUMMARY = "Forklift brake repair: the forklift brakes need repair and a mechanic for the brakes."


@dataclass
class Episode:
    start: datetime
    clips: dict[int, str]  # clip index -> text (others are filler)
    name: str
    event_summary: str | None = None


EPISODES = [
    Episode(DAY1 + timedelta(hours=7), {3: LOCKED}, "locked"),
    Episode(DAY1 + timedelta(hours=8), {1: TRUCK, 2: "Bob Stone said: 'I will unload the pallets now.' People visible: Bob Stone, Alice Parker."}, "truck"),
    Episode(DAY1 + timedelta(hours=8, minutes=30), {10: GATE}, "gate"),
    Episode(DAY1 + timedelta(hours=18), {5: "Alice Parker said: 'Dinner is ready in the kitchen.'"}, "dinner"),
    Episode(DAY2 + timedelta(hours=8), {4: "Bob Stone said: 'The forklift battery is charging overnight.' People visible: Bob Stone."}, "battery"),
    Episode(DAY2 + timedelta(hours=12), {2: "Bob Stone said: 'The truck driver called about a delay.' People visible: Bob Stone."}, "delay"),
    Episode(DAY2 + timedelta(hours=18, minutes=30), {0: WATER1}, "water1"),
    Episode(DAY3 + timedelta(hours=7), {1: OPENED}, "opened"),
    Episode(DAY3 + timedelta(hours=9), {3: "Dan Wu said: 'Let us order pizza for lunch.'", 9: "Dan Wu said: 'The coffee machine is empty again.'"},
            "decoy", DECOY_SUMMARY),
    Episode(DAY3 + timedelta(hours=10), {20: BRAKES}, "brakes", "Carol Reed worked on the forklift in the workshop."),
    Episode(DAY3 + timedelta(hours=18, minutes=35), {0: WATER2}, "water2"),
]

PEOPLE = {
    "Alice Parker": EntityKind.VOICE, "Bob Stone": EntityKind.VOICE, "Carol Reed": EntityKind.VOICE,
    "Dan Wu": EntityKind.VOICE, "Person 1": EntityKind.FACE, "GATE 7 OPEN": EntityKind.TEXT,
}


@dataclass
class Built:
    nodes: list[MemoryNode]
    clips: dict[str, MemoryNode]  # episode name -> its first meaningful clip
    entity_ids: dict[str, str]


def _nid(level: Level, kind: Kind, *key) -> str:
    return node_id(TENANT, SOURCE, level.value, kind.value, *key)


def build_memory(repo, vectors, embedder) -> Built:
    """Write the memory into ``repo`` and ``vectors``; returns the nodes and handy lookups."""
    media = {
        d.date(): MediaFile(id=media_file_id(TENANT, SOURCE, f"day{i}"), tenant=TENANT, source=SOURCE,
                            path=f"/media/cam1/day{i}.mp4", fingerprint=f"day{i}", duration_s=86400.0, start_time=d)
        for i, d in enumerate((DAY1, DAY2, DAY3), 1)
    }
    repo.ensure_source(TENANT, SOURCE, kind="stream")
    for m in media.values():
        repo.upsert_media_file(m)
    ents = {name: entity_id(TENANT, SOURCE, kind.value, name) for name, kind in PEOPLE.items()}
    nodes: list[MemoryNode] = []
    key_clips: dict[str, MemoryNode] = {}
    appearances: list[Appearance] = []
    stories: dict[datetime, list[MemoryNode]] = {}

    def node(level, kind, key, start, end, text, **kw) -> MemoryNode:
        m = media[start.date()]
        n = MemoryNode(id=_nid(level, kind, *key), tenant=TENANT, source=SOURCE, level=level, kind=kind, start=start,
                       end=end, text=text, media_file_id=m.id, media_path=m.path,
                       media_start_s=(start - m.start_time).total_seconds(), media_end_s=(end - m.start_time).total_seconds(), **kw)
        nodes.append(n)
        return n

    for ep in EPISODES:
        event = node(Level.EVENT, Kind.EPISODIC, (ep.name,), ep.start, ep.start + timedelta(seconds=CLIPS_PER_EPISODE * CLIP_S), "")
        scene_texts: list[str] = []
        for s0 in range(0, CLIPS_PER_EPISODE, 6):
            s_start = ep.start + timedelta(seconds=s0 * CLIP_S)
            scene = node(Level.SCENE, Kind.EPISODIC, (ep.name, s0), s_start, s_start + timedelta(seconds=6 * CLIP_S), "", parent_id=event.id)
            texts = []
            for i in range(s0, s0 + 6):
                c_start = ep.start + timedelta(seconds=i * CLIP_S)
                text = ep.clips.get(i, FILLER[(i + ep.start.hour) % len(FILLER)])
                names = [n for n in ents if n in text]
                clip = node(Level.CLIP, Kind.EPISODIC, (ep.name, i), c_start, c_start + timedelta(seconds=CLIP_S), text,
                            parent_id=scene.id, entity_ids=[ents[n] for n in names],
                            attributes={"speakers": [{"label": text.split(" said:")[0], "text": text}] if " said:" in text else []})
                for n in names:
                    appearances.append(Appearance(ents[n], clip.id, clip.start, clip.end, clip.media_path, clip.media_start_s, clip.media_end_s))
                if i in ep.clips:
                    texts.append(text)
                    key_clips.setdefault(ep.name, clip)
            scene.text = " ".join(texts) or FILLER[s0 % len(FILLER)]
            scene_texts += texts
        event.text = ep.event_summary or (" ".join(scene_texts) or FILLER[0])
        stories.setdefault(ep.start.replace(minute=0), []).append(event)
    for hour, events in stories.items():
        story = node(Level.STORY, Kind.EPISODIC, (hour.isoformat(),), hour, hour + timedelta(hours=1), " ".join(e.text for e in events))
        for e in events:
            e.parent_id = story.id

    locked, opened = key_clips["locked"], key_clips["opened"]
    fact_locked = node(Level.STORY, Kind.SEMANTIC, ("back door", 1), locked.start, opened.start,
                       "State of the back door: locked.", evidence_ids=[locked.id],
                       attributes={"fact_type": "state", "subject": "back door", "value": "locked",
                                   "valid_from": locked.start.isoformat(), "valid_to": opened.start.isoformat()})
    node(Level.STORY, Kind.SEMANTIC, ("back door", 2), opened.start, NOW, "State of the back door: open.",
         evidence_ids=[opened.id], attributes={"fact_type": "state", "subject": "back door", "value": "open",
                                               "valid_from": opened.start.timestamp(), "valid_to": None})
    fact_locked.attributes["superseded_by"] = _nid(Level.STORY, Kind.SEMANTIC, "back door", 2)
    node(Level.STORY, Kind.SEMANTIC, ("routine", "plants"), key_clips["water1"].start, key_clips["water2"].end,
         "Routine: Alice Parker waters the plants in the evening around 18:30.",
         evidence_ids=[key_clips["water1"].id, key_clips["water2"].id],
         attributes={"fact_type": "routine", "subject": "watering the plants", "value": "evenings around 18:30"})

    entities = []
    for name, kind in PEOPLE.items():
        mine = [a for a in appearances if a.entity_id == ents[name]]
        first, last = min(a.start for a in mine), max(a.end for a in mine)
        entities.append(Entity(id=ents[name], tenant=TENANT, source=SOURCE, kind=kind, label=name,
                               name=name if kind is EntityKind.VOICE else None, count=len(mine), first_seen=first, last_seen=last))
        node(Level.STORY, Kind.ENTITY, (name,), first, last,
             f"{name} ({kind.value}) on {SOURCE}, seen or heard {len(mine)} times between {first:%d %B %Y} and {last:%d %B %Y}.",
             entity_ids=[ents[name]])
    for e in entities:
        repo.upsert_entity(e)
    repo.upsert_nodes(nodes)
    repo.add_appearances(TENANT, appearances)

    unique = list(dict.fromkeys(n.text for n in nodes))
    vecs = dict(zip(unique, np.asarray(embedder.embed(unique), dtype=np.float32)))
    for n in nodes:
        n.vector = vecs[n.text]
    vectors.ensure_collection(embedder.dim)
    vectors.upsert(nodes)
    vectors.flush()
    return Built(nodes, key_clips, ents)
