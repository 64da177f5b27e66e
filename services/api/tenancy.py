"""Tenants and API keys in the relational store (tables ``tenants`` and ``api_keys``).

:class:`TenantStore` opens a short transaction per call on the repository's engine. Keys are stored
as SHA-256 hashes (:mod:`services.api.security`); a key resolves to its tenant, never to anything a
request names. Resolved keys are cached for a few seconds (revocation in this process clears the
cache at once; other processes see it within ``cache_ttl_s``).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from api_schemas.api import ApiKeyCreated, ApiKeyOut, TenantOut
from memory_core.logging import get_logger
from memory_core.settings import Settings
from memory_core.stores.relational.models import ApiKeyRow, TenantRow
from memory_core.timeutil import utcnow
from services.api import security

log = get_logger(__name__)

T_TENANTS = TenantRow.__table__
T_KEYS = ApiKeyRow.__table__


class TenantExists(Exception):
    """A tenant with this id exists already."""


def resolve_admin_key(settings: Settings) -> str:
    """The admin key: ``settings.admin_key`` when set, else the key in ``<home>/admin.key``,
    generated (random, file mode 0600) on first start. The key itself is never logged.
    """
    if settings.admin_key is not None and settings.admin_key.get_secret_value():
        return settings.admin_key.get_secret_value()
    path = Path(settings.home) / "admin.key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = "vmadmin_" + security.generate_key()[len(security.KEY_PREFIX):]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.warning("admin key generated", path=str(path))
    return key


class TenantStore:
    """Tenants and their API keys.

    Args:
        engine: the SQLAlchemy engine of the relational store (``SqlRepository.engine``).
        cache_ttl_s: seconds a resolved key stays cached.
    """

    def __init__(self, engine: Engine, *, cache_ttl_s: float = 5.0) -> None:
        self.engine = engine
        self.cache_ttl_s = cache_ttl_s
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ tenants
    @staticmethod
    def _tenant(row) -> TenantOut:
        return TenantOut(id=row.id, name=row.name, created_at=row.created_at)

    def create_tenant(self, name: str, tenant_id: str | None = None) -> TenantOut:
        """Create a tenant (id ``t-<12 hex>`` when not given).

        Raises:
            TenantExists: when ``tenant_id`` is taken.
        """
        tid = tenant_id or f"t-{uuid.uuid4().hex[:12]}"
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(T_TENANTS).values(id=tid, name=name, created_at=now))
        except IntegrityError:
            raise TenantExists(tid) from None
        log.info("tenant created", tenant=tid)
        return TenantOut(id=tid, name=name, created_at=now)

    def get_tenant(self, tenant_id: str) -> TenantOut | None:
        """A tenant by id, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(T_TENANTS).where(T_TENANTS.c.id == tenant_id)).first()
        return None if row is None else self._tenant(row)

    def list_tenants(self, limit: int, offset: int) -> list[TenantOut]:
        """Tenants by id, one page."""
        q = select(T_TENANTS).order_by(T_TENANTS.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [self._tenant(r) for r in conn.execute(q)]

    def delete_tenant_row(self, tenant_id: str) -> bool:
        """Delete the tenant row and its keys (its data must be deleted first); True if it existed."""
        with self.engine.begin() as conn:
            conn.execute(delete(T_KEYS).where(T_KEYS.c.tenant_id == tenant_id))
            n = conn.execute(delete(T_TENANTS).where(T_TENANTS.c.id == tenant_id)).rowcount
        self.clear_cache()
        return n > 0

    # ------------------------------------------------------------------ keys
    @staticmethod
    def _key(row) -> ApiKeyOut:
        return ApiKeyOut(id=row.id, tenant=row.tenant_id, name=row.name, prefix=row.prefix,
                         created_at=row.created_at, revoked_at=row.revoked_at)

    def create_key(self, tenant_id: str, name: str) -> ApiKeyCreated:
        """A new key for ``tenant_id``; the returned ``key`` is the only copy of the secret.

        Raises:
            KeyError: when the tenant does not exist.
        """
        if self.get_tenant(tenant_id) is None:
            raise KeyError(tenant_id)
        key = security.generate_key()
        kid, now = str(uuid.uuid4()), utcnow()
        with self.engine.begin() as conn:
            conn.execute(insert(T_KEYS).values(id=kid, tenant_id=tenant_id, name=name, key_hash=security.hash_key(key),
                                               prefix=security.key_prefix(key), created_at=now, revoked_at=None))
        log.info("api key created", tenant=tenant_id, key_id=kid, prefix=security.key_prefix(key))
        return ApiKeyCreated(id=kid, tenant=tenant_id, name=name, prefix=security.key_prefix(key), created_at=now, key=key)

    def list_keys(self, tenant_id: str) -> list[ApiKeyOut]:
        """Keys of a tenant (without secrets), oldest first."""
        q = select(T_KEYS).where(T_KEYS.c.tenant_id == tenant_id).order_by(T_KEYS.c.created_at, T_KEYS.c.id)
        with self.engine.connect() as conn:
            return [self._key(r) for r in conn.execute(q)]

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKeyOut | None:
        """Revoke a key of ``tenant_id`` (idempotent); ``None`` when it has no such key."""
        with self.engine.begin() as conn:
            conn.execute(update(T_KEYS).where(T_KEYS.c.tenant_id == tenant_id, T_KEYS.c.id == key_id,
                                              T_KEYS.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
            row = conn.execute(select(T_KEYS).where(T_KEYS.c.tenant_id == tenant_id, T_KEYS.c.id == key_id)).first()
        self.clear_cache()
        return None if row is None else self._key(row)

    def cached_tenant(self, key: str) -> str | None:
        """The tenant of ``key`` when a live cache entry holds it, else ``None`` (no database
        read: safe on the event loop; a miss says nothing about the key)."""
        if not security.plausible_key(key):
            return None
        digest = security.hash_key(key)
        with self._lock:
            hit = self._cache.get(digest)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def resolve(self, key: str) -> str | None:
        """The tenant id of an active key, or ``None`` (unknown, revoked or malformed)."""
        if not security.plausible_key(key):
            return None
        digest = security.hash_key(key)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None and hit[1] > now:
                return hit[0]
        q = select(T_KEYS.c.tenant_id, T_KEYS.c.key_hash).where(T_KEYS.c.key_hash == digest, T_KEYS.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None or not security.hmac.compare_digest(row.key_hash, digest):
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (row.tenant_id, now + self.cache_ttl_s)
        return row.tenant_id

    def clear_cache(self) -> None:
        """Forget resolved keys (after a revocation or a deletion)."""
        with self._lock:
            self._cache.clear()

    def count_keys(self) -> int:
        """Number of active keys (all tenants)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(T_KEYS).where(T_KEYS.c.revoked_at.is_(None))).scalar_one())
