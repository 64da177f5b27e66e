"""Forgetting: delete a source entirely, or the footage and memories older than a retention cutoff.

Both stores and the files are cleaned: vector points (tenant + source filter), relational rows
(nodes, appearances, entities, media files, jobs, the source), keyframe JPEGs and the media files
vidmem owns (those under ``settings.media_dir``; files ingested from a server path are the
operator's and stay). :func:`source_leftovers` counts what remains, so a deletion can be shown to
leave nothing behind. Every statement carries the tenant condition.

Layout of owned media: ``<media_dir>/<tenant>/<source>/`` (names made safe with
:func:`memory_core.stores.keyframes.safe_component`), cut clips in its ``clips/`` folder.

Deleting a source and a live stream writing into it are kept apart by :func:`source_write_lock`
(a PostgreSQL advisory lock, or an ``flock`` under ``<home>/locks`` on one machine): the stream
worker checks that its source still exists and writes a clip group while holding it,
:func:`delete_source` holds it for the whole deletion, so nothing is written after a deletion
completed (see :mod:`ingest_workers.stream_guard`).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update

from api_schemas import Kind
from memory_core.logging import get_logger
from memory_core.settings import Settings
from memory_core.stores.base import VectorFilter
from memory_core.stores.keyframes import safe_component
from memory_core.stores.keyframes import media_keyframe_prefix
from memory_core.stores.relational.locks import job_lock
from memory_core.stores.relational.models import AppearanceRow, EntityRow, MemoryNodeRow, SourceRow

log = get_logger(__name__)

T_NODES = MemoryNodeRow.__table__
T_APPEAR = AppearanceRow.__table__
T_ENTITIES = EntityRow.__table__
T_SOURCES = SourceRow.__table__
_CHUNK = 500
DELETE_LOCK_WAIT_S = 60.0  # how long a deletion waits for a stream worker's write in progress


@dataclass
class ForgetReport:
    """What a deletion removed. ``remaining`` (source deletion only) counts leftovers by store."""

    vectors_deleted: int = 0
    rows_deleted: int = 0
    nodes_deleted: int = 0
    media_files_deleted: int = 0
    files_deleted: int = 0
    remaining: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- owned files
def owned_source_dir(settings: Settings, tenant: str, source: str) -> Path:
    """Folder of the media vidmem owns for a source (uploads, downloads, cut clips)."""
    return settings.media_dir.expanduser().resolve() / safe_component(tenant) / safe_component(source)


def clip_cache_path(settings: Settings, tenant: str, source: str, node_id: str) -> Path:
    """Where the cut clip of a memory node is cached."""
    return owned_source_dir(settings, tenant, source) / "clips" / f"{safe_component(node_id)}.mp4"


def is_owned(settings: Settings, path: str | Path) -> bool:
    """True when ``path`` lies inside ``settings.media_dir`` (vidmem may delete it)."""
    root = settings.media_dir.expanduser().resolve()
    try:
        return Path(path).expanduser().resolve().is_relative_to(root)
    except (OSError, ValueError):
        return False


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def _unlink(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- retention settings
def set_retention(repo, tenant: str, source: str, seconds: float | None) -> bool:
    """Set a source's time to live in seconds (``None``: keep forever); False when no such source."""
    with repo.engine.begin() as conn:
        n = conn.execute(update(T_SOURCES).where(T_SOURCES.c.tenant_id == tenant, T_SOURCES.c.name == source)
                         .values(retention_seconds=seconds)).rowcount
    return n > 0


def sources_with_retention(repo) -> list[tuple[str, str, float]]:
    """``(tenant, source, retention_seconds)`` of every source with a time to live (all tenants;
    used by the sweeper, which then works tenant by tenant)."""
    q = select(T_SOURCES.c.tenant_id, T_SOURCES.c.name, T_SOURCES.c.retention_seconds).where(T_SOURCES.c.retention_seconds.is_not(None))
    with repo.engine.connect() as conn:
        return [(r.tenant_id, r.name, float(r.retention_seconds)) for r in conn.execute(q)]


# --------------------------------------------------------------------------- writer/deletion lock
@contextlib.contextmanager
def source_write_lock(rt, tenant: str, source: str, *, wait_s: float) -> Iterator[bool]:
    """Hold the lock that keeps a stream worker's writes and the deletion of ``source`` apart.

    Waits up to ``wait_s`` seconds (polling every 0.05-0.5 s) and yields ``True`` while held, or
    ``False`` when it could not be taken in time (the caller decides whether to go on unlocked).
    Not re-entrant: a thread holding it and asking again waits for itself. Across processes it
    needs the same database (PostgreSQL) or the same ``home`` (SQLite: a file lock); a process
    that dies releases it.
    """
    name = f"source-write:{tenant}:{source}"
    deadline = time.monotonic() + max(0.0, wait_s)
    pause = 0.05
    while True:
        with job_lock(rt.repo, rt.settings.home, name) as held:
            if held or time.monotonic() >= deadline:
                yield held
                return
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.5)


# --------------------------------------------------------------------------- whole source
def source_leftovers(rt, tenant: str, source: str) -> dict[str, int]:
    """What remains of a source in every store: vectors, rows per table, keyframe and media files."""
    repo = rt.repo
    left = {
        "vectors": rt.vectors.count(VectorFilter(tenant=tenant, sources=[source])),
        "nodes": repo.count_nodes(tenant, source=source),
        "entities": len(repo.list_entities(tenant, source=source)),
        "media_files": len(repo.list_media_files(tenant, source)),
        "jobs": len(repo.list_jobs(tenant, source, limit=1_000_000)),
        "sources": int(repo.get_source(tenant, source) is not None),
    }
    with repo.engine.connect() as conn:
        left["appearances"] = int(conn.execute(select(func.count()).select_from(T_APPEAR).where(
            T_APPEAR.c.tenant_id == tenant, T_APPEAR.c.source == source)).scalar_one())
    left["keyframe_files"] = _count_files(rt.keyframes.root / safe_component(tenant) / safe_component(source))
    left["media_files_on_disk"] = _count_files(owned_source_dir(rt.settings, tenant, source))
    return left


def delete_source(rt, tenant: str, source: str, *, lock_wait_s: float = DELETE_LOCK_WAIT_S) -> ForgetReport | None:
    """Delete a source of ``tenant`` and everything of it; ``None`` when neither the source nor
    anything of it (rows, vectors, files: :func:`source_leftovers`) exists.

    Stop its ingest jobs first (a running job would write again). A live stream worker's write in
    progress is waited for (:func:`source_write_lock`, up to ``lock_wait_s`` seconds; past that the
    deletion goes on, logged, and the worker removes what it wrote once it sees the source gone).
    Order: vectors, rows, files; the report's ``remaining`` is :func:`source_leftovers` afterwards
    (all zeros when complete).
    """
    with source_write_lock(rt, tenant, source, wait_s=lock_wait_s) as held:
        if not held:
            log.warning("source deleted without its write lock", tenant=tenant, source=source, waited_s=lock_wait_s)
        return _delete_source(rt, tenant, source)


def _delete_source(rt, tenant: str, source: str) -> ForgetReport | None:
    repo, s = rt.repo, rt.settings
    if repo.get_source(tenant, source) is None and not any(source_leftovers(rt, tenant, source).values()):
        return None
    report = ForgetReport()
    flt = VectorFilter(tenant=tenant, sources=[source])
    report.vectors_deleted = rt.vectors.count(flt)
    rt.vectors.delete(flt)
    rt.vectors.flush()
    media = repo.list_media_files(tenant, source)
    before = source_leftovers(rt, tenant, source)
    report.rows_deleted = sum(before[k] for k in ("nodes", "entities", "media_files", "jobs", "sources", "appearances"))
    report.nodes_deleted = before["nodes"]
    report.media_files_deleted = len(media)
    repo.delete_source(tenant, source)
    report.files_deleted = before["keyframe_files"] + before["media_files_on_disk"]
    rt.keyframes.delete_source(tenant, source)
    shutil.rmtree(owned_source_dir(s, tenant, source), ignore_errors=True)
    for m in media:  # owned files stored elsewhere under media_dir (older layouts)
        if is_owned(s, m.path):
            report.files_deleted += _unlink(Path(m.path))
    report.remaining = source_leftovers(rt, tenant, source)
    log.info("source deleted", tenant=tenant, source=source, vectors=report.vectors_deleted, rows=report.rows_deleted,
             files=report.files_deleted, left=sum(report.remaining.values()))
    return report


# --------------------------------------------------------------------------- retention cut
def expire_source(rt, tenant: str, source: str, cutoff: datetime) -> ForgetReport:
    """Forget the footage of a source that ended before ``cutoff`` (aware datetime).

    Removes memory nodes whose span ends before ``cutoff`` (vectors, rows, appearances, keyframes,
    cut clips), media files that ended before it (rows and owned files), entities left without
    appearances (with their entity memories); the remaining entities get their counts and first
    sighting recomputed. Nodes that straddle the cutoff stay until they have ended before it.
    """
    repo, s = rt.repo, rt.settings
    report = ForgetReport()
    q = (select(T_NODES.c.id, T_NODES.c.keyframe_paths)
         .where(T_NODES.c.tenant_id == tenant, T_NODES.c.source == source, T_NODES.c.end_at < cutoff))
    with repo.engine.connect() as conn:
        rows = [(r.id, list(r.keyframe_paths or [])) for r in conn.execute(q)]
    ids = [i for i, _ in rows]
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        rt.vectors.delete(VectorFilter(tenant=tenant, sources=[source], node_ids=chunk))
        report.nodes_deleted += repo.delete_nodes(tenant, chunk)
        report.files_deleted += sum(_unlink(clip_cache_path(s, tenant, source, n)) for n in chunk)
    report.files_deleted += _delete_keyframes(rt, tenant, source, [k for _, paths in rows for k in paths])
    report.vectors_deleted = len(ids)
    report.files_deleted += _expire_media(rt, tenant, source, cutoff, report)
    report.nodes_deleted += _refresh_entities(rt, tenant, source)
    report.rows_deleted = report.nodes_deleted + report.media_files_deleted
    if ids:
        rt.vectors.flush()
        log.info("retention expired", tenant=tenant, source=source, nodes=report.nodes_deleted,
                 media_files=report.media_files_deleted, files=report.files_deleted)
    return report


def _expire_media(rt, tenant: str, source: str, cutoff: datetime, report: ForgetReport) -> int:
    files = 0
    for m in rt.repo.list_media_files(tenant, source):
        if (m.start_time.timestamp() + (m.duration_s or 0.0)) >= cutoff.timestamp():
            continue
        report.media_files_deleted += int(rt.repo.delete_media_file(tenant, m.id))
        files += rt.keyframes.delete_prefix(tenant, source, media_keyframe_prefix(m.id))
        if is_owned(rt.settings, m.path):
            files += _unlink(Path(m.path))
    return files


def _delete_keyframes(rt, tenant: str, source: str, rel_paths: list[str]) -> int:
    """Delete keyframe files by their stored relative paths (only inside the tenant's source
    folder), and the folders they leave empty. Returns files deleted."""
    base = rt.keyframes.root / safe_component(tenant) / safe_component(source)
    removed, folders = 0, set()
    for rel in dict.fromkeys(rel_paths):
        try:
            path = rt.keyframes.path(rel)
        except ValueError:
            continue
        if path.is_relative_to(base):
            removed += _unlink(path)
            folders.add(path.parent)
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
    return removed


def _refresh_entities(rt, tenant: str, source: str) -> int:
    """Drop entities without appearances (and their entity memories); recount the rest.
    Returns the number of entity memory nodes deleted."""
    repo = rt.repo
    agg = (select(T_APPEAR.c.entity_id, func.count().label("n"), func.min(T_APPEAR.c.start_at).label("first"),
                  func.max(T_APPEAR.c.end_at).label("last"))
           .where(T_APPEAR.c.tenant_id == tenant, T_APPEAR.c.source == source).group_by(T_APPEAR.c.entity_id))
    with repo.engine.connect() as conn:
        stats = {r.entity_id: r for r in conn.execute(agg)}
    gone = []
    for ent in repo.list_entities(tenant, source=source):
        st = stats.get(ent.id)
        if st is None:
            gone.append(ent.id)
            repo.delete_entity(tenant, ent.id)
        elif st.n != ent.count:
            with repo.engine.begin() as conn:
                conn.execute(update(T_ENTITIES).where(T_ENTITIES.c.tenant_id == tenant, T_ENTITIES.c.id == ent.id)
                             .values(count=int(st.n), first_seen=st.first, last_seen=st.last))
    if not gone:
        return 0
    gone_set = set(gone)
    dead = [n.id for n in repo.list_nodes(tenant, source=source, kind=Kind.ENTITY, limit=1_000_000)
            if n.entity_ids and n.entity_ids[0] in gone_set]
    if dead:
        rt.vectors.delete(VectorFilter(tenant=tenant, sources=[source], node_ids=dead))
        repo.delete_nodes(tenant, dead)
    return len(dead)


def forget_media_memories(rt, tenant: str, source: str, media_file_id: str) -> int:
    """Remove the memories of one media file: its vectors, its node rows and its clips' keyframes
    (the media file record stays). Returns the node rows removed."""
    rt.vectors.delete(VectorFilter(tenant=tenant, media_file_id=media_file_id))
    ids = [n.id for n in rt.repo.list_nodes(tenant, media_file_id=media_file_id, limit=10_000_000)]
    removed = rt.repo.delete_nodes(tenant, ids) if ids else 0
    rt.keyframes.delete_prefix(tenant, source, media_keyframe_prefix(media_file_id))
    return removed


def forget_media_path(rt, tenant: str, source: str, path: str | Path) -> int:
    """Remove what a failed or cancelled ingest of ``path`` may have left: its media file rows,
    their memories (vectors, rows, keyframes) and, when vidmem owns it, the file. Returns rows
    and files removed."""
    removed = 0
    resolved = str(Path(path).expanduser().resolve())
    for m in rt.repo.list_media_files(tenant, source):
        if m.path not in (str(path), resolved):
            continue
        removed += forget_media_memories(rt, tenant, source, m.id)
        removed += int(rt.repo.delete_media_file(tenant, m.id))
    if is_owned(rt.settings, path):
        removed += _unlink(Path(path))
    return removed
