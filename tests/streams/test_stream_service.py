"""The process-wide stream service (``vidmem stream-worker``): it starts a worker for every enabled
registered stream, follows enable/disable, replacement and removal by polling the database, never
re-enables what was disabled, and stops cleanly (streams left enabled) on request or on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from stream_support import TENANT, wait_for

from ingest_workers.stream_manager import register_stream, stream_info, unregister_stream, update_stream_settings
from ingest_workers.stream_service import StreamService
from memory_core.settings import Settings
from memory_core.stores.relational import SqlRepository

ROOT = Path(__file__).resolve().parents[2]
SECRET = "svc-s3cret-pw"


def test_service_follows_the_registrations(rt):
    a_url = f"rtsp://admin:{SECRET}@127.0.0.1:1/a"  # port 1: refused at once, the worker backs off
    register_stream(rt, TENANT, "svc-a", a_url)
    register_stream(rt, TENANT, "svc-b", "rtsp://127.0.0.1:1/b", enabled=False)
    checked: list[str] = []
    service = StreamService(rt, poll_s=0.2, stop_timeout_s=20, url_check=checked.append)
    runner = threading.Thread(target=service.run, daemon=True)
    runner.start()
    m = service.manager
    try:
        wait_for(lambda: m.running(TENANT, "svc-a"), 10, step=0.1, what="svc-a started")
        assert a_url in checked  # the URL policy sees the unsealed URL before the worker starts
        assert not m.running(TENANT, "svc-b")
        update_stream_settings(rt, TENANT, "svc-b", {"enabled": True})  # enabled elsewhere (the REST service)
        wait_for(lambda: m.running(TENANT, "svc-b"), 10, step=0.1, what="svc-b started")
        update_stream_settings(rt, TENANT, "svc-a", {"enabled": False})  # disabled elsewhere
        wait_for(lambda: m.get(TENANT, "svc-a") is None, 30, step=0.1, what="svc-a stopped")
        time.sleep(0.6)  # a few more polls: the service never re-enables it
        assert stream_info(rt, TENANT, "svc-a")["enabled"] is False and m.get(TENANT, "svc-a") is None
        old = m.get(TENANT, "svc-b")
        register_stream(rt, TENANT, "svc-b", "rtsp://127.0.0.1:2/b2")  # replaced: restarted on the new URL
        wait_for(lambda: (w := m.get(TENANT, "svc-b")) is not None and w is not old and m.running(TENANT, "svc-b"), 30,
                 step=0.1, what="svc-b restarted")
        assert m.get(TENANT, "svc-b").display_url == "rtsp://127.0.0.1:2/b2"
        unregister_stream(rt, TENANT, "svc-b")
        wait_for(lambda: m.get(TENANT, "svc-b") is None, 30, step=0.1, what="svc-b stopped")
        update_stream_settings(rt, TENANT, "svc-a", {"enabled": True})
        wait_for(lambda: m.running(TENANT, "svc-a"), 10, step=0.1, what="svc-a started again")
    finally:
        service.stop()
        runner.join(60)
    assert not runner.is_alive() and m.keys() == []
    info = stream_info(rt, TENANT, "svc-a")
    assert info["enabled"] is True and info["state"] == "stopped"  # stopping the service disables nothing
    assert SECRET not in json.dumps(info) and all(SECRET not in e for e in info.get("errors", []))
    unregister_stream(rt, TENANT, "svc-a")


def test_cli_stream_worker_runs_registered_streams_and_stops_on_sigterm(tmp_path):
    home = tmp_path / "home"
    settings = Settings(home=home, environment="development")
    repo = SqlRepository(settings.db_url)
    url = f"rtsp://viewer:{SECRET}@127.0.0.1:1/cam"
    try:
        register_stream(SimpleNamespace(settings=settings, repo=repo), "acme", "gate", url)
    finally:
        repo.close()
    env = {**os.environ, "VIDMEM_HOME": str(home), "VIDMEM_ENVIRONMENT": "development",
           "VIDMEM_API__URL_ALLOW_NETWORKS": '["127.0.0.0/8"]', "VIDMEM_STREAM__BACKOFF_MAX_S": "1",
           "VIDMEM_MODELS__FACES": "none", "VIDMEM_MODELS__VOICES": "none", "VIDMEM_MODELS__OCR": "none"}
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "stream-worker", "--poll", "0.5"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def state():
            r = SqlRepository(settings.db_url)
            try:
                return ((r.get_source("acme", "gate") or {}).get("settings", {}).get("stream") or {}).get("state")
            finally:
                r.close()

        wait_for(lambda: state() in ("connecting", "backoff", "stalled"), 120, what="the worker's state in the database")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stopped"] == [{"source": "gate", "url": "rtsp://***@127.0.0.1:1/cam", "state": "stopped",
                                   "clips_written": 0, "sessions": 0}]
    assert SECRET not in out + err
    assert state() == "stopped"
    r = SqlRepository(settings.db_url)
    try:
        assert r.get_source("acme", "gate")["settings"]["stream"]["enabled"] is True
    finally:
        r.close()
