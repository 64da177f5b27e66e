"""Both vector store backends behave the same: qdrant-edge and qdrant-client's local mode."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from api_schemas import Kind, Level
from memory_core.domain import MemoryNode
from memory_core.ids import node_id
from memory_core.stores.base import IMAGE_VECTOR, VectorFilter
from memory_core.stores.vector_edge import EdgeVectorStore, _to_filter, open_edge_store
from memory_core.stores.vector_qdrant import QdrantVectorStore

DIM = 8
T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def unit(*values: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def make_node(tenant: str, i: int, vec: np.ndarray, *, source: str = "cam", level: Level = Level.CLIP,
              kind: Kind = Kind.EPISODIC, start_s: float = 0.0, dur_s: float = 10.0, **kw) -> MemoryNode:
    return MemoryNode(
        id=node_id(tenant, source, level, kind, i),
        tenant=tenant,
        source=source,
        level=level,
        kind=kind,
        start=T0 + timedelta(seconds=start_s),
        end=T0 + timedelta(seconds=start_s + dur_s),
        text=f"node {i}",
        vector=vec,
        **kw,
    )


@pytest.fixture(params=["edge", "qdrant-local"])
def store(request, tmp_path):
    if request.param == "edge":
        s = open_edge_store(tmp_path / "vectors")
    else:
        s = QdrantVectorStore(location=":memory:", collection="test")
    s.ensure_collection(DIM)
    yield s
    s.close()


def test_search_best_first_with_payload(store):
    nodes = [make_node("a", i, unit(1, i * 0.3)) for i in range(5)]
    store.upsert(nodes)
    hits = store.search(unit(1, 0), VectorFilter(tenant="a"), limit=3)
    assert [h.id for h in hits] == [nodes[0].id, nodes[1].id, nodes[2].id]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert hits[0].payload["text"] == "node 0" and hits[0].payload["level"] == "clip"
    assert hits[0].payload["start"] == pytest.approx(T0.timestamp())


def test_tenant_isolation_with_identical_vectors(store):
    store.upsert([make_node("a", i, unit(1, 1)) for i in range(3)])
    store.upsert([make_node("b", 100 + i, unit(1, 1)) for i in range(2)])
    hits_b = store.search(unit(1, 1), VectorFilter(tenant="b"), limit=10)
    assert len(hits_b) == 2 and all(h.payload["tenant"] == "b" for h in hits_b)
    assert store.count(VectorFilter(tenant="a")) == 3
    assert store.count(VectorFilter(tenant="c")) == 0
    assert store.search(unit(1, 1), VectorFilter(tenant="c")) == []
    a_ids = store.scroll_ids(VectorFilter(tenant="a"))
    # another tenant's ids do not leak through an id filter
    assert store.count(VectorFilter(tenant="b", node_ids=a_ids)) == 0
    store.delete(VectorFilter(tenant="b"))
    assert store.count(VectorFilter(tenant="a")) == 3


def test_tenant_required(store):
    with pytest.raises(ValueError):
        store.count(VectorFilter(tenant=""))


def test_level_kind_source_filters(store):
    store.upsert([
        make_node("a", 1, unit(1), level=Level.CLIP, kind=Kind.EPISODIC, source="cam1"),
        make_node("a", 2, unit(1), level=Level.SCENE, kind=Kind.EPISODIC, source="cam1"),
        make_node("a", 3, unit(1), level=Level.SCENE, kind=Kind.VISUAL, source="cam2"),
        make_node("a", 4, unit(1), level=Level.STORY, kind=Kind.SEMANTIC, source="cam2", entity_ids=["e1", "e2"]),
    ])
    assert store.count(VectorFilter(tenant="a", levels=[Level.SCENE])) == 2
    assert store.count(VectorFilter(tenant="a", levels=[Level.SCENE], kinds=[Kind.VISUAL])) == 1
    assert store.count(VectorFilter(tenant="a", sources=["cam2"])) == 2
    assert store.count(VectorFilter(tenant="a", sources=["cam1", "cam2"], levels=[Level.CLIP, Level.STORY])) == 2
    assert store.count(VectorFilter(tenant="a", entity_ids=["e2"])) == 1
    assert store.count(VectorFilter(tenant="a", sources=[])) == 0  # an empty list matches nothing
    hits = store.search(unit(1), VectorFilter(tenant="a", kinds=[Kind.SEMANTIC]), limit=5)
    assert [h.payload["kind"] for h in hits] == ["semantic"]


def test_parent_media_and_id_filters(store):
    parent = make_node("a", 0, unit(0, 1), level=Level.SCENE)
    kids = [make_node("a", i, unit(1, i), parent_id=parent.id, media_file_id="m1") for i in range(1, 4)]
    other = make_node("a", 9, unit(1), media_file_id="m2")
    store.upsert([parent, *kids, other])
    assert set(store.scroll_ids(VectorFilter(tenant="a", parent_ids=[parent.id]))) == {k.id for k in kids}
    assert store.count(VectorFilter(tenant="a", media_file_id="m1")) == 3
    assert store.count(VectorFilter(tenant="a", node_ids=[kids[0].id, other.id])) == 2


def test_time_overlap_filter(store):
    # spans [0,10], [10,20], [20,30], ... [90,100] seconds after T0
    store.upsert([make_node("a", i, unit(1, i), start_s=10.0 * i) for i in range(10)])
    t = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    assert store.count(VectorFilter(tenant="a", start=t(25), end=t(35))) == 2  # [20,30] and [30,40]
    assert store.count(VectorFilter(tenant="a", start=t(30), end=t(30))) == 2  # touching both
    assert store.count(VectorFilter(tenant="a", start=t(95))) == 1
    assert store.count(VectorFilter(tenant="a", end=t(5))) == 1
    assert store.count(VectorFilter(tenant="a", start=t(200))) == 0
    # a non-UTC aware bound means the same instant
    tz = datetime(2026, 11, 16, 9, 0, 25, tzinfo=UTC).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert store.count(VectorFilter(tenant="a", start=tz - timedelta(hours=1), end=tz - timedelta(hours=1))) == 1


def test_delete_by_filter_and_count(store):
    store.upsert([make_node("a", i, unit(1, i), level=Level.CLIP if i % 2 else Level.SCENE) for i in range(10)])
    assert store.count(VectorFilter(tenant="a")) == 10
    store.delete(VectorFilter(tenant="a", levels=[Level.SCENE]))
    assert store.count(VectorFilter(tenant="a")) == 5
    assert store.count(VectorFilter(tenant="a", levels=[Level.SCENE])) == 0


def test_reupsert_same_id_replaces(store):
    n = make_node("a", 1, unit(1, 0))
    store.upsert([n])
    n.text, n.vector = "changed", unit(0, 1)
    store.upsert([n])
    assert store.count(VectorFilter(tenant="a")) == 1
    hit = store.search(unit(0, 1), VectorFilter(tenant="a"), limit=1)[0]
    assert hit.payload["text"] == "changed" and hit.score == pytest.approx(1.0, abs=1e-5)


def test_nodes_without_vector_are_skipped_and_bad_dims_rejected(store):
    store.upsert([make_node("a", 1, None)])  # type: ignore[arg-type]
    assert store.count(VectorFilter(tenant="a")) == 0
    with pytest.raises(ValueError):
        store.upsert([make_node("a", 2, np.ones(DIM + 1, dtype=np.float32))])
    with pytest.raises(ValueError):
        store.search(np.ones(3, dtype=np.float32), VectorFilter(tenant="a"))


def test_scroll_ids_limit(store):
    store.upsert([make_node("a", i, unit(1, i)) for i in range(25)])
    assert len(store.scroll_ids(VectorFilter(tenant="a"), limit=10)) == 10
    assert len(set(store.scroll_ids(VectorFilter(tenant="a")))) == 25


def test_image_vector_added_later(store):
    store.upsert([make_node("a", 1, unit(1))])
    assert store.search(np.ones(4, dtype=np.float32), VectorFilter(tenant="a"), using=IMAGE_VECTOR) == []
    img = np.array([1, 0, 0, 0], dtype=np.float32)
    store.upsert([make_node("a", 2, unit(1), kind=Kind.VISUAL, image_vector=img)])
    hits = store.search(img, VectorFilter(tenant="a"), using=IMAGE_VECTOR, limit=5)
    assert [h.payload["kind"] for h in hits] == ["visual"]
    with pytest.raises(ValueError):
        store.ensure_collection(DIM + 1)


def test_concurrent_upserts_and_searches(store):
    errors: list[Exception] = []

    def work(k: int) -> None:
        try:
            for j in range(5):
                store.upsert([make_node("a", k * 100 + j, unit(1, k, j))])
                store.search(unit(1, k), VectorFilter(tenant="a"), limit=3)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and store.count(VectorFilter(tenant="a")) == 20


# ---------------------------------------------------------------- edge-only
def test_edge_reload_from_disk(tmp_path):
    path = tmp_path / "vectors"
    store = open_edge_store(path)
    assert open_edge_store(path) is store  # one instance per path
    nodes = [make_node("a", i, unit(1, i), image_vector=np.ones(4, dtype=np.float32)) for i in range(20)]
    store.upsert(nodes)
    store.optimize()
    store.close()
    again = open_edge_store(path)
    assert again is not store and again.dims == (DIM, 4)
    assert again.count(VectorFilter(tenant="a")) == 20
    assert again.search(unit(1, 3), VectorFilter(tenant="a"), limit=1)[0].id == nodes[3].id
    again.close()


def test_edge_second_instance_refused(tmp_path):
    store = EdgeVectorStore(tmp_path / "v")
    store.ensure_collection(DIM)
    with pytest.raises(RuntimeError):
        EdgeVectorStore(tmp_path / "v")
    store.close()


def test_edge_lazy_collection(tmp_path):
    store = EdgeVectorStore(tmp_path / "v")
    assert store.count(VectorFilter(tenant="a")) == 0 and store.search(unit(1), VectorFilter(tenant="a")) == []
    store.upsert([make_node("a", 1, unit(1))])
    assert store.dims == (DIM, None) and store.count(VectorFilter(tenant="a")) == 1
    store.close()


def test_edge_filter_always_has_tenant():
    flt = _to_filter(VectorFilter(tenant="t", levels=[Level.CLIP], start=T0))
    assert flt.must[0].key == "tenant"


# ---------------------------------------------------------------- factory
def test_factory_backends(tmp_path):
    from memory_core.settings import Settings, VectorSettings
    from memory_core.stores.factory import open_repository, open_vector_store

    edge = open_vector_store(Settings(home=tmp_path))
    assert isinstance(edge, EdgeVectorStore) and open_vector_store(Settings(home=tmp_path)) is edge
    edge.close()
    local_settings = Settings(home=tmp_path, vector=VectorSettings(backend="qdrant-local"))
    local = open_vector_store(local_settings)
    assert isinstance(local, QdrantVectorStore) and open_vector_store(local_settings) is local
    local.upsert([make_node("a", 1, unit(1))])
    assert local.count(VectorFilter(tenant="a")) == 1
    local.close()
    with pytest.raises(ValueError):
        open_vector_store(Settings(home=tmp_path, vector=VectorSettings(backend="qdrant")))
    repo = open_repository(Settings(home=tmp_path))
    assert repo.count_nodes("a") == 0 and (tmp_path / "vidmem.db").exists()
    repo.close()
