"""The process-wide stream service behind ``vidmem stream-worker``.

One :class:`~ingest_workers.stream_manager.StreamManager` runs a worker thread for every enabled
registered stream of every tenant. Every ``poll_s`` seconds the registrations are read again from
the database (one query over the sources table) and the workers follow them:

* a new enabled registration, or one enabled again, gets a worker;
* a disabled, unregistered or deleted one has its worker stopped (its stream stays as it is
  recorded: stopping here never disables it);
* a registration replaced since its worker started (a new ``registered_at``: the URL changed) has
  its worker restarted on the new URL;
* a worker that ended by itself (a permanent error such as an unsupported protocol) is not
  restarted until its registration changes.

:meth:`StreamService.run` loops until its ``stop_event`` is set (``vidmem stream-worker`` sets it on
SIGTERM/SIGINT), then stops every worker without disabling its stream, so the next service (or the
REST service with ``stream.run_in_api``) resumes them. Run the stream workers in one place only:
either here (``stream.run_in_api = false`` in the REST service) or in the REST service. URLs are
unsealed only to start a worker, and logged redacted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ingest_workers.stream_manager import StreamManager, registered_streams
from ingest_workers.stream_policy import safe_url
from memory_core.logging import get_logger

log = get_logger(__name__)


class StreamService:
    """Keeps a :class:`StreamManager`'s workers in line with the registered streams.

    Args:
        rt: the opened runtime (this process owns its stores).
        poll_s: seconds between two reads of the registrations.
        manager: the manager to drive (default: a new one over ``rt``).
        url_check: called with each URL before its worker starts; raises to refuse it.
        stop_timeout_s: how long stopping one worker may wait for it.
    """

    def __init__(self, rt, *, poll_s: float = 5.0, manager: StreamManager | None = None,
                 url_check: Callable[[str], object] | None = None, stop_timeout_s: float = 60.0) -> None:
        self.rt = rt
        self.poll_s = poll_s
        self.manager = manager or StreamManager(rt, url_check=url_check)
        self.stop_timeout_s = stop_timeout_s
        self.stop_event = threading.Event()
        self._versions: dict[tuple[str, str], str | None] = {}  # registered_at each worker started from
        self._failed: dict[tuple[str, str], str | None] = {}  # registrations that could not start, by version

    def sync(self) -> dict[str, list[str]]:
        """Start, stop and restart workers to match the registrations once; returns what changed
        (``started``, ``stopped``, ``restarted``, ``failed``: ``tenant/source`` names)."""
        changes: dict[str, list[str]] = {"started": [], "stopped": [], "restarted": [], "failed": []}
        wanted = {(t, s): stream.get("registered_at") for t, s, stream in registered_streams(self.rt)
                  if stream.get("enabled", True)}
        for key in self.manager.keys():
            if key not in wanted:
                self._stop(key)
                changes["stopped"].append("/".join(key))
            elif self._versions.get(key) != wanted[key]:
                self._stop(key)
                changes["restarted"].append("/".join(key))
        for key in list(self._failed):
            if key not in wanted:
                del self._failed[key]
        for key, version in wanted.items():
            if self.manager.get(*key) is not None or self._failed.get(key, object()) == version:
                continue
            try:
                self.manager.start(*key, enable=False)
            except Exception as exc:  # noqa: BLE001 - one bad registration never stops the others
                self._failed[key] = version
                changes["failed"].append("/".join(key))
                log.warning("stream not started", tenant=key[0], source=key[1], error=safe_url(f"{type(exc).__name__}: {exc}"))
                continue
            self._failed.pop(key, None)
            self._versions[key] = version
            if "/".join(key) not in changes["restarted"]:
                changes["started"].append("/".join(key))
        if any(changes.values()):
            log.info("streams synced", running=len(self.manager.keys()), **{k: v for k, v in changes.items() if v})
        return changes

    def _stop(self, key: tuple[str, str]) -> None:
        self.manager.stop(*key, disable=False, timeout=self.stop_timeout_s)
        self._versions.pop(key, None)

    def run(self) -> list[dict]:
        """Sync every ``poll_s`` seconds until :attr:`stop_event` is set; then stop every worker
        (streams stay enabled) and return their final statuses (redacted)."""
        log.info("stream service started", poll_s=self.poll_s)
        try:
            while not self.stop_event.is_set():
                try:
                    self.sync()
                except Exception as exc:  # noqa: BLE001 - a database hiccup: try again next round
                    log.error("stream sync failed", error=safe_url(f"{type(exc).__name__}: {exc}")[:500])
                self.stop_event.wait(self.poll_s)
        finally:
            finals = self.manager.stop_all(timeout=self.stop_timeout_s)
            self._versions.clear()
            log.info("stream service stopped", workers=len(finals))
        return finals

    def stop(self) -> None:
        """Ask :meth:`run` to finish (safe from a signal handler)."""
        self.stop_event.set()
