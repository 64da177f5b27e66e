"""Per-tenant quotas: bytes of stored footage and keyframes, and hours of ingested media.

Usage is measured, not tracked: bytes are summed over the tenant's folders (owned media and
keyframes; cached for ``cache_s``), hours over its media file records. A request that would pass a
quota answers 413 ``quota_exceeded``; ``None`` quotas are unlimited.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from api_schemas.api import UsageOut
from memory_core.stores.keyframes import safe_component
from services.api.errors import ApiError


def _folder_bytes(folder: Path) -> int:
    total = 0
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except FileNotFoundError:
            continue
    return total


class Quotas:
    """Quotas of the API settings over a runtime's stores.

    Args:
        rt: the runtime (settings, repo, keyframes).
        api: the API settings holding the quotas (default ``rt.settings.api``).
        cache_s: seconds a measured byte count is reused.
    """

    def __init__(self, rt, api=None, *, cache_s: float = 30.0) -> None:
        self.rt = rt
        self.api = api or rt.settings.api
        self.cache_s = cache_s
        self._bytes: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def storage_bytes(self, tenant: str) -> int:
        """Bytes under the tenant's owned-media and keyframe folders."""
        now = time.monotonic()
        with self._lock:
            hit = self._bytes.get(tenant)
            if hit and hit[1] > now:
                return hit[0]
        s = self.rt.settings
        total = _folder_bytes(s.media_dir.expanduser().resolve() / safe_component(tenant))
        total += _folder_bytes(self.rt.keyframes.root / safe_component(tenant))
        with self._lock:
            self._bytes[tenant] = (total, now + self.cache_s)
        return total

    def media_hours(self, tenant: str) -> float:
        """Hours of media ingested by the tenant (all sources)."""
        return sum(m.duration_s or 0.0 for m in self.rt.repo.list_media_files(tenant)) / 3600.0

    def usage(self, tenant: str) -> UsageOut:
        """The tenant's usage and quotas."""
        return UsageOut(storage_bytes=self.storage_bytes(tenant), media_hours=round(self.media_hours(tenant), 4),
                        quota_storage_bytes=self.api.quota_storage_bytes, quota_media_hours=self.api.quota_media_hours)

    def upload_allowance(self, tenant: str) -> int:
        """The most bytes the tenant may upload now (the upload limit or what its quota leaves).

        Raises:
            ApiError: 413 ``quota_exceeded`` when the storage quota is already used up.
        """
        limit = self.api.max_upload_bytes
        if self.api.quota_storage_bytes is not None:
            left = self.api.quota_storage_bytes - self.storage_bytes(tenant)
            if left <= 0:
                raise ApiError(413, "quota_exceeded", "the storage quota of this tenant is used up")
            limit = min(limit, left)
        return limit

    def check_media_seconds(self, tenant: str, seconds: float) -> None:
        """Refuse ``seconds`` more media when they would pass the media-hours quota.

        Raises:
            ApiError: 413 ``quota_exceeded``.
        """
        quota = self.api.quota_media_hours
        if quota is not None and self.media_hours(tenant) + seconds / 3600.0 > quota:
            raise ApiError(413, "quota_exceeded", f"this media would pass the tenant's quota of {quota:g} media hours")

    def invalidate(self, tenant: str) -> None:
        """Measure the tenant's bytes afresh next time."""
        with self._lock:
            self._bytes.pop(tenant, None)
