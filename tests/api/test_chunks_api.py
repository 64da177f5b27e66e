"""Pushed chunks over REST: sample.mp4 cut into three chunks, pushed out of order and two of them
twice (once while the first copy is still queued, once after it finished): each lands once, at its
capture time, clips in time order, one job per sequence; bad fields and non-media answer 422;
another tenant's source answers 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from api_support import DATA, create_tenant, footage, wait_job
from ingest_workers.chunks import chunk_job_id
from tests.streams.stream_support import CHUNK_BASE, CHUNK_CUTS, cut_chunks

pytestmark = pytest.mark.slow

CUTS, BASE = CHUNK_CUTS, CHUNK_BASE


@pytest.fixture(scope="module")
def chunks(tmp_path_factory) -> list[Path]:
    return cut_chunks(tmp_path_factory.mktemp("chunks"), footage("sample.mp4"))


def push(client, tenant, source: str, path: Path, *, sequence, capture_start):
    data = {k: str(v) for k, v in (("sequence", sequence), ("capture_start", capture_start)) if v is not None}
    with open(path, "rb") as fh:
        return client.post(f"/v1/sources/{source}/chunks", files={"file": (path.name, fh, "video/mp4")}, data=data,
                           headers=tenant.headers)


def test_chunks_out_of_order_and_twice_land_once_in_time_order(client, runtime, tenant, chunks):
    source = "doorbell"
    assert client.post("/v1/sources", json={"name": source, "kind": "device"}, headers=tenant.headers).status_code == 201
    starts = [BASE + timedelta(seconds=a) for a, _ in CUTS]
    first: dict[int, dict] = {}
    for seq in (2, 0, 2, 1, 0):  # out of order; 2 and 0 again while their first copies wait or run
        r = push(client, tenant, source, chunks[seq], sequence=seq, capture_start=starts[seq].isoformat())
        if seq in first:
            assert r.status_code == 200, r.text  # the job of the first copy, no new one
            assert r.json()["id"] == first[seq]["id"]
        else:
            assert r.status_code == 202, r.text
            assert r.json()["id"] == chunk_job_id(tenant.id, source, seq) and r.json()["kind"] == "chunk"
            first[seq] = r.json()
    jobs = {seq: wait_job(client, tenant, j["id"]) for seq, j in first.items()}
    assert all(j["status"] in ("succeeded", "partial") for j in jobs.values()), jobs

    rt = runtime
    total = rt.repo.count_nodes(tenant.id, source=source)
    r = push(client, tenant, source, chunks[1], sequence=1, capture_start=starts[1].isoformat())  # after it finished
    assert r.status_code == 200 and r.json()["id"] == jobs[1]["id"] and r.json()["status"] == jobs[1]["status"]
    assert rt.repo.count_nodes(tenant.id, source=source) == total  # nothing written again
    listed = [j for j in client.get("/v1/jobs", params={"source": source}, headers=tenant.headers).json()["items"]]
    assert sorted(j["id"] for j in listed) == sorted(chunk_job_id(tenant.id, source, s) for s in range(3))

    media = rt.repo.list_media_files(tenant.id, source)
    assert [m.start_time for m in media] == starts  # one record per chunk, at its capture time
    assert len(list((Path(rt.settings.media_dir)).rglob("*.mp4"))) >= 3
    r = client.get("/v1/memories", params={"source": source, "level": "clip", "kind": "episodic", "limit": 500},
                   headers=tenant.headers)
    clips = r.json()["items"]
    assert len(clips) == 6 and len({c["id"] for c in clips}) == 6
    by_id = {m.id: i for i, m in enumerate(media)}  # chunk k's record, by its media id
    ordered = sorted(clips, key=lambda c: c["start"])
    assert [by_id[c["media_id"]] for c in ordered] == sorted(by_id[c["media_id"]] for c in clips)
    for c in clips:
        k = by_id[c["media_id"]]
        start = datetime.fromisoformat(c["start"])
        assert start == starts[k] + timedelta(seconds=c["media_start_s"])
    bob = [c for c in clips if "truck" in c["text"].lower()]
    assert bob and all(BASE + timedelta(seconds=10) <= datetime.fromisoformat(c["start"]) <= BASE + timedelta(seconds=23.19)
                       for c in bob)


def test_bad_chunks_answer_422_and_leave_nothing(client, runtime, tenant, chunks):
    source = "cam-bad-chunks"
    assert client.post("/v1/sources", json={"name": source, "kind": "device"}, headers=tenant.headers).status_code == 201
    ok_start = BASE.isoformat()
    for seq, start in ((None, ok_start), (-1, ok_start), ("x", ok_start), (1.5, ok_start), (0, None),
                       (0, "2026-11-20T09:00:00"), (0, "yesterday")):  # naive capture_start refused
        r = push(client, tenant, source, chunks[0], sequence=seq, capture_start=start)
        assert r.status_code == 422, (seq, start, r.text)
    r = push(client, tenant, source, DATA / "not_a_video.mp4", sequence=0, capture_start=ok_start)
    assert r.status_code == 422 and r.json()["code"] in ("not_media", "corrupt_media"), r.text
    assert runtime.repo.get_job(tenant.id, chunk_job_id(tenant.id, source, 0)) is None  # no job claimed
    from memory_core.forget import owned_source_dir

    folder = owned_source_dir(runtime.settings, tenant.id, source) / "chunks"
    assert not folder.exists() or not [p for p in folder.iterdir() if p.is_file()]  # no upload kept


def test_chunks_of_another_tenants_source_answer_404(client, tenant, chunks):
    other = create_tenant(client, "other")
    assert client.post("/v1/sources", json={"name": "private-cam"}, headers=tenant.headers).status_code == 201
    r = push(client, other, "private-cam", chunks[0], sequence=0, capture_start=BASE.isoformat())
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = push(client, tenant, "no-such-source", chunks[0], sequence=0, capture_start=BASE.isoformat())
    assert r.status_code == 404
