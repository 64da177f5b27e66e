"""ClipDecoder / iter_clip_windows on small files written with PyAV, plus WindowAssembler."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _media_factory import TONE_HZ, make_media  # noqa: E402

from ingest_workers.decode import AUDIO_RATE, ClipDecoder, DecodeReport, iter_clip_windows  # noqa: E402
from ingest_workers.errors import CorruptMediaError  # noqa: E402
from ingest_workers.probe import probe_media  # noqa: E402
from ingest_workers.windows import WindowAssembler  # noqa: E402
from memory_core.domain import SampledFrame  # noqa: E402
from memory_core.settings import IngestSettings  # noqa: E402

SETTINGS = IngestSettings(clip_seconds=5, sample_fps=1, shot_fps=4)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample.mp4"


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("decode")


@pytest.fixture(scope="module")
def av_file(media_dir) -> Path:
    """12 s, 320x240 at 24 fps, hard cut at 6 s, 440 Hz tone (faststart MP4)."""
    return make_media(media_dir / "cut.mp4", seconds=12)


def decode(path: Path, settings: IngestSettings = SETTINGS, **kw) -> tuple[list, DecodeReport]:
    decoder = ClipDecoder(path, probe_media(path, settings), settings, **kw)
    return list(decoder), decoder.report


@pytest.mark.parametrize("skip", ["nonref", "none"])
def test_windows_frames_audio_and_cut(av_file, skip):
    settings = SETTINGS.model_copy(update={"decode_skip_frames": skip})
    windows, report = decode(av_file, settings)
    assert [w.index for w in windows] == [0, 1, 2]
    assert [(w.media_start_s, w.media_end_s) for w in windows[:2]] == [(0.0, 5.0), (5.0, 10.0)]
    last = windows[-1]
    assert last.media_start_s == 10.0 and 11.9 <= last.media_end_s <= 12.1 and last.duration_s < 5
    for w in windows:
        assert w.has_video and w.has_audio
        assert abs(len(w.frames) - round(w.duration_s * settings.sample_fps)) <= 1
        assert all(w.media_start_s <= f.t_s < w.media_end_s for f in w.frames)
        assert all(f.rgb.shape == (240, 320, 3) and f.rgb.dtype == np.uint8 for f in w.frames)
        assert len(w.frame_features) == len(w.frames)
        assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in w.frame_features)
        assert w.audio.dtype == np.float32
        assert w.audio.size == round(w.media_end_s * AUDIO_RATE) - round(w.media_start_s * AUDIO_RATE)
    assert windows[0].audio.size == windows[1].audio.size == AUDIO_RATE * 5
    # a hard cut near 6 s, only there
    assert windows[0].shot_boundaries == [] and windows[2].shot_boundaries == []
    assert len(windows[1].shot_boundaries) == 1 and abs(windows[1].shot_boundaries[0] - 6.0) <= 0.3
    # the tone comes out at 440 Hz with its amplitude
    seg = windows[1].audio
    spectrum = np.abs(np.fft.rfft(seg))
    assert abs(np.argmax(spectrum) * AUDIO_RATE / seg.size - TONE_HZ) < 5
    assert 0.2 < float(np.abs(seg).max()) < 0.4
    # the two halves look different
    before, after = windows[0].frame_features[-1], windows[1].frame_features[-1]
    assert float(before @ after) < 0.5 < float(windows[0].frame_features[0] @ before)
    assert not report.errors and report.windows == 3 and report.frames_sampled == 12
    assert report.last_media_s == pytest.approx(12.0, abs=0.1)


def test_audio_only_and_video_only(media_dir):
    windows, _ = decode(make_media(media_dir / "tone.m4a", seconds=7, video=False))
    assert [w.index for w in windows] == [0, 1]
    assert all(not w.has_video and w.frames == [] and w.frame_features == [] for w in windows)
    assert windows[0].audio.size == 5 * AUDIO_RATE and windows[1].audio.size > AUDIO_RATE
    windows, _ = decode(make_media(media_dir / "mute.mp4", seconds=7, audio=False))
    assert [w.index for w in windows] == [0, 1]
    assert all(not w.has_audio and w.audio.size == 0 for w in windows)
    assert len(windows[0].frames) == 5 and windows[1].media_end_s == pytest.approx(7.0, abs=0.05)


def test_large_frames_are_downscaled(media_dir):
    path = make_media(media_dir / "wide.mkv", seconds=1, size=(1600, 400), codec="mpeg4", audio=False)
    windows, _ = decode(path)
    assert windows[0].frames[0].rgb.shape == (320, 1280, 3)


def test_truncated_file_yields_what_it_has(media_dir, av_file):
    for suffix in (".mp4", ".mkv"):
        full = av_file if suffix == ".mp4" else make_media(media_dir / "cut.mkv", seconds=12)
        path = media_dir / f"trunc{suffix}"
        data = full.read_bytes()
        path.write_bytes(data[: int(len(data) * 0.6)])
        windows, report = decode(path)  # must not raise
        assert [w.index for w in windows] == [0, 1]
        assert 6.0 < windows[-1].media_end_s < 10.0
        assert report.partial and any("missing" in e or "undecodable" in e for e in report.errors)


def test_nothing_decodable_raises(media_dir, av_file):
    path = media_dir / "stub.mp4"  # faststart: the index survives, the media data does not
    data = av_file.read_bytes()
    path.write_bytes(data[:12_000])
    info = probe_media(path, SETTINGS)
    with pytest.raises(CorruptMediaError):
        list(ClipDecoder(path, info, SETTINGS))


def test_resume_from_window_and_stop(av_file):
    windows, _ = decode(av_file, start_index=1)
    assert [w.index for w in windows] == [1, 2]
    assert [round(f.t_s) for f in windows[0].frames] == [5, 6, 7, 8, 9]
    assert windows[0].audio.size == 5 * AUDIO_RATE
    stop = threading.Event()
    report = DecodeReport()
    got = []
    for w in iter_clip_windows(av_file, probe_media(av_file, SETTINGS), SETTINGS, stop_event=stop, report=report):
        got.append(w)
        stop.set()
    assert [w.index for w in got] == [0] and report.stopped


def test_assembler_fills_gaps_and_bounds_lag():
    asm = WindowAssembler(2.0, 100, has_video=True, has_audio=True)
    asm.add_audio(np.ones(100, np.float32), 0.0)
    asm.add_audio(np.ones(50, np.float32), 3.0)  # a 2 s hole in the audio, then 0.5 s
    asm.video_progress(4.0)
    out = asm.ready()
    assert [w.index for w in out] == [0]  # window 1 waits for audio up to 4 s
    assert out[0].audio[:100].sum() == 100 and out[0].audio[100:].sum() == 0
    asm.add_frame(SampledFrame(t_s=30.0, rgb=np.zeros((2, 2, 3), np.uint8)), np.ones(1, np.float32))
    asm.video_progress(30.0)  # video far ahead, audio stalled: windows go out anyway
    out = asm.ready()
    assert out[0].index == 1 and out[0].audio.sum() == 50 and out[-1].media_end_s <= 20.0
    tail = asm.finish()
    assert tail[-1].media_end_s == 30.0 and tail[-1].frames == []  # frame at 30.0 is past the end


@pytest.mark.skipif(not SAMPLE.exists(), reason="tests/data/sample.mp4 not committed yet")
def test_committed_sample_decodes_fully():
    settings = IngestSettings()
    info = probe_media(SAMPLE, settings)
    decoder = ClipDecoder(SAMPLE, info, settings)
    windows = list(decoder)
    assert windows and not decoder.report.errors
    assert windows[0].media_start_s == 0.0
    assert all(a.media_end_s == b.media_start_s for a, b in zip(windows, windows[1:]))
    if info.duration_s:
        assert windows[-1].media_end_s == pytest.approx(info.duration_s, abs=0.5)
    if info.has_video:
        assert sum(len(w.frames) for w in windows) >= int(windows[-1].media_end_s * settings.sample_fps) - 1
    manifest = SAMPLE.with_name("sample_manifest.json")
    truth = json.loads(manifest.read_text())["files"]["sample.mp4"] if manifest.exists() else {}
    if truth.get("hard_cuts_s"):  # every annotated hard cut, within 0.15 s, and nothing else
        found = [c for w in windows for c in w.shot_boundaries]
        assert len(found) == len(truth["hard_cuts_s"])
        assert all(abs(a - b) <= 0.15 for a, b in zip(found, truth["hard_cuts_s"]))
