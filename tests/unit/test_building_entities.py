"""Entity memory: faces and voices clustered incrementally with no silent merges, names from
self-introductions, audio-visual links, on-screen text timelines, idempotent re-ingest.

Synthetic descriptors exercise the clustering rules exactly (they are the input type, built at
known distances); the last tests use real dlib descriptors and resemblyzer embeddings from
tests/data/sample.mp4 when the sample and the providers are available.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from api_schemas import EntityKind, Kind, Level
from memory_core import ids
from memory_core.building.clips import build_clip_nodes, clip_node_id
from memory_core.building.entities import EntityResolver
from memory_core.domain import Entity

import building_support as bs


def resolve_all(resolver, c, perceptions):
    out = []
    for p in perceptions:
        w = p.window
        out.append(resolver.resolve(p, clip_node_id(c, w.index), c.wall(w.media_start_s), c.wall(w.media_end_s), c.wall))
    return out


def kinds(resolver, kind):
    return [e for e in resolver.touched() if e.kind is kind]


def test_same_person_across_clips_is_one_entity_with_a_timeline(tmp_path):
    rng = np.random.default_rng(10)
    a = bs.person(rng)
    c, repo = bs.ctx(), bs.repo(tmp_path)
    r = EntityResolver(repo, bs.TENANT, bs.SOURCE, c.settings)
    ps = [bs.perception(bs.window(i, 10.0 * i), faces=[bs.face(10.0 * i + 1, bs.near(a, rng, 0.15)),
                                                       bs.face(10.0 * i + 6, bs.near(a, rng, 0.15))]) for i in range(3)]
    res = resolve_all(r, c, ps)
    faces = kinds(r, EntityKind.FACE)
    assert len(faces) == 1 and faces[0].label == "Person 1" and faces[0].count == 6
    assert {i for x in res for i in x.face_ids} == {faces[0].id}
    assert float(np.linalg.norm(faces[0].centroid - a)) < 0.15  # the mean converges on the person
    r.flush()
    apps = repo.appearances(bs.TENANT, faces[0].id)
    assert [x.node_id for x in apps] == [clip_node_id(c, i) for i in range(3)]
    assert apps[0].media_start_s == 1.0 and apps[0].media_end_s == 6.0 and apps[0].start == c.wall(1.0)


def test_two_close_people_are_never_merged_but_flagged_for_a_person():
    rng = np.random.default_rng(11)
    a = bs.person(rng)
    b = bs.near(a, rng, 0.56)  # closer than dlib's 0.6 same-person threshold, farther than our 0.5
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    ps = [bs.perception(bs.window(0, 0.0), faces=[bs.face(1, bs.near(a, rng, 0.05))]),
          bs.perception(bs.window(1, 10.0), faces=[bs.face(11, bs.near(a, rng, 0.05))]),
          bs.perception(bs.window(2, 20.0), faces=[bs.face(21, bs.near(b, rng, 0.03))]),
          bs.perception(bs.window(3, 30.0), faces=[bs.face(31, bs.near(b, rng, 0.03))])]
    res = resolve_all(r, c, ps)
    ea, eb = (r.entity(res[0].face_ids[0]), r.entity(res[2].face_ids[0]))
    assert ea.id != eb.id and res[3].face_ids[0] == eb.id and res[1].face_ids[0] == ea.id
    assert ea.possible_duplicates == [eb.id] and eb.possible_duplicates == [ea.id]
    assert (ea.label, eb.label) == ("Person 1", "Person 2")
    far = bs.person(rng)
    (x,) = resolve_all(r, c, [bs.perception(bs.window(4, 40.0), faces=[bs.face(41, far)])])
    assert r.entity(x.face_ids[0]).possible_duplicates == []  # a stranger is no candidate


def test_faces_in_one_frame_cannot_be_the_same_entity():
    rng = np.random.default_rng(12)
    t1 = bs.person(rng)
    t2 = bs.near(t1, rng, 0.3)  # twins: as close as one person's own photos
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    (first, second, single) = resolve_all(r, c, [
        bs.perception(bs.window(0, 0.0), faces=[bs.face(2.0, t1), bs.face(2.0, t2, box=(100, 10, 150, 60))]),
        bs.perception(bs.window(1, 10.0), faces=[bs.face(12.0, bs.near(t2, rng, 0.05)), bs.face(12.0, bs.near(t1, rng, 0.05))]),
        bs.perception(bs.window(2, 20.0), faces=[bs.face(22.0, bs.near(t1, rng, 0.04))]),
    ])
    e1, e2 = first.face_ids
    assert e1 != e2 and second.face_ids == [e2, e1] and single.face_ids == [e1]
    assert e2 in r.entity(e1).attributes["cannot_link"] and e1 in r.entity(e2).attributes["cannot_link"]
    assert r.entity(e1).possible_duplicates == [] and r.entity(e2).possible_duplicates == []


def test_a_second_face_in_the_frame_does_not_join_the_entity_the_first_took():
    rng = np.random.default_rng(18)
    p = bs.person(rng)
    q = bs.near(p, rng, 0.3)  # within the match distance of p's entity, but seen beside p
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    alone, together = resolve_all(r, c, [
        bs.perception(bs.window(0, 0.0), faces=[bs.face(1.0, p)]),
        bs.perception(bs.window(1, 10.0), faces=[bs.face(11.0, q, box=(90, 5, 140, 55)), bs.face(11.0, bs.near(p, rng, 0.02))]),
    ])
    assert together.face_ids[1] == alone.face_ids[0] and together.face_ids[0] != alone.face_ids[0]


def test_a_face_must_be_near_an_exemplar_not_only_the_centroid(tmp_path):
    """After a person merged two clusters, the centroid lies between exemplars; a face close to
    that empty middle is nobody seen yet."""
    rng = np.random.default_rng(19)
    centre, u, w = bs.person(rng), bs.unit(rng, 128), bs.unit(rng, 128)
    w = (w - (w @ u) * u) / np.linalg.norm(w - (w @ u) * u)
    repo, c = bs.repo(tmp_path), bs.ctx()
    merged = Entity(id=ids.entity_id(bs.TENANT, bs.SOURCE, "face", "merged"), tenant=bs.TENANT, source=bs.SOURCE, kind=EntityKind.FACE,
                    label="Person 1", centroid=centre, exemplars=[centre + 0.45 * u, centre - 0.45 * u], count=2,
                    first_seen=bs.T0, last_seen=bs.T0)
    repo.upsert_entity(merged)
    r = EntityResolver(repo, bs.TENANT, bs.SOURCE, c.settings)
    middle, by_exemplar = resolve_all(r, c, [
        bs.perception(bs.window(0, 0.0), faces=[bs.face(1.0, centre + 0.45 * w)]),  # 0.45 from centre, 0.64 from both exemplars
        bs.perception(bs.window(1, 10.0), faces=[bs.face(11.0, centre + 0.45 * u + 0.1 * w)]),
    ])
    assert middle.face_ids[0] != merged.id and by_exemplar.face_ids[0] == merged.id
    assert r.entity(middle.face_ids[0]).label == "Person 2"


def test_voices_join_at_084_and_near_misses_become_possible_duplicates():
    rng = np.random.default_rng(13)
    v = bs.unit(rng, 256)
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)

    def say(i, x):
        (res,) = resolve_all(r, c, [bs.perception(bs.window(i, 10.0 * i), speech=[bs.seg(10.0 * i + 1, "Okay.", x)])])
        return res.speaker_ids[0]

    first, same, other = say(0, v), say(1, bs.voice_like(v, rng, 0.92)), say(2, bs.voice_like(v, rng, 0.70))
    centroid = r.entity(first).centroid
    assert abs(float(np.linalg.norm(centroid)) - 1) < 1e-5
    near_miss = say(3, bs.voice_like(centroid, rng, 0.82))  # between 0.80 and 0.84 of the centroid
    joins = say(4, bs.voice_like(r.entity(first).centroid, rng, 0.86))
    assert first == same == joins and len({first, other, near_miss}) == 3
    assert [r.entity(i).label for i in (first, other, near_miss)] == ["Voice 1", "Voice 2", "Voice 3"]
    assert r.entity(near_miss).possible_duplicates == [first] and r.entity(first).possible_duplicates == [near_miss]
    assert r.entity(other).possible_duplicates == []


def test_self_introduction_names_the_speaker_and_mentions_make_name_entities():
    rng = np.random.default_rng(14)
    v = bs.unit(rng, 256)
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings, nlp=bs.nlp())  # "Bob" is a PERSON by NER
    res = resolve_all(r, c, [
        bs.perception(bs.window(0, 0.0), speech=[bs.seg(1, "Good morning everyone.", v)]),
        bs.perception(bs.window(1, 10.0), speech=[bs.seg(11, "By the way, my name is Alice Parker.", bs.voice_like(v, rng, 0.95))]),
        bs.perception(bs.window(2, 20.0), speech=[bs.seg(21, "Please ask Bob about the keys. I am sure he knows.", bs.voice_like(v, rng, 0.95))]),
    ])
    voice = r.entity(res[0].speaker_ids[0])
    assert voice.name == "Alice Parker" and res[1].labels[voice.id] == "Alice Parker"
    (alice_name,) = [r.entity(i) for i in res[1].name_ids]
    assert alice_name.kind is EntityKind.NAME and alice_name.id in voice.linked_ids and voice.id in alice_name.linked_ids
    (bob,) = [r.entity(i) for i in res[2].name_ids]
    assert bob.name == "Bob" and bob.linked_ids == [] and voice.name == "Alice Parker"  # a mention names nobody
    names = {e.name for e in kinds(r, EntityKind.NAME)}
    assert names == {"Alice Parker", "Bob"}  # "I am sure" is not a name


def test_an_introduction_cut_by_the_clip_boundary_is_read_whole():
    rng = np.random.default_rng(20)
    v, other = bs.unit(rng, 256), bs.unit(rng, 256)
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    res = resolve_all(r, c, [
        bs.perception(bs.window(0, 0.0), speech=[bs.seg(7.0, "Hello, my name is Alice", v, dur=2.9)]),
        bs.perception(bs.window(1, 10.0), speech=[bs.seg(10.1, "Parker. I run the warehouse.", bs.voice_like(v, rng, 0.95))]),
        bs.perception(bs.window(2, 20.0), speech=[bs.seg(28.0, "Hi, I'm Bob", other, dur=1.9)]),
        bs.perception(bs.window(3, 30.0), speech=[bs.seg(30.0, "Stone is here.", v)]),  # another voice goes on
    ])
    assert r.entity(res[0].speaker_ids[0]).name == "Alice Parker" and res[1].labels[res[1].speaker_ids[0]] == "Alice Parker"
    assert r.entity(res[2].speaker_ids[0]).name == "Bob"
    assert {e.name for e in kinds(r, EntityKind.NAME)} == {"Alice", "Alice Parker", "Bob"}


def test_face_and_named_voice_are_linked_by_introduction_or_repeated_cooccurrence():
    rng = np.random.default_rng(15)
    alice_v, bob_v = bs.unit(rng, 256), bs.unit(rng, 256)
    alice_f, bob_f, other_f = bs.person(rng), bs.person(rng), bs.person(rng)
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    res = resolve_all(r, c, [
        # Bob introduces himself while only his face is on screen: linked at once
        bs.perception(bs.window(0, 0.0), speech=[bs.seg(1, "Hi, I'm Bob Stone.", bob_v)], faces=[bs.face(2, bob_f)]),
        # Alice introduces herself off screen; then speaks twice while only her face is visible
        bs.perception(bs.window(1, 10.0), speech=[bs.seg(11, "My name is Alice Parker.", alice_v)]),
        bs.perception(bs.window(2, 20.0), speech=[bs.seg(21, "The dock is clear.", alice_v)], faces=[bs.face(22, alice_f)]),
        # two faces while she speaks: ambiguous, not counted
        bs.perception(bs.window(3, 30.0), speech=[bs.seg(31, "Thanks.", alice_v)], faces=[bs.face(32, alice_f), bs.face(32, other_f, box=(90, 5, 140, 55))]),
    ])
    bob_face, alice_voice = r.entity(res[0].face_ids[0]), r.entity(res[1].speaker_ids[0])
    alice_face = r.entity(res[2].face_ids[0])
    assert bob_face.name == "Bob Stone" and res[0].speaker_ids[0] in bob_face.linked_ids
    assert alice_face.name is None and alice_face.id not in alice_voice.linked_ids  # one co-occurrence is not enough
    (more,) = resolve_all(r, c, [bs.perception(bs.window(4, 40.0), speech=[bs.seg(41, "Gate seven is open.", alice_v)],
                                               faces=[bs.face(42, bs.near(alice_f, rng, 0.05))])])
    assert more.face_ids[0] == alice_face.id and alice_face.name == "Alice Parker"
    assert alice_face.id in alice_voice.linked_ids and alice_voice.id in alice_face.linked_ids
    assert more.labels[alice_face.id] == "Alice Parker"
    assert len(kinds(r, EntityKind.FACE)) == 3 and len(kinds(r, EntityKind.VOICE)) == 2  # linked, never merged


def test_on_screen_text_entity_with_timeline(tmp_path):
    c, repo = bs.ctx(), bs.repo(tmp_path)
    r = EntityResolver(repo, bs.TENANT, bs.SOURCE, c.settings)
    res = resolve_all(r, c, [
        bs.perception(bs.window(0, 0.0), lines=[bs.ocr(3, "GATE 7 OPEN"), bs.ocr(3, "DELIVERY BAY 3")]),
        bs.perception(bs.window(1, 10.0), lines=[bs.ocr(14, "xy")]),
        bs.perception(bs.window(2, 20.0), lines=[bs.ocr(25, "Gate 7  open!")]),
    ])
    assert res[0].text_ids[0] == res[2].text_ids[0] and res[1].text_ids == [None]
    r.flush()
    gate = repo.get_entity(bs.TENANT, res[0].text_ids[0])
    assert gate.kind is EntityKind.TEXT and gate.label == "GATE 7 OPEN" and gate.attributes["clips"] == 2
    apps = repo.appearances(bs.TENANT, gate.id)
    assert [(a.media_start_s, a.node_id) for a in apps] == [(3.0, clip_node_id(c, 0)), (25.0, clip_node_id(c, 2))]
    assert gate.first_seen == c.wall(3.0) and gate.last_seen == c.wall(25.0)


def test_reingest_is_idempotent_and_a_new_file_extends_the_same_entities(tmp_path):
    rng = np.random.default_rng(16)
    a, v = bs.person(rng), bs.unit(rng, 256)
    obs = [bs.near(a, rng, 0.1) for _ in range(3)]
    repo = bs.repo(tmp_path)

    def ingest(fingerprint, start):
        c = bs.ctx(start=start, fingerprint=fingerprint)
        r = EntityResolver(repo, bs.TENANT, bs.SOURCE, c.settings)
        res = resolve_all(r, c, [bs.perception(bs.window(i, 10.0 * i), faces=[bs.face(10.0 * i + 1, obs[i])],
                                               speech=[bs.seg(10.0 * i + 2, "Hello.", v)], lines=[bs.ocr(10.0 * i, "EXIT")]) for i in range(3)])
        r.flush()
        return res, c

    first, c1 = ingest("file-a", bs.T0)
    snap = {e.id: (e.count, e.attributes.get("clips"), e.label) for e in repo.list_entities(bs.TENANT, source=bs.SOURCE)}
    again, _ = ingest("file-a", bs.T0)
    assert [x.all_ids() for x in again] == [x.all_ids() for x in first]
    assert {e.id: (e.count, e.attributes.get("clips"), e.label) for e in repo.list_entities(bs.TENANT, source=bs.SOURCE)} == snap
    face_id = first[0].face_ids[0]
    assert len(repo.appearances(bs.TENANT, face_id)) == 3
    later, _ = ingest("file-b", bs.T0 + bs.hours(24))
    assert later[0].face_ids[0] == face_id and later[0].speaker_ids[0] == first[0].speaker_ids[0]
    face = repo.get_entity(bs.TENANT, face_id)
    assert face.count == 6 and face.attributes["clips"] == 6 and len(repo.appearances(bs.TENANT, face_id)) == 6
    assert face.first_seen == bs.T0 + bs.timedelta(seconds=1) and face.last_seen > bs.T0 + bs.hours(24)
    # numbering continues per source in creation order
    c3 = bs.ctx(fingerprint="file-c")
    r3 = EntityResolver(repo, bs.TENANT, bs.SOURCE, c3.settings)
    (x,) = resolve_all(r3, c3, [bs.perception(bs.window(0, 0.0), faces=[bs.face(1, bs.person(rng))])])
    assert r3.entity(x.face_ids[0]).label == "Person 2"


def test_entity_nodes_are_searchable_memories():
    rng = np.random.default_rng(17)
    v, f = bs.unit(rng, 256), bs.person(rng)
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    resolve_all(r, c, [bs.perception(bs.window(0, 0.0), speech=[bs.seg(1, "Hello, my name is Alice Parker.", v)], faces=[bs.face(2, f)],
                                     lines=[bs.ocr(3, "GATE 7 OPEN")])])
    nodes = {n.attributes["entity_kind"]: n for n in r.entity_nodes(c)}
    voice = nodes["voice"]
    assert voice.kind is Kind.ENTITY and voice.level is Level.STORY and voice.parent_id is None
    assert voice.text.startswith("Alice Parker (voice 1, also face Person 1): heard in 1 clip between")
    assert "said: 'Hello, my name is Alice Parker.'" in voice.text
    assert nodes["text"].text.startswith("On-screen text 'GATE 7 OPEN': shown in 1 clip")
    assert abs(float(np.linalg.norm(voice.vector)) - 1) < 1e-5 and voice.start == c.wall(1.0)
    assert [n.id for n in r.entity_nodes(c)] == [n.id for n in nodes.values()]  # stable ids


# ---------------------------------------------------------------------- real descriptors
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE, MANIFEST = DATA / "sample.mp4", DATA / "sample_manifest.json"


def _decode(times, audio_spans):
    av = pytest.importorskip("av")
    frames, audio = {}, []
    with av.open(str(SAMPLE)) as ct:
        vs = ct.streams.video[0]
        for t in times:
            ct.seek(int(t / vs.time_base), stream=vs, backward=True)
            for fr in ct.decode(vs):
                if fr.time is not None and fr.time >= t - 1e-3:
                    frames[t] = fr.to_ndarray(format="rgb24")
                    break
    with av.open(str(SAMPLE)) as ct:
        rs = av.AudioResampler(format="flt", layout="mono", rate=16000)
        for fr in ct.decode(ct.streams.audio[0]):
            for out in rs.resample(fr):
                audio.append(out.to_ndarray().reshape(-1))
    pcm = np.concatenate(audio).astype(np.float32)
    return frames, [pcm[int(a * 16000):int(b * 16000)] for a, b in audio_spans]


@pytest.mark.skipif(not (SAMPLE.is_file() and MANIFEST.is_file()), reason="tests/data/sample.mp4 missing (tests/data/make_sample.py)")
def test_real_faces_and_voices_from_the_sample(tmp_path):
    from memory_core.providers import ProviderRegistry

    reg = ProviderRegistry(bs.Settings(home=tmp_path, models={"threads": 2}))
    try:
        faces, voices = reg.faces(), reg.voices()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"face/voice providers unavailable: {exc}")
    if faces is None or voices is None:
        pytest.skip("face/voice providers disabled")
    segs = {s["person"] if s["kind"] == "speech" else s["kind"]: s for s in json.loads(MANIFEST.read_text())["files"]["sample.mp4"]["segments"]}
    speech = [s for s in json.loads(MANIFEST.read_text())["files"]["sample.mp4"]["segments"] if s["speaker"] in ("voice1", "voice2")]
    frames, pcm = _decode([17.5, 19.5, 21.5], [(s["start_s"], s["end_s"]) for s in speech])
    assert segs["face"]["start_s"] <= 17.5
    c = bs.ctx()
    r = EntityResolver(None, bs.TENANT, bs.SOURCE, c.settings)
    perceptions = []
    for i, s in enumerate(speech):
        w = bs.window(i, s["start_s"] - 0.5, None, dur=s["end_s"] - s["start_s"] + 1.0)
        fs = [bs.face(t, d[1]) for t, rgb in frames.items() if s["start_s"] <= t <= s["end_s"] for d in faces.detect(rgb)]
        perceptions.append(bs.perception(w, speech=[bs.seg(s["start_s"], s["text"], voices.embed(pcm[i]), s["end_s"] - s["start_s"])], faces=fs))
    res = resolve_all(r, c, perceptions)
    by_person = {}
    for s, x in zip(speech, res):
        by_person.setdefault(s["person"], set()).add(x.speaker_ids[0])
    assert all(len(v) == 1 for v in by_person.values()) and len(set.union(*by_person.values())) == 2
    alice, bob = (r.entity(next(iter(by_person[p]))) for p in ("Alice Parker", "Bob Stone"))
    assert alice.name == "Alice Parker" and bob.name == "Bob Stone"
    face_ids = {i for x in res for i in x.face_ids}
    assert len(face_ids) == 1, "the carphone face in three frames is one person"
    face = r.entity(face_ids.pop())
    assert face.count >= 2 and face.name == "Bob Stone" and bob.id in face.linked_ids and alice.id not in face.linked_ids
    ep = build_clip_nodes(perceptions[1], c, res[1])[0]
    assert "Bob Stone said: 'I am Bob Stone." in ep.text and "People visible: Bob Stone." in ep.text
