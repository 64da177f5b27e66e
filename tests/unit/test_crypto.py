"""Secrets at rest (memory_core.crypto) and the sealed stream URL of a registered stream: round
trip, a wrong key fails clearly, production refuses to store a URL without VIDMEM_SECRET_KEY, the
generated development key file, and rows of older versions holding the URL in plain text."""

from __future__ import annotations

import json
import stat
from types import SimpleNamespace

import pytest

from ingest_workers.stream_manager import (
    register_stream,
    registered_streams,
    stream_info,
    stream_url,
    update_stream_settings,
)
from memory_core.crypto import KEY_FILE, SecretKeyMissing, SecretUnreadable, seal, unseal
from memory_core.settings import Settings
from memory_core.stores.relational import SqlRepository

URL = "rtsp://admin:hunter2-Pa55@10.0.0.5:554/stream1?pwd=second-secret"


def _settings(tmp_path, **kw) -> Settings:
    return Settings(home=tmp_path, environment=kw.pop("environment", "test"), **kw)


@pytest.fixture()
def fake_rt(tmp_path):
    """What the stream registry needs of a runtime: settings and a repository (no models)."""
    settings = _settings(tmp_path)
    repo = SqlRepository(settings.db_url)
    yield SimpleNamespace(settings=settings, repo=repo)
    repo.close()


def test_round_trip_with_a_configured_key(tmp_path):
    s = _settings(tmp_path, secret_key="k" * 32)
    token = seal(s, URL)
    assert "hunter2" not in token and token != seal(s, URL)  # random IV: two seals differ
    assert unseal(s, token) == URL
    assert not (tmp_path / KEY_FILE).exists()  # a configured key writes no file


def test_a_wrong_key_fails_clearly_without_the_secret(tmp_path):
    token = seal(_settings(tmp_path, secret_key="right-key-" + "x" * 20), URL)
    with pytest.raises(SecretUnreadable) as err:
        unseal(_settings(tmp_path, secret_key="wrong-key-" + "y" * 20), token)
    text = f"{err.value} {err.value!r}"
    assert "VIDMEM_SECRET_KEY" in text and "hunter2" not in text and "right-key" not in text
    with pytest.raises(SecretUnreadable):
        unseal(_settings(tmp_path, secret_key="right-key-" + "x" * 20), token[:-4] + "AAAA")  # tampered


def test_development_key_is_generated_once_with_mode_0600(tmp_path):
    s = _settings(tmp_path, environment="development")
    token = seal(s, URL)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text()
    assert seal(s, "x") and path.read_text() == key  # reused, not regenerated
    assert unseal(_settings(tmp_path, environment="development"), token) == URL
    # moving to a configured key keeps what the file sealed readable
    assert unseal(_settings(tmp_path, secret_key="z" * 32), token) == URL


def test_production_refuses_without_a_key(tmp_path, fake_rt):
    prod = _settings(tmp_path, environment="production")
    with pytest.raises(SecretKeyMissing, match="VIDMEM_SECRET_KEY"):
        seal(prod, URL)
    with pytest.raises(SecretKeyMissing, match="at least 24"):
        seal(_settings(tmp_path, environment="production", secret_key="short"), URL)
    assert not (tmp_path / KEY_FILE).exists()
    rt = SimpleNamespace(settings=prod, repo=fake_rt.repo)
    with pytest.raises(SecretKeyMissing):
        register_stream(rt, "t1", "cam", URL)
    assert registered_streams(rt) == []  # nothing stored
    rt.settings = _settings(tmp_path, environment="production", secret_key="p" * 32)
    assert register_stream(rt, "t1", "cam", URL)["url"] == "rtsp://***@10.0.0.5:554/stream1?pwd=***"
    assert stream_url(rt, "t1", "cam") == URL


def test_register_stores_only_the_ciphertext(fake_rt):
    info = register_stream(fake_rt, "t1", "front", URL)
    assert info == {"source": "front", "url": "rtsp://***@10.0.0.5:554/stream1?pwd=***", "kind": "rtsp", "enabled": True}
    stored = fake_rt.repo.get_source("t1", "front")["settings"]["stream"]
    assert "url" not in stored and stored["url_encrypted"] and stored["display_url"] == info["url"]
    dumped = json.dumps(fake_rt.repo.get_source("t1", "front"), default=str)
    assert "hunter2" not in dumped and "second-secret" not in dumped
    assert stream_url(fake_rt, "t1", "front") == URL
    public = stream_info(fake_rt, "t1", "front")
    assert "url_encrypted" not in public and public["url"] == info["url"]


def test_legacy_plaintext_row_is_read_and_sealed_on_the_next_write(fake_rt):
    repo = fake_rt.repo
    repo.ensure_tenant("t1")
    repo.ensure_source("t1", "old-cam", kind="stream", settings={
        "other": 1, "stream": {"url": URL, "display_url": "rtsp://***@10.0.0.5:554/stream1?pwd=***", "kind": "rtsp",
                               "enabled": True}})
    assert stream_url(fake_rt, "t1", "old-cam") == URL  # read fallback
    assert [s for _, s, _ in registered_streams(fake_rt)] == ["old-cam"]
    assert "hunter2" not in json.dumps(stream_info(fake_rt, "t1", "old-cam"))
    update_stream_settings(fake_rt, "t1", "old-cam", {"state": "streaming"})  # any write, e.g. a worker's status
    row = repo.get_source("t1", "old-cam")["settings"]
    assert row["other"] == 1 and row["stream"]["state"] == "streaming"
    assert "url" not in row["stream"] and "hunter2" not in json.dumps(row)
    assert stream_url(fake_rt, "t1", "old-cam") == URL


def test_legacy_row_stays_readable_in_production_without_a_key(tmp_path, fake_rt):
    fake_rt.repo.ensure_source("t1", "old-cam", kind="stream", settings={"stream": {"url": URL, "enabled": True}})
    rt = SimpleNamespace(settings=_settings(tmp_path, environment="production"), repo=fake_rt.repo)
    update_stream_settings(rt, "t1", "old-cam", {"state": "backoff"})  # cannot seal: kept, warned
    assert stream_url(rt, "t1", "old-cam") == URL
    assert stream_info(rt, "t1", "old-cam")["url"] == "rtsp://***@10.0.0.5:554/stream1?pwd=***"
