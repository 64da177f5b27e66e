"""ShotBoundaryDetector (PySceneDetect fed frame by frame) and the colour-histogram features."""

from __future__ import annotations

import numpy as np
import pytest

from ingest_workers.features import frame_histogram
from ingest_workers.shots import ShotBoundaryDetector


def _frame(rgb: tuple[int, int, int], shift: int = 0) -> np.ndarray:
    img = np.zeros((144, 256, 3), np.uint8)
    img[:] = rgb
    img[:, (np.arange(256) + shift) % 256 < 32] = 128  # a bar that moves slowly
    return img


def test_one_cut_at_the_colour_change():
    det = ShotBoundaryDetector(fps=4, threshold=27.0)
    cuts = []
    for i in range(40):  # 10 s at 4 fps, cut at 5 s
        t = i / 4
        cuts += det.push(t, _frame((200, 40, 40) if t < 5 else (30, 60, 220), shift=i * 2))
    assert cuts == [5.0]
    assert det.frames_pushed == 40


def test_no_cut_on_slow_change_and_min_scene_length():
    det = ShotBoundaryDetector(fps=4, threshold=27.0, min_scene_s=2.0)
    cuts = []
    for i in range(40):
        cuts += det.push(i / 4, _frame((100 + i, 100, 100), shift=i))
    assert cuts == []
    # alternating flashes every frame: at most one cut per 2 s
    det = ShotBoundaryDetector(fps=4, threshold=27.0, min_scene_s=2.0)
    cuts = []
    for i in range(40):
        cuts += det.push(i / 4, _frame((250, 250, 250) if i % 2 else (0, 0, 0)))
    assert 1 <= len(cuts) <= 5
    assert all(b - a >= 2.0 for a, b in zip(cuts, cuts[1:]))


def test_out_of_order_frames_are_ignored():
    det = ShotBoundaryDetector(fps=4, threshold=27.0)
    assert det.push(1.0, _frame((0, 0, 0))) == []
    assert det.push(0.5, _frame((255, 255, 255))) == []
    assert det.frames_pushed == 1
    with pytest.raises(ValueError):
        ShotBoundaryDetector(fps=0, threshold=27.0)


def test_histogram_is_unit_and_discriminates():
    red, red2, blue = _frame((200, 30, 30)), _frame((205, 32, 28), shift=5), _frame((20, 40, 210))
    h_red, h_red2, h_blue = (frame_histogram(x) for x in (red, red2, blue))
    assert h_red.shape == (128,) and h_red.dtype == np.float32
    assert np.linalg.norm(h_red) == pytest.approx(1.0, abs=1e-5)
    assert float(h_red @ h_red2) > 0.9 > float(h_red @ h_blue)
    big = np.zeros((1080, 1920, 3), np.uint8)  # large frames are shrunk first
    assert frame_histogram(big).shape == (128,)
