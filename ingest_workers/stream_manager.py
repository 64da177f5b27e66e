"""Registering live sources and running their workers inside the process that owns the Runtime.

* :func:`register_stream` records a source of kind ``stream`` in ``sources.settings["stream"]``:
  ``url_encrypted`` (the URL sealed with :mod:`memory_core.crypto`: it may hold credentials),
  ``display_url`` (redacted), ``kind`` (rtsp, hls, udp...), ``enabled``, ``registered_at``, and
  the worker's status fields (state, gaps, lag...). Rows of older versions that hold the URL in
  plain text (``url``) are still read, and sealed on their next write.
* :func:`stream_url` unseals the URL for a worker about to connect; :func:`stream_info` is the
  public (redacted) record; :func:`registered_streams` lists the registrations of every tenant.
* :class:`StreamManager` starts, stops and lists one :class:`~ingest_workers.stream.StreamWorker`
  thread per (tenant, source); ``resume()`` restarts the enabled registered streams (service start).
  Everything it returns carries redacted URLs only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from ingest_workers.stream_policy import safe_url, source_kind
from memory_core.crypto import SecretKeyMissing, seal, unseal
from memory_core.logging import get_logger
from memory_core.settings import StreamSettings
from memory_core.timeutil import utcnow

log = get_logger(__name__)

MAX_GAPS_KEPT = 100
PRIVATE_FIELDS = frozenset({"url", "url_encrypted"})  # never leave the service
_SETTINGS_LOCK = threading.Lock()  # read-modify-write of a source's settings JSON in this process


def _seal_legacy(rt, tenant: str, source: str, stream: dict) -> None:
    """Replace a plaintext ``url`` (rows of older versions) by ``url_encrypted``, in place; kept
    as it is (with a warning) when no key can seal it (production without VIDMEM_SECRET_KEY)."""
    url = stream.get("url")
    if not url:
        stream.pop("url", None)
        return
    try:
        stream["url_encrypted"] = seal(rt.settings, str(url))
    except SecretKeyMissing as exc:
        log.warning("stream url kept unencrypted", tenant=tenant, source=source, reason=str(exc))
        return
    del stream["url"]


@contextmanager
def _source_settings_tx(rt, tenant: str, source: str) -> Iterator[tuple[dict, Callable[[dict], None]]]:
    """A transaction holding the source row's write lock (PostgreSQL ``SELECT … FOR UPDATE``,
    SQLite ``BEGIN IMMEDIATE``): yields ``(settings, save)``; ``save(settings)`` writes the
    changed JSON back inside the same transaction. A stream worker in one process
    saves its status while the REST service in another enables, disables or replaces the stream:
    neither read-modify-write may undo the other."""
    from sqlalchemy import select, update
    from sqlalchemy.pool import StaticPool

    from memory_core.stores.relational.models import SourceRow

    t = SourceRow.__table__
    engine = rt.repo.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite" and not isinstance(engine.pool, StaticPool):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        q = select(t.c.settings).where(t.c.tenant_id == tenant, t.c.name == source)
        if engine.dialect.name == "postgresql":
            q = q.with_for_update()
        current = dict(conn.execute(q).scalar_one_or_none() or {})

        def save(settings: dict) -> None:
            conn.execute(update(t).where(t.c.tenant_id == tenant, t.c.name == source).values(settings=settings))

        yield current, save


def update_stream_settings(rt, tenant: str, source: str, fields: dict, *, merge_gaps: bool = False,
                           drop: tuple[str, ...] = (), create: bool = True) -> dict:
    """Merge ``fields`` into ``settings["stream"]`` of the source (created as kind ``stream`` if
    missing; with ``create=False`` a missing source, e.g. one just deleted, is left alone); with
    ``merge_gaps``, ``fields["gaps"]`` are added to the stored ones (by start, the newest
    ``MAX_GAPS_KEPT`` kept); keys in ``drop`` are removed. A plaintext ``url`` left by an
    older version is sealed on the way. Other keys of the settings JSON are preserved; the update
    is atomic across processes. Returns the stored ``stream`` dict (it holds the sealed URL:
    never echo it)."""
    with _SETTINGS_LOCK:
        if create:
            rt.repo.ensure_source(tenant, source, kind="stream")
        with _source_settings_tx(rt, tenant, source) as (settings, save):
            stream = dict(settings.get("stream") or {})
            fields = dict(fields)
            if merge_gaps and "gaps" in fields:
                stream["gaps"] = combine_gaps(stream.get("gaps"), fields.pop("gaps"), MAX_GAPS_KEPT)
            stream.update(fields)
            for key in drop:
                stream.pop(key, None)
            if "url" in stream:
                _seal_legacy(rt, tenant, source, stream)
            settings["stream"] = stream
            save(settings)
        return stream


def register_stream(rt, tenant: str, source: str, url: str, *, enabled: bool = True) -> dict:
    """Record ``url`` as the live source ``source`` of ``tenant`` (sealed, see the module
    docstring); returns the public view (``source``, ``url`` redacted, ``kind``, ``enabled``).

    Raises:
        ValueError: for a URL scheme vidmem cannot pull.
        memory_core.crypto.SecretKeyMissing: in production without ``VIDMEM_SECRET_KEY``.
    """
    kind = source_kind(url)
    sealed = seal(rt.settings, url)
    rt.repo.ensure_tenant(tenant)
    update_stream_settings(rt, tenant, source, {"url_encrypted": sealed, "display_url": safe_url(url), "kind": kind,
                                                "enabled": bool(enabled), "registered_at": utcnow().isoformat()},
                           drop=("url",))
    log.info("stream registered", tenant=tenant, source=source, url=safe_url(url), kind=kind)
    return {"source": source, "url": safe_url(url), "kind": kind, "enabled": bool(enabled)}


def is_registered(stream: dict | None) -> bool:
    """Whether a ``settings["stream"]`` dict holds a URL (sealed or, from older versions, plain)."""
    return bool(stream) and bool(stream.get("url_encrypted") or stream.get("url"))


def stored_stream(rt, tenant: str, source: str) -> dict | None:
    """The raw ``settings["stream"]`` dict of a source (it may hold the sealed URL: never echo
    it), or ``None`` when the source is missing or has none."""
    row = rt.repo.get_source(tenant, source)
    return ((row or {}).get("settings") or {}).get("stream")


def combine_gaps(stored: list[dict] | None, new: list[dict] | None, keep: int | None = None) -> list[dict]:
    """Gap records of both lists, one per ``start`` (``new`` wins), by start; the newest ``keep``."""
    gaps = {g["start"]: g for g in stored or []}
    gaps.update({g["start"]: g for g in new or []})
    merged = [gaps[k] for k in sorted(gaps)]
    return merged[-keep:] if keep else merged


def stream_url(rt, tenant: str, source: str) -> str:
    """The registered URL of ``source``, unsealed (for a worker about to connect; never log it).

    Raises:
        KeyError: when the source has no registered stream.
        memory_core.crypto.SecretError: when the sealed URL cannot be opened with the configured key.
    """
    stream = stored_stream(rt, tenant, source) or {}
    if stream.get("url_encrypted"):
        return unseal(rt.settings, stream["url_encrypted"])
    if stream.get("url"):  # a row of an older version: plaintext, sealed on its next write
        return str(stream["url"])
    raise KeyError(f"source {source!r} has no registered stream URL")


def public_stream(source: str, stream: dict) -> dict:
    """A ``settings["stream"]`` dict without its private fields; ``url`` is the redacted URL."""
    public = {k: v for k, v in stream.items() if k not in PRIVATE_FIELDS}
    public["url"] = stream.get("display_url") or safe_url(stream.get("url", ""))
    public.pop("display_url", None)
    return {"source": source, **public}


def stream_info(rt, tenant: str, source: str) -> dict | None:
    """The public (redacted) stream record of a source (registered, or with the status a worker
    left), or ``None`` when it is not a stream."""
    stream = stored_stream(rt, tenant, source)
    return public_stream(source, stream) if stream else None


def unregister_stream(rt, tenant: str, source: str) -> bool:
    """Remove the stream registration (URL, status, gap list) of ``source``; its memories and the
    source stay. True when there was one."""
    with _SETTINGS_LOCK, _source_settings_tx(rt, tenant, source) as (settings, save):
        if settings.pop("stream", None) is None:
            return False
        save(settings)
    log.info("stream unregistered", tenant=tenant, source=source)
    return True


def registered_streams(rt, tenant: str | None = None) -> list[tuple[str, str, dict]]:
    """``(tenant, source, settings["stream"])`` of every registered stream (of one tenant if
    given), by tenant and source. One query over the sources table (all tenants): for the
    process-wide stream service."""
    from sqlalchemy import select

    from memory_core.stores.relational.models import SourceRow

    t = SourceRow.__table__
    q = select(t.c.tenant_id, t.c.name, t.c.settings).order_by(t.c.tenant_id, t.c.name)
    if tenant is not None:
        q = q.where(t.c.tenant_id == tenant)
    with rt.repo.engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for tid, name, settings in rows:
        stream = (settings or {}).get("stream")
        if is_registered(stream):
            out.append((tid, name, dict(stream)))
    return out


class StreamManager:
    """One stream worker thread per (tenant, source) in this process.

    Args:
        rt: the runtime the workers share (it owns the embedded stores).
        settings: default stream settings (``rt.settings.stream``).
        url_check: called with the (unsealed) URL before each worker starts and by the worker
            before every connection attempt; raises to refuse it (the REST service passes its
            SSRF policy, so a policy tightened since registration holds on resume, and a name
            that re-resolves to a private address is refused at the next reconnect).
    """

    def __init__(self, rt, settings: StreamSettings | None = None, *, url_check: Callable[[str], object] | None = None) -> None:
        self.rt = rt
        self.settings = settings or rt.settings.stream
        self.url_check = url_check
        self._workers: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    def start(self, tenant: str, source: str, url: str | None = None, *, start_time: datetime | None = None,
              settings: StreamSettings | None = None, enable: bool = True) -> dict:
        """Start (or keep) the worker of ``source``; ``url`` registers it first, else the
        registered URL is used (and, with ``enable``, the stream is marked enabled). Returns the
        worker's status.

        Raises:
            KeyError: when no URL is given and none is registered.
            ValueError: for an unsupported URL.
            memory_core.crypto.SecretError: the registered URL cannot be unsealed (or sealed).
            Exception: whatever ``url_check`` raises to refuse the URL.
        """
        from ingest_workers.stream import StreamWorker

        registered = url is None
        if url is not None:
            if self.url_check is not None:
                self.url_check(url)
            register_stream(self.rt, tenant, source, url)
        else:
            url = stream_url(self.rt, tenant, source)
            if self.url_check is not None:
                self.url_check(url)
            if enable:
                update_stream_settings(self.rt, tenant, source, {"enabled": True})
        with self._lock:
            worker = self._workers.get((tenant, source))
            if worker is not None and worker.alive:
                return worker.status()
            # the URL check runs again before every connection; a registered stream's source is
            # never re-created by its worker (a missing row means it was deleted meanwhile)
            worker = StreamWorker(self.rt, tenant, source, url, start_time=start_time, settings=settings or self.settings,
                                  url_check=self.url_check, create_source=not registered)
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

    def running(self, tenant: str, source: str) -> bool:
        """Whether a worker of ``source`` runs in this process now."""
        worker = self.get(tenant, source)
        return worker is not None and worker.alive

    def keys(self) -> list[tuple[str, str]]:
        """(tenant, source) of every worker this manager holds (running or finished)."""
        with self._lock:
            return sorted(self._workers)

    def list(self, tenant: str | None = None) -> list[dict]:
        """Statuses of the workers (of one tenant if given), by source."""
        with self._lock:
            items = sorted(self._workers.items())
        return [{"tenant": t, **w.status()} for (t, _), w in items if tenant is None or t == tenant]

    def resume(self, tenants: list[str]) -> list[dict]:
        """Start the enabled registered streams of ``tenants`` (at service start-up)."""
        started = []
        for tenant in tenants:
            for _, source, stream in registered_streams(self.rt, tenant):
                if stream.get("enabled", True):
                    try:
                        started.append(self.start(tenant, source, enable=False))
                    except Exception as exc:  # noqa: BLE001 - one bad registration never stops the others
                        log.warning("stream not resumed", tenant=tenant, source=source,
                                    error=safe_url(f"{type(exc).__name__}: {exc}"))
        return started

    def resume_all(self) -> list[dict]:
        """Start the enabled registered streams of every tenant."""
        tenants = sorted({t for t, _, _ in registered_streams(self.rt)})
        return self.resume(tenants)

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
        while worker.alive:
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
