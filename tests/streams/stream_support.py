"""Live publishers for the stream tests: ffmpeg plays the committed real footage in real time (``-re``)
as a live HLS playlist served over HTTP on loopback, as MPEG-TS over UDP on loopback, or into an
RTSP server built on Debian's GStreamer (``rtsp_server.py``, run by the system python3)."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memory_core import logging as vlog

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "sample.mp4"
RTSP_SERVER = Path(__file__).resolve().parent / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"
TENANT = "default"
# Bob's line in sample.mp4 ("I am Bob Stone. The red truck arrived at delivery bay three this
# morning.") is at 16.6-23.19 s (tests/data/sample_manifest.json); publishers start at SEEK_S so
# the line comes a few seconds into the stream.
SEEK_S = 12.0


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with closing(socket.socket(socket.AF_INET, kind)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rtsp_available() -> str | None:
    """None when the RTSP server can run, else why not (for pytest.skip)."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    probe = ("import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0');"
             "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
             "missing=[e for e in ('udpsrc','tsdemux','h264parse','aacparse','rtph264pay','rtpmp4gpay')"
             " if Gst.ElementFactory.find(e) is None]; print(' '.join(missing))")
    r = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 0:
        return ("GStreamer RTSP server not installed (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 "
                "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad): " + r.stderr.strip().splitlines()[-1:][0]
                if r.stderr.strip() else "python3-gi / gst-rtsp-server missing")
    if r.stdout.strip():
        return f"GStreamer elements missing: {r.stdout.strip()} (gstreamer1.0-plugins-good/-bad)"
    return None


class Publisher:
    """ffmpeg playing ``SAMPLE`` (looped, from ``SEEK_S``) in real time to ``output`` args.

    ``started_at``: wall time (epoch s) at which media second 0 of the published stream was sent,
    i.e. footage at file time ``SEEK_S + x`` goes out at ``started_at + x``.
    """

    def __init__(self, output: list[str], log: Path, seek_s: float = SEEK_S, width: int | None = None):
        self.output, self.log, self.seek_s, self.width = output, log, seek_s, width
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def args(self) -> list[str]:
        scale = ["-vf", f"scale={self.width}:-2"] if self.width else []
        return ["ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin", "-re", "-stream_loop", "-1",
                "-ss", f"{self.seek_s}", "-i", str(SAMPLE), *scale, "-c:v", "libx264", "-preset", "veryfast",
                "-tune", "zerolatency", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
                "-c:a", "aac", "-b:a", "96k", *self.output]

    def start(self) -> Publisher:
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL, stderr=self.log.open("ab"))
        self.started_at = time.time()
        return self

    def stop(self) -> float:
        """Stop publishing; returns the wall time it stopped."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        return time.time()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class HttpDir:
    """``python -m http.server`` for a folder, on 127.0.0.1 in a thread."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.handle_error = lambda *a: None  # a reader closing early is not news
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hls_output(folder: Path) -> list[str]:
    return ["-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist",
            str(folder / "live.m3u8")]


def udp_output(port: int) -> list[str]:
    return ["-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]


class RtspServer:
    """``rtsp_server.py`` under the system python3, relaying udp://127.0.0.1:udp_port."""

    def __init__(self, log: Path, user: str | None = None, password: str | None = None):
        self.port, self.udp_port = free_port(), free_port(socket.SOCK_DGRAM)
        args = [SYSTEM_PYTHON, str(RTSP_SERVER), str(self.port), str(self.udp_port)]
        if user and password:
            args += [user, password]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log.open("ab"), text=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.close()
            raise RuntimeError(f"RTSP server did not start (see {log})")

    def url(self, user: str | None = None, password: str | None = None) -> str:
        cred = f"{user}:{password}@" if user else ""
        return f"rtsp://{cred}127.0.0.1:{self.port}/live"

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_for(predicate, timeout: float, step: float = 0.5, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


#: sample.mp4 cut into three chunks (media seconds) as a life-logging device would push them, and
#: the device's capture time of the recording's start.
CHUNK_CUTS = [(0.0, 18.0), (18.0, 36.0), (36.0, 52.48)]
CHUNK_BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def cut_chunks(folder: Path, sample: Path = SAMPLE) -> list[Path]:
    """``sample`` re-encoded into one MP4 per :data:`CHUNK_CUTS` span under ``folder``."""
    paths = []
    for i, (a, b) in enumerate(CHUNK_CUTS):
        out = folder / f"chunk{i}.mp4"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-ss", str(a), "-to", str(b),
                        "-i", str(sample), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-y", str(out)],
                       check=True, timeout=60)
        paths.append(out)
    return paths


class WriteSpy:
    """Records every write a stream worker's thread makes (node, vector, media, entity and
    keyframe upserts) once :attr:`deleted_at` (monotonic s) is set."""

    #: the writes a stream session makes: (runtime attribute, method)
    METHODS = (("repo", "upsert_nodes"), ("repo", "upsert_media_file"), ("repo", "upsert_entity"),
               ("repo", "add_appearances"), ("vectors", "upsert"), ("keyframes", "put"))

    def __init__(self, rt, monkeypatch, source: str) -> None:
        self.thread = f"vidmem-stream-{source}"
        self.deleted_at: float | None = None
        self.late: list[str] = []
        for store, name in self.METHODS:
            obj = getattr(rt, store)
            monkeypatch.setattr(obj, name, self._wrap(f"{store}.{name}", getattr(obj, name)))

    def _wrap(self, what: str, fn):
        def wrapper(*args, **kwargs):
            if self.deleted_at is not None and threading.current_thread().name == self.thread:
                self.late.append(f"{what} {time.monotonic() - self.deleted_at:+.2f} s after the deletion returned")
            return fn(*args, **kwargs)

        return wrapper


@pytest.fixture()
def log_events() -> Iterator[list[dict]]:
    """Every structured log event of the process while the test runs, as logged (before the
    redaction processor): what vidmem passes to its loggers must hold no secret at all. Import it
    into a test module to use it."""
    events: list[dict] = []

    def capture(_logger, _method, event_dict):
        events.append(dict(event_dict))
        return event_dict

    procs = vlog._PROCESSORS
    procs.insert(procs.index(vlog.redact_event), capture)
    try:
        yield events
    finally:
        if capture in procs:  # configure_logging() rebuilds the list
            procs.remove(capture)
