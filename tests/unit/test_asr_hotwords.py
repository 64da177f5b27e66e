"""Hotwords and number normalisation around ASR: names from the source's entity memory (real
SQLite repository), per-call hotwords through the perceiver and the stream's ContextASR, the
processor refreshing them after consolidation, and normalised text with the raw transcript kept
through perception, the distributed codec and the clip memory."""

from __future__ import annotations

import numpy as np

from api_schemas import EntityKind
from ingest_workers.hotwords import source_hotwords
from ingest_workers.perceive import Perceiver
from ingest_workers.perception_codec import decode_perceptions, encode_perceptions
from ingest_workers.stream_asr import ContextASR
from memory_core.building.clips import build_clip_nodes
from memory_core.domain import ClipWindow, Entity, SpeechSegment, Word
from memory_core.settings import Settings
from tests.unit import building_support as bs

SR = 16_000


class RecordingASR:
    """An ASR provider that returns one fixed sentence (with word times) and records its calls."""

    name = "recording"
    version = "recording@1"

    def __init__(self, text: str = "The new code is four seven one nine.") -> None:
        self.text = text
        self.calls: list[dict] = []

    def transcribe(self, audio, offset_s=0.0, **kw):
        self.calls.append(kw)
        toks = self.text.split()
        words = [Word(offset_s + 0.5 + i * 0.4, offset_s + 0.8 + i * 0.4, t) for i, t in enumerate(toks)]
        return [SpeechSegment(words[0].start_s, words[-1].end_s, self.text, words=words)]


class Providers:
    def __init__(self, asr) -> None:
        self._asr = asr

    def asr(self):
        return self._asr

    def __getattr__(self, role):  # every other model off
        return lambda: None


def _window(i: int = 0) -> ClipWindow:
    return ClipWindow(index=i, media_start_s=10.0 * i, media_end_s=10.0 * (i + 1), audio=np.full(10 * SR, 0.01, np.float32),
                      has_video=False)


def _entity(eid: str, kind: EntityKind, label: str, name: str | None = None, count: int = 1, source: str = bs.SOURCE) -> Entity:
    return Entity(id=eid, tenant=bs.TENANT, source=source, kind=kind, label=label, name=name, count=count)


def test_source_hotwords_are_names_not_labels(tmp_path) -> None:
    repo = bs.repo(tmp_path)
    repo.ensure_source(bs.TENANT, "other")
    for e in [
        _entity("n1", EntityKind.NAME, "Priya", count=9),
        _entity("v1", EntityKind.VOICE, "speaker 1", count=20),  # an unnamed voice: its label is no name
        _entity("v2", EntityKind.VOICE, "speaker 2", name="Tom Baker", count=5),  # named by a person
        _entity("f1", EntityKind.FACE, "person 1", name="priya", count=4),  # same name, other case
        _entity("t1", EntityKind.TEXT, "GATE 7 OPEN", count=30),  # on-screen text is not a name
        _entity("n2", EntityKind.NAME, "Oskar", count=2),
        _entity("n3", EntityKind.NAME, "Someone from the other source", source="other", count=50),
    ]:
        repo.upsert_entity(e)
    assert source_hotwords(repo, bs.TENANT, bs.SOURCE, 24) == ["Priya", "Tom Baker", "Oskar"]  # most frequent first
    assert source_hotwords(repo, bs.TENANT, bs.SOURCE, 2) == ["Priya", "Tom Baker"]
    assert source_hotwords(repo, bs.TENANT, bs.SOURCE, 0) == []
    assert source_hotwords(repo, "another-tenant", bs.SOURCE, 24) == []


def test_source_hotwords_survive_a_failing_repository() -> None:
    class Broken:
        def list_entities(self, *a, **kw):
            raise RuntimeError("database is locked")

    assert source_hotwords(Broken(), "t", "s", 24) == []


def test_perceiver_passes_hotwords_per_call_and_normalises_numbers() -> None:
    asr = RecordingASR()
    perceiver = Perceiver(Providers(asr), Settings())
    (p,) = perceiver.perceive([_window()], hotwords=["Priya", "Tom Baker"])
    assert asr.calls[-1] == {"hotwords": ["Priya", "Tom Baker"]}
    (seg,) = p.speech
    assert seg.text == "The new code is 4719."
    assert seg.raw_text == "The new code is four seven one nine."
    assert [w.text for w in seg.words][-4:] == ["four", "seven", "one", "nine."]  # word tokens keep their times
    perceiver.perceive([_window()])
    assert asr.calls[-1] == {}  # no names: providers without a hotwords argument keep working


def test_normalisation_can_be_turned_off_and_leaves_plain_text_alone() -> None:
    off = Perceiver(Providers(RecordingASR()), Settings(ingest={"normalise_numbers": False}))
    (p,) = off.perceive([_window()])
    assert p.speech[0].text == "The new code is four seven one nine." and p.speech[0].raw_text is None
    plain = Perceiver(Providers(RecordingASR("One of them said a second time that I won.")), Settings())
    (q,) = plain.perceive([_window()])
    assert q.speech[0].text == "One of them said a second time that I won." and q.speech[0].raw_text is None


def test_context_asr_forwards_hotwords() -> None:
    inner = RecordingASR()
    ctx = ContextASR(inner)
    ctx.transcribe(np.full(10 * SR, 0.01, np.float32), 0.0, hotwords=["Priya"])
    ctx.transcribe(np.full(10 * SR, 0.01, np.float32), 10.0)
    assert inner.calls == [{"hotwords": ["Priya"]}, {}]


def test_raw_transcript_travels_through_codec_and_into_clip_memory() -> None:
    (p,) = Perceiver(Providers(RecordingASR()), Settings()).perceive([_window()])
    (q,) = decode_perceptions(encode_perceptions([p]))
    assert (q.speech[0].text, q.speech[0].raw_text) == (p.speech[0].text, p.speech[0].raw_text)
    episodic = build_clip_nodes(q, bs.ctx())[0]
    assert "4719" in episodic.text and "four seven" not in episodic.text
    assert episodic.attributes["transcript"] == "The new code is 4719."
    assert episodic.attributes["transcript_raw"] == "The new code is four seven one nine."
    assert episodic.attributes["speakers"][0]["raw_text"] == "The new code is four seven one nine."


def test_processor_hands_known_names_to_asr_and_refreshes_them(tmp_path) -> None:
    from datetime import datetime, timezone

    from ingest_workers.processor import ClipProcessor
    from memory_core.runtime import Runtime

    settings = Settings(home=tmp_path, models={"asr": "none", "faces": "none", "voices": "none", "ocr": "none"})
    rt = Runtime.open(settings)
    try:
        rt.repo.ensure_tenant("default")
        rt.repo.ensure_source("default", "cam")
        rt.repo.upsert_entity(Entity(id="n1", tenant="default", source="cam", kind=EntityKind.NAME, label="Priya", count=3))
        media = bs.media(source="cam")
        asr = RecordingASR()
        proc = ClipProcessor(rt, "default", "cam", media)
        proc.perceiver.asr = asr
        assert proc.hotwords == ["Priya"]
        proc.process([_window(0)])
        assert asr.calls[-1] == {"hotwords": ["Priya"]}
        rt.repo.upsert_entity(Entity(id="n2", tenant="default", source="cam", kind=EntityKind.NAME, label="Oskar", count=1,
                                     last_seen=datetime(2026, 1, 1, tzinfo=timezone.utc)))
        proc.checkpoint()  # a consolidation reads the source's names again
        assert proc.hotwords == ["Priya", "Oskar"]
        proc.process([_window(1)])
        assert asr.calls[-1] == {"hotwords": ["Priya", "Oskar"]}
    finally:
        rt.close()
