"""A synthetic week of one source's memories, written straight into the stores.

Shape (per source): ``days * 86400 / clip_s`` clips (60,480 for a week of 10 s clips), scenes of
6 clips (1 min), events of 10 scenes (10 min), one story per wall-clock hour. Clip texts are
composed from a small vocabulary of household/warehouse activities, so the number of distinct texts
stays small and each is embedded once with the real text embedder. A few *needles* (unique events
at known times) give questions with known answers, which the query benchmark uses for recall.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from api_schemas import Kind, Level
from memory_core.domain import MemoryNode
from memory_core.ids import node_id

PEOPLE = ["Alice Parker", "Bob Stone", "Carol Diaz", "Dan Wu", "Erin Moss"]
PLACES = ["kitchen", "garage", "living room", "loading dock", "garden", "hallway", "office", "storage room"]
ACTIONS = [
    "is making coffee", "is washing the dishes", "is reading a newspaper", "is carrying boxes",
    "is talking on the phone", "is sweeping the floor", "is watching television", "is typing on a laptop",
    "is feeding the cat", "is folding laundry", "is repairing a bicycle", "is stacking pallets",
    "is checking the thermostat", "is eating lunch", "is watering the plants", "is cleaning the windows",
]
IDLE = ["No speech. The room is empty and quiet.", "No speech. Dark scene, mostly blue.", "No speech. Nobody is visible."]
SIGNS = ["EXIT", "BAY 2", "STAFF ONLY", "NO PARKING", "OPEN 9-5", "FIRE DOOR KEEP CLOSED"]

NEEDLES = [
    # (day, hour, minute, text, question, expected answer keyword)
    (1, 14, 5, "Bob Stone said: 'The red truck arrived at delivery bay three.' On screen: DELIVERY BAY 3.",
     "When did the red truck arrive at delivery bay three?", "red truck"),
    (2, 9, 40, "Carol Diaz said: 'I lost my passport, it must be in the blue suitcase.'",
     "Where did Carol say her passport is?", "passport"),
    (3, 20, 15, "Dan Wu said: 'The forklift battery is broken, call the technician tomorrow.'",
     "What is wrong with the forklift battery?", "forklift"),
    (4, 11, 0, "Erin Moss said: 'The birthday cake for Alice is hidden in the garage freezer.'",
     "Where is the birthday cake hidden?", "birthday cake"),
    (5, 16, 30, "On screen: GATE 7 OPEN. Alice Parker said: 'Gate seven is open for the delivery.'",
     "Which gate is open for the delivery?", "gate"),
    (6, 7, 55, "Bob Stone said: 'I spilled paint on the new carpet in the hallway.'",
     "What happened to the carpet?", "paint"),
]


WEEK_START = datetime(2026, 11, 9, 0, 0, tzinfo=UTC)  # a Monday: the synthetic week starts here
GENERIC_QUESTIONS = [
    "When did Alice water the plants?",
    "What was Bob doing in the garage?",
    "Who was feeding the cat in the kitchen?",
    "What happened in the office yesterday?",
    "How many times did Carol make coffee this week?",
    "What did Dan do on Tuesday afternoon?",
]


@dataclass
class Needle:
    """A unique planted clip: the question that should find it and the clip's id and start."""

    question: str
    keyword: str
    clip_id: str
    start: datetime


@dataclass
class SyntheticWeek:
    """What was written: node counts per level and the planted needles."""

    counts: dict[str, int] = field(default_factory=dict)
    needles: list[Needle] = field(default_factory=list)


def _clip_text(rng: random.Random, t: datetime) -> str:
    if 0 <= t.hour < 6 or rng.random() < 0.25:
        return rng.choice(IDLE)
    who = rng.choice(PEOPLE)
    text = f"{who} {rng.choice(ACTIONS)} in the {rng.choice(PLACES)}."
    if rng.random() < 0.2:
        text += f" On screen: {rng.choice(SIGNS)}."
    return text


def build_synthetic_week(
    rt, *, tenant: str, source: str, start: datetime, days: int = 7, clip_s: float = 10.0, seed: int = 0,
    batch: int = 5000,
) -> SyntheticWeek:
    """Write ``days`` of memories for ``source`` into ``rt.repo`` and ``rt.vectors``.

    Args:
        rt: an opened ``Runtime`` (its text embedder embeds every distinct text once).
        start: wall-clock time of the first clip (aware).
    Returns:
        ``SyntheticWeek`` with counts per level and the needles.
    """
    rng = random.Random(seed)
    rt.ensure_collection()
    embedder = rt.providers.text_embedder()
    rt.repo.ensure_tenant(tenant)
    rt.repo.ensure_source(tenant, source)
    media_id = f"synthetic-{source}"
    n_clips = int(days * 86400 / clip_s)
    needle_at = {}
    for d, h, m, text, q, kw in NEEDLES:
        if d < days:
            idx = int(((d * 24 + h) * 3600 + m * 60) / clip_s)
            needle_at[idx] = (text, q, kw)

    texts: list[str] = []
    for i in range(n_clips):
        t = start + timedelta(seconds=i * clip_s)
        texts.append(needle_at[i][0] if i in needle_at else _clip_text(rng, t))
    uniq = sorted(set(texts))
    freq = Counter(texts)

    def salient(span: list[str], k: int) -> str:
        """The ``k`` rarest distinct texts of a span (rare = salient, as a summary keeps them)."""
        return " ".join(sorted(set(span), key=lambda t: (freq[t], span.index(t)))[:k])

    vecs = dict(zip(uniq, np.asarray(embedder.embed(uniq), dtype=np.float32), strict=True))

    def mk(level: Level, i0: int, i1: int, text: str, parent: str | None, vec=None) -> MemoryNode:
        s = start + timedelta(seconds=i0 * clip_s)
        e = start + timedelta(seconds=i1 * clip_s)
        return MemoryNode(
            id=node_id(tenant, source, level.value, Kind.EPISODIC.value, media_id, i0), tenant=tenant, source=source,
            level=level, kind=Kind.EPISODIC, start=s, end=e, text=text, parent_id=parent, media_file_id=media_id,
            media_path=f"/synthetic/{source}.mp4", media_start_s=i0 * clip_s, media_end_s=i1 * clip_s,
            provenance={"generator": "bench.synthetic"}, vector=vec,
        )

    per_hour = int(3600 / clip_s)
    scene_len, event_scenes = 6, 10
    nodes: list[MemoryNode] = []
    week = SyntheticWeek()
    counts = {"clip": 0, "scene": 0, "event": 0, "story": 0}

    def flush(force: bool = False) -> None:
        if nodes and (force or len(nodes) >= batch):
            rt.repo.upsert_nodes(nodes)
            rt.vectors.upsert(nodes)
            nodes.clear()

    for h0 in range(0, n_clips, per_hour):
        h1 = min(h0 + per_hour, n_clips)
        hour_texts = texts[h0:h1]
        story_text = "Hour summary: " + salient(hour_texts, 6)
        story = mk(Level.STORY, h0, h1, story_text, None)
        story_vec_texts = [story_text]
        for e0 in range(h0, h1, scene_len * event_scenes):
            e1 = min(e0 + scene_len * event_scenes, h1)
            ev_texts = texts[e0:e1]
            ev_text = "Event: " + salient(ev_texts, 4)
            event = mk(Level.EVENT, e0, e1, ev_text, story.id)
            story_vec_texts.append(ev_text)
            for s0 in range(e0, e1, scene_len):
                s1 = min(s0 + scene_len, e1)
                sc_texts = texts[s0:s1]
                scene = mk(Level.SCENE, s0, s1, salient(sc_texts, 3), event.id)
                scene.vector = np.mean([vecs[t] for t in sc_texts], axis=0)
                scene.vector /= np.linalg.norm(scene.vector) + 1e-9
                for i in range(s0, s1):
                    clip = mk(Level.CLIP, i, i + 1, texts[i], scene.id, vecs[texts[i]])
                    nodes.append(clip)
                    counts["clip"] += 1
                    if i in needle_at:
                        week.needles.append(Needle(needle_at[i][1], needle_at[i][2], clip.id, clip.start))
                nodes.append(scene)
                counts["scene"] += 1
            event.vector = np.asarray(embedder.embed([ev_text])[0], dtype=np.float32)
            nodes.append(event)
            counts["event"] += 1
        story.vector = np.asarray(embedder.embed([story_text])[0], dtype=np.float32)
        nodes.append(story)
        counts["story"] += 1
        flush()
    flush(force=True)
    rt.vectors.flush()
    week.counts = counts
    return week
