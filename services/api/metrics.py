"""Prometheus metrics of one app (its own registry, so several apps can live in one process) and
the ASGI middleware that assigns request ids, bounds request bodies, logs one structured line per
request and records latency by route template (never by raw path: ids would explode the series).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.process_collector import ProcessCollector
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api_schemas.api import ErrorEnvelope
from memory_core.logging import get_logger

log = get_logger("services.api.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60)


class Metrics:
    """The app's metrics.

    - ``vidmem_http_request_duration_seconds{method,route,status}``: request latency (histogram).
    - ``vidmem_http_requests_in_flight``: requests being served.
    - ``vidmem_ingest_backlog``: ingest jobs queued or running in this process.
    - ``vidmem_ingest_jobs_total{outcome}``: finished ingest jobs by outcome.
    - ``vidmem_retention_deleted_total{what}``: memories, media files and files removed by retention.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.latency = Histogram("vidmem_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route", "status"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("vidmem_http_requests_in_flight", "requests being served", registry=self.registry)
        self.backlog = Gauge("vidmem_ingest_backlog", "ingest jobs queued or running", registry=self.registry)
        self.jobs = Counter("vidmem_ingest_jobs", "ingest jobs finished in process, or dispatched to Celery workers", ["outcome"], registry=self.registry)
        self.retention = Counter("vidmem_retention_deleted", "removed by the retention sweep", ["what"], registry=self.registry)

    def set_backlog_source(self, fn: Callable[[], float]) -> None:
        """Read the backlog from ``fn`` at scrape time."""
        self.backlog.set_function(fn)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _route_of(scope: Scope) -> str:
    """The route template of the request (``/v1/jobs/{job_id}``), ``unmatched`` for none.

    Routers are included under ``/v1``; some FastAPI versions report the template without the
    include prefix, so it is restored from the request path.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    if scope.get("path", "").startswith("/v1/") and not path.startswith("/v1"):
        path = "/v1" + path
    return path


class RequestContextMiddleware:
    """Request id, credential pre-check, body-size limit, body-read timeout, access log and
    latency metric (pure ASGI: streams untouched).

    Args:
        app: the wrapped app.
        metrics: where latency goes.
        limit_of: the body limit of a request (bytes) from its scope, ``None`` for routes that
            bound their own streamed body (``services.api.guard.body_limit``). Larger bodies
            answer 413 (``Content-Length`` up front, chunked bodies as they arrive).
        precheck: ``async (scope, headers) -> ApiError | None``, run before any body is read
            (``services.api.guard.precheck_credential``); an error is answered at once.
        body_idle_timeout_s: a client that sends no body bytes for this long while its body is
            incomplete gets 408 (a slow-body client cannot hold a worker).
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, limit_of: Callable[[Scope], int | None],
                 precheck: Callable[[Scope, dict[str, str]], Awaitable[Any]] | None = None,
                 body_idle_timeout_s: float = 30.0) -> None:
        self.app = app
        self.metrics = metrics
        self.limit_of = limit_of
        self.precheck = precheck
        self.body_idle_timeout_s = body_idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)
        t0 = time.perf_counter()
        status = {"code": 500}
        limit = self.limit_of(scope)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            refused = await self.precheck(scope, headers) if self.precheck is not None else None
            if refused is not None:
                await self._refuse(send_wrapper, rid, refused.status, refused.code, refused.message, refused.headers)
                return
            if limit is not None:
                length = headers.get("content-length")
                if length is not None and (not length.isdigit() or int(length) > limit):
                    await self._too_large(send_wrapper, rid, limit)
                    return
            receive = self._guarded(receive, limit, self.body_idle_timeout_s)
            try:
                await self.app(scope, receive, send_wrapper)
            except _BodyTooLarge:
                await self._too_large(send_wrapper, rid, limit or 0)
            except _BodyTimeout:
                await self._refuse(send_wrapper, rid, 408, "request_timeout",
                                   f"no request body received for {self.body_idle_timeout_s:g} s", {"Connection": "close"})
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - t0
            route = _route_of(scope)
            self.metrics.latency.labels(scope.get("method", "")[:16], route, str(status["code"])).observe(elapsed)
            if route not in ("/metrics", "/healthz", "/readyz"):
                log.info("request", method=scope.get("method"), route=route, status=status["code"],
                         duration_ms=round(elapsed * 1000, 1), client=(scope.get("client") or ("", 0))[0])

    @staticmethod
    def _guarded(receive: Receive, limit: int | None, idle_timeout_s: float) -> Receive:
        """``receive`` that counts body bytes against ``limit`` and waits at most
        ``idle_timeout_s`` for each body message until the body is complete (afterwards, e.g.
        while a server-sent-events response waits for the disconnect, it waits freely)."""
        seen = 0
        complete = False

        async def wrapped() -> Message:
            nonlocal seen, complete
            if complete:
                return await receive()
            try:
                with anyio.fail_after(idle_timeout_s):
                    message = await receive()
            except TimeoutError:
                raise _BodyTimeout() from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if limit is not None and seen > limit:
                    raise _BodyTooLarge()
            else:
                complete = True
            return message

        return wrapped

    @classmethod
    async def _too_large(cls, send: Send, rid: str, limit: int) -> None:
        await cls._refuse(send, rid, 413, "too_large", f"request body larger than {limit} bytes")

    @staticmethod
    async def _refuse(send: Send, rid: str, status: int, code: str, message: str,
                      headers: dict[str, str] | None = None) -> None:
        body = ErrorEnvelope(code=code, message=message, request_id=rid)
        data = body.model_dump_json(exclude_none=True).encode()
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                *extra]})
        await send({"type": "http.response.body", "body": data})


class _BodyTooLarge(HTTPException):
    """Raised inside the app when a chunked body passes the limit (an ``HTTPException`` so that
    body parsing re-raises it and the envelope handler answers 413)."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class _BodyTimeout(HTTPException):
    """Raised inside the app when the client stalls while sending its body (an
    ``HTTPException`` so that body parsing re-raises it and the envelope handler answers 408)."""

    def __init__(self) -> None:
        super().__init__(408, "request body not received in time", headers={"Connection": "close"})
