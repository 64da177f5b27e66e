"""Rollback keeps what earlier files built: a second file of a source whose ingest fails after it
wrote leaves the source's entity and semantic memories exactly as the first file left them (rows
and vectors), and nothing of its own.

Real footage: sample.mp4 then day2.mp4 (Alice Parker speaks in both, so day2 updates the entity
memories sample.mp4 made). The failure is injected at the last moment, after
``ClipProcessor.finish`` wrote everything: the worst case for a rollback.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from api_schemas import Kind
from ingest_workers.pipeline import ingest_file
from ingest_workers.processor import ClipProcessor
from memory_core.runtime import Runtime
from memory_core.settings import Settings
from memory_core.stores.base import VectorFilter
from tests.e2e.conftest import DATA

pytestmark = pytest.mark.slow

SOURCE = "warehouse"
TENANT = "default"


def _cross_file(rt) -> dict[str, tuple]:
    """Entity and semantic memories of the source: id -> (text, start, end, entity ids)."""
    out = {}
    for kind in (Kind.ENTITY, Kind.SEMANTIC):
        for n in rt.repo.list_nodes(TENANT, source=SOURCE, kind=kind, limit=100_000):
            out[n.id] = (n.text, n.start, n.end, tuple(n.entity_ids))
    return out


def _entities(rt) -> dict[str, tuple]:
    """Entity rows of the source: id -> (label, name, first and last seen, attributes)."""
    return {e.id: (e.label, e.name, e.first_seen, e.last_seen, repr(sorted(e.attributes.items())))
            for e in rt.repo.list_entities(TENANT, source=SOURCE)}


def _vectors(rt, ids) -> int:
    return rt.vectors.count(VectorFilter(tenant=TENANT, node_ids=list(ids)))


def test_failed_second_file_restores_the_first_files_entity_and_semantic_memories(tmp_path, monkeypatch):
    settings = Settings(home=tmp_path / "home", environment="test", models={"ocr": "none"})
    rt = Runtime.open(settings)
    try:
        first = ingest_file(rt, DATA / "sample.mp4", source=SOURCE,
                            start_time=datetime(2026, 11, 16, 8, 0, tzinfo=timezone.utc))
        assert first.status in ("succeeded", "partial"), first
        before = _cross_file(rt)
        assert any(rt.repo.get_node(TENANT, i).kind is Kind.ENTITY for i in before)
        assert _vectors(rt, before) == len(before)
        nodes_before = rt.repo.count_nodes(TENANT, source=SOURCE)
        entities_before = _entities(rt)

        changed: dict[str, tuple] = {}
        finish = ClipProcessor.finish

        def finish_then_fail(self):
            counts = finish(self)  # everything of day2.mp4 is written now
            changed.update(_cross_file(rt))
            raise RuntimeError("injected: the store went away after the write")

        monkeypatch.setattr(ClipProcessor, "finish", finish_then_fail)
        second = ingest_file(rt, DATA / "day2.mp4", source=SOURCE,
                             start_time=datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc))
        assert second.status == "failed" and "injected" in second.error
        # the failed run did change the first file's cross-file memories before it failed
        assert changed != before
        assert any(i in before and changed[i] != before[i] for i in changed), "day2 touched no earlier memory"

        after = _cross_file(rt)
        assert after == before  # same ids, same text and spans: restored, not deleted
        assert _vectors(rt, after) == len(after)  # each with its vector back
        assert rt.repo.count_nodes(TENANT, source=SOURCE) == nodes_before
        assert _entities(rt) == entities_before  # entity rows as sample.mp4 left them, none of day2's
        assert rt.vectors.count(VectorFilter(tenant=TENANT, sources=[SOURCE])) == nodes_before
        assert [m.path for m in rt.repo.list_media_files(TENANT, SOURCE)] == [str((DATA / "sample.mp4").resolve())]
    finally:
        rt.close()
