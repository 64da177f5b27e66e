"""Helpers of the REST service tests (imported as ``api_support``, like the other test folders'
support modules): the admin key, API settings for tests, tenants, uploads and job polling.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from memory_core.runtime import Runtime
from memory_core.settings import ApiSettings

DATA = Path(__file__).resolve().parent.parent / "data"
ADMIN_KEY = "test-admin-key-" + "x" * 24
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def footage(name: str) -> Path:
    """A committed test video, or skip the test when it is absent."""
    path = DATA / name
    if not path.exists() or path.stat().st_size < 1024:
        pytest.skip(f"test footage {name} is absent")
    return path


def api_settings(**overrides) -> ApiSettings:
    """API settings for tests: generous rate limits, the test server's loopback alias allowed."""
    base = dict(rate_limit="100000/minute", query_rate_limit="100000/minute", ingest_rate_limit="100000/minute",
                retention_sweep_s=3600.0, url_allow_networks=["127.0.0.2/32"])
    base.update(overrides)
    return ApiSettings(**base)


def make_client(rt: Runtime, **api_overrides) -> TestClient:
    """A TestClient on a new app over ``rt`` with API settings changed (enter it with ``with``)."""
    from services.api import create_app

    settings = rt.settings.model_copy(update={"api": api_settings(**api_overrides)})
    return TestClient(create_app(settings, runtime=rt), raise_server_exceptions=False)


@dataclass
class TenantKey:
    """A tenant made through the admin API and its key headers."""

    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def create_tenant(client: TestClient, prefix: str = "t") -> TenantKey:
    tid = f"{prefix}-{uuid.uuid4().hex[:8]}"
    r = client.post("/v1/admin/tenants", json={"id": tid, "name": prefix}, headers=ADMIN)
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/admin/tenants/{tid}/keys", json={"name": "tests"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return TenantKey(id=tid, key=r.json()["key"])


def wait_job(client: TestClient, tenant: TenantKey, job_id: str, timeout_s: float = 600.0) -> dict:
    """Poll a job until it finishes; returns the final job."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


def upload(client: TestClient, tenant: TenantKey, source: str, path: Path, *, start_time: str | None = None,
           create: bool = True):
    """Create ``source`` (when asked) and upload ``path`` to it; returns the response."""
    if create:
        r = client.post("/v1/sources", json={"name": source}, headers=tenant.headers)
        assert r.status_code in (201, 409), r.text
    data = {"start_time": start_time} if start_time else {}
    with open(path, "rb") as fh:
        return client.post(f"/v1/sources/{source}/uploads", files={"file": (path.name, fh, "video/mp4")}, data=data,
                           headers=tenant.headers)


def ingest(client: TestClient, tenant: TenantKey, source: str, path: Path, **kw) -> dict:
    """Upload and wait; asserts the job succeeded (or was partial)."""
    r = upload(client, tenant, source, path, **kw)
    assert r.status_code == 202, r.text
    job = wait_job(client, tenant, r.json()["id"])
    assert job["status"] in ("succeeded", "partial"), job
    return job


def collect(client: TestClient, tenant: TenantKey, path: str, params: dict | None = None) -> list[dict]:
    """Every item of a paged list endpoint."""
    items, offset = [], 0
    while True:
        r = client.get(path, params={**(params or {}), "limit": 500, "offset": offset}, headers=tenant.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        if page["next_offset"] is None:
            return items
        offset = page["next_offset"]




@dataclass
class TwoTenants:
    """Tenant A with sample.mp4 in ``cam-a`` (and an empty ``shared``), B with day2.mp4 in
    ``cam-b`` and sample.mp4 in ``shared`` (the same source name as A's)."""

    a: TenantKey
    b: TenantKey
    a_job: dict
    b_job: dict


def fuzz_tenant_key(db_url: str, tenant_id: str, name: str, key_name: str) -> dict[str, str]:
    """Headers with a fresh key of tenant ``tenant_id`` (created with source ``cam`` if missing),
    written straight to the app's database: the fuzzers' app starts and stops between operations,
    and admin routes they may hit cannot guess this tenant's id."""
    from memory_core.stores.relational.repository import SqlRepository
    from services.api.tenancy import TenantStore

    repo = SqlRepository(db_url)
    try:
        store = TenantStore(repo.engine)
        if store.get_tenant(tenant_id) is None:
            store.create_tenant(name, tenant_id)
        repo.ensure_source(tenant_id, "cam")
        return {"Authorization": f"Bearer {store.create_key(tenant_id, key_name).key}"}
    finally:
        repo.close()
