"""Bad input: every case gives a clear error or a partial ingest that says what it skipped, and
never leaves half-written memories without a failed job record."""

from __future__ import annotations

import shutil

import pytest

from api_schemas import JobStatus, Question
from ingest_workers.pipeline import ingest_file
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from memory_core.stores.base import VectorFilter
from tests.e2e.conftest import DATA

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    runtime = Runtime.open(Settings(home=tmp_path_factory.mktemp("vidmem-bad")))
    yield runtime
    runtime.close()


def nodes_of(rt, source: str) -> tuple[int, int]:
    """(relational rows, vector points) of a source."""
    t = rt.settings.default_tenant
    return len(rt.repo.list_nodes(t, source=source, limit=100_000)), rt.vectors.count(VectorFilter(tenant=t, sources=[source]))


def assert_failed_cleanly(rt, summary, source: str, *words: str) -> None:
    assert summary.status == "failed", summary
    assert summary.error and all(w in summary.error.lower() for w in words), summary.error
    job = rt.repo.get_job(rt.settings.default_tenant, summary.job_id)
    assert job["status"] is JobStatus.FAILED and job["error"] == summary.error
    assert nodes_of(rt, source) == (0, 0)


def test_zero_length_file(rt, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert_failed_cleanly(rt, ingest_file(rt, empty, source="bad-empty"), "bad-empty", "empty")


def test_not_a_video(rt):
    s = ingest_file(rt, DATA / "not_a_video.mp4", source="bad-text")
    assert_failed_cleanly(rt, s, "bad-text")
    assert "not_a_video.mp4" in s.error


def test_missing_file(rt, tmp_path):
    assert_failed_cleanly(rt, ingest_file(rt, tmp_path / "nope.mp4", source="bad-missing"), "bad-missing")


def test_random_bytes(rt, tmp_path):
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(bytes(range(256)) * 400)
    assert_failed_cleanly(rt, ingest_file(rt, junk, source="bad-junk"), "bad-junk")


def test_absurd_resolution(tmp_path):
    runtime = Runtime.open(Settings(home=tmp_path / "home", ingest={"max_pixels": 320 * 240}))
    try:
        s = ingest_file(runtime, DATA / "sample.mp4", source="bad-huge")
        assert_failed_cleanly(runtime, s, "bad-huge", "640")
    finally:
        runtime.close()


def test_truncated_file_is_partial_or_clearly_refused(rt, tmp_path):
    data = (DATA / "sample.mp4").read_bytes()
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    s = ingest_file(rt, cut, source="bad-trunc")
    if s.status == "failed":  # an MP4 whose index is lost cannot be read at all
        assert_failed_cleanly(rt, s, "bad-trunc")
    else:
        assert s.status == "partial" and s.skipped, s
        assert 0 < s.media_seconds < 52.48
        assert nodes_of(rt, "bad-trunc")[0] > 0


def test_corrupt_middle_still_ingests(rt, tmp_path):
    data = bytearray((DATA / "day2.mp4").read_bytes())
    mid = len(data) // 2
    data[mid: mid + 20_000] = bytes(20_000)  # zero out 20 kB of packets in the middle
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(bytes(data))
    s = ingest_file(rt, bad, source="bad-corrupt")
    assert s.status in ("succeeded", "partial"), s
    rows, points = nodes_of(rt, "bad-corrupt")
    assert rows > 0 and points > 0


def test_audio_only_is_partial_and_searchable(rt):
    s = ingest_file(rt, DATA / "audio_only.m4a", source="bad-audio")
    assert s.status == "partial"
    assert any("video" in x for x in s.skipped), s.skipped
    answer = rt.agent.ask(Question(text="Where is the parcel?", sources=["bad-audio"]), tenant="default")
    assert answer.sufficient and "desk" in answer.answer.lower()


def test_video_only_is_partial(rt):
    s = ingest_file(rt, DATA / "video_only.mp4", source="bad-video")
    assert s.status == "partial"
    assert any("audio" in x for x in s.skipped), s.skipped
    assert nodes_of(rt, "bad-video")[0] > 0


def test_crash_mid_ingest_leaves_nothing_half_written(rt, monkeypatch, tmp_path):
    """A failure after memories were written rolls them back and records a failed job."""
    from ingest_workers import processor as proc_mod

    calls = {"n": 0}
    real = proc_mod.ClipProcessor.process

    def failing(self, windows):
        calls["n"] += 1
        if calls["n"] == 2:
            self.flush()  # make sure something really was written before the failure
            raise RuntimeError("disk on fire")
        return real(self, windows)

    monkeypatch.setattr(proc_mod.ClipProcessor, "process", failing)
    src = tmp_path / "copy.mp4"
    shutil.copy(DATA / "sample.mp4", src)
    s = ingest_file(rt, src, source="bad-crash")
    assert calls["n"] == 2
    assert_failed_cleanly(rt, s, "bad-crash", "disk on fire")
    assert not list((rt.settings.keyframes_dir).glob("*/bad-crash/*"))
    assert rt.repo.list_media_files(rt.settings.default_tenant, "bad-crash") == []


def test_orphaned_jobs_are_failed_at_startup(rt):
    t = rt.settings.default_tenant
    job = rt.repo.create_job(t, "bad-orphan", media_path="/x.mp4")
    rt.repo.update_job(t, job, status=JobStatus.RUNNING, step="perceive", percent=40.0)
    assert rt.repo.fail_orphaned_jobs() >= 1
    assert rt.repo.get_job(t, job)["status"] is JobStatus.FAILED
