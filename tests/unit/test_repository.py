"""SqlRepository on SQLite (temp file) and PostgreSQL (a throwaway schema per test)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import func, inspect, select

from api_schemas import EntityKind, JobStatus, Kind, Level
from memory_core.domain import Appearance, Entity, MediaFile, MemoryNode
from memory_core.ids import entity_id, node_id
from memory_core.stores.relational import SqlRepository, migrate
from memory_core.stores.relational.migrate import current_revision, head_revision
from memory_core.stores.relational.models import Base

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
TABLES = ["memory_nodes", "media_files", "jobs", "entities", "entity_appearances", "sources"]


def _pg_schema() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
            schema = f"vt_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
            return schema
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 did not answer within 2 s ({type(exc).__name__}: {exc})")


def _pg_drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'vidmem.db'}"
        return
    schema = _pg_schema()
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    _pg_drop(schema)


@pytest.fixture
def repo(db_url):
    r = SqlRepository(db_url)
    yield r
    r.close()


def node(tenant: str, i: int, *, source: str = "cam", level: Level = Level.CLIP, kind: Kind = Kind.EPISODIC,
         start_s: float | None = None, dur_s: float = 10.0, **kw) -> MemoryNode:
    start = T0 + timedelta(seconds=10.0 * i if start_s is None else start_s)
    return MemoryNode(id=node_id(tenant, source, level, kind, i), tenant=tenant, source=source, level=level, kind=kind,
                      start=start, end=start + timedelta(seconds=dur_s), text=f"clip {i}", **kw)


def count_rows(repo: SqlRepository, table: str, tenant: str | None = None) -> int:
    t = Base.metadata.tables[table]
    q = select(func.count()).select_from(t)
    if tenant is not None:
        q = q.where(t.c.tenant_id == tenant)
    with repo.engine.connect() as conn:
        return conn.execute(q).scalar_one()


# ---------------------------------------------------------------- schema
def test_migrations_run_from_empty(db_url):
    assert migrate(db_url) == head_revision()
    assert migrate(db_url) == head_revision()  # idempotent
    r = SqlRepository(db_url)
    assert current_revision(r.engine) == head_revision()
    names = set(inspect(r.engine).get_table_names())
    assert {"tenants", "api_keys", "sources", *TABLES, "alembic_version"} <= names
    r.close()


def test_sqlite_pragmas(tmp_path):
    r = SqlRepository(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    with r.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    r.close()


# ---------------------------------------------------------------- nodes
def test_node_upsert_idempotent_and_roundtrip(repo):
    paris = ZoneInfo("Europe/Paris")
    n = node("a", 1, entity_ids=["e1"], evidence_ids=["x"], keyframe_paths=["a/cam/1/0.jpg"],
             attributes={"speakers": ["S1"], "ocr": "EXIT"}, provenance={"asr": "tiny.en"},
             media_file_id="m1", media_path="/v.mp4", media_start_s=1.5, media_end_s=11.5, parent_id="p")
    n.start = n.start.astimezone(paris)
    repo.upsert_nodes([n])
    repo.upsert_nodes([n])
    assert repo.count_nodes("a") == 1
    got = repo.get_node("a", n.id)
    assert got is not None
    assert got.start == T0 + timedelta(seconds=10) and got.start.utcoffset() == timedelta(0)
    assert got.end.tzinfo is not None
    assert (got.entity_ids, got.evidence_ids, got.keyframe_paths) == (["e1"], ["x"], ["a/cam/1/0.jpg"])
    assert got.attributes == {"speakers": ["S1"], "ocr": "EXIT"} and got.provenance == {"asr": "tiny.en"}
    assert (got.level, got.kind, got.parent_id, got.media_start_s) == (Level.CLIP, Kind.EPISODIC, "p", 1.5)
    n.text = "updated"
    repo.upsert_nodes([n])
    assert repo.get_node("a", n.id).text == "updated" and repo.count_nodes("a") == 1


def test_bulk_upsert_thousands(repo):
    nodes = [node("a", i) for i in range(3000)]
    repo.upsert_nodes(nodes)
    repo.upsert_nodes(nodes)
    assert repo.count_nodes("a") == 3000
    got = repo.get_nodes("a", [nodes[5].id, "missing", nodes[2].id])
    assert [g.id for g in got] == [nodes[5].id, nodes[2].id]


def test_list_nodes_filters_and_ordering(repo):
    repo.upsert_nodes([node("a", i, source="cam1" if i < 6 else "cam2") for i in range(10)])
    scene = node("a", 100, level=Level.SCENE, start_s=0, dur_s=60)
    fact = node("a", 200, level=Level.STORY, kind=Kind.SEMANTIC, start_s=0, dur_s=3600, media_file_id="m9")
    kid = node("a", 300, start_s=5, parent_id=scene.id)
    repo.upsert_nodes([scene, fact, kid])
    clips = repo.list_nodes("a", level=Level.CLIP)
    assert [c.start for c in clips] == sorted(c.start for c in clips) and len(clips) == 11
    rev = repo.list_nodes("a", level=Level.CLIP, order="-start")
    assert [c.id for c in rev] == [c.id for c in reversed(clips)]
    assert len(repo.list_nodes("a", source="cam2")) == 4
    assert len(repo.list_nodes("a", sources=["cam1", "cam2"], level=Level.CLIP)) == 10
    assert repo.list_nodes("a", sources=[]) == []
    assert [n.id for n in repo.list_nodes("a", parent_id=scene.id)] == [kid.id]
    assert [n.id for n in repo.list_nodes("a", media_file_id="m9")] == [fact.id]
    assert [n.id for n in repo.list_nodes("a", kind=Kind.SEMANTIC)] == [fact.id]
    # overlap: clips are [10i, 10i+10]; [25, 35] touches clips 2 and 3 (plus the scene and fact)
    window = repo.list_nodes("a", level=Level.CLIP, start=T0 + timedelta(seconds=25), end=T0 + timedelta(seconds=35))
    assert [n.text for n in window] == ["clip 2", "clip 3"]
    # starts_after bounds the overlap from below: clip 2 starts at 20 s, before 21 s
    bounded = repo.list_nodes("a", level=Level.CLIP, start=T0 + timedelta(seconds=25), end=T0 + timedelta(seconds=35),
                              starts_after=T0 + timedelta(seconds=21))
    assert [n.text for n in bounded] == ["clip 3"]
    page = repo.list_nodes("a", level=Level.CLIP, limit=3, offset=2)
    assert [p.id for p in page] == [c.id for c in clips[2:5]]
    assert repo.count_nodes("a", level=Level.CLIP, source="cam1") == 6
    assert repo.count_nodes("a", media_file_id="m9") == 1
    with pytest.raises(ValueError):
        repo.list_nodes("a", order="text")


def test_delete_nodes(repo):
    nodes = [node("a", i) for i in range(5)]
    repo.upsert_nodes(nodes)
    assert repo.delete_nodes("b", [nodes[0].id]) == 0  # another tenant cannot delete them
    assert repo.delete_nodes("a", [nodes[0].id, nodes[1].id]) == 2
    assert repo.count_nodes("a") == 3


# ---------------------------------------------------------------- entities
def make_entity(tenant: str, key: str, *, source: str = "cam", dim: int = 128) -> Entity:
    rng = np.random.default_rng(abs(hash(key)) % 2**32)
    c = rng.standard_normal(dim).astype(np.float32)
    return Entity(id=entity_id(tenant, source, "face", key), tenant=tenant, source=source, kind=EntityKind.FACE,
                  label=f"Person {key}", centroid=c / np.linalg.norm(c),
                  exemplars=[rng.standard_normal(dim).astype(np.float32) for _ in range(3)], count=3,
                  first_seen=T0, last_seen=T0 + timedelta(minutes=5), linked_ids=["v1"], possible_duplicates=["d1"],
                  attributes={"quality": 0.9})


def test_entities_and_appearances_roundtrip(repo):
    e = make_entity("a", "p1")
    repo.upsert_entity(e)
    got = repo.get_entity("a", e.id)
    assert got is not None and got.kind is EntityKind.FACE and got.label == "Person p1"
    assert got.centroid.dtype == np.float32 and np.array_equal(got.centroid, e.centroid)
    assert len(got.exemplars) == 3 and all(np.array_equal(a, b) for a, b in zip(got.exemplars, e.exemplars))
    got.centroid[0] = 5.0  # writable copy
    assert (got.first_seen, got.linked_ids, got.possible_duplicates, got.attributes) == (T0, ["v1"], ["d1"], {"quality": 0.9})
    e.name, e.count, e.exemplars = "Alice", 4, []
    repo.upsert_entity(e)
    got = repo.get_entity("a", e.id)
    assert (got.name, got.count, got.exemplars) == ("Alice", 4, [])

    apps = [Appearance(entity_id=e.id, node_id=f"n{i}", start=T0 + timedelta(seconds=10 * i),
                       end=T0 + timedelta(seconds=10 * i + 10), media_path="/v.mp4", media_start_s=10.0 * i,
                       media_end_s=10.0 * i + 10, confidence=0.8) for i in (2, 0, 1)]
    repo.add_appearances("a", apps)
    repo.add_appearances("a", apps[:1])  # same (entity, node) does not duplicate
    timeline = repo.appearances("a", e.id)
    assert [a.node_id for a in timeline] == ["n0", "n1", "n2"] and timeline[0].confidence == 0.8
    assert count_rows(repo, "entity_appearances") == 3
    with pytest.raises(KeyError):
        repo.add_appearances("b", apps)  # tenant b has no such entity
    with pytest.raises(ValueError):
        repo.upsert_entity(Entity(id="x", tenant="a", source="cam", kind=EntityKind.VOICE, label="v",
                                  centroid=np.ones(4, np.float32), exemplars=[np.ones(5, np.float32)]))

    repo.upsert_entity(make_entity("a", "p2", source="cam2"))
    repo.upsert_entity(Entity(id="n1", tenant="a", source="cam", kind=EntityKind.NAME, label="Bob"))
    assert {x.id for x in repo.list_entities("a")} == {e.id, make_entity("a", "p2", source="cam2").id, "n1"}
    assert [x.label for x in repo.list_entities("a", kind=EntityKind.NAME)] == ["Bob"]
    assert len(repo.list_entities("a", source="cam2")) == 1
    assert repo.get_entity("a", "n1").centroid is None
    assert repo.delete_entity("a", e.id) and not repo.delete_entity("a", e.id)
    assert repo.appearances("a", e.id) == []


# ---------------------------------------------------------------- jobs
def test_jobs_lifecycle(repo):
    jid = repo.create_job("a", "cam", media_path="/v.mp4")
    job = repo.get_job("a", jid)
    assert job["status"] is JobStatus.QUEUED and job["percent"] == 0 and job["created_at"].tzinfo is not None
    repo.update_job("a", jid, status=JobStatus.RUNNING, step="decode", percent=12.5)
    repo.update_job("a", jid, percent=250)
    job = repo.get_job("a", jid)
    assert (job["status"], job["step"], job["percent"]) == (JobStatus.RUNNING, "decode", 100.0)
    assert job["heartbeat_at"] is not None and job["updated_at"] >= job["created_at"]
    repo.update_job("a", jid, status=JobStatus.SUCCEEDED, result={"counts": {"clip": 3}})
    assert repo.get_job("a", jid)["result"] == {"counts": {"clip": 3}}
    assert repo.create_job("a", "cam", job_id=jid) == jid  # idempotent by key
    assert repo.get_job("a", jid)["status"] is JobStatus.SUCCEEDED
    with pytest.raises(ValueError):
        repo.create_job("b", "cam", job_id=jid)
    with pytest.raises(KeyError):
        repo.update_job("b", jid, percent=1)
    j2 = repo.create_job("a", "cam2")
    assert [j["id"] for j in repo.list_jobs("a")] == [j2, jid]
    assert [j["id"] for j in repo.list_jobs("a", source="cam")] == [jid]
    assert repo.get_source("a", "cam") is not None  # created with the job


def test_fail_orphaned_jobs(repo):
    queued = repo.create_job("a", "cam")
    running = repo.create_job("b", "cam")
    repo.update_job("b", running, status=JobStatus.RUNNING)
    done = repo.create_job("a", "cam")
    repo.update_job("a", done, status=JobStatus.SUCCEEDED)
    assert repo.fail_orphaned_jobs(stale_after_s=3600) == 0  # heartbeats are fresh
    assert repo.fail_orphaned_jobs("restarted", stale_after_s=0) == 2
    assert repo.get_job("a", queued)["status"] is JobStatus.FAILED
    assert repo.get_job("b", running)["error"] == "restarted"
    assert repo.get_job("a", done)["status"] is JobStatus.SUCCEEDED
    assert repo.fail_orphaned_jobs() == 0


def test_fail_orphaned_jobs_leaves_excluded_kinds(repo):
    local = repo.create_job("a", "cam")
    remote = repo.create_job("a", "cam", kind="ingest-distributed")
    assert repo.fail_orphaned_jobs(exclude_kinds=("ingest-distributed",)) == 1
    assert repo.get_job("a", local)["status"] is JobStatus.FAILED
    assert repo.get_job("a", remote)["status"] is JobStatus.QUEUED


# ---------------------------------------------------------------- sources, media, deletion, isolation
def test_sources_and_media(repo):
    repo.ensure_tenant("a", "Acme")
    s = repo.ensure_source("a", "cam", kind="stream", settings={"url": "rtsp://x"})
    assert (s["name"], s["kind"], s["settings"], s["tenant"]) == ("cam", "stream", {"url": "rtsp://x"}, "a")
    assert repo.ensure_source("a", "cam")["settings"] == {"url": "rtsp://x"}
    assert repo.ensure_source("a", "cam", settings={"fps": 1})["settings"] == {"fps": 1}
    repo.ensure_source("a", "film")
    assert [x["name"] for x in repo.list_sources("a")] == ["cam", "film"]
    m = MediaFile(id="m1", tenant="a", source="film", path="/f.mp4", fingerprint="abc", duration_s=12.5,
                  start_time=T0, has_audio=False, width=640, height=360)
    repo.upsert_media_file(m)
    repo.upsert_media_file(m)
    assert repo.get_media_file("a", "m1") == m
    assert repo.list_media_files("a", source="film") == [m] and repo.list_media_files("a", source="cam") == []


def test_delete_source_leaves_zero_rows(repo):
    for tenant in ("a", "b"):
        repo.ensure_source(tenant, "cam")
        repo.upsert_media_file(MediaFile(id=f"m-{tenant}", tenant=tenant, source="cam", path="/v.mp4", fingerprint="f",
                                         duration_s=1.0, start_time=T0))
        repo.create_job(tenant, "cam")
        nodes = [node(tenant, i) for i in range(4)]
        repo.upsert_nodes(nodes)
        e = make_entity(tenant, "p")
        repo.upsert_entity(e)
        repo.add_appearances(tenant, [Appearance(entity_id=e.id, node_id=n.id, start=n.start, end=n.end) for n in nodes])
    repo.upsert_nodes([node("a", 50, source="other")])
    assert repo.delete_source("a", "cam") is True
    for table in TABLES:
        t = Base.metadata.tables[table]
        col = t.c.name if table == "sources" else t.c.source
        with repo.engine.connect() as conn:
            left = conn.execute(select(func.count()).select_from(t).where(t.c.tenant_id == "a", col == "cam")).scalar_one()
        assert left == 0, table
        assert count_rows(repo, table, "b") >= 1, table  # tenant b untouched
    assert repo.count_nodes("a", source="other") == 1
    assert repo.delete_source("a", "cam") is False


def test_tenant_isolation_on_every_read(repo):
    n = node("a", 1, media_file_id="m1", parent_id="p")
    repo.upsert_nodes([n])
    e = make_entity("a", "p")
    repo.upsert_entity(e)
    repo.add_appearances("a", [Appearance(entity_id=e.id, node_id=n.id, start=n.start, end=n.end)])
    repo.upsert_media_file(MediaFile(id="m1", tenant="a", source="cam", path="/v", fingerprint="f", duration_s=1, start_time=T0))
    jid = repo.create_job("a", "cam")
    # a node of tenant b reusing a's id must not overwrite a's row
    intruder = node("a", 1)
    intruder.tenant, intruder.text = "b", "hijack"
    repo.upsert_nodes([intruder])
    assert repo.get_node("a", n.id).text == "clip 1"

    b = "b"
    assert repo.get_node(b, n.id) is None and repo.get_nodes(b, [n.id]) == []
    assert repo.list_nodes(b) == [] and repo.count_nodes(b) == 0
    assert repo.list_nodes(b, parent_id="p") == [] and repo.list_nodes(b, media_file_id="m1") == []
    assert repo.get_entity(b, e.id) is None and repo.list_entities(b) == [] and repo.appearances(b, e.id) == []
    assert repo.get_media_file(b, "m1") is None and repo.list_media_files(b) == []
    assert repo.get_job(b, jid) is None and repo.list_jobs(b) == []
    assert repo.get_source(b, "cam") is None and repo.list_sources(b) == []
    assert repo.delete_entity(b, e.id) is False and repo.delete_source(b, "cam") is False
    assert repo.get_entity("a", e.id) is not None and repo.count_nodes("a") == 1
