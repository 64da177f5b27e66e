"""The retention sweeper: a daemon thread that, every ``api.retention_sweep_s`` seconds, forgets
the footage and memories of each source older than its time to live (``retention_seconds`` on the
source row), using :func:`memory_core.forget.expire_source`.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from api_schemas.api import SweepReport
from memory_core.forget import expire_source, sources_with_retention
from memory_core.logging import get_logger
from memory_core.timeutil import utcnow

log = get_logger(__name__)


def sweep(rt, metrics=None) -> SweepReport:
    """One pass over every source with a time to live (all tenants, each with its own cutoff).

    A source that fails is logged and skipped; the others are still swept.
    """
    report = SweepReport()
    now = utcnow()
    for tenant, source, ttl in sources_with_retention(rt.repo):
        report.sources += 1
        try:
            r = expire_source(rt, tenant, source, now - timedelta(seconds=ttl))
        except Exception as exc:  # noqa: BLE001 - one bad source must not stop the sweep
            log.error("retention sweep failed", tenant=tenant, source=source, error=repr(exc)[:300])
            continue
        report.nodes_deleted += r.nodes_deleted
        report.media_files_deleted += r.media_files_deleted
        report.files_deleted += r.files_deleted
    if metrics is not None:
        metrics.retention.labels("memories").inc(report.nodes_deleted)
        metrics.retention.labels("media_files").inc(report.media_files_deleted)
        metrics.retention.labels("files").inc(report.files_deleted)
    return report


class RetentionSweeper:
    """Runs :func:`sweep` every ``period_s`` seconds on a daemon thread until :meth:`stop`.

    ``lock`` serialises sweeps (the periodic one and those an admin asks for).
    """

    def __init__(self, rt, period_s: float, metrics=None) -> None:
        self.rt = rt
        self.period_s = period_s
        self.metrics = metrics
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vidmem-retention", daemon=True)

    def start(self) -> "RetentionSweeper":
        self._thread.start()
        return self

    def run_once(self) -> SweepReport:
        """Sweep now (waits for a sweep in progress)."""
        with self.lock:
            return sweep(self.rt, self.metrics)

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                report = self.run_once()
                if report.nodes_deleted or report.media_files_deleted:
                    log.info("retention sweep", **report.model_dump())
            except Exception as exc:  # noqa: BLE001 - keep sweeping on the next period
                log.error("retention sweep crashed", error=repr(exc)[:300])

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread (a sweep in progress finishes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)
