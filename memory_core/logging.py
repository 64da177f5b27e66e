"""Structured logging (structlog) with secrets redacted twice: at the event and at the sink.

1. **At the event** (:func:`redact_event`, in the caller's thread): credentials in URLs
   (``rtsp://user:pass@host``), ``api_key=``/``token=`` query parameters, ``Authorization``
   values and fields named like secrets become ``***``.
2. **At the sink** (:class:`RedactingFormatter`, on the writer thread): the final text of every
   line, traceback included, whatever renderer made it (console, JSON, a library's own record), is
   passed through :func:`redact_text`: the patterns above, vidmem key shapes (``vmk_...``,
   ``vmadmin_...``), ``X-API-Key``/``Authorization`` header pairs, ``name=value`` pairs whose name
   says secret, and every value registered with :func:`register_secret` (the admin key, the secrets
   of the settings).

Tracebacks never print local variables: the console renderer uses a plain traceback unless
``debug_locals=True`` (the ``VIDMEM_LOG_DEBUG_LOCALS`` setting, refused in production), and even
then the sink redacts. Records are handed to a :class:`logging.handlers.QueueHandler`; one
:class:`~logging.handlers.QueueListener` thread renders and writes them, so a long traceback never
blocks the event loop (the Python logging cookbook's "Dealing with handlers that block").
"""

from __future__ import annotations

import atexit
import os
import copy
import logging
import logging.handlers
import queue
import re
import sys
import threading
from typing import Any

import structlog

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{0,31}://)(?P<cred>[^/@\s:]+(?::[^/@\s]*)?)@")
_QUERY_SECRET = re.compile(
    r"(?P<key>(?:api[_-]?key|access[_-]?token|token|password|passwd|secret|signature|sig|auth)=)[^&\s\"']+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_SECRET_FIELD = re.compile(r"(pass(word)?|secret|token|api[_-]?key|admin[_-]?key|authorization|credential)", re.IGNORECASE)
# Sink-only patterns (text of a whole line or traceback).
_KEY_SHAPES = re.compile(r"\b(?P<prefix>vmk_|vmadmin_)[A-Za-z0-9_-]{6,}")
_HEADER_PAIR = re.compile(  # ('x-api-key', 'v'), (b'authorization', b'v'), X-API-Key: v, "x-api-key": "v"
    r"(?P<key>\b(?:x-api-key|authorization|cookie|proxy-authorization)['\"]?\s*[:=,]\s*(?-i:b)?['\"]?)"
    r"(?P<value>[^'\"\s,)}\]]+(?:\s+[^'\"\s,)}\]]+)?)",
    re.IGNORECASE,
)
_NAMED_SECRET = re.compile(
    r"(?P<key>(?:password|passwd|secret|token|api[_-]?key|admin[_-]?key|credentials?)['\"]?\s*[=:]\s*"
    r"(?:SecretStr\()?b?['\"]?)(?P<value>[^'\"\s,)}\]]+)",
    re.IGNORECASE,
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_MIN_SECRET_LEN = 8  # shorter values would mask ordinary words


def register_secret(value: Any) -> None:
    """Mask ``value`` (a ``str`` or pydantic ``SecretStr``; ``None`` and values shorter than 8
    characters are ignored) wherever it appears in a written log line, from now on."""
    if value is None:
        return
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    if isinstance(raw, str) and len(raw) >= _MIN_SECRET_LEN:
        with _secrets_lock:
            _secrets.add(raw)


def redact(text: str) -> str:
    """Remove credentials from a string (URLs, query parameters, auth headers).

    >>> redact("rtsp://admin:hunter2@10.0.0.5/stream?token=abc")
    'rtsp://***@10.0.0.5/stream?token=***'
    """
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}***@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('key')}***", text)
    return _BEARER.sub(lambda m: f"{m.group('key')}***", text)


def redact_text(text: str) -> str:
    """The sink's redaction of a rendered line or traceback: :func:`redact`, vidmem key shapes,
    header pairs, ``secret_name=value`` pairs and every registered secret become ``***``.

    >>> redact_text("ApiContext(admin_key='s3cr3t-value', x=1) X-API-Key: vmk_abcdefgh12")
    "ApiContext(admin_key='***', x=1) X-API-Key: ***"
    """
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "***")
    text = redact(text)
    text = _KEY_SHAPES.sub(lambda m: f"{m.group('prefix')}***", text)
    text = _HEADER_PAIR.sub(lambda m: f"{m.group('key')}***", text)
    return _NAMED_SECRET.sub(lambda m: f"{m.group('key')}***", text)


def _redact_value(key: str, value: Any) -> Any:
    if _SECRET_FIELD.search(key) and value not in (None, ""):
        return "***"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(key, v) for v in value)
    return value


def redact_event(_logger: Any, _method: str, event_dict: dict) -> dict:
    """structlog processor: redact every field of the event."""
    return {k: _redact_value(k, v) for k, v in event_dict.items()}


def _resolve_exc_info(_logger: Any, _method: str, event_dict: dict) -> dict:
    """structlog processor: turn ``exc_info=True`` (or an exception) into the exception tuple
    while still in the raising thread (the writer thread renders it later)."""
    exc = event_dict.get("exc_info")
    if exc is True:
        info = sys.exc_info()
        event_dict["exc_info"] = info if info[0] is not None else None
    elif isinstance(exc, BaseException):
        event_dict["exc_info"] = (type(exc), exc, exc.__traceback__)
    if event_dict.get("exc_info") in (None, False):
        event_dict.pop("exc_info", None)
    return event_dict


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """``ProcessorFormatter`` whose output passes through :func:`redact_text`: the last step
    before a line is written, whatever rendered it."""

    def format(self, record: logging.LogRecord) -> str:  # noqa: A003 - logging API
        return redact_text(super().format(record))


class _StderrHandler(logging.StreamHandler):
    """A stream handler that writes to the *current* ``sys.stderr`` (test capture swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _LiveQueueHandler(logging.handlers.QueueHandler):
    """A ``QueueHandler`` that enqueues the record as it is (no formatting in the caller's
    thread: the listener thread renders it, structlog event dict and exception included)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return copy.copy(record)


_configured = False
_PROCESSORS: list = []
_queue: queue.Queue | None = None
_listener: logging.handlers.QueueListener | None = None


def _stop_listener() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()  # drains the queue first
        _listener = None


def _restart_in_child() -> None:
    """After ``fork`` (Celery's prefork pool, multiprocessing): the parent's writer thread does not
    exist in the child and its queue's lock may have been held at the fork, so the child gets a
    fresh queue and writer thread (same handlers); without this a forked child's records are never
    written, or its first log call blocks for ever."""
    global _queue, _listener
    if _listener is None:
        return
    handlers = _listener.handlers
    _queue = queue.Queue(-1)
    _listener = logging.handlers.QueueListener(_queue, *handlers, respect_handler_level=False)
    _listener.start()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _LiveQueueHandler):
            handler.queue = _queue


def flush_logs(timeout_s: float = 5.0) -> None:
    """Wait until every record queued so far is written (at most ``timeout_s`` seconds)."""
    q = _queue
    if q is None:
        return
    done = threading.Event()

    def wait() -> None:
        q.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    done.wait(timeout_s)


def _exception_formatter(debug_locals: bool):
    if debug_locals:
        try:
            return structlog.dev.RichTracebackFormatter(show_locals=True, color_system=None, width=120)
        except Exception:  # noqa: BLE001 - rich missing: plain traceback
            return structlog.dev.plain_traceback
    return structlog.dev.plain_traceback


def _log_uncaught(exc_type, exc, tb, thread_name: str | None = None) -> None:
    logging.getLogger("vidmem.uncaught").error("uncaught exception%s", f" in thread {thread_name}" if thread_name else "",
                                               exc_info=(exc_type, exc, tb))


def configure_logging(level: str = "INFO", json: bool = False, *, debug_locals: bool = False) -> None:
    """Configure structlog and the stdlib root logger; logs go to stderr (stdout is for
    machine-readable CLI output) from one writer thread.

    vidmem's own events go through structlog, then the stdlib; records of libraries logging
    through the stdlib (uvicorn, Celery, kombu, SQLAlchemy, Alembic) are rendered by the same
    processors through ``structlog.stdlib.ProcessorFormatter`` (structlog's documented way to render
    "foreign" records), so with ``json=True`` every line on stderr is one JSON object with
    ``timestamp``, ``level``, ``logger`` and ``event``, and every line is redacted at the sink.

    Args:
        level: the lowest level written (``"DEBUG"``..``"CRITICAL"``).
        json: one JSON object per line (tracebacks as the ``exception`` string field) instead of
            the console renderer.
        debug_locals: console tracebacks print local variables (rich); for local debugging only,
            the values are still redacted at the sink.
    """
    global _configured, _queue, _listener
    lvl = getattr(logging, level.upper(), logging.INFO)
    renderer = (structlog.processors.JSONRenderer() if json
                else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=_exception_formatter(debug_locals)))
    shared = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
    ]
    formatter = RedactingFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(), *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *([structlog.processors.format_exc_info] if json else []), renderer],
    )
    writer = _StderrHandler(sys.stderr)
    writer.setFormatter(formatter)
    _stop_listener()
    _queue = queue.Queue(-1)
    _listener = logging.handlers.QueueListener(_queue, writer, respect_handler_level=False)
    _listener.start()
    logging.basicConfig(handlers=[_LiveQueueHandler(_queue)], level=lvl, force=True)
    logging.captureWarnings(True)  # Python warnings become records of logger "py.warnings"
    for noisy in ("httpx", "httpcore", "urllib3", "faster_whisper", "numba", "PIL", "alembic", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
    # One list, updated in place: loggers bound before a later configure_logging (module-level
    # ``log = get_logger(...)``) hold this list, so they switch renderer (e.g. to JSON) too.
    _PROCESSORS[:] = [structlog.contextvars.merge_contextvars, *shared, _resolve_exc_info,
                      structlog.stdlib.ProcessorFormatter.wrap_for_formatter]
    structlog.configure(
        processors=_PROCESSORS,
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    if not _configured:
        atexit.register(_stop_listener)
        os.register_at_fork(after_in_child=_restart_in_child)
        sys.excepthook = lambda t, e, tb: _log_uncaught(t, e, tb)
        threading.excepthook = lambda a: _log_uncaught(a.exc_type, a.exc_value, a.exc_traceback,
                                                       getattr(a.thread, "name", None))
    _configured = True


def register_secrets_of(model: Any) -> None:
    """Register (:func:`register_secret`) every ``SecretStr`` field of a pydantic model, nested
    models included, and the password of any ``*_url`` string field (``postgresql://u:p@h/db``)."""
    for name in type(model).model_fields:
        value = getattr(model, name, None)
        if hasattr(value, "get_secret_value"):
            register_secret(value)
            value = value.get_secret_value()
        if hasattr(type(value), "model_fields"):
            register_secrets_of(value)
        elif isinstance(value, str) and name.endswith("url"):
            m = _URL_CREDENTIALS.search(value)
            if m and ":" in m.group("cred"):
                register_secret(m.group("cred").split(":", 1)[1])


def configure_from_settings(settings: Any) -> None:
    """:func:`configure_logging` from vidmem ``Settings`` (``log_level``, ``log_json``,
    ``log_debug_locals``), and every secret of the settings registered for the sink."""
    register_secrets_of(settings)
    configure_logging(settings.log_level, settings.log_json, debug_locals=getattr(settings, "log_debug_locals", False))


def get_logger(name: str) -> Any:
    """A structlog logger bound with ``logger=name``."""
    if not _configured:
        configure_logging()
    return structlog.get_logger(name).bind(logger=name)
