"""Reading through HTTP on real footage: questions with clickable evidence (and their SSE
variant), raw search, browsing stories -> clips, media with range requests, keyframes, entity
curation, usage, operations and redacted logs."""

from __future__ import annotations

import io
import json

import av
import pytest

from api_support import collect, create_tenant, footage, make_client, upload

pytestmark = pytest.mark.slow


def test_question_answers_with_playable_evidence(client, two_tenants):
    a = two_tenants.a.headers
    r = client.post("/v1/query", json={"text": "What did Alice Parker say?", "sources": ["cam-a"], "max_steps": 12,
                                       "time_budget_s": 10, "now": "2026-11-16T12:00:00Z"}, headers=a)
    assert r.status_code == 200, r.text
    ans = r.json()
    assert ans["answer"] and ans["trace"] and ans["trace"][0]["action"] == "parse"
    if ans["evidence"]:
        ev = ans["evidence"][0]
        assert ev["source"] == "cam-a" and ev["clip_url"]
        clip = client.get(ev["clip_url"], headers=a)
        assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
        with av.open(io.BytesIO(clip.content)) as c:
            assert c.streams.video and c.duration and c.duration > 0


def test_question_stream_sends_steps_then_answer(client, two_tenants):
    events = []
    with client.stream("POST", "/v1/query/stream", json={"text": "Who arrived at the delivery bay?"},
                       headers=two_tenants.a.headers) as resp:
        assert resp.status_code == 200
        name = None
        for line in resp.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
    names = [n for n, _ in events]
    assert names[0] == "step" and names[-1] == "answer" and "error" not in names
    assert len([n for n in names if n == "step"]) == len(events[-1][1]["trace"])


def test_search_filters(client, two_tenants):
    a = two_tenants.a.headers
    r = client.post("/v1/search", json={"text": "delivery", "levels": ["clip"], "limit": 5}, headers=a)
    assert r.status_code == 200
    hits = r.json()["items"]
    assert hits and all(h["memory"]["level"] == "clip" for h in hits)
    assert hits == sorted(hits, key=lambda h: -h["score"])
    r = client.post("/v1/search", json={"text": "delivery", "start": "2030-01-01T00:00:00Z"}, headers=a)
    assert r.status_code == 200 and r.json()["items"] == []


def test_browse_story_to_clip(client, two_tenants):
    a = two_tenants.a
    stories = collect(client, a, "/v1/sources/cam-a/stories")
    assert stories and all(s["level"] == "story" for s in stories)
    node, path = stories[0], ["story"]
    while True:
        kids = collect(client, a, f"/v1/memories/{node['id']}/children")
        if not kids:
            break
        node = kids[0]
        path.append(node["level"])
        assert node["text"] is not None
    assert path[-1] == "clip", path
    clip = node
    assert clip["clip_url"]
    full = client.get(clip["clip_url"], headers=a.headers)
    part = client.get(clip["clip_url"], headers={**a.headers, "Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100 and part.content == full.content[:100]
    assert part.headers["content-range"].startswith("bytes 0-99/")
    assert client.get(clip["clip_url"], headers={**a.headers, "Range": "bytes=999999999-"}).status_code == 416
    if clip["keyframe_urls"]:
        kf = client.get(clip["keyframe_urls"][0], headers=a.headers)
        assert kf.status_code == 200 and kf.headers["content-type"] == "image/jpeg" and kf.content[:2] == b"\xff\xd8"
    assert client.get(f"/v1/memories/{clip['id']}/keyframes/999", headers=a.headers).status_code == 404


def test_entities_timeline_rename_merge_split(client, two_tenants):
    t = create_tenant(client, "curate")
    from api_support import ingest

    ingest(client, t, "cam", footage("sample.mp4"))
    ents = collect(client, t, "/v1/entities")
    if not ents:
        pytest.skip("no entities found in the sample")
    e = ents[0]
    detail = client.get(f"/v1/entities/{e['id']}", headers=t.headers).json()
    assert len(detail["timeline"]) == min(e["appearance_count"], 200)
    r = client.patch(f"/v1/entities/{e['id']}", json={"name": "Alice Parker"}, headers=t.headers)
    assert r.status_code == 200 and r.json()["name"] == "Alice Parker" and r.json()["label"] == "Alice Parker"
    same_kind = [x for x in ents if x["kind"] == e["kind"] and x["id"] != e["id"] and x["source"] == e["source"]]
    if same_kind:
        other = same_kind[0]
        r = client.post(f"/v1/entities/{e['id']}/merge", json={"other_ids": [other["id"]]}, headers=t.headers)
        assert r.status_code == 200, r.text
        assert r.json()["appearance_count"] >= e["appearance_count"]
        assert client.get(f"/v1/entities/{other['id']}", headers=t.headers).status_code == 404
        for m in collect(client, t, "/v1/memories"):
            assert other["id"] not in m["entity_ids"]
    detail = client.get(f"/v1/entities/{e['id']}", headers=t.headers).json()
    if len(detail["timeline"]) >= 2:
        moved = [detail["timeline"][0]["node_id"]]
        r = client.post(f"/v1/entities/{e['id']}/split", json={"node_ids": moved, "name": "Bob"}, headers=t.headers)
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["name"] == "Bob" and new["appearance_count"] == 1
        assert client.get(f"/v1/memories/{moved[0]}", headers=t.headers).json()["entity_ids"].count(new["id"]) == 1
    other_kind = [x for x in ents if x["kind"] != e["kind"]]
    if other_kind:
        r = client.post(f"/v1/entities/{e['id']}/merge", json={"other_ids": [other_kind[0]["id"]]}, headers=t.headers)
        assert r.status_code in (404, 409)


def test_usage_and_quotas(runtime):
    with make_client(runtime, quota_storage_bytes=1000) as c:
        t = create_tenant(c, "quota")
        r = upload(c, t, "cam", footage("video_only.mp4"))
        assert r.status_code == 413 and r.json()["code"] in ("too_large", "quota_exceeded")
        u = c.get("/v1/usage", headers=t.headers).json()
        assert u["quota_storage_bytes"] == 1000 and u["storage_bytes"] == 0
    with make_client(runtime, quota_media_hours=0.0001) as c:
        t = create_tenant(c, "hours")
        r = upload(c, t, "cam", footage("video_only.mp4"))
        assert r.status_code == 413 and r.json()["code"] == "quota_exceeded"


def test_operations_endpoints(client, two_tenants):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"models": "ok", "database": "ok", "vectors": "ok"}
    assert client.get("/v1/sources/cam-a", headers=two_tenants.a.headers).status_code == 200
    text = client.get("/metrics").text
    assert 'vidmem_http_request_duration_seconds_bucket{' in text and 'route="/v1/sources/{source}"' in text
    assert "/v1/sources/cam-a" not in text  # templates, never raw paths, as labels
    assert "vidmem_ingest_backlog" in text and 'vidmem_ingest_jobs_total{outcome="' in text
