"""Clip memories: the episodic text carries who said what, on-screen text, people and an honest
colour descriptor; the visual node carries keyframes; silent clips still get a node."""

from __future__ import annotations

import numpy as np

from api_schemas import Kind, Level
from memory_core.building.clip_text import colour_stats, normalise_text
from memory_core.building.clips import build_clip_nodes, clip_node_id
from memory_core.building.entities import EntityResolver
from memory_core.domain import Keyframe

import building_support as bs


def _resolve(c, p, resolver=None):
    resolver = resolver or EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    w = p.window
    return resolver.resolve(p, clip_node_id(c, w.index), c.wall(w.media_start_s), c.wall(w.media_end_s), c.wall), resolver


def test_episodic_text_names_speakers_screen_text_people_and_colours():
    c = bs.ctx()
    rng = np.random.default_rng(1)
    alice_voice, bob_voice, face = bs.unit(rng, 256), bs.unit(rng, 256), bs.person(rng)
    p = bs.perception(
        bs.window(0, 0.0, "green"),
        speech=[bs.seg(0.5, "Hello, my name is Alice Parker.", alice_voice), bs.seg(4.0, "Nice to meet you.", bob_voice)],
        lines=[bs.ocr(2.0, "DELIVERY BAY 3"), bs.ocr(2.0, "GATE 7 OPEN"), bs.ocr(6.0, "gate 7  open"), bs.ocr(6.0, "x#", 0.2)],
        faces=[bs.face(1.0, face), bs.face(6.0, face)],
    )
    resolved, _ = _resolve(c, p)
    ep, vis = build_clip_nodes(p, c, resolved)

    assert ep.kind is Kind.EPISODIC and vis.kind is Kind.VISUAL and ep.level is Level.CLIP
    assert "Alice Parker said: 'Hello, my name is Alice Parker.'" in ep.text
    assert "An unidentified speaker (voice 2) said: 'Nice to meet you.'" in ep.text  # an unnamed voice, not "Speaker 2"
    assert "On screen: DELIVERY BAY 3 / GATE 7 OPEN." in ep.text  # duplicates (normalised) and junk dropped
    assert "People visible: Alice Parker." in ep.text  # the one face on screen during her introduction
    assert "Bright scene, mostly green." in ep.text or "Moderately lit scene, mostly green." in ep.text
    a = ep.attributes
    assert [s["label"] for s in a["speakers"]] == ["Alice Parker", "An unidentified speaker (voice 2)"]
    assert a["ocr"] == ["DELIVERY BAY 3", "GATE 7 OPEN"] and len(a["faces"]) == 1 and a["content"] is True
    assert a["transcript"] == "Hello, my name is Alice Parker. Nice to meet you."
    assert set(resolved.all_ids()) == set(ep.entity_ids)
    # spans, provenance, vectors
    assert ep.start == bs.T0 and (ep.end - ep.start).total_seconds() == 10.0 and ep.media_file_id == c.media.id
    assert ep.provenance["asr"].startswith("faster-whisper") and ep.provenance["text_embedder"].startswith("sentence-transformers")
    for n in (ep, vis):
        assert n.vector.dtype == np.float32 and abs(float(np.linalg.norm(n.vector)) - 1) < 1e-5
    np.testing.assert_allclose(ep.vector, bs.embedder().embed([ep.text])[0], atol=1e-5)
    assert "GATE 7 OPEN" in vis.text and "said" not in vis.text


def test_silent_empty_clip_still_gets_an_honest_node():
    c = bs.ctx()
    p = bs.perception(bs.window(3, 30.0, "dark_blue"))
    nodes = build_clip_nodes(p, c, None)
    assert [n.kind for n in nodes] == [Kind.EPISODIC, Kind.VISUAL]
    assert nodes[0].text == "No speech. Dark scene, mostly blue."
    assert nodes[0].attributes["content"] is False
    assert nodes[0].id == clip_node_id(c, 3) != nodes[1].id == clip_node_id(c, 3, Kind.VISUAL)
    audio_only = build_clip_nodes(bs.perception(bs.window(4, 40.0, None, has_audio=True), speech=[bs.seg(41, "Anyone there?")]), c)
    assert len(audio_only) == 1 and audio_only[0].text == "Someone said: 'Anyone there?'"


def test_visual_node_keeps_keyframes_and_mean_image_vector():
    c = bs.ctx()
    rng = np.random.default_rng(2)
    v1, v2 = bs.unit(rng, 64), bs.unit(rng, 64)
    p = bs.perception(bs.window(0, 0.0, "orange"), caption="A forklift crosses the yard")
    p.keyframes = [Keyframe(t_s=1.0, jpeg=b"", width=48, height=36, image_vector=v1, path="k/0.jpg"),
                   Keyframe(t_s=6.0, jpeg=b"", width=48, height=36, image_vector=v2, path="k/1.jpg")]
    ep, vis = build_clip_nodes(p, c)
    assert vis.keyframe_paths == ["k/0.jpg", "k/1.jpg"] and vis.attributes["keyframe_times"] == [1.0, 6.0]
    expected = (v1 + v2) / np.linalg.norm(v1 + v2)
    np.testing.assert_allclose(vis.image_vector, expected, atol=1e-6)
    assert "A forklift crosses the yard." in ep.text and "A forklift crosses the yard." in vis.text
    assert vis.attributes["colour"]["dominant"] == ["orange"]


def test_colour_descriptor_is_honest():
    assert colour_stats([bs.frame("dark_blue")]).descriptor() == "Dark scene, mostly blue."
    assert colour_stats([bs.frame("grey")]).dominant == ["grey"]
    a, b = colour_stats([bs.frame("orange")]), colour_stats([bs.frame("blue")])
    same = colour_stats([bs.frame("orange", seed=5)])
    assert float(a.hist @ same.hist) > 0.95 and float(a.hist @ b.hist) < 0.2
    assert colour_stats([]) is None
    assert normalise_text("  Gate  7 OPEN! ") == "gate 7 open"


def test_building_twice_gives_identical_ids_and_text():
    def build():
        c = bs.ctx()
        p = bs.perception(bs.window(7, 70.0, "blue"), speech=[bs.seg(71, "The door is open.")], lines=[bs.ocr(72, "EXIT")])
        return [(n.id, n.text) for n in build_clip_nodes(p, c)]

    assert build() == build()
