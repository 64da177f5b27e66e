"""The error envelope ``{code, message, request_id, details}`` and the exception handlers.

Every error leaves the service in this one shape (:class:`api_schemas.api.ErrorEnvelope`), whatever
raised it: an :class:`ApiError` from a router, a Starlette ``HTTPException`` (unknown route, wrong
method), a request validation error (422) or an unexpected exception (500, logged with the
request id, never echoed; a time that leaves the calendar is a 422). Messages pass through
:func:`memory_core.logging.redact_text`, so no credential is echoed either. ``responses(...)`` builds the ``responses=`` dicts that declare these
answers in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api_schemas.api import ErrorEnvelope
from api_schemas.common import MAX_YEAR, MIN_YEAR
from memory_core.logging import get_logger, redact_text
from memory_core.timeutil import TimeRangeError

log = get_logger(__name__)

_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}

_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, multipart or URL)",
    401: "Missing or invalid credentials",
    403: "Credentials do not allow this (admin only, or a refused address)",
    404: "No such object for this tenant",
    408: "The request body stalled (nothing received for api.body_idle_timeout_s)",
    409: "Conflict with the current state",
    413: "Too large (request body, upload or quota)",
    415: "Unsupported media type",
    416: "Requested range not satisfiable",
    422: "Invalid input",
    429: "Rate limit or quota exceeded",
    500: "Internal error",
    503: "Not ready or overloaded; retry later",
}


class ApiError(Exception):
    """An error answered to the client as an envelope.

    Args:
        status: HTTP status code.
        code: stable machine-readable code, e.g. ``"not_found"``, ``"url_refused"``.
        message: plain words for people; never a secret.
        headers: extra response headers (e.g. ``Retry-After``).
    """

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details


def not_found(what: str = "object") -> ApiError:
    """The 404 answered for a missing object and for another tenant's object alike."""
    return ApiError(404, "not_found", f"{what} not found")


def request_id_of(request: Request) -> str | None:
    """The request id the middleware assigned (``None`` outside a request)."""
    return getattr(request.state, "request_id", None)


def envelope(request: Request, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
             details: list[dict] | None = None) -> JSONResponse:
    """A ``JSONResponse`` holding the error envelope."""
    body = ErrorEnvelope(code=code, message=redact_text(message), request_id=request_id_of(request), details=details)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _clean_validation(errors: list[dict[str, Any]]) -> list[dict]:
    """Validation problems without the offending input (it may be huge or secret)."""
    out = []
    for e in errors[:50]:
        out.append({"loc": [str(x)[:200] for x in e.get("loc", ())][:10], "msg": redact_text(str(e.get("msg", ""))[:300]),
                "type": str(e.get("type", ""))})
    return out


def install_handlers(app: FastAPI) -> None:
    """Register the envelope handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return envelope(request, exc.status, exc.code, exc.message, headers=exc.headers, details=exc.details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _DEFAULT_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return envelope(request, exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean_validation(list(exc.errors()))
        if any(e["type"] == "json_invalid" for e in errors):
            return envelope(request, 400, "malformed_json", "request body is not valid JSON", details=errors)
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(x for x in first["loc"] if x not in ("body",)) or "request"
        return envelope(request, 422, "invalid_request", f"{where}: {first['msg']}", details=errors)

    @app.exception_handler(OverflowError)
    @app.exception_handler(TimeRangeError)
    async def _time_range(request: Request, exc: Exception) -> JSONResponse:
        # Time arithmetic on a client's value left the calendar (schemas bound times to
        # 1970..2200, so this is the last line of defence): the input is at fault, not the service.
        log.warning("time out of range", request_id=request_id_of(request), path=request.url.path,
                    error=type(exc).__name__)
        return envelope(request, 422, "time_out_of_range",
                        "a time in the request, or one computed from it, is outside the supported range "
                        f"(years {MIN_YEAR} to {MAX_YEAR})")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", request_id=request_id_of(request), path=request.url.path, error=repr(exc)[:500],
                  exc_info=exc)
        return envelope(request, 500, "internal", "internal error; quote the request id to the operator")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answered with the error envelope.

    400 (malformed request), 408 (stalled body), 413 (body over ``api.max_body_bytes``), 422
    (validation), 500 and 503 (starting, overloaded) can answer any route and are always added; the caller lists the
    rest, so the OpenAPI document declares every error a route can answer.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(set(statuses) | {400, 408, 413, 422, 500, 503}):
        out[status] = {"model": ErrorEnvelope, "description": _DESCRIPTIONS.get(status, "Error")}
    return out


#: Errors every tenant route may answer.
TENANT = (401, 403, 429)
#: Errors every admin route may answer.
ADMIN = (401, 403)
