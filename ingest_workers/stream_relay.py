"""Live protocols that the FFmpeg inside PyAV's wheels lacks (SRT: no libsrt there), pulled by the
system's ``ffmpeg`` and handed to PyAV as an MPEG-TS byte stream.

The relay runs ``ffmpeg -i <url> -map 0:v? -map 0:a? -c copy -f mpegts pipe:1``: no re-encoding
(a few per cent of one core), timestamps kept, so the reader's wall-clock anchor and discontinuity
checks work as on a direct connection. This is how Frigate and go2rtc reach protocols their own
decoder does not speak: an ffmpeg process per camera.

Timeouts: the first byte must arrive within the open timeout and each later read within the stall
timeout (``select`` on the pipe), otherwise the read returns end-of-stream, PyAV ends the
connection, and the stream worker's watchdog reconnects with backoff. ffmpeg's own socket timeouts
are set too (``-timeout`` for SRT, in microseconds).

Security: the URL (an SRT ``passphrase``, say) is on the relay's command line, so other users of
the same host can read it from ``/proc``. Run stream workers in their own container or as their
own user. ffmpeg's messages are redacted (:func:`~ingest_workers.stream_policy.safe_error`) before
they reach an error or a log.
"""

from __future__ import annotations

import collections
import functools
import os
import select
import shutil
import subprocess
import threading
import time

from ingest_workers.stream_policy import StreamPolicy, safe_url
from memory_core.logging import get_logger

log = get_logger(__name__)

#: FFmpeg options passed on the relay's command line: the protocol's, not the demuxer's (PyAV
#: demuxes the relayed MPEG-TS with its own options).
_PROTOCOL_OPTIONS = ("timeout", "rw_timeout", "connect_timeout", "latency")


@functools.cache
def relay_protocols(ffmpeg: str = "ffmpeg") -> frozenset[str]:
    """Input protocols of the system ``ffmpeg`` (empty when there is none)."""
    exe = shutil.which(ffmpeg)
    if exe is None:
        return frozenset()
    try:
        out = subprocess.run([exe, "-hide_banner", "-protocols"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    inputs, section = set(), None
    for line in out.splitlines():
        word = line.strip()
        if word.endswith(":"):
            section = word[:-1].lower()
        elif word and section == "input":
            inputs.add(word)
    return frozenset(inputs)


class RelayPipe:
    """The relay's output as a read-only binary file for ``av.open`` (``read(n)`` only).

    ``read`` returns ``b""`` (end of stream) when ffmpeg exits, when no byte arrives within
    ``first_timeout_s`` (before the first byte) or ``timeout_s`` (after it), or after
    :meth:`close`; ``timed_out`` then says whether a timeout ended it.
    """

    def __init__(self, proc: subprocess.Popen, first_timeout_s: float, timeout_s: float) -> None:
        self._proc = proc
        self._fd = proc.stdout.fileno()
        self._first, self._timeout = float(first_timeout_s), float(timeout_s)
        self.bytes_read = 0
        self.timed_out = False
        self._closed = False

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (at most 1 MiB per call); ``b""`` at the end (see the class)."""
        if self._closed:
            return b""
        wait = self._first if self.bytes_read == 0 else self._timeout
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                return b""
            ready, _, _ = select.select([self._fd], [], [], min(left, 0.5))
            if ready:
                break
            if self._closed:
                return b""
        data = os.read(self._fd, 1 << 20 if n is None or n < 0 else min(n, 1 << 20))
        self.bytes_read += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._closed = True


class FFmpegRelay:
    """One ``ffmpeg`` process that pulls ``url`` and writes MPEG-TS to a pipe.

    Args:
        url: the stream URL (credentials allowed; only its :func:`safe_url` form is logged).
        policy: the stream's policy: protocol options and the open and stall timeouts.
        ffmpeg: the executable.

    Raises:
        FileNotFoundError: (from :meth:`start`) when ``ffmpeg`` is not installed.
    """

    def __init__(self, url: str, policy: StreamPolicy, ffmpeg: str = "ffmpeg") -> None:
        self._url = url
        self.policy = policy
        self.ffmpeg = ffmpeg
        self.proc: subprocess.Popen | None = None
        self.pipe: RelayPipe | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._drainer: threading.Thread | None = None

    def command(self) -> list[str]:
        """The ffmpeg command line (holds the URL: never log it, log :func:`safe_url`)."""
        opts = self.policy.av_options()
        args = [shutil.which(self.ffmpeg) or self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"]
        for key in _PROTOCOL_OPTIONS:
            if key in opts:
                args += [f"-{key}", opts[key]]
        return args + ["-i", self._url, "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "mpegts", "pipe:1"]

    def start(self) -> RelayPipe:
        """Start ffmpeg; returns the pipe to give to ``av.open(pipe, format="mpegts")``."""
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self._drainer = threading.Thread(target=self._drain, name="vidmem-relay-stderr", daemon=True)
        self._drainer.start()
        open_s, stall_s = self.policy.timeout
        self.pipe = RelayPipe(self.proc, open_s, stall_s)
        log.info("stream relay started", url=safe_url(self._url), pid=self.proc.pid)
        return self.pipe

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                self._stderr.append(safe_url(line.replace(self._url, safe_url(self._url))))

    def last_error(self) -> str:
        """ffmpeg's last messages, redacted (empty when it said nothing)."""
        return " | ".join(list(self._stderr)[-3:])

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop ffmpeg (SIGTERM, then SIGKILL after ``timeout_s``) and close the pipe."""
        if self.pipe is not None:
            self.pipe.close()
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        if proc.stdout is not None:
            proc.stdout.close()
        if self._drainer is not None:
            self._drainer.join(timeout_s)  # ffmpeg's last words, for last_error()
