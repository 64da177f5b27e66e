"""probe_media, the media errors, and the media-time -> wall-clock helpers."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _media_factory import make_media  # noqa: E402

from ingest_workers.clock import resolve_start_time, wall_time  # noqa: E402
from ingest_workers.errors import (  # noqa: E402
    AbsurdMediaError,
    CorruptMediaError,
    EmptyFileError,
    MediaError,
    MissingMediaError,
    NotMediaError,
)
from ingest_workers.probe import fingerprint_file, probe_media  # noqa: E402
from memory_core.settings import IngestSettings  # noqa: E402


@pytest.fixture(scope="module")
def av_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "clip.mp4"
    return make_media(path, seconds=3, metadata={"creation_time": "2024-05-01T10:00:00Z"})


def test_probe_describes_audio_and_video(av_file):
    info = probe_media(av_file, IngestSettings())
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(24.0)
    assert info.duration_s == pytest.approx(3.0, abs=0.1)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.size_bytes == av_file.stat().st_size
    assert info.creation_time == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert len(info.fingerprint) == 64 and info.fingerprint == fingerprint_file(av_file)


def test_fingerprint_reads_both_ends(tmp_path):
    path = tmp_path / "big.bin"
    data = bytearray(os.urandom(3 << 20))
    path.write_bytes(data)
    first = fingerprint_file(path)
    data[-10] ^= 0xFF  # change the tail only
    path.write_bytes(data)
    second = fingerprint_file(path)
    data[-10] ^= 0xFF
    data[(3 << 20) // 2] ^= 0xFF  # change the middle only: not covered, by design
    path.write_bytes(data)
    assert first != second and fingerprint_file(path) == first


def test_audio_only_and_video_only(tmp_path):
    audio = probe_media(make_media(tmp_path / "a.m4a", seconds=2, video=False), IngestSettings())
    assert audio.has_audio and not audio.has_video and audio.width is None and audio.fps is None
    video = probe_media(make_media(tmp_path / "v.mp4", seconds=2, audio=False), IngestSettings())
    assert video.has_video and not video.has_audio and video.audio_codec is None
    assert video.creation_time is None


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(EmptyFileError) as exc:
        probe_media(path, IngestSettings())
    assert exc.value.code == "empty_file" and "empty.mp4" in str(exc.value)
    assert isinstance(exc.value, (MediaError, ValueError))


def test_random_bytes_are_not_media(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(os.urandom(50_000))
    with pytest.raises(NotMediaError) as exc:
        probe_media(path, IngestSettings())
    assert exc.value.code == "not_media"


def test_missing_file(tmp_path):
    with pytest.raises(MissingMediaError):
        probe_media(tmp_path / "nope.mp4", IngestSettings())


def test_mp4_without_index_is_corrupt(tmp_path):
    """An MP4 cut before its index (moov at the end) was written: it is media, but broken."""
    path = make_media(tmp_path / "cut.mp4", seconds=2, faststart=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptMediaError) as exc:
        probe_media(path, IngestSettings())
    assert "MP4" in str(exc.value)


def test_absurd_resolution_and_duration(av_file):
    with pytest.raises(AbsurdMediaError, match="320x240"):
        probe_media(av_file, IngestSettings(max_pixels=100))
    with pytest.raises(AbsurdMediaError, match="longer than"):
        probe_media(av_file, IngestSettings(max_media_seconds=1.0))


def test_wall_time_and_start_resolution(av_file):
    info = probe_media(av_file, IngestSettings())
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    explicit = datetime(2023, 3, 3, 8, 0)  # naive: taken as UTC
    assert resolve_start_time(explicit, info, now) == (explicit.replace(tzinfo=UTC), "argument")
    assert resolve_start_time(None, info, now) == (datetime(2024, 5, 1, 10, 0, tzinfo=UTC), "container")
    info.creation_time = None
    start, origin = resolve_start_time(None, info, now)
    assert origin == "now" and start == now - timedelta(seconds=info.duration_s)
    assert wall_time(start, 90.5) == start + timedelta(seconds=90.5)


DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.skipif(not (DATA / "not_a_video.mp4").exists(), reason="committed samples absent")
def test_committed_samples():
    settings = IngestSettings()
    with pytest.raises(NotMediaError):
        probe_media(DATA / "not_a_video.mp4", settings)
    audio = probe_media(DATA / "audio_only.m4a", settings)
    assert audio.has_audio and not audio.has_video
    video = probe_media(DATA / "video_only.mp4", settings)
    assert video.has_video and not video.has_audio and video.creation_time is not None
