"""``vidmem serve``: uvicorn with limits against slow and greedy clients.

uvicorn's h11 protocol times out idle keep-alive connections (``timeout_keep_alive``) but not a
client that sends its request head slowly (a "slow-loris" client holds a connection open
forever, a few bytes at a time). :class:`HeadTimeoutH11Protocol` closes a connection whose request
line and headers are not complete within ``api.header_timeout_s`` of their first byte (of the
connection, for the first request): a total, not an idle timeout, so trickling bytes does not
extend it. The body is bounded by the request middleware (``api.body_idle_timeout_s``: 408 when a
body stalls), the request head by h11's ``max_incomplete_event_size`` (``api.max_header_bytes``)
and the number of open connections by ``api.max_connections`` (503 past it).

In production put a reverse proxy in front as well (``docs/deploy.md``: nginx and Traefik).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from memory_core.logging import get_logger
from memory_core.settings import Settings

log = get_logger(__name__)


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a total time limit on each request head.

    Subclasses set :attr:`head_timeout_s` (seconds; :func:`protocol_class` does).
    """

    head_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def data_received(self, data: bytes) -> None:
        if self.cycle is None or self.cycle.response_complete:  # the head of a new request begins
            self._arm_head_timer()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request head is complete
            self._disarm_head_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            client = self.client[0] if self.client else None
            log.info("request head timed out; connection closed", client=client, timeout_s=self.head_timeout_s)
            self.transport.close()


def protocol_class(head_timeout_s: float) -> type[HeadTimeoutH11Protocol]:
    """A :class:`HeadTimeoutH11Protocol` subclass with ``head_timeout_s`` seconds per head."""
    return type("VidmemH11Protocol", (HeadTimeoutH11Protocol,), {"head_timeout_s": float(head_timeout_s)})


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the REST app of ``settings`` on ``host:port`` until SIGINT/SIGTERM.

    uvicorn options (from ``settings.api``): ``timeout_keep_alive`` = ``keep_alive_s``,
    ``h11_max_incomplete_event_size`` = ``max_header_bytes``, ``limit_concurrency`` =
    ``max_connections``, the head timeout above; no access log of uvicorn's own (the app logs one
    redacted line per request) and no proxy headers.
    """
    import uvicorn

    from services.api import create_app

    api = settings.api
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False, proxy_headers=False,
                http=protocol_class(api.header_timeout_s), timeout_keep_alive=max(1, round(api.keep_alive_s)),
                h11_max_incomplete_event_size=api.max_header_bytes, limit_concurrency=api.max_connections)
