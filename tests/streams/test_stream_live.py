"""Live sources end to end: ffmpeg publishes the committed real footage in real time as a live HLS
playlist over HTTP, as MPEG-TS over UDP and through a GStreamer RTSP server (with credentials);
the stream worker ingests it, and a question asked while the publisher still runs finds what Bob
said seconds earlier, at about the wall-clock time it was published."""

from __future__ import annotations

import json
import socket

import pytest
from stream_support import (
    SEEK_S,
    TENANT,
    HttpDir,
    Publisher,
    RtspServer,
    free_port,
    hls_output,
    rtsp_available,
    udp_output,
    wait_for,
)

from api_schemas import Question
from ingest_workers.stream import StreamWorker
from ingest_workers.stream_policy import StreamPolicy
from ingest_workers.stream_reader import LiveReader, StreamOpenError

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ffmpeg")]

BOB = (16.6, 23.19)  # sample.mp4 seconds of "I am Bob Stone. The red truck arrived at delivery bay three..."
TOLERANCE_S = 6.0  # wall-clock error allowed: receive latency (HLS segments) + clip alignment


def ask_mid_stream(rt, source: str, url: str, pub: Publisher, *, secret: str | None = None) -> dict:
    """Run a worker on ``url`` until Bob's line is in memory, ask about it while ``pub`` still
    publishes, check the evidence and its wall-clock times, stop; returns the worker's summary."""
    clips: list[dict] = []
    worker = StreamWorker(rt, TENANT, source, url, on_clip=clips.append)
    worker.start()
    bob_start = pub.started_at + BOB[0] - SEEK_S
    bob_end = pub.started_at + BOB[1] - SEEK_S
    try:
        # the clip holding the end of the line, and the next one (a sentence cut by a clip boundary
        # is transcribed with the next clip)
        wait_for(lambda: any(c["capture_end"].timestamp() >= bob_end + 10 for c in clips), 80,
                 what=f"clips up to Bob's line ({worker.status()})")
        assert pub.running(), "the publisher must still run: the question is asked mid-stream"
        answer = rt.agent.ask(Question(text="What did Bob say about the red truck?", sources=[source]), tenant=TENANT)
        hits = [e for e in answer.evidence[:3] if "truck" in e.text.lower()]
        assert hits, f"no evidence about the truck: {answer.answer!r} {[e.text for e in answer.evidence]}"
        e = hits[0]
        print(f"{source}: evidence {e.start.timestamp() - pub.started_at:.1f}..{e.end.timestamp() - pub.started_at:.1f} s, "
              f"Bob spoke {bob_start - pub.started_at:.1f}..{bob_end - pub.started_at:.1f} s after publishing began: {e.text[:90]}")
        assert e.start.timestamp() < bob_end + TOLERANCE_S and e.end.timestamp() > bob_start - TOLERANCE_S, (
            f"evidence {e.start}..{e.end} is not near the publication of Bob's line "
            f"({bob_start - pub.started_at:.1f}..{bob_end - pub.started_at:.1f} s after start)")
        assert "truck" in answer.answer.lower()
    finally:
        summary = worker.stop(60)
    assert summary["state"] == "stopped"
    assert summary["sessions"] >= 1 and summary["clips_written"] >= 2
    media = rt.repo.list_media_files(TENANT, source)
    assert media and all(m.path == worker.display_url for m in media)
    if secret is not None:
        assert secret not in json.dumps(summary) and secret not in worker.display_url
        assert all(secret not in m.path for m in media)
        stored = rt.repo.list_nodes(TENANT, source=source, limit=10_000)
        assert stored and all(secret not in (n.media_path or "") for n in stored)
    return summary


def test_hls_live_playlist_over_http(rt, tmp_path):
    folder = tmp_path / "hls"
    folder.mkdir()
    http = HttpDir(folder)
    pub = Publisher(hls_output(folder), tmp_path / "ffmpeg.log").start()
    try:
        wait_for(lambda: (folder / "live.m3u8").exists(), 20, step=0.2, what="the HLS playlist")
        summary = ask_mid_stream(rt, "hls-cam", f"http://127.0.0.1:{http.port}/live.m3u8", pub)
        assert summary["kind"] == "hls"
    finally:
        pub.stop()
        http.close()


def test_mpegts_over_udp(rt, tmp_path):
    port = free_port(socket.SOCK_DGRAM)
    pub = Publisher(udp_output(port), tmp_path / "ffmpeg.log").start()
    try:
        summary = ask_mid_stream(rt, "udp-cam", f"udp://127.0.0.1:{port}", pub)
        assert summary["kind"] == "udp" and summary["dropped_windows"] == 0
    finally:
        pub.stop()


def test_rtsp_server_with_credentials(rt, tmp_path, capfd):
    why = rtsp_available()
    if why:
        pytest.skip(why)
    user, secret = "viewer", "s3cr3t-pw"
    server = RtspServer(tmp_path / "rtsp.log", user, secret)
    pub = Publisher(udp_output(server.udp_port), tmp_path / "ffmpeg.log").start()
    try:
        # a wrong password: FFmpeg's error quotes the URL, vidmem's does not
        bad = "wrong-pw-123"
        policy = StreamPolicy.for_url(server.url(user, bad), rt.settings.stream)
        with pytest.raises(StreamOpenError) as err:
            LiveReader(server.url(user, bad), policy, rt.settings.ingest).open()
        assert bad not in str(err.value) and "***@" in str(err.value)
        summary = ask_mid_stream(rt, "rtsp-cam", server.url(user, secret), pub, secret=secret)
        assert summary["kind"] == "rtsp" and summary["url"].startswith("rtsp://***@")
    finally:
        pub.stop()
        server.close()
    out, err_text = capfd.readouterr()
    assert secret not in out and secret not in err_text, "the stream password leaked into the output"
    assert bad not in out and bad not in err_text
