"""The REST service with its ingest on Celery (``celery.api_dispatch=on``): an upload over HTTP
is handed to the broker, a real ``vidmem worker`` process (decode, perceive and write queues)
ingests it into PostgreSQL and the embedded vector store, and the service answers a question
from those memories with evidence in the uploaded file.

With the embedded vector store the API and the write worker cannot hold ``VIDMEM_HOME`` at the
same time, so the service is stopped while the worker runs (with a Qdrant server both run at once;
none can run on this machine)."""

from __future__ import annotations

import time

import pytest

from ingest_workers.distributed import JOB_KIND
from memory_core.runtime import Runtime
from memory_core.stores.relational.repository import SqlRepository
from tests.api.api_support import ADMIN_KEY, api_settings, create_tenant, footage, make_client, upload
from tests.scale.conftest import redis_client
from tests.scale.test_celery_ingest import _settings

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _wait_final(repo: SqlRepository, tenant: str, job_id: str, timeout_s: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = repo.get_job(tenant, job_id)
        if job["status"].value not in ("queued", "running"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not finished in {timeout_s} s: {repo.get_job(tenant, job_id)}")


def test_upload_over_http_is_ingested_by_a_worker_and_answered(workers, pg_url):
    settings = _settings({**workers.env, "VIDMEM_CELERY__API_DISPATCH": "on"}, admin_key=ADMIN_KEY,
                         api=api_settings())
    rt = Runtime.open(settings)
    try:
        with make_client(rt) as client:
            t = create_tenant(client)
            r = upload(client, t, "warehouse", footage("sample.mp4"), start_time="2026-11-16T08:00:00Z")
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            deadline = time.monotonic() + 20
            while not any(job_id.encode() in m for m in redis_client().lrange("decode", 0, -1)):
                assert time.monotonic() < deadline, rt.repo.get_job(t.id, job_id)
                time.sleep(0.1)
            assert rt.repo.get_job(t.id, job_id)["kind"] == JOB_KIND
    finally:
        rt.close()

    worker = workers("all", "decode,perceive,write")
    worker.wait_ready()
    repo = SqlRepository(pg_url)
    try:
        job = _wait_final(repo, t.id, job_id)
    finally:
        worker.stop()
        repo.engine.dispose()
    assert job["status"].value == "succeeded", (job, worker.text()[-3000:])
    assert job["result"]["counts"]["clip"] >= 5

    rt = Runtime.open(settings)
    try:
        with make_client(rt) as client:
            assert client.get(f"/v1/jobs/{job_id}", headers=t.headers).json()["status"] == "succeeded"
            r = client.post("/v1/query", json={"text": "What is Alice Parker's job at the warehouse?",
                                               "sources": ["warehouse"], "now": "2026-11-16T12:00:00Z"},
                            headers=t.headers)
            assert r.status_code == 200, r.text
            ans = r.json()
            assert "warehouse manager" in ans["answer"].lower(), ans
            top = ans["evidence"][0]
            # tenants see the media as an id and a URL, never the server's path (issue #13)
            assert top["source"] == "warehouse" and "media_path" not in top
            assert top["media_url"] == f"/v1/media/{top['media_id']}"
            media = rt.repo.get_media_file(t.id, top["media_id"])
            assert media is not None and media.path == job["media_path"]
            assert top["start"].startswith("2026-11-16T08:00")
    finally:
        rt.close()
