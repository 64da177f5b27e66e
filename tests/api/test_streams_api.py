"""Live streams over REST: registering a URL with credentials never echoes them (responses, errors,
metrics, logs) and stores them encrypted; bad schemes answer 422, private hosts 403 unless the
network policy admits them; other tenants get 404; start, stop and delete; with
``stream.run_in_api`` off the service only flips ``enabled``; and a real MPEG-TS/UDP publisher
ingested through the API answers a question about what was said seconds earlier."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api_support import ADMIN_KEY, TenantKey, api_settings, create_tenant
from memory_core import forget
from memory_core.runtime import Runtime
from memory_core.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "streams"))
from stream_support import (  # noqa: E402
    SEEK_S,
    Publisher,
    WriteSpy,
    free_port,
    have_ffmpeg,
    log_events,  # noqa: F401 - fixture
    udp_output,
    wait_for,
)

SECRETS = ("hunter2-pw", "topsecret9", "pw-9x")
CRED_URL = "rtsp://admin:hunter2-pw@127.0.0.2:1/cam?pwd=topsecret9"  # 127.0.0.2 is admitted by the test policy
SHOWN = "rtsp://***@127.0.0.2:1/cam?pwd=***"
BOB = (16.6, 23.19)  # sample.mp4 seconds of "I am Bob Stone. The red truck arrived at delivery bay three..."


def _no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked: {text[:300]}"


def _source(client: TestClient, t: TenantKey, name: str, kind: str = "camera") -> None:
    r = client.post("/v1/sources", json={"name": name, "kind": kind}, headers=t.headers)
    assert r.status_code == 201, r.text


def _get(client: TestClient, t: TenantKey, source: str) -> dict:
    r = client.get(f"/v1/sources/{source}/stream", headers=t.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_register_start_stop_delete_never_echo_credentials(client, runtime, tenant, log_events, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    h, texts = tenant.headers, []
    _source(client, tenant, "door")
    r = client.post("/v1/sources/door/stream", json={"url": CRED_URL, "enabled": False}, headers=h)
    texts.append(r.text)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["url"] == SHOWN and body["kind"] == "rtsp" and body["enabled"] is False and body["state"] is None
    # at rest: ciphertext and the redacted URL only
    stored = runtime.repo.get_source(tenant.id, "door")["settings"]["stream"]
    assert "url" not in stored and stored["url_encrypted"] and stored["display_url"] == SHOWN
    _no_secret(json.dumps(stored))

    r = client.post("/v1/sources/door/stream/start", headers=h)  # port 1 refuses: the worker backs off
    texts.append(r.text)
    assert r.status_code == 200 and r.json()["enabled"] is True, r.text
    ctx = client.app.state.ctx
    assert ctx.extras["streams"].running(tenant.id, "door")
    view = wait_for(lambda: (v := _get(client, tenant, "door"))["errors"] and v["state"] in ("backoff", "connecting") and v,
                    20, step=0.2, what="a refused connection reported")
    texts.append(json.dumps(view))
    assert view["url"] == SHOWN and view["connections"] == 0
    r = client.get("/v1/streams", headers=h)
    texts.append(r.text)
    assert r.status_code == 200 and [s["source"] for s in r.json()["items"]] == ["door"]
    assert r.json()["items"][0]["url"] == SHOWN

    r = client.post("/v1/sources/door/stream/stop", headers=h)
    texts.append(r.text)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "stopped" and r.json()["enabled"] is False
    assert not ctx.extras["streams"].running(tenant.id, "door")

    r = client.post("/v1/sources/door/stream", json={"url": CRED_URL, "enabled": False}, headers=h)  # replace: 200
    texts.append(r.text)
    assert r.status_code == 200 and r.json()["url"] == SHOWN, r.text
    texts += [client.get("/v1/sources/door", headers=h).text, client.get("/v1/sources", headers=h).text,
              client.get("/metrics").text, client.get("/openapi.json").text]

    r = client.delete("/v1/sources/door/stream", headers=h)
    assert r.status_code == 204 and r.content == b""
    assert client.get("/v1/sources/door/stream", headers=h).status_code == 404
    assert client.get("/v1/sources/door", headers=h).status_code == 200  # the source stays
    assert client.get("/v1/streams", headers=h).json()["items"] == []
    assert "stream" not in runtime.repo.get_source(tenant.id, "door")["settings"]

    out, err = capfd.readouterr()
    _no_secret(*texts, out, err, caplog.text, json.dumps(log_events, default=str))
    assert any(e.get("event") == "stream registered" for e in log_events)  # the capture saw vidmem's events


@pytest.mark.parametrize("url", [
    "ftp://camera.example/live", "file:///etc/passwd", "/var/lib/vidmem/x.mp4", "gopher://camera.example/",
    "rtsp://", "not a url", "rtsp://cam era.example/x", "rtsp://u:p@127.0.0.2/a@b", "http://no-such-host.invalid/l.m3u8",
])
def test_bad_stream_urls_answer_422(client, tenant, url):
    _source(client, tenant, "bad-cam")
    r = client.post("/v1/sources/bad-cam/stream", json={"url": url}, headers=tenant.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] in ("url_invalid", "url_unresolvable")
    assert client.get("/v1/sources/bad-cam/stream", headers=tenant.headers).status_code == 404


@pytest.mark.parametrize("url", [
    "rtsp://u:pw-9x@10.0.0.5/cam", "rtsp://127.0.0.1:554/x", "rtsp://localhost/cam", "udp://192.168.1.20:5000",
    "http://169.254.169.254/latest/live.m3u8", "rtmp://[::1]/live", "srt://100.64.0.1:9000", "rtp://224.0.0.1:5004",
])
def test_private_hosts_are_refused_by_default(client, tenant, url):
    _source(client, tenant, "lan-cam")
    r = client.post("/v1/sources/lan-cam/stream", json={"url": url}, headers=tenant.headers)
    assert r.status_code == 403 and r.json()["code"] == "url_refused", r.text
    _no_secret(r.text)
    assert client.get("/v1/sources/lan-cam/stream", headers=tenant.headers).status_code == 404


def test_other_tenants_and_missing_streams_answer_404(client, tenant):
    a, b = tenant, create_tenant(client, "other")
    _source(client, a, "cam-x")
    _source(client, a, "plain")
    r = client.post("/v1/sources/cam-x/stream", json={"url": CRED_URL, "enabled": False}, headers=a.headers)
    assert r.status_code == 201, r.text
    calls = [("post", "/v1/sources/cam-x/stream", {"json": {"url": CRED_URL}}), ("get", "/v1/sources/cam-x/stream", {}),
             ("post", "/v1/sources/cam-x/stream/start", {}), ("post", "/v1/sources/cam-x/stream/stop", {}),
             ("delete", "/v1/sources/cam-x/stream", {})]
    for method, path, kw in calls:
        r = getattr(client, method)(path, headers=b.headers, **kw)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (path, r.text)
        r = getattr(client, method)(path.replace("cam-x", "nowhere"), headers=a.headers, **kw)
        assert r.status_code == 404, (path, r.text)
    for method, path, kw in calls[1:]:  # a source of A's without a stream
        r = getattr(client, method)(path.replace("cam-x", "plain"), headers=a.headers, **kw)
        assert r.status_code == 404 and r.json()["message"] == "stream not found", (path, r.text)
    assert client.get("/v1/streams", headers=b.headers).json()["items"] == []
    assert _get(client, a, "cam-x")["enabled"] is False  # untouched by B's calls


def test_production_without_a_secret_key_refuses_to_register(tmp_path):
    from services.api import create_app

    settings = Settings(home=tmp_path, environment="production", admin_key=ADMIN_KEY, api=api_settings())
    rt = Runtime.open(settings)
    try:
        with TestClient(create_app(settings, runtime=rt), raise_server_exceptions=False) as c:
            t = create_tenant(c, "prod")
            _source(c, t, "prod-cam")
            r = c.post("/v1/sources/prod-cam/stream", json={"url": CRED_URL}, headers=t.headers)
            assert r.status_code == 503 and r.json()["code"] == "secret_key_missing", r.text
            assert "VIDMEM_SECRET_KEY" in r.json()["message"]
            _no_secret(r.text)
            assert c.get("/v1/sources/prod-cam/stream", headers=t.headers).status_code == 404
            assert not (tmp_path / "secret.key").exists()
    finally:
        rt.close()


def test_without_run_in_api_start_and_stop_only_flip_enabled(runtime, tenant):
    from services.api import create_app

    settings = runtime.settings.model_copy(update={"api": api_settings()})
    settings = settings.model_copy(update={"stream": settings.stream.model_copy(update={"run_in_api": False})})
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        assert "streams" not in c.app.state.ctx.extras
        _source(c, tenant, "remote-cam")
        r = c.post("/v1/sources/remote-cam/stream", json={"url": CRED_URL}, headers=tenant.headers)
        assert r.status_code == 201 and r.json()["enabled"] is True and r.json()["state"] is None, r.text
        r = c.post("/v1/sources/remote-cam/stream/stop", headers=tenant.headers)
        assert r.status_code == 200 and r.json()["enabled"] is False
        r = c.post("/v1/sources/remote-cam/stream/start", headers=tenant.headers)
        assert r.status_code == 200 and r.json()["enabled"] is True
        assert c.delete("/v1/sources/remote-cam/stream", headers=tenant.headers).status_code == 204


# --------------------------------------------------------------------------- a real live stream
@pytest.fixture(scope="module")
def live_runtime(tmp_path_factory) -> Iterator[Runtime]:
    """A runtime of its own like the stream tests' (faces, voices, OCR off: two CPU cores keep up
    with real time), ASR and text embedder loaded before any publisher starts its clock."""
    settings = Settings(home=tmp_path_factory.mktemp("vidmem-live-api"), environment="test", admin_key=ADMIN_KEY,
                        models={"faces": "none", "voices": "none", "ocr": "none"},
                        stream={"stall_timeout_s": 5, "open_timeout_s": 8, "backoff_min_s": 0.5, "backoff_max_s": 3},
                        api=api_settings(url_allow_networks=["127.0.0.0/8"]))
    rt = Runtime.open(settings)
    rt.ensure_collection()
    rt.providers.asr()
    _ = rt.agent
    yield rt
    rt.close()


@pytest.mark.slow
def test_live_udp_stream_through_the_api_answers_about_recent_speech(live_runtime, tmp_path):
    if not have_ffmpeg():
        pytest.skip("ffmpeg is not on PATH: it publishes the live test stream")
    from services.api import create_app

    with TestClient(create_app(live_runtime.settings, runtime=live_runtime), raise_server_exceptions=False) as c:
        t = create_tenant(c, "live")
        _source(c, t, "live-cam", kind="stream")
        port = free_port(socket.SOCK_DGRAM)
        pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log")
        try:
            r = c.post("/v1/sources/live-cam/stream", json={"url": f"udp://127.0.0.1:{port}"}, headers=t.headers)
            assert r.status_code == 201 and r.json()["kind"] == "udp", r.text
            pub.start()
            bob_start, bob_end = pub.started_at + BOB[0] - SEEK_S, pub.started_at + BOB[1] - SEEK_S

            def truck():
                r = c.post("/v1/query", json={"text": "What did Bob say about the red truck?", "sources": ["live-cam"]},
                           headers=t.headers)
                assert r.status_code == 200, r.text
                hits = [e for e in r.json()["evidence"][:3] if "truck" in e["text"].lower()]
                return hits and (hits[0], r.json())

            hit, answer = wait_for(truck, 55, step=1.0, what=f"evidence about the truck ({_get(c, t, 'live-cam')})")
            asked_at = time.time()
            assert pub.running(), "the question is asked while the publisher still runs"
            start, end = (datetime.fromisoformat(hit[k]).timestamp() for k in ("start", "end"))
            print(f"answer {asked_at - bob_end:.1f} s after Bob's line ended: evidence {start - pub.started_at:.1f}.."
                  f"{end - pub.started_at:.1f} s after publishing began: {hit['text'][:90]}")
            assert start < bob_end + 6 and end > bob_start - 6, "evidence not at the wall-clock time of the speech"
            assert "truck" in answer["answer"].lower()
            view = _get(c, t, "live-cam")
            assert view["state"] == "streaming" and view["clips_written"] >= 2 and view["lag_s"]["n"] >= 2
            assert view["last_frame_at"] is not None and view["lag_s"]["p50"] < 30
            r = c.post("/v1/sources/live-cam/stream/stop", headers=t.headers)
            assert r.status_code == 200 and r.json()["state"] == "stopped" and r.json()["sessions"] >= 1
        finally:
            pub.stop()
            c.delete("/v1/sources/live-cam/stream", headers=t.headers)


@pytest.mark.slow
def test_deleting_a_streaming_source_stops_its_worker_before_forgetting_it(live_runtime, tmp_path, monkeypatch):
    """DELETE /v1/sources/{source} while the serving process pulls its stream: the worker is
    stopped first, and nothing of the source is written after the deletion answered."""
    if not have_ffmpeg():
        pytest.skip("ffmpeg is not on PATH: it publishes the live test stream")
    from services.api import create_app

    source = "doomed-cam"
    spy = WriteSpy(live_runtime, monkeypatch, source)
    with TestClient(create_app(live_runtime.settings, runtime=live_runtime), raise_server_exceptions=False) as c:
        t = create_tenant(c, "deleter")
        _source(c, t, source, kind="stream")
        port = free_port(socket.SOCK_DGRAM)
        pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log")
        try:
            r = c.post(f"/v1/sources/{source}/stream", json={"url": f"udp://127.0.0.1:{port}"}, headers=t.headers)
            assert r.status_code == 201, r.text
            pub.start()
            wait_for(lambda: _get(c, t, source)["clips_written"] >= 1, 60, what="a first clip")
            r = c.delete(f"/v1/sources/{source}", headers=t.headers)
            spy.deleted_at = time.monotonic()
            assert r.status_code == 200, r.text
            assert r.json()["rows_deleted"] >= 2 and not any(r.json()["remaining"].values()), r.json()
            assert not [th for th in threading.enumerate() if th.name == spy.thread], "the worker outlived the deletion"
            time.sleep(2)
            assert spy.late == []
            assert not any(forget.source_leftovers(live_runtime, t.id, source).values())
            assert c.get(f"/v1/sources/{source}/stream", headers=t.headers).status_code == 404
        finally:
            pub.stop()
