"""What a failed ingest must give back: the cross-file memories it overwrote or deleted.

Entity summaries and semantic memories (routines, latest-state facts) have deterministic ids that
do not name the media file (``memory_core.ids``, ``building/entity_text.py``,
``building/semantic.py``), so earlier files of the source wrote the same ids. A failed or
cancelled ingest must leave them as those files left them, not delete them.

:class:`CrossFileSnapshots` keeps, the first time a run is about to overwrite or delete such a
node, its stored version: the row (repository) and its vectors exactly as stored
(``VectorStore.get_vectors``; no model call), or the fact that the id did not exist.
:meth:`CrossFileSnapshots.restore` deletes what the run created and writes the kept versions back
to both stores, so the rollback works even when the text embedder is what failed.

Memory: one row plus its vectors (about 2 KiB with a 384-d text vector) per distinct cross-file id
the run touches (entities seen, facts and routines changed); the file's own clip, scene, event and
story nodes are never kept (the rollback deletes them by media file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from memory_core.domain import MemoryNode
from memory_core.logging import get_logger
from memory_core.stores.base import IMAGE_VECTOR, TEXT_VECTOR, VectorFilter

log = get_logger(__name__)


@dataclass
class RestoreReport:
    """What :meth:`CrossFileSnapshots.restore` did: nodes deleted (created by the run), nodes
    written back, vectors re-embedded (stores without ``get_vectors``) and the errors of the steps
    that failed (``repr`` strings; empty when complete)."""

    deleted: int = 0
    restored: int = 0
    reembedded: int = 0
    errors: list[str] = field(default_factory=list)


class CrossFileSnapshots:
    """Earlier stored versions of the cross-file nodes one ingest run touched.

    Args:
        rt: the runtime (``repo``, ``vectors``; ``providers`` only for the re-embedding fallback).
        tenant: whose nodes.
    """

    def __init__(self, rt, tenant: str) -> None:
        self.rt = rt
        self.tenant = tenant
        self._before: dict[str, MemoryNode | None] = {}  # id -> stored version (vectors set), None: absent
        self._no_vectors: set[str] = set()  # kept ids whose vectors the store could not return

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._before

    def __len__(self) -> int:
        return len(self._before)

    def keep(self, node_ids: Iterable[str]) -> int:
        """Snapshot the ids not kept yet (call it before writing or deleting them). Returns how
        many were newly kept.

        Raises:
            Store errors propagate; call this before the write, so a failure loses nothing.
        """
        fresh = [i for i in dict.fromkeys(node_ids) if i not in self._before]
        if not fresh:
            return 0
        stored = {n.id: n for n in self.rt.repo.get_nodes(self.tenant, fresh)}
        if stored:
            try:
                vectors = self.rt.vectors.get_vectors(VectorFilter(tenant=self.tenant, node_ids=list(stored)),
                                                      limit=len(stored))
            except NotImplementedError:
                vectors = None
                self._no_vectors.update(stored)
                log.warning("vector store cannot return vectors; a rollback re-embeds the kept texts",
                            store=type(self.rt.vectors).__name__)
            for i, n in stored.items():
                if vectors is not None and i in vectors:
                    n.vector = vectors[i].get(TEXT_VECTOR)
                    n.image_vector = vectors[i].get(IMAGE_VECTOR)
        for i in fresh:
            self._before[i] = stored.get(i)
        return len(fresh)

    def created(self) -> list[str]:
        """Kept ids that did not exist before the run."""
        return [i for i, prev in self._before.items() if prev is None]

    def restore(self) -> RestoreReport:
        """Delete the nodes the run created and write the kept versions back (rows, then
        vectors). Each step runs even when an earlier one failed; failures are listed in the
        report (the caller logs it), never raised. The snapshots are cleared afterwards."""
        report = RestoreReport()
        created = self.created()
        previous = [n for n in self._before.values() if n is not None]
        if created and self._step(report, "delete created", lambda: self._delete(created)):
            report.deleted = len(created)
        if previous:
            rows = self._step(report, "restore rows", lambda: self.rt.repo.upsert_nodes(previous))
            vectors = self._step(report, "restore vectors", lambda: self._restore_vectors(previous, report))
            report.restored = len(previous) if rows and vectors else 0
        self.clear()
        return report

    def clear(self) -> None:
        """Forget every snapshot (after a successful ingest, or once restored)."""
        self._before.clear()
        self._no_vectors.clear()

    # ------------------------------------------------------------------ internals
    def _delete(self, node_ids: list[str]) -> None:
        self.rt.repo.delete_nodes(self.tenant, node_ids)
        self.rt.vectors.delete(VectorFilter(tenant=self.tenant, node_ids=node_ids))

    def _restore_vectors(self, nodes: list[MemoryNode], report: RestoreReport) -> None:
        """Upsert the kept vectors; a node that had no point before gets none now (the run may have
        added one); only where the store could not return the vectors, re-embed the text (last, so
        a broken embedder costs just those).

        Raises:
            Store or embedder errors (the caller records them).
        """
        refill = [n for n in nodes if n.id in self._no_vectors]
        kept = [n for n in nodes if n.id not in self._no_vectors]
        pointless = [n.id for n in kept if n.vector is None]
        if pointless:
            self.rt.vectors.delete(VectorFilter(tenant=self.tenant, node_ids=pointless))
        self.rt.vectors.upsert([n for n in kept if n.vector is not None])
        if refill:
            vecs = self.rt.providers.text_embedder().embed([n.text for n in refill])
            for n, v in zip(refill, vecs, strict=True):
                n.vector = v
            self.rt.vectors.upsert(refill)
            report.reembedded = len(refill)

    @staticmethod
    def _step(report: RestoreReport, what: str, fn: Callable[[], object]) -> bool:
        """Run one restore step; True when it succeeded (else its error is in ``report``)."""
        try:
            fn()
            return True
        except Exception as exc:  # noqa: BLE001 - a rollback goes on; the caller logs the report
            report.errors.append(f"{what}: {exc!r}"[:500])
            return False
