"""Look at a media file before decoding it: streams, size, duration, creation time, fingerprint.

:func:`probe_media` opens the container with PyAV (no decoding, milliseconds even for a 10-hour
file) and refuses inputs that cannot or should not be ingested, with the errors of
:mod:`ingest_workers.errors`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av

from ingest_workers.errors import (
    AbsurdMediaError,
    CorruptMediaError,
    EmptyFileError,
    MissingMediaError,
    NoStreamsError,
    NotMediaError,
)
from memory_core.settings import IngestSettings
from memory_core.timeutil import parse_iso

_FINGERPRINT_CHUNK = 1 << 20  # 1 MiB from each end

# Leading bytes of containers FFmpeg reads: a file that starts like one but does not open is
# reported as corrupt (e.g. a truncated MP4 whose index never got written), not as "not media".
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "MP4/MOV"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"RIFF", "AVI/WAV"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"ID3", "MP3"),
    (0, b"FLV", "FLV"),
)


@dataclass(slots=True)
class MediaInfo:
    """What :func:`probe_media` learned about a file.

    ``duration_s`` is seconds (container duration, else the longest stream, else ``None`` when the
    container does not say); ``width``/``height`` pixels and ``fps`` frames per second of the first
    video stream (``None`` without video); ``creation_time`` an aware UTC datetime read from the
    ``creation_time`` metadata tag, if any; ``fingerprint`` the hex sha256 of the size and the first
    and last MiB (cheap identity for re-ingest detection, not a content hash).
    """

    path: str
    size_bytes: int
    duration_s: float | None
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    creation_time: datetime | None
    fingerprint: str
    start_s: float = 0.0  # container start time: media second 0 of decoded timestamps


def fingerprint_file(path: str | Path, size: int | None = None) -> str:
    """Hex sha256 of ``size`` (decimal bytes) + the first MiB + the last MiB of the file.

    Reads at most 2 MiB whatever the file size.
    """
    size = os.path.getsize(path) if size is None else size
    digest = hashlib.sha256(str(size).encode() + b"\n")
    with open(path, "rb") as fh:
        digest.update(fh.read(_FINGERPRINT_CHUNK))
        if size > _FINGERPRINT_CHUNK:
            fh.seek(max(size - _FINGERPRINT_CHUNK, _FINGERPRINT_CHUNK))
            digest.update(fh.read(_FINGERPRINT_CHUNK))
    return digest.hexdigest()


def _sniff(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(16)
    for offset, magic, name in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _parse_creation_time(*tag_dicts: dict) -> datetime | None:
    """First parseable ``creation_time`` tag; epoch placeholders (1904, 1970) count as absent."""
    for tags in tag_dicts:
        raw = (tags or {}).get("creation_time")
        if not raw:
            continue
        try:
            value = parse_iso(str(raw))
        except ValueError:
            continue
        if value.year > 1970:
            return value
    return None


def is_attached_picture(stream) -> bool:
    """True for a cover-art 'video' stream (a still attached to an audio file)."""
    try:
        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError):
        return False


def _duration(container, streams) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    best = None
    for s in streams:
        if s.duration is not None and s.time_base is not None and s.duration > 0:
            d = float(s.duration * s.time_base)
            best = d if best is None else max(best, d)
    return best


def probe_media(path: str | Path, settings: IngestSettings) -> MediaInfo:
    """Open ``path`` and describe it, refusing what cannot be ingested.

    Raises:
        MissingMediaError: no such file.
        EmptyFileError: zero bytes.
        NotMediaError: not a container FFmpeg recognises.
        CorruptMediaError: looks like a known container but cannot be opened.
        NoStreamsError: neither an audio nor a video stream.
        AbsurdMediaError: zero/negative dimensions, more than ``settings.max_pixels`` pixels, or
            longer than ``settings.max_media_seconds``.
    """
    p = Path(path)
    if not p.is_file():
        raise MissingMediaError(p, "no such file")
    size = p.stat().st_size
    if size == 0:
        raise EmptyFileError(p, "the file is empty (0 bytes); the upload or copy was probably interrupted")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        kind = _sniff(p)
        if kind is not None:
            raise CorruptMediaError(
                p, f"starts like a {kind} file but cannot be opened ({exc.__class__.__name__}); "
                "it is probably truncated or damaged"
            ) from exc
        raise NotMediaError(p, "is not an audio or video file that can be read (unrecognised format)") from exc
    with container:
        videos = [s for s in container.streams.video if not is_attached_picture(s)]
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise NoStreamsError(p, "contains no audio or video stream")
        video = videos[0] if videos else None
        audio = audios[0] if audios else None
        width = height = None
        fps = None
        if video is not None:
            width, height = video.codec_context.width, video.codec_context.height
            if width is None or height is None or width <= 0 or height <= 0:
                raise AbsurdMediaError(p, f"video has an impossible size {width}x{height}")
            if width * height > settings.max_pixels:
                raise AbsurdMediaError(
                    p, f"video is {width}x{height}, more than the {settings.max_pixels} pixels allowed"
                )
            rate = video.average_rate or video.guessed_rate or video.base_rate
            fps = float(rate) if rate else None
        duration = _duration(container, (s for s in (video, audio) if s is not None))
        if duration is not None and duration > settings.max_media_seconds:
            raise AbsurdMediaError(
                p, f"lasts {duration:.0f} s, longer than the {settings.max_media_seconds:.0f} s allowed"
            )
        start_s = container.start_time / av.time_base if container.start_time else 0.0
        creation = _parse_creation_time(
            dict(container.metadata), *(dict(s.metadata) for s in (video, audio) if s is not None)
        )
        return MediaInfo(
            path=str(p),
            size_bytes=size,
            duration_s=duration,
            has_video=video is not None,
            has_audio=audio is not None,
            width=width,
            height=height,
            fps=fps,
            video_codec=video.codec_context.name if video is not None else None,
            audio_codec=audio.codec_context.name if audio is not None else None,
            creation_time=creation,
            fingerprint=fingerprint_file(p, size),
            start_s=start_s,
        )
