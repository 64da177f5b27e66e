"""Credentials: keys shown once and stored hashed, tenant from the key only, admin separation,
revocation, the error envelope, rate limits and CORS."""

from __future__ import annotations

from sqlalchemy import select

from memory_core.stores.relational.models import ApiKeyRow
from services.api import security
from api_support import ADMIN, create_tenant, make_client


def test_requests_without_valid_key_answer_401_envelope(client):
    for headers in ({}, {"Authorization": "Bearer vmk_not-a-real-key-123456"}, {"X-API-Key": "nope"},
                    {"Authorization": "Basic dXNlcjpwYXNz"}):
        r = client.get("/v1/sources", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        body = r.json()
        assert body["code"] == "unauthorized" and body["message"]
        assert body["request_id"] == r.headers["x-request-id"]


def test_admin_and_tenant_keys_are_separate(client, tenant):
    assert client.get("/v1/sources", headers=ADMIN).status_code == 403
    assert client.get("/v1/admin/tenants", headers=tenant.headers).status_code == 403
    assert client.get("/v1/admin/tenants").status_code == 401
    assert client.get("/v1/sources", headers={"X-API-Key": tenant.key}).status_code == 200


def test_key_is_shown_once_and_stored_hashed(client, runtime, tenant):
    listed = client.get(f"/v1/admin/tenants/{tenant.id}/keys", headers=ADMIN).json()
    assert listed and all("key" not in k for k in listed)
    assert listed[0]["prefix"] == tenant.key[: security.PREFIX_LEN]
    with runtime.repo.engine.connect() as conn:
        rows = conn.execute(select(ApiKeyRow.__table__).where(ApiKeyRow.__table__.c.tenant_id == tenant.id)).all()
    assert rows and all(tenant.key not in str(tuple(r)) for r in rows)
    assert rows[0].key_hash == security.hash_key(tenant.key)


def test_revoked_key_answers_401(client, tenant):
    key_id = client.get(f"/v1/admin/tenants/{tenant.id}/keys", headers=ADMIN).json()[0]["id"]
    assert client.get("/v1/sources", headers=tenant.headers).status_code == 200
    r = client.delete(f"/v1/admin/tenants/{tenant.id}/keys/{key_id}", headers=ADMIN)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert client.get("/v1/sources", headers=tenant.headers).status_code == 401


def test_tenant_named_in_payload_is_ignored(client, tenant):
    other = create_tenant(client, "other")
    r = client.post("/v1/sources", json={"name": "cam", "tenant": other.id, "tenant_id": other.id}, headers=tenant.headers)
    assert r.status_code == 201
    assert client.get("/v1/sources/cam", headers=tenant.headers).status_code == 200
    assert client.get("/v1/sources/cam", headers=other.headers).status_code == 404


def test_tenant_ids_are_validated_and_unique(client):
    assert client.post("/v1/admin/tenants", json={"id": "../etc", "name": "x"}, headers=ADMIN).status_code == 422
    t = create_tenant(client, "dup")
    r = client.post("/v1/admin/tenants", json={"id": t.id, "name": "again"}, headers=ADMIN)
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert client.post("/v1/admin/tenants/nosuch-tenant/keys", json={}, headers=ADMIN).status_code == 404


def test_request_id_is_echoed_or_generated(client, tenant):
    r = client.get("/v1/sources", headers={**tenant.headers, "X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get("/v1/sources/missing", headers={**tenant.headers, "X-Request-ID": "bad id with spaces"})
    assert r.status_code == 404 and r.json()["request_id"] == r.headers["x-request-id"] != "bad id with spaces"


def test_unknown_route_and_method_use_the_envelope(client, tenant):
    r = client.get("/v1/nothing-here", headers=tenant.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.put("/v1/sources", headers=tenant.headers)
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


# Budgets per day, not per minute: the sliding-window counter weighs the previous window by the
# time left in it, so a burst that straddles a window boundary is admitted once more; a test
# crossing a minute boundary (1 run in 60) would see that, a day boundary practically never.
def test_rate_limit_per_tenant(runtime):
    with make_client(runtime, rate_limit="5/day") as c:
        a, b = create_tenant(c, "rl-a"), create_tenant(c, "rl-b")
        codes = [c.get("/v1/sources", headers=a.headers).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        r = c.get("/v1/sources", headers=a.headers)
        assert r.json()["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
        assert c.get("/v1/sources", headers=b.headers).status_code == 200  # B has its own budget


def test_query_rate_limit_is_separate(runtime):
    with make_client(runtime, query_rate_limit="2/day") as c:
        t = create_tenant(c, "qrl")
        codes = [c.post("/v1/search", json={"text": "anything"}, headers=t.headers).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert c.get("/v1/sources", headers=t.headers).status_code == 200


def test_pushed_chunks_have_their_own_rate_limit(runtime):
    """A device pushes a chunk every few seconds: chunks spend the ``chunk`` budget, not the
    ``ingest`` budget of uploads (and the other way round)."""
    with make_client(runtime, ingest_rate_limit="1/day", chunk_rate_limit="3/day") as c:
        t = create_tenant(c, "crl")
        assert c.post("/v1/sources", json={"name": "dev", "kind": "device"}, headers=t.headers).status_code == 201
        junk = b"not a video at all\n" * 10
        codes = [c.post("/v1/sources/dev/chunks", files={"file": ("c.mp4", junk, "video/mp4")},
                        data={"sequence": str(i), "capture_start": "2026-11-16T08:00:00Z"}, headers=t.headers).status_code
                 for i in range(4)]
        assert codes == [422, 422, 422, 429]  # refused as media, then out of chunk budget
        uploads = [c.post("/v1/sources/dev/uploads", files={"file": ("u.mp4", junk, "video/mp4")},
                          headers=t.headers).status_code for _ in range(2)]
        assert uploads == [422, 429]  # the ingest budget was untouched by the chunks


def test_cors_off_unless_configured(client, runtime):
    pre = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    r = client.options("/v1/sources", headers=pre)
    assert "access-control-allow-origin" not in r.headers
    with make_client(runtime, cors_origins=["https://app.example"]) as c:
        r = c.options("/v1/sources", headers=pre)
        assert r.headers.get("access-control-allow-origin") == "https://app.example"
        r = c.options("/v1/sources", headers={**pre, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_admin_key_generated_once_when_not_configured(tmp_path):
    from memory_core.settings import Settings
    from services.api.tenancy import resolve_admin_key

    s = Settings(home=tmp_path, admin_key=None)
    key = resolve_admin_key(s)
    path = tmp_path / "admin.key"
    assert len(key) > 40 and path.read_text().strip() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert resolve_admin_key(s) == key  # stable across restarts
    assert resolve_admin_key(Settings(home=tmp_path, admin_key="configured-" + "k" * 20)) == "configured-" + "k" * 20
