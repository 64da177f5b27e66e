"""A failed ingest gives back the cross-file memories it changed, on both vector backends.

Entity summaries and semantic memories (latest-state facts, routines) have ids shared by every
file of a source. Real footage (tests/data): ``day2.mp4`` says "The back door is now locked",
``day3.mp4`` a day later "The back door is now open", both "I watered the plants in the garden",
in the same voice. So day3 rewrites day2's fact ("Current state: locked" becomes "Earlier
state"), adds a routine over the two days and extends the speaker's entity memory. Failures are
injected after everything was written, the worst case for a rollback.

Checked after each failure: every entity and semantic node of the source (row, vector values,
vector payload), every entity row and its appearances are exactly as before the failed run, and
nothing of the failed run remains.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import numpy as np
import pytest

from api_schemas import Kind, Level
from ingest_workers.pipeline import ingest_file
from ingest_workers.processor import ClipProcessor
from memory_core.building.semantic import SemanticBuilder
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from memory_core.stores.base import VectorFilter
from tests.e2e.conftest import DATA

pytestmark = pytest.mark.slow

SOURCE, TENANT = "garden", "default"


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)


def _open(tmp_path, backend: str) -> Runtime:
    return Runtime.open(Settings(home=tmp_path / "home", environment="test", models={"ocr": "none"},
                                 vector={"backend": backend}))


def _ingest(rt, name: str, when: datetime):
    summary = ingest_file(rt, DATA / name, source=SOURCE, start_time=when)
    return summary


def _stored_points(rt, ids: list[str]) -> dict[str, tuple[dict, dict]]:
    """id -> (vector name -> float32 array, payload), read straight from the backend's client, so
    the check does not rely on the code under test."""
    store, ids = rt.vectors, list(ids)
    if hasattr(store, "_shard"):  # qdrant-edge
        records = store._shard.retrieve(ids, True, True) if ids else []
    else:  # qdrant-client
        records = store._client.retrieve(store.collection, ids, with_payload=True, with_vectors=True) if ids else []
    return {str(r.id): ({k: np.asarray(v, dtype=np.float32) for k, v in r.vector.items()}, dict(r.payload))
            for r in records}


def _same_vectors(a: dict, b: dict) -> bool:
    """Same ids, names and values; to 1e-6 because Qdrant re-normalises a cosine vector on every
    upsert (the last float32 bit may change), qdrant-edge stores it as given."""
    return a.keys() == b.keys() and all(
        a[i].keys() == b[i].keys() and all(np.allclose(a[i][k], b[i][k], rtol=0, atol=1e-6) for k in a[i]) for i in a)


def _memory(rt) -> dict:
    """Everything cross-file of the source: node rows, their stored vectors and payloads, entity
    rows and appearances, plus totals and media files."""
    nodes = {n.id: dataclasses.asdict(n) for kind in (Kind.ENTITY, Kind.SEMANTIC)
             for n in rt.repo.list_nodes(TENANT, source=SOURCE, kind=kind, limit=100_000)}
    points = _stored_points(rt, list(nodes))
    entities = {e.id: dataclasses.asdict(e) for e in rt.repo.list_entities(TENANT, source=SOURCE)}
    for e in entities.values():
        e["centroid"] = None if e["centroid"] is None else np.asarray(e["centroid"]).tobytes()
        e["exemplars"] = [np.asarray(x).tobytes() for x in e["exemplars"]]
    appearances = {i: sorted((a.node_id, a.start, a.end) for a in rt.repo.appearances(TENANT, i, limit=100_000))
                   for i in entities}
    return {
        "nodes": nodes, "vectors": {i: p[0] for i, p in points.items()}, "payloads": {i: p[1] for i, p in points.items()},
        "entities": entities, "appearances": appearances,
        "node_total": rt.repo.count_nodes(TENANT, source=SOURCE),
        "vector_total": rt.vectors.count(VectorFilter(tenant=TENANT, sources=[SOURCE])),
        "media": sorted(m.path for m in rt.repo.list_media_files(TENANT, SOURCE)),
    }


def _texts(memory: dict) -> list[str]:
    return sorted(n["text"] for n in memory["nodes"].values())


def _assert_same(after: dict, before: dict) -> None:
    assert _texts(after) == _texts(before)
    for key in ("nodes", "payloads", "entities", "appearances", "node_total", "vector_total", "media"):
        assert after[key] == before[key], key
    assert _same_vectors(after["vectors"], before["vectors"])
    assert set(after["vectors"]) == set(after["nodes"])  # every cross-file node has its vector


@pytest.mark.parametrize("backend", ["edge", "qdrant-local", "edge-without-get_vectors"])
def test_failed_second_file_gives_back_the_first_files_facts_and_entities(tmp_path, monkeypatch, backend):
    """Last case: a store that cannot return vectors; the rollback re-embeds the kept texts."""
    rt = _open(tmp_path, backend.removesuffix("-without-get_vectors"))
    if backend.endswith("without-get_vectors"):
        def no_get_vectors(*_a, **_k):
            raise NotImplementedError

        monkeypatch.setattr(rt.vectors, "get_vectors", no_get_vectors)
    try:
        assert _ingest(rt, "day2.mp4", _at(17)).status == "succeeded"
        before = _memory(rt)
        assert any("Current state: the back door is locked" in t for t in _texts(before))
        assert any(n["kind"] is Kind.ENTITY for n in before["nodes"].values())

        during: dict = {}
        finish = ClipProcessor.finish

        def finish_then_fail(self):
            finish(self)  # day3's memories, entity and semantic updates are written now
            during.update(_memory(rt))
            raise RuntimeError("injected: lost the database connection")

        monkeypatch.setattr(ClipProcessor, "finish", finish_then_fail)
        failed = _ingest(rt, "day3.mp4", _at(18))
        assert failed.status == "failed" and "injected" in failed.error

        # the run did rewrite day2's memories and add its own before it failed
        texts = _texts(during)
        assert any(t.startswith("Earlier state: the back door was locked") for t in texts)
        assert any(t.startswith("Current state: the back door is open") for t in texts)
        assert any(t.startswith("Routine (2 days") for t in texts)
        shared = set(during["nodes"]) & set(before["nodes"])
        assert any(during["nodes"][i]["text"] != before["nodes"][i]["text"] for i in shared)
        assert any(during["entities"][i] != before["entities"][i] for i in before["entities"])

        _assert_same(_memory(rt), before)
    finally:
        rt.close()


def test_failed_reingest_gives_back_a_deleted_fact_while_the_embedder_is_down(tmp_path, monkeypatch):
    """Re-ingesting day3 an hour earlier moves the start of the "door open" fact, so the run
    deletes that fact (its id holds the start) and writes a new one; then the text embedder breaks
    for good (the failure that stops the run) - the rollback must not need it."""
    rt = _open(tmp_path, "edge")
    try:
        assert _ingest(rt, "day2.mp4", _at(17)).status == "succeeded"
        assert _ingest(rt, "day3.mp4", _at(18)).status == "succeeded"
        before = _memory(rt)
        open_fact = [i for i, n in before["nodes"].items() if n["text"].startswith("Current state: the back door is open")]
        assert len(open_fact) == 1

        embedder = rt.providers.text_embedder()
        deleted: list[str] = []
        delete = SemanticBuilder._delete  # superseded facts leave both stores here

        def delete_then_break_the_embedder(self, node_ids):
            delete(self, node_ids)
            deleted.extend(node_ids)

            def broken(texts):
                raise RuntimeError("injected: CUDA error: out of memory")

            monkeypatch.setattr(embedder, "embed", broken)

        monkeypatch.setattr(SemanticBuilder, "_delete", delete_then_break_the_embedder)
        failed = _ingest(rt, "day3.mp4", _at(18, 8))
        assert failed.status == "failed" and "out of memory" in failed.error
        assert deleted == open_fact  # the run did delete the earlier fact before it failed

        after = _memory(rt)
        # the failed re-ingest removes day3's own memories (documented), nothing cross-file
        assert after["media"] == [str((DATA / "day2.mp4").resolve())]
        assert after["nodes"] == before["nodes"]
        assert _same_vectors(after["vectors"], before["vectors"])
        assert after["payloads"] == before["payloads"]
        assert after["entities"] == before["entities"]
    finally:
        rt.close()


@pytest.mark.parametrize("backend", ["edge", "qdrant-local"])
def test_get_vectors_returns_what_was_stored_within_the_tenant(tmp_path, backend):
    """``VectorStore.get_vectors``, which the snapshots read: exact float32 values per vector name,
    only points of the filter's tenant, nothing for unknown ids or an empty store."""
    from memory_core.domain import MemoryNode
    from memory_core.stores.vector_edge import open_edge_store
    from memory_core.stores.vector_qdrant import QdrantVectorStore

    store = open_edge_store(tmp_path / "v") if backend == "edge" else QdrantVectorStore(location=":memory:", collection="t")
    try:
        assert store.get_vectors(VectorFilter(tenant="a", node_ids=["x"])) == {}
        rng = np.random.default_rng(7)

        def node(tenant: str, i: int, image: bool) -> MemoryNode:
            return MemoryNode(id=f"00000000-0000-0000-0000-{tenant == 'b':06d}{i:06d}", tenant=tenant, source="s",
                              level=Level.CLIP, kind=Kind.EPISODIC, start=_at(16), end=_at(16), text=f"{tenant} {i}",
                              vector=_unit(rng.normal(size=8)), image_vector=_unit(rng.normal(size=4)) if image else None)

        a = [node("a", i, image=i == 0) for i in range(3)]
        b = [node("b", i, image=False) for i in range(2)]
        store.upsert(a + b)
        got = store.get_vectors(VectorFilter(tenant="a", node_ids=[a[0].id, a[1].id, b[0].id, "00000000-0000-0000-0000-999999999999"]))
        assert set(got) == {a[0].id, a[1].id}
        assert got[a[1].id].keys() == {"text"}
        assert got[a[0].id]["text"].dtype == np.float32
        np.testing.assert_allclose(got[a[0].id]["text"], a[0].vector, rtol=0, atol=1e-6)
        np.testing.assert_allclose(got[a[0].id]["image"], a[0].image_vector, rtol=0, atol=1e-6)
        np.testing.assert_allclose(got[a[1].id]["text"], a[1].vector, rtol=0, atol=1e-6)
        assert len(store.get_vectors(VectorFilter(tenant="a"), limit=2)) == 2
        assert set(store.get_vectors(VectorFilter(tenant="b"))) == {n.id for n in b}
    finally:
        store.close()
