"""Small synthetic media files written with PyAV (no ffmpeg CLI needed) for decode/probe tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

TONE_HZ = 440.0


def _colour_frame(t: float, cut_s: float, w: int, h: int) -> np.ndarray:
    """Moving gradient; bluish before ``cut_s``, orange with a grid after (a hard cut)."""
    img = np.zeros((h, w, 3), np.uint8)
    x = (np.arange(w) + int(t * 40)) % w
    if t < cut_s:
        img[..., 0] = 20
        img[..., 1] = (60 + x * 60 // w).astype(np.uint8)[None, :]
        img[..., 2] = 200
    else:
        img[..., 0] = 230
        img[..., 1] = (120 + x * 60 // w).astype(np.uint8)[None, :]
        img[..., 2] = 30
        img[::16, :, :] = 255
        img[:, ::16, :] = 255
    return img


def make_media(
    path: Path,
    *,
    seconds: float = 12.0,
    video: bool = True,
    audio: bool = True,
    size: tuple[int, int] = (320, 240),
    fps: int = 24,
    cut_s: float = 6.0,
    codec: str = "libx264",
    metadata: dict[str, str] | None = None,
    faststart: bool = True,
) -> Path:
    """Write ``path`` (.mp4/.mkv/.m4a...) with an optional video of two distinct halves (hard cut
    at ``cut_s``) and an optional 440 Hz tone, both lasting ``seconds``."""
    options = {"movflags": "faststart"} if faststart and path.suffix in (".mp4", ".mov", ".m4a") else {}
    with av.open(str(path), mode="w", options=options) as out:
        for key, value in (metadata or {}).items():
            out.metadata[key] = value
        vs = as_ = None
        if video:
            vs = out.add_stream(codec, rate=fps)
            vs.width, vs.height = size
            vs.pix_fmt = "yuv420p"
            if codec == "libx264":
                vs.options = {"preset": "ultrafast", "g": str(fps * 2), "bf": "2"}
        if audio:
            as_ = out.add_stream("aac", rate=44100)
            as_.layout = "mono"
        n_video = int(round(seconds * fps))
        rate, chunk = 44100, 1024
        n_audio = int(round(seconds * rate))
        a_pos, vi = 0, 0
        # interleave by time so the muxer does not buffer a whole stream
        while (vs is not None and vi < n_video) or (as_ is not None and a_pos < n_audio):
            v_t = vi / fps if vs is not None and vi < n_video else float("inf")
            a_t = a_pos / rate if as_ is not None and a_pos < n_audio else float("inf")
            if v_t <= a_t:
                frame = av.VideoFrame.from_ndarray(_colour_frame(v_t, cut_s, *size), format="rgb24")
                frame.pts = vi
                frame.time_base = Fraction(1, fps)
                out.mux(vs.encode(frame))
                vi += 1
            else:
                n = min(chunk, n_audio - a_pos)
                tt = (a_pos + np.arange(n)) / rate
                samples = (0.3 * np.sin(2 * np.pi * TONE_HZ * tt)).astype(np.float32)[None, :]
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                frame.sample_rate = rate
                frame.pts = a_pos
                frame.time_base = Fraction(1, rate)
                out.mux(as_.encode(frame))
                a_pos += n
        for stream in (vs, as_):
            if stream is not None:
                out.mux(stream.encode(None))
    return path
