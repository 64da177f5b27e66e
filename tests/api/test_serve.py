"""``vidmem serve`` as deployed: a subprocess on loopback with JSON logs. It answers /healthz at
once, /readyz once the models are loaded, serves a tenant, logs one JSON line per request with its
request id, never logs a key or a credential, cuts off slow clients (a request head trickled in
byte by byte, a stalled body) within the configured timeouts, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "serve-admin-key-" + "z" * 24
HEAD_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 2.0


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("serve-home")
    port = _port()
    env = dict(os.environ, VIDMEM_HOME=str(home), VIDMEM_ADMIN_KEY=ADMIN, VIDMEM_LOG_JSON="true",
               VIDMEM_MODELS__OCR="none", VIDMEM_MODELS__FACES="none", VIDMEM_MODELS__VOICES="none",
               VIDMEM_API__HEADER_TIMEOUT_S=str(HEAD_TIMEOUT_S), VIDMEM_API__BODY_IDLE_TIMEOUT_S=str(BODY_TIMEOUT_S))
    log_path = home / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, proc, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _closed_after(sock: socket.socket, limit_s: float) -> tuple[float, bytes]:
    """Read until the server closes the connection (or ``limit_s`` passes); (seconds, bytes)."""
    t0, data = time.monotonic(), b""
    sock.settimeout(0.2)
    while time.monotonic() - t0 < limit_s:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return time.monotonic() - t0, data


def test_slow_loris_head_is_cut_off(server):
    """A client that sends its request head one byte every 0.3 s is disconnected within the head
    timeout (a total: the trickle does not extend it)."""
    base, _proc, _log = server
    port = int(base.rsplit(":", 1)[1])
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", port)) as sock:
        t0 = time.monotonic()
        sent_until_closed = 0
        for byte in head:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent_until_closed += 1
            if time.monotonic() - t0 > HEAD_TIMEOUT_S + 5:
                break
            sock.settimeout(0.3)
            try:
                if sock.recv(1) == b"":
                    break
            except TimeoutError:
                pass
            except ConnectionResetError:
                break
        elapsed = time.monotonic() - t0
    assert sent_until_closed < len(head), "the server kept reading a head trickled for too long"
    assert elapsed < HEAD_TIMEOUT_S + 2.0, f"cut off after {elapsed:.1f} s"


def test_stalled_body_is_cut_off(server):
    """A request whose body stops arriving answers 408 and the connection closes within the
    body timeout."""
    base, _proc, _log = server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /v1/admin/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + ADMIN.encode() + b"\r\nContent-Length: 200\r\n\r\n{\"id\": ")
        elapsed, data = _closed_after(sock, BODY_TIMEOUT_S + 10)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert elapsed < BODY_TIMEOUT_S + 3.0, f"answered after {elapsed:.1f} s"


def test_serve_readiness_requests_and_redacted_json_logs(server):
    base, proc, log_path = server
    with httpx.Client(base_url=base, timeout=30) as c:
        deadline = time.monotonic() + 300
        while c.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "not ready in time"
            time.sleep(0.5)
        admin = {"Authorization": f"Bearer {ADMIN}"}
        assert c.post("/v1/admin/tenants", json={"id": "acme", "name": "Acme"}, headers=admin).status_code == 201
        key = c.post("/v1/admin/tenants/acme/keys", json={"name": "ops"}, headers=admin).json()["key"]
        tenant = {"X-API-Key": key}
        assert c.post("/v1/sources", json={"name": "cam1"}, headers=tenant).status_code == 201
        r = c.post("/v1/sources/cam1/url-ingests", json={"url": "http://admin:hunter2@10.0.0.9/live?token=s3cret"},
                   headers=tenant)
        assert r.status_code == 403
        assert c.post("/v1/query", json={"text": "who came in?"}, headers=tenant).status_code == 200
        assert c.get("/v1/sources", headers={"Authorization": "Bearer vmk_wrong-" + key[-20:]}).status_code == 401
        assert "vidmem_http_request_duration_seconds" in c.get("/metrics").text
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a graceful stop
    text = log_path.read_text()
    for secret in (key, ADMIN, "hunter2", "s3cret", key[-20:]):
        assert secret not in text
    lines = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
    requests = [x for x in lines if x.get("event") == "request"]
    assert requests and all(x.get("request_id") and x.get("route") and x.get("status") for x in requests)
    assert {x["route"] for x in requests} >= {"/v1/sources", "/v1/query", "/v1/admin/tenants"}
    assert any(x.get("event") == "service started" for x in lines)
    assert any(x.get("event") == "service stopped" for x in lines)  # the lifespan shut down cleanly
    # uvicorn's own records (stdlib logging) are JSON lines too, with level, logger and time
    uvicorn_lines = [x for x in lines if str(x.get("logger", "")).startswith("uvicorn")]
    assert any("Application startup complete" in x["event"] for x in uvicorn_lines), text[-3000:]
    assert all(x.get("level") and x.get("timestamp") for x in uvicorn_lines)
    assert not [ln for ln in text.splitlines() if "Uvicorn running on" in ln and not ln.startswith("{")]
