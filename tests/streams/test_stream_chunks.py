"""Pushed chunks from a device: sample.mp4 cut into three chunks, sent out of order and one of them
twice; each lands once, at its capture time, and the clips follow capture order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from stream_support import CHUNK_BASE, CHUNK_CUTS, TENANT, cut_chunks

from api_schemas import Kind, Level
from ingest_workers.chunks import chunk_job_id, ingest_chunk

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ffmpeg")]

CUTS, BASE = CHUNK_CUTS, CHUNK_BASE


def test_chunks_out_of_order_and_twice_land_once_in_time_order(rt, tmp_path):
    source = "doorbell-7"
    paths = cut_chunks(tmp_path)
    # the device's clock: chunk k was captured at BASE + its offset in the recording
    starts = [BASE + timedelta(seconds=a) for a, _ in CUTS]
    results = {}
    for seq in (2, 0, 2, 1, 0):  # out of order, 2 and 0 sent twice
        r = ingest_chunk(rt, TENANT, source, paths[seq], capture_start=starts[seq], sequence=seq)
        assert r.status in ("succeeded", "partial"), r.error
        if seq in results:  # the duplicate returns the earlier result, not a new ingest
            assert r.job_id == results[seq].job_id and r.model_dump() == results[seq].model_dump()
        results[seq] = r
    assert {results[s].job_id for s in results} == {chunk_job_id(TENANT, source, s) for s in range(3)}

    media = rt.repo.list_media_files(TENANT, source)
    assert len(media) == 3, [m.path for m in media]
    assert [m.start_time for m in media] == starts  # listed by wall-clock start = capture order
    clips = rt.repo.list_nodes(TENANT, source=source, level=Level.CLIP, kind=Kind.EPISODIC, limit=1000)
    by_media = {m.id: i for i, m in enumerate(media)}
    assert len(clips) == sum(results[s].counts["clip"] for s in range(3)) // 2 == 6  # episodic + visual per window
    assert len({c.id for c in clips}) == len(clips)
    # time order: clip starts follow capture_start + media offset, chunk after chunk
    order = [by_media[c.media_file_id] for c in clips]
    assert order == sorted(order), order
    for c in clips:
        k = by_media[c.media_file_id]
        assert c.start == starts[k] + timedelta(seconds=c.media_start_s)
        assert starts[k] <= c.start < starts[k] + timedelta(seconds=CUTS[k][1] - CUTS[k][0])
    starts_s = [c.start for c in clips]
    assert starts_s == sorted(starts_s)
    # counts are stable: the duplicates wrote nothing
    total = rt.repo.count_nodes(TENANT, source=source)
    again = ingest_chunk(rt, TENANT, source, paths[1], capture_start=starts[1], sequence=1)
    assert again.job_id == results[1].job_id and rt.repo.count_nodes(TENANT, source=source) == total
    jobs = [j for j in rt.repo.list_jobs(TENANT, source=source) if j["kind"] == "chunk"]
    assert len(jobs) == 3
    # what Bob said (second chunk) is placed at its capture time
    bob = [c for c in clips if "truck" in c.text.lower()]
    assert bob and all(BASE + timedelta(seconds=10) <= c.start <= BASE + timedelta(seconds=23.19) for c in bob)
