"""Two tenants ingest different real footage over HTTP. With tenant A's key, every read (and
write) endpoint tried with tenant B's ids answers 404 exactly like a missing id, lists hold only
A's objects, and searches and questions never return B's memories."""

from __future__ import annotations

import pytest

from api_support import collect

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def b_ids(client, two_tenants) -> dict:
    """Ids of everything tenant B has, read with B's key."""
    b = two_tenants.b
    memories = collect(client, b, "/v1/memories")
    entities = collect(client, b, "/v1/entities")
    jobs = collect(client, b, "/v1/jobs")
    assert memories and jobs
    media = sorted(mf.id for mf in client.app.state.ctx.rt.repo.list_media_files(b.id))
    r = client.post("/v1/sources/cam-b/stream", json={"url": "rtsp://b:b-secret@127.0.0.2:1/cam", "enabled": False},
                    headers=b.headers)
    assert r.status_code in (200, 201), r.text  # B's live stream registration (no worker)
    return {
        "sources": ["cam-b"],
        "memories": [m["id"] for m in memories],
        "with_keyframes": [m["id"] for m in memories if m["keyframe_urls"]],
        "with_clip": [m["id"] for m in memories if m["clip_url"]],
        "stories": [m["id"] for m in memories if m["level"] == "story"],
        "entities": [e["id"] for e in entities],
        "jobs": [j["id"] for j in jobs],
        "media": media,
        "texts": [m["text"] for m in memories if m["level"] == "clip" and len(m["text"]) > 20][:5],
    }


def _missing(r) -> None:
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["code"] == "not_found" and set(body) >= {"code", "message", "request_id"}


def test_b_sees_its_own_data(client, two_tenants, b_ids):
    assert b_ids["memories"] and b_ids["stories"] and b_ids["with_clip"]
    r = client.get(f"/v1/memories/{b_ids['memories'][0]}", headers=two_tenants.b.headers)
    assert r.status_code == 200


def test_every_read_with_b_ids_is_404_for_a(client, two_tenants, b_ids):
    a = two_tenants.a.headers
    get = lambda path, **kw: client.get(path, headers=a, **kw)  # noqa: E731
    for source in b_ids["sources"]:
        _missing(get(f"/v1/sources/{source}"))
        _missing(get(f"/v1/sources/{source}/stories"))
        _missing(get("/v1/memories", params={"source": source}))
        _missing(get("/v1/entities", params={"source": source}))
        _missing(client.patch(f"/v1/sources/{source}", json={"retention_seconds": 3600}, headers=a))
        _missing(client.delete(f"/v1/sources/{source}", headers=a))
        _missing(client.post("/v1/query", json={"text": "what happened?", "sources": [source]}, headers=a))
        _missing(client.post("/v1/query/stream", json={"text": "what happened?", "sources": [source]}, headers=a))
        _missing(client.post("/v1/search", json={"text": "anything", "sources": [source]}, headers=a))
        _missing(get(f"/v1/sources/{source}/stream"))
        _missing(client.post(f"/v1/sources/{source}/stream", json={"url": "rtsp://127.0.0.2:1/x"}, headers=a))
        _missing(client.post(f"/v1/sources/{source}/stream/start", headers=a))
        _missing(client.post(f"/v1/sources/{source}/stream/stop", headers=a))
        _missing(client.delete(f"/v1/sources/{source}/stream", headers=a))
        _missing(client.post(f"/v1/sources/{source}/chunks", files={"file": ("c.mp4", b"\x00" * 64, "video/mp4")},
                             data={"sequence": "0", "capture_start": "2026-11-16T08:00:00Z"}, headers=a))
    for nid in b_ids["memories"][:40] + b_ids["stories"]:
        _missing(get(f"/v1/memories/{nid}"))
        _missing(get(f"/v1/memories/{nid}/children"))
    for nid in b_ids["with_clip"][:10]:
        _missing(get(f"/v1/memories/{nid}/clip"))
        _missing(client.get(f"/v1/memories/{nid}/clip", headers={**a, "Range": "bytes=0-99"}))
    for nid in b_ids["with_keyframes"][:10]:
        _missing(get(f"/v1/memories/{nid}/keyframes/0"))
    for mid in b_ids["media"]:
        _missing(get(f"/v1/media/{mid}"))
    for jid in b_ids["jobs"]:
        _missing(get(f"/v1/jobs/{jid}"))
        _missing(get(f"/v1/jobs/{jid}/events"))
        _missing(client.post(f"/v1/jobs/{jid}/cancel", headers=a))
    for eid in b_ids["entities"]:
        _missing(get(f"/v1/entities/{eid}"))
        _missing(client.patch(f"/v1/entities/{eid}", json={"name": "Mallory"}, headers=a))
        _missing(client.post(f"/v1/entities/{eid}/split", json={"node_ids": b_ids["memories"][:1]}, headers=a))
        _missing(client.post(f"/v1/entities/{eid}/merge", json={"other_ids": [eid]}, headers=a))
    r = client.get("/v1/sources/cam-b/stream", headers=two_tenants.b.headers)  # B's stream untouched by A's calls
    assert r.status_code == 200 and r.json()["enabled"] is False and "b-secret" not in r.text
    a_entities = collect(client, two_tenants.a, "/v1/entities")
    if a_entities and b_ids["entities"]:
        r = client.post(f"/v1/entities/{a_entities[0]['id']}/merge", json={"other_ids": [b_ids["entities"][0]]}, headers=a)
        _missing(r)


def test_missing_and_foreign_ids_answer_the_same(client, two_tenants, b_ids):
    a = two_tenants.a.headers
    foreign = client.get(f"/v1/memories/{b_ids['memories'][0]}", headers=a)
    missing = client.get("/v1/memories/00000000-0000-5000-8000-000000000000", headers=a)
    assert foreign.status_code == missing.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(foreign.json()) == strip(missing.json())


def test_lists_hold_only_a(client, two_tenants, b_ids):
    a = two_tenants.a
    b_all = set(b_ids["memories"]) | set(b_ids["entities"]) | set(b_ids["jobs"])
    assert {s["name"] for s in collect(client, a, "/v1/sources")} == {"cam-a", "shared"}
    assert collect(client, a, "/v1/streams") == [] and [s["source"] for s in collect(client, two_tenants.b, "/v1/streams")] == ["cam-b"]
    for path in ("/v1/memories", "/v1/entities", "/v1/jobs"):
        ids = {x["id"] for x in collect(client, a, path)}
        assert ids and not ids & b_all, path
    # the same source name in both tenants: A's "shared" is empty, B's is not
    assert collect(client, a, "/v1/memories", {"source": "shared"}) == []
    assert collect(client, two_tenants.b, "/v1/memories", {"source": "shared"})
    r = client.get("/v1/sources/shared/stories", headers=a.headers)
    assert r.status_code == 200 and r.json()["items"] == []


def test_searches_never_return_b(client, two_tenants, b_ids):
    a = two_tenants.a.headers
    b_memories = set(b_ids["memories"])
    queries = b_ids["texts"] + ["who arrived?", "what was said?", "delivery"]
    for text in queries:
        for body in ({"text": text, "limit": 100}, {"text": text, "limit": 100, "levels": ["clip"]},
                     {"text": text, "limit": 50, "sources": ["shared"]}):
            r = client.post("/v1/search", json=body, headers=a)
            assert r.status_code == 200, r.text
            for hit in r.json()["items"]:
                assert hit["memory"]["id"] not in b_memories
                assert hit["memory"]["source"] in ("cam-a", "shared")
        r = client.post("/v1/query", json={"text": text}, headers=a)
        assert r.status_code == 200, r.text
        for ev in r.json()["evidence"]:
            assert ev["node_id"] not in b_memories and ev["source"] in ("cam-a", "shared")
    # and B's own search does find B's memories (the search works at all)
    r = client.post("/v1/search", json={"text": b_ids["texts"][0] if b_ids["texts"] else "speech", "limit": 5},
                    headers=two_tenants.b.headers)
    assert r.status_code == 200 and r.json()["items"]
    assert all(h["memory"]["id"] in b_memories for h in r.json()["items"])


def test_vector_and_sql_queries_carry_the_tenant(client, two_tenants):
    """Directly in the stores: A's tenant filter over the whole vector store holds only A's points."""
    from memory_core.stores.base import VectorFilter

    rt = client.app.state.ctx.rt
    a, b = two_tenants.a.id, two_tenants.b.id
    a_ids = set(rt.vectors.scroll_ids(VectorFilter(tenant=a), limit=1_000_000))
    b_ids = set(rt.vectors.scroll_ids(VectorFilter(tenant=b), limit=1_000_000))
    assert a_ids and b_ids and not a_ids & b_ids
    a_rows = rt.repo.list_nodes(a, limit=1_000_000)
    assert all(n.tenant == a for n in a_rows)
    assert a_ids <= {n.id for n in a_rows}
    assert not {n.id for n in a_rows} & {n.id for n in rt.repo.list_nodes(b, limit=1_000_000)}
