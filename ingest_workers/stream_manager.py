"""Registering live sources and running their workers inside the process that owns the Runtime.

* :func:`register_stream` records a source of kind ``stream`` with its URL in
  ``sources.settings["stream"]``: ``url`` (as given: it may hold credentials, so the settings JSON
  must never be echoed to clients; ``api_schemas.SourceOut`` does not), ``display_url`` (redacted),
  ``kind`` (rtsp, hls, udp...), ``enabled``, and the worker's status fields (state, gaps...).
* :class:`StreamManager` starts, stops and lists one :class:`~ingest_workers.stream.StreamWorker`
  thread per (tenant, source); ``resume()`` restarts the enabled registered streams (service start).
  Everything it returns carries redacted URLs only.
"""

from __future__ import annotations

import threading
from datetime import datetime

from ingest_workers.stream_policy import safe_url, source_kind
from memory_core.logging import get_logger
from memory_core.settings import StreamSettings
from memory_core.timeutil import utcnow

log = get_logger(__name__)

MAX_GAPS_KEPT = 100
_SETTINGS_LOCK = threading.Lock()  # read-modify-write of a source's settings JSON in this process


def update_stream_settings(rt, tenant: str, source: str, fields: dict, *, merge_gaps: bool = False) -> dict:
    """Merge ``fields`` into ``settings["stream"]`` of the source (created as kind ``stream`` if
    missing); with ``merge_gaps``, ``fields["gaps"]`` are added to the stored ones (by start, the
    newest ``MAX_GAPS_KEPT`` kept). Other keys of the settings JSON are preserved. Returns the
    stored ``stream`` dict."""
    with _SETTINGS_LOCK:
        row = rt.repo.ensure_source(tenant, source, kind="stream")
        settings = dict(row.get("settings") or {})
        stream = dict(settings.get("stream") or {})
        fields = dict(fields)
        if merge_gaps and "gaps" in fields:
            gaps = {g["start"]: g for g in stream.get("gaps") or []}
            gaps.update({g["start"]: g for g in fields.pop("gaps") or []})
            stream["gaps"] = [gaps[k] for k in sorted(gaps)][-MAX_GAPS_KEPT:]
        stream.update(fields)
        settings["stream"] = stream
        rt.repo.ensure_source(tenant, source, kind="stream", settings=settings)
        return stream


def register_stream(rt, tenant: str, source: str, url: str, *, enabled: bool = True) -> dict:
    """Record ``url`` as the live source ``source`` of ``tenant``; returns the public view
    (``source``, ``url`` redacted, ``kind``, ``enabled``).

    Raises:
        ValueError: for a URL scheme vidmem cannot pull.
    """
    kind = source_kind(url)
    rt.repo.ensure_tenant(tenant)
    update_stream_settings(rt, tenant, source, {"url": url, "display_url": safe_url(url), "kind": kind,
                                                "enabled": bool(enabled), "registered_at": utcnow().isoformat()})
    log.info("stream registered", tenant=tenant, source=source, url=safe_url(url), kind=kind)
    return {"source": source, "url": safe_url(url), "kind": kind, "enabled": bool(enabled)}


def stream_info(rt, tenant: str, source: str) -> dict | None:
    """The public (redacted) stream record of a source, or ``None`` when it is not a stream."""
    row = rt.repo.get_source(tenant, source)
    stream = (row or {}).get("settings", {}).get("stream")
    if not stream:
        return None
    public = {k: v for k, v in stream.items() if k != "url"}
    public["url"] = stream.get("display_url") or safe_url(stream.get("url", ""))
    public.pop("display_url", None)
    return {"source": source, **public}


class StreamManager:
    """One stream worker thread per (tenant, source) in this process.

    Args:
        rt: the runtime the workers share (it owns the embedded stores).
        settings: default stream settings (``rt.settings.stream``).
    """

    def __init__(self, rt, settings: StreamSettings | None = None) -> None:
        self.rt = rt
        self.settings = settings or rt.settings.stream
        self._workers: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    def start(self, tenant: str, source: str, url: str | None = None, *, start_time: datetime | None = None,
              settings: StreamSettings | None = None) -> dict:
        """Start (or keep) the worker of ``source``; ``url`` registers it first, else the
        registered URL is used. Returns the worker's status.

        Raises:
            KeyError: when no URL is given and none is registered.
            ValueError: for an unsupported URL.
        """
        from ingest_workers.stream import StreamWorker

        if url is not None:
            register_stream(self.rt, tenant, source, url)
        else:
            row = self.rt.repo.get_source(tenant, source)
            url = ((row or {}).get("settings", {}).get("stream") or {}).get("url")
            if not url:
                raise KeyError(f"source {source!r} has no registered stream URL")
            update_stream_settings(self.rt, tenant, source, {"enabled": True})
        with self._lock:
            worker = self._workers.get((tenant, source))
            if worker is not None and worker._thread is not None and worker._thread.is_alive():
                return worker.status()
            worker = StreamWorker(self.rt, tenant, source, url, start_time=start_time, settings=settings or self.settings)
            self._workers[(tenant, source)] = worker
            worker.start()
            return worker.status()

    def stop(self, tenant: str, source: str, *, timeout: float = 60.0, disable: bool = True) -> dict | None:
        """Stop the worker of ``source`` (and mark the stream disabled); returns its final status,
        or ``None`` when none ran."""
        with self._lock:
            worker = self._workers.pop((tenant, source), None)
        if disable and self.rt.repo.get_source(tenant, source) is not None:
            update_stream_settings(self.rt, tenant, source, {"enabled": False})
        return None if worker is None else worker.stop(timeout)

    def get(self, tenant: str, source: str):
        """The worker of ``source``, or ``None``."""
        with self._lock:
            return self._workers.get((tenant, source))

    def list(self, tenant: str | None = None) -> list[dict]:
        """Statuses of the workers (of one tenant if given), by source."""
        with self._lock:
            items = sorted(self._workers.items())
        return [{"tenant": t, **w.status()} for (t, _), w in items if tenant is None or t == tenant]

    def resume(self, tenants: list[str]) -> list[dict]:
        """Start the enabled registered streams of ``tenants`` (at service start-up)."""
        started = []
        for tenant in tenants:
            for row in self.rt.repo.list_sources(tenant):
                stream = (row.get("settings") or {}).get("stream") or {}
                if stream.get("url") and stream.get("enabled", True):
                    try:
                        started.append(self.start(tenant, row["name"]))
                    except (KeyError, ValueError) as exc:
                        log.warning("stream not resumed", tenant=tenant, source=row["name"], error=safe_url(str(exc)))
        return started

    def stop_all(self, timeout: float = 60.0) -> list[dict]:
        """Stop every worker (service shutdown) without disabling the streams."""
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for w in workers:  # all at once, then wait for each
            w.stop_event.set()
        return [w.stop(timeout) for w in workers]


def run_foreground(rt, url: str, source: str, *, tenant: str | None = None, duration_s: float | None = None,
                   ask_every_s: float | None = None, question: str = "What happened most recently?",
                   emit=None) -> dict:
    """Run one stream worker until Ctrl-C or ``duration_s`` (``vidmem stream``); every
    ``ask_every_s`` seconds ``question`` is asked about this source and ``emit(dict)`` gets the
    answer. Returns the worker's final status (redacted). The URL is not stored."""
    import time

    from api_schemas import Question
    from ingest_workers.stream import StreamWorker

    tenant = tenant or rt.settings.default_tenant
    worker = StreamWorker(rt, tenant, source, url)
    worker.start()
    t0 = next_ask = time.monotonic()
    try:
        while worker._thread.is_alive():
            now = time.monotonic()
            if duration_s is not None and now - t0 >= duration_s:
                break
            if ask_every_s and now - next_ask >= ask_every_s and emit is not None:
                next_ask = now
                answer = rt.agent.ask(Question(text=question, sources=[source]), tenant=tenant)
                emit({"t": round(now - t0, 1), "question": question, "answer": answer.answer,
                      "evidence": [{"start": e.start.isoformat(), "end": e.end.isoformat(), "text": e.text[:200]}
                                   for e in answer.evidence[:3]]})
            time.sleep(0.2)
    except KeyboardInterrupt:
        log.info("stream interrupted", source=source)
    return worker.stop()
