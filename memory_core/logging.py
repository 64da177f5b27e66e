"""Structured logging (structlog) with secrets redacted at the boundary.

Every event passes through :func:`redact_event`: credentials in URLs (``rtsp://user:pass@host``),
``api_key=``/``token=`` query parameters, ``Authorization`` headers and fields named like secrets
are replaced by ``***`` before anything is rendered.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<cred>[^/@\s:]+(?::[^/@\s]*)?)@")
_QUERY_SECRET = re.compile(
    r"(?P<key>(?:api[_-]?key|access[_-]?token|token|password|passwd|secret|signature|sig|auth)=)[^&\s\"']+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_SECRET_FIELD = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|credential)", re.IGNORECASE)


def redact(text: str) -> str:
    """Remove credentials from a string (URLs, query parameters, auth headers).

    >>> redact("rtsp://admin:hunter2@10.0.0.5/stream?token=abc")
    'rtsp://***@10.0.0.5/stream?token=***'
    """
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}***@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('key')}***", text)
    return _BEARER.sub(lambda m: f"{m.group('key')}***", text)


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


_configured = False
_PROCESSORS: list = []


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """Configure structlog and the stdlib root logger; logs go to stderr (stdout is for
    machine-readable CLI output).

    vidmem's own events go through structlog; records of libraries logging through the stdlib
    (uvicorn, Celery, kombu, SQLAlchemy, Alembic) are rendered by the same processors through
    ``structlog.stdlib.ProcessorFormatter`` (structlog's documented way to render "foreign"
    records), so with ``json=True`` every line on stderr is one JSON object with ``timestamp``,
    ``level``, ``logger`` and ``event``, and every line is redacted.
    """
    global _configured
    lvl = getattr(logging, level.upper(), logging.INFO)
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    shared = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
    ]
    if json:  # tracebacks as one string field (the console renderer formats them itself)
        shared.insert(2, structlog.processors.format_exc_info)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(), *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    logging.basicConfig(handlers=[handler], level=lvl, force=True)
    logging.captureWarnings(True)  # Python warnings become records of logger "py.warnings"
    for noisy in ("httpx", "httpcore", "urllib3", "faster_whisper", "numba", "PIL", "alembic", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
    # One list, updated in place: loggers bound before a later configure_logging (module-level
    # ``log = get_logger(...)``) hold this list, so they switch renderer (e.g. to JSON) too.
    _PROCESSORS[:] = [structlog.contextvars.merge_contextvars, *shared, renderer]
    structlog.configure(
        processors=_PROCESSORS,
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str) -> Any:
    """A structlog logger bound with ``logger=name``."""
    if not _configured:
        configure_logging()
    return structlog.get_logger().bind(logger=name)
