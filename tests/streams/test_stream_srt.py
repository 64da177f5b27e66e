"""SRT end to end: ffmpeg publishes the committed real footage in real time as an SRT listener on
loopback with a passphrase; PyAV's own FFmpeg has no libsrt, so the stream worker pulls it through
the system ffmpeg relay (``ingest_workers.stream_relay``); a question asked mid-stream finds what
Bob said seconds earlier, and the passphrase never reaches the summary, the stored paths or the
output."""

from __future__ import annotations

import pytest
from stream_support import Publisher, free_port
from test_stream_live import ask_mid_stream

from ingest_workers.stream_policy import StreamPolicy
from ingest_workers.stream_reader import LiveReader, StreamOpenError
from ingest_workers.stream_relay import relay_protocols

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ffmpeg")]


def srt_output(port: int, passphrase: str) -> list[str]:
    return ["-f", "mpegts", f"srt://127.0.0.1:{port}?mode=listener&passphrase={passphrase}&pkt_size=1316"]


@pytest.fixture
def srt() -> None:
    if "srt" not in relay_protocols():
        pytest.skip("the system ffmpeg has no SRT protocol (Debian's ffmpeg has: apt-get install ffmpeg)")


def test_srt_with_a_passphrase_through_the_relay(rt, tmp_path, capfd, srt):
    port, secret = free_port(), "srt-pass-0123456789"
    pub = Publisher(srt_output(port, secret), tmp_path / "ffmpeg.log").start()
    try:
        summary = ask_mid_stream(rt, "srt-cam", f"srt://127.0.0.1:{port}?passphrase={secret}", pub, secret=secret)
        assert summary["kind"] == "srt" and "passphrase=***" in summary["url"]
    finally:
        pub.stop()
    out, err = capfd.readouterr()
    assert secret not in out and secret not in err, "the SRT passphrase leaked into the output"


def test_srt_with_nobody_listening_fails_to_open_in_time(rt, srt):
    url = f"srt://127.0.0.1:{free_port()}?passphrase=nobody-listens-here"
    policy = StreamPolicy.for_url(url, rt.settings.stream)
    reader = LiveReader(url, policy, rt.settings.ingest)
    with pytest.raises(StreamOpenError) as err:
        reader.open()
    assert "nobody-listens-here" not in str(err.value) and not err.value.permanent
