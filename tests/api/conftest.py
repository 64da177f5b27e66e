"""Fixtures of the REST service tests: one runtime on a temporary VIDMEM_HOME (real stores, real
models), the app on it driven through HTTP (Starlette's TestClient, lifespan included), tenants
with keys, and real footage ingested over HTTP for two tenants.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api_support import ADMIN_KEY, TenantKey, TwoTenants, api_settings, create_tenant, footage, ingest, make_client
from memory_core.runtime import Runtime
from memory_core.settings import Settings


@pytest.fixture(scope="session")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("vidmem-home")


@pytest.fixture(scope="session")
def runtime(home: Path) -> Iterator[Runtime]:
    settings = Settings(home=home, environment="test", admin_key=ADMIN_KEY, api=api_settings())
    rt = Runtime.open(settings)
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with make_client(runtime) as c:
        yield c


@pytest.fixture()
def tenant(client: TestClient) -> TenantKey:
    return create_tenant(client)


@pytest.fixture(scope="session")
def two_tenants(client: TestClient) -> TwoTenants:
    sample, day2 = footage("sample.mp4"), footage("day2.mp4")
    a, b = create_tenant(client, "alpha"), create_tenant(client, "beta")
    a_job = ingest(client, a, "cam-a", sample, start_time="2026-11-16T08:00:00Z")
    b_job = ingest(client, b, "cam-b", day2, start_time="2026-11-17T09:00:00Z")
    assert client.post("/v1/sources", json={"name": "shared"}, headers=a.headers).status_code == 201
    ingest(client, b, "shared", day2, start_time="2026-11-18T09:00:00Z")
    return TwoTenants(a=a, b=b, a_job=a_job, b_job=b_job)
