"""Security of the REST service (issue 13): no credential in any log line whatever the renderer,
no 5xx from times at the edge of the calendar on any endpoint, body limits by route (a source or
an entity named ``uploads`` gets the JSON limit; a stranger's body is refused unread, counted in
bytes), capped request lists, and no server path in a response."""

from __future__ import annotations

import io
import time

import anyio
import pytest
from fastapi.testclient import TestClient

from api_support import ADMIN, ADMIN_KEY, TenantKey, api_settings, create_tenant
from memory_core import logging as vlog
from services.api import create_app

# ------------------------------------------------------------------------------------------ logs


def _app_client(runtime, **settings_update) -> TestClient:
    settings = runtime.settings.model_copy(update={"api": api_settings(), **settings_update})
    return TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False)


@pytest.mark.parametrize("renderer", [{"log_json": False}, {"log_json": True},
                                      {"log_json": False, "log_debug_locals": True}],
                         ids=["console", "json", "console-debug-locals"])
def test_injected_500_logs_no_key(runtime, capfd, monkeypatch, renderer):
    """A fault inside a route (its frames and its message hold the tenant key, the admin key and
    the request headers) answers 500; the captured log holds the traceback but neither key."""
    try:
        with _app_client(runtime, **renderer) as client:
            tenant = create_tenant(client)
            ctx = client.app.state.ctx
            secret_headers = {"Authorization": f"Bearer {tenant.key}", "X-API-Key": tenant.key}

            def faulty_list_sources(tenant_id):
                api_key = tenant.key  # noqa: F841 - a local a locals-printing traceback would show
                admin_key = ctx.admin_key.get_secret_value()  # noqa: F841
                raise RuntimeError(f"injected fault; headers={secret_headers} admin_key={ADMIN_KEY}")

            monkeypatch.setattr(runtime.repo, "list_sources", faulty_list_sources)
            capfd.readouterr()
            r = client.get("/v1/sources", headers={"Authorization": f"Bearer {tenant.key}"})
            r2 = client.get("/v1/sources", headers={"X-API-Key": tenant.key})
            vlog.flush_logs(120)  # rich tracebacks with locals take seconds to render
            out, err = capfd.readouterr()
    finally:
        monkeypatch.undo()
        vlog.configure_from_settings(runtime.settings)
    assert r.status_code == 500 and r2.status_code == 500
    assert tenant.key not in r.text and ADMIN_KEY not in r.text
    log = out + err
    assert "injected fault" in log and "faulty_list_sources" in log, log[-3000:]  # the traceback was written
    assert tenant.key not in log
    assert tenant.key[12:30] not in log  # not even a long piece of it
    assert ADMIN_KEY not in log


def test_sink_redacts_whatever_renders():
    """The sink redacts text no processor saw: a library's record, a header tuple, a repr."""
    vlog.register_secret("registered-secret-value-123")
    text = ("(b'authorization', b'Bearer vmk_abcdefghijklmnop') x-api-key: vmk_zzzzzzzzzzzz "
            "ApiContext(admin_key='registered-secret-value-123') postgresql://u:pw@db/x password=hunter2")
    red = vlog.redact_text(text)
    for secret in ("vmk_abcdefghijklmnop", "vmk_zzzzzzzzzzzz", "registered-secret-value-123", "pw@", "hunter2"):
        assert secret not in red, red
    assert "max_tokens=512" in vlog.redact_text("max_tokens=512")  # ordinary fields survive


def test_logging_does_not_block_the_caller():
    """A record is rendered on the writer thread: logging an error returns before it is written."""
    vlog.configure_logging("INFO", json=False)
    log = vlog.get_logger("test.security")
    t0 = time.perf_counter()
    for _ in range(200):
        try:
            raise ValueError("x" * 1000)
        except ValueError:
            log.exception("failed")
    queued_s = time.perf_counter() - t0
    vlog.flush_logs()
    assert queued_s < 1.0


# ------------------------------------------------------------------------- edge-of-calendar table

EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z",
              "9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00", "1969-12-31T23:59:59Z",
              "2201-01-01T00:00:00Z", "9999-12-31T23:59:59"]
IN_RANGE_EDGES = ["1970-01-01T00:00:00+14:00", "2200-12-31T23:59:59-14:00"]
RELATIVE = ["what happened yesterday?", "who was there on Tuesday?", "what happened last week?",
            "what happened in the last 500 years?", "what happens tomorrow?", "what happened last year?"]


@pytest.fixture(scope="module")
def edge_tenant(client) -> TenantKey:
    tenant = create_tenant(client, "edge")
    assert client.post("/v1/sources", json={"name": "cam"}, headers=tenant.headers).status_code == 201
    return tenant


def _json_calls(value: str) -> list[tuple[str, str, dict]]:
    """(method, path, JSON body) for every JSON datetime field of every endpoint."""
    calls = []
    for field in ("now", "start", "end"):
        calls.append(("POST", "/v1/query", {"text": "what happened?", field: value}))
        calls.append(("POST", "/v1/query/stream", {"text": "what happened?", field: value}))
    for field in ("start", "end"):
        calls.append(("POST", "/v1/search", {"text": "door", field: value}))
    calls.append(("POST", "/v1/sources/cam/url-ingests", {"url": "http://127.0.0.2:9/x.mp4", "start_time": value}))
    return calls


@pytest.mark.parametrize("value", EDGE_TIMES)
def test_edge_of_calendar_every_endpoint_422(client, edge_tenant, value):
    h = edge_tenant.headers
    for method, path, body in _json_calls(value):
        r = client.request(method, path, json=body, headers=h)
        assert r.status_code == 422, (path, body, r.status_code, r.text)
    r = client.post("/v1/admin/tenants/{}/sources/cam/path-ingests".format(edge_tenant.id),
                    json={"path": "/nonexistent.mp4", "start_time": value}, headers=ADMIN)
    assert r.status_code == 422, r.text
    for field in ("start", "end"):
        r = client.get("/v1/memories", params={field: value}, headers=h)
        assert r.status_code == 422, (field, r.text)
    files = {"file": ("x.mp4", io.BytesIO(b"\x00" * 2048), "video/mp4")}
    r = client.post("/v1/sources/cam/uploads", files=files, data={"start_time": value}, headers=h)
    assert r.status_code == 422 and "start_time" in r.json()["message"], r.text
    if value.endswith(("Z", "00")) and ("+" in value[10:] or "-" in value[10:] or value.endswith("Z")):
        files = {"file": ("x.mp4", io.BytesIO(b"\x00" * 2048), "video/mp4")}
        r = client.post("/v1/sources/cam/chunks", files=files, data={"sequence": "1", "capture_start": value}, headers=h)
        assert r.status_code == 422 and "capture_start" in r.json()["message"], r.text


@pytest.mark.parametrize("now", IN_RANGE_EDGES)
def test_in_range_edges_with_relative_questions_never_5xx(client, edge_tenant, now):
    for text in RELATIVE:
        r = client.post("/v1/query", json={"text": text, "now": now}, headers=edge_tenant.headers)
        assert r.status_code == 200, (text, now, r.text)
    r = client.get("/v1/memories", params={"start": IN_RANGE_EDGES[0], "end": IN_RANGE_EDGES[1]}, headers=edge_tenant.headers)
    assert r.status_code == 200, r.text


def test_question_text_leaving_the_calendar_is_4xx(client, edge_tenant):
    """A time expression in the question itself ('the last 99999999 days') is an input error."""
    for text in ("what happened in the last 99999999 days?", "what happened on 31 December 9999?"):
        r = client.post("/v1/query", json={"text": text}, headers=edge_tenant.headers)
        assert r.status_code == 422 and r.json()["code"] == "time_out_of_range", r.text
        r = client.post("/v1/query/stream", json={"text": text}, headers=edge_tenant.headers)
        assert r.status_code == 200 and "time_out_of_range" in r.text, r.text


def test_time_overflow_in_arithmetic_is_422_not_500(runtime, monkeypatch):
    """Any OverflowError left by time arithmetic on a client's value is a 422, never a 500."""
    from memory_core.timeutil import add_seconds
    from datetime import datetime, timezone

    with _app_client(runtime) as client:
        tenant = create_tenant(client)
        agent = client.app.state.ctx.rt.agent

        def overflowing(question, tenant_id):
            add_seconds(datetime(9999, 12, 31, tzinfo=timezone.utc), 86400)

        monkeypatch.setattr(agent, "ask", overflowing)
        r = client.post("/v1/query", json={"text": "when?"}, headers=tenant.headers)
    assert r.status_code == 422 and r.json()["code"] == "time_out_of_range", r.text


# ------------------------------------------------------------------------------- list caps


def test_ten_thousand_sources_422_fast(client, edge_tenant):
    sources = [f"cam-{i}" for i in range(10_000)]
    for path, body in (("/v1/query", {"text": "who was there?", "sources": sources}),
                       ("/v1/query/stream", {"text": "who was there?", "sources": sources}),
                       ("/v1/search", {"text": "door", "sources": sources})):
        t0 = time.perf_counter()
        r = client.post(path, json=body, headers=edge_tenant.headers)
        elapsed = time.perf_counter() - t0
        assert r.status_code == 422, r.text
        assert elapsed < 0.5, f"{path}: {elapsed:.2f} s"
    r = client.post("/v1/query", json={"text": "who?", "sources": ["x" * 256]}, headers=edge_tenant.headers)
    assert r.status_code == 422
    r = client.post("/v1/entities/e1/merge", json={"other_ids": ["x" * 256]}, headers=edge_tenant.headers)
    assert r.status_code == 422


# ------------------------------------------------------------------------------ body limits


def _drive(client: TestClient, method: str, path: str, headers: dict[str, str], total: int, *,
           announce: bool, chunk: int = 64 * 1024, content_type: str = "application/json",
           head: bytes = b'{"retention_seconds": 3600, "pad": "', tail: bytes = b'"}') -> tuple[int, int]:
    """Send a ``total``-byte body (``head``, filler, ``tail``) to the app over ASGI in
    ``chunk``-byte messages, ``announce`` with Content-Length (else chunked); returns (status,
    body bytes the app pulled)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", content_type.encode()))
    raw.append((b"content-length", str(total).encode()) if announce else (b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    state = {"read": 0, "status": None}

    def piece(offset: int, n: int) -> bytes:  # bytes [offset, offset + n) of head + filler + tail
        end, fill_end = offset + n, total - len(tail)
        out = head[offset:end]
        lo, hi = max(offset, len(head)), min(end, fill_end)
        out += b"a" * max(0, hi - lo)
        if end > fill_end:
            out += tail[max(0, offset - fill_end) : end - fill_end]
        return out

    async def receive():
        if state["read"] >= total:
            await anyio.sleep(3600)
        n = min(chunk, total - state["read"])
        data = piece(state["read"], n)
        state["read"] += n
        return {"type": "http.request", "body": data, "more_body": state["read"] < total}

    async def send(message):
        if message["type"] == "http.response.start":
            state["status"] = message["status"]

    async def run():
        with anyio.move_on_after(30):
            await client.app(scope, receive, send)

    client.portal.call(run)
    return state["status"], state["read"]


@pytest.fixture(scope="module")
def uploads_source(client, edge_tenant) -> TenantKey:
    r = client.post("/v1/sources", json={"name": "uploads"}, headers=edge_tenant.headers)
    assert r.status_code == 201, r.text
    return edge_tenant


@pytest.mark.parametrize("path", ["/v1/sources/uploads", "/v1/entities/uploads"])
@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "chunked"])
def test_body_limit_is_by_route_not_path_text(client, uploads_source, path, announce):
    limit = client.app.state.ctx.settings.api.max_body_bytes
    big = 64 * 1024 * 1024 if path.startswith("/v1/entities") else 2 * 1024 * 1024
    # without a key: refused before one byte of the body is read
    status, read = _drive(client, "PATCH", path, {}, big, announce=announce)
    assert (status, read) == (401, 0)
    status, read = _drive(client, "PATCH", path, {"X-API-Key": "vmk_not-a-real-key-000000"}, big, announce=announce)
    assert (status, read) == (401, 0)
    # with the tenant's key: the JSON limit applies
    status, read = _drive(client, "PATCH", path, uploads_source.headers, big, announce=announce)
    assert status == 413
    assert read == 0 if announce else read <= limit + 64 * 1024
    # the admin key on a tenant route: refused unread too
    status, read = _drive(client, "PATCH", path, ADMIN, big, announce=announce)
    assert (status, read) == (403, 0)


def test_upload_route_reads_past_the_json_limit(client, uploads_source):
    """The marked upload route (of the source named ``uploads``) streams its own body: more than
    the JSON limit is read (junk media answers 422), while a stranger's upload is read not at all."""
    limit = client.app.state.ctx.settings.api.max_body_bytes
    size = limit + 512 * 1024
    multipart = dict(content_type="multipart/form-data; boundary=xyz", tail=b"\r\n--xyz--\r\n",
                     head=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n'
                          b"Content-Type: video/mp4\r\n\r\n")
    status, read = _drive(client, "POST", "/v1/sources/uploads/uploads", {}, size, announce=True, **multipart)
    assert (status, read) == (401, 0)
    status, read = _drive(client, "POST", "/v1/sources/uploads/uploads", uploads_source.headers, size, announce=True,
                          **multipart)
    assert status == 422 and read == size


def test_stalled_body_408(runtime):
    """A body that stops arriving answers 408 after ``api.body_idle_timeout_s``."""
    settings = runtime.settings.model_copy(update={"api": api_settings(body_idle_timeout_s=0.5)})
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as client:
        tenant = create_tenant(client)
        raw = [(b"authorization", f"Bearer {tenant.key}".encode()), (b"content-type", b"application/json"),
               (b"content-length", b"100")]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": "/v1/search", "raw_path": b"/v1/search", "query_string": b"", "root_path": "",
                 "headers": raw, "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
        got = {}
        sent = [False]

        async def receive():
            if not sent[0]:
                sent[0] = True
                return {"type": "http.request", "body": b'{"text":', "more_body": True}
            await anyio.sleep(3600)

        async def send(message):
            if message["type"] == "http.response.start":
                got["status"] = message["status"]

        async def run():
            t0 = time.perf_counter()
            with anyio.move_on_after(10):
                await client.app(scope, receive, send)
            got["s"] = time.perf_counter() - t0

        client.portal.call(run)
    assert got["status"] == 408 and got["s"] < 5


# ------------------------------------------------------------------------ no server paths


def test_responses_hold_no_server_path(client, two_tenants):
    a = two_tenants.a
    home = str(client.app.state.ctx.settings.home)
    job = client.get(f"/v1/jobs/{two_tenants.a_job['id']}", headers=a.headers).json()
    answer = client.post("/v1/query", json={"text": "what happened?", "now": "2026-11-17T00:00:00Z"}, headers=a.headers)
    mems = client.get("/v1/memories", params={"limit": 20, "level": "clip"}, headers=a.headers).json()
    ents = client.get("/v1/entities", headers=a.headers).json()["items"]
    detail = [client.get(f"/v1/entities/{e['id']}", headers=a.headers).text for e in ents[:3]]
    for text in (str(job), answer.text, str(mems), *detail):
        assert home not in text and "media_path" not in text and "keyframe_paths" not in text, text[:500]
    assert answer.status_code == 200
    for item in mems["items"]:
        if item.get("media_id"):
            assert item["media_url"] == f"/v1/media/{item['media_id']}"
