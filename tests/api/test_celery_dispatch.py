"""The REST service handing its ingest jobs to Celery workers (``celery.api_dispatch``) over a
real Redis broker (database 8, flushed around each test): an upload becomes a distributed job
with its ``vidmem.plan`` message in the ``decode`` queue; cancelling it or deleting its source
ends it at once and deletes the uploaded file; a write stage holding the job's lock makes cancel
answer 409; a chunk sent again while the workers hold it is not sent twice; a broker that does not
answer leaves the job queued for the reconciler. No worker runs here: tests/scale has the whole
round trip through real ``vidmem worker`` processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api_support import ADMIN_KEY, api_settings, create_tenant, footage, make_client, upload
from ingest_workers.distributed import JOB_KIND, plan_job
from ingest_workers.reconcile import next_steps
from memory_core.runtime import Runtime
from memory_core.settings import CelerySettings, Settings
from memory_core.stores.relational.locks import job_lock
from memory_core.stores.relational.staging import SegmentStaging

BROKER = "redis://127.0.0.1:6379/8"


def _redis():
    import redis

    return redis.Redis.from_url(BROKER, socket_connect_timeout=2, socket_timeout=5)


def _open(home: Path, broker: str) -> Runtime:
    celery = CelerySettings(broker_url=broker, api_dispatch="on")
    return Runtime.open(Settings(home=home, environment="test", admin_key=ADMIN_KEY, api=api_settings(), celery=celery))


@pytest.fixture
def broker() -> Iterator[str]:
    try:
        _redis().ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"Redis at 127.0.0.1:6379 did not answer ({type(exc).__name__}: {exc})")
    _redis().flushdb()
    yield BROKER
    _redis().flushdb()


@pytest.fixture
def rt(tmp_path, broker) -> Iterator[Runtime]:
    runtime = _open(tmp_path / "home", broker)
    yield runtime
    runtime.close()


def _handed_over(rt: Runtime, tenant: str, job_id: str, timeout_s: float = 20.0, sent: bool = True) -> dict:
    """The job once the pool thread has handed it to the workers (and, when ``sent``, its first
    message is in the broker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = rt.repo.get_job(tenant, job_id)
        if (job and job["kind"] == JOB_KIND and (job.get("result") or {}).get("request")
                and (not sent or _messages("decode", job_id))):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not handed over: {rt.repo.get_job(tenant, job_id)}")


def _messages(queue: str, job_id: str) -> int:
    return sum(job_id.encode() in m for m in _redis().lrange(queue, 0, -1))


def test_upload_goes_to_the_workers_and_cancel_ends_it(rt):
    with make_client(rt) as client:
        t = create_tenant(client)
        r = upload(client, t, "cam", footage("sample.mp4"), start_time="2026-11-16T08:00:00Z")
        assert r.status_code == 202, r.text
        job = _handed_over(rt, t.id, r.json()["id"])
        request = job["result"]["request"]
        path = Path(request["path"])
        assert request["owned"] and path.is_file() and request["start_time"].startswith("2026-11-16T08:00:00")
        assert job["status"].value == "queued" and _messages("decode", job["id"]) == 1
        assert client.get(f"/v1/jobs/{job['id']}", headers=t.headers).json()["kind"] == JOB_KIND

        r = client.post(f"/v1/jobs/{job['id']}/cancel", headers=t.headers)
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "cancelled"
        assert not path.exists()  # the upload vidmem owned is gone
        assert plan_job(rt, t.id, job["id"]) is None  # the queued task finds the job ended: no work
        assert rt.repo.count_nodes(t.id, source="cam") == 0
        assert client.post(f"/v1/jobs/{job['id']}/cancel", headers=t.headers).status_code == 409


def test_cancel_while_the_workers_write_answers_409(rt):
    with make_client(rt) as client:
        t = create_tenant(client)
        r = upload(client, t, "cam", footage("sample.mp4"))
        job = _handed_over(rt, t.id, r.json()["id"])
        with job_lock(rt.repo, rt.settings.home, f"write:{job['id']}") as held:  # what a write stage holds
            assert held
            r = client.post(f"/v1/jobs/{job['id']}/cancel", headers=t.headers)
            assert r.status_code == 409 and "writing" in r.json()["message"], r.text
        assert client.post(f"/v1/jobs/{job['id']}/cancel", headers=t.headers).status_code == 202


def test_delete_source_ends_its_worker_jobs(rt):
    with make_client(rt) as client:
        t = create_tenant(client)
        job = _handed_over(rt, t.id, upload(client, t, "cam", footage("sample.mp4")).json()["id"])
        path = Path(job["result"]["request"]["path"])
        # a segment already staged by a perceive worker
        SegmentStaging(rt.repo).put(t.id, job["id"], _staged())
        r = client.delete("/v1/sources/cam", headers=t.headers)
        assert r.status_code == 200, r.text
        assert not any(r.json()["remaining"].values()), r.json()
        assert rt.repo.get_job(t.id, job["id"]) is None and not path.exists()
        assert SegmentStaging(rt.repo).done(t.id, job["id"]) == set()


def _staged():
    from memory_core.stores.relational.staging import StagedSegment

    return StagedSegment(segment=0, first_clip=0, clip_count=0, eof=False, errors=[], payload=b"")


def test_chunk_sent_again_while_on_the_workers_is_sent_once(rt, tmp_path):
    from tests.streams.stream_support import CHUNK_BASE, cut_chunks

    (tmp_path / "chunks").mkdir()
    chunk = cut_chunks(tmp_path / "chunks", footage("sample.mp4"))[0]
    with make_client(rt) as client:
        t = create_tenant(client)
        assert client.post("/v1/sources", json={"name": "door", "kind": "device"}, headers=t.headers).status_code == 201
        ids = []
        for expected in (202, 200):
            with open(chunk, "rb") as fh:
                r = client.post("/v1/sources/door/chunks", files={"file": (chunk.name, fh, "video/mp4")},
                                data={"sequence": "0", "capture_start": CHUNK_BASE.isoformat()}, headers=t.headers)
            assert r.status_code == expected, r.text
            ids.append(r.json()["id"])
            _handed_over(rt, t.id, ids[0])
        assert ids[0] == ids[1] and _messages("decode", ids[0]) == 1


def test_broker_down_leaves_the_job_queued_for_the_reconciler(tmp_path):
    runtime = _open(tmp_path / "home", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        with make_client(runtime) as client:
            t = create_tenant(client)
            r = upload(client, t, "cam", footage("sample.mp4"))
            assert r.status_code == 202, r.text
            job = _handed_over(runtime, t.id, r.json()["id"], sent=False)
            time.sleep(1.5)  # the failed send is over
            job = runtime.repo.get_job(t.id, job["id"])
            assert job["status"].value == "queued" and Path(job["result"]["request"]["path"]).is_file()
            assert next_steps(runtime, job) == [("vidmem.plan", (t.id, job["id"]))]
    finally:
        runtime.close()


def test_auto_dispatch_needs_a_shared_vector_store():
    from ingest_workers.dispatch import BrokerNotConfigured, api_dispatch
    from memory_core.settings import VectorSettings

    def mode(api: str, broker: str | None, backend: str) -> bool:
        vector = VectorSettings(backend=backend, url="http://qdrant:6333" if backend == "qdrant" else None)
        return api_dispatch(Settings(celery=CelerySettings(broker_url=broker, api_dispatch=api), vector=vector))[0]

    assert mode("auto", BROKER, "qdrant") and not mode("auto", BROKER, "edge") and not mode("auto", None, "qdrant")
    assert mode("on", BROKER, "edge") and not mode("off", BROKER, "qdrant")
    with pytest.raises(BrokerNotConfigured):
        mode("on", None, "edge")
