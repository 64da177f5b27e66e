"""Distributed ingest through real Celery workers (``vidmem worker`` processes) over Redis and
PostgreSQL: the same memories as the in-process path; a worker killed with SIGKILL mid-job and a
Redis restart mid-job lose nothing and double nothing."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from api_schemas import JobStatus
from ingest_workers.dispatch import dispatch_ingest
from ingest_workers.distributed import consolidate_job, perceive_segment, plan_job, request_job
from ingest_workers.pipeline import ingest_file
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from memory_core.stores.base import VectorFilter
from memory_core.stores.relational.repository import SqlRepository
from memory_core.stores.relational.staging import SegmentStaging
from tests.e2e.conftest import DATA
from tests.scale.conftest import redis_client, redis_restart_command

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

START = datetime(2026, 11, 16, 8, 0, tzinfo=timezone.utc)
SOURCE = "yard"
TENANT = "default"


def _settings(env: dict, **over) -> Settings:
    """Settings from the workers' environment (the same knobs for the reference run)."""
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {k: v for k, v in env.items() if k.startswith("VIDMEM_")}, clear=True):
        return Settings(**over)


@pytest.fixture(scope="module")
def long_media(tmp_path_factory) -> Path:
    """sample.mp4 three times over, re-encoded with continuous timestamps (157 s: 16 one-clip
    segments), so a job lasts long enough to be interrupted."""
    out = tmp_path_factory.mktemp("media") / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-stream_loop", "2", "-i", str(DATA / "sample.mp4"), "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "50", "-c:a", "aac", "-b:a", "96k", str(out)], check=True, timeout=300)
    return out


def _node_set(rt) -> set[tuple]:
    return {(n.id, n.level.value, n.kind.value, n.text, n.parent_id, n.media_start_s)
            for n in rt.repo.list_nodes(TENANT, source=SOURCE, limit=100_000)}


def _run(home: Path, media: Path, staged: bool) -> set[tuple]:
    from tests.scale.conftest import COMMON_ENV

    rt = Runtime.open(_settings(COMMON_ENV, home=home, database_url=None))
    try:
        if not staged:
            summary = ingest_file(rt, media, source=SOURCE, start_time=START)
            assert summary.status == "succeeded", summary
        else:  # the distributed stages, one after the other in this process
            request_job(rt, TENANT, SOURCE, "reference", media, START)
            plan = plan_job(rt, TENANT, "reference")
            for seg in range(plan.n_segments):
                perceive_segment(rt, TENANT, "reference", seg)
            assert consolidate_job(rt, TENANT, "reference").status == "succeeded"
        return _node_set(rt)
    finally:
        rt.close()


@pytest.fixture(scope="module")
def embedded(long_media, tmp_path_factory) -> set[tuple]:
    """Memories of the in-process (embedded) pipeline with the workers' settings."""
    return _run(tmp_path_factory.mktemp("embedded"), long_media, staged=False)


@pytest.fixture(scope="module")
def reference(long_media, tmp_path_factory) -> set[tuple]:
    """Memories of the distributed stages run in one process, uninterrupted: what the workers
    must produce exactly, however they are interrupted."""
    return _run(tmp_path_factory.mktemp("staged"), long_media, staged=True)


def _wait_job(repo, job_id: str, timeout_s: float, until=lambda job: job["status"] in (JobStatus.SUCCEEDED, JobStatus.PARTIAL, JobStatus.FAILED)) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = repo.get_job(TENANT, job_id)
        if job is not None and until(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not get there in {timeout_s} s: {repo.get_job(TENANT, job_id)}")


def _staged(repo, job_id: str) -> int:
    return len(SegmentStaging(repo).done(TENANT, job_id))


def _dispatch(env: dict, media: Path) -> tuple[str, SqlRepository]:
    settings = _settings(env, home=Path(env["VIDMEM_HOME"]))
    rt = Runtime.open(settings, vectors=False)
    return dispatch_ingest(rt, media, source=SOURCE, start_time=START), rt.repo


def _check_memories(env: dict, job_id: str, repo, reference: set[tuple]) -> None:
    """After the write worker stopped (it owns the embedded vector store): the job's memories are
    exactly the embedded path's, each stored once in both stores, and nothing is left staged."""
    job = repo.get_job(TENANT, job_id)
    assert job["status"] is JobStatus.SUCCEEDED, job
    assert _staged(repo, job_id) == 0
    rt = Runtime.open(_settings(env, home=Path(env["VIDMEM_HOME"])))
    try:
        got = _node_set(rt)
        extra = sorted(x[1:4] for x in got if x[0] not in {r[0] for r in reference})
        lost = sorted(x[1:4] for x in reference if x[0] not in {g[0] for g in got})
        assert {x[0] for x in got} == {x[0] for x in reference}, f"lost {lost} / extra {extra}"
        assert got == reference, "same ids but different memories"
        assert rt.vectors.count(VectorFilter(tenant=TENANT, sources=[SOURCE])) == len(got)
    finally:
        rt.close()


def test_celery_ingest_gives_the_embedded_memories(workers, long_media, reference, embedded):
    perceive = workers("p1", "decode,perceive")
    write = workers("w1", "write")
    perceive.wait_ready()
    write.wait_ready()
    job_id, repo = _dispatch(workers.env, long_media)
    job = _wait_job(repo, job_id, 240)
    assert job["status"] is JobStatus.SUCCEEDED, job
    assert job["result"]["counts"]["clip"] > 0 and job["percent"] == 100.0
    write.stop()
    assert "Task vidmem.perceive[" in perceive.text() and "Task vidmem.consolidate[" in write.text()  # received there
    _check_memories(workers.env, job_id, repo, reference)
    # Against the in-process pipeline: the same clips with the same offsets, the same levels and
    # kinds, the same pictures. Each segment is decoded after a seek (frames bit-identical, audio
    # within ~3e-5 mean absolute difference), so a word at a segment boundary may be heard
    # differently and move a scene boundary: transcripts must agree on nearly every clip.
    def clips(nodes):
        return {x[0]: x for x in nodes if x[1] == "clip"}

    got, want = clips(reference), clips(embedded)
    assert set(got) == set(want)
    assert all(got[i][5] == want[i][5] for i in got)
    same_text = sum(got[i][3] == want[i][3] for i in got)
    assert same_text >= 0.8 * len(got), f"only {same_text}/{len(got)} clip memories read the same"
    assert {x[1:3] for x in reference} == {x[1:3] for x in embedded}


def test_worker_killed_mid_job_loses_and_doubles_nothing(workers, long_media, reference):
    first = workers("p1", "decode,perceive")
    write = workers("w1", "write")
    first.wait_ready()
    write.wait_ready()
    job_id, repo = _dispatch(workers.env, long_media)
    _wait_job(repo, job_id, 120, until=lambda job: _staged(repo, job_id) >= 2)
    first.kill()  # SIGKILL mid-job: its message in flight is unacknowledged
    n_plan = repo.get_job(TENANT, job_id)["result"]["plan"]["n_segments"]
    assert _staged(repo, job_id) < n_plan, "the job finished before the kill; the test needs a longer file"
    second = workers("p2", "decode,perceive")
    second.wait_ready()
    job = _wait_job(repo, job_id, 240)
    assert job["status"] is JobStatus.SUCCEEDED, job
    assert "Task vidmem.perceive[" in second.text()  # the second worker did perceive
    write.stop()
    _check_memories(workers.env, job_id, repo, reference)


def test_redis_restart_mid_job_loses_and_doubles_nothing(workers, long_media, reference):
    command = redis_restart_command()
    if command is None:
        pytest.skip("redis-server is not on PATH: cannot restart Redis from the test")
    perceive = workers("p1", "decode,perceive", beat=True)
    write = workers("w1", "write")
    perceive.wait_ready()
    write.wait_ready()
    job_id, repo = _dispatch(workers.env, long_media)
    _wait_job(repo, job_id, 120, until=lambda job: _staged(repo, job_id) >= 2)
    try:
        redis_client().shutdown(nosave=True)
    except Exception:  # noqa: BLE001 - the connection drops as the server exits
        pass
    time.sleep(1.0)
    subprocess.run(command, check=True, timeout=30)  # no persistence: every queued message is gone
    deadline = time.monotonic() + 30
    while True:
        try:
            redis_client().ping()
            break
        except Exception:  # noqa: BLE001
            assert time.monotonic() < deadline, "Redis did not come back"
            time.sleep(0.2)
    # The queued perceive messages are gone with the old server (at most the one in flight comes
    # back from a worker): only the reconciler can finish the job now.
    left = repo.get_job(TENANT, job_id)["result"]["plan"]["n_segments"] - _staged(repo, job_id)
    assert left > 2 and redis_client().llen("perceive") <= 1
    job = _wait_job(repo, job_id, 240)
    assert job["status"] is JobStatus.SUCCEEDED, job
    write.stop()
    _check_memories(workers.env, job_id, repo, reference)
