"""Per-tenant rate limits on the ``limits`` library (in-memory by default, Redis by URL).

Each tenant has a budget for every request (``api.rate_limit``) and tighter ones per category
(``query`` for questions and searches, ``ingest`` for uploads, URL ingest and streams, ``chunk``
for pushed device chunks). Limits use the
sliding-window-counter strategy: smooth like a moving window, O(1) memory per tenant and limit.
A refused request answers 429 with ``Retry-After`` (seconds).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from memory_core.settings import ApiSettings
from services.api.errors import ApiError


class TenantRateLimiter:
    """Rate limits keyed by tenant id.

    Args:
        api: the API settings (``rate_limit``, ``query_rate_limit``, ``ingest_rate_limit`` in
            ``limits`` notation, e.g. ``"120/minute"``; ``rate_limit_storage`` a storage URI such
            as ``memory://`` or ``redis://host:6379/0``).

    Raises:
        ValueError: for a malformed limit string or storage URI.
    """

    def __init__(self, api: ApiSettings) -> None:
        self._storage = storage_from_string(api.rate_limit_storage)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._limits: dict[str, RateLimitItem] = {
            "all": parse(api.rate_limit),
            "query": parse(api.query_rate_limit),
            "ingest": parse(api.ingest_rate_limit),
            "chunk": parse(api.chunk_rate_limit),
        }

    def hit(self, tenant: str, category: str = "all") -> None:
        """Count one request of ``tenant`` against ``category`` (and the overall budget).

        Raises:
            ApiError: 429 ``rate_limited`` with ``Retry-After`` when a budget is spent.
        """
        for name in ("all", category) if category != "all" else ("all",):
            item = self._limits[name]
            if not self._limiter.hit(item, "vidmem", tenant, name):
                stats = self._limiter.get_window_stats(item, "vidmem", tenant, name)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                raise ApiError(429, "rate_limited", f"rate limit {item} for {name} requests exceeded; retry in {retry} s",
                               headers={"Retry-After": str(retry)})

    def reset(self) -> None:
        """Forget every counter (tests, admin)."""
        self._storage.reset()
