"""Perception stage: speech split at clip boundaries by word timestamps, frame budgets, and real
OCR on a frame of the committed sample with boxes mapped back to the frame's pixels."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ingest_workers.perceive import Perceiver, evenly_spaced, pick_keyframes, split_speech
from memory_core.domain import ClipWindow, SampledFrame, SpeechSegment, Word
from memory_core.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data"


def window(i: int, clip_s: float = 10.0, **kw) -> ClipWindow:
    return ClipWindow(index=i, media_start_s=i * clip_s, media_end_s=(i + 1) * clip_s, **kw)


def test_split_speech_by_word_midpoints():
    words = [Word(8.0, 8.4, "my"), Word(8.5, 9.0, "name"), Word(9.1, 9.6, "is"), Word(9.8, 10.3, "Alice"),
             Word(10.4, 10.9, "Parker.")]
    seg = SpeechSegment(8.0, 10.9, "my name is Alice Parker.", words=words, speaker_vector=np.ones(3))
    out = split_speech([seg], [window(0), window(1)])
    assert [s.text for s in out[0]] == ["my name is"]
    assert [s.text for s in out[1]] == ["Alice Parker."]  # "Alice" midpoint 10.05 s is in clip 1
    assert out[1][0].start_s == 9.8 and out[1][0].end_s == 10.9
    assert out[0][0].speaker_vector is seg.speaker_vector  # pieces share the speaker embedding


def test_split_speech_without_words_goes_whole_to_its_midpoint():
    seg = SpeechSegment(9.0, 12.0, "hello there")
    out = split_speech([seg], [window(0), window(1), window(2)])
    assert out == [[], [seg], []]


def test_evenly_spaced_and_keyframes():
    assert evenly_spaced(10, 2) == [2, 7]
    assert evenly_spaced(3, 5) == [0, 1, 2]
    assert evenly_spaced(0, 2) == []
    red, blue = np.array([1.0, 0, 0], np.float32), np.array([0, 0, 1.0], np.float32)
    frames = [SampledFrame(t, np.zeros((4, 4, 3), np.uint8)) for t in range(6)]
    w = window(0, frames=frames, frame_features=[red, red, red, red, blue, blue])
    assert pick_keyframes(w, 2) == [3, 4]  # the middle frame, then the most different one
    same = window(0, frames=frames, frame_features=[red] * 6)
    assert pick_keyframes(same, 4) == [3]  # nothing visibly different: one keyframe


def _frame_at(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        for frame in c.decode(stream):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError("no frame")


def test_ocr_reads_downscaled_frames_and_maps_boxes_back():
    from memory_core.providers.registry import ProviderRegistry

    settings = Settings(models={"faces": "none", "voices": "none", "asr": "none"}, ingest={"ocr_max_px": 320})
    perceiver = Perceiver(ProviderRegistry(settings), settings)
    rgb = _frame_at(DATA / "sample.mp4", 28.0)  # the "DELIVERY BAY 3 / GATE 7 OPEN" shot, 640x360
    big = np.ascontiguousarray(np.repeat(np.repeat(rgb, 2, axis=0), 2, axis=1))  # 1280x720, text twice as large
    w = window(2, frames=[SampledFrame(28.0, big)], frame_features=[np.ones(4, np.float32) / 2])
    (result,) = perceiver.perceive([w])
    texts = ["".join(line.text.split()).upper() for line in result.ocr]
    assert "GATE7OPEN" in texts, texts
    line = result.ocr[texts.index("GATE7OPEN")]
    x0, y0, x1, y1 = line.box
    assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 720
    assert x1 - x0 > 200, "box is in the pixels of the 1280 px frame, not of the 320 px copy"
    assert result.keyframes and result.keyframes[0].jpeg[:3] == b"\xff\xd8\xff"
    assert max(result.keyframes[0].width, result.keyframes[0].height) <= settings.ingest.keyframe_max_px


def test_split_speech_keeps_a_number_whole_across_a_clip_boundary():
    """Whisper's word tokens "6" + ".30" (and "40" + ",000") are one number: joined without a
    space, and the glued token follows its word into the same clip even past the boundary."""
    words = [Word(8.6, 9.0, "at"), Word(9.2, 9.9, "6"), Word(9.9, 10.4, ".30"), Word(10.5, 10.8, "for"),
             Word(11.0, 11.4, "40"), Word(11.4, 11.9, ",000"), Word(12.0, 12.3, "Tom"), Word(12.3, 12.5, "'s")]
    seg = SpeechSegment(8.6, 12.5, "at 6.30 for 40,000 Tom's", words=words)
    out = split_speech([seg], [window(0), window(1)])
    assert [s.text for s in out[0]] == ["at 6.30"]  # ".30" (midpoint 10.15 s) stays with "6"
    assert [s.text for s in out[1]] == ["for 40,000 Tom's"]
    assert out[0][0].end_s == 10.4


def test_quoted_words_are_not_glued():
    words = [Word(1.0, 1.3, "He"), Word(1.3, 1.6, "said"), Word(1.7, 2.0, "'Hello"), Word(2.0, 2.3, "there'")]
    (out,) = split_speech([SpeechSegment(1.0, 2.3, "", words=words)], [window(0)])
    assert out[0].text == "He said 'Hello there'"
