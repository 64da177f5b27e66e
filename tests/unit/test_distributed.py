"""Distributed-ingest building blocks without a broker: the perception codec, the staging table,
the job lock, and the stages run one after the other in one process (same memories as the
in-process pipeline on real footage; idempotent when re-run; refused input fails the job)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from api_schemas import JobStatus
from ingest_workers.distributed import consolidate_job, perceive_segment, plan_job, request_job
from ingest_workers.perception_codec import CodecError, decode_perceptions, encode_perceptions
from ingest_workers.pipeline import ingest_file
from ingest_workers.reconcile import next_steps
from memory_core.building.clip_text import colour_stats
from memory_core.domain import (
    ClipPerception, ClipWindow, FaceObservation, Keyframe, OcrLine, SampledFrame, SpeechSegment, Word,
)
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from memory_core.stores.relational.locks import job_lock
from memory_core.stores.relational.repository import SqlRepository
from memory_core.stores.relational.staging import SegmentStaging, StagedSegment
from tests.e2e.conftest import DATA

START = datetime(2026, 11, 16, 8, 0, tzinfo=timezone.utc)


def _perception(rng) -> ClipPerception:
    frames = [SampledFrame(t_s=10.0 + i, rgb=rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)) for i in range(3)]
    w = ClipWindow(index=1, media_start_s=10.0, media_end_s=20.0, frames=frames, audio=np.ones(160_000, np.float32),
                   shot_boundaries=[14.5], frame_features=[rng.random(16, dtype=np.float32) for _ in frames])
    speech = [SpeechSegment(10.5, 12.0, "hello there", words=[Word(10.5, 11.0, "hello", 0.9), Word(11.1, 12.0, "there")],
                            avg_logprob=-0.3, speaker_vector=rng.random(256, dtype=np.float32))]
    return ClipPerception(
        window=w, speech=speech, ocr=[OcrLine(12.0, "EXIT", 0.93, (1, 2, 30, 40))],
        faces=[FaceObservation(13.0, (5, 6, 70, 80), rng.random(128).astype(np.float64), 0.8)],
        keyframes=[Keyframe(12.0, b"\xff\xd8jpeg", 320, 180, features=rng.random(16, dtype=np.float32))],
        caption="a door", provenance={"asr": "whisper@1"}, skipped=["ocr: slow"],
    )


def test_codec_round_trip_keeps_what_the_write_stage_reads():
    p = _perception(np.random.default_rng(0))
    data = encode_perceptions([p])
    (q,) = decode_perceptions(data)
    assert len(data) < 200_000  # the frames travel as colour samples, the audio not at all
    assert (q.window.index, q.window.media_start_s, q.window.media_end_s, q.window.shot_boundaries) == (1, 10.0, 20.0, [14.5])
    assert q.window.audio.size == 0 and q.window.has_audio
    assert [x.text for x in q.speech[0].words] == ["hello", "there"]
    np.testing.assert_array_equal(q.speech[0].speaker_vector, p.speech[0].speaker_vector)
    np.testing.assert_array_equal(q.faces[0].descriptor, p.faces[0].descriptor)
    assert q.faces[0].descriptor.dtype == np.float64 and q.faces[0].box == (5, 6, 70, 80)
    assert q.keyframes[0].jpeg == b"\xff\xd8jpeg" and q.ocr[0].box == (1, 2, 30, 40)
    assert (q.caption, q.provenance, q.skipped) == ("a door", {"asr": "whisper@1"}, ["ocr: slow"])
    before = colour_stats(f.rgb for f in p.window.frames)
    after = colour_stats(f.rgb for f in q.window.frames)
    assert before.to_dict() == after.to_dict()  # colour statistics read the very same pixels


@pytest.mark.parametrize("blob", [b"", b"not zlib", __import__("zlib").compress(b'{"v": 99, "clips": []}'),
                                  __import__("zlib").compress(b'{"v": 1, "clips": [{"window": 3}]}')])
def test_codec_refuses_foreign_bytes(blob):
    with pytest.raises(CodecError):
        decode_perceptions(blob)


def test_staging_is_an_upsert_per_segment_and_tenant_scoped(tmp_path):
    repo = SqlRepository(f"sqlite:///{tmp_path / 'db.sqlite'}")
    st = SegmentStaging(repo)
    st.put("t1", "j", StagedSegment(0, 0, 3, False, [], b"a"))
    st.put("t1", "j", StagedSegment(0, 0, 3, False, ["decode: x"], b"b"))  # a re-run replaces
    st.put("t1", "j", StagedSegment(1, 3, 2, True, [], b"c"))
    assert st.done("t1", "j") == {0, 1}
    assert [(g.segment, g.payload, g.errors) for g in st.load("t1", "j")] == [(0, b"b", ["decode: x"]), (1, b"c", [])]
    assert st.done("t2", "j") == set() and st.load("t2", "j") == []
    assert st.delete("t2", "j") == 0 and st.delete("t1", "j") == 2


def test_job_lock_is_exclusive_and_released(tmp_path):
    repo = SqlRepository(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with job_lock(repo, tmp_path, "write:j") as first:
        assert first
        with job_lock(repo, tmp_path, "write:j") as second:
            assert not second  # flock is per open file: a second holder is refused, even here
        with job_lock(repo, tmp_path, "write:k") as other:
            assert other
    with job_lock(repo, tmp_path, "write:j") as again:
        assert again


@pytest.mark.slow
def test_stages_in_one_process_give_the_pipeline_memories(tmp_path):
    def nodes(rt):
        return {(n.id, n.level.value, n.kind.value, n.text, n.parent_id) for n in rt.repo.list_nodes("default", source="x", limit=10_000)}

    embedded = Runtime.open(Settings(home=tmp_path / "a"))
    try:
        assert ingest_file(embedded, DATA / "sample.mp4", source="x", start_time=START).status == "succeeded"
        want = nodes(embedded)
    finally:
        embedded.close()
    rt = Runtime.open(Settings(home=tmp_path / "b", celery={"segment_clips": 3}))
    try:
        request_job(rt, "default", "x", "j1", DATA / "sample.mp4", START)
        assert next_steps(rt, rt.repo.get_job("default", "j1")) == [("vidmem.plan", ("default", "j1"))]
        plan = plan_job(rt, "default", "j1")
        assert plan.n_segments == 2 and plan_job(rt, "default", "j1") == plan  # idempotent
        assert perceive_segment(rt, "default", "j1", 1) is False  # out of order is fine
        assert next_steps(rt, rt.repo.get_job("default", "j1")) == [("vidmem.perceive", ("default", "j1", 0))]
        assert perceive_segment(rt, "default", "j1", 0) is True
        assert perceive_segment(rt, "default", "j1", 0) is True  # a redelivered task: skipped, same answer
        summary = consolidate_job(rt, "default", "j1")
        assert summary.status == "succeeded"
        assert nodes(rt) == want
        assert consolidate_job(rt, "default", "j1") is None  # the job has ended: nothing more
        assert SegmentStaging(rt.repo).done("default", "j1") == set()
        job = rt.repo.get_job("default", "j1")
        assert job["status"] is JobStatus.SUCCEEDED and job["kind"] == "ingest-distributed"
    finally:
        rt.close()


def test_a_refused_file_fails_the_job_at_planning(tmp_path):
    rt = Runtime.open(Settings(home=tmp_path), vectors=False)
    try:
        request_job(rt, "default", "x", "bad", DATA / "not_a_video.mp4", None)
        assert plan_job(rt, "default", "bad") is None
        job = rt.repo.get_job("default", "bad")
        assert job["status"] is JobStatus.FAILED and job["error"]
        assert rt.vectors is None
    finally:
        rt.close()


def test_a_file_changed_after_planning_fails_the_job_and_an_owned_file_goes(tmp_path):
    import shutil

    from ingest_workers.distributed import fail_job
    from ingest_workers.errors import MediaChangedError

    rt = Runtime.open(Settings(home=tmp_path), vectors=False)
    try:
        owned = rt.settings.media_dir / "default" / "cam" / "upload.mp4"
        owned.parent.mkdir(parents=True)
        shutil.copyfile(DATA / "sample.mp4", owned)
        request_job(rt, "default", "cam", "changed", owned, None, owned=True)
        assert plan_job(rt, "default", "changed") is not None
        shutil.copyfile(DATA / "day2.mp4", owned)  # replaced under the job's feet
        with pytest.raises(MediaChangedError):
            perceive_segment(rt, "default", "changed", 0)
        assert SegmentStaging(rt.repo).done("default", "changed") == set()
        fail_job(rt, "default", "changed", "perceive failed: MediaChangedError")  # what on_failure does
        job = rt.repo.get_job("default", "changed")
        assert job["status"] is JobStatus.FAILED and "MediaChangedError" in job["error"]
        assert not owned.exists()  # vidmem's own copy does not outlive the failed job
    finally:
        rt.close()
