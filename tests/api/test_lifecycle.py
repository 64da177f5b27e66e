"""Deleting a source leaves no vectors, rows or files behind; retention forgets expired footage;
jobs report progress over SSE and can be cancelled without leaving anything half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api_support import ADMIN, footage, ingest, upload, wait_job
from memory_core.forget import owned_source_dir
from memory_core.stores.base import VectorFilter
from memory_core.stores.keyframes import safe_component
from memory_core.stores.relational.models import (
    AppearanceRow,
    EntityRow,
    JobRow,
    MediaFileRow,
    MemoryNodeRow,
    SourceRow,
)

pytestmark = pytest.mark.slow

TABLES = {
    "memory_nodes": (MemoryNodeRow.__table__, "source"),
    "entities": (EntityRow.__table__, "source"),
    "entity_appearances": (AppearanceRow.__table__, "source"),
    "media_files": (MediaFileRow.__table__, "source"),
    "jobs": (JobRow.__table__, "source"),
    "sources": (SourceRow.__table__, "name"),
}


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def footprint(rt, tenant: str, source: str) -> dict[str, int]:
    """Counted independently of the code under test: vectors with the tenant+source filter, rows
    in every table, files under the keyframe and media folders."""
    out = {"vectors": rt.vectors.count(VectorFilter(tenant=tenant, sources=[source]))}
    with rt.repo.engine.connect() as conn:
        for name, (table, col) in TABLES.items():
            q = select(func.count()).select_from(table).where(table.c.tenant_id == tenant, table.c[col] == source)
            out[name] = int(conn.execute(q).scalar_one())
    out["keyframe_files"] = len(_files(rt.keyframes.root / safe_component(tenant) / safe_component(source)))
    out["media_files_on_disk"] = len(_files(owned_source_dir(rt.settings, tenant, source)))
    return out


def test_delete_source_leaves_nothing(client, runtime, tenant, two_tenants):
    rt = runtime
    job = ingest(client, tenant, "doomed", footage("day3.mp4"), start_time="2026-11-19T10:00:00Z")
    r = client.get("/v1/memories?source=doomed&level=clip&limit=1", headers=tenant.headers)
    clip = r.json()["items"][0]
    if clip["clip_url"]:
        assert client.get(clip["clip_url"], headers=tenant.headers).status_code == 200  # a cut clip is cached too
    before = footprint(rt, tenant.id, "doomed")
    assert before["vectors"] > 0 and before["memory_nodes"] > 0 and before["media_files"] == 1
    assert before["keyframe_files"] > 0 and before["media_files_on_disk"] >= 1 and before["jobs"] == 1
    others = footprint(rt, two_tenants.b.id, "cam-b")

    r = client.delete("/v1/sources/doomed", headers=tenant.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["vectors_deleted"] == before["vectors"] and report["files_deleted"] > 0
    assert set(report["remaining"].values()) == {0}, report
    assert set(footprint(rt, tenant.id, "doomed").values()) == {0}
    assert footprint(rt, two_tenants.b.id, "cam-b") == others  # nobody else lost anything
    assert client.get("/v1/sources/doomed", headers=tenant.headers).status_code == 404
    assert client.get(f"/v1/jobs/{job['id']}", headers=tenant.headers).status_code == 404
    assert client.get(f"/v1/memories/{clip['id']}", headers=tenant.headers).status_code == 404


def test_retention_sweep_forgets_expired_footage(client, runtime, tenant):
    rt = runtime
    r = client.post("/v1/sources", json={"name": "old", "retention_seconds": 86400}, headers=tenant.headers)
    assert r.status_code == 201 and r.json()["retention_seconds"] == 86400
    ingest(client, tenant, "old", footage("video_only.mp4"), start_time="2020-01-01T00:00:00Z", create=False)
    ingest(client, tenant, "recent", footage("video_only.mp4"))  # no retention: kept
    assert footprint(rt, tenant.id, "old")["memory_nodes"] > 0
    r = client.post("/v1/admin/retention/sweep", headers=ADMIN)
    assert r.status_code == 200 and r.json()["nodes_deleted"] > 0 and r.json()["media_files_deleted"] >= 1
    left = footprint(rt, tenant.id, "old")
    assert left["vectors"] == left["memory_nodes"] == left["media_files"] == left["entity_appearances"] == 0
    assert left["keyframe_files"] == 0 and left["media_files_on_disk"] == 0
    assert left["sources"] == 1  # the source and its settings stay
    assert footprint(rt, tenant.id, "recent")["memory_nodes"] > 0
    r = client.patch("/v1/sources/old", json={"retention_seconds": None}, headers=tenant.headers)
    assert r.status_code == 200 and r.json()["retention_seconds"] is None


def test_job_events_stream_until_done(client, tenant):
    r = upload(client, tenant, "sse", footage("video_only.mp4"))
    assert r.status_code == 202
    job_id = r.json()["id"]
    events = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=tenant.headers) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in resp.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
                if name == "done":
                    break
    assert events[-1][0] == "done" and events[-1][1]["status"] in ("succeeded", "partial")
    assert events[-1][1]["percent"] == 100


def test_cancel_job_leaves_nothing(client, runtime, tenant):
    r = upload(client, tenant, "cancel-me", footage("sample.mp4"))
    assert r.status_code == 202
    job_id = r.json()["id"]
    r = client.post(f"/v1/jobs/{job_id}/cancel", headers=tenant.headers)
    assert r.status_code in (202, 409), r.text
    job = wait_job(client, tenant, job_id)
    if job["status"] == "cancelled":
        fp = footprint(runtime, tenant.id, "cancel-me")
        assert fp["vectors"] == fp["memory_nodes"] == fp["media_files"] == fp["media_files_on_disk"] == 0, fp
    r = client.post(f"/v1/jobs/{job_id}/cancel", headers=tenant.headers)
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_admin_deletes_a_tenant_with_everything(client, runtime):
    from api_support import create_tenant

    t = create_tenant(client, "gone")
    ingest(client, t, "cam", footage("video_only.mp4"))
    r = client.delete(f"/v1/admin/tenants/{t.id}", headers=ADMIN)
    assert r.status_code == 200 and r.json()["sources_deleted"] == 1
    assert set(r.json()["remaining"].values()) == {0}
    assert runtime.vectors.count(VectorFilter(tenant=t.id)) == 0
    assert client.get("/v1/sources", headers=t.headers).status_code == 401


def test_startup_sweep_leaves_distributed_jobs_to_the_workers(runtime):
    """A service restart fails the jobs its own pool was running, never those Celery workers own."""
    from api_schemas import JobStatus
    from api_support import make_client

    repo = runtime.repo
    local = repo.create_job(runtime.settings.default_tenant, "sweep-cam")
    remote = repo.create_job(runtime.settings.default_tenant, "sweep-cam", kind="ingest-distributed")
    repo.update_job(runtime.settings.default_tenant, remote, status=JobStatus.RUNNING, step="perceive")
    with make_client(runtime):
        pass
    assert repo.get_job(runtime.settings.default_tenant, local)["status"] is JobStatus.FAILED
    assert repo.get_job(runtime.settings.default_tenant, remote)["status"] is JobStatus.RUNNING


def test_failed_job_on_a_server_path_keeps_the_earlier_ingest_of_it(runtime, tmp_path):
    """A job on a server path (not vidmem's file) that fails before writing anything must not
    take the memories of an earlier successful ingest of the same path with it."""
    import shutil
    import time

    from ingest_workers.pipeline import ingest_file
    from services.api.ingest_pool import IngestPool, JobSpec
    from services.api.ssrf import UrlPolicy

    path = tmp_path / "server" / "yard.mp4"
    path.parent.mkdir()
    shutil.copyfile(footage("sample.mp4"), path)
    tenant, source = "srvpath", "yard"
    first = ingest_file(runtime, path, source=source, tenant=tenant)
    assert first.status in ("succeeded", "partial")
    nodes = runtime.repo.count_nodes(tenant, source=source)

    def crash(*_args, **_kwargs):
        raise RuntimeError("the GPU went away before the first clip")

    pool = IngestPool(runtime, workers=1, queue_max=4, policy=UrlPolicy(), ingest=crash)
    try:
        job_id = runtime.repo.create_job(tenant, source, media_path=str(path))
        pool.submit(JobSpec(tenant=tenant, source=source, job_id=job_id, path=path, owned=False))
        deadline = time.monotonic() + 30
        while runtime.repo.get_job(tenant, job_id)["status"].value != "failed" or pool.active(tenant, job_id):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        pool.shutdown()
    assert runtime.repo.count_nodes(tenant, source=source) == nodes
    assert [m.path for m in runtime.repo.list_media_files(tenant, source)] == [str(path.resolve())]
    assert path.exists()  # the operator's file is never deleted
