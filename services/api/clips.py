"""Cut the span of a memory out of its media file, for playback in a browser.

:func:`cut_clip` remuxes (stream copy, no re-encoding: milliseconds) the packets of
``[start_s, end_s]`` into an MP4 with ``faststart``, starting at the keyframe at or before
``start_s`` so the clip decodes from its first frame; timestamps are shifted to start at 0. The
result is cached (one file per node, written atomically) and served with HTTP range requests.
"""

from __future__ import annotations

import os
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import av

from memory_core.logging import get_logger

log = get_logger(__name__)

MAX_CLIP_S = 600.0  # a story spans an hour; its "clip" is its first ten minutes
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class ClipError(Exception):
    """The span cannot be cut from this file (unreadable media, no streams)."""


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        if len(_locks) > 4096:
            _locks.clear()
        return _locks.setdefault(key, threading.Lock())


def cut_clip(src: Path, dst: Path, start_s: float, end_s: float) -> Path:
    """Write ``[start_s, end_s]`` of ``src`` (seconds from its start) to ``dst`` as MP4, unless
    ``dst`` exists already. At most :data:`MAX_CLIP_S` seconds are cut.

    Raises:
        ClipError: when ``src`` cannot be read or nothing lies in the span.
    """
    if dst.exists():
        return dst
    end_s = min(max(end_s, start_s + 0.1), start_s + MAX_CLIP_S)
    with _lock_for(str(dst)):
        if dst.exists():
            return dst
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".cut-", suffix=".mp4")
        os.close(fd)
        try:
            packets = _remux(src, Path(tmp), max(0.0, start_s), end_s)
            if packets == 0:
                raise ClipError(f"no media between {start_s:.1f} s and {end_s:.1f} s")
            os.replace(tmp, dst)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise ClipError(f"cannot cut clip: {exc.__class__.__name__}: {exc}") from None
        finally:
            Path(tmp).unlink(missing_ok=True)
    return dst


def _remux(src: Path, dst: Path, start_s: float, end_s: float) -> int:
    written = 0
    with av.open(str(src)) as inp:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        if not streams:
            raise ClipError("media has neither video nor audio")
        video = next((s for s in streams if s.type == "video"), None)
        with av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            inp.seek(int(start_s * av.time_base), backward=True, any_frame=False)
            origin: float | None = None  # media time of the first kept keyframe (its dts)
            done: set[int] = set()
            for packet in inp.demux(streams):
                if packet.dts is None or packet.pts is None or packet.stream.index in done:
                    continue
                tb: Fraction = packet.time_base
                t = float(packet.pts * tb)
                if origin is None:
                    if video is not None and (packet.stream is not video or not packet.is_keyframe):
                        continue  # begin at a video keyframe so the clip decodes at once
                    origin = min(t, float(packet.dts * tb))
                if t > end_s:
                    done.add(packet.stream.index)
                    if len(done) == len(streams):
                        break
                    continue
                shift = int(round(origin / tb))
                if packet.dts - shift < 0:
                    continue  # audio from before the first keyframe
                packet.pts -= shift
                packet.dts -= shift
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
                written += 1
    return written
