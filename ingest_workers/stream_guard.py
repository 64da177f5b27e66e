"""Stop a stream worker from writing into a source that was deleted under it.

A source can be deleted while its stream worker runs: by the REST service in another process
(while ``vidmem stream-worker`` pulls its stream; its poll notices only seconds later), or in the
same process when stopping the worker took longer than the deletion was willing to wait. Meanwhile
the worker would go on writing clips, closing scenes and re-creating the media record (which
re-creates the source row).

Every write of a stream session (a clip group's memories and keyframes, a checkpoint, a session
start or end, a gap) runs inside :meth:`SourceGuard.writing`: it takes the source's write lock
(:func:`memory_core.forget.source_write_lock`, which :func:`memory_core.forget.delete_source` holds
for the whole deletion) and checks, under it, that the source row still exists and is the one the
worker started on (same ``created_at``, so a source deleted and created again under the same name
is not written into either). Perception runs outside the lock, so a deletion waits at most for one
clip group's write (entity resolution, embeddings, upserts: well under a second on two cores).
Hence nothing is written after a deletion completed, and a deletion that starts during a write
removes what that write stored.

When the lock cannot be had within ``WRITE_LOCK_WAIT_S`` (a deletion taking longer, or the deleting
process using another ``home`` with SQLite) the write goes on unlocked, checked before and after:
a source found gone then has :meth:`SourceGuard.purge` remove what the worker wrote after the
deletion began (everything left of the deleted source, or, when a new source of that name exists,
only the memories of the worker's current session).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from memory_core import forget
from memory_core.logging import get_logger

log = get_logger(__name__)

WRITE_LOCK_WAIT_S = 60.0  # how long a write waits for a deletion of its source in progress


class SourceGuard:
    """Whether the source a stream worker writes to still exists, and the lock to write under.

    Args:
        rt: the runtime (``repo``; ``vectors`` and ``keyframes`` for :meth:`purge`).
        tenant, source: the worker's source.
        lock_wait_s: seconds a write waits for the source's write lock before going on unlocked.
    """

    def __init__(self, rt, tenant: str, source: str, *, lock_wait_s: float = WRITE_LOCK_WAIT_S) -> None:
        self.rt, self.tenant, self.source = rt, tenant, source
        self.lock_wait_s = lock_wait_s
        self._created = None
        self._holder: int | None = None  # thread id holding the lock through this guard
        self.gone = False
        self.unlocked_writes = 0

    def arm(self) -> bool:
        """Remember which source row the worker writes to (call after ``ensure_source``, or for
        a registered stream, instead of it); False (and :attr:`gone`) when there is none."""
        row = self.rt.repo.get_source(self.tenant, self.source)
        self._created = row["created_at"] if row else None
        self.gone = row is None
        return not self.gone

    def alive(self) -> bool:
        """False once the source the guard saw was deleted (or replaced by a new one of the same
        name). Until a source row has been seen (not armed yet) it is alive, and the first row
        seen arms it. A database error counts as alive: the next check decides."""
        if self.gone:
            return False
        try:
            row = self.rt.repo.get_source(self.tenant, self.source)
        except Exception as exc:  # noqa: BLE001 - an unreachable database is not a deletion
            log.warning("source check failed", source=self.source, error=type(exc).__name__)
            return True
        if self._created is None:
            self._created = row["created_at"] if row else None
            return True
        if row is None or row["created_at"] != self._created:
            self.gone = True
        return not self.gone

    @contextmanager
    def writing(self) -> Iterator[bool]:
        """Hold the source's write lock and yield whether the source still exists: write only
        when it yields ``True``. Re-entrant in the thread that holds it. Without the lock (not
        had within ``lock_wait_s``) it yields the check before and re-checks after the block, so
        :attr:`gone` tells the caller to :meth:`purge`."""
        if self.gone:
            yield False
            return
        me = threading.get_ident()
        if self._holder == me:
            yield self.alive()
            return
        with forget.source_write_lock(self.rt, self.tenant, self.source, wait_s=self.lock_wait_s) as held:
            if not held:
                self.unlocked_writes += 1
                log.warning("stream write without the source lock", source=self.source, waited_s=self.lock_wait_s)
                yield self.alive()
                self.alive()  # deleted meanwhile? the caller purges
                return
            self._holder = me
            try:
                yield self.alive()
            finally:
                self._holder = None

    def purge(self, media_file_id: str | None) -> None:
        """Remove what was written after the deletion began (see the module docstring). Only
        needed after an unlocked write; harmless otherwise (nothing is left to remove). Never
        raises: a failure is logged."""
        if not self.unlocked_writes:
            return
        try:
            if self.rt.repo.get_source(self.tenant, self.source) is None:
                report = forget.delete_source(self.rt, self.tenant, self.source)
                removed = report.rows_deleted if report else 0
            elif media_file_id is not None:
                removed = forget.forget_media_memories(self.rt, self.tenant, self.source, media_file_id)
                self.rt.repo.delete_media_file(self.tenant, media_file_id)
            else:
                removed = 0
            log.info("stream writes after source deletion removed", source=self.source, rows=removed)
        except Exception as exc:  # noqa: BLE001 - logged; the deletion itself already answered
            log.error("stream leftovers not removed", source=self.source, error=repr(exc)[:300])
