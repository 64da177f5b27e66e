"""Cheap per-frame image descriptors used to compare frames and clips without a neural model."""

from __future__ import annotations

import cv2
import numpy as np

HIST_BINS = (8, 4, 4)  # hue, saturation, value
HIST_THUMB_PX = 160  # frames are shrunk to this width before the histogram is taken


def thumbnail(rgb: np.ndarray, width: int = HIST_THUMB_PX) -> np.ndarray:
    """``rgb`` (HxWx3 uint8) resized to ``width`` px wide, aspect kept (returned as is if narrower)."""
    h, w = rgb.shape[:2]
    if w <= width:
        return rgb
    height = max(1, round(h * width / w))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def frame_histogram(rgb: np.ndarray) -> np.ndarray:
    """L2-normalised HSV colour histogram of an RGB frame.

    Args:
        rgb: HxWx3 uint8 RGB image, any size (shrunk to ``HIST_THUMB_PX`` wide first).

    Returns:
        float32 vector of ``8*4*4 = 128`` values with unit L2 norm (all zeros for an empty image);
        the cosine between two of them measures colour similarity of the frames.
    """
    hsv = cv2.cvtColor(np.ascontiguousarray(thumbnail(rgb)), cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS), [0, 180, 0, 256, 0, 256])
    vec = hist.reshape(-1).astype(np.float32)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec
