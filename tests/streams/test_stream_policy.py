"""Stream policy without a network: source kinds and FFmpeg options, backoff, backpressure (live drops
the oldest window, files wait), credential redaction, sentences across clip boundaries, and the
stream manager's bookkeeping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from stream_support import TENANT

from api_schemas import Kind, Level
from ingest_workers.stream_asr import ContextASR
from ingest_workers.stream_manager import StreamManager, register_stream, stream_info, stream_url
from ingest_workers.stream_policy import (
    Backoff,
    StreamPolicy,
    WindowQueue,
    safe_error,
    source_kind,
    url_key,
)
from memory_core.domain import ClipWindow, SpeechSegment, Word
from memory_core.settings import StreamSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url, kind", [
    ("rtsp://admin:pw@10.0.0.5:554/stream1", "rtsp"),
    ("https://cdn.example/live/index.m3u8?token=abc", "hls"),
    ("http://127.0.0.1:8080/cam.ts", "http"),
    ("udp://127.0.0.1:5000", "udp"),
    ("srt://127.0.0.1:9000?mode=caller", "srt"),
    ("/data/cam/2026-11-20.mp4", "file"),
])
def test_source_kinds_and_options(url, kind):
    policy = StreamPolicy.for_url(url, StreamSettings(stall_timeout_s=7))
    assert policy.kind == kind and policy.live == (kind != "file")
    opts = policy.av_options()
    assert policy.timeout == (15.0, 7.0)
    if kind == "rtsp":
        assert opts["rtsp_transport"] == "tcp" and opts["timeout"] == "7000000"
    if kind in ("hls", "http"):
        assert opts["reconnect"] == "1" and opts["rw_timeout"] == "7000000"
    if kind == "udp":
        assert opts["overrun_nonfatal"] == "1" and int(opts["fifo_size"]) > 0


def test_unsupported_scheme_is_refused_without_leaking():
    with pytest.raises(ValueError) as err:
        source_kind("ftp://user:hunter2@host/cam")
    assert "hunter2" not in str(err.value)


def test_redaction_of_errors_and_keys():
    url = "rtsp://admin:hunter2@10.0.0.5/live?token=xyz"
    exc = OSError(f"Server returned 401 Unauthorized: '{url}'")
    text = safe_error(exc, url)
    assert "hunter2" not in text and "xyz" not in text and "rtsp://***@10.0.0.5" in text
    assert url_key(url) == url_key("rtsp://other:creds@10.0.0.5/live?token=zzz")  # the key ignores secrets


def test_backoff_grows_to_its_ceiling_and_resets():
    b = Backoff(1.0, 8.0)
    delays = [b.next() for _ in range(8)]
    assert all(1.0 <= d <= 8.0 for d in delays)
    assert max(delays[4:]) > max(delays[:1]) and delays[-1] >= 4.0
    b.reset()
    assert b.next() <= 1.0 + 1e-9


def _window(i: int) -> ClipWindow:
    return ClipWindow(index=i, media_start_s=10.0 * i, media_end_s=10.0 * (i + 1))


def test_live_queue_drops_oldest_and_keeps_markers():
    q = WindowQueue(3, drop_oldest=True)
    q.put_marker("start")
    dropped = [q.put_window(_window(i)) for i in range(6)]
    assert [d.index for d in dropped if d is not None] == [0, 1, 2] and q.dropped == 3
    q.put_marker("end")
    items = [q.get(0.1) for _ in range(6)]
    assert items[0] == "start" and [w.index for w in items[1:4]] == [3, 4, 5] and items[4] == "end"
    assert items[5] is None and q.windows == 0


def test_file_queue_waits_for_room():
    q = WindowQueue(2, drop_oldest=False)
    q.put_window(_window(0))
    q.put_window(_window(1))
    done = threading.Event()
    t = threading.Thread(target=lambda: (q.put_window(_window(2)), done.set()))
    t.start()
    assert not done.wait(0.5)  # blocked: files wait for perception
    assert q.get(1).index == 0
    assert done.wait(2) and q.dropped == 0
    t.join()


class _CuttingASR:
    """A fake whisper that knows the spoken words and, like whisper, drops a sentence cut off at the
    end of its audio."""

    name, version = "fake", "1"
    SENTENCES: ClassVar = [(2.0, 5.0, "Hello there."), (8.5, 12.5, "The red truck arrived."), (14.0, 16.0, "Goodbye.")]

    def transcribe(self, audio, offset_s=0.0):
        end = offset_s + audio.size / 16000
        out = []
        for a, b, text in self.SENTENCES:
            if a >= offset_s and b <= end:
                words = text.split()
                step = (b - a) / len(words)
                ws = [Word(a + i * step, a + (i + 1) * step, w) for i, w in enumerate(words)]
                out.append(SpeechSegment(start_s=a, end_s=b, text=text, words=ws))
        return out


def test_context_asr_recovers_a_sentence_cut_by_the_clip_boundary_once():
    asr = ContextASR(_CuttingASR(), context_s=8.0)
    first = asr.transcribe(np.zeros(160_000, np.float32), offset_s=0.0)  # 0-10 s: the truck sentence is cut
    second = asr.transcribe(np.zeros(160_000, np.float32), offset_s=10.0)  # 10-20 s, with 2-10 s as context
    assert [s.text for s in first] == ["Hello there."]
    assert [s.text for s in second] == ["The red truck arrived.", "Goodbye."]
    assert second[0].start_s == 8.5  # true times are kept
    gap = asr.transcribe(np.zeros(160_000, np.float32), offset_s=40.0)  # clips dropped: no context
    assert gap == []


def test_register_and_manage_without_leaking(rt):
    url = "rtsp://admin:hunter2@127.0.0.1:1/cam"  # port 1: refused at once
    info = register_stream(rt, TENANT, "front-door", url)
    assert info == {"source": "front-door", "url": "rtsp://***@127.0.0.1:1/cam", "kind": "rtsp", "enabled": True}
    public = stream_info(rt, TENANT, "front-door")
    assert "hunter2" not in json.dumps(public, default=str) and public["url"] == info["url"]
    stored = rt.repo.get_source(TENANT, "front-door")["settings"]["stream"]
    assert "url" not in stored and "hunter2" not in json.dumps(stored)  # sealed at rest
    assert stream_url(rt, TENANT, "front-door") == url  # unsealed to resume
    manager = StreamManager(rt)
    status = manager.start(TENANT, "front-door")
    assert status["url"] == info["url"]
    worker = manager.get(TENANT, "front-door")
    deadline = time.monotonic() + 10
    while worker.state.value != "backoff" and time.monotonic() < deadline:
        time.sleep(0.05)
    listed = manager.list(TENANT)
    assert [s["source"] for s in listed] == ["front-door"] and "hunter2" not in json.dumps(listed, default=str)
    final = manager.stop(TENANT, "front-door", timeout=20)
    assert final["state"] == "stopped" and final["connections"] == 0 and final["errors"]
    assert all("hunter2" not in e for e in final["errors"])
    assert stream_info(rt, TENANT, "front-door")["enabled"] is False


def test_cli_stream_reads_the_url_from_stdin(tmp_path):
    env = {**os.environ, "VIDMEM_HOME": str(tmp_path / "home"), "VIDMEM_MODELS__FACES": "none",
           "VIDMEM_MODELS__VOICES": "none", "VIDMEM_MODELS__OCR": "none", "VIDMEM_STREAM__BACKOFF_MAX_S": "1"}
    url = "rtsp://admin:hunter2@127.0.0.1:1/cam"
    r = subprocess.run([sys.executable, "-m", "services.cli", "stream", "-", "--source", "cli-cam", "--duration", "2"],
                       input=url + "\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=180, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["source"] == "cli-cam" and summary["url"] == "rtsp://***@127.0.0.1:1/cam"
    assert summary["state"] == "stopped"
    assert "hunter2" not in r.stdout + r.stderr


def test_protocol_missing_from_pyav_stops_the_worker_with_a_clear_error(rt, monkeypatch):
    """Without a system ffmpeg to relay it (``stream_relay``), a protocol PyAV lacks is a
    permanent error (tests/streams/test_stream_srt.py has the relayed case)."""
    from ingest_workers import stream_reader
    from ingest_workers.stream import StreamWorker

    monkeypatch.setattr(stream_reader, "relay_protocols", lambda: frozenset())
    worker = StreamWorker(rt, TENANT, "srt-cam", "srt://127.0.0.1:9/live?passphrase=hunter2secret")
    thread = worker.start()
    thread.join(15)
    if thread.is_alive():  # this PyAV's FFmpeg has libsrt: it just keeps trying to connect
        worker.stop(20)
        pytest.skip("PyAV's FFmpeg has the srt protocol here")
    summary = worker.status()
    assert summary["state"] == "stopped" and summary["connections"] == 0
    assert any("'srt' protocol" in e for e in summary["errors"]), summary["errors"]
    assert "hunter2secret" not in json.dumps(summary)


def test_long_session_rotates_into_new_records_without_gaps(rt):
    """After ``rotate_s`` of footage the open memories are closed and the session goes on in a new
    record with the same clock (bounded buffers), and the gap between two sessions is recorded."""
    from datetime import UTC, datetime, timedelta

    from ingest_workers.features import frame_histogram
    from ingest_workers.stream_session import SessionEnd, SessionStart, SessionWriter
    from memory_core.domain import SampledFrame

    rng = np.random.default_rng(0)
    written: list[dict] = []
    writer = SessionWriter(rt, TENANT, "rotating-cam", key="k" * 16, display_url="rtsp://***@cam/1",
                           settings=StreamSettings(rotate_s=60), on_clip=written.append)
    anchor = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

    def window(i: int) -> ClipWindow:
        rgb = rng.integers(0, 255, (36, 64, 3), dtype=np.uint8)
        return ClipWindow(index=i, media_start_s=10.0 * i, media_end_s=10.0 * (i + 1),
                          frames=[SampledFrame(t_s=10.0 * i + 5, rgb=rgb)], frame_features=[frame_histogram(rgb)],
                          audio=np.zeros(160_000, np.float32))

    writer.begin(SessionStart(anchor, 1, True, True, 64, 36))
    for i in range(8):
        writer.process([window(i)])
    writer.end(SessionEnd(80.0, anchor + timedelta(seconds=80), "no data for 5 s"))
    later = anchor + timedelta(seconds=200)
    gap = writer.begin(SessionStart(later, 2, True, True, 64, 36))
    writer.process([window(0)])
    writer.close()

    media = rt.repo.list_media_files(TENANT, "rotating-cam")
    assert sorted(m.start_time for m in media) == [anchor, anchor, later]
    first = sorted(m.fingerprint for m in media if m.start_time == anchor)
    assert first[1] == first[0] + "#1"  # the same session, continued in a second record
    assert len({w["media_file_id"] for w in written}) == 3 and len(written) == 9
    clips = rt.repo.list_nodes(TENANT, source="rotating-cam", level=Level.CLIP, kind=Kind.EPISODIC, limit=100)
    starts = [c.start for c in clips if not c.attributes.get("gap")]
    assert starts == [anchor + timedelta(seconds=10 * i) for i in range(8)] + [later]
    assert gap is not None and gap["seconds"] == 120.0 and writer.sessions == 2
    gaps = [c for c in clips if c.attributes.get("gap")]
    assert len(gaps) == 1 and gaps[0].start == anchor + timedelta(seconds=80) and gaps[0].end == later
