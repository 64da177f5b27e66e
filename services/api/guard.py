"""What the request middleware decides before a body is read: the body limit of a route and
whether the caller's credential admits it at all.

* **Body limits by route, never by path text.** A route whose endpoint streams its own body
  (uploads, pushed chunks) is marked with :func:`streams_own_body`; the limit of a request is
  found by matching its method and path against the route templates, so ``PATCH /v1/sources/uploads`` (the source named
  ``uploads``) gets the JSON limit like any other JSON route (:class:`RouteIndex`).
* **No body from a stranger.** :func:`precheck_credential` refuses a ``/v1`` request with a
  body whose credential is missing or not valid for the route's family (the admin key on
  ``/v1/admin``, a tenant's key elsewhere) before one byte of the body is read; the route's own
  dependency (``services.api.deps``) still makes the final decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import Scope

from services.api import security
from services.api.errors import ApiError

_OWN_BODY = "__vidmem_streams_own_body__"


def streams_own_body(endpoint: Callable) -> Callable:
    """Mark a route's endpoint as one that reads and bounds its own (large, streamed) body;
    the JSON body limit does not apply to it. Returns ``endpoint`` itself."""
    setattr(endpoint, _OWN_BODY, True)
    return endpoint


class RouteIndex:
    """Which routes stream their own body, by method and full path template.

    Built from the routers the app includes (``add_router(router, "/v1")``): each route's path
    template is compiled with Starlette's ``compile_path``, the router's own path syntax, so a
    request matches here exactly when it matches the route (``{source}`` never spans a ``/``).
    The first route that matches method and path decides, as in the router.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[re.Pattern, frozenset[str], bool]] = []

    def add_router(self, router: Any, prefix: str = "") -> None:
        """Index every route of ``router`` (an ``APIRouter``) under ``prefix``."""
        for route in getattr(router, "routes", []):
            path = getattr(route, "path", None)
            if not isinstance(path, str):
                continue
            regex, _fmt, _convertors = compile_path(prefix + path)
            own = bool(getattr(getattr(route, "endpoint", None), _OWN_BODY, False))
            self._entries.append((regex, frozenset(getattr(route, "methods", None) or ()), own))

    def streams_own_body(self, scope: Scope) -> bool:
        """True when the route the request goes to is marked with :func:`streams_own_body`."""
        path, method = scope.get("path", ""), scope.get("method", "")
        for regex, methods, own in self._entries:
            if method in methods and regex.match(path):
                return own
        return False

    def body_limit(self, scope: Scope, json_limit: int) -> int | None:
        """The most bytes the request's body may hold: ``None`` (the route bounds its own body)
        for a marked route, else ``json_limit`` (unmatched requests included)."""
        return None if self.streams_own_body(scope) else json_limit


def credential_of(headers: dict[str, str]) -> str | None:
    """The key a request carries (``Authorization: Bearer <key>``, else ``X-API-Key``), as the
    dependencies read it; ``None`` without one. ``headers`` has lower-case names."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


def has_body(method: str, headers: dict[str, str]) -> bool:
    """Whether the request announces a body (a non-zero ``Content-Length`` or any
    ``Transfer-Encoding``)."""
    if "transfer-encoding" in headers:
        return True
    length = headers.get("content-length")
    return length is not None and length.strip() not in ("", "0")


async def precheck_credential(ctx: Any, scope: Scope, headers: dict[str, str]) -> ApiError | None:
    """Refuse a ``/v1`` request that carries a body before the body is read, when its credential
    cannot be valid for the route's family.

    Args:
        ctx: the app's :class:`~services.api.deps.ApiContext` (``None`` while starting: nothing is
            refused here; the route answers 503).
        scope: the ASGI scope of the request.
        headers: its headers with lower-case names.

    Returns:
        ``None`` to go on, else the :class:`ApiError` to answer: 401 without a key or with an
        unknown or revoked one, 403 for the admin key on a tenant route or a tenant key on an
        admin route (the messages of ``services.api.deps``).
    """
    path = scope.get("path", "")
    if ctx is None or not path.startswith("/v1/") or not has_body(scope.get("method", ""), headers):
        return None
    key = credential_of(headers)
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if not key:
        return ApiError(401, "unauthorized", "an API key is required (Authorization: Bearer <key> or X-API-Key)",
                        headers=unauthorized)
    is_admin = security.same_secret(key, ctx.admin_key.get_secret_value())
    if path.startswith("/v1/admin/"):
        return None if is_admin else ApiError(403, "forbidden", "admin only")
    if is_admin:
        return ApiError(403, "admin_key", "the admin key manages tenants; use a tenant's key here")
    if not security.plausible_key(key):
        return ApiError(401, "unauthorized", "invalid or revoked API key", headers=unauthorized)
    cached = getattr(ctx.tenants, "cached_tenant", None)
    tenant = cached(key) if cached is not None else None  # no thread hop on a cache hit
    if tenant is None:
        tenant = await run_in_threadpool(ctx.tenants.resolve, key)  # a database read on a miss
    if tenant is None:
        return ApiError(401, "unauthorized", "invalid or revoked API key", headers=unauthorized)
    return None
