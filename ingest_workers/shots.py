"""Hard-cut (shot boundary) detection on frames the decoder already has in memory.

Wraps PySceneDetect's ``ContentDetector`` (HSV difference between consecutive frames) so it can be
fed small frames one at a time, from a file decoder or from a live stream, without PySceneDetect
opening or decoding the video itself.
"""

from __future__ import annotations

import cv2
import numpy as np
from scenedetect.common import FrameTimecode
from scenedetect.detector import FlashFilter
from scenedetect.detectors import ContentDetector

SHOT_FRAME_WIDTH = 256  # px: wide enough for ContentDetector, cheap to score


class ShotBoundaryDetector:
    """Streaming hard-cut detector.

    Args:
        fps: rate at which frames will be pushed (e.g. ``ingest.shot_fps``); used for timecodes.
        threshold: ``ContentDetector`` threshold (mean HSV change, 0-255 scale; 27 by default).
        min_scene_s: no two cuts closer than this many seconds.

    Frames must be pushed in increasing time order, all of one size. Cuts are reported at the time
    of the first frame of the new shot, so their precision is ``1 / fps`` seconds.
    """

    def __init__(self, fps: float, threshold: float, min_scene_s: float = 0.6):
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.fps = float(fps)
        self.threshold = float(threshold)
        # SUPPRESS mode reports a cut on the frame that triggers it and never later: a live stream
        # does not have to hold windows back waiting for a delayed cut.
        self._detector = ContentDetector(
            threshold=self.threshold,
            min_scene_len=float(min_scene_s),
            filter_mode=FlashFilter.Mode.SUPPRESS,
        )
        self._last_t: float | None = None
        self.frames_pushed = 0

    def push(self, t_s: float, rgb_small: np.ndarray) -> list[float]:
        """Score one frame.

        Args:
            t_s: media (or stream) time of the frame in seconds, >= 0 and increasing.
            rgb_small: HxWx3 uint8 RGB frame, ideally about ``SHOT_FRAME_WIDTH`` px wide.

        Returns:
            Times in seconds of cuts detected at this frame (empty list, or ``[t_s]``).
        """
        if self._last_t is not None and t_s <= self._last_t:
            return []  # out of order or duplicate timestamps: ignore rather than corrupt state
        self._last_t = t_s
        self.frames_pushed += 1
        bgr = cv2.cvtColor(np.ascontiguousarray(rgb_small), cv2.COLOR_RGB2BGR)
        timecode = FrameTimecode(max(float(t_s), 0.0), fps=self.fps)
        cuts = self._detector.process_frame(timecode, bgr)
        return [float(tc.seconds) for tc in cuts]

    @property
    def last_score(self) -> float | None:
        """ContentDetector score of the last pushed frame (0 for the first one)."""
        return self._detector._frame_score
