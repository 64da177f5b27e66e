"""Stop a stream worker from writing into a source that was deleted under it.

A source can be deleted by another process (the REST service, while ``vidmem stream-worker`` pulls
its stream): the stream service notices at its next poll, seconds later, and meanwhile the worker
would go on writing clips, closing scenes and re-creating the media record (which re-creates the
source row). :class:`SourceGuard` is asked before every write of a stream session (a clip group, a
checkpoint, a session start or end, a gap) and once more after each clip group: the source row
must still exist and be the one the worker started on (same ``created_at``, so a source deleted
and created again under the same name is not written into either).

When the source is gone, :meth:`SourceGuard.purge` removes what the worker wrote after the
deletion began: everything left of the deleted source (``forget.delete_source`` works from the
rows and vectors that remain, the source row being gone), or, when a new source of that name
exists, only the memories of the worker's current session. So a worker never leaves memories of
a deleted source behind, and the window in which it may write is one clip group, cleaned up.
"""

from __future__ import annotations

from memory_core.logging import get_logger

log = get_logger(__name__)


class SourceGuard:
    """Whether the source a stream worker writes to still exists.

    Args:
        rt: the runtime (``repo``; ``vectors`` for :meth:`purge`).
        tenant, source: the worker's source.
    """

    def __init__(self, rt, tenant: str, source: str) -> None:
        self.rt, self.tenant, self.source = rt, tenant, source
        self._created = None
        self.gone = False

    def arm(self) -> None:
        """Remember which source row the worker writes to (call after ``ensure_source``)."""
        row = self.rt.repo.get_source(self.tenant, self.source)
        self._created = row["created_at"] if row else None

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

    def purge(self, media_file_id: str | None) -> None:
        """Remove what was written after the deletion began (see the module docstring)."""
        from memory_core import forget

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
