"""The whole main job with PostgreSQL as the relational store (VIDMEM_DATABASE_URL): ingest real
footage, ask, re-ingest without duplicates, delete the source. Uses a schema of its own on the
server at 127.0.0.1:5432 and drops it afterwards; skips with the reason when no server answers."""

from __future__ import annotations

import uuid

import pytest

from api_schemas import Question
from ingest_workers.pipeline import ingest_file
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from memory_core.timeutil import parse_iso
from tests.e2e.conftest import DATA

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url():
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
            schema = f"ve_{uuid.uuid4().hex[:12]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 did not answer within 2 s ({type(exc).__name__}: {exc})")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_main_job_on_postgresql(pg_url, tmp_path):
    settings = Settings(home=tmp_path, database_url=pg_url, models={"faces": "none", "ocr": "none"})
    rt = Runtime.open(settings)
    try:
        assert rt.repo.engine.dialect.name == "postgresql"
        t = settings.default_tenant
        first = ingest_file(rt, DATA / "day2.mp4", source="pg-garden")
        assert first.status == "succeeded", first
        rows = len(rt.repo.list_nodes(t, source="pg-garden", limit=10_000))
        assert rows > 0
        answer = rt.agent.ask(Question(text="Is the back door locked?", sources=["pg-garden"],
                                       now=parse_iso("2026-11-17T20:00:00Z")), tenant=t)
        assert "locked" in answer.answer.lower()
        assert answer.evidence[0].media_path.endswith("day2.mp4")
        again = ingest_file(rt, DATA / "day2.mp4", source="pg-garden")
        assert again.status == "succeeded"
        assert len(rt.repo.list_nodes(t, source="pg-garden", limit=10_000)) == rows
        assert rt.repo.get_job(t, again.job_id)["status"].value == "succeeded"
        assert rt.repo.delete_source(t, "pg-garden")
        assert rt.repo.list_nodes(t, source="pg-garden") == []
    finally:
        rt.close()
