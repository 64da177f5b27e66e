"""Scene / event / story hierarchy: boundaries, bounds, incremental emission, deterministic ids."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from api_schemas import Kind, Level
from memory_core.building.clips import build_clip_nodes
from memory_core.building.hierarchy import HierarchyBuilder

import building_support as bs

KITCHEN = ["Let's chop the onions for the pasta sauce.", "Stir the tomato sauce and add some basil.", "The pasta water is boiling now, add salt."]
TRUCKS = ["The delivery truck is parked outside gate seven.", "Unload the pallets from the truck onto the dock.", "Sign the delivery note for the driver."]


def clip(c, index, start_s, colour, text, cuts=(), lines=()):
    p = bs.perception(bs.window(index, start_s, colour, cuts=cuts), speech=[bs.seg(start_s + 1, text)],
                      lines=[bs.ocr(start_s + 2, t) for t in lines])
    ep, vis = build_clip_nodes(p, c)
    return ep, vis, p.window


def run(c, clips, **kw):
    """Feed clips; return (batches returned per call, latest copy of every node by id)."""
    h = HierarchyBuilder(c, **kw)
    batches, final = [], {}
    for ep, vis, w in clips:
        batches.append(h.add_clip(ep, w, companions=[vis]))
    batches.append(h.close())
    for b in batches:
        for n in b:
            final[n.id] = n
    return batches, final


def of(final, level, kind=Kind.EPISODIC):
    return sorted((n for n in final.values() if n.level is level and n.kind is kind), key=lambda n: n.start)


def test_scene_breaks_at_a_cut_between_different_content():
    c = bs.ctx()
    clips = [clip(c, i, 10.0 * i, "orange", KITCHEN[i]) for i in range(3)]
    clips += [clip(c, 3, 30.0, "blue", TRUCKS[0], cuts=[30.4])] + [clip(c, 3 + i, 30.0 + 10 * i, "blue", TRUCKS[i]) for i in (1, 2)]
    _, final = run(c, clips)
    scenes = of(final, Level.SCENE)
    assert [(s.attributes["first_clip_index"], s.attributes["last_clip_index"]) for s in scenes] == [(0, 2), (3, 5)]
    assert scenes[0].attributes["boundary"] == "cut"
    assert "onions" in scenes[0].text and "truck" in scenes[1].text


def test_a_late_cut_puts_the_next_clip_in_the_new_scene():
    c = bs.ctx()
    clips = [clip(c, 0, 0.0, "orange", KITCHEN[0]), clip(c, 1, 10.0, "orange", KITCHEN[1], cuts=[18.5]),
             clip(c, 2, 20.0, "blue", TRUCKS[0]), clip(c, 3, 30.0, "blue", TRUCKS[1])]
    _, final = run(c, clips)
    assert [(s.attributes["first_clip_index"], s.attributes["last_clip_index"]) for s in of(final, Level.SCENE)] == [(0, 1), (2, 3)]


def test_no_break_inside_continuous_content():
    c = bs.ctx()
    clips = [clip(c, 0, 0.0, "orange", KITCHEN[0]),
             clip(c, 1, 10.0, "orange", KITCHEN[1], cuts=[10.2]),  # a cut between two angles of the same kitchen
             clip(c, 2, 20.0, "blue", TRUCKS[0])]  # different content but no cut: a pan, not a new shot
    _, final = run(c, clips)
    scenes = of(final, Level.SCENE)
    assert len(scenes) == 1 and scenes[0].attributes["clip_count"] == 3 and scenes[0].attributes["boundary"] == "end"


def test_a_cut_needs_both_meaning_and_colour_to_change():
    c = bs.ctx()
    kitchen = [clip(c, 0, 0.0, "orange", KITCHEN[0]), clip(c, 1, 10.0, "orange", KITCHEN[1])]
    # same room and light, talk turns to the delivery: the colours hold the scene together
    _, final = run(c, kitchen + [clip(c, 2, 20.0, "orange", TRUCKS[0], cuts=[20.3])])
    assert len(of(final, Level.SCENE)) == 1
    # the light changes at a cut but the cooking talk goes on: the meaning holds it together
    _, final = run(c, kitchen + [clip(c, 2, 20.0, "blue", KITCHEN[1], cuts=[20.3])])
    assert len(of(final, Level.SCENE)) == 1
    # both change at the cut: a new scene
    _, final = run(c, kitchen + [clip(c, 2, 20.0, "blue", TRUCKS[0], cuts=[20.3])])
    assert len(of(final, Level.SCENE)) == 2


def test_scene_length_is_bounded():
    c = bs.ctx(scene_max_seconds=30.0)
    clips = [clip(c, i, 10.0 * i, "orange", KITCHEN[i % 3]) for i in range(7)]
    _, final = run(c, clips)
    scenes = of(final, Level.SCENE)
    assert [s.attributes["clip_count"] for s in scenes] == [3, 3, 1]
    assert all(s.duration_s <= 30.0 for s in scenes) and scenes[0].attributes["boundary"] == "max_length"


def test_events_split_on_a_ten_minute_gap_not_on_a_short_one():
    c = bs.ctx()
    clips = [clip(c, 0, 0.0, "orange", KITCHEN[0]), clip(c, 1, 10.0, "orange", KITCHEN[1]),
             clip(c, 2, 80.0, "orange", KITCHEN[0]),  # 60 s of missing footage: new scene, same event
             clip(c, 3, 690.0, "orange", KITCHEN[1]), clip(c, 4, 700.0, "orange", KITCHEN[0])]  # 10 min gap
    _, final = run(c, clips)
    assert len(of(final, Level.SCENE)) == 3
    events = of(final, Level.EVENT)
    assert [(e.attributes["first_clip_index"], e.attributes["last_clip_index"]) for e in events] == [(0, 2), (3, 4)]
    assert events[0].attributes["boundary"] == "gap" and events[0].attributes["child_count"] == 2


def test_story_splits_at_the_hour_boundary():
    start = bs.T0 + timedelta(minutes=59, seconds=30)  # 08:59:30
    c = bs.ctx(start=start)
    clips = [clip(c, i, 10.0 * i, "orange", KITCHEN[i % 3]) for i in range(6)]
    _, final = run(c, clips)
    stories = of(final, Level.STORY)
    assert [s.attributes["bucket"] for s in stories] == ["2026-11-16T08:00:00+00:00", "2026-11-16T09:00:00+00:00"]
    assert [s.attributes["clip_count"] for s in stories] == [3, 3]
    assert stories[0].end <= bs.T0 + timedelta(hours=1) <= stories[1].start
    assert stories[0].attributes["boundary"] == "story_span"
    # one story per file when asked
    c2 = bs.ctx(start=start, story_span="file")
    _, final2 = run(c2, [clip(c2, i, 10.0 * i, "orange", KITCHEN[i % 3]) for i in range(6)])
    assert len(of(final2, Level.STORY)) == 1


def test_incremental_emission_parents_children_and_summary_vectors():
    c = bs.ctx()
    clips = [clip(c, 0, 0.0, "orange", KITCHEN[0], lines=["PASTA NIGHT"]), clip(c, 1, 10.0, "orange", KITCHEN[1]),
             clip(c, 2, 20.0, "blue", TRUCKS[0], cuts=[20.1]), clip(c, 3, 30.0, "blue", TRUCKS[1])]
    batches, final = run(c, clips)
    # every clip is written at once, before its scene exists
    first = batches[0]
    assert [n.id for n in first] == [clips[0][0].id, clips[0][1].id]
    # the scene of clips 0-1 is emitted when clip 2 arrives, with its children re-parented
    scene1 = next(n for n in batches[2] if n.level is Level.SCENE)
    assert {n.id for n in batches[2] if n.parent_id == scene1.id} >= {clips[0][0].id, clips[1][0].id, clips[0][1].id}
    # final state: a complete tree
    by_level = {lv: of(final, lv) for lv in Level}
    assert all(n.parent_id in final for lv in (Level.CLIP, Level.SCENE, Level.EVENT) for n in by_level[lv])
    assert all(n.parent_id in final for n in final.values() if n.kind is Kind.VISUAL)
    assert [s.parent_id for s in by_level[Level.STORY]] == [None]
    for n in [*by_level[Level.SCENE], *by_level[Level.EVENT], *by_level[Level.STORY]]:
        np.testing.assert_allclose(n.vector, bs.embedder().embed([n.text])[0], atol=1e-5)  # embeds the summary
        assert n.provenance["summariser"] == "extractive-v1" and n.media_file_id == c.media.id
    s1 = by_level[Level.SCENE][0]
    assert "On screen: PASTA NIGHT" in s1.text and s1.attributes["ocr"] == ["PASTA NIGHT"]
    assert s1.start == clips[0][0].start and s1.end == clips[1][0].end and s1.media_end_s == 20.0


def test_building_twice_gives_identical_ids_parents_and_text():
    def build():
        c = bs.ctx()
        clips = [clip(c, i, 10.0 * i, "orange" if i < 2 else "blue", (KITCHEN + TRUCKS)[i], cuts=[20.2] if i == 2 else ())
                 for i in range(4)]
        _, final = run(c, clips)
        return sorted((n.id, n.parent_id, n.level.value, n.text) for n in final.values())

    a, b = build(), build()
    assert a == b and len(a) > 8
